"""Offline geography: point validation, distances and boxes, reverse geocoding against the real
GeoNames tables (about 1.3 s to load both, once per process), name and query resolution."""

from __future__ import annotations

import threading

import pytest

from mediaground.metadata import geo
from mediaground.metadata.geo import (
    Place,
    bbox_around,
    distances_km,
    find_place_in_query,
    haversine_km,
    in_bbox,
    parse_bbox,
    parse_point,
    proximity_score,
    resolve_place,
    reverse_geocode,
    valid_point,
)

LEUVEN = (50.87959, 4.70093)
BRUSSELS = (50.85045, 4.34878)


# ---------------------------------------------------------------- validation, distances, boxes


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


# ---------------------------------------------------------------- reverse geocoding (real table)


def test_reverse_geocode_real_places() -> None:
    leuven, sylt, arizona, null, bad, odense, donegal = reverse_geocode([
        (50.87153, 4.69698),
        # the EXIF sample read by test_metadata_read with an E reference: List on Sylt, by the
        # Danish border (Germany's northernmost point is 55.058 N on the same spit)
        (55.03876, 8.45719),
        (35.6, -111.66183),
        (0.0, 0.0),
        (95.0, 8.0),
        (55.4038, 10.4024),
        (55.03876, -8.457192),  # the same sample as the test reads it (W reference): Donegal
    ])
    assert isinstance(leuven, Place)
    assert (leuven.city, leuven.region, leuven.country, leuven.country_code) == ("Leuven", "Flanders", "Belgium", "BE")
    assert leuven.distance_km == pytest.approx(0.94, abs=0.05)
    assert leuven.text() == "Leuven, Flanders, Belgium"
    assert (sylt.city, sylt.country, sylt.country_code) == ("List", "Germany", "DE")
    assert (arizona.region, arizona.country, arizona.country_code) == ("Arizona", "United States", "US")
    assert arizona.distance_km < 60
    assert null is None and bad is None
    assert (odense.city, odense.country, odense.country_code) == ("Odense", "Denmark", "DK")
    assert (donegal.country, donegal.region) == ("Ireland", "Ulster")


def test_reverse_geocode_edge_cases() -> None:
    assert reverse_geocode([]) == []
    assert reverse_geocode([None, (float("nan"), 1.0), (1e-6, 1e-6)]) == [None, None, None]
    # near the antimeridian the nearest place can lie on the other side of it
    fiji = reverse_geocode([(-16.7, 179.99)])[0]
    assert fiji is not None and fiji.country_code == "FJ"
    mid_ocean = (-45.0, -130.0)
    assert reverse_geocode([mid_ocean])[0].distance_km > 1000
    assert reverse_geocode([mid_ocean], max_km=100) == [None]


def test_reverse_geocode_is_batched_in_order_and_thread_safe() -> None:
    points = [(50.87153, 4.69698), (41.85, -87.65), (47.4984, 19.0405)] * 50
    expected = [p.city for p in reverse_geocode(points)]
    assert expected[:3] == ["Leuven", "Chicago", "Budapest"]
    results: list[list[str | None]] = []

    def worker() -> None:
        results.append([p.city for p in reverse_geocode(points)])

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 4


def test_library_code_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    reverse_geocode([(50.87, 4.70)])
    resolve_place("Leuven")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


# ---------------------------------------------------------------- names -> places


@pytest.mark.parametrize("name,city,country,lat,lon", [
    ("leuven", "Leuven", "Belgium", 50.88, 4.70),
    ("LEUVEN", "Leuven", "Belgium", 50.88, 4.70),
    ("Louvain", "Leuven", "Belgium", 50.88, 4.70),  # alternate name
    ("Budapest", "Budapest", "Hungary", 47.50, 19.04),
    ("Chicago", "Chicago", "United States", 41.85, -87.65),
    ("sao paulo", "São Paulo", "Brazil", -23.55, -46.64),  # accent-insensitive
    ("Saint-Étienne", "Saint-Étienne", "France", 45.43, 4.39),
    ("lodz", "Łódź", "Poland", 51.77, 19.47),
    ("Springfield", "Springfield", "United States", 37.2, -93.3),  # most populous of many
    ("New York", "New York City", "United States", 40.71, -74.01),
    ("Washington", "Washington", "United States", 38.9, -77.04),  # D.C., not Washington, Utah
])
def test_resolve_place_cities(name, city, country, lat, lon) -> None:
    place = resolve_place(name)
    assert place is not None and place.kind == "city"
    assert (place.city, place.country) == (city, country)
    assert (place.lat, place.lon) == (pytest.approx(lat, abs=0.05), pytest.approx(lon, abs=0.05))
    assert place.population and place.population >= 15000
    assert place.distance_km is None


