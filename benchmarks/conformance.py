#!/usr/bin/env python
"""Metadata conformance: our `read_metadata` against ExifTool, field by field, on a folder of files.

    PYTHONPATH=src .venv/bin/python benchmarks/conformance.py FOLDER [--json] [--files a.jpg,b.tif]

Not a test and not a timing: it counts, for one run on one folder, how often our normalized record
says what ExifTool (`exiftool -j -G1 -n`, the independent reference) says. For every file in FOLDER
(not recursive; MANIFEST/README files skipped) it sniffs the content (`mediaground.media.sniff`), reads
it with `read_metadata(path, fmt, kind)` and compares every field of the record that has a tag
mapping (`IMAGE_FIELDS` / `MEDIA_FIELDS` below, docs/metadata-mapping.md in ExifTool's tag names)
with the value ExifTool reports:

* agree     both have a value and they are equal after normalization (whitespace, ISO dates to
            whole seconds, numbers within a tolerance, keyword sets);
* disagree  both have a value and they differ (each one is listed);
* missed    ExifTool has a value, we have none;
* extra     we have a value, ExifTool has none;
* unread    the file is not media to our sniffer, or `read_metadata` could not open it
            (a `metadata-unreadable` / `metadata-error` warning): its fields are not counted.

Where ExifTool shows the same field in several tags, the reference is the one the Metadata Working
Group guidance prefers, as ExifTool's MWG module (`-use MWG`) derives it, written out here:
EXIF first for description/creator/copyright/date; then XMP against IPTC IIM decided by the
Photoshop IPTC digest (XMP when there is no IIM, no stored digest, or a digest that matches the
IIM; IIM when the stored digest does not match); IIM only from its standard location (group "IPTC",
not "IPTC2" in a trailer, as MWG's strict mode). The last line with --json is the whole report as JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediaground.media.sniff import sniff
from mediaground.metadata.read import read_metadata

SKIP = {"MANIFEST.tsv", "README.md", "README"}


# ---------------------------------------------------------------- the mapping, in ExifTool tag names


@dataclass(frozen=True)
class Digest:
    """MWG: the XMP value (first of `xmp` present) unless the IIM is out of sync with it."""

    xmp: tuple[str, ...]
    iptc: str


def D(xmp: str | tuple[str, ...], iptc: str) -> Digest:
    return Digest((xmp,) if isinstance(xmp, str) else xmp, iptc)


DATE_ORIGINAL = "date:original"  # MWG DateTimeOriginal
DATE_CREATE = "date:create"  # MWG CreateDate
LOC_SHOWN = "XMP-iptcExt:LocationShown"
LOC_CREATED = "XMP-iptcExt:LocationCreated"

# Each field: steps in precedence order; a step is a tag ("Group:Name"), a Digest, or a date rule.
IMAGE_FIELDS: dict[str, list[Any]] = {
    "title": [D("XMP-dc:Title", "IPTC:ObjectName"), "IFD0:XPTitle"],
    "caption": ["IFD0:ImageDescription", D("XMP-dc:Description", "IPTC:Caption-Abstract")],
    "headline": [D("XMP-photoshop:Headline", "IPTC:Headline")],
    "source": [D("XMP-photoshop:Source", "IPTC:Source")],
    "alt_text": ["XMP-iptcCore:AltTextAccessibility"],
    "extended_description": ["XMP-iptcCore:ExtDescrAccessibility"],
    "keywords": [D("XMP-dc:Subject", "IPTC:Keywords"), "IFD0:XPKeywords"],
    "creator": ["IFD0:Artist", D("XMP-dc:Creator", "IPTC:By-line"), "IFD0:XPAuthor"],
    "credit": [D("XMP-photoshop:Credit", "IPTC:Credit")],
    "copyright": ["IFD0:Copyright", D("XMP-dc:Rights", "IPTC:CopyrightNotice")],
    "license_url": ["XMP-xmpRights:WebStatement", "XMP-cc:License"],
    "licensor_url": ["XMP-plus:LicensorURL"],
    "licensor_name": ["XMP-plus:LicensorName"],
    "date_created": [DATE_ORIGINAL, DATE_CREATE],
    "camera_make": ["IFD0:Make", "XMP-tiff:Make"],
    "camera_model": ["IFD0:Model", "XMP-tiff:Model"],
    "lens": ["ExifIFD:LensModel", "XMP-exifEX:LensModel", "XMP-aux:Lens"],
    "orientation": ["IFD0:Orientation", "XMP-tiff:Orientation"],
    "width": ["Composite:ImageSize"],
    "height": ["Composite:ImageSize"],
    "gps_lat": ["Composite:GPSLatitude"],
    "gps_lon": ["Composite:GPSLongitude"],
    "gps_alt": ["Composite:GPSAltitude", "GPS:GPSAltitude"],  # the composite needs GPSAltitudeRef
    "city": [D(("XMP-iptcExt:LocationShownCity", "XMP-photoshop:City"), "IPTC:City")],
    "state": [D(("XMP-iptcExt:LocationShownProvinceState", "XMP-photoshop:State"), "IPTC:Province-State")],
    "country": [D(("XMP-iptcExt:LocationShownCountryName", "XMP-photoshop:Country"),
                  "IPTC:Country-PrimaryLocationName")],
    "country_code": [D(("XMP-iptcExt:LocationShownCountryCode", "XMP-iptcCore:CountryCode"),
                       "IPTC:Country-PrimaryLocationCode")],
    "location": [D(("XMP-iptcExt:LocationShownSublocation", "XMP-iptcCore:Location"), "IPTC:Sub-location")],
    "location_created": [LOC_CREATED],
    "location_shown": [LOC_SHOWN],
    "comment": ["ExifIFD:UserComment", "IFD0:XPComment"],
}

# Audio and video: the container's own tag groups, in the order our reader prefers them.
_MEDIA_GROUPS = ("ID3v2_4", "ID3v2_3", "ID3v2_2", "Vorbis", "ItemList", "UserData", "Keys", "APE", "RIFF",
                 "AIFF", "Matroska", "QuickTime", "ID3v1")


def _groups(*names: str) -> list[str]:
    return [f"{g}:{n}" for n in names for g in _MEDIA_GROUPS]


MEDIA_FIELDS: dict[str, list[Any]] = {
    "title": _groups("Title", "Name"),
    "artist": _groups("Artist", "Author"),
    "album": _groups("Album"),
    "genre": _groups("Genre"),
    "comment": _groups("Comment"),
    "copyright": _groups("Copyright"),
    "isrc": _groups("ISRC"),
    "bpm": _groups("BeatsPerMinute", "BPM"),
    "track": _groups("Track", "TrackNumber"),
    "year": _groups("RecordingTime", "Year", "Date", "DateCreated", "ContentCreateDate", "DateTimeOriginal"),
    "date_created": _groups("RecordingTime", "Year", "Date", "DateCreated", "ContentCreateDate", "DateTimeOriginal"),
    "duration": ["Composite:Duration", "QuickTime:Duration", "Matroska:Duration"],
    "gps_lat": ["Composite:GPSLatitude"],
    "gps_lon": ["Composite:GPSLongitude"],
}

# Keys of our location dicts and ExifTool's IPTC Extension LocationDetails structure fields.
LOCATION_KEYS = {"sublocation": "Sublocation", "city": "City", "state": "ProvinceState",
                 "country": "CountryName", "country_code": "CountryCode", "world_region": "WorldRegion",
                 "name": "LocationName", "gps_lat": "GPSLatitude", "gps_lon": "GPSLongitude",
                 "gps_alt": "GPSAltitude"}


# ---------------------------------------------------------------- ExifTool


def exiftool(paths: list[Path]) -> dict[str, dict[str, Any]]:
    """ExifTool's view of every file: the flat tags, plus the two location structures unflattened."""
    exe = shutil.which("exiftool")
    if exe is None:
        sys.exit("conformance.py needs ExifTool (exiftool) on PATH")
    out: dict[str, dict[str, Any]] = {str(p): {} for p in paths}
    calls = (["-j", "-G1", "-n"], ["-j", "-G1", "-n", "-struct", "-" + LOC_SHOWN, "-" + LOC_CREATED])
    for args in calls:
        proc = subprocess.run([exe, *args, "-charset", "filename=utf8", *map(str, paths)],
                              capture_output=True, text=True, check=False)
        for item in json.loads(proc.stdout or "[]"):
            out.setdefault(item["SourceFile"], {}).update(item)
    return out


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip()) and not value.startswith("(Binary data")
    if isinstance(value, (list, dict)):
        return bool(value)
    return True


