"""The values of a metadata write: the fields that can be written, `parse_edits` (CLI/CSV strings to
typed edits), the `Change` and `WriteResult` a write reports, and `MetadataWriteError`.

Kept apart from :mod:`.write` so that parsing and reporting edits needs neither exiv2 nor mutagen,
and so that the image and audio writers (:mod:`.write_image`, :mod:`.write_audio`) raise the same
error without importing the write that uses them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from mediaground.errors import MediagroundError

__all__ = ["WRITABLE", "IMAGE_FIELDS", "AUDIO_FIELDS", "MetadataWriteError", "Change", "WriteResult", "parse_edits"]


class MetadataWriteError(MediagroundError):
    """An edit is invalid, the format cannot hold it, or a write could not be verified (and was undone)."""


IMAGE_FIELDS = frozenset({
    "title", "caption", "alt_text", "extended_description", "keywords", "creator", "credit", "copyright",
    "license_url", "licensor_url", "licensor_name", "date_created", "gps", "city", "state", "country", "country_code",
    "location",
})
# "creator" on audio is written as the artist (one value per person);
# "caption" on audio is written as the comment (audio formats have one free-text field).
AUDIO_FIELDS = frozenset({
    "title", "artist", "album", "genre", "year", "comment", "caption", "bpm", "isrc", "copyright", "creator",
})
WRITABLE = IMAGE_FIELDS | AUDIO_FIELDS

_LIST_FIELDS = frozenset({"keywords", "creator"})
_INT_FIELDS = frozenset({"year", "bpm"})


@dataclass(frozen=True)
class Change:
    """One field that a write changes: `old` is what read_metadata reads now, `new` what will be written.

    gps values are (lat, lon) or (lat, lon, alt) tuples; keywords/creator are lists.
    """

    field: str
    old: Any
    new: Any

    def to_dict(self) -> dict[str, Any]:
        def plain(v: Any) -> Any:
            return list(v) if isinstance(v, (list, tuple)) else v

        return {"field": self.field, "old": plain(self.old), "new": plain(self.new)}

    def describe(self) -> str:
        """`caption: 'old' -> 'new'`, the line a --dry-run prints."""
        return f"{self.field}: {self.old!r} -> {self.new!r}"


class WriteResult(list):  # list[Change]
    """The changes a write made (or `plan` would make): a list of Change, so `== []` still means
    "nothing to do". `repaired` says what had to be repaired in the file for the write to be
    possible, e.g. an XMP packet exiv2 rejected whose repeated properties were collapsed; the
    caller records it with the change (it is the one thing a write alters beyond the edits)."""

    def __init__(self, changes: Iterable[Change] = (), repaired: Iterable[str] = ()):
        super().__init__(changes)
        self.repaired: list[str] = list(repaired)

    def to_dict(self) -> dict[str, Any]:
        return {"changes": [c.to_dict() for c in self], "repaired": list(self.repaired)}


def _clean_text(name: str, raw: str) -> str:
    s = raw.replace("\r\n", "\n").replace("\r", "\n").strip(" \t\n")
    if not s:
        raise MetadataWriteError(f"{name}: empty value (clearing a field is not supported)")
    if "\x00" in s:
        raise MetadataWriteError(f"{name}: NUL characters are not allowed")
    return s


def _split_list(name: str, raw: str, sep: str) -> list[str]:
    items: list[str] = []
    seen: set[str] = set()
    for part in raw.split(sep):
        item = part.strip(" \t\n")
        if not item:
            continue
        if "\x00" in item or "\n" in item:
            raise MetadataWriteError(f"{name}: control characters are not allowed in {item!r}")
        if item.casefold() not in seen:  # the reader de-duplicates case-insensitively, so do we
            seen.add(item.casefold())
            items.append(item)
    if not items:
        raise MetadataWriteError(f"{name}: empty list (clearing a field is not supported)")
    return items


def _parse_gps(raw: str) -> tuple[float, ...]:
    parts = [p.strip() for p in raw.split(",")]
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise MetadataWriteError(f"gps: expected 'lat,lon' or 'lat,lon,alt' in decimal degrees, got {raw!r}") from None
    if len(nums) not in (2, 3) or not all(math.isfinite(n) for n in nums):
        raise MetadataWriteError(f"gps: expected 'lat,lon' or 'lat,lon,alt' in decimal degrees, got {raw!r}")
    lat, lon = nums[0], nums[1]
    if not -90 <= lat <= 90:
        raise MetadataWriteError(f"gps: latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise MetadataWriteError(f"gps: longitude {lon} is outside -180..180")
    out: tuple[float, ...] = (round(lat, 7), round(lon, 7))
    if len(nums) == 3:
        if abs(nums[2]) >= 100_000:
            raise MetadataWriteError(f"gps: altitude {nums[2]} m is not plausible")
        out += (round(nums[2], 3),)
    return out


_DATE_RE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def _parse_date(raw: str) -> str:
    """ISO 8601 date ("2021", "2021-06", "2021-06-01") or date-time, normalized to seconds and ±HH:MM."""
    s = raw.strip()
    m = _DATE_RE.fullmatch(s)
    if m:
        y, mo, d = m.groups()
        try:
            datetime(int(y), int(mo or 1), int(d or 1))
        except ValueError:
            raise MetadataWriteError(f"date_created: {raw!r} is not a valid date") from None
        if int(y) < 1:
            raise MetadataWriteError(f"date_created: {raw!r} is not a valid date")
        return s
    try:
        dt = datetime.fromisoformat(s.replace(" ", "T", 1) if len(s) > 10 and s[10] == " " else s)
    except ValueError:
        raise MetadataWriteError(
            f"date_created: expected ISO 8601 like 2021-06-01 or 2021-06-01T10:30:00+02:00, got {raw!r}") from None
    out = dt.strftime("%Y-%m-%dT%H:%M:%S")
    if dt.utcoffset() is not None:
        seconds = int(dt.utcoffset().total_seconds())  # type: ignore[union-attr]
        offset = seconds // 60
        if seconds % 60 or abs(offset) >= 24 * 60:
            raise MetadataWriteError(f"date_created: bad UTC offset in {raw!r}")
        sign = "-" if offset < 0 else "+"
        out += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return out


def _parse_int(name: str, raw: str, lo: int, hi: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise MetadataWriteError(f"{name}: expected a whole number, got {raw!r}") from None
    if not lo <= value <= hi:
        raise MetadataWriteError(f"{name}: {value} is outside {lo}..{hi}")
    return value


def parse_edits(pairs: Mapping[str, str]) -> dict[str, Any]:
    """CLI/CSV strings to typed edits; unknown fields and bad values raise MetadataWriteError.

    keywords "beach,coast" -> ["beach", "coast"]; creator "A; B" -> ["A", "B"] (names may hold
    commas); gps "36.77,-6.35[,12]" -> (36.77, -6.35[, 12.0]); year/bpm -> int; country_code is
    upper-cased; isrc loses hyphens; date_created is ISO 8601 (normalized to seconds, ±HH:MM);
    license_url and licensor_url must be absolute http(s) URLs.
    """
    out: dict[str, Any] = {}
    for key, raw in pairs.items():
        name = str(key).strip().lower().replace("-", "_")
        if name not in WRITABLE:
            raise MetadataWriteError(f"unknown field {key!r}; writable fields: {', '.join(sorted(WRITABLE))}")
        if name in out:
            raise MetadataWriteError(f"{name} given twice")
        if not isinstance(raw, str):
            raise MetadataWriteError(f"{name}: expected a string, got {type(raw).__name__}")
        if name == "keywords":
            value: Any = _split_list(name, raw, ",")
        elif name == "creator":
            value = _split_list(name, raw, ";")
        elif name == "gps":
            value = _parse_gps(raw)
        elif name == "date_created":
            value = _parse_date(raw)
        elif name == "year":
            value = _parse_int(name, raw, 1000, 9999)
        elif name == "bpm":
            value = _parse_int(name, raw, 1, 999)
        elif name == "country_code":
            value = raw.strip().upper()
            if not re.fullmatch(r"[A-Z]{2,3}", value):
                raise MetadataWriteError(f"country_code: expected an ISO 3166 code like ES or ESP, got {raw!r}")
        elif name == "isrc":
            value = raw.strip().replace("-", "").upper()
            if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{3}\d{7}", value):
                raise MetadataWriteError(f"isrc: expected 12 characters like USRC17607839, got {raw!r}")
        elif name in ("license_url", "licensor_url"):
            value = raw.strip()
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in value):
                raise MetadataWriteError(f"{name}: expected an absolute http(s) URL, got {raw!r}")
        else:
            value = _clean_text(name, raw)
        out[name] = value
    return out
