"""`mediaground meta set|apply` end to end: the file changes (checked by ExifTool), the asset ID
stays, the catalog and search follow, the stored original is untouched."""

from __future__ import annotations

import json
import subprocess

from click.testing import CliRunner

from mediaground.cli import main


def _run(*args):
    return CliRunner().invoke(main, list(map(str, args)), catch_exceptions=False)


def _exiftool(path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-n", "-G1", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]


def test_meta_set_writes_verifies_and_reindexes(fake_lib, media_dir):
    fake_lib.ingest([media_dir], workers=0)
    path = media_dir / "red.jpg"
    asset = fake_lib.resolve(str(path))
    original = path.read_bytes()
    lib = fake_lib.root

    r = _run("meta", "set", asset, "--set", "creator=Ana Núñez", "--set", "keywords=beach,coast",
             "--set", "gps=36.77,-6.35", "--dry-run", "--library", lib)
    assert r.exit_code == 0 and "would change creator" in r.output
    assert path.read_bytes() == original  # a dry run writes nothing

    r = _run("meta", "set", str(path), "--set", "creator=Ana Núñez", "--set", "keywords=beach,coast",
             "--set", "gps=36.77,-6.35", "--set", "alt_text=Faro al amanecer", "--library", lib, "--json")
    assert r.exit_code == 0, r.output
    assert {c["field"] for c in json.loads(r.output)["changes"]} == {"creator", "keywords", "gps", "alt_text"}
    tags = _exiftool(path)
    assert tags["XMP-dc:Creator"] == "Ana Núñez" and tags["IPTC:By-line"] == "Ana Núñez"
    assert sorted(tags["XMP-dc:Subject"]) == ["beach", "coast"]
    assert abs(tags["Composite:GPSLatitude"] - 36.77) < 1e-6 and abs(tags["Composite:GPSLongitude"] + 6.35) < 1e-6
    assert tags["GPS:GPSLongitudeRef"] == "W"
    assert tags["XMP-iptcCore:AltTextAccessibility"] == "Faro al amanecer"

    rec = fake_lib.show(asset)  # same asset, a new version, the old original kept byte-identical
    assert rec["asset_id"] == asset and rec["metadata"]["creator"] == ["Ana Núñez"]
    assert len(rec["versions"]) == 2
    assert (fake_lib.root / rec["versions"][0]["store_path"]).read_bytes() == original
    assert fake_lib.search("coast", limit=1)[0].asset_id == asset


def test_meta_apply_csv_and_bad_values(fake_lib, media_dir, tmp_path):
    fake_lib.ingest([media_dir], workers=0)
    csv = tmp_path / "edits.csv"
    csv.write_text(f"path,title,keywords\n{media_dir / 'green.jpg'},Harbour,\"boats,nets\"\n", encoding="utf-8")
    r = _run("meta", "apply", csv, "--library", fake_lib.root)
    assert r.exit_code == 0, r.output
    assert _exiftool(media_dir / "green.jpg")["XMP-dc:Title"] == "Harbour"
    before = (media_dir / "blue.jpg").read_bytes()
    r = _run("meta", "set", media_dir / "blue.jpg", "--set", "gps=95,0", "--library", fake_lib.root)
    assert r.exit_code == 1 and "gps" in r.output and "Traceback" not in r.output
    assert (media_dir / "blue.jpg").read_bytes() == before
