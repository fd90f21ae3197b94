"""Write edited metadata back into a media file: verified, atomic, never in place, and losing nothing.

One edit touches every tag `read.py` would read for that field, so the reader's precedence (XMP,
then IPTC IIM, then EXIF) cannot bring an old value back, and it touches nothing else:

* JPEG, TIFF: XMP + IPTC IIM (with CodedCharacterSet 1:90 = ESC % G, i.e. UTF-8) + EXIF.
* PNG, WebP: XMP + EXIF. IIM has no standard home there; a PNG that already carries an IIM block
  (ImageMagick's "Raw profile type iptc") gets it updated too, so stale keywords cannot merge back.
* MP3: ID3v2 (v2.3 stays v2.3, else v2.4); WAV/AIFF: their ID3 chunk, and a WAV's RIFF INFO list;
  FLAC and Ogg (Vorbis/Opus/Speex/FLAC): Vorbis comments; M4A: MP4 ilst atoms. A caption is
  written to audio as the comment.

Images: exiv2 (pyexiv2) reads the tags and serializes XMP, but the blocks are edited here so that
the rest keeps its bytes: EXIF in place (:mod:`.ifd`: maker notes, thumbnails and image strips keep
their offsets), IIM dataset by dataset and the Photoshop digest (:mod:`.segments`), a rejected XMP
packet repaired first (:mod:`.xmp_repair`); exiv2 lays out the container only where a block is new.
Audio is written with mutagen; a WAV's INFO list by :mod:`.riff_info`.
`docs/metadata-mapping.md` has the field → tag tables.

Every write (`write_metadata`):

1. validates the edits and the format (nothing is touched when they are bad; a format that cannot
   hold a field, RAW originals among them, is refused naming the fields and why);
2. computes the diff against what `read_metadata` reads now; no difference means no write at all;
3. writes the tags into a temp copy in the same folder and fsyncs it;
4. re-reads the copy with `read_metadata` and compares every field (edited ones must read back as
   written, the others as they were); for images also every EXIF/IPTC/XMP tag exiv2 reads; and
   checks that the essence hash (hence the asset ID) of the copy equals the original's;
5. only then renames the copy over the original (`os.replace`) and fsyncs the folder.

When a check fails the copy is deleted and `MetadataWriteError` names the field and the values;
the original keeps its bytes. Because the original is replaced, not rewritten, a copy of it that
shares its inode (a hard-linked content-store object) keeps the old bytes too. Nothing here needs
a library: a path is all a write takes.
"""

from __future__ import annotations

import csv
import io
import math
import mmap
import os
import re
import stat
import struct
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import mutagen
import pyexiv2
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.id3 import COMM, TALB, TBPM, TCON, TCOP, TDRC, TIT2, TPE1, TSRC, TYER
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
from mediaground.util import fsync_dir

from .ifd import ASCII, BYTE, EXIF, GPS, IFD0, LONG, RATIONAL, UNDEFINED, IfdError, Tiff, Value
from .jpeg import legacy_xmp_segments
from .read import _redecode, read_metadata
from .record import MetadataRecord
from .riff_info import INFO_IDS, copy_with_info, read_info
from .segments import Blocks, edit_iim, irb_set_iptc, put_blocks, read_blocks
from .xmp_repair import XmpRepairError
from .xmp_repair import decode as xmp_decode
from .xmp_repair import inspect as xmp_inspect
from .xmp_repair import repair as xmp_repair
from .xmp_repair import with_about as xmp_with_about

__all__ = [
    "WRITABLE", "IMAGE_FIELDS", "AUDIO_FIELDS", "IMAGE_WRITE_FORMATS", "AUDIO_WRITE_FORMATS",
    "MetadataWriteError", "Change", "WriteResult", "CsvRow", "parse_edits", "plan", "write_metadata", "apply_csv",
]


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


# ---------------------------------------------------------------- format and diff


