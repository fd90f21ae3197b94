"""The catalog interface on its SQLite implementation: records in and out, full text, spaces and
fill bookkeeping, transactions, and the schema's life (migrated forward, newer refused)."""

from __future__ import annotations

import sqlite3

import pytest

from mediaground.catalog import Asset, AssetFilter, AudioInfo, FillResult, Segment, VectorRecord, open_catalog
from mediaground.catalog.sqlite.schema import SCHEMA_V1, SCHEMA_VERSION, split_script
from mediaground.errors import CatalogVersionError
from mediaground.library import Library
from mediaground.models.base import Space


def _asset(asset_id: str, kind: str = "image", **md) -> Asset:
    return Asset(asset_id, kind, "jpeg", "image/jpeg", "essence", "jpeg-scan", asset_id * 2, "f" + asset_id,
                 metadata=md, added_at="2026-01-01T00:00:00+00:00", updated_at="2026-01-01T00:00:00+00:00",
                 date_created=md.get("date_created"))


@pytest.fixture
def catalog(tmp_path):
    cat = open_catalog(tmp_path)
    yield cat
    cat.close()


def _space(name: str, dim: int = 4, modality: str = "image") -> Space:
    return Space(name, "r1", "0" * 64, "p", "", dim, modality)


def test_records_round_trip_and_batched_reads(catalog):
    with catalog.transaction():
        for i in range(5):
            catalog.assets.add(_asset(f"a{i:05}", caption=f"photo {i}", keywords=["x", "ü"]))
            catalog.files.seen(f"/m/{i}.jpg", f"a{i:05}", f"f{i}", 10, 1)
    got = catalog.assets.get("a00003")
    assert got.metadata == {"caption": "photo 3", "keywords": ["x", "ü"]} and got.kind == "image"
    assert set(catalog.assets.get_many(["a00001", "a00004", "nope"])) == {"a00001", "a00004"}
    assert catalog.files.display_paths(["a00001", "a00002"]) == {"a00001": "/m/1.jpg", "a00002": "/m/2.jpg"}
    # paged iteration sees every asset once, in ID order, even with a page smaller than the library
    assert [a.asset_id for a in catalog.assets.iter(batch=2)] == [f"a{i:05}" for i in range(5)]
    assert catalog.assets.count(["image"]) == 5 and catalog.assets.count(["audio"]) == 0


def test_prefix_lookup_uses_the_id_order_and_ignores_case(catalog):
    with catalog.transaction():
        for asset_id in ("abc123000000", "abc124000000", "abd000000000"):
            catalog.assets.add(_asset(asset_id))
    assert catalog.assets.with_prefix("ABC12") == ["abc123000000", "abc124000000"]
    assert catalog.assets.with_prefix("abc123") == ["abc123000000"]
    assert catalog.assets.with_prefix("abc%") == []  # no wildcard: a prefix is only a prefix


def test_fulltext_takes_words_never_query_syntax(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("a1"))
        catalog.assets.add(_asset("a2"))
        catalog.fulltext.set("a1", {"caption": "harbour at dawn", "keywords": "boats"})
        catalog.fulltext.set("a2", {"caption": "dawn chorus", "title": "Birds"})
    assert [a for a, _ in catalog.fulltext.search(["dawn", "harb"], True, 10)] == ["a1"]  # prefixes, all words
    assert {a for a, _ in catalog.fulltext.search(["harbour", "chorus"], False, 10)} == {"a1", "a2"}
    # words that are FTS5 operators or quotes are plain words here, not syntax errors
    assert catalog.fulltext.search(["NOT", "dawn"], True, 10) == []
    assert catalog.fulltext.search(['"', "OR"], False, 10) == []
    # replacing a document replaces it
    with catalog.transaction():
        catalog.fulltext.set("a1", {"caption": "night"})
    assert catalog.fulltext.search(["harbour"], True, 10) == []
    assert catalog.fulltext.fields("a1")["caption"] == "night"


def test_transcripts_are_searched_and_replaced_per_recording(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("r1", "audio"))
        catalog.audio.set(AudioInfo("r1", 12.0, 12.0, False, False, -20.0, None, None, ["w"]),
                          [Segment("r1:seg:00000", "r1", 0.0, 4.0, "the quarterly revenue grew", 0.9),
                           Segment("r1:seg:00001", "r1", 4.0, 8.0, "thank you all", 0.8)])
    assert catalog.audio.search(["revenue"], True, 5)[0][:2] == ("r1", "r1:seg:00000")
    assert catalog.audio.info("r1").language is None and catalog.audio.info("r1").warnings == ["w"]
    with catalog.transaction():
        catalog.audio.set(AudioInfo("r1", 12.0, 12.0, False, True, None), [])
    assert catalog.audio.segments("r1") == [] and catalog.audio.search(["revenue"], True, 5) == []


