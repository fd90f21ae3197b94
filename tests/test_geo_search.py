"""Places in search: a photo with only coordinates is found by the place's name, by --near with a
radius, and by a bounding box; null island and out-of-range coordinates are never trusted."""

from __future__ import annotations

import pytest

from conftest import make_image, set_gps





@pytest.fixture
def located(fake_lib, tmp_path):
    root = tmp_path / "geo"
    spots = {"leuven.jpg": (50.87153, 4.69698), "brussels.jpg": (50.8467, 4.3525),
             "budapest.jpg": (47.4979, 19.0402), "null.jpg": (0.0, 0.0)}
    for i, (name, (lat, lon)) in enumerate(spots.items()):
        set_gps(make_image(root / f"IMG_{i}.jpg", "green", seed=50 + i), lat, lon)
    make_image(root / "nowhere.jpg", "blue", seed=60)
    fake_lib.ingest([root], workers=0)
    return fake_lib, {name: fake_lib.resolve(str(root / f"IMG_{i}.jpg")) for i, name in enumerate(spots)}


def test_place_names_come_from_coordinates(located):
    lib, ids = located
    rec = lib.show(ids["leuven.jpg"])
    assert rec["metadata"]["geo_place"]["city"] == "Leuven"
    assert rec["metadata"]["geo_place"]["country"] == "Belgium"
    assert "geo_place" not in lib.show(ids["null.jpg"])["metadata"]  # null island is not trusted
    top = lib.search("photos taken in Leuven", limit=3)[0]
    assert top.asset_id == ids["leuven.jpg"]
    assert "text:place" in top.why and any(w.startswith("place:Leuven") for w in top.why)


def test_near_radius_and_bbox(located):
    lib, ids = located
    near = lib.search(near=(50.88, 4.70), radius_km=40, limit=10)
    assert [r.asset_id for r in near] == [ids["leuven.jpg"], ids["brussels.jpg"]]  # nearest first
    assert near[0].why[0].startswith("near (")
    assert [r.asset_id for r in lib.search(near=(50.88, 4.70), radius_km=5)] == [ids["leuven.jpg"]]
    box = lib.search(bbox=(45.0, 15.0, 50.0, 25.0))
    assert [r.asset_id for r in box] == [ids["budapest.jpg"]]
    assert ids["null.jpg"] not in [r.asset_id for r in lib.search(near=(0.0, 0.0), radius_km=100)]


def test_cli_near_parses_and_rejects(located):
    from click.testing import CliRunner

    from mediaground.cli import main

    lib, ids = located
    r = CliRunner().invoke(main, ["search", "--near", "47.5,19.04", "--radius-km", "10", "--library", str(lib.root),
                                  "--json"])
    assert r.exit_code == 0, r.output
    assert '"' + ids["budapest.jpg"] + '"' in r.output
    r = CliRunner().invoke(main, ["search", "--near", "95,4", "--library", str(lib.root)])
    assert r.exit_code == 2 and "latitude 95" in r.output


def test_exact_filters(located, tmp_path):
    lib, ids = located
    root = tmp_path / "geo"
    lib.edit_metadata(str(root / "IMG_0.jpg"), {"creator": "Pete Souza", "keywords": "harbour,boats",
                                               "license_url": "https://creativecommons.org/licenses/by/4.0/"})
    lib.edit_metadata(str(root / "IMG_2.jpg"), {"creator": "Ana Núñez", "keywords": "bridge"})
    assert [r.asset_id for r in lib.search(creator="pete souza")] == [ids["leuven.jpg"]]
    assert [r.asset_id for r in lib.search("green", creator="Ana Núñez")] == [ids["budapest.jpg"]]
    assert [r.asset_id for r in lib.search(keyword="Boats")] == [ids["leuven.jpg"]]
    assert [r.asset_id for r in lib.search(license="licenses/by/")] == [ids["leuven.jpg"]]
    with_gps = {r.asset_id for r in lib.search(has_gps=True, limit=20)}
    assert with_gps == {ids["leuven.jpg"], ids["brussels.jpg"], ids["budapest.jpg"]}  # not null island
    assert ids["null.jpg"] in {r.asset_id for r in lib.search(has_gps=False, limit=20)}
    # "photos by Pete Souza": the By-line/dc:creator ranks first
    assert lib.search("photos by Pete Souza", limit=3)[0].asset_id == ids["leuven.jpg"]