_WRITTEN = "mediaground writes tags to JPEG, PNG, WebP and TIFF images and MP3, WAV, AIFF, FLAC, Ogg and M4A audio"
_EXIV2_READ_ONLY = "exiv2, which mediaground writes image tags with, can read {0} but not write it"
# Formats mediaground reads but does not write, and why.
_NOT_WRITTEN = {
    "gif": "exiv2, which mediaground writes image tags with, cannot write GIF",
    "bmp": "BMP has no place for EXIF, IPTC or XMP",
    "heic": _EXIV2_READ_ONLY.format("HEIF/HEIC"),
    "heif": _EXIV2_READ_ONLY.format("HEIF/HEIC"),
    "avif": _EXIV2_READ_ONLY.format("AVIF"),
    "aac": "a raw ADTS AAC stream has no tag container (an M4A has one)",
}
# Camera RAW originals are never written: by extension, then by their signatures (most are TIFF inside).
_RAW_EXTENSIONS = {
    ".3fr": "Hasselblad 3FR", ".arw": "Sony ARW", ".cr2": "Canon CR2", ".cr3": "Canon CR3", ".crw": "Canon CRW",
    ".dcr": "Kodak DCR", ".dng": "DNG", ".erf": "Epson ERF", ".fff": "Hasselblad FFF", ".gpr": "GoPro GPR",
    ".iiq": "Phase One IIQ", ".kdc": "Kodak KDC", ".mef": "Mamiya MEF", ".mos": "Leaf MOS", ".mrw": "Minolta MRW",
    ".nef": "Nikon NEF", ".nrw": "Nikon NRW", ".orf": "Olympus ORF", ".pef": "Pentax PEF", ".raf": "Fujifilm RAF",
    ".raw": "camera RAW", ".rw2": "Panasonic RW2", ".rwl": "Leica RWL", ".sr2": "Sony SR2", ".srf": "Sony SRF",
    ".srw": "Samsung SRW", ".x3f": "Sigma X3F",
}
_RAW_SIGNATURES = ((b"IIRO", "Olympus ORF"), (b"IIRS", "Olympus ORF"), (b"MMOR", "Olympus ORF"),
                   (b"IIU\x00", "Panasonic RW2"), (b"FUJIFILMCCD-RAW", "Fujifilm RAF"), (b"FOVb", "Sigma X3F"),
                   (b"\x00MRM", "Minolta MRW"))


def _camera_raw(path: str | os.PathLike[str]) -> str | None:
    """The kind of camera RAW file at `path`, or None for anything else."""
    name = _RAW_EXTENSIONS.get(Path(path).suffix.lower())
    if name:
        return name
    with open(path, "rb") as f:
        head = f.read(1 << 18)
    for signature, kind in _RAW_SIGNATURES:
        if head.startswith(signature):
            return kind
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        if head[8:10] == b"CR":
            return "Canon CR2"
        try:
            if Tiff(head).type_of(IFD0, 0xC612) is not None:  # DNGVersion
                return "DNG"
        except (IfdError, struct.error):
            pass
    return None


def _resolve(path: str | os.PathLike[str], fmt: str | None, kind: str | None,
             edits: Mapping[str, Any]) -> tuple[str, str]:
    """The canonical (fmt, kind) if this module can write it, else MetadataWriteError naming the
    fields asked for and why the file cannot hold them."""
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
    asked = ", ".join(sorted(edits)) or "tags"
    raw = _camera_raw(path)
    if raw:
        ext = Path(path).suffix.lower().lstrip(".") or fmt
        raise MetadataWriteError(f"{ext} files ({raw} camera RAW) cannot hold {asked}: RAW originals are "
                                 "read-only for mediaground, it never writes into them")
    if kind == "image" and fmt in IMAGE_WRITE_FORMATS:
        return fmt, kind
    if kind == "audio" and fmt in AUDIO_WRITE_FORMATS:
        return fmt, kind
    if not fmt:
        raise MetadataWriteError(f"{os.fspath(path)}: unrecognized format, so it cannot hold {asked}; {_WRITTEN}")
    reason = _NOT_WRITTEN.get(fmt) or (f"video is not written; {_WRITTEN}" if kind == "video" else _WRITTEN)
    raise MetadataWriteError(f"{fmt} files cannot hold {asked}: {reason}")


def _check_fields(fmt: str, kind: str, edits: Mapping[str, Any]) -> None:
    if not edits:
        raise MetadataWriteError("no edits given")
    allowed = IMAGE_FIELDS if kind == "image" else AUDIO_FIELDS
    bad = sorted(set(edits) - allowed)
    if bad:
        raise MetadataWriteError(
            f"{fmt} files cannot hold {', '.join(bad)} (fields it can hold: {', '.join(sorted(allowed))})")
    if kind == "audio" and "creator" in edits and "artist" in edits:
        raise MetadataWriteError("give creator or artist for audio, not both (creator is written as the artist)")
    if kind == "audio" and "caption" in edits and "comment" in edits:
        raise MetadataWriteError("give caption or comment for audio, not both (audio has one comment, which a "
                                 "caption is written to)")
    # parse_edits output is what we expect; a caller passing raw strings gets a clear error.
    for name, value in edits.items():
        if name in _LIST_FIELDS and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise MetadataWriteError(f"{name}: expected a non-empty list of strings (use parse_edits)")
        if name == "gps" and not (isinstance(value, tuple) and len(value) in (2, 3)):
            raise MetadataWriteError("gps: expected a (lat, lon[, alt]) tuple (use parse_edits)")
        if name in _INT_FIELDS and not isinstance(value, int):
            raise MetadataWriteError(f"{name}: expected an int (use parse_edits)")


def _current(rec: MetadataRecord, name: str, kind: str = "image") -> Any:
    if kind == "audio":
        name = _audio_field(name)
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
        if len(new) == 2:  # a position without an altitude leaves the altitude alone
            old = old[:2]
        if len(old) != len(new):
            return False
        tols = (_GPS_TOL, _GPS_TOL, _ALT_TOL)
        return all(abs(a - b) <= tol + 1e-12 for a, b, tol in zip(old, new, tols))
    if name == "keywords":
        return sorted(old) == sorted(new)
    return old == new