def _mwg_date(et: dict[str, Any], exif: str, sub: str, off: str, iptc_date: str, iptc_time: str,
              xmp: str) -> tuple[Any, str] | None:
    """ExifTool MWG DateTimeOriginal / CreateDate: EXIF (+ subseconds, offset), then XMP vs IIM by digest."""
    value = et.get(exif)
    if _present(value) and not re.fullmatch(r"[: ]*", str(value)):
        if _present(et.get(off)):
            value = f"{value}{et[off]}"
        return value, exif
    pick = _digest_pick(et, Digest((xmp,), iptc_date))
    if pick and pick[1] == iptc_date:
        t = et.get(iptc_time)
        return (f"{pick[0]} {t}" if _present(t) else pick[0]), iptc_date
    return pick


def _digest_pick(et: dict[str, Any], step: Digest) -> tuple[Any, str] | None:
    xmp_tag = next((t for t in step.xmp if _present(et.get(t))), None)
    current, stored = et.get("File:CurrentIPTCDigest"), et.get("Photoshop:IPTCDigest")
    if xmp_tag and (current is None or stored is None or current == stored):
        return et[xmp_tag], xmp_tag
    if _present(et.get(step.iptc)):
        return et[step.iptc], step.iptc
    return None  # a stale XMP value does not come back when the edited IIM lacks the field


