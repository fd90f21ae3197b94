"""Write edited metadata back into a media file: verified, atomic, and never in place.

Images are written with exiv2 (pyexiv2), audio with mutagen; nothing here parses a container by
hand. One edit touches every tag `read.py` would read for that field, so the reader's precedence
(XMP, then IPTC IIM, then EXIF) cannot bring an old value back:

* JPEG, TIFF: XMP + IPTC IIM (with CodedCharacterSet 1:90 = ESC % G, i.e. UTF-8) + EXIF.
* PNG, WebP: XMP + EXIF. IIM has no standard home there; a PNG that already carries an IIM block
  (ImageMagick's "Raw profile type iptc") gets it updated too, so stale keywords cannot merge back.
* MP3: ID3v2.4; WAV/AIFF: their ID3 chunk; FLAC and Ogg (Vorbis/Opus/Speex/FLAC): Vorbis
  comments; M4A: MP4 ilst atoms.

`docs/metadata-mapping.md` has the field → tag table.

Every write (`write_metadata`):

1. validates the edits and the format (nothing is touched when they are bad);
2. computes the diff against what `read_metadata` reads now; no difference means no write at all;
3. writes the tags into a temp copy in the same folder and fsyncs it;
4. re-reads the copy with `read_metadata` and compares every edited field, and checks that the
   essence hash (hence the asset ID) of the copy equals the original's;
5. only then renames the copy over the original (`os.replace`) and fsyncs the folder.

When a check fails the copy is deleted and `MetadataWriteError` names the field and the values;
the original keeps its bytes. Because the original is replaced, not rewritten, a copy of it that
shares its inode (a hard-linked content-store object) keeps the old bytes too.
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import mutagen
import pyexiv2
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.id3 import COMM, TALB, TBPM, TCON, TCOP, TDRC, TIT2, TPE1, TSRC
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from mediaground.errors import BadMediaError, MediagroundError
from mediaground.ids import essence_hash
from mediaground.media.sniff import sniff
from mediaground.metadata.jpeg import legacy_xmp_segments
from mediaground.metadata.segments import iptc_digest_current, refresh_iptc_digest
from mediaground.util import fsync_dir

from .read import _redecode, read_metadata
from .record import MetadataRecord

__all__ = [
    "WRITABLE", "IMAGE_FIELDS", "AUDIO_FIELDS", "IMAGE_WRITE_FORMATS", "AUDIO_WRITE_FORMATS",
    "MetadataWriteError", "Change", "CsvRow", "parse_edits", "plan", "write_metadata", "apply_csv",
]


class MetadataWriteError(MediagroundError):
    """An edit is invalid, the format cannot hold it, or a write could not be verified (and was undone)."""


IMAGE_FIELDS = frozenset({
    "title", "caption", "alt_text", "extended_description", "keywords", "creator", "credit", "copyright",
    "license_url", "licensor_url", "licensor_name", "date_created", "gps", "city", "state", "country", "country_code",
    "location",
})
# "creator" on audio is written as the artist (one value per person).
AUDIO_FIELDS = frozenset({
    "title", "artist", "album", "genre", "year", "comment", "bpm", "isrc", "copyright", "creator",
})
WRITABLE = IMAGE_FIELDS | AUDIO_FIELDS

_FORMAT_ALIASES = {"jpg": "jpeg", "tif": "tiff", "oga": "ogg", "opus": "ogg", "wave": "wav", "aif": "aiff"}
IMAGE_WRITE_FORMATS = frozenset({"jpeg", "png", "webp", "tiff"})
AUDIO_WRITE_FORMATS = frozenset({"mp3", "wav", "aiff", "flac", "ogg", "m4a"})
_IIM_FORMATS = frozenset({"jpeg", "tiff"})  # where IPTC IIM is always written

_LIST_FIELDS = frozenset({"keywords", "creator"})
_INT_FIELDS = frozenset({"year", "bpm"})
_GPS_TOL = 1e-6
_ALT_TOL = 1e-3
_TMP_PREFIX = ".mediaground-write-"


# ---------------------------------------------------------------- values


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


# ---------------------------------------------------------------- format and diff


def _resolve(path: str | os.PathLike[str], fmt: str | None, kind: str | None) -> tuple[str, str]:
    """The canonical (fmt, kind) if this module can write it, else MetadataWriteError."""
    if fmt is None or kind is None:
        try:
            mt = sniff(path)
        except (OSError, BadMediaError) as exc:
            raise MetadataWriteError(f"cannot read {os.fspath(path)}: {exc}") from exc
        fmt = fmt or mt.format
        kind = kind or mt.kind
    if not os.path.isfile(path):
        raise MetadataWriteError(f"{os.fspath(path)}: no such file")
    fmt = (fmt or "").lower()
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    if kind == "image" and fmt in IMAGE_WRITE_FORMATS:
        return fmt, kind
    if kind == "audio" and fmt in AUDIO_WRITE_FORMATS:
        return fmt, kind
    raise MetadataWriteError(f"cannot write tags to {fmt or 'unknown'} files" + (f" ({kind})" if kind else ""))


def _check_fields(fmt: str, kind: str, edits: Mapping[str, Any]) -> None:
    if not edits:
        raise MetadataWriteError("no edits given")
    allowed = IMAGE_FIELDS if kind == "image" else AUDIO_FIELDS
    bad = sorted(set(edits) - allowed)
    if bad:
        raise MetadataWriteError(
            f"cannot write {', '.join(bad)} to {fmt} files; writable there: {', '.join(sorted(allowed))}")
    if kind == "audio" and "creator" in edits and "artist" in edits:
        raise MetadataWriteError("give creator or artist for audio, not both (creator is written as the artist)")
    # parse_edits output is what we expect; a caller passing raw strings gets a clear error.
    for name, value in edits.items():
        if name in _LIST_FIELDS and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise MetadataWriteError(f"{name}: expected a non-empty list of strings (use parse_edits)")
        if name == "gps" and not (isinstance(value, tuple) and len(value) in (2, 3)):
            raise MetadataWriteError("gps: expected a (lat, lon[, alt]) tuple (use parse_edits)")
        if name in _INT_FIELDS and not isinstance(value, int):
            raise MetadataWriteError(f"{name}: expected an int (use parse_edits)")


def _current(rec: MetadataRecord, name: str) -> Any:
    if name == "gps":
        if rec.gps_lat is None or rec.gps_lon is None:
            return None
        return (rec.gps_lat, rec.gps_lon) + ((rec.gps_alt,) if rec.gps_alt is not None else ())
    value = getattr(rec, name)
    return list(value) if isinstance(value, list) else value


def _same(name: str, old: Any, new: Any) -> bool:
    if old is None:
        return False
    if name == "gps":
        if len(old) != len(new):
            return False
        tols = (_GPS_TOL, _GPS_TOL, _ALT_TOL)
        return all(abs(a - b) <= tol + 1e-12 for a, b, tol in zip(old, new, tols))
    if name == "keywords":
        return sorted(old) == sorted(new)
    return old == new


def plan(path: str | os.PathLike[str], fmt: str | None, kind: str | None, edits: Mapping[str, Any]) -> list[Change]:
    """The changes `write_metadata` would make (for --dry-run); fields already as asked are left out."""
    fmt, kind = _resolve(path, fmt, kind)
    _check_fields(fmt, kind, edits)
    return _diff(read_metadata(path, fmt, kind), edits)


def _diff(rec: MetadataRecord, edits: Mapping[str, Any]) -> list[Change]:
    changes = []
    for name, new in edits.items():
        old = _current(rec, name)
        if not _same(name, old, new):
            changes.append(Change(name, old, new))
    return changes


# ---------------------------------------------------------------- images


def _lang_alt(existing: Any, value: str) -> dict[str, str]:
    """A language alternative with x-default set to `value`; other languages are kept."""
    alt = {'lang="x-default"': value}
    if isinstance(existing, dict):
        for k, v in existing.items():
            if k != 'lang="x-default"' and isinstance(v, str):
                alt[k] = v
    return alt


def _dms(value: float) -> str:
    """Decimal degrees (unsigned) to an EXIF "d/1 m/1 s/1000000" rational triple, in integer math."""
    micro = round(abs(value) * 3600 * 1_000_000)  # micro-arcseconds
    d, rem = divmod(micro, 3600 * 1_000_000)
    m, s = divmod(rem, 60 * 1_000_000)
    return f"{d}/1 {m}/1 {s}/1000000"


def _xmp_coord(value: float, pos: str, neg: str) -> str:
    """Decimal degrees to XMP's "DDD,MM.mmmmmmmmk" form."""
    minutes = abs(value) * 60
    d, m = divmod(minutes, 60)
    return f"{int(d)},{m:.8f}{neg if value < 0 else pos}"