def plan(path: str | os.PathLike[str], fmt: str | None, kind: str | None, edits: Mapping[str, Any]) -> WriteResult:
    """The changes `write_metadata` would make (for --dry-run); fields already as asked are left out.
    `repaired` lists what the write would have to repair first (see WriteResult)."""
    fmt, kind = _resolve(path, fmt, kind, edits)
    _check_fields(fmt, kind, edits)
    changes = _diff(read_metadata(path, fmt, kind), edits, kind)
    repaired: list[str] = []
    if changes and kind == "image":  # what the write would have to repair first
        orig = _original(fmt, Path(path).read_bytes())
        img = pyexiv2.ImageData(orig.base)
        try:
            xmp0 = img.read_xmp()
        finally:
            img.close()
        repaired = _xmp_source(orig, xmp0)[2]
    return WriteResult(changes, repaired)


def _diff(rec: MetadataRecord, edits: Mapping[str, Any], kind: str) -> list[Change]:
    changes = []
    for name, new in edits.items():
        old = _current(rec, name, kind)
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
    # A position without an altitude leaves the altitude as it is (as ExifTool does): it was not asked for.
    if alt is not None:
        exif[g + "GPSAltitudeRef"] = "1" if alt < 0 else "0"
        exif[g + "GPSAltitude"] = f"{round(abs(alt) * 1000)}/1000"
    if any(k.startswith("Xmp.exif.GPS") for k in xmp0):  # keep an XMP copy of the position in step
        xmp["Xmp.exif.GPSLatitude"] = _xmp_coord(lat, "N", "S")
        xmp["Xmp.exif.GPSLongitude"] = _xmp_coord(lon, "E", "W")
        if alt is not None:
            xmp["Xmp.exif.GPSAltitudeRef"] = "1" if alt < 0 else "0"
            xmp["Xmp.exif.GPSAltitude"] = f"{round(abs(alt) * 1000)}/1000"


# exiv2 key -> (IFD, tag, how the value is stored) of each EXIF tag an edit writes
_EXIF_TAGS = {
    "Exif.Image.ImageDescription": (IFD0, 0x010E, ASCII),
    "Exif.Image.Artist": (IFD0, 0x013B, ASCII),
    "Exif.Image.Copyright": (IFD0, 0x8298, ASCII),
    "Exif.Image.XPTitle": (IFD0, 0x9C9B, "ucs2"),
    "Exif.Image.XPAuthor": (IFD0, 0x9C9D, "ucs2"),
    "Exif.Image.XPKeywords": (IFD0, 0x9C9E, "ucs2"),
    "Exif.Photo.DateTimeOriginal": (EXIF, 0x9003, ASCII),
    "Exif.Photo.OffsetTimeOriginal": (EXIF, 0x9011, ASCII),
    "Exif.Photo.SubSecTimeOriginal": (EXIF, 0x9291, ASCII),
    "Exif.GPSInfo.GPSVersionID": (GPS, 0x0000, BYTE),
    "Exif.GPSInfo.GPSLatitudeRef": (GPS, 0x0001, ASCII),
    "Exif.GPSInfo.GPSLatitude": (GPS, 0x0002, RATIONAL),
    "Exif.GPSInfo.GPSLongitudeRef": (GPS, 0x0003, ASCII),
    "Exif.GPSInfo.GPSLongitude": (GPS, 0x0004, RATIONAL),
    "Exif.GPSInfo.GPSAltitudeRef": (GPS, 0x0005, BYTE),
    "Exif.GPSInfo.GPSAltitude": (GPS, 0x0006, RATIONAL),
}
# exiv2 IPTC name -> (record, dataset) of each IIM dataset an edit writes
_IIM_TAGS = {
    "Iptc.Application2.ObjectName": (2, 5), "Iptc.Application2.Keywords": (2, 25),
    "Iptc.Application2.DateCreated": (2, 55), "Iptc.Application2.TimeCreated": (2, 60),
    "Iptc.Application2.Byline": (2, 80), "Iptc.Application2.City": (2, 90),
    "Iptc.Application2.SubLocation": (2, 92), "Iptc.Application2.ProvinceState": (2, 95),
    "Iptc.Application2.CountryCode": (2, 100), "Iptc.Application2.CountryName": (2, 101),
    "Iptc.Application2.Credit": (2, 110), "Iptc.Application2.Copyright": (2, 116),
    "Iptc.Application2.Caption": (2, 120),
}
# An IFD0 with no entries: the EXIF block of a file that has none yet.
_EMPTY_EXIF = b"II*\x00\x08\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00"
# The smallest JPEG exiv2 opens: a carrier in which exiv2 serializes XMP, whatever the file's format.
_XMP_CARRIER = b"\xff\xd8\xff\xd9"


