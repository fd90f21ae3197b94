"""(lat, lon) points in decimal degrees, and boxes of them: validation, great-circle distances,
bounding boxes, a distance boost for ranking, and parsing the ``--near`` / ``--bbox`` text.

Pure Python on the sphere (IUGG mean radius); importing this module loads no data and does not
import numpy (only :func:`distances_km` and :func:`unit_vectors` use it, for arrays).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

__all__ = [
    "EARTH_RADIUS_KM",
    "Point",
    "BBox",
    "valid_point",
    "haversine_km",
    "distances_km",
    "unit_vectors",
    "in_bbox",
    "bbox_around",
    "proximity_score",
    "parse_point",
    "parse_bbox",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

# Points this close to (0, 0) are the "null island" placeholder some cameras and apps write when
# they have no fix; the nearest land is ~600 km away, so nothing real is lost (~11 m).
_NULL_ISLAND_DEG = 1e-4

Point = tuple[float, float]
BBox = tuple[float, float, float, float]


def valid_point(lat: Any, lon: Any) -> str | None:
    """None when (lat, lon) is a usable coordinate, else the problem's tag.

    "gps-unparsable" (not numbers), "gps-out-of-range" (not finite, or outside +-90 / +-180),
    "gps-null-island" (within ~11 m of 0, 0: a placeholder, not a fix).
    """
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError("bool")
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return "gps-unparsable"
    if not (math.isfinite(la) and math.isfinite(lo) and -90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
        return "gps-out-of-range"
    if abs(la) < _NULL_ISLAND_DEG and abs(lo) < _NULL_ISLAND_DEG:
        return "gps-null-island"
    return None


def haversine_km(a: Sequence[float], b: Sequence[float]) -> float:
    """Great-circle distance in km between two (lat, lon) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distances_km(point: Sequence[float], lats: Any, lons: Any) -> Any:
    """Vectorised :func:`haversine_km` from one point to arrays of lats/lons (numpy array out)."""
    import numpy as np  # deferred: importing this module must not import numpy

    lat1, lon1 = math.radians(point[0]), math.radians(point[1])
    lat2 = np.radians(np.asarray(lats, dtype=np.float64))
    lon2 = np.radians(np.asarray(lons, dtype=np.float64))
    h = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def unit_vectors(lats: Any, lons: Any) -> Any:
    """(n, 3) numpy array of the points on the unit sphere: the straight-line (chord) distance
    between two of them grows with the great-circle distance, so a k-d tree over them finds
    great-circle nearest neighbours (no special case at the poles or the antimeridian)."""
    import numpy as np  # deferred: importing this module must not import numpy

    la = np.radians(np.asarray(lats, dtype=np.float64))
    lo = np.radians(np.asarray(lons, dtype=np.float64))
    cos_la = np.cos(la)
    return np.column_stack((cos_la * np.cos(lo), cos_la * np.sin(lo), np.sin(la)))


def in_bbox(point: Sequence[float], bbox: Sequence[float]) -> bool:
    """Is (lat, lon) inside (min_lat, min_lon, max_lat, max_lon), edges included?

    A box with min_lon > max_lon crosses the antimeridian: (-20, 170, 20, -170) holds
    longitudes 170..180 and -180..-170.
    """
    lat, lon = point[0], point[1]
    min_lat, min_lon, max_lat, max_lon = bbox
    if not (min_lat <= lat <= max_lat):
        return False
    if min_lon <= max_lon:
        return min_lon <= lon <= max_lon
    return lon >= min_lon or lon <= max_lon


def bbox_around(point: Sequence[float], radius_km: float) -> BBox:
    """A (min_lat, min_lon, max_lat, max_lon) box that holds every point within radius_km.

    For a cheap pre-filter before :func:`haversine_km`; may cross the antimeridian (min_lon >
    max_lon), and spans all longitudes when the circle reaches a pole.
    """
    lat, lon = float(point[0]), float(point[1])
    if radius_km < 0:
        raise ValueError(f"radius must be >= 0 km, got {radius_km}")
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90 or dlat >= 90:
        return (max(min_lat, -90.0), -180.0, min(max_lat, 90.0), 180.0)
    # widest longitude span of the circle (at the latitude where it is tangent to a meridian)
    s = math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(lat))
    if s >= 1:
        return (min_lat, -180.0, max_lat, 180.0)
    dlon = math.degrees(math.asin(s))
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180:
        min_lon += 360
    if max_lon > 180:
        max_lon -= 360
    return (min_lat, min_lon, max_lat, max_lon)


def proximity_score(distance_km: float, scale_km: float) -> float:
    """A distance boost in (0, 1]: 1 at the point, 0.5 at scale_km, falling smoothly beyond."""
    if scale_km <= 0:
        raise ValueError(f"scale must be > 0 km, got {scale_km}")
    return 1.0 / (1.0 + (max(0.0, distance_km) / scale_km) ** 2)


_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"


def _parse_numbers(text: str, count: int, what: str, example: str) -> list[float]:
    if not isinstance(text, str):
        raise ValueError(f"invalid {what} {text!r}: expected a string like {example!r}")
    parts = [p for p in re.split(r"\s*[,;]\s*|\s+", text.strip()) if p]
    if len(parts) != count or not all(re.fullmatch(_NUM, p) for p in parts):
        raise ValueError(f"invalid {what} {text!r}: expected {count} comma-separated numbers "
                         f"in decimal degrees, e.g. {example!r}")
    return [float(p) for p in parts]


def _check_lat_lon(lat: float, lon: float, text: str, what: str) -> None:
    if not -90 <= lat <= 90:
        raise ValueError(f"invalid {what} {text!r}: latitude {lat:g} is outside -90..90 (is it LAT,LON?)")
    if not -180 <= lon <= 180:
        raise ValueError(f"invalid {what} {text!r}: longitude {lon:g} is outside -180..180")


def parse_point(text: str) -> Point:
    """"50.87,4.70" (also "50.87, 4.70" or "50.87 4.70") -> (50.87, 4.7); ValueError if malformed."""
    lat, lon = _parse_numbers(text, 2, "point", "50.87,4.70")
    _check_lat_lon(lat, lon, text, "point")
    return (lat, lon)


def parse_bbox(text: str) -> BBox:
    """"minlat,minlon,maxlat,maxlon" -> a tuple; ValueError if malformed.

    min_lon > max_lon is allowed and means the box crosses the antimeridian; min_lat > max_lat
    is an error.
    """
    example = "50.7,4.5,51.0,4.9"
    min_lat, min_lon, max_lat, max_lon = _parse_numbers(text, 4, "bounding box", example)
    _check_lat_lon(min_lat, min_lon, text, "bounding box")
    _check_lat_lon(max_lat, max_lon, text, "bounding box")
    if min_lat > max_lat:
        raise ValueError(f"invalid bounding box {text!r}: min latitude {min_lat:g} is above max latitude {max_lat:g} "
                         "(expected minlat,minlon,maxlat,maxlon)")
    return (min_lat, min_lon, max_lat, max_lon)
