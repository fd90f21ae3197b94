"""Names -> places against the real GeoNames tables (about 1.3 s to load with the reverse table,
once per process): names typed by a user, and the place named in a free-text query."""

from __future__ import annotations

import pytest

from mediaground.geo import gazetteer, reverse
from mediaground.geo.gazetteer import find_place_in_query, resolve_place
from mediaground.geo.points import haversine_km
from mediaground.geo.reverse import reverse_geocode

BRUSSELS = (50.85045, 4.34878)


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
    table, index = reverse._table.value, gazetteer._gazetteer.value
    assert table is not None and index is not None
    reverse_geocode([(50.87, 4.70)])
    resolve_place("Budapest")
    assert reverse._table.value is table and gazetteer._gazetteer.value is index
