"""`audit labels`: keywords against the vocabulary and each other (IPTC vs XMP, JSON-LD vs file,
file names, audio genre); --fix --dry-run writes nothing, --fix writes the preferred labels
everywhere (checked with ExifTool) and a second audit is clean."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import as_list, exiftool_tags, make_image, set_keywords, sha256_of, tone, write_wav
from mediaground.audit import Report, audit_labels, fix_labels
from mediaground.audit.labels import read_keyword_tags
from mediaground.cli import main
from mediaground.taxonomy import Vocabulary, install_vocabulary

HOSTILE = "<script>alert(1)</script>"
VOCAB = """
scheme: {uri: "https://example.org/vocab/", lang: en}
concepts:
  - {id: brand, pref: Brand}
  - {id: brand-logo, pref: Brand logo, alt: [Logomark, favicon], broader: [brand]}
  - {id: colour, pref: Colour}
  - {id: red, pref: Red, alt: [crimson], broader: [colour]}
  - {id: product-photo, pref: Product photo, alt: [packshot]}
  - {id: ambient, pref: Ambient, alt: [chillout]}
"""






def _run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


@pytest.fixture
def labelled(fake_lib, tmp_path):
    from mediaground.metadata.write import parse_edits, write_metadata

    install_vocabulary(fake_lib.root, Vocabulary.loads(VOCAB))
    media = tmp_path / "media"
    files = {
        "mixed.jpg": make_image(media / "mixed.jpg", "red", seed=1),
        "resync.jpg": make_image(media / "resync.jpg", "green", seed=2),
        "unknown.jpg": make_image(media / "unknown.jpg", "blue", seed=3),
        "brand-logo-final.jpg": make_image(media / "brand-logo-final.jpg", "yellow", seed=4),
        "red-logomark.jpg": make_image(media / "red-logomark.jpg", "red", seed=5),
        "hostile.jpg": make_image(media / "hostile.jpg", "white", seed=6),
        "clean.jpg": make_image(media / "clean.jpg", "black", seed=7),
    }
    set_keywords(files["mixed.jpg"], iptc=["Logomark", "Red"], xmp=["Logomark", "Red", "Product photo"])
    set_keywords(files["resync.jpg"], iptc=["Red"], xmp=["Red", "Colour"])
    set_keywords(files["unknown.jpg"], iptc=["harbour", "Red"], xmp=["harbour", "Red"])
    set_keywords(files["brand-logo-final.jpg"], iptc=["Red"], xmp=["Red"])
    set_keywords(files["red-logomark.jpg"], iptc=["Brand logo"], xmp=["Brand logo"])  # names a related concept
    set_keywords(files["hostile.jpg"], xmp=[HOSTILE])
    set_keywords(files["clean.jpg"], iptc=["Brand logo", "Red"], xmp=["Brand logo", "Red"])
    files["chill.wav"] = write_wav(media / "chill.wav", tone(440, 2.0))
    write_metadata(files["chill.wav"], None, None, parse_edits({"genre": "chillout"}))
    files["jazz.wav"] = write_wav(media / "jazz.wav", tone(660, 2.0) + 0.0 * np.zeros(32000))
    write_metadata(files["jazz.wav"], None, None, parse_edits({"genre": "Jazz"}))
    fake_lib.ingest([media], workers=0)
    ids = {name: fake_lib.resolve(str(p)) for name, p in files.items()}
    return fake_lib, files, ids


def _kinds(report: Report, asset_id: str) -> set[str]:
    return report.kinds_for(asset_id)


def test_tags_are_read_one_standard_at_a_time(labelled):
    lib, files, ids = labelled
    tags = read_keyword_tags(str(files["mixed.jpg"]), "jpeg")
    assert tags["iptc"] == ["Logomark", "Red"] and tags["xmp"] == ["Logomark", "Red", "Product photo"]
    assert tags["xp"] == []


def test_findings_of_the_right_kinds(labelled):
    lib, files, ids = labelled
    report = audit_labels(lib.catalog, lib.root)
    assert _kinds(report, ids["mixed.jpg"]) == {"iptc-xmp-mismatch", "alt-label-used", "jsonld-mismatch"}
    mixed = {f.kind: f for f in report.findings if f.asset_id == ids["mixed.jpg"]}
    assert "only in XMP: ['Product photo']" in mixed["iptc-xmp-mismatch"].detail
    alt = mixed["alt-label-used"]
    assert alt.extra["term"] == "Logomark" and alt.extra["preferred"] == "Brand logo"
    assert "alternative label of 'brand-logo'" in alt.detail
    # the catalog normalized at ingest: the JSON-LD publishes the preferred label, the file does not
    assert mixed["jsonld-mismatch"].extra["jsonld"] == ["Brand logo", "Red", "Product photo"]
    assert mixed["jsonld-mismatch"].extra["file"] == ["Logomark", "Red", "Product photo"]

    assert _kinds(report, ids["resync.jpg"]) == {"iptc-xmp-mismatch"}
    assert _kinds(report, ids["unknown.jpg"]) == {"not-in-vocabulary"}
    unknown = next(f for f in report.findings if f.asset_id == ids["unknown.jpg"])
    assert unknown.extra["term"] == "harbour" and unknown.extra["fields"] == ["XMP", "IPTC"]
    assert _kinds(report, ids["brand-logo-final.jpg"]) == {"filename-disagrees"}
    fd = next(f for f in report.findings if f.kind == "filename-disagrees")
    assert "'Brand logo' (from 'brand logo')" in fd.detail and "'Red'" in fd.detail
    assert _kinds(report, ids["red-logomark.jpg"]) == set()  # the name adds a concept, it does not contradict
    assert _kinds(report, ids["clean.jpg"]) == set()
    assert _kinds(report, ids["chill.wav"]) == {"alt-label-used"}
    assert _kinds(report, ids["jazz.wav"]) == {"genre-not-in-vocabulary"}
    assert report.summary["findings_by_kind"]["iptc-xmp-mismatch"] == 2
    assert report.findings[0].kind == "iptc-xmp-mismatch"  # worst first


def test_without_a_vocabulary_only_consistency_is_checked(fake_lib, tmp_path):
    p = make_image(tmp_path / "m" / "a.jpg", "red")
    set_keywords(p, iptc=["one"], xmp=["two"])
    q = make_image(tmp_path / "m" / "b.jpg", "blue", seed=2)
    set_keywords(q, iptc=["one"], xmp=["one"])
    fake_lib.ingest([tmp_path / "m"], workers=0)
    report = audit_labels(fake_lib.catalog, fake_lib.root)
    assert {(Path(f.path).name, f.kind) for f in report.findings} == {("a.jpg", "iptc-xmp-mismatch")}
    assert report.summary["vocabulary"] is None


def test_fix_dry_run_writes_nothing_then_fix_writes_preferred_labels(labelled):
    lib, files, ids = labelled
    before = {name: sha256_of(p) for name, p in files.items()}

    r = _run("audit", "labels", "--fix", "--dry-run", "--library", lib.root, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert {name: sha256_of(p) for name, p in files.items()} == before  # nothing written
    plan = {e["asset_id"]: e for e in out["fix"]["assets"]}
    assert out["fix"]["dry_run"] is True
    assert plan[ids["mixed.jpg"]]["action"] == "write"
    assert plan[ids["mixed.jpg"]]["edits"]["keywords"] == ["Brand logo", "Red", "Product photo"]
    assert plan[ids["resync.jpg"]]["action"] == "resync"
    assert plan[ids["chill.wav"]]["edits"] == {"genre": "Ambient"}
    assert ids["unknown.jpg"] not in plan  # an unknown term is reported, never dropped or renamed

    r = _run("audit", "labels", "--fix", "--dry-run", "--library", lib.root)
    assert r.exit_code == 0 and f"would write {files['mixed.jpg']}" in r.output
    assert "keywords: ['Logomark', 'Red', 'Product photo'] -> ['Brand logo', 'Red', 'Product photo']" in r.output
    assert {name: sha256_of(p) for name, p in files.items()} == before

    r = _run("audit", "labels", "--fix", "--library", lib.root)
    assert r.exit_code == 0, r.output
    assert f"wrote {files['mixed.jpg']}" in r.output and f"resynced {files['resync.jpg']}" in r.output

    et = exiftool_tags(files["mixed.jpg"], "-IPTC:Keywords", "-XMP-dc:Subject")
    assert as_list(et["IPTC:Keywords"]) == ["Brand logo", "Red", "Product photo"]
    assert as_list(et["XMP-dc:Subject"]) == ["Brand logo", "Red", "Product photo"]
    et = exiftool_tags(files["resync.jpg"], "-IPTC:Keywords", "-XMP-dc:Subject")
    assert as_list(et["IPTC:Keywords"]) == ["Red", "Colour"] and as_list(et["XMP-dc:Subject"]) == ["Red", "Colour"]
    assert len(lib.show(ids["resync.jpg"])["versions"]) == 2  # one forced write, not two
    et = exiftool_tags(files["chill.wav"])
    assert et.get("ID3v2_4:Genre") == "Ambient", et
    # same assets (the essence did not change), files untouched where nothing was wrong
    assert lib.resolve(str(files["mixed.jpg"])) == ids["mixed.jpg"]
    for name in ("unknown.jpg", "clean.jpg", "hostile.jpg", "jazz.wav", "brand-logo-final.jpg"):
        assert sha256_of(files[name]) == before[name], name

    again = audit_labels(lib.catalog, lib.root)
    for name in ("mixed.jpg", "resync.jpg", "chill.wav", "clean.jpg"):
        assert _kinds(again, ids[name]) == set(), (name, [f.detail for f in again.findings if f.asset_id == ids[name]])
    assert _kinds(again, ids["unknown.jpg"]) == {"not-in-vocabulary"}  # still reported, still kept
    assert lib.show(ids["mixed.jpg"])["metadata"]["keywords"] == ["Brand logo", "Red", "Product photo"]


def test_fix_refreshes_a_stale_catalog(labelled):
    """The file was fixed behind the library's back: the JSON-LD is stale; --fix re-indexes it."""
    lib, files, ids = labelled
    set_keywords(files["clean.jpg"], iptc=["Brand logo"], xmp=["Brand logo"])
    report = audit_labels(lib.catalog, lib.root)
    assert _kinds(report, ids["clean.jpg"]) == {"jsonld-mismatch"}
    plan = fix_labels(lib, report, dry_run=True)
    assert next(e for e in plan if e["asset_id"] == ids["clean.jpg"])["action"] == "reindex"
    fix_labels(lib, report, dry_run=False)
    assert _kinds(audit_labels(lib.catalog, lib.root), ids["clean.jpg"]) == set()


def test_cli_json_shape_and_html_escapes_hostile_keywords(labelled, tmp_path):
    lib, files, ids = labelled
    html_path = tmp_path / "report.html"
    r = _run("audit", "labels", "--library", lib.root, "--json", "--html", html_path)
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["audit"] == "labels" and "fix" not in out
    assert out["findings"] and all({"asset_id", "path", "kind", "detail"} <= set(f) for f in out["findings"])
    assert any(f["kind"] == "not-in-vocabulary" and f["term"] == HOSTILE for f in out["findings"])
    page = html_path.read_text(encoding="utf-8")
    assert html_path.exists() and page.startswith("<!DOCTYPE html>")
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "data:image/jpeg;base64," in page  # thumbnails embedded
    r = _run("audit", "labels", "--library", lib.root)
    assert r.exit_code == 0 and "iptc-xmp-mismatch" in r.output and "findings_by_kind" in r.output
    r = _run("audit", "labels", "--dry-run", "--library", lib.root)
    assert r.exit_code == 2 and "--dry-run goes with --fix" in r.output