def test_labels_come_from_the_active_space_else_the_newest(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("a1"))
        catalog.spaces.add(_space("old"), "image", "old", status="previous")
        catalog.spaces.add(_space("new"), "image", "new", status="active")
        catalog.labels.set("a1", _space("old").id, [("cat", 0.4), ("dog", 0.6)])
    assert catalog.labels.of("a1") == [("dog", 0.6), ("cat", 0.4)]  # only the old space labelled it
    with catalog.transaction():
        catalog.labels.set("a1", _space("new").id, [("tabby", 0.9)])
    assert catalog.labels.of("a1") == [("tabby", 0.9)]


def test_space_lifecycle_and_fill_bookkeeping(catalog):
    old, new = _space("old"), _space("new")
    with catalog.transaction():
        for i in range(3):
            catalog.assets.add(_asset(f"a{i}"))
        catalog.assets.add(_asset("r0", "audio"))
        catalog.spaces.add(old, "image", "old")
        catalog.spaces.add(new, "image", "new", status="shadow", replaces=old.id)
        catalog.vectors.record([VectorRecord(f"a{i}:image", new.id, f"a{i}", "image", "numpy", "pixels")
                                for i in range(2)])
        catalog.fills.done(new.id, [FillResult("a0", 1), FillResult("a1", 1), FillResult("a2", 0, "broken")])
    assert catalog.fills.count_pending(new.id, ["image"]) == 0
    assert catalog.fills.count_pending(new.id, None) == 1  # the recording, for a space covering every kind
    assert catalog.fills.failures(new.id) == [("a2", "broken")]
    assert catalog.vectors.coverage(new.id, ["image"]) == (3, 2)
    with catalog.transaction():
        was = catalog.spaces.activate("image", new.id)
    assert was == old.id and catalog.spaces.active("image").space_id == new.id
    assert catalog.spaces.get(old.id).status == "previous"
    with catalog.transaction():
        catalog.spaces.retire(old.id)
    assert catalog.spaces.get(old.id).status == "retired"
    with catalog.transaction():
        catalog.fills.forget_text(["a0"])  # an image space does not embed text: kept
    assert catalog.fills.count_pending(new.id, ["image"]) == 0


def test_a_failed_transaction_writes_nothing(catalog):
    with pytest.raises(RuntimeError):
        with catalog.transaction():
            catalog.assets.add(_asset("a1"))
            raise RuntimeError("crash")
    assert catalog.assets.get("a1") is None


def test_filters_run_in_the_catalog(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("a1", creator=["Ana Núñez"], keywords=["Beach"], date_created="2021-07-04"))
        catalog.assets.add(_asset("a2", creator=["Bo"], copyright="CC BY 4.0", date_created="2019-01-01"))
    ids = lambda **f: [a for a, _, _ in catalog.assets.filter(AssetFilter(**f))]
    assert ids(creator="ana núñez") == ["a1"] and ids(keyword="beach") == ["a1"]
    assert ids(license="cc by") == ["a2"] and ids(date_from="2020-01-01") == ["a1"]
    assert ids(date_to="2019") == ["a2"] and ids(has_gps=True) == []


def test_a_newer_catalog_is_refused(tmp_path):
    cat = open_catalog(tmp_path)
    with cat.transaction():
        cat.settings.set("schema_version", "99")
    cat.close()
    with pytest.raises(CatalogVersionError, match="schema version 99"):
        open_catalog(tmp_path)


def test_an_older_catalog_is_migrated_forward(tmp_path):
    root = tmp_path / "old"
    root.mkdir()
    con = sqlite3.connect(root / "catalog.sqlite")
    for stmt in split_script(SCHEMA_V1):
        con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1'), ('text_model', 'fake-text'),"
                " ('image_model', 'fake-image')")
    con.commit()
    con.close()
    with Library.open(root) as lib:
        assert lib.catalog.settings.get("schema_version") == str(SCHEMA_VERSION)
        assert lib.catalog.audio.segments("nothing") == [] and not lib.catalog.audio.has_segments()
    con = sqlite3.connect(root / "catalog.sqlite")  # the SQLite file itself has the new tables
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
    con.close()
    assert {"audio", "segments", "segments_fts", "space_assets", "unknown_terms"} <= tables