def _exif_changes(tiff: Tiff, exif: Mapping[str, Any]) -> dict[tuple[str, int], Value | None]:
    """The exiv2-style EXIF changes (strings as exiv2 takes them, None = delete) as TIFF values."""
    out: dict[tuple[str, int], Value | None] = {}
    for key, value in exif.items():
        ifd, tag, how = _EXIF_TAGS[key]
        if value is None:
            out[(ifd, tag)] = None
        elif how == "ucs2":  # Windows XP* tags: UCS-2 little-endian in a BYTE array, NUL-terminated
            out[(ifd, tag)] = tiff.make(BYTE, str(value).encode("utf-16-le") + b"\x00\x00")
        elif how == RATIONAL:
            out[(ifd, tag)] = tiff.make(RATIONAL, [tuple(int(n) for n in r.split("/")) for r in str(value).split()])
        elif how == BYTE:
            out[(ifd, tag)] = tiff.make(BYTE, bytes(int(n) for n in str(value).split()))
        else:
            out[(ifd, tag)] = tiff.make(ASCII, value)
    return out


def _iim_changes(iptc: Mapping[str, Any]) -> dict[tuple[int, int], list[bytes] | None]:
    """The exiv2-style IPTC changes as IIM datasets: UTF-8 text, CCYYMMDD dates, HHMMSS±HHMM times."""
    out: dict[tuple[int, int], list[bytes] | None] = {}
    for key, value in iptc.items():
        number = _IIM_TAGS[key]
        if value is None:
            out[number] = None
            continue
        values = value if isinstance(value, list) else [value]
        if number == (2, 55):  # 2024-05-06 -> 20240506
            values = [v.replace("-", "") for v in values]
        elif number == (2, 60):  # 07:08:09-05:00 -> 070809-0500
            values = [v.replace(":", "") for v in values]
        out[number] = [v.encode("utf-8") for v in values]
    return out


def _serialize_xmp(packet: str | None, xmp: Mapping[str, Any]) -> str:
    """The packet with the exiv2-style `xmp` changes, serialized by exiv2 (in a carrier JPEG, so the
    file's own container is never written by exiv2)."""
    img = pyexiv2.ImageData(_XMP_CARRIER)
    try:
        if packet:
            img.modify_raw_xmp(packet)
        img.modify_xmp(dict(xmp))
        return img.read_raw_xmp(encoding="utf-8")
    finally:
        img.close()


class _ImageWrite(NamedTuple):
    data: bytes
    repaired: list[str]
    before: tuple[dict[str, Any], dict[str, Any], dict[str, Any]]  # what exiv2 read: EXIF, IPTC, XMP
    changed: tuple[set[str], set[str], set[str]]  # the exiv2 keys the write meant to change in each


class _Original(NamedTuple):
    """An image as the write starts from it."""

    base: bytes  # its bytes, less any JPEG XMP segment under the old "XMP\0" signature
    blocks: Blocks  # its metadata blocks as stored
    legacy: str | None  # the packet of such a segment, adopted as the standard one


def _original(fmt: str, data: bytes) -> _Original:
    legacy = None
    if fmt == "jpeg":
        data, legacy = legacy_xmp_segments(data)
    try:
        return _Original(data, read_blocks(fmt, data), legacy)
    except (ValueError, struct.error) as exc:
        raise MetadataWriteError(f"the file's metadata cannot be read safely: {exc}") from None


def _xmp_source(orig: _Original, xmp0: dict[str, Any]) -> tuple[str | None, dict[str, Any], list[str], bool]:
    """(the packet to start from, what exiv2 reads in it, repair notes, whether it must be rewritten),
    given what exiv2 read in the file (`xmp0`: nothing when it rejected the packet)."""
    packet = xmp_decode(orig.blocks.xmp) if orig.blocks.xmp is not None else None
    rewrite = False
    if orig.legacy is not None:
        if packet is not None and packet.strip(" \x00\n"):
            raise MetadataWriteError("the file holds two XMP packets (a standard one and one under the old "
                                     "'XMP' signature); refusing to pick one, merge them first")
        packet, rewrite = orig.legacy, True  # adopted as the standard packet, so ExifTool sees one
    if not packet or (xmp0 and not rewrite):
        return packet, xmp0, [], rewrite
    try:
        info = xmp_inspect(packet)
    except XmpRepairError as exc:
        raise MetadataWriteError(f"the file's XMP packet cannot be read ({exc}); writing would lose it") from None
    if not info.properties:
        return packet, {}, [], rewrite  # an empty packet: nothing to lose
    carrier = pyexiv2.ImageData(_XMP_CARRIER)
    try:
        try:
            carrier.modify_raw_xmp(packet)
            return packet, carrier.read_xmp(), [], rewrite
        except Exception:  # exiv2 rejects the packet: repair it, keeping what can be read
            fixed = xmp_repair(packet)
            try:
                carrier.modify_raw_xmp(fixed.packet)
            except Exception as exc:
                raise MetadataWriteError(f"the file's XMP packet is invalid and could not be repaired "
                                         f"(exiv2 still rejects it: {exc})") from None
            return fixed.packet, carrier.read_xmp(), list(fixed.notes), True
    finally:
        carrier.close()