# place fields: the XMP property and the IPTC IIM dataset (Application2) each one is written to
_PLACE_TAGS = {
    "city": ("Xmp.photoshop.City", "City"),
    "state": ("Xmp.photoshop.State", "ProvinceState"),
    "country": ("Xmp.photoshop.Country", "CountryName"),
    "country_code": ("Xmp.iptc.CountryCode", "CountryCode"),
    "location": ("Xmp.iptc.Location", "SubLocation"),
}


def _image_tags(fmt: str, edits: Mapping[str, Any], exif0: dict[str, Any], iptc0: dict[str, Any],
                xmp0: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """The exiv2 changes (None = delete) for `edits`, given the tags the file holds now."""
    exif: dict[str, Any] = {}
    iptc: dict[str, Any] = {}
    xmp: dict[str, Any] = {}
    ipt = "Iptc.Application2."

    def alt(key: str, value: str) -> None:
        xmp[key] = _lang_alt(xmp0.get(key), value)

    def if_present(store: dict[str, Any], existing: dict[str, Any], key: str, value: Any) -> None:
        if key in existing:
            store[key] = value

    for name, value in edits.items():
        if name == "title":
            alt("Xmp.dc.title", value)
            iptc[ipt + "ObjectName"] = value
            if_present(exif, exif0, "Exif.Image.XPTitle", value)
        elif name == "caption":
            alt("Xmp.dc.description", value)
            iptc[ipt + "Caption"] = value
            exif["Exif.Image.ImageDescription"] = value
        elif name == "alt_text":
            alt("Xmp.iptc.AltTextAccessibility", value)
        elif name == "extended_description":
            alt("Xmp.iptc.ExtDescrAccessibility", value)
        elif name == "keywords":
            # pyexiv2 writes every list as an rdf:Seq; dc:subject is a Bag. An xmpText "type=Bag"
            # container plus indexed items makes exiv2 write (and later read) a real rdf:Bag.
            xmp["Xmp.dc.subject"] = "type=Bag"
            for i, word in enumerate(value, 1):
                xmp[f"Xmp.dc.subject[{i}]"] = word
            iptc[ipt + "Keywords"] = list(value)
            if_present(exif, exif0, "Exif.Image.XPKeywords", ";".join(value))
        elif name == "creator":
            xmp["Xmp.dc.creator"] = list(value)  # an rdf:Seq, as the standard says
            iptc[ipt + "Byline"] = list(value)
            exif["Exif.Image.Artist"] = "; ".join(value)
            if_present(exif, exif0, "Exif.Image.XPAuthor", "; ".join(value))
        elif name == "credit":
            xmp["Xmp.photoshop.Credit"] = value
            iptc[ipt + "Credit"] = value
        elif name == "copyright":
            alt("Xmp.dc.rights", value)
            iptc[ipt + "Copyright"] = value
            exif["Exif.Image.Copyright"] = value
        elif name == "license_url":
            xmp["Xmp.xmpRights.WebStatement"] = value
            if_present(xmp, xmp0, "Xmp.cc.license", value)
        elif name in ("licensor_url", "licensor_name"):
            _licensor_tags(name, value, xmp, xmp0)
        elif name in _PLACE_TAGS:
            xmp_key, iptc_name = _PLACE_TAGS[name]
            xmp[xmp_key] = value
            iptc[ipt + iptc_name] = value
        elif name == "date_created":
            _date_tags(value, exif, iptc, xmp)
        elif name == "gps":
            _gps_tags(value, exif, xmp, exif0, xmp0)
    return exif, iptc, xmp


def _licensor_tags(name: str, value: str, xmp: dict[str, Any], xmp0: dict[str, Any]) -> None:
    """PLUS Licensor is a Seq of structs; the edit goes into the first licensor (which the reader reads
    first), keeping its other field. Without one, the Seq and its first struct are created."""
    first = "Xmp.plus.Licensor[1]"
    if first not in xmp0 and first not in xmp:
        xmp["Xmp.plus.Licensor"] = "type=Seq"  # an xmpText "type=..." value makes exiv2 create the container
        xmp[first] = "type=Struct"
    xmp[f"{first}/plus:{'LicensorURL' if name == 'licensor_url' else 'LicensorName'}"] = value


def _date_tags(value: str, exif: dict[str, Any], iptc: dict[str, Any], xmp: dict[str, Any]) -> None:
    xmp["Xmp.photoshop.DateCreated"] = value
    ipt = "Iptc.Application2."
    date, _, rest = value.partition("T")
    if len(date) == 10:
        iptc[ipt + "DateCreated"] = date
    else:  # IIM needs a full CCYYMMDD; a partial date there would be a guess
        iptc[ipt + "DateCreated"] = None
    if rest:
        clock, offset = rest[:8], rest[8:]
        exif["Exif.Photo.DateTimeOriginal"] = f"{date.replace('-', ':')} {clock}"
        exif["Exif.Photo.OffsetTimeOriginal"] = offset or None
        exif["Exif.Photo.SubSecTimeOriginal"] = None
        iptc[ipt + "TimeCreated"] = clock + offset if offset else None  # IIM time needs a UTC offset
    else:
        # EXIF cannot say "a date, no time"; left alone, DateTimeOriginal would win over the new date.
        for key in ("DateTimeOriginal", "OffsetTimeOriginal", "SubSecTimeOriginal"):
            exif["Exif.Photo." + key] = None
        iptc[ipt + "TimeCreated"] = None


def _gps_tags(value: tuple[float, ...], exif: dict[str, Any], xmp: dict[str, Any],
              exif0: dict[str, Any], xmp0: dict[str, Any]) -> None:
    lat, lon = value[0], value[1]
    alt = value[2] if len(value) > 2 else None
    g = "Exif.GPSInfo."
    if g + "GPSVersionID" not in exif0:
        exif[g + "GPSVersionID"] = "2 3 0 0"
    exif[g + "GPSLatitudeRef"] = "S" if lat < 0 else "N"
    exif[g + "GPSLatitude"] = _dms(lat)
    exif[g + "GPSLongitudeRef"] = "W" if lon < 0 else "E"
    exif[g + "GPSLongitude"] = _dms(lon)
    # A new position without an altitude drops the old altitude: it belonged to the old place.
    exif[g + "GPSAltitudeRef"] = None if alt is None else ("1" if alt < 0 else "0")
    exif[g + "GPSAltitude"] = None if alt is None else f"{round(abs(alt) * 1000)}/1000"
    if any(k.startswith("Xmp.exif.GPS") for k in xmp0):  # keep an XMP copy of the position in step
        xmp["Xmp.exif.GPSLatitude"] = _xmp_coord(lat, "N", "S")
        xmp["Xmp.exif.GPSLongitude"] = _xmp_coord(lon, "E", "W")
        xmp["Xmp.exif.GPSAltitudeRef"] = None if alt is None else ("1" if alt < 0 else "0")
        xmp["Xmp.exif.GPSAltitude"] = None if alt is None else f"{round(abs(alt) * 1000)}/1000"


def _legacy_iim(iptc0_latin1: dict[str, Any], iptc: dict[str, Any]) -> None:
    """Re-encode existing non-UTF-8 IIM text as UTF-8, since the new CodedCharacterSet says UTF-8."""
    for key, value in iptc0_latin1.items():
        if key in iptc or key.startswith("Iptc.Envelope."):
            continue
        values = value if isinstance(value, list) else [value]
        if all(isinstance(v, str) and v.isascii() for v in values):
            continue
        iptc[key] = _redecode(value)  # rewritten below as UTF-8, under the new character set


def _write_image(data: bytes, fmt: str, edits: Mapping[str, Any]) -> bytes:
    """The file's bytes with `edits` written by exiv2."""
    legacy, digest_was_current = None, None
    if fmt == "jpeg":
        digest_was_current = iptc_digest_current(data)
        data, legacy = legacy_xmp_segments(data)
    img = pyexiv2.ImageData(data)
    try:
        if legacy is not None:
            if img.read_raw_xmp(encoding="utf-8").strip(" \x00\n"):
                raise MetadataWriteError("the file holds two XMP packets (a standard one and one under the old "
                                         "'XMP' signature); refusing to pick one, merge them first")
            img.modify_raw_xmp(legacy)
        exif0 = img.read_exif(encoding="latin-1")
        xmp0 = img.read_xmp()
        if not xmp0 and img.read_raw_xmp(encoding="utf-8").strip(" \x00\n"):
            # exiv2 rejected the packet; writing would replace it with ours and lose the rest.
            raise MetadataWriteError("the file's XMP packet is invalid (exiv2 cannot parse it); "
                                     "refusing to overwrite it, repair it first (e.g. exiftool -xmp:all= ...)")
        iptc0 = img.read_iptc(encoding="latin-1") if fmt in _IIM_FORMATS or fmt == "png" else {}
        exif, iptc, xmp = _image_tags(fmt, edits, exif0, iptc0, xmp0)
        exif = {k: v for k, v in exif.items() if v is not None or k in exif0}
        if exif:
            img.modify_exif(exif)
        if fmt in _IIM_FORMATS or iptc0:
            iptc = {k: v for k, v in iptc.items() if v is not None or k in iptc0}
            if iptc0.get("Iptc.Envelope.CharacterSet") != "\x1b%G":
                _legacy_iim(iptc0, iptc)
            img.modify_iptc({"Iptc.Envelope.CharacterSet": "\x1b%G", **iptc}, encoding="utf-8")
        xmp = {k: v for k, v in xmp.items() if v is not None or k in xmp0}
        if xmp:
            img.modify_xmp(xmp)
        out = img.get_bytes()
    finally:
        img.close()
    if digest_was_current:  # Photoshop's MD5 of the IPTC block: keep it current, as ExifTool does
        out, _ = refresh_iptc_digest(out)
    return out


# ---------------------------------------------------------------- audio


def _joined(value: Any) -> str:
    """People as one "A; B" string. ID3v2.4 allows NUL-separated values and MP4 several data atoms,
    but ffmpeg and ExifTool each show only one of them; the reader splits "; " back into a list."""
    return "; ".join(value) if isinstance(value, list) else str(value)


def _write_id3(tags: Any, edits: Mapping[str, Any]) -> None:
    text_frames = {"title": TIT2, "album": TALB, "genre": TCON, "copyright": TCOP, "isrc": TSRC}
    for name, value in edits.items():
        if name in text_frames:
            cls = text_frames[name]
            tags.setall(cls.__name__, [cls(encoding=3, text=[value])])
        elif name in ("artist", "creator"):
            tags.setall("TPE1", [TPE1(encoding=3, text=[_joined(value)])])
        elif name == "year":
            tags.delall("TYER")
            tags.setall("TDRC", [TDRC(encoding=3, text=[str(value)])])
        elif name == "bpm":
            tags.setall("TBPM", [TBPM(encoding=3, text=[str(value)])])
        elif name == "comment":
            for key in [k for k in tags.keys() if k.startswith("COMM:") and not tags[k].desc.startswith("iTun")]:
                del tags[key]
            tags.add(COMM(encoding=3, lang="eng", desc="", text=[value]))


_VORBIS_KEYS = {"title": "TITLE", "artist": "ARTIST", "creator": "ARTIST", "album": "ALBUM", "genre": "GENRE",
                "year": "DATE", "comment": "COMMENT", "bpm": "BPM", "isrc": "ISRC", "copyright": "COPYRIGHT"}
_MP4_KEYS = {"title": "©nam", "artist": "©ART", "creator": "©ART", "album": "©alb", "genre": "©gen",
             "year": "©day", "comment": "©cmt", "copyright": "cprt"}


def _write_audio(tmp: str, fmt: str, edits: Mapping[str, Any]) -> None:
    """Write `edits` into the audio file at `tmp` (a copy) with mutagen."""
    if fmt in ("mp3", "wav", "aiff"):
        audio = {"mp3": MP3, "wav": WAVE, "aiff": AIFF}[fmt](tmp)
        if audio.tags is None:
            audio.add_tags()
        _write_id3(audio.tags, edits)
        if fmt == "mp3":
            audio.save(v2_version=4, v1=1)  # v1=1: keep an existing ID3v1 tag in step, add none
        else:
            audio.save(v2_version=4)
    elif fmt in ("flac", "ogg"):
        options = [FLAC] if fmt == "flac" else [OggVorbis, OggOpus, OggFLAC, OggSpeex]
        audio = mutagen.File(tmp, options=options)
        if audio is None:
            raise MetadataWriteError(f"mutagen cannot open this {fmt} file for writing")
        if audio.tags is None:
            audio.add_tags()
        for name, value in edits.items():
            audio.tags[_VORBIS_KEYS[name]] = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        audio.save()
    elif fmt == "m4a":
        audio = MP4(tmp)
        if audio.tags is None:
            audio.add_tags()
        tags = audio.tags
        for name, value in edits.items():
            if name == "bpm":
                tags["tmpo"] = [value]
            elif name == "isrc":
                tags["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(value.encode("utf-8"), AtomDataType.UTF8)]
            else:
                tags[_MP4_KEYS[name]] = [_joined(value)]
                if name == "genre":
                    tags.pop("gnre", None)  # the numeric ID3v1 genre would contradict ©gen
        audio.save()
    else:  # pragma: no cover - _resolve lets only the formats above through
        raise MetadataWriteError(f"cannot write tags to {fmt} files")


# ---------------------------------------------------------------- the write


def _expected(kind: str, edits: Mapping[str, Any]) -> dict[str, Any]:
    """What read_metadata must read back for each edited field."""
    want = dict(edits)
    if kind == "audio" and "creator" in want:
        want["artist"] = "; ".join(want["creator"])
    return want


# Record fields an edit may change besides its own (the reader derives them from the same tag).
_TOUCHES = {"gps": {"gps_lat", "gps_lon", "gps_alt"}, "creator": {"creator", "artist"}, "artist": {"artist", "creator"},
            "year": {"year", "date_created"}}
_NOT_COMPARED = {"sources", "warnings"}
_AUDIO_TAG_SOURCES = ("id3:", "vorbis:", "mp4:")


def _verify(path: str, fmt: str, kind: str, edits: Mapping[str, Any], before: MetadataRecord) -> list[str]:
    """Every edited field reads back as written, and every other field reads back as it was."""
    rec = read_metadata(path, fmt, kind)
    problems = []
    for name, new in _expected(kind, edits).items():
        got = _current(rec, name)
        if not _same(name, got, new):
            problems.append(f"{name}: wrote {new!r}, read back {got!r}")
    touched = set().union(*(_TOUCHES.get(name, {name}) for name in edits))
    for f in fields(MetadataRecord):
        name = f.name
        if name in touched or name in _NOT_COMPARED:
            continue
        # Audio: only what came from the tags we rewrote; ffmpeg's fallback view depends on which tags exist.
        if kind == "audio" and not before.sources.get(name, "").startswith(_AUDIO_TAG_SOURCES):
            continue
        old, got = getattr(before, name), getattr(rec, name)
        if old != got:
            problems.append(f"{name} (not edited): was {old!r}, read back {got!r}")
    return problems


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _essence(path: str | os.PathLike[str], fmt: str, what: str) -> str:
    try:
        ess = essence_hash(path, fmt)
    except BadMediaError as exc:
        raise MetadataWriteError(f"cannot hash the media data of {what}: {exc}") from exc
    if ess.basis != "essence":
        raise MetadataWriteError(f"cannot isolate the media data of this {fmt} file, so tags cannot be written "
                                 "without changing its asset ID")
    return ess.sha256


def write_metadata(path: str | os.PathLike[str], fmt: str | None, kind: str | None,
                   edits: Mapping[str, Any], force: bool = False) -> list[Change]:
    """Apply `edits` (from parse_edits) to the file at `path`; returns the changes made ([] = already so).
    `force` writes even when the merged reading already agrees, to bring every standard in line
    (e.g. IPTC keywords that differ from XMP dc:subject, which the merged record hides).

    The original is never opened for writing: a verified temp copy replaces it atomically, or
    nothing happens and MetadataWriteError says why. Symlinks are followed (the target is replaced).
    """
    target = os.path.realpath(path)
    fmt, kind = _resolve(target, fmt, kind)
    _check_fields(fmt, kind, edits)
    before = os.stat(target)
    # No write bit at all (content-store objects are 0444) counts as read-only even for root.
    if not os.access(target, os.W_OK) or not before.st_mode & 0o222:
        raise MetadataWriteError(f"{os.fspath(path)} is read-only; not writing tags to it")
    before_rec = read_metadata(target, fmt, kind)
    changes = _diff(before_rec, edits)
    if not changes and force:
        changes = [Change(name, value, value) for name, value in edits.items()]
    if not changes:
        return []
    essence = _essence(target, fmt, os.fspath(path))
    folder = os.path.dirname(target)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(target, "rb") as src:
            if kind == "image":
                out.write(_write_image(src.read(), fmt, edits))
            else:
                while block := src.read(1 << 20):
                    out.write(block)
        if kind == "audio":
            _write_audio(tmp, fmt, edits)
        _fsync_file(tmp)
        problems = _verify(tmp, fmt, kind, edits, before_rec)
        if problems:
            raise MetadataWriteError(f"{os.fspath(path)}: the write could not be verified, nothing was changed: "
                                     + "; ".join(problems))
        if _essence(tmp, fmt, "the rewritten file") != essence:
            raise MetadataWriteError(f"{os.fspath(path)}: writing the tags changed the media data (the asset ID "
                                     "would change), nothing was changed")
        now = os.stat(target)
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
            raise MetadataWriteError(f"{os.fspath(path)} changed while its tags were being written; "
                                     "nothing was changed")
        os.chmod(tmp, stat.S_IMODE(before.st_mode))
        os.replace(tmp, target)
    except MetadataWriteError:
        Path(tmp).unlink(missing_ok=True)
        raise
    except Exception as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MetadataWriteError(f"{os.fspath(path)}: writing tags failed, nothing was changed: "
                                 f"{type(exc).__name__}: {exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return changes


# ---------------------------------------------------------------- batch


class CsvRow(NamedTuple):
    """One CSV row: `target` is a Path (from a `path` column) or an asset ID string (`asset_id`)."""

    target: Path | str
    edits: dict[str, Any]

    @property
    def path(self) -> Path | None:
        return self.target if isinstance(self.target, Path) else None

    @property
    def asset_id(self) -> str | None:
        return self.target if isinstance(self.target, str) else None


def apply_csv(csv_path: str | os.PathLike[str]) -> Iterator[CsvRow]:
    """Parse an edits CSV into (target, edits) rows; the whole file is validated before anything is yielded.

    Columns: `path` and/or `asset_id` (one per row), then one column per field (names as in
    WRITABLE). Empty cells leave a field unchanged; rows without edits are skipped. Relative paths
    are resolved against the CSV's folder. Asset IDs are left for the caller to resolve.
    """
    csv_path = Path(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MetadataWriteError(f"{csv_path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise MetadataWriteError(f"cannot read {csv_path}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise MetadataWriteError(f"{csv_path}: empty file, expected a header row")
    columns = [h.strip().lower().replace("-", "_") for h in header]
    if "path" not in columns and "asset_id" not in columns:
        raise MetadataWriteError(f"{csv_path}: needs a 'path' or 'asset_id' column")
    unknown = [c for c in columns if c not in WRITABLE and c not in ("path", "asset_id")]
    if unknown:
        raise MetadataWriteError(f"{csv_path}: unknown column(s) {', '.join(map(repr, unknown))}; "
                                 f"writable fields: {', '.join(sorted(WRITABLE))}")
    if len(set(columns)) != len(columns):
        raise MetadataWriteError(f"{csv_path}: a column appears twice")
    rows: list[CsvRow] = []
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            raise MetadataWriteError(f"{csv_path}:{line_no}: {len(cells)} cells but {len(columns)} columns")
        row = dict(zip(columns, cells))
        path_cell, id_cell = row.pop("path", "").strip(), row.pop("asset_id", "").strip()
        if bool(path_cell) == bool(id_cell):
            raise MetadataWriteError(f"{csv_path}:{line_no}: give exactly one of path or asset_id")
        try:
            edits = parse_edits({k: v for k, v in row.items() if v.strip()})
        except MetadataWriteError as exc:
            raise MetadataWriteError(f"{csv_path}:{line_no}: {exc}") from None
        if not edits:
            continue
        target: Path | str = (csv_path.parent / path_cell) if path_cell else id_cell  # absolute paths stay absolute
        rows.append(CsvRow(target, edits))
    return iter(rows)
