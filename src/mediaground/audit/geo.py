"""Geo audit: how much of the library has trustworthy GPS, what is wrong, and what could be filled in.

Trusted GPS is what search relies on (`assets.lat/lon`): in range and not the 0,0 placeholder.
Assets without it get a *suggestion* when a place name in their place tags, caption, title or
keywords resolves in the offline gazetteer; a person accepts it (e.g. with `mediaground meta set ID --set
gps=LAT,LON`); nothing is written here.
"""

from __future__ import annotations

import os
import shlex
from typing import Any

from mediaground.audit.findings import Finding, Report, count_by_kind
from mediaground.catalog import Catalog
from mediaground.geo.gazetteer import find_place_in_query, resolve_place
from mediaground.geo.place import Place
from mediaground.geo.points import valid_point

DEFAULT_KINDS = ("image", "video")


def suggest_place(md: dict[str, Any]) -> tuple[Place, str, str] | None:
    """(place, the words that named it, which field) from the record's text, or None.

    Place tags (city, location) are names by definition and resolve as they are; free text
    (caption, title, keywords, extended description) goes through the query parser, which wants a
    capitalised name or "in/at/near ..." so everyday words are not mistaken for towns. Region and
    country tags come last: they only locate the asset coarsely.
    """
    for key in ("city", "location"):
        value = md.get(key)
        if isinstance(value, str) and value.strip():
            place = resolve_place(value)
            if place is not None:
                return place, value.strip(), key
            found = find_place_in_query(value)
            if found is not None:
                return found[0], found[1], key
    texts: list[tuple[str, str]] = []
    for key in ("caption", "title", "extended_description"):
        if isinstance(md.get(key), str):
            texts.append((key, md[key]))
    texts.extend(("keywords", k) for k in md.get("keywords") or [] if isinstance(k, str))
    for key, text in texts:
        found = find_place_in_query(text)
        if found is not None:
            return found[0], found[1], key
    for key in ("state", "country"):
        value = md.get(key)
        if isinstance(value, str) and value.strip():
            place = resolve_place(value)
            if place is not None:
                return place, value.strip(), key
    return None


def _gps_problem(md: dict[str, Any]) -> tuple[str | None, str]:
    """(kind or None, detail) for the record's GPS: null island, out of range, unparsable."""
    lat, lon = md.get("gps_lat"), md.get("gps_lon")
    warnings = [w for w in md.get("warnings") or [] if isinstance(w, str)]
    if lat is not None and lon is not None:
        problem = valid_point(lat, lon)
        if problem == "gps-null-island":
            return problem, f"GPS is {lat},{lon} (\"null island\"): a placeholder written without a fix, not a place"
        if problem == "gps-out-of-range":
            return problem, f"GPS {lat},{lon} is outside -90..90 / -180..180"
        if problem == "gps-unparsable":
            return problem, f"GPS {lat!r},{lon!r} is not a pair of numbers"
    for w in warnings:
        if w.startswith("gps-null-island"):
            return "gps-null-island", "GPS is 0,0 (\"null island\"): a placeholder written without a fix, not a place"
    for w in warnings:
        if w.startswith("gps-out-of-range"):
            return "gps-out-of-range", "the file's GPS coordinates are outside -90..90 / -180..180 (ignored)"
    for w in warnings:
        if w.startswith("gps-unparsable"):
            return "gps-unparsable", f"the file's GPS tags could not be read: {w.partition(':')[2].strip() or w}"
    return None, ""


def audit_geo(catalog: Catalog, kinds: tuple[str, ...] | None = DEFAULT_KINDS, suggest: bool = True) -> Report:
    """Share of assets with trusted GPS (overall and per folder), GPS problems, and suggestions.

    Kinds and severities: ``gps-out-of-range`` 0.8, ``gps-unparsable`` 0.75, ``gps-null-island`` 0.7
    (wrong data is worse than none); ``missing-gps`` 0.4 with a suggestion (actionable), 0.2 without.
    A suggestion is also added to the detail of a bad-GPS finding. `kinds` None audits every asset.
    """
    findings: list[Finding] = []
    folders: dict[str, dict[str, Any]] = {}
    trusted_total = suggested = assets = 0
    for file in catalog.files.iter(kinds):  # each file says its own place
        assets += 1
        asset_id, md, path = file.asset_id, file.metadata, file.path
        folder = os.path.dirname(path) if path else "(no file)"
        stats = folders.setdefault(folder, {"assets": 0, "with_gps": 0})
        stats["assets"] += 1
        trusted = file.lat is not None and file.lon is not None and valid_point(file.lat, file.lon) is None
        if trusted:
            trusted_total += 1
            stats["with_gps"] += 1
            continue
        problem, detail = _gps_problem(md)
        extra: dict[str, Any] = {}
        hint = suggest_place(md) if suggest else None
        if hint is not None:
            place, words, field = hint
            suggested += 1
            extra["suggestion"] = {"lat": place.lat, "lon": place.lon, "place": place.text(),
                                   "place_kind": place.kind, "from_field": field, "matched": words}
            tip = (f"suggested location: {place.text()} at {place.lat:.5f},{place.lon:.5f} "
                   f"(a {place.kind}, from {words!r} in the {field}); check it, then "
                   f"`mediaground meta set {shlex.quote(path) if path else asset_id} "
                   f"--set gps={place.lat:.5f},{place.lon:.5f}`")
        if problem is not None:
            severity = {"gps-out-of-range": 0.8, "gps-unparsable": 0.75}.get(problem, 0.7)
            findings.append(Finding(asset_id, path, problem, detail + (f"; {tip}" if hint else ""),
                                    severity, extra=extra, file_id=file.file_id))
        elif hint is not None:
            findings.append(Finding(asset_id, path, "missing-gps", f"no GPS; {tip}", 0.4, extra=extra,
                                    file_id=file.file_id))
        else:
            findings.append(Finding(asset_id, path, "missing-gps",
                                    "no GPS, and no place name in its tags, caption or keywords", 0.2,
                                    file_id=file.file_id))
    for stats in folders.values():
        stats["share"] = round(stats["with_gps"] / stats["assets"], 4) if stats["assets"] else 0.0
    counts = count_by_kind(findings)
    summary = {"assets": assets, "with_gps": trusted_total,
               "share_with_gps": round(trusted_total / assets, 4) if assets else 0.0,
               "suggestions": suggested, "findings_by_kind": counts,
               "by_folder": dict(sorted(folders.items(), key=lambda kv: (kv[1]["share"], kv[0])))}
    return Report("geo", findings, summary)
