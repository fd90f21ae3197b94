"""Governance audits (alt text, geo) on a fake-model library: findings, ordering, JSON and HTML."""

from __future__ import annotations

import json

import pytest

from conftest import make_image, set_caption, set_gps
from mediaground.audit import Finding, Report, audit_alt_text, audit_geo, library_thumbnails

HOSTILE = "<script>alert(1)</script>"
LONG = ("A long description of a red square with small marks scattered over it, " * 5)[:300]





def _alt(path, text):
    import pyexiv2

    img = pyexiv2.Image(str(path))
    try:
        img.modify_xmp({"Xmp.Iptc4xmpCore.AltTextAccessibility": {'lang="x-default"': text}})
    finally:
        img.close()


@pytest.fixture
def audited(fake_lib, tmp_path):
    root = tmp_path / "audit"
    alts = {
        "none.jpg": ("red", None),
        "camera.jpg": ("red", "IMG_2041"),
        "beach_day.jpg": ("red", "beach_day.jpg"),
        "dup1.jpg": ("blue", "A blue square"),
        "dup2.jpg": ("blue", "a blue  square."),
        "dup3.jpg": ("blue", "A blue square"),
        "long.jpg": ("red", LONG),
        "good.jpg": ("green", "A green square"),
        "wrong.jpg": ("yellow", "purple violet grapes"),
        "hostile.jpg": ("red", HOSTILE),
    }
    for i, (name, (colour, alt)) in enumerate(alts.items()):
        p = make_image(root / "alt" / name, colour, seed=100 + i)
        if alt is not None:
            _alt(p, alt)
    set_gps(make_image(root / "places" / "null.jpg", "white", seed=200), 0.0, 0.0)
    set_gps(make_image(root / "places" / "valid.jpg", "black", seed=201), 50.87153, 4.69698)
    set_caption(make_image(root / "places" / "budapest.jpg", "orange", seed=202),
                "Sunset over the Danube in Budapest")
    fake_lib.ingest([root], workers=0)
    ids = {name: fake_lib.resolve(str(root / "alt" / name)) for name in alts}
    ids.update({name: fake_lib.resolve(str(root / "places" / name)) for name in ("null.jpg", "valid.jpg", "budapest.jpg")})
    return fake_lib, ids, root


def test_alt_text_findings_per_asset(audited):
    lib, ids, _ = audited
    assert lib.show(ids["camera.jpg"])["metadata"]["alt_text"] == "IMG_2041"  # the tag really was read
    report = audit_alt_text(lib.catalog, lib.index, lib.spaces)  # the default threshold works with the fake models too
    kinds = report.kinds_for
    assert kinds(ids["none.jpg"]) == {"missing-alt-text"}
    assert kinds(ids["null.jpg"]) == {"missing-alt-text"}  # images in other folders are audited too
    assert kinds(ids["camera.jpg"]) == {"placeholder-alt-text"}
    assert kinds(ids["beach_day.jpg"]) == {"placeholder-alt-text"}
    for name in ("dup1.jpg", "dup2.jpg", "dup3.jpg"):
        assert kinds(ids[name]) == {"duplicate-alt-text"}, name
    dup = next(f for f in report.findings if f.kind == "duplicate-alt-text")
    assert "3 different images" in dup.detail and dup.extra["count"] == 3
    assert "alt-text-too-long" in kinds(ids["long.jpg"])
    assert "300 characters" in next(f.detail for f in report.findings
                                    if f.asset_id == ids["long.jpg"] and f.kind == "alt-text-too-long")
    assert kinds(ids["good.jpg"]) == set()  # the fake bridge labels it "green": the words agree
    assert kinds(ids["wrong.jpg"]) == {"alt-text-mismatch"}  # a yellow image described as purple
    assert report.summary["images"] == 13 and report.summary["with_alt_text"] == 9
    assert report.summary["similarity_checked"] >= 6


def test_mismatch_threshold_is_a_parameter(audited):
    lib, ids, _ = audited
    strict = audit_alt_text(lib.catalog, lib.index, lib.spaces, mismatch_threshold=1.01)  # nothing is that similar
    assert "alt-text-mismatch" in strict.kinds_for(ids["good.jpg"])
    assert "alt-text-mismatch" not in strict.kinds_for(ids["camera.jpg"])  # placeholders are not re-flagged
    lax = audit_alt_text(lib.catalog, lib.index, lib.spaces, mismatch_threshold=-1.01)
    assert not any(f.kind == "alt-text-mismatch" for f in lax.findings)
    off = audit_alt_text(lib.catalog, lib.index, lib.spaces, mismatch_threshold=1.01, check_similarity=False)
    assert not any(f.kind == "alt-text-mismatch" for f in off.findings)


