"""Asset = essence, file = its own record: two copies of one photo with different tags stay two
files (search, show, edits, filters, JSON-LD), and what is not a file is reported, never fatal."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import edit_catalog_file, exiftool_tags, make_image, set_caption, sha256_of
from mediaground.cli import main
from mediaground.errors import MediagroundError
from mediaground.index.base import VectorRow, text_chunk_id


@pytest.fixture
def campaigns(fake_lib, tmp_path):
    """One photo exported twice for two campaigns: same pixels, different caption and creator."""
    media = tmp_path / "media"
    a = make_image(media / "a.jpg", "blue", seed=3)
    b = media / "b.jpg"
    shutil.copy(a, b)
    set_caption(a, "Campaign Alpha harbour", keywords=["alpha"])
    set_caption(b, "Campaign Bravo mountains", keywords=["bravo"])
    make_image(media / "other.jpg", "red", seed=4)
    report = fake_lib.ingest([media], workers=0)
    assert report.added == 2 and report.updated == 1  # the second copy: a new file of a known asset
    return fake_lib, a, b


def test_two_copies_are_one_asset_with_two_records(campaigns):
    lib, a, b = campaigns
    asset = lib.resolve(str(a))
    assert lib.resolve(str(b)) == asset
    shown_a, shown_b = lib.show(str(a)), lib.show(str(b))
    assert shown_a["metadata"]["caption"] == "Campaign Alpha harbour" and shown_a["path"] == str(a.resolve())
    assert shown_b["metadata"]["caption"] == "Campaign Bravo mountains" and shown_b["path"] == str(b.resolve())
    assert shown_a["file_id"] != shown_b["file_id"]
    whole = lib.show(asset)  # the asset: every file with its own record
    assert whole["described"] == "asset"
    assert {f["path"]: f["metadata"]["keywords"] for f in whole["files"]} == {
        str(a.resolve()): ["alpha"], str(b.resolve()): ["bravo"]}


@pytest.mark.parametrize("query, cited, also", [("Alpha harbour", "a.jpg", "b.jpg"), ("Bravo mountains", "b.jpg", "a.jpg")])
def test_search_cites_the_file_whose_words_matched(campaigns, query, cited, also):
    lib, a, b = campaigns
    (hit,) = [r for r in lib.search(query, limit=5) if r.asset_id == lib.resolve(str(a))]
    assert Path(hit.path).name == cited and query.split()[0] in hit.caption
    assert [Path(f["path"]).name for f in hit.files] == [also]  # the other copy is listed, not lost
    assert {"text:caption", "vector:text"} <= set(hit.why)
    assert hit.to_dict()["file_id"] == lib.show(hit.path)["file_id"]


def test_filters_judge_each_file(campaigns):
    lib, a, b = campaigns
    (hit,) = lib.search("campaign", keyword="bravo")
    assert Path(hit.path).name == "b.jpg"
    (hit,) = lib.search(keyword="alpha")  # filters alone
    assert Path(hit.path).name == "a.jpg"


def test_meta_set_path_writes_exactly_that_file(campaigns):
    lib, a, b = campaigns
    before_a = sha256_of(a)
    out = lib.edit_metadata(str(b), {"caption": "Campaign Bravo, final"})
    assert out["path"] == str(b.resolve()) and out["changes"]
    assert sha256_of(a) == before_a  # the other copy is untouched
    assert exiftool_tags(b, "-XMP-dc:Description")["XMP-dc:Description"] == "Campaign Bravo, final"
    assert lib.show(str(b))["metadata"]["caption"] == "Campaign Bravo, final"
    assert lib.show(str(a))["metadata"]["caption"] == "Campaign Alpha harbour"
    assert lib.resolve(str(b)) == lib.resolve(str(a))  # tags changed, the essence did not
    hits = {Path(r.path).name for r in lib.search("final", limit=5)}
    assert "b.jpg" in hits and "a.jpg" not in hits


def test_meta_set_asset_id_with_several_files_refuses_unless_all_files(campaigns):
    lib, a, b = campaigns
    asset = lib.resolve(str(a))
    with pytest.raises(MediagroundError, match="carried by 2 files") as err:
        lib.edit_metadata(asset, {"creator": "Ana Núñez"})
    assert str(a.resolve()) in str(err.value) and str(b.resolve()) in str(err.value)
    r = CliRunner().invoke(main, ["meta", "set", asset, "--set", "creator=Ana Núñez", "--library", str(lib.root)])
    assert r.exit_code == 1 and "--all-files" in r.output
    r = CliRunner().invoke(main, ["meta", "set", asset, "--set", "creator=Ana Núñez", "--all-files",
                                  "--library", str(lib.root), "--json"])
    assert r.exit_code == 0, r.output
    assert {Path(f["path"]).name for f in json.loads(r.output)["files"]} == {"a.jpg", "b.jpg"}
    for path, caption in ((a, "Campaign Alpha harbour"), (b, "Campaign Bravo mountains")):
        tags = exiftool_tags(path, "-IPTC:By-line", "-XMP-dc:Description")
        assert tags["IPTC:By-line"] == "Ana Núñez" and tags["XMP-dc:Description"] == caption  # own caption kept


def test_meta_set_works_on_a_file_in_no_library(tmp_path, monkeypatch):
    photo = make_image(tmp_path / "loose" / "p.jpg", "green", seed=1)
    nowhere = tmp_path / "no-library"
    monkeypatch.setenv("MEDIAGROUND_LIBRARY", str(nowhere))
    r = CliRunner().invoke(main, ["meta", "set", str(photo), "--set", "title=Loose photo", "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["changes"][0]["field"] == "title"
    assert exiftool_tags(photo, "-XMP-dc:Title")["XMP-dc:Title"] == "Loose photo"
    assert not nowhere.exists()  # writing a file creates no library


def test_json_ld_follows_each_file(campaigns, tmp_path):
    lib, a, b = campaigns
    asset = lib.resolve(str(a))
    r = CliRunner().invoke(main, ["export", "jsonld", "--out", str(tmp_path / "ld"), "--library", str(lib.root), "--json"])
    assert r.exit_code == 0, r.output
    docs = {p.name: json.loads(p.read_text()) for p in (tmp_path / "ld").glob(f"{asset}-*.jsonld")}
    assert sorted(d["caption"] for d in docs.values()) == ["Campaign Alpha harbour", "Campaign Bravo mountains"]
    assert all(d["identifier"] == asset for d in docs.values())
    assert len({d["@id"] for d in docs.values()}) == 2


def test_a_deleted_copy_stops_speaking_for_the_asset(campaigns):
    lib, a, b = campaigns
    asset = lib.resolve(str(a))
    b_sha = lib.show(str(b))["file_sha256"]
    b.unlink()
    report = lib.ingest([a.parent], workers=0)
    assert report.missing == 1
    assert [r for r in lib.search("Bravo mountains", limit=5) if r.asset_id == asset] == []  # its words left too
    space = lib.spaces.text_space.id
    assert lib.catalog.vectors.source(text_chunk_id(asset, b_sha), space) is None  # its words left search
    a.unlink()  # now no file of the asset is left: the one seen last keeps its words (nothing is lost)
    lib.ingest([a.parent], workers=0)
    (hit,) = [r for r in lib.search("Alpha harbour", limit=5) if r.asset_id == asset]
    assert Path(hit.path).name == "a.jpg" and "text:caption" in hit.why


def test_a_library_indexed_before_files_had_records_keeps_working(campaigns):
    """A schema-4 library has one asset-level text vector ("<asset>:text"): search still cites a
    file through it, and the next index of the folder reads the files and moves to per-version
    vectors."""
    lib, a, b = campaigns
    asset = lib.resolve(str(a))
    space = lib.spaces.text_space
    shas = [lib.show(str(p))["file_sha256"] for p in (a, b)]
    vec = lib.index.get(space.id, text_chunk_id(asset, shas[0]))
    old = [text_chunk_id(asset, sha) for sha in shas]
    lib.index.delete(space.id, old)
    lib.index.upsert(space.id, space.dim, [VectorRow(f"{asset}:text", asset, "text", "image", vec, "numpy")])
    with lib.catalog.transaction():
        lib.catalog.vectors.delete(space.id, old)
    edit_catalog_file(lib.catalog.path, "INSERT INTO vectors VALUES (?, ?, ?, 'text', NULL, NULL, 'numpy', 'x', 'now')",
                      f"{asset}:text", space.id, asset)
    hits = [r for r in lib.search("Alpha harbour", limit=5) if r.asset_id == asset]
    assert hits and "vector:text" in hits[0].why and Path(hits[0].path).name == "a.jpg"
    edit_catalog_file(lib.catalog.path, "UPDATE paths SET mtime_ns = -1")  # as the schema migration marks them
    lib.ingest([a.parent], workers=0)
    assert lib.catalog.vectors.source(f"{asset}:text", space.id) is None
    assert lib.index.get(space.id, f"{asset}:text") is None
    assert all(lib.catalog.vectors.source(c, space.id) for c in old)


# ------------------------------------------------------------------ what is not a file


def test_not_media_is_skipped_and_odd_entries_are_reported(fake_lib, tmp_path):
    media = tmp_path / "media"
    make_image(media / "ok.jpg", "red")
    (media / "MANIFEST.tsv").write_text("file\tdescription\nok.jpg\ta red square\n")
    os.mkfifo(media / "pipe.jpg")  # a FIFO must never be opened (it would block the run)
    (media / "link.jpg").symlink_to(media / "ok.jpg")
    bad_name = os.fsencode(media) + b"/caf\xe9.jpg"  # Latin-1, not UTF-8
    with open(bad_name, "wb") as fh:
        fh.write((media / "ok.jpg").read_bytes())
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop2")
    (tmp_path / "loop2").symlink_to(loop)
    report = fake_lib.ingest([media, loop], workers=0)
    assert report.added == 1 and report.quarantined == []
    skipped = {Path(s["path"]).name: s["reason"] for s in report.skipped}
    assert skipped == {"MANIFEST.tsv": "not-media", "pipe.jpg": "not-a-regular-file", "link.jpg": "symlink",
                       "caf\\xe9.jpg": "name-not-utf8", "loop": "symlink-loop"}
    again = fake_lib.ingest([media], workers=0)  # reported again, never an error, nothing re-read
    assert again.unchanged == 1 and "MANIFEST.tsv" in {Path(s["path"]).name for s in again.skipped}
    r = CliRunner().invoke(main, ["index", str(media), "--library", str(fake_lib.root), "--json"])
    assert r.exit_code == 0 and "caf\\\\xe9.jpg" in r.output  # printable, whatever the terminal


def test_an_unreadable_folder_is_reported_and_the_rest_indexed(fake_lib, tmp_path, monkeypatch):
    media = tmp_path / "media"
    make_image(media / "a.jpg", "red")
    make_image(media / "locked" / "b.jpg", "blue")
    real = os.scandir

    def scandir(path="."):
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    report = fake_lib.ingest([media], workers=0)
    assert report.added == 1
    assert [(Path(s["path"]).name, s["reason"]) for s in report.skipped] == [("locked", "unreadable-folder")]


def test_a_file_that_vanishes_mid_run_is_retried_not_quarantined(fake_lib, tmp_path):
    media = tmp_path / "media"
    for i, colour in enumerate(["red", "green", "blue"]):
        make_image(media / f"{i}.jpg", colour, seed=i)
    gone = media / "2.jpg"
    kept = gone.read_bytes()

    def progress(p):
        if p.done == 1 and gone.exists():
            gone.unlink()  # after the scan listed it, before it is read

    report = fake_lib.ingest([media], progress=progress, workers=0)
    assert report.added == 2 and report.quarantined == []
    assert [(Path(s["path"]).name, s["reason"]) for s in report.skipped] == [("2.jpg", "vanished")]
    gone.write_bytes(kept)  # it comes back: indexed, nothing sticky
    assert fake_lib.ingest([media], workers=0).added == 1


def test_http_and_mcp_follow_the_file(campaigns):
    """HTTP: a search result links to the file it cites (`?file=`), and that link serves that file's
    record and bytes; a file of another asset is not found. MCP: a path is that file's record."""
    from fastapi.testclient import TestClient

    from mediaground.api.http import create_app
    from mediaground.api.mcp_server import _Backend

    lib, a, b = campaigns
    other = lib.resolve(str(a.parent / "other.jpg"))
    with TestClient(create_app(lib.root)) as client:
        (hit,) = [r for r in client.get("/api/search", params={"q": "Bravo mountains"}).json()["results"]
                  if r["asset_id"] == lib.resolve(str(a))]
        assert Path(hit["path"]).name == "b.jpg" and hit["links"]["media"].endswith(f"?file={hit['file_id']}")
        record = client.get(hit["links"]["asset"]).json()
        assert record["asset"]["path"] == str(b.resolve())
        assert record["asset"]["metadata"]["caption"] == "Campaign Bravo mountains"
        assert client.get(hit["links"]["media"]).content == b.read_bytes()  # b's bytes, not a's
        assert client.get(f"/media/{other}?file={hit['file_id']}").status_code == 404
    backend = _Backend(lib.root)
    try:
        got = backend.asset_record(str(a))
        assert got["file_id"] == lib.show(str(a))["file_id"] != lib.show(str(b))["file_id"]
        assert got["record"]["metadata"]["caption"] == "Campaign Alpha harbour"
    finally:
        backend.close()


def test_audits_judge_each_file(campaigns):
    """One copy with alt text, one without: the alt-text audit names the file that lacks it."""
    lib, a, b = campaigns
    lib.edit_metadata(str(a), {"alt_text": "A blue square, the harbour campaign's key visual"})
    findings = [f for f in lib.audit("alt-text").findings
                if f.asset_id == lib.resolve(str(a)) and f.kind == "missing-alt-text"]
    assert [(Path(f.path).name, f.file_id) for f in findings] == [("b.jpg", lib.show(str(b))["file_id"])]
