"""The catalog interface on its SQLite implementation: records in and out, full text, spaces and
fill bookkeeping, transactions, and the schema's life (migrated forward, newer refused)."""

from __future__ import annotations

import sqlite3

import pytest

from mediaground.catalog import (Asset, AssetFilter, AudioInfo, FillResult, Segment, VectorRecord, Version,
                                 open_catalog)
from mediaground.catalog.sqlite.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION, split_script
from mediaground.errors import CatalogVersionError
from mediaground.library import Library
from mediaground.models.base import Space


T0 = "2026-01-01T00:00:00+00:00"


def _asset(asset_id: str, kind: str = "image") -> Asset:
    return Asset(asset_id, kind, "jpeg", "image/jpeg", "essence", "jpeg-scan", asset_id * 2, "f" + asset_id,
                 added_at=T0, updated_at=T0)


def _file(catalog, asset_id: str, path: str, sha: str, lat=None, lon=None, **md) -> int:
    """A version with its record, held by a file at `path` (call inside a transaction)."""
    catalog.versions.add(Version(sha, asset_id, 10, f"store/{sha}", T0, md, md.get("date_created"), lat, lon))
    return catalog.files.seen(path, asset_id, sha, 10, 1)


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
            catalog.assets.add(_asset(f"a{i:05}"))
            _file(catalog, f"a{i:05}", f"/m/{i}.jpg", f"f{i}", caption=f"photo {i}", keywords=["x", "ü"])
    got = catalog.files.path("/m/3.jpg")
    assert got.metadata == {"caption": "photo 3", "keywords": ["x", "ü"]} and got.asset_id == "a00003"
    assert catalog.assets.get("a00003").kind == "image"
    assert set(catalog.assets.get_many(["a00001", "a00004", "nope"])) == {"a00001", "a00004"}
    assert catalog.files.display_paths(["a00001", "a00002"]) == {"a00001": "/m/1.jpg", "a00002": "/m/2.jpg"}
    # paged iteration sees every asset once, in ID order, even with a page smaller than the library
    assert [a.asset_id for a in catalog.assets.iter(batch=2)] == [f"a{i:05}" for i in range(5)]
    assert catalog.assets.count(["image"]) == 5 and catalog.assets.count(["audio"]) == 0


def test_files_are_read_in_pages_along_an_index(catalog):
    """`Files.iter` with kinds: every searchable file once, in (asset, file id) order across pages
    (a page may end inside an asset), and each page is a range of an index read in its order, so no
    page sorts the library again (that made reading by kind quadratic in the pages)."""
    with catalog.transaction():
        for i in range(6):
            asset_id = f"a{5 - i:05}"  # file ids do not follow asset order
            catalog.assets.add(_asset(asset_id, "image" if i % 3 else "audio"))
            for copy in range(3):
                _file(catalog, asset_id, f"/m/{i}-{copy}.jpg", f"s{i}-{copy}")
    images = {a.asset_id for a in catalog.assets.iter(["image"])}
    statements: list[str] = []
    catalog._db.set_trace_callback(statements.append)
    got = [(f.asset_id, f.file_id) for f in catalog.files.iter(["image"], batch=2)]
    catalog._db.set_trace_callback(None)
    expected = sorted((f.asset_id, f.file_id) for a in images for f in catalog.files.of_asset(a))
    assert got == expected and len(got) == 12
    pages = {s for s in statements if s.lstrip().upper().startswith("SELECT")}
    assert len(pages) == 7
    for sql in pages:
        plan = [r[3] for r in catalog._db.execute("EXPLAIN QUERY PLAN " + sql)]
        assert not any("TEMP B-TREE" in step for step in plan), plan


def test_one_display_file_for_copies_seen_in_the_same_second(catalog, monkeypatch):
    """Every way of naming an asset's file for a person picks the same one, ties included."""
    import mediaground.catalog.sqlite.assets as sql_assets

    monkeypatch.setattr(sql_assets, "now", lambda: T0)  # both copies seen in the same second
    with catalog.transaction():
        catalog.assets.add(_asset("a1"))
        _file(catalog, "a1", "/z/b.jpg", "s1")
        _file(catalog, "a1", "/a/a.jpg", "s1")
        catalog.assets.add(_asset("a2"))
        _file(catalog, "a2", "/a/c.jpg", "s2")
        _file(catalog, "a2", "/z/d.jpg", "s2")
    for asset_id in ("a1", "a2"):
        first = catalog.files.of_asset(asset_id)[0].path
        assert catalog.files.display_path(asset_id) == first == catalog.files.display_paths([asset_id])[asset_id]
        assert catalog.files.current_paths(asset_id)[0] == first
        assert catalog.files.of_assets(["a1", "a2"])[asset_id][0].path == first
        assert catalog.files.searchable([asset_id])[asset_id][0].path == first
    assert catalog.files.display_paths(["a1", "a2"]) == {"a1": "/a/a.jpg", "a2": "/z/d.jpg"}  # the newer record