def reference(et: dict[str, Any], steps: list[Any]) -> tuple[Any, str] | None:
    """ExifTool's value for one field (value, tag), or None."""
    for step in steps:
        if isinstance(step, Digest):
            found = _digest_pick(et, step)
        elif step == DATE_ORIGINAL:
            found = _mwg_date(et, "ExifIFD:DateTimeOriginal", "ExifIFD:SubSecTimeOriginal", "ExifIFD:OffsetTimeOriginal",
                              "IPTC:DateCreated", "IPTC:TimeCreated", "XMP-photoshop:DateCreated")
        elif step == DATE_CREATE:
            found = _mwg_date(et, "ExifIFD:CreateDate", "ExifIFD:SubSecTimeDigitized", "ExifIFD:OffsetTimeDigitized",
                              "IPTC:DigitalCreationDate", "IPTC:DigitalCreationTime", "XMP-xmp:CreateDate")
        else:
            found = (et[step], step) if _present(et.get(step)) else None
        if found and _present(found[0]):
            return found
    return None


# ---------------------------------------------------------------- normalization and comparison


def _norm_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).replace("\x00", " ").split())


def _norm_date(value: Any) -> str | None:
    """'2001:05:19 18:36:41.11+02:00' / '2001-05-19T18:36:41+02:00' / 2005 -> '2001-05-19T18:36:41+02:00'."""
    m = re.match(r"\s*(\d{4})(?:[:-](\d{2})(?:[:-](\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?"
                 r"(Z|[+-]\d{2}:?\d{2})?)?)?)?", str(value))
    if not m:
        return None
    y, mo, d, hh, mm, ss, off = m.groups()
    out = y + (f"-{mo}" if mo else "") + (f"-{d}" if d else "")
    if hh:
        out += f"T{hh}:{mm}:{ss or '00'}"
        if off:
            off = "+00:00" if off == "Z" else off if ":" in off else off[:3] + ":" + off[3:]
            out += off
    return out


def _as_list(value: Any, split: str | None = None) -> list[str]:
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        text = _norm_text(item)
        out.extend(t.strip() for t in (text.split(split) if split else [text]) if t.strip())
    return out