def test_worst_first(audited):
    lib, ids, _ = audited
    report = audit_alt_text(lib.catalog, lib.index, lib.spaces)
    sev = [f.severity for f in report.findings]
    assert sev == sorted(sev, reverse=True)
    order = [f.kind for f in report.findings]
    first = {k: order.index(k) for k in set(order)}
    assert (first["missing-alt-text"] < first["placeholder-alt-text"] < first["alt-text-mismatch"]
            < first["duplicate-alt-text"] < first["alt-text-too-long"])
    # Report sorts whatever it is given
    r = Report("x", [Finding("a", None, "k", "", 0.1), Finding("b", None, "k", "", 0.9)])
    assert [f.asset_id for f in r.findings] == ["b", "a"]


def test_json_shape(audited):
    lib, _, _ = audited
    data = json.loads(json.dumps(audit_alt_text(lib.catalog, lib.index, lib.spaces).to_json()))
    assert set(data) >= {"findings", "summary"}
    assert data["findings"]
    for f in data["findings"]:
        assert {"asset_id", "path", "kind", "detail", "severity"} <= set(f)
        assert isinstance(f["severity"], float) and isinstance(f["detail"], str)
    assert json.loads(audit_geo(lib.catalog).to_json_text())["summary"]["assets"] == 13


def test_html_is_standalone_and_escaped(audited):
    lib, ids, _ = audited
    report = audit_alt_text(lib.catalog, lib.index, lib.spaces)
    assert any(HOSTILE in f.detail for f in report.findings if f.asset_id == ids["hostile.jpg"])
    page = report.to_html(library_thumbnails(lib.catalog, lib.store))
    assert page.startswith("<!DOCTYPE html>")
    assert "data:image/jpeg;base64," in page
    assert HOSTILE not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    assert "http://" not in page and "https://" not in page and "<link" not in page  # nothing external
    assert page.index(ids["none.jpg"]) < page.index(ids["long.jpg"])  # worst first on the page too
    # no thumbnails: still a page, with placeholders
    assert "no preview" in report.to_html(lambda _id: None)
    table = report.to_table(width=200)
    assert "missing-alt-text" in table and "images: 13" in table


def test_geo_audit(audited):
    lib, ids, root = audited
    report = audit_geo(lib.catalog)
    assert report.kinds_for(ids["valid.jpg"]) == set()
    assert report.kinds_for(ids["null.jpg"]) == {"gps-null-island"}
    assert report.kinds_for(ids["budapest.jpg"]) == {"missing-gps"}
    tip = next(f for f in report.findings if f.asset_id == ids["budapest.jpg"])
    assert "Budapest" in tip.detail and "47.49" in tip.detail and "19.04" in tip.detail
    s = tip.extra["suggestion"]
    assert s["from_field"] == "caption" and abs(s["lat"] - 47.50) < 0.05 and abs(s["lon"] - 19.04) < 0.05
    plain = next(f for f in report.findings if f.asset_id == ids["none.jpg"])
    assert plain.kind == "missing-gps" and "suggestion" not in plain.extra
    assert report.findings[0].kind == "gps-null-island"  # bad data before missing data
    assert tip.severity > plain.severity  # actionable before hopeless
    summ = report.summary
    assert summ["assets"] == 13 and summ["with_gps"] == 1
    places = summ["by_folder"][str((root / "places").resolve())]
    assert places == {"assets": 3, "with_gps": 1, "share": pytest.approx(1 / 3, abs=1e-3)}
    assert summ["by_folder"][str((root / "alt").resolve())]["share"] == 0.0


def test_geo_suggestion_from_city_tag_and_keywords(fake_lib, tmp_path):
    a = make_image(tmp_path / "m" / "a.jpg", "red", seed=1)
    b = make_image(tmp_path / "m" / "b.jpg", "blue", seed=2)
    c = make_image(tmp_path / "m" / "c.jpg", "green", seed=3)
    set_caption(b, "trip", keywords=["holiday", "Lisbon"])
    set_caption(c, "a nice day at the reading room", keywords=["sunset", "mobile"])  # everyday words
    fake_lib.ingest([tmp_path / "m"], workers=0)
    fake_lib.edit_metadata(str(a), {"city": "Leuven"})
    report = audit_geo(fake_lib.catalog)
    by_id = {f.asset_id: f for f in report.findings}
    sa = by_id[fake_lib.resolve(str(a))].extra["suggestion"]
    assert sa["from_field"] == "city" and "Leuven" in sa["place"]
    sb = by_id[fake_lib.resolve(str(b))].extra["suggestion"]
    assert sb["from_field"] == "keywords" and "Lisbon" in sb["place"]
    assert "suggestion" not in by_id[fake_lib.resolve(str(c))].extra


def test_gps_out_of_range_from_warnings(fake_lib, tmp_path):
    p = make_image(tmp_path / "o" / "far.jpg", "red", seed=9)
    set_gps(p, 95.0, 10.0)  # latitude beyond the pole
    fake_lib.ingest([tmp_path / "o"], workers=0)
    aid = fake_lib.resolve(str(p))
    assert "gps-out-of-range" in fake_lib.show(aid)["metadata"].get("warnings", [])
    report = audit_geo(fake_lib.catalog)
    assert report.kinds_for(aid) == {"gps-out-of-range"}
