"""Filters and places: which assets the filters admit, and the geo path that ranks located assets
by distance (from --near, from the centre of a --bbox, or from a place named in the query)."""

from __future__ import annotations

from typing import Sequence

from mediaground.catalog import Catalog
from mediaground.geo.gazetteer import find_place_in_query
from mediaground.geo.points import haversine_km, in_bbox
from mediaground.search.fuse import Candidate, Ranking
from mediaground.search.query import Query

PLACE_RADIUS_KM = 25.0  # a place named in a query boosts assets taken within this distance


def allowed_assets(catalog: Catalog, q: Query) -> list[str] | None:
    """The assets the filters admit (None: no filter). Date and exact filters run in the catalog."""
    if not q.has_filters:
        return None
    rows = catalog.assets.filter(q.asset_filter())
    if q.bbox:
        rows = [r for r in rows if in_bbox((r[1], r[2]), q.bbox)]
    if q.near and q.radius_km is not None:
        rows = [r for r in rows if haversine_km(q.near, (r[1], r[2])) <= q.radius_km]
    return [r[0] for r in rows]


def listing(catalog: Catalog, kinds: Sequence[str] | None, allowed: Sequence[str]) -> Ranking:
    """Filters alone: what they admit, newest first."""
    rows = catalog.assets.newest_first(allowed) if allowed else []
    return [(a, Candidate(why=["filter"])) for a, kind in rows if not kinds or kind in kinds]


def geo_path(catalog: Catalog, q: Query, kinds: Sequence[str] | None, allowed: Sequence[str] | None) -> Ranking | None:
    """Located assets by distance: from --near, or from a place named in the text query (resolved
    in the offline gazetteer), within PLACE_RADIUS_KM of it."""
    centre, label, radius = q.near, "near", q.radius_km
    if not catalog.assets.any_located():
        return None  # nothing located: don't load the gazetteer
    if centre is None and q.text:
        found = find_place_in_query(q.text)
        if found is None:
            return None
        place, matched = found
        centre, label, radius = (place.lat, place.lon), f"place:{matched}", PLACE_RADIUS_KM
    if centre is None and q.bbox and not (q.text or q.image or q.audio or q.asset):
        centre, label = _bbox_centre(q.bbox), "in-bbox"  # a box alone: everything inside it, from its centre out
    if centre is None:
        return None
    allowed_set = set(allowed) if allowed is not None else None
    scored = []
    for asset_id, lat, lon in catalog.assets.located(kinds):
        if allowed_set is not None and asset_id not in allowed_set:
            continue
        d = haversine_km(centre, (lat, lon))
        if radius is None or d <= radius:
            scored.append((d, asset_id))
    scored.sort()
    return [(a, Candidate(why=[f"{label} ({d:.1f} km)"])) for d, a in scored]


def _bbox_centre(bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    lat0, lon0, lat1, lon1 = bbox
    lon = (lon0 + lon1) / 2 if lon0 <= lon1 else ((lon0 + lon1 + 360) / 2 + 180) % 360 - 180  # across ±180°
    return (lat0 + lat1) / 2, lon
