"""Filters and places: which assets the filters admit, and the geo path that ranks located assets
by distance (from --near, from the centre of a --bbox, or from a place named in the query)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from mediaground.catalog import AssetFilter, Catalog
from mediaground.geo.gazetteer import find_place_in_query
from mediaground.geo.points import haversine_km, in_bbox
from mediaground.search.fuse import Candidate, Ranking
from mediaground.search.query import Query

PLACE_RADIUS_KM = 25.0  # a place named in a query boosts assets taken within this distance


@dataclass(frozen=True)
class Allowed:
    """What the filters admit: files (filters judge what a file says), and the assets they carry."""

    files: frozenset[int]
    assets: list[str]


def allowed_files(catalog: Catalog, q: Query) -> Allowed | None:
    """The files the filters admit (None: no filter). Date and exact filters run in the catalog."""
    if not q.has_filters:
        return None
    rows = catalog.files.filter(q.asset_filter())
    if q.bbox:
        rows = [r for r in rows if in_bbox((r[2], r[3]), q.bbox)]
    if q.near and q.radius_km is not None:
        rows = [r for r in rows if haversine_km(q.near, (r[2], r[3])) <= q.radius_km]
    return Allowed(frozenset(r[0] for r in rows), list(dict.fromkeys(r[1] for r in rows)))


def listing(catalog: Catalog, kinds: Sequence[str] | None, allowed: Allowed) -> Ranking:
    """Filters alone: the files they admit, newest first, one candidate per asset."""
    by_asset: dict[str, Candidate] = {}
    for file_id, asset_id, kind in catalog.files.newest_first(sorted(allowed.files)):
        if not kinds or kind in kinds:
            by_asset.setdefault(asset_id, Candidate(why=["filter"])).files.append(file_id)
    return list(by_asset.items())


def geo_path(catalog: Catalog, q: Query, allowed: Allowed | None) -> Ranking | None:
    """Located files by distance: from --near, or from a place named in the text query (resolved
    in the offline gazetteer), within PLACE_RADIUS_KM of it; one candidate per asset, its nearest
    file first."""
    centre, label, radius = q.near, "near", q.radius_km
    if not catalog.files.any_located():
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
    scored = []
    for file_id, asset_id, lat, lon in catalog.files.filter(AssetFilter(kind=q.kind, located=True)):
        if allowed is not None and file_id not in allowed.files:
            continue
        d = haversine_km(centre, (lat, lon))
        if radius is None or d <= radius:
            scored.append((d, asset_id, file_id))
    scored.sort()
    by_asset: dict[str, Candidate] = {}
    for d, asset_id, file_id in scored:
        by_asset.setdefault(asset_id, Candidate(why=[f"{label} ({d:.1f} km)"])).files.append(file_id)
    return list(by_asset.items())


def _bbox_centre(bbox: tuple[float, float, float, float]) -> tuple[float, float]:
    lat0, lon0, lat1, lon1 = bbox
    lon = (lon0 + lon1) / 2 if lon0 <= lon1 else ((lon0 + lon1 + 360) / 2 + 180) % 360 - 180  # across ±180°
    return (lat0 + lat1) / 2, lon
