"""Points and boxes: validation, great-circle distances, bounding boxes, proximity, parsing
--near / --bbox."""

from __future__ import annotations

import math

import pytest

from mediaground.geo.points import (
    EARTH_RADIUS_KM,
    bbox_around,
    distances_km,
    haversine_km,
    in_bbox,
    parse_bbox,
    parse_point,
    proximity_score,
    unit_vectors,
    valid_point,
)

LEUVEN = (50.87959, 4.70093)
BRUSSELS = (50.85045, 4.34878)


@pytest.mark.parametrize("lat,lon,tag", [
    (50.87, 4.70, None),
    (-90, 180, None),
    (0.0, 12.5, None),  # the equator is fine; only (0, 0) is the placeholder
    (0, 0, "gps-null-island"),
    (0.00001, -0.00002, "gps-null-island"),
    (91, 0, "gps-out-of-range"),
    (0, -180.5, "gps-out-of-range"),
    (float("nan"), 4.7, "gps-out-of-range"),
    (float("inf"), 4.7, "gps-out-of-range"),
    (None, 4.7, "gps-unparsable"),
    ("north", 4.7, "gps-unparsable"),
    (True, 4.7, "gps-unparsable"),
])
def test_valid_point(lat, lon, tag) -> None:
    assert valid_point(lat, lon) == tag


def test_haversine_leuven_brussels() -> None:
    assert haversine_km(LEUVEN, BRUSSELS) == pytest.approx(25.0, abs=1.0)
    assert haversine_km(LEUVEN, LEUVEN) == 0.0
    assert haversine_km((0, 179.5), (0, -179.5)) == pytest.approx(111.2, abs=0.5)  # across the antimeridian
    assert haversine_km((90, 0), (-90, 0)) == pytest.approx(20015, abs=5)


def test_distances_km_matches_haversine() -> None:
    points = [BRUSSELS, (35.6, -111.66183), (-33.86, 151.2)]
    out = distances_km(LEUVEN, [p[0] for p in points], [p[1] for p in points])
    assert out.tolist() == pytest.approx([haversine_km(LEUVEN, p) for p in points])


def test_in_bbox_plain_and_antimeridian() -> None:
    belgium = (49.5, 2.5, 51.5, 6.4)
    assert in_bbox(LEUVEN, belgium)
    assert in_bbox((49.5, 2.5), belgium)  # edges count
    assert not in_bbox((52.37, 4.89), belgium)  # Amsterdam: too far north
    assert not in_bbox((50.9, 7.0), belgium)  # Cologne: too far east
    fiji = (-20.0, 170.0, -15.0, -175.0)  # crosses the antimeridian
    assert in_bbox((-18.1, 178.4), fiji)
    assert in_bbox((-17.0, -179.9), fiji)
    assert in_bbox((-17.0, 180.0), fiji) and in_bbox((-17.0, -180.0), fiji)
    assert not in_bbox((-17.0, 0.0), fiji)
    assert not in_bbox((-17.0, 160.0), fiji)
    assert not in_bbox((-10.0, 178.4), fiji)


def test_bbox_around_holds_the_circle() -> None:
    box = bbox_around(LEUVEN, 30)
    assert in_bbox(BRUSSELS, box)
    assert not in_bbox((52.37, 4.89), box)
    min_lat, min_lon, max_lat, max_lon = bbox_around((0.0, 179.9), 50)  # wraps the antimeridian
    assert min_lon > max_lon and in_bbox((0.0, -179.8), (min_lat, min_lon, max_lat, max_lon))
    assert bbox_around((89.9, 10.0), 50)[1:4:2] == (-180.0, 180.0)  # reaches the pole: all longitudes
    with pytest.raises(ValueError):
        bbox_around(LEUVEN, -1)


def test_proximity_score() -> None:
    assert proximity_score(0, 10) == 1.0
    assert proximity_score(10, 10) == pytest.approx(0.5)
    assert proximity_score(5, 10) > proximity_score(20, 10) > 0
    with pytest.raises(ValueError):
        proximity_score(1, 0)


def test_parse_point() -> None:
    assert parse_point("50.87,4.70") == (50.87, 4.70)
    assert parse_point(" -33.86 , 151.2 ") == (-33.86, 151.2)
    assert parse_point("50.87 4.70") == (50.87, 4.70)
    assert parse_point("+50,-4") == (50.0, -4.0)


@pytest.mark.parametrize("text,needle", [
    ("", "expected 2"),
    ("50.87", "expected 2"),
    ("50.87,4.70,3", "expected 2"),
    ("leuven", "expected 2"),
    ("50.87,east", "expected 2"),
    ("nan,4.7", "expected 2"),
    ("95,4.7", "latitude 95"),
    ("4.7,195", "longitude 195"),
])
def test_parse_point_errors(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle) as err:
        parse_point(text)
    assert repr(text) in str(err.value)  # the message quotes the input


def test_parse_bbox() -> None:
    assert parse_bbox("50.7,4.5,51.0,4.9") == (50.7, 4.5, 51.0, 4.9)
    assert parse_bbox("-20, 170, -15, -175") == (-20.0, 170.0, -15.0, -175.0)  # antimeridian is fine


@pytest.mark.parametrize("text,needle", [
    ("50.7,4.5,51.0", "expected 4"),
    ("a,b,c,d", "expected 4"),
    ("51.0,4.5,50.7,4.9", "min latitude 51 is above max latitude 50.7"),
    ("-95,4.5,51.0,4.9", "latitude -95"),
    ("50.7,4.5,51.0,190", "longitude 190"),
])
def test_parse_bbox_errors(text: str, needle: str) -> None:
    with pytest.raises(ValueError, match=needle):
        parse_bbox(text)



def test_unit_vectors_chord_matches_great_circle() -> None:
    points = [LEUVEN, BRUSSELS, (-16.7, 179.99), (-16.7, -179.99), (89.9, 10.0), (-89.9, -170.0)]
    vec = unit_vectors([p[0] for p in points], [p[1] for p in points])
    assert vec.shape == (len(points), 3)
    assert (vec ** 2).sum(axis=1).tolist() == pytest.approx([1.0] * len(points))
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            chord = math.dist(vec[i].tolist(), vec[j].tolist())
            assert 2 * EARTH_RADIUS_KM * math.asin(min(1.0, chord / 2)) == pytest.approx(haversine_km(a, b), abs=1e-6)