def test_resolve_place_region_of_a_city() -> None:
    assert resolve_place("leuven").region == "Flanders"
    assert resolve_place("Chicago").region == "Illinois"


@pytest.mark.parametrize("name,country,code,near", [
    ("Belgium", "Belgium", "BE", BRUSSELS),  # a country answers with its capital
    ("the Netherlands", "Netherlands", "NL", (52.37, 4.89)),
    ("USA", "United States", "US", (38.9, -77.04)),
    ("Georgia", "Georgia", "GE", (41.69, 44.83)),  # countries first
])
def test_resolve_place_countries(name, country, code, near) -> None:
    place = resolve_place(name)
    assert place is not None and place.kind == "country"
    assert (place.city, place.region, place.country, place.country_code) == (None, None, country, code)
    assert haversine_km((place.lat, place.lon), near) < 5


def test_resolve_place_regions() -> None:
    florida = resolve_place("Florida")  # the state, not the towns of that name in Cuba or Uruguay
    assert (florida.kind, florida.region, florida.country_code) == ("region", "Florida", "US")
    assert 25 < florida.lat < 31 and -87 < florida.lon < -80
    assert resolve_place("flanders").country == "Belgium"


@pytest.mark.parametrize("name", ["", "   ", "xyzzy qwerty", "12345"])
def test_resolve_place_unknown(name: str) -> None:
    assert resolve_place(name) is None


@pytest.mark.parametrize("query,matched,city,country", [
    ("photos taken in Leuven", "Leuven", "Leuven", "Belgium"),
    ("canal in leuven at night", "leuven", "Leuven", "Belgium"),  # lower case after "in"
    ("Budapest parliament", "Budapest", "Budapest", "Hungary"),  # capitalised
    ("pictures near chicago", "chicago", "Chicago", "United States"),
    ("sunset in Nice", "Nice", "Nice", "France"),  # an everyday word, but capitalised after "in"
    ("roman baths in Bath", "Bath", "Bath", "United Kingdom"),
    ("New York pizza", "New York", "New York City", "United States"),
    ("Rio de Janeiro carnival", "Rio de Janeiro", "Rio de Janeiro", "Brazil"),
    ("in Central London", "London", "London", "United Kingdom"),
    ("holiday in the Netherlands", "the Netherlands", None, "Netherlands"),
])
def test_find_place_in_query_positive(query, matched, city, country) -> None:
    found = find_place_in_query(query)
    assert found is not None, query
    place, text = found
    assert text == matched
    assert (place.city, place.country) == (city, country)
    assert text in query


@pytest.mark.parametrize("query", [
    "nice sunset",  # everyday words: not lower case,
    "Nice sunset over the sea",  # nor capitalised at the start,
    "Reading glasses on a table",
    "Mobile phone photos",
    "Bath time for the baby",
    "trip to Mobile",  # nor after a weak trigger
    "photos of Charlotte at the beach",  # a first name
    "photos from March 2020",  # months never
    "pictures in Spring",  # seasons never
    "chicago skyline",  # a place, but neither capitalised nor after a trigger
    "dog in the park",
    "picnic at Central Park",  # part of a longer name
    "New York Times",
    "a red car",
    "",
])
def test_find_place_in_query_negative(query: str) -> None:
    assert find_place_in_query(query) is None


def test_find_place_in_query_prefers_a_triggered_match() -> None:
    place, text = find_place_in_query("Paris style cafe in Leuven")
    assert (place.city, text) == ("Leuven", "Leuven")


def test_tables_load_once() -> None:
    resolve_place("Leuven")
    reverse, gazetteer = geo._reverse_table, geo._gazetteer
    assert reverse is not None and gazetteer is not None
    reverse_geocode([(50.87, 4.70)])
    resolve_place("Budapest")
    assert geo._reverse_table is reverse and geo._gazetteer is gazetteer