def _write_image(data: bytes, fmt: str, edits: Mapping[str, Any]) -> _ImageWrite:
    """The file's bytes with `edits` written. exiv2 reads the tags and serializes XMP; the blocks
    themselves are edited here, so nothing the edit does not touch changes: EXIF is edited in place
    (:mod:`.ifd`, maker notes keep their offsets), IIM dataset by dataset (others keep their bytes),
    an unedited XMP packet or IPTC block is not rewritten. exiv2 lays out the container only where
    a block has to be created (a new APP1/APP13 segment, PNG chunk, WebP chunk and VP8X flags)."""
    orig = _original(fmt, data)
    base, blocks = orig.base, orig.blocks
    img = pyexiv2.ImageData(base)
    try:
        exif0 = img.read_exif(encoding="latin-1")
        iptc0 = img.read_iptc(encoding="latin-1")
        packet, xmp0, repaired, rewrite_xmp = _xmp_source(orig, img.read_xmp())
    finally:
        img.close()
    exif, iptc, xmp = _image_tags(fmt, edits, exif0, iptc0, xmp0)
    exif = {k: v for k, v in exif.items() if v is not None or k in exif0}
    xmp = {k: v for k, v in xmp.items() if v is not None or k in xmp0}
    writes_iim = fmt in _IIM_FORMATS or blocks.iim is not None
    iptc = {k: v for k, v in iptc.items() if writes_iim and (v is not None or k in iptc0)}

    new_xmp = None
    if xmp or rewrite_xmp:
        info = xmp_inspect(packet) if packet else None
        if info is not None and info.about and (info.instance_id is not None or "Xmp.xmpMM.InstanceID" in xmp0):
            # exiv2 moves a uuid rdf:about into xmpMM:InstanceID, over the real one: put that back.
            xmp.setdefault("Xmp.xmpMM.InstanceID", info.instance_id)
        try:
            serialized = _serialize_xmp(packet, xmp)
        except Exception as exc:
            raise MetadataWriteError(f"exiv2 could not write the XMP: {exc}") from None
        new_xmp = xmp_with_about(serialized, info.about if info else "").encode("utf-8")
    new_iim = new_irb = None
    try:
        if iptc:
            new_iim = edit_iim(blocks.iim, _iim_changes(iptc))
        if fmt == "tiff":
            tiff = Tiff(base)
            changes = _exif_changes(tiff, exif)
            changes.update(_tiff_blocks(tiff, blocks, new_xmp, new_iim))
            out = tiff.edit(changes) if changes else base
        else:
            new_exif = None
            if exif:
                tiff = Tiff(blocks.exif if blocks.exif is not None else _EMPTY_EXIF)
                new_exif = tiff.edit(_exif_changes(tiff, exif))
            if new_iim is not None:
                new_irb = irb_set_iptc(blocks.irb or b"", new_iim)
            out = _put_image_blocks(fmt, base, blocks, new_exif, new_xmp, new_irb)
    except IfdError as exc:
        raise MetadataWriteError(f"the file's EXIF block cannot be edited safely: {exc}") from None
    except ValueError as exc:  # segments: an IIM or Photoshop resource block that cannot be walked
        raise MetadataWriteError(f"the file's IPTC block cannot be edited safely: {exc}") from None
    exif_keys = set(exif) | ({"Exif.Image.XMLPacket", "Exif.Image.IPTCNAA", "Exif.Image.ImageResources"}
                             if fmt == "tiff" else set())
    iptc_keys = set(iptc) | ({"Iptc.Envelope.CharacterSet", "Iptc.Application2.RecordVersion"} if iptc else set())
    return _ImageWrite(out, repaired, (exif0, iptc0, xmp0),
                       (exif_keys, iptc_keys, set(xmp) if new_xmp is not None else set()))


# EXIF pointers hold offsets, which change when an IFD grows and is written again after the block.
_EXIF_POINTERS = {"Exif.Image.ExifTag", "Exif.Image.GPSTag", "Exif.Photo.InteroperabilityTag"}


def _image_guard(path: str, written: _ImageWrite) -> list[str]:
    """Every tag exiv2 read in the original that the write did not mean to change reads back the same.
    The record-level check (_verify) sees only the fields mediaground maps; this sees every tag."""
    img = pyexiv2.ImageData(Path(path).read_bytes())
    try:
        after = (img.read_exif(encoding="latin-1"), img.read_iptc(encoding="latin-1"), img.read_xmp())
    finally:
        img.close()
    problems = []
    for label, old, new, changed in zip(("EXIF", "IPTC", "XMP"), written.before, after, written.changed):
        if label == "IPTC":  # legacy IIM text is re-encoded as UTF-8: compare the text, not the bytes
            old, new = _redecode(old), _redecode(new)
        for key, value in old.items():
            if key in changed or key in _EXIF_POINTERS or key.split("[", 1)[0].split("/", 1)[0] in changed:
                continue
            if key not in new:
                problems.append(f"{label} {key} (not edited) was lost")
            elif new[key] != value:
                problems.append(f"{label} {key} (not edited): was {value!r}, read back {new[key]!r}")
    return problems