def test_prefix_lookup_uses_the_id_order_and_ignores_case(catalog):
    with catalog.transaction():
        for asset_id in ("abc123000000", "abc124000000", "abd000000000"):
            catalog.assets.add(_asset(asset_id))
    assert catalog.assets.with_prefix("ABC12") == ["abc123000000", "abc124000000"]
    assert catalog.assets.with_prefix("abc123") == ["abc123000000"]
    assert catalog.assets.with_prefix("abc%") == []  # no wildcard: a prefix is only a prefix


def test_an_id_or_a_unique_prefix_names_an_asset(catalog, tmp_path, monkeypatch):
    from mediaground.errors import AssetNotFoundError
    from mediaground.lookup import resolve, resolve_id

    with catalog.transaction():
        for asset_id in ("abc123000000", "abc123100000", "abd000000000"):
            catalog.assets.add(_asset(asset_id))
    assert resolve_id(catalog, "abd000") == "abd000000000" == resolve(catalog, "abd000").asset_id
    assert resolve_id(catalog, "abc123000000") == "abc123000000"
    with pytest.raises(AssetNotFoundError, match="matches several assets"):
        resolve_id(catalog, "abc123")
    with pytest.raises(AssetNotFoundError, match="no asset with ID 'abd00'"):
        resolve_id(catalog, "abd00")  # too short to be a prefix
    (tmp_path / "abd000").write_bytes(b"not indexed")
    monkeypatch.chdir(tmp_path)
    assert resolve_id(catalog, "abd000") == "abd000000000"  # never a path
    with pytest.raises(AssetNotFoundError, match="not in the library"):
        resolve(catalog, "abd000")  # resolve: a path first


def test_fulltext_takes_words_never_query_syntax(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("a1"))
        catalog.assets.add(_asset("a2"))
        f1 = _file(catalog, "a1", "/m/1.jpg", "s1")
        f2 = _file(catalog, "a2", "/m/2.jpg", "s2")
        catalog.fulltext.set(f1, "a1", {"caption": "harbour at dawn", "keywords": "boats"})
        catalog.fulltext.set(f2, "a2", {"caption": "dawn chorus", "title": "Birds"})
    hits = catalog.fulltext.search(["dawn", "harb"], True, 10)  # prefixes, all words
    assert [(f, a) for f, a, _ in hits] == [(f1, "a1")]
    assert {a for _, a, _ in catalog.fulltext.search(["harbour", "chorus"], False, 10)} == {"a1", "a2"}
    # words that are FTS5 operators or quotes are plain words here, not syntax errors
    assert catalog.fulltext.search(["NOT", "dawn"], True, 10) == []
    assert catalog.fulltext.search(['"', "OR"], False, 10) == []
    # replacing a document replaces it; deleting one removes it
    with catalog.transaction():
        catalog.fulltext.set(f1, "a1", {"caption": "night"})
    assert catalog.fulltext.search(["harbour"], True, 10) == []
    assert catalog.fulltext.fields(f1)["caption"] == "night"
    with catalog.transaction():
        catalog.fulltext.delete([f2])
    assert catalog.fulltext.search(["chorus"], True, 10) == [] and catalog.fulltext.fields(f2) == {}