def _location(item: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for ours, theirs in LOCATION_KEYS.items():
        value = item.get(theirs)
        if isinstance(value, dict):  # a Lang Alt (LocationName) comes as {"x-default"...} or a plain value
            value = next(iter(value.values()), None)
        if _present(value):
            out[ours] = round(float(value), 5) if ours.startswith("gps_") else _norm_text(value)
    return out


def normalize(field: str, value: Any, tag: str | None = None) -> Any:
    """One value, ours or ExifTool's, in the form the two are compared in."""
    if field in ("keywords",):
        return sorted({k.casefold() for k in _as_list(value, ";" if tag == "IFD0:XPKeywords" else None)})
    if field == "creator":
        return _as_list(value, "; " if tag in ("IFD0:Artist", "IFD0:XPAuthor") else None)
    if field in ("location_shown", "location_created"):
        items = value if isinstance(value, list) else [value]
        located = [_location(i) if tag else {k: (round(float(v), 5) if k.startswith("gps_") else _norm_text(v))
                                             for k, v in i.items() if _present(v)} for i in items]
        located = [loc for loc in located if loc]
        return located[0] if (field == "location_created" and located) else located or None
    if field in ("width", "height"):
        if tag == "Composite:ImageSize":
            w, h = (re.split(r"[ x]", str(value)) + [""])[:2]
            value = w if field == "width" else h
        return int(float(value))
    if field in ("date_created",):
        return _norm_date(value)
    if field == "year":
        m = re.match(r"\s*(\d{4})", str(value))
        return int(m.group(1)) if m else None
    if field in ("gps_lat", "gps_lon", "gps_alt", "duration"):
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if field in ("orientation", "bpm", "track"):
        m = re.match(r"\s*(\d+)", str(value))
        return int(m.group(1)) if m else None
    return _norm_text(value)


def same(field: str, ours: Any, theirs: Any) -> bool:
    if isinstance(ours, float) and isinstance(theirs, float):
        if field == "duration":
            return math.isclose(ours, theirs, rel_tol=0.02, abs_tol=0.05)
        return math.isclose(ours, theirs, abs_tol=1e-3 if field == "gps_alt" else 1e-6)
    return ours == theirs


# ---------------------------------------------------------------- the run


def compare_file(path: Path, et: dict[str, Any]) -> tuple[str, list[tuple[str, str, Any, Any, str]]]:
    """('read' or 'unread: why', [(field, outcome, ours, theirs, tag)])."""
    try:
        media = sniff(path)
    except Exception as exc:  # a zero-byte file, an unreadable one
        return f"unread: sniff: {exc}", []
    if media.kind is None:
        return "unread: not media to sniff", []
    rec = read_metadata(path, media.format, media.kind)
    broken = [w for w in rec.warnings if w.startswith(("metadata-unreadable", "metadata-error"))]
    if broken:
        return f"unread: {broken[0][:100]}", []
    table = IMAGE_FIELDS if media.kind == "image" else MEDIA_FIELDS
    rows = []
    for field, steps in table.items():
        found = reference(et, steps)
        theirs = normalize(field, found[0], found[1]) if found else None
        raw = getattr(rec, field, None)
        ours = normalize(field, raw) if raw not in (None, "", [], {}) else None
        if ours in ("", [], None) and theirs in ("", [], None):
            continue
        if theirs in ("", [], None):
            outcome = "extra"
        elif ours in ("", [], None):
            outcome = "missed"
        else:
            outcome = "agree" if same(field, ours, theirs) else "disagree"
        rows.append((field, outcome, ours, theirs, found[1] if found else ""))
    return "read", rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--json", action="store_true", help="print the report as JSON on the last line")
    ap.add_argument("--files", default="", help="comma-separated file names: only these")
    args = ap.parse_args(argv)
    only = {f for f in args.files.split(",") if f}
    paths = sorted(p for p in args.folder.iterdir()
                   if p.is_file() and p.name not in SKIP and (not only or p.name in only))
    tool = exiftool(paths)
    counts: dict[str, Counter] = {}
    disagreements, unread, files = [], [], 0
    for path in paths:
        status, rows = compare_file(path, tool.get(str(path), {}))
        if status != "read":
            unread.append((path.name, status[len("unread: "):]))
            continue
        files += 1
        for field, outcome, ours, theirs, tag in rows:
            counts.setdefault(field, Counter())[outcome] += 1
            if outcome != "agree":
                disagreements.append({"file": path.name, "field": field, "outcome": outcome,
                                      "ours": ours, "exiftool": theirs, "tag": tag})
    fields = [f for f in {**IMAGE_FIELDS, **MEDIA_FIELDS} if f in counts]
    total = Counter()
    for c in counts.values():
        total.update(c)
    print(f"conformance: {args.folder} — {files} files read, {len(unread)} unread, ExifTool as reference")
    print(f"{'field':22} {'agree':>6} {'disagree':>9} {'missed':>7} {'extra':>6}")
    for field in fields:
        c = counts[field]
        print(f"{field:22} {c['agree']:6} {c['disagree']:9} {c['missed']:7} {c['extra']:6}")
    print(f"{'TOTAL':22} {total['agree']:6} {total['disagree']:9} {total['missed']:7} {total['extra']:6}")
    print("\nunread:")
    for name, why in unread:
        print(f"  {name}: {why}")
    for outcome in ("disagree", "missed", "extra"):
        print(f"\n{outcome}:")
        for d in disagreements:
            if d["outcome"] == outcome:
                print(f"  {d['file']} {d['field']}: ours={d['ours']!r} exiftool={d['exiftool']!r} [{d['tag']}]")
    if args.json:
        report = {"folder": str(args.folder), "files_read": files, "unread": dict(unread),
                  "fields": {f: dict(counts[f]) for f in fields}, "total": dict(total),
                  "differences": disagreements}
        print(json.dumps(report, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