def _tiff_blocks(tiff: Tiff, blocks: Blocks, xmp: bytes | None, iim: bytes | None) -> dict[tuple[str, int], Value]:
    """XMP (tag 700) and IPTC IIM (33723) of a TIFF file as IFD0 values, each stored with the type the
    file used (Photoshop and exiv2 use UNDEFINED, ExifTool LONGs padded to 4 bytes), and its Photoshop
    resources (34377) with the IPTC digest over the stored IIM kept current (and an IPTC copy there
    replaced, if it has one)."""
    out: dict[tuple[str, int], Value] = {}
    if xmp is not None:
        typ = tiff.type_of(IFD0, 700)
        out[(IFD0, 700)] = Value(typ if typ in (BYTE, UNDEFINED) else BYTE, len(xmp), xmp)
    if iim is not None:
        if tiff.type_of(IFD0, 33723) == LONG:
            iim += bytes(-len(iim) % 4)
            out[(IFD0, 33723)] = Value(LONG, len(iim) // 4, iim)  # a byte stream: not swapped
        else:
            out[(IFD0, 33723)] = Value(UNDEFINED, len(iim), iim)
        if blocks.irb is not None:
            typ = tiff.type_of(IFD0, 34377)
            irb = irb_set_iptc(blocks.irb, iim, old=blocks.iim, add=False)
            out[(IFD0, 34377)] = Value(typ if typ in (BYTE, UNDEFINED) else UNDEFINED, len(irb), irb)
    return out


def _put_image_blocks(fmt: str, base: bytes, blocks: Blocks, exif: bytes | None, xmp: bytes | None,
                      irb: bytes | None) -> bytes:
    """`base` (JPEG, PNG, WebP) with the new blocks in place. Where a block is new to the file, exiv2
    lays out the container around a placeholder (and re-encodes everything else, so every block the
    file had goes back in as it was)."""
    new = {"exif": exif, "xmp": xmp, "irb": irb}
    old = {"exif": blocks.exif, "xmp": blocks.xmp, "irb": blocks.irb}
    missing = [name for name, value in new.items() if value is not None and old[name] is None]
    layout = base
    if missing:
        # Every block goes back in, so each needs a slot: exiv2 would leave out an empty EXIF block
        # or a packet it rejected, so even the blocks the file has get a placeholder.
        new = {name: value if value is not None else old[name] for name, value in new.items()}
        img = pyexiv2.ImageData(base)
        try:
            if new["exif"] is not None:
                img.modify_exif({"Exif.Image.ImageDescription": "-"})
            if new["irb"] is not None:
                img.modify_iptc({"Iptc.Application2.Caption": "-"})
            if new["xmp"] is not None:
                img.modify_xmp({"Xmp.dc.format": "-"})
            layout = img.get_bytes()
        except Exception as exc:
            raise MetadataWriteError(f"exiv2 could not add a {'/'.join(missing)} block to this {fmt} file: "
                                     f"{exc}") from None
        finally:
            img.close()
    try:
        return put_blocks(fmt, layout, **new)
    except ValueError as exc:
        raise MetadataWriteError(f"cannot put the new tags into this {fmt} file: {exc}") from None


# ---------------------------------------------------------------- audio


def _joined(value: Any) -> str:
    """People as one "A; B" string. ID3v2.4 allows NUL-separated values and MP4 several data atoms,
    but ffmpeg and ExifTool each show only one of them; the reader splits "; " back into a list."""
    return "; ".join(value) if isinstance(value, list) else str(value)


def _audio_field(name: str) -> str:
    """Audio formats have one free-text description, the comment: a caption is written there."""
    return "comment" if name == "caption" else name


def _write_id3(tags: Any, edits: Mapping[str, Any], version: int) -> None:
    """`edits` into an ID3v2 tag that will be saved as v2.`version` (3 or 4)."""
    text_frames = {"title": TIT2, "album": TALB, "genre": TCON, "copyright": TCOP, "isrc": TSRC}
    for field_name, value in edits.items():
        name = _audio_field(field_name)
        if name in text_frames:
            cls = text_frames[name]
            tags.setall(cls.__name__, [cls(encoding=3, text=[value])])
        elif name in ("artist", "creator"):
            tags.setall("TPE1", [TPE1(encoding=3, text=[_joined(value)])])
        elif name == "year":
            # The whole recording date is replaced: v2.3 keeps it in TYER (+ TDAT day, TIME time),
            # v2.4 in TDRC. The day and time of the old date would be wrong for the new year.
            for frame_id in ("TYER", "TDAT", "TIME", "TDRC"):
                tags.delall(frame_id)
            if version == 3:
                tags.setall("TYER", [TYER(encoding=3, text=[str(value)])])
            else:
                tags.setall("TDRC", [TDRC(encoding=3, text=[str(value)])])
        elif name == "bpm":
            tags.setall("TBPM", [TBPM(encoding=3, text=[str(value)])])
        elif name == "comment":
            # The comment is the COMM frame without a description (in any language); named ones
            # (iTunNORM, iTunes_CDDB_*, other programs' fields) are other data and stay.
            for key in [k for k in tags.keys() if k.startswith("COMM:") and tags[k].desc == ""]:
                del tags[key]
            tags.add(COMM(encoding=3, lang="eng", desc="", text=[value]))


# ID3v1 field -> its bytes in the 128-byte tag (the comment's last two bytes may hold a v1.1 track)
_ID3V1_SLOTS = {"title": (3, 33), "artist": (33, 63), "creator": (33, 63), "album": (63, 93), "year": (93, 97),
                "comment": (97, 125), "genre": (127, 128)}


def _id3v1(path: str) -> bytes | None:
    with open(path, "rb") as f:
        f.seek(0, 2)
        if f.tell() < 128:
            return None
        f.seek(-128, 2)
        tail = f.read(128)
    return tail if tail.startswith(b"TAG") else None


def _keep_id3v1(path: str, old: bytes, edits: Mapping[str, Any]) -> None:
    """mutagen rebuilds an existing ID3v1 tag from the ID3v2 frames; keep the old bytes of every
    field that was not edited (a v1 value that differs from v2 is not ours to overwrite)."""
    new = _id3v1(path)
    if new is None:
        return
    merged = bytearray(old)
    for name in {_audio_field(n) for n in edits}:
        if name in _ID3V1_SLOTS:
            a, b = _ID3V1_SLOTS[name]
            merged[a:b] = new[a:b]
            if name == "comment" and old[125] != 0:  # ID3v1.0: a 30-byte comment, no track to keep
                merged[125:127] = b"\x00\x00"
    with open(path, "r+b") as f:
        f.seek(-128, 2)
        f.write(merged)


_VORBIS_KEYS = {"title": "TITLE", "artist": "ARTIST", "creator": "ARTIST", "album": "ALBUM", "genre": "GENRE",
                "year": "DATE", "comment": "COMMENT", "bpm": "BPM", "isrc": "ISRC", "copyright": "COPYRIGHT"}
_MP4_KEYS = {"title": "©nam", "artist": "©ART", "creator": "©ART", "album": "©alb", "genre": "©gen",
             "year": "©day", "comment": "©cmt", "copyright": "cprt"}


def _write_audio(tmp: str, fmt: str, edits: Mapping[str, Any]) -> None:
    """Write `edits` into the audio file at `tmp` (a copy) with mutagen."""
    if fmt in ("mp3", "wav", "aiff"):
        # translate=False keeps the frames as stored, so an ID3v2.3 tag is saved as v2.3 again (its
        # frames unconverted, frames mutagen does not know kept); a new tag, or a v2.2 one (which
        # cannot be written), is saved as v2.4.
        audio = {"mp3": MP3, "wav": WAVE, "aiff": AIFF}[fmt](tmp, translate=False)
        if audio.tags is None:
            audio.add_tags()
        version = 3 if audio.tags.version[:2] == (2, 3) else 4
        if version == 4:
            audio.tags.update_to_v24()
        _write_id3(audio.tags, edits, version)
        # v23_sep=None: several values of a v2.3 frame stay NUL-separated as read, not joined with "/"
        if fmt == "mp3":
            v1 = _id3v1(tmp)
            audio.save(v2_version=version, v23_sep=None, v1=1)  # v1=1: update an existing ID3v1 tag, add none
            if v1 is not None:
                _keep_id3v1(tmp, v1, edits)
        else:
            audio.save(v2_version=version, v23_sep=None)
    elif fmt in ("flac", "ogg"):
        options = [FLAC] if fmt == "flac" else [OggVorbis, OggOpus, OggFLAC, OggSpeex]
        audio = mutagen.File(tmp, options=options)
        if audio is None:
            raise MetadataWriteError(f"mutagen cannot open this {fmt} file for writing")
        if audio.tags is None:
            audio.add_tags()
        present = {k.upper() for k in audio.tags.keys()}
        for field_name, value in edits.items():
            name = _audio_field(field_name)
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            audio.tags[_VORBIS_KEYS[name]] = values
            if name == "comment" and "DESCRIPTION" in present:
                audio.tags["DESCRIPTION"] = values  # the reader falls back to it: keep it in step
        audio.save()
    elif fmt == "m4a":
        audio = MP4(tmp)
        if audio.tags is None:
            audio.add_tags()
        tags = audio.tags
        for field_name, value in edits.items():
            name = _audio_field(field_name)
            if name == "bpm":
                tags["tmpo"] = [value]
            elif name == "isrc":
                tags["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(value.encode("utf-8"), AtomDataType.UTF8)]
            else:
                tags[_MP4_KEYS[name]] = [_joined(value)]
                if name == "genre":
                    tags.pop("gnre", None)  # the numeric ID3v1 genre would contradict ©gen
                if name == "comment" and "desc" in tags:
                    tags["desc"] = [value]  # the description atom, read as the caption: keep it in step
        audio.save()
    else:  # pragma: no cover - _resolve lets only the formats above through
        raise MetadataWriteError(f"cannot write tags to {fmt} files")


def _copy_with_info(src: Any, out: Any, edits: Mapping[str, Any], what: str) -> bool:
    """Copy a WAV file with its RIFF INFO list saying what the ID3 chunk will say; False (nothing
    copied) when it has no INFO list or the edits have no INFO entry."""
    info = _info_changes(edits)
    if not info:
        return False
    try:
        return copy_with_info(src, out, info)
    except ValueError as exc:
        raise MetadataWriteError(f"{what}: its RIFF INFO cannot be rewritten safely ({exc}); nothing was "
                                 "changed") from None


def _info_changes(edits: Mapping[str, Any]) -> dict[bytes, str]:
    """The RIFF INFO entries a WAV write sets (bpm and isrc have none)."""
    out = {}
    for field_name, value in edits.items():
        name = _audio_field(field_name)
        if name in ("artist", "creator"):
            out[INFO_IDS["artist"]] = _joined(value)
        elif name in INFO_IDS:
            out[INFO_IDS[name]] = str(value)
    return out


# ---------------------------------------------------------------- the write


def _expected(kind: str, edits: Mapping[str, Any]) -> dict[str, Any]:
    """What read_metadata must read back for each edited field."""
    if kind != "audio":
        return dict(edits)
    want = {_audio_field(name): value for name, value in edits.items()}
    if "creator" in want:
        want["artist"] = "; ".join(want["creator"])
    return want


# Record fields an edit may change besides its own (the reader derives them from the same tag).
_TOUCHES = {"gps": {"gps_lat", "gps_lon", "gps_alt"}, "creator": {"creator", "artist"}, "artist": {"artist", "creator"},
            "year": {"year", "date_created"}}
# Audio: a caption is the comment; an MP4 description atom kept in step is read as the caption.
_AUDIO_TOUCHES = {**_TOUCHES, "comment": {"comment", "caption"}, "caption": {"comment", "caption"}}
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
    touches = _AUDIO_TOUCHES if kind == "audio" else _TOUCHES
    touched = set().union(*(touches.get(name, {name}) for name in edits))
    if "gps" in edits and len(edits["gps"]) == 2:
        touched.discard("gps_alt")  # kept, so it must read back as it was
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
    if fmt == "wav":
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            info = read_info(mm)
        for cid, text in _info_changes(edits).items() if info else ():
            if info.get(cid) != text:
                problems.append(f"RIFF INFO {cid.decode()}: wrote {text!r}, read back {info.get(cid)!r}")
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
                   edits: Mapping[str, Any], force: bool = False) -> WriteResult:
    """Apply `edits` (from parse_edits) to the file at `path`, any file (no library is involved);
    returns the changes made (== [] when all was already so) and, in `.repaired`, what had to be
    repaired first (an XMP packet exiv2 rejected), for the caller to record with the change.
    `force` writes even when the merged reading already agrees, to bring every standard in line
    (e.g. IPTC keywords that differ from XMP dc:subject, which the merged record hides).

    The original is never opened for writing: a verified temp copy replaces it atomically, or
    nothing happens and MetadataWriteError says why. Symlinks are followed (the target is replaced).
    """
    target = os.path.realpath(path)
    fmt, kind = _resolve(target, fmt, kind, edits)
    _check_fields(fmt, kind, edits)
    before = os.stat(target)
    # No write bit at all (content-store objects are 0444) counts as read-only even for root.
    if not os.access(target, os.W_OK) or not before.st_mode & 0o222:
        raise MetadataWriteError(f"{os.fspath(path)} is read-only; not writing tags to it")
    before_rec = read_metadata(target, fmt, kind)
    changes = _diff(before_rec, edits, kind)
    if not changes and force:
        changes = [Change(name, value, value) for name, value in edits.items()]
    if not changes:
        return WriteResult()
    essence = _essence(target, fmt, os.fspath(path))
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".tmp")
    except OSError as exc:
        raise MetadataWriteError(f"cannot create a temporary file in {folder} ({exc.strerror}): tags are written "
                                 "to a copy beside the file, which then replaces it, so its folder must be "
                                 "writable") from None
    written = None
    try:
        with os.fdopen(fd, "wb") as out, open(target, "rb") as src:
            if kind == "image":
                written = _write_image(src.read(), fmt, edits)
                out.write(written.data)
            elif not (fmt == "wav" and _copy_with_info(src, out, edits, os.fspath(path))):
                while block := src.read(1 << 20):
                    out.write(block)
        if kind == "audio":
            _write_audio(tmp, fmt, edits)
        _fsync_file(tmp)
        problems = _verify(tmp, fmt, kind, edits, before_rec)
        if written is not None:
            problems += _image_guard(tmp, written)
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
    return WriteResult(changes, written.repaired if written is not None else ())


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