def test_filters_restrict_the_full_text_query_not_its_first_hits(catalog):
    """Forty recordings say a word; the one the filters (or the kind) admit ranks last, below the
    pool: the full-text paths still find it, because the filters restrict the query itself."""
    from mediaground.search.fulltext import document_path, transcript_path
    from mediaground.search.places import Allowed

    weak = "a long day by the old harbour with many other words in it"
    with catalog.transaction():
        for i in range(40):
            asset_id, last = f"a{i:02}", i == 39
            catalog.assets.add(_asset(asset_id, "video" if last else "audio"))
            file_id = _file(catalog, asset_id, f"/m/{i}.mp4", f"s{i}")
            catalog.fulltext.set(file_id, asset_id, {"caption": weak} if last else {"title": "harbour harbour"})
            catalog.audio.set(AudioInfo(asset_id, 2.0, 2.0, False, False, -20.0, "en", 0.99),
                              [Segment(f"{asset_id}:seg:00000", asset_id, 0.0, 1.0, weak if last else "harbour", 0.9)])
    target = catalog.files.path("/m/39.mp4").file_id
    assert "a39" not in {a for _, a, _ in catalog.fulltext.search(["harbour"], True, 30)}  # ranked below
    assert "a39" not in {a for a, _, _ in catalog.audio.search(["harbour"], True, 30)}
    allowed = Allowed(frozenset({target}), ["a39"])
    for kinds, admits in ((None, allowed), (["video"], None)):
        assert [a for a, _ in document_path(catalog, ["harbour"], 5, kinds, admits)] == ["a39"]
        assert [a for a, _ in transcript_path(catalog, ["harbour"], 5, kinds, admits)] == ["a39"]
    assert catalog.fulltext.search(["harbour"], True, 5, file_ids=[]) == []
    assert catalog.audio.search(["harbour"], True, 5, asset_ids=["a01"], kinds=["video"]) == []


def test_each_file_keeps_its_own_record_and_a_rename_keeps_the_id(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("a1"))
        fa = _file(catalog, "a1", "/m/a.jpg", "sa", caption="Campaign A")
        fb = _file(catalog, "a1", "/m/b.jpg", "sb", caption="Campaign B")
    assert fa != fb
    assert catalog.files.path("/m/a.jpg").metadata["caption"] == "Campaign A"
    assert catalog.files.path("/m/b.jpg").metadata["caption"] == "Campaign B"
    assert [f.file_id for f in catalog.files.searchable(["a1"])["a1"]] == sorted([fa, fb], reverse=True)
    with catalog.transaction():
        catalog.files.move(fb, "/m/renamed.jpg", 10, 2)
    moved = catalog.files.get(fb)
    assert moved.path == "/m/renamed.jpg" and moved.metadata["caption"] == "Campaign B"
    assert catalog.files.path("/m/b.jpg") is None
    with catalog.transaction():  # the same path keeps its id whatever it holds
        assert catalog.files.seen("/m/a.jpg", "a1", "sb", 10, 3) == fa
    assert catalog.files.path("/m/a.jpg").metadata["caption"] == "Campaign B"
    with catalog.transaction():
        catalog.files.retire("/m/a.jpg")
        catalog.files.retire("/m/renamed.jpg")
    # gone files keep standing for the asset until told otherwise (ingest decides: see forget_retired)
    assert {f.file_id for f in catalog.files.searchable(["a1"])["a1"]} == {fa, fb}
    with catalog.transaction():
        catalog.files.unlist([fb])
    assert [f.file_id for f in catalog.files.searchable(["a1"])["a1"]] == [fa]
    with catalog.transaction():  # seen again: it stands again
        catalog.files.seen("/m/renamed.jpg", "a1", "sb", 10, 4)
    assert {f.file_id for f in catalog.files.searchable(["a1"])["a1"]} == {fa, fb}


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


def test_filters_judge_what_each_file_says(catalog):
    with catalog.transaction():
        catalog.assets.add(_asset("a1"))
        catalog.assets.add(_asset("a2"))
        _file(catalog, "a1", "/m/1.jpg", "s1", creator=["Ana Núñez"], keywords=["Beach"], date_created="2021-07-04")
        _file(catalog, "a2", "/m/2.jpg", "s2", creator=["Bo"], copyright="CC BY 4.0", date_created="2019-01-01")
        _file(catalog, "a2", "/m/2-copy.jpg", "s3", 50.0, 4.0, creator=["Cy"])  # a copy that says other things
    ids = lambda **f: sorted(a for _, a, _, _ in catalog.files.filter(AssetFilter(**f)))
    assert ids(creator="ana núñez") == ["a1"] and ids(keyword="beach") == ["a1"]
    assert ids(license="cc by") == ["a2"] and ids(date_from="2020-01-01") == ["a1"]
    assert ids(date_to="2019") == ["a2"] and ids(has_gps=True) == ["a2"] and ids(creator="cy") == ["a2"]
    (file_id, asset_id, lat, lon), = catalog.files.filter(AssetFilter(has_gps=True))
    assert catalog.files.get(file_id).path == "/m/2-copy.jpg" and (lat, lon) == (50.0, 4.0)


def test_date_to_keeps_every_date_it_is_a_prefix_of_and_the_index_answers(catalog):
    dates = {"/m/1.jpg": "2019-01-31T23:59:59", "/m/2.jpg": "2019-02-01", "/m/3.jpg": "2019",
             "/m/4.jpg": "2021-07-04T18:00:00+02:00", "/m/5.jpg": None}
    with catalog.transaction():
        for i, (path, date) in enumerate(dates.items()):
            catalog.assets.add(_asset(f"a{i}"))
            _file(catalog, f"a{i}", path, f"s{i}", date_created=date)
    statements: list[str] = []
    catalog._db.set_trace_callback(statements.append)
    paths = lambda **f: sorted(catalog.files.get(i).path for i, _, _, _ in catalog.files.filter(AssetFilter(**f)))
    assert paths(date_to="2019-01") == ["/m/1.jpg", "/m/3.jpg"]  # a year-only date is in its year's months
    assert paths(date_to="2019-01-31") == ["/m/1.jpg", "/m/3.jpg"]  # the whole last day
    assert paths(date_to="2019-01-30") == ["/m/3.jpg"] and paths(date_to="2018") == []
    assert paths(date_from="2019-02", date_to="2019-02") == ["/m/2.jpg"]
    assert paths(date_to="2021-07-04") == ["/m/1.jpg", "/m/2.jpg", "/m/3.jpg", "/m/4.jpg"]
    catalog._db.set_trace_callback(None)
    date_to = next(s for s in statements if "date_created" in s and "2018" in s)
    plan = [r[3] for r in catalog._db.execute("EXPLAIN QUERY PLAN " + date_to)]
    assert any("versions_date" in step for step in plan), plan


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


def test_a_schema_4_library_keeps_its_records_and_rereads_copies_it_never_read(tmp_path):
    """Schema 4 kept one record per asset (the tags of the version indexed last). Migrated, that
    version keeps them; a second copy of the asset with other bytes gets no record (its tags were
    never kept) and is marked to be read again at the next index, and so are copies that shared one."""
    root = tmp_path / "v4"
    root.mkdir()
    con = sqlite3.connect(root / "catalog.sqlite")
    for version in range(1, 5):
        for stmt in split_script(SCHEMA_V1 if version == 1 else MIGRATIONS[version]):
            con.execute(stmt)
    con.execute("INSERT INTO meta VALUES ('schema_version', '4')")
    md = '{"caption": "Campaign B", "keywords": ["b"]}'
    con.execute("INSERT INTO assets(asset_id, kind, format, mime, id_basis, id_method, essence_sha256, current_sha256,"
                " metadata, added_at, updated_at, lat, lon) VALUES ('a1', 'image', 'jpeg', 'image/jpeg', 'essence',"
                " 'jpeg-scan', 'e1', 'sb', ?, ?, ?, 1.5, 2.5)", (md, T0, T0))
    for sha, path in (("sa", "/m/a.jpg"), ("sb", "/m/b.jpg")):
        con.execute("INSERT INTO versions VALUES (?, 'a1', 10, ?, ?)", (sha, f"store/{sha}", T0))
        con.execute("INSERT INTO paths(path, asset_id, file_sha256, size, mtime_ns, current, first_seen, last_seen)"
                    " VALUES (?, 'a1', ?, 10, 99, 1, ?, ?)", (path, sha, T0, T0))
    con.execute("INSERT INTO fts(asset_id, caption, keywords) VALUES ('a1', 'Campaign B', 'b')")
    con.execute("INSERT INTO unknown_terms VALUES ('a1', 'keywords', 'b', ?)", (T0,))
    con.commit()
    con.close()
    cat = open_catalog(root)
    try:
        a, b = cat.files.path("/m/a.jpg"), cat.files.path("/m/b.jpg")
        assert b.metadata == {"caption": "Campaign B", "keywords": ["b"]} and (b.lat, b.lon) == (1.5, 2.5)
        assert not a.metadata_known and a.metadata == {}
        assert a.mtime_ns == -1 and b.mtime_ns == -1  # both read again: one never read, both shared a record
        assert [f for f, _, _ in cat.fulltext.search(["campaign"], True, 5)] == [b.file_id]
        assert [(t.file_id, t.term) for t in cat.terms.all()] == [(b.file_id, "b")]
        assert cat.check() == "ok"
    finally:
        cat.close()
