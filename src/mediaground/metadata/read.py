"""Read an asset's embedded metadata into one normalized `MetadataRecord`.

Images are read with exiv2 (pyexiv2), their pixel size with Pillow; audio and video with mutagen,
with ffmpeg (PyAV) filling what mutagen cannot see (RIFF INFO in WAV, AVI, MKV, durations).
Where several tags say the same thing, images follow the Metadata Working Group guidance as
ExifTool's MWG module implements it, and `record.sources` names the tag each value came from:

* EXIF first for caption (ImageDescription), creator (Artist, "; "-separated) and copyright, unless
  it is blank or a camera placeholder ("OLYMPUS DIGITAL CAMERA"); the camera wrote it, and MWG
  writers keep it in step.
* XMP against IPTC IIM, decided by Photoshop's IPTC digest (IRB 0x0425, JPEG APP13, TIFF tag
  34377, PSD image resources): when it is absent or matches the IIM block, XMP wins (it is Unicode
  and current tools keep the IIM in step); when it does not match, the IIM was edited by a tool
  that does not know XMP, and the IIM wins for the fields it holds ("iptc-digest-stale" warning).
  This decides title, caption, headline, source, creator, credit, copyright, keywords (from the
  winning source alone, never a union), the legacy place fields and the IIM dates.
* Legacy place fields (city, state, country, country_code, location): IPTC Extension
  LocationShown[1], then IPTC Core/photoshop, against IIM as above; `location_shown` (every
  LocationShown item) and `location_created` (the first LocationCreated item) are read whole.
* date_created: MWG DateTimeOriginal (EXIF DateTimeOriginal + OffsetTimeOriginal, then XMP
  photoshop:DateCreated against IIM 2:55 + 2:60), then MWG CreateDate (EXIF DateTimeDigitized +
  OffsetTimeDigitized, then XMP xmp:CreateDate against IIM 2:62 + 2:63). ISO 8601 in whole seconds,
  with the offset as ±HH:MM when the source has one.
* Licensor (licensor_url, licensor_name): XMP PLUS `plus:Licensor`, a Seq of structs; the first
  licensor that has a value wins, for each of the two fields separately.
* Camera and technical fields (make, model, lens, orientation): EXIF, then XMP.
* Pixel size: the primary image as Pillow reads its header ("pillow:size"); for camera RAW the size
  it develops to where the container states it (RAF, RW2, CR3: "raw:size"); for other RAWs and
  what Pillow cannot open, what exiv2 reads from the container ("exiv2:pixels"); then the tags
  (PixelXDimension, ImageWidth: often the size before a resize).
* GPS: the EXIF GPS IFD, else XMP exif:GPSLatitude/GPSLongitude ("55,2.3256N").
  Out-of-range coordinates are dropped ("gps-out-of-range"); (0, 0) is kept but flagged
  ("gps-null-island").
* Audio/video: the container's own tags (ID3, Vorbis comments, MP4 atoms), then ffmpeg's view; an
  ID3 tag is read even when the MPEG frames behind it do not sync.

A bad tag never fails an ingest: `read_metadata` does not raise; problems are appended to
`record.warnings` as "code" or "code: detail". A broken tag block costs that block only: an EXIF
APP1 that makes exiv2 refuse a JPEG is skipped and the rest re-read ("exif-unreadable"); an XMP
packet exiv2 rejects is read as the writer would repair it (`xmp.parse_packet`, "xmp-invalid"); a file exiv2 cannot
open at all still gets its pixel size and any XMP packet found in its bytes ("tags-unreadable").
Only a file nothing can read gives "metadata-unreadable".
"""


from __future__ import annotations

import hashlib
import math
import mmap
import os
import re
import struct
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import mutagen
import pyexiv2
from mutagen.aiff import AIFF, AIFFFile
from mutagen.apev2 import TEXT, APEv2
from mutagen.id3 import ID3, TCON
from mutagen.mp4 import MP4Tags
from PIL import Image

import mediaground.media.image  # noqa: F401  (registers the HEIF opener: Pillow sizes a HEIC here as it decodes it)
from mediaground.media.containers import Buffer
from mediaground.media.raw import RAW_FORMATS, cr3_size, cr3_tags, cr3_xmp
from mediaground.media.raw import image_size as raw_image_size

from .jpeg import legacy_xmp_packet
from .record import MetadataRecord
from .riff_info import INFO_IDS, read_info
from .segments import _segments as header_segments  # the APPn walk and splice the writer uses
from .segments import _splice as splice
from .segments import iptc_digest_current, irb_get, read_blocks
from .xmp import canonical_keys, find_packet, parse_packet

pyexiv2.set_log_level(4)  # exiv2 otherwise prints every odd tag to stderr; we keep warnings instead

__all__ = ["read_metadata", "IMAGE_FORMATS", "AUDIO_FORMATS", "VIDEO_FORMATS", "LOCATION_FIELDS"]

# The kind `read_metadata` takes a format (or, given none, a file's suffix) to be: media.sniff's
# names, the other names such files go by, and camera RAWs sniff reads as TIFF.
IMAGE_FORMATS = frozenset("jpeg jpg png webp tiff tif heic heif avif gif bmp mpo jp2 jxl psd"
                          " crw nrw srf sr2 pef srw erf kdc dcr 3fr iiq rwl".split()) | RAW_FORMATS
AUDIO_FORMATS = frozenset("mp3 flac ogg oga opus wav wave m4a aac aiff aif wma ape wv mpc dsf spx".split())
VIDEO_FORMATS = frozenset("mp4 m4v mov mkv webm avi wmv mpg mpeg ts m2ts 3gp flv ogv".split())
# Containers mutagen is expected to parse; a mutagen error on anything else is not news.
_MUTAGEN_FORMATS = frozenset("mp3 flac ogg oga opus wav wave m4a m4v mp4 mov aac aiff aif wma ape wv mpc dsf spx".split())


def read_metadata(path: str | os.PathLike[str], fmt: str | None = None, kind: str | None = None) -> MetadataRecord:
    """Read `path` into a MetadataRecord; never raises, see the module docstring."""
    rec = MetadataRecord()
    p = Path(path)
    fmt = (fmt or p.suffix.lstrip(".")).lower() or None
    if kind is None:
        kind = "image" if fmt in IMAGE_FORMATS else "audio" if fmt in AUDIO_FORMATS else "video" if fmt in VIDEO_FORMATS else None
    try:
        if kind == "image":
            _read_image(p, fmt, rec)
        elif kind in ("audio", "video"):
            _read_media(p, fmt, kind, rec)
        elif not _read_image(p, fmt, rec, quiet=True):
            _read_media(p, fmt, None, rec)
    except Exception as exc:  # last line of defence: metadata must never fail an ingest
        rec.warnings.append(f"metadata-error: {type(exc).__name__}: {exc}")
    return rec


# ---------------------------------------------------------------- text helpers


def _redecode(value: Any) -> Any:
    """Undo a latin-1 read: UTF-8 if the bytes are UTF-8 (IIM with ESC % G, modern EXIF), else cp1252/latin-1."""
    if isinstance(value, str):
        try:
            raw = value.encode("latin-1")
        except UnicodeEncodeError:
            return value  # already real Unicode (e.g. Windows XP* tags decoded from UCS-2)
        for encoding in ("utf-8", "cp1252"):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                pass
        return value
    if isinstance(value, list):
        return [_redecode(v) for v in value]
    if isinstance(value, dict):
        return {k: _redecode(v) for k, v in value.items()}
    return value


def _pick_lang(alt: dict[str, Any]) -> Any:
    """From an XMP language alternative prefer x-default, then English, then the first entry."""
    for want in ('lang="x-default"', 'lang="en'):
        for key, value in alt.items():
            if key.startswith(want):
                return value
    return next(iter(alt.values()), None)


def _text(value: Any) -> str | None:
    """One clean string: language alternatives resolved, NULs and blank placeholders removed."""
    if isinstance(value, dict):
        value = _pick_lang(value)
    if isinstance(value, (list, tuple)):
        return next((t for t in map(_text, value) if t), None)
    if value is None:
        return None
    s = str(value).replace("\r\n", "\n").replace("\r", "\n").strip("\x00 \t\n")
    s = s.replace("\x00", "; ")
    # digiKam writes the literal language tag as the value of empty alternatives.
    if not s or s == "x-default" or s.startswith('type="'):
        return None
    return s


def _texts(value: Any, split: str | None = None) -> list[str]:
    """A list of clean strings from a scalar, list or language alternative."""
    if value is None:
        return []
    items = value if isinstance(value, (list, tuple)) else [value]
    out: list[str] = []
    for item in items:
        t = _text(item)
        if t:
            out.extend(x.strip() for x in (t.split(split) if split else [t]) if x.strip())
    return out


def _dedupe(items: Iterable[str]) -> list[str]:
    """Keep the first spelling of each case-insensitively distinct item, in order."""
    seen: set[str] = set()
    out: list[str] = []
    for item in items:
        key = item.casefold()
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _number(value: Any) -> float | None:
    """A float from "12", "12.5" or an EXIF rational "71/10"; None if unparsable or non-finite."""
    t = _text(value)
    if t is None:
        return None
    t = t.split()[0]
    try:
        if "/" in t:
            num, den = t.split("/", 1)
            result = float(num) / float(den)
        else:
            result = float(t)
    except (ValueError, ZeroDivisionError):
        return None
    return result if math.isfinite(result) else None


def _int(value: Any) -> int | None:
    """An int from "3", "3/11" (track of total), "120.0"; None if unparsable."""
    t = _text(value)
    if t is None:
        return None
    m = re.match(r"\s*([+-]?\d+(?:\.\d+)?)", t)
    return int(round(float(m.group(1)))) if m else None


# ---------------------------------------------------------------- record helpers


def _source(key: str) -> str:
    """'Xmp.dc.description' -> 'xmp:dc:description', 'Iptc.Application2.Caption' -> 'iptc:Caption'."""
    family, group, name = (key.split(".", 2) + ["", ""])[:3]
    if family == "Xmp":
        return f"xmp:{group}:{name}"
    return f"{family.lower()}:{name}"


def _put(rec: MetadataRecord, name: str, value: Any, source: str) -> bool:
    """Set a field unless it already has a value (earlier sources win) or `value` is empty."""
    if value is None or value == "" or value == [] or getattr(rec, name) not in (None, "", []):
        return False
    setattr(rec, name, value)
    rec.sources[name] = source
    return True


def _pick(rec: MetadataRecord, name: str, meta: dict[str, Any], keys: Iterable[str], conv: Callable[[Any], Any] = _text) -> None:
    """Set `name` from the first of `keys` present in `meta` (keys are in precedence order)."""
    for key in keys:
        if key in meta and _put(rec, name, conv(meta[key]), _source(key)):
            return


# ---------------------------------------------------------------- images

_CAMERA_PLACEHOLDER = re.compile(r"^(?:\w+\s+)?(?:digital\s+(?:still\s+)?camera|dsc|default)$", re.I)
_NO_EXIV2 = frozenset({"gif"})  # exiv2 sizes a GIF but never reads its XMP application extension
_JPEG = frozenset({"jpeg", "jpg", "mpo"})
_TIFF_MAGIC = (b"II*\0", b"MM\0*")
_IIM = "Iptc.Application2."
_SHOWN, _CREATED = "Xmp.Iptc4xmpExt.LocationShown", "Xmp.Iptc4xmpExt.LocationCreated"


def _read_image(path: Path, fmt: str | None, rec: MetadataRecord, quiet: bool = False) -> bool:
    """Fill `rec` from EXIF/IPTC/XMP and the image's own size; False when neither exiv2 nor Pillow
    can open the file (nothing about it is known to be an image). exiv2 and Pillow open the file
    themselves; what is read here byte by byte (the IPTC digest, legacy or stray XMP packets, PSD
    resources, RAW structures) is read from the file memory-mapped, never from a copy of it."""
    with _mapped(path) as data:
        return _read_image_tags(path, fmt, data, rec, quiet)


def _read_image_tags(path: Path, fmt: str | None, data: Buffer, rec: MetadataRecord, quiet: bool) -> bool:
    exif: dict[str, Any] = {}
    iptc: dict[str, Any] = {}
    xmp: dict[str, Any] = {}
    tag_size = (0, 0)
    camera_raw = fmt in RAW_FORMATS  # Pillow would size the first IFD of a TIFF-based RAW: a thumbnail
    img, why = (None, "") if fmt in _NO_EXIV2 else _open_exiv2(path)
    if img is None and why and fmt in _JPEG:
        # A broken EXIF APP1 makes exiv2 refuse the whole JPEG: read the rest without it.
        without = _without_exif_app1(data)
        if without is not None:
            img, _ = _open_exiv2(path, without)
            if img is not None:
                rec.warnings.append(f"exif-unreadable: {why}")
    if img is not None:
        try:
            # latin-1 is byte-transparent; _redecode then picks UTF-8 or a legacy 8-bit code page per value.
            exif = _read_block(rec, "exif", lambda: _redecode(img.read_exif(encoding="latin-1")))
            iptc = _read_block(rec, "iptc", lambda: _redecode(img.read_iptc(encoding="latin-1")))
            xmp = _read_block(rec, "xmp", lambda: _redecode(img.read_xmp(encoding="latin-1")))
            if not xmp:
                raw = _read_block(rec, "xmp", lambda: img.read_raw_xmp(encoding="utf-8"))
                if raw and raw.strip():
                    # exiv2's XMP toolkit drops a whole packet for one repeated property (digiKam, Capture One).
                    xmp = _with_warnings(rec, parse_packet(raw))
            tag_size = _read_block(rec, "size", lambda: (img.get_pixel_width(), img.get_pixel_height())) or (0, 0)
            if not camera_raw and data[:4] in _TIFF_MAGIC and (img.get_mime_type() != "image/tiff"
                                                               or "Exif.Image.DNGVersion" in exif):
                # A TIFF-based RAW under another name: a DNG catalogued as "tiff" before RAW formats had
                # names, a PEF, SRW or NEF that exiv2 tells by its compression where sniff sees a TIFF.
                camera_raw = True
        finally:
            img.close()
        xmp = canonical_keys(xmp)
    if not xmp and fmt in _JPEG:
        # XMP under the old "XMP\0" APP1 signature: exiv2 ignores it, ExifTool reads it.
        legacy = legacy_xmp_packet(data)
        if legacy:
            rec.warnings.append("xmp-legacy-signature")
            xmp = _with_warnings(rec, parse_packet(legacy))
    cmt = _read_block(rec, "exif", lambda: cr3_tags(data)) if img is None and fmt == "cr3" else {}
    if cmt:  # exiv2 refused the CR3, its EXIF boxes are whole: say so, not "tags-unreadable"
        rec.warnings.append(f"exif-from-cmt-boxes: exiv2: {why}")
        exif, why = _redecode(cmt), ""
        packet = _read_block(rec, "xmp", lambda: cr3_xmp(data))  # its own box: no need to look for it
        if packet:
            xmp = _with_warnings(rec, parse_packet(packet))
        size = cr3_size(cmt)
    else:
        size = raw_image_size(data, fmt) if camera_raw else _pixel_size(path)
    if img is None and not cmt and not xmp and (size is not None or not quiet):
        # GIF's "XMP DataXMP" extension, or a file exiv2 cannot open: scan the bytes for the packet.
        packet = find_packet(data, max(data.find(b"XMP DataXMP"), 0) if fmt == "gif" else 0)
        if packet:
            xmp = _with_warnings(rec, parse_packet(packet))
    if img is None and why:
        if size is None and not xmp:
            if not quiet:
                rec.warnings.append(f"metadata-unreadable: {why}")
            return False
        rec.warnings.append(f"tags-unreadable: {why}")
    stale = _iim_stale(fmt, data) if iptc else False
    if stale:
        rec.warnings.append("iptc-digest-stale: IIM edited without XMP; IIM wins where it has a value")
    _apply_image_tags(rec, {**exif, **iptc, **xmp}, (size, "raw:size" if camera_raw else "pillow:size"),
                      tag_size, stale)
    return True


def _open_exiv2(path: Path, data: bytes | None = None) -> tuple[Any, str]:
    """(an open pyexiv2 image, "") or (None, why exiv2 refused the file): exiv2 opens the file at
    `path` itself, or reads `data` (a file edited in memory) where given."""
    try:
        if data is not None:
            return pyexiv2.ImageData(data), ""
        try:
            return pyexiv2.Image(os.fspath(path)), ""
        except UnicodeEncodeError:  # a file name that is not valid UTF-8
            return pyexiv2.ImageData(path.read_bytes()), ""
    except Exception as exc:  # exiv2 raises RuntimeError for unknown or corrupt files
        return None, str(exc) or type(exc).__name__


def _without_exif_app1(data: Buffer) -> bytes | None:
    """The JPEG without its "Exif\\0\\0" APP1 segments, or None when it has none or cannot be walked."""
    try:
        cuts = [(seg.offset, seg.end, b"") for seg in header_segments(data)
                if seg.marker == 0xE1 and data[seg.start:seg.start + 6] == b"Exif\x00\x00"]
    except ValueError:
        return None
    return splice(data, iter(cuts)) if cuts else None


def _with_warnings(rec: MetadataRecord, parsed: tuple[dict[str, Any], list[str]]) -> dict[str, Any]:
    meta, warnings = parsed
    rec.warnings.extend(warnings)
    return meta


def _pixel_size(path: Path) -> tuple[int, int] | None:
    """The primary image's size as Pillow reads it from the image header (nothing is decoded); None
    for anything Pillow cannot open. (A camera RAW's is the size it develops to where its container
    states it: `media.raw.image_size`.)"""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DecompressionBombWarning: only the header is read here
            with Image.open(path) as im:
                width, height = im.size
    except Exception:  # not a format Pillow knows (HEIC without a plugin, JPEG XL), or a broken header
        return None
    return (width, height) if width > 0 and height > 0 else None


@contextmanager
def _mapped(path: Path) -> Iterator[Buffer]:
    """The file memory-mapped read-only (a RAW can be 100 MB; only its structure is looked at);
    b"" where it is empty or cannot be mapped (exiv2 and Pillow then say what is wrong with it)."""
    with ExitStack() as stack:
        buf: Buffer = b""
        try:
            f = stack.enter_context(open(path, "rb"))
            buf = stack.enter_context(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))
        except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
            pass
        yield buf


def _with_mapped(path: Path, read: Callable[[mmap.mmap], Any]) -> Any:
    """`read` over the file memory-mapped read-only; OSError or ValueError where it cannot be."""
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
        return read(buf)


def _read_block(rec: MetadataRecord, name: str, read: Callable[[], Any]) -> Any:
    """One metadata block; a failure costs that block only."""
    try:
        return read()
    except Exception as exc:
        rec.warnings.append(f"{name}-unreadable: {exc}")
        return {}


# ---------------------------------------------------------------- the IPTC digest


def _iim_stale(fmt: str | None, data: Buffer) -> bool:
    """True when Photoshop's IPTC digest (IRB 0x0425) is present and does not match the IIM block:
    the IIM was edited by a program that did not update the XMP (MWG). False when absent or current."""
    try:
        if fmt in _JPEG:
            return iptc_digest_current(data) is False
        if fmt == "psd":
            irb = _psd_resources(data)
            iim = irb_get(irb, 0x0404) if irb is not None else None
        elif data[:4] in _TIFF_MAGIC:  # TIFF and TIFF-based RAW: IIM in tag 33723, resources in 34377
            _, _, irb, iim = read_blocks("tiff", data)
        else:
            return False
        return irb is not None and _digest_stale(iim, irb_get(irb, 0x0425))
    except (ValueError, struct.error):  # a structure that cannot be walked has no digest to trust
        return False


def _digest_stale(iim: bytes | None, digest: bytes | None) -> bool:
    """A TIFF stores the IIM padded with NULs to a whole number of LONGs; writers (ExifTool) digest
    it without the padding, so both count as current."""
    if iim is None or digest is None:
        return False
    return digest not in (hashlib.md5(iim).digest(), hashlib.md5(iim.rstrip(b"\x00")).digest())


def _psd_resources(data: Buffer) -> bytes | None:
    """A PSD's image resources section (after the 26-byte header and the colour mode data)."""
    if data[:4] != b"8BPS" or len(data) < 34:
        return None
    pos = 26 + 4 + int.from_bytes(data[26:30], "big")
    size = int.from_bytes(data[pos:pos + 4], "big")
    return data[pos + 4:pos + 4 + size]


# ---------------------------------------------------------------- image tags → record


def _mwg(rec: MetadataRecord, name: str, meta: dict[str, Any], xmp_keys: list[str], iim_key: str, stale: bool,
         conv: Callable[[Any], Any] = _text) -> None:
    """XMP against IPTC IIM as the MWG decides: XMP first (it is Unicode, and current tools keep the
    IIM in step with it), unless the IPTC digest says the IIM was edited after it; then the IIM wins
    for the fields it holds."""
    iim = _IIM + iim_key
    _pick(rec, name, meta, [iim, *xmp_keys] if stale else [*xmp_keys, iim], conv)


def _apply_image_tags(rec: MetadataRecord, meta: dict[str, Any], size: tuple[tuple[int, int] | None, str],
                      tag_size: tuple[int, int], stale: bool) -> None:
    """Map exiv2 keys onto the record following the module's precedence rules."""
    for key in ("Exif.Image.ImageDescription", "Exif.Image.Artist", "Exif.Image.Copyright"):
        value = _text(meta.get(key))
        if value is None or _CAMERA_PLACEHOLDER.match(value):  # "OLYMPUS DIGITAL CAMERA", "SONY DSC" say nothing
            meta.pop(key, None)

    def names(value: Any) -> list[str]:
        return _dedupe(_texts(value))

    def split_names(value: Any) -> list[str]:  # EXIF Artist / XPAuthor separate people with "; " (MWG)
        return _dedupe(_texts(value, ";"))

    def shown(field: str) -> str:
        return f"{_SHOWN}[1]/Iptc4xmpExt:{field}"

    _mwg(rec, "title", meta, ["Xmp.dc.title"], "ObjectName", stale)
    _pick(rec, "title", meta, ["Exif.Image.XPTitle"])
    _pick(rec, "caption", meta, ["Exif.Image.ImageDescription"])
    _mwg(rec, "caption", meta, ["Xmp.dc.description"], "Caption", stale)
    _mwg(rec, "headline", meta, ["Xmp.photoshop.Headline"], "Headline", stale)
    _mwg(rec, "source", meta, ["Xmp.photoshop.Source"], "Source", stale)
    _pick(rec, "alt_text", meta, ["Xmp.Iptc4xmpCore.AltTextAccessibility"])
    _pick(rec, "extended_description", meta, ["Xmp.Iptc4xmpCore.ExtDescrAccessibility"])
    _pick(rec, "creator", meta, ["Exif.Image.Artist"], split_names)
    _mwg(rec, "creator", meta, ["Xmp.dc.creator"], "Byline", stale, names)
    _pick(rec, "creator", meta, ["Exif.Image.XPAuthor"], split_names)
    _mwg(rec, "credit", meta, ["Xmp.photoshop.Credit"], "Credit", stale)
    _pick(rec, "copyright", meta, ["Exif.Image.Copyright"])
    _mwg(rec, "copyright", meta, ["Xmp.dc.rights"], "Copyright", stale)
    _pick(rec, "license_url", meta, ["Xmp.xmpRights.WebStatement", "Xmp.cc.license"])
    _image_licensor(rec, meta)
    _mwg(rec, "keywords", meta, ["Xmp.dc.subject"], "Keywords", stale, names)
    _pick(rec, "keywords", meta, ["Exif.Image.XPKeywords"], lambda v: _dedupe(_texts(v, ";")))
    # The legacy place fields: IPTC Extension LocationShown first (as ExifTool's MWG tags), then IPTC Core.
    _mwg(rec, "city", meta, [shown("City"), "Xmp.photoshop.City"], "City", stale)
    _mwg(rec, "state", meta, [shown("ProvinceState"), "Xmp.photoshop.State"], "ProvinceState", stale)
    _mwg(rec, "country", meta, [shown("CountryName"), "Xmp.photoshop.Country"], "CountryName", stale)
    _mwg(rec, "country_code", meta, [shown("CountryCode"), "Xmp.Iptc4xmpCore.CountryCode"], "CountryCode", stale)
    _mwg(rec, "location", meta, [shown("Sublocation"), "Xmp.Iptc4xmpCore.Location"], "SubLocation", stale)
    _image_locations(rec, meta)

    comment = _text(meta.get("Exif.Photo.UserComment"))
    if comment:  # exiv2 prefixes the declared charset
        _put(rec, "comment", _text(re.sub(r"^charset=\S+\s*", "", comment)), "exif:UserComment")
    _pick(rec, "comment", meta, ["Exif.Image.XPComment"])

    _pick(rec, "camera_make", meta, ["Exif.Image.Make", "Xmp.tiff.Make"])
    _pick(rec, "camera_model", meta, ["Exif.Image.Model", "Xmp.tiff.Model"])
    _pick(rec, "lens", meta, ["Exif.Photo.LensModel", "Xmp.exifEX.LensModel", "Xmp.aux.Lens"])
    for key in ("Exif.Image.Orientation", "Xmp.tiff.Orientation"):
        if key in meta:
            value = _int(meta[key])
            if value is not None and 1 <= value <= 8:
                _put(rec, "orientation", value, _source(key))
                break
            rec.warnings.append(f"bad-orientation: {_source(key)}={meta[key]!r}")

    # Pixel size: the image itself; else what exiv2 reads from the container (RAW, HEIC without a
    # decoder); else the tags, which often still describe the original before a resize.
    for (width, height), source in ((size[0] or (0, 0), size[1]), (tag_size, "exiv2:pixels")):
        if width > 0 and height > 0 and rec.width is None:
            _put(rec, "width", width, source)
            _put(rec, "height", height, source)
    _pick(rec, "width", meta, ["Exif.Photo.PixelXDimension", "Exif.Image.ImageWidth", "Xmp.exif.PixelXDimension",
                               "Xmp.tiff.ImageWidth"], _int)
    _pick(rec, "height", meta, ["Exif.Photo.PixelYDimension", "Exif.Image.ImageLength", "Xmp.exif.PixelYDimension",
                                "Xmp.tiff.ImageLength"], _int)

    _image_gps(rec, meta)
    _image_date(rec, meta, stale)


_LICENSOR_KEY = re.compile(r"Xmp\.plus\.Licensor\[(\d+)\]/plus:Licensor(URL|Name)")


def _image_licensor(rec: MetadataRecord, meta: dict[str, Any]) -> None:
    """PLUS Licensor is an ordered array of structs; take the first URL and the first name present."""
    found = sorted((int(m.group(1)), m.group(2), key) for key in meta if (m := _LICENSOR_KEY.fullmatch(key)))
    for _, part, key in found:
        _put(rec, "licensor_url" if part == "URL" else "licensor_name", _text(meta[key]), _source(key))


# IPTC Extension LocationDetails fields -> keys of the record's location dicts.
LOCATION_FIELDS = {"LocationName": "name", "Sublocation": "sublocation", "City": "city",
                   "ProvinceState": "state", "CountryName": "country", "CountryCode": "country_code",
                   "WorldRegion": "world_region"}
_LOCATION_KEY = re.compile(r"Xmp\.Iptc4xmpExt\.(LocationShown|LocationCreated)\[(\d+)\]/(\w+):(\w+)")


def _image_locations(rec: MetadataRecord, meta: dict[str, Any]) -> None:
    """IPTC Extension LocationShown (a Bag: every place shown) and LocationCreated (where the picture
    was taken: the first item), each a dict of the LocationDetails fields that have a value."""
    items: dict[tuple[str, int], dict[str, Any]] = {}
    for key, value in meta.items():
        m = _LOCATION_KEY.fullmatch(key)
        if not m:
            continue
        which, index, prefix, field = m.group(1), int(m.group(2)), m.group(3), m.group(4)
        item = items.setdefault((which, index), {})
        if prefix == "Iptc4xmpExt" and field in LOCATION_FIELDS and (text := _text(value)):
            item[LOCATION_FIELDS[field]] = text
        elif prefix == "exif" and field in ("GPSLatitude", "GPSLongitude", "GPSAltitude"):
            item[field] = value
    for (which, _index), item in sorted(items.items()):
        lat = _dms(item.pop("GPSLatitude", None), None, "S")
        lon = _dms(item.pop("GPSLongitude", None), None, "W")
        alt = _number(item.pop("GPSAltitude", None))
        if lat is not None and lon is not None and -90 <= lat <= 90 and -180 <= lon <= 180:
            item.update(gps_lat=round(lat, 7), gps_lon=round(lon, 7))
            if alt is not None:
                item["gps_alt"] = round(alt, 3)
        if not item:
            continue
        if which == "LocationShown":
            rec.location_shown.append(item)
            rec.sources["location_shown"] = "xmp:Iptc4xmpExt:LocationShown"
        else:
            _put(rec, "location_created", item, "xmp:Iptc4xmpExt:LocationCreated")


# ---------------------------------------------------------------- GPS


def _dms(value: Any, ref: Any, negative: str) -> float | None:
    """EXIF "55/1 2/1 19521/1000" + ref, or XMP "55,2.3256N" / "55,2,19.5N", to signed decimal degrees."""
    t = _text(value)
    if t is None:
        return None
    ref_text = (_text(ref) or "").upper()[:1]
    m = re.fullmatch(r"\s*([\d.]+)(?:,([\d.]+))?(?:,([\d.]+))?\s*([NSEW])\s*", t, re.I)
    if m:  # XMP form carries its own hemisphere letter
        parts: list[float | None] = [float(x) for x in m.groups()[:3] if x is not None]
        ref_text = m.group(4).upper()
    else:
        parts = [_number(x) for x in t.replace(",", " ").split()]
    if not parts or len(parts) > 3 or any(p is None for p in parts):
        return None
    degrees = sum(p / 60**i for i, p in enumerate(parts))  # type: ignore[operator]
    sign = -1.0 if (ref_text == negative or degrees < 0) else 1.0
    return sign * abs(degrees)


def _image_gps(rec: MetadataRecord, meta: dict[str, Any]) -> None:
    """EXIF GPS IFD first, then XMP's copy of it."""
    for prefix, src in (("Exif.GPSInfo.", "exif:"), ("Xmp.exif.", "xmp:exif:")):
        raw_lat, raw_lon = meta.get(prefix + "GPSLatitude"), meta.get(prefix + "GPSLongitude")
        if raw_lat is None and raw_lon is None:
            continue
        lat = _dms(raw_lat, meta.get(prefix + "GPSLatitudeRef"), "S")
        lon = _dms(raw_lon, meta.get(prefix + "GPSLongitudeRef"), "W")
        if lat is None or lon is None:
            rec.warnings.append(f"gps-unparsable: {src}GPSLatitude={raw_lat!r} GPSLongitude={raw_lon!r}")
            continue
        alt = _number(meta.get(prefix + "GPSAltitude"))
        if alt is not None and _text(meta.get(prefix + "GPSAltitudeRef")) == "1":  # 1 = below sea level
            alt = -alt
        _set_gps(rec, lat, lon, alt, src)
        return


def _set_gps(rec: MetadataRecord, lat: float, lon: float, alt: float | None, src: str) -> None:
    """Validate then store a position; bad ones are dropped with a warning, never guessed at."""
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        rec.warnings.append("gps-out-of-range")
        return
    if lat == 0 and lon == 0:
        rec.warnings.append("gps-null-island")
    _put(rec, "gps_lat", round(lat, 7), src + "GPSLatitude")
    _put(rec, "gps_lon", round(lon, 7), src + "GPSLongitude")
    if alt is not None:
        _put(rec, "gps_alt", round(alt, 3), src + "GPSAltitude")


# ---------------------------------------------------------------- dates

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?")


def _iso(value: str | None) -> str | None:
    """ISO 8601 as the record keeps it, or None: a date, year-month or year as given; a date-time in
    whole seconds with its offset (if any) as ±HH:MM ("Z" is +00:00). EXIF's "2013:05:10 15:21:35"
    and a space for the "T" are accepted."""
    if not value:
        return None
    s = value.strip()
    if re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", s):
        return s if s[:4] != "0000" else None
    s = re.sub(r"^(\d{4}):(\d{2}):(\d{2})", r"\1-\2-\3", s)
    m = _ISO.fullmatch(s[:10] + "T" + s[11:] if len(s) > 10 and s[10] == " " else s)
    if not m:
        return None
    y, mo, d, hh, mm, ss, off = m.groups()
    try:
        parsed = datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    out = f"{y}-{mo}-{d}"
    if hh:
        out += f"T{hh}:{mm}:{ss or '00'}"
        if off:
            off = "+00:00" if off == "Z" else off if ":" in off else f"{off[:3]}:{off[3:]}"
            if int(off[1:3]) > 14 or int(off[4:]) > 59:
                return None
            out += off
    return out


def _with_offset(value: Any, offset: Any) -> str | None:
    """An EXIF date-time with its OffsetTime* tag (EXIF 2.31), as ISO 8601."""
    t, off = _text(value), _text(offset)
    if t and off and re.fullmatch(r"[+-]\d{2}:\d{2}|Z", off) and len(t) > 10:
        t = t[:19] + off
    return _iso(t)


def _iim_iso(date: Any, time: Any) -> str | None:
    """IIM 2:55 DateCreated ("2004-02-26", exiv2's reading of CCYYMMDD) + 2:60 TimeCreated ("10:30:00+02:00")."""
    d, t = _text(date), _text(time)
    return _iso(f"{d}T{t}" if d and t else d)


# MWG DateTimeOriginal, then MWG CreateDate: each is EXIF (+ its offset), then XMP against IIM by the
# IPTC digest. (EXIF key, EXIF offset key, XMP key, IIM date, IIM time)
_DATES = (
    ("Exif.Photo.DateTimeOriginal", "Exif.Photo.OffsetTimeOriginal", "Xmp.photoshop.DateCreated",
     "Iptc.Application2.DateCreated", "Iptc.Application2.TimeCreated"),
    ("Exif.Photo.DateTimeDigitized", "Exif.Photo.OffsetTimeDigitized", "Xmp.xmp.CreateDate",
     "Iptc.Application2.DigitizationDate", "Iptc.Application2.DigitizationTime"),
)


def _image_date(rec: MetadataRecord, meta: dict[str, Any], stale: bool) -> None:
    for exif, offset, xmp, iim_date, iim_time in _DATES:
        by_digest = [(xmp, lambda xmp=xmp: _iso(_text(meta[xmp]))),
                     (iim_date, lambda d=iim_date, t=iim_time: _iim_iso(meta[d], meta.get(t)))]
        candidates: list[tuple[str, Callable[[], str | None]]] = [
            (exif, lambda exif=exif, offset=offset: _with_offset(meta[exif], meta.get(offset))),
            *(reversed(by_digest) if stale else by_digest),
        ]
        for key, parse in candidates:
            if _text(meta.get(key)) is None:
                continue
            value = parse()
            if value and _put(rec, "date_created", value, _source(key)):
                return
            if not value:
                rec.warnings.append(f"bad-date: {_source(key)}={meta[key]!r}")


# ---------------------------------------------------------------- audio and video


def _read_media(path: Path, fmt: str | None, kind: str | None, rec: MetadataRecord) -> None:
    """mutagen for the container's native tags; ffmpeg for what it leaves empty."""
    audio = None
    try:
        audio = mutagen.File(path)
    except Exception as exc:
        id3 = _id3_alone(path)
        if id3 is not None:  # the MPEG frames do not sync (a cut file, a bad header): the tag is still there
            rec.warnings.append(f"audio-unreadable: {exc}")
            _from_id3(rec, id3)
        elif fmt in _MUTAGEN_FORMATS:
            rec.warnings.append(f"tags-unreadable: {exc}")
    if audio is not None:  # an untagged FileType is falsy, hence `is not None`
        length = getattr(audio.info, "length", None)
        if length and math.isfinite(length) and length > 0:
            _put(rec, "duration", round(float(length), 3), "mutagen:length")
        tags = audio.tags
        if isinstance(tags, ID3):
            _from_id3(rec, tags)
        elif isinstance(tags, MP4Tags):
            _from_mp4(rec, tags)
        elif isinstance(tags, APEv2):
            _from_ape(rec, tags)
        elif tags is not None and hasattr(tags, "as_dict"):
            _from_vorbis(rec, tags)
        if getattr(audio, "pictures", None):  # FLAC picture blocks
            rec.has_cover_art = True
        if rec.has_cover_art is None:
            rec.has_cover_art = False
        if isinstance(audio, AIFF):
            _from_aiff_chunks(path, rec)
    if fmt in ("wav", "wave"):
        _from_riff_info(path, rec)
    tagged = any(getattr(rec, f) for f in ("title", "artist", "album", "genre", "comment", "date_created"))
    if kind == "video" or rec.duration is None or not tagged:
        _from_ffmpeg(path, rec, report=audio is None and not tagged)
    if rec.artist and not rec.creator:
        rec.creator = _dedupe(a.strip() for a in rec.artist.split(";") if a.strip())
        rec.sources["creator"] = rec.sources.get("artist", "")


def _id3_alone(path: Path) -> ID3 | None:
    """The ID3v2 tag at the start of a file, read without its audio; None if there is none."""
    try:
        with open(path, "rb") as f:
            if f.read(3) != b"ID3":
                return None
        return ID3(path)
    except Exception:  # mutagen raises ID3NoHeaderError, ID3BadUnsynchData, ... for a broken tag
        return None


def _put_date(rec: MetadataRecord, value: str | None, source: str) -> None:
    """An audio date sets `year` and, when it is valid ISO 8601, `date_created`."""
    if not value or value.startswith(("1970-01-01T00:00:00", "1904-01-01T00:00:00")):
        return  # container epoch zero means "never set", not a date
    iso = _iso(value)
    if iso:
        _put(rec, "date_created", iso, source)
    m = re.match(r"\s*(\d{4})", value)
    if m and 1000 <= int(m.group(1)) <= 9999:
        _put(rec, "year", int(m.group(1)), source)
    elif not iso:
        rec.warnings.append(f"bad-date: {source}={value!r}")


def _put_int(rec: MetadataRecord, name: str, value: Any, source: str) -> None:
    if _text(value) is None:
        return
    number = _int(value)
    if number is None or number < 0:
        rec.warnings.append(f"bad-tag: {source}={_text(value)!r}")
    else:
        _put(rec, name, number, source)


def _from_id3(rec: MetadataRecord, tags: ID3) -> None:
    def text(frame_id: str) -> list[str]:
        return [t for frame in tags.getall(frame_id) for t in _texts([str(x) for x in frame.text])]

    _put(rec, "title", "; ".join(text("TIT2")), "id3:TIT2")
    _put(rec, "artist", "; ".join(_dedupe(text("TPE1"))), "id3:TPE1")
    _put(rec, "album", "; ".join(text("TALB")), "id3:TALB")
    genres = [g for frame in tags.getall("TCON") for g in _texts(frame.genres)]
    _put(rec, "genre", "; ".join(_dedupe(genres)), "id3:TCON")
    _put(rec, "copyright", "; ".join(text("TCOP")), "id3:TCOP")
    _put(rec, "isrc", next(iter(text("TSRC")), None), "id3:TSRC")
    _put_int(rec, "bpm", next(iter(text("TBPM")), None), "id3:TBPM")
    _put_int(rec, "track", next(iter(text("TRCK")), None), "id3:TRCK")
    _put_date(rec, next(iter(text("TDRC")), None), "id3:TDRC")
    for frame in tags.getall("COMM"):
        if not frame.desc.startswith("iTun"):  # iTunNORM, iTunes_CDDB_* are machine data
            if _put(rec, "comment", _text(list(frame.text)), "id3:COMM"):
                break
    rec.has_cover_art = bool(tags.getall("APIC"))


_VORBIS_FIELDS = {"title": "title", "artist": "artist", "album": "album", "genre": "genre", "copyright": "copyright",
                  "isrc": "isrc", "comment": "comment"}


def _from_vorbis(rec: MetadataRecord, tags: Any) -> None:
    """Vorbis comments (FLAC, Ogg Vorbis/Opus/Speex); keys are case-insensitive."""
    d = {k.lower(): v for k, v in tags.as_dict().items()}
    for key, name in _VORBIS_FIELDS.items():
        _put(rec, name, "; ".join(_dedupe(_texts(d.get(key)))), f"vorbis:{key.upper()}")
    _put(rec, "comment", _text(d.get("description")), "vorbis:DESCRIPTION")
    _put_int(rec, "bpm", _text(d.get("bpm")), "vorbis:BPM")
    _put_int(rec, "track", _text(d.get("tracknumber")), "vorbis:TRACKNUMBER")
    _put_date(rec, _text(d.get("date")), "vorbis:DATE")
    rec.has_cover_art = "metadata_block_picture" in d or "coverart" in d


def _from_mp4(rec: MetadataRecord, tags: MP4Tags) -> None:
    def text(key: str) -> list[str]:
        values = tags.get(key) or []
        return _texts([v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values])

    for key, name in (("©nam", "title"), ("©ART", "artist"), ("©alb", "album"), ("cprt", "copyright"), ("©cmt", "comment")):
        _put(rec, name, "; ".join(text(key)), f"mp4:{key}")
    _put(rec, "genre", "; ".join(text("©gen")), "mp4:©gen")
    gnre = tags.get("gnre") or []
    if gnre and 0 < gnre[0] <= len(TCON.GENRES):  # ID3v1 genre number + 1
        _put(rec, "genre", TCON.GENRES[gnre[0] - 1], "mp4:gnre")
    _put(rec, "caption", next(iter(text("desc")), None), "mp4:desc")
    _put(rec, "isrc", next(iter(text("----:com.apple.iTunes:ISRC")), None), "mp4:ISRC")
    _put_int(rec, "bpm", next(iter(text("tmpo")), None), "mp4:tmpo")
    trkn = tags.get("trkn") or []
    if trkn and trkn[0] and trkn[0][0]:
        _put(rec, "track", int(trkn[0][0]), "mp4:trkn")
    _put_date(rec, next(iter(text("©day")), None), "mp4:©day")
    _put_iso6709(rec, next(iter(text("©xyz")), None), "mp4:©xyz")
    rec.has_cover_art = bool(tags.get("covr"))


_APE_FIELDS = {"title": "title", "artist": "artist", "album": "album", "genre": "genre", "copyright": "copyright",
               "isrc": "isrc", "comment": "comment"}


def _from_ape(rec: MetadataRecord, tags: APEv2) -> None:
    """APEv2 (Monkey's Audio, WavPack, Musepack); keys are case-insensitive, binary items (cover
    art) are skipped."""
    d = {k.lower(): str(v) for k, v in tags.items() if v.kind == TEXT}
    for key, name in _APE_FIELDS.items():
        _put(rec, name, "; ".join(_dedupe(_texts(d.get(key), "\0"))), f"ape:{key.title()}")
    _put_int(rec, "bpm", _text(d.get("bpm")), "ape:BPM")
    _put_int(rec, "track", _text((d.get("track") or "").split("/")[0]), "ape:Track")
    _put_date(rec, _text(d.get("year")), "ape:Year")
    rec.has_cover_art = any(k.lower().startswith("cover art") for k in tags.keys())


_AIFF_TEXT = {"NAME": ("title", "aiff:NAME"), "AUTH": ("artist", "aiff:AUTH"), "(c) ": ("copyright", "aiff:(c)"),
              "ANNO": ("comment", "aiff:ANNO")}


_INFO_FIELDS = {field: cid for field, cid in INFO_IDS.items() if field != "year"}


def _from_riff_info(path: Path, rec: MetadataRecord) -> None:
    """A WAV's RIFF INFO list (INAM, IART, ...), where its ID3 chunk left a field empty: the writer
    keeps both in step, and a WAV tagged by Windows or a DAW has INFO alone."""
    try:
        info = _with_mapped(path, read_info)
    except (OSError, ValueError) as exc:  # not a RIFF WAVE we can walk: ffmpeg still has its say
        rec.warnings.append(f"riff-info-unreadable: {exc}")
        return
    for field, cid in _INFO_FIELDS.items():
        _put(rec, field, _text(info.get(cid)), f"riff:{cid.decode()}")
    _put_date(rec, _text(info.get(INFO_IDS["year"])), "riff:ICRD")


def _from_aiff_chunks(path: Path, rec: MetadataRecord) -> None:
    """AIFF's own text chunks (NAME, AUTH, "(c) ", ANNO), where its ID3 chunk left a field empty."""
    try:
        with open(path, "rb") as f:
            iff = AIFFFile(f)
            for chunk_id, (name, source) in _AIFF_TEXT.items():
                if getattr(rec, name) is None and chunk_id in iff:
                    _put(rec, name, _text(iff[chunk_id].read().split(b"\0", 1)[0].decode("latin-1")), source)
    except Exception as exc:  # mutagen raises IffError, InvalidChunk, struct.error for a broken chunk list
        rec.warnings.append(f"aiff-chunks-unreadable: {exc}")


def _put_iso6709(rec: MetadataRecord, value: str | None, source: str) -> None:
    """QuickTime/MP4 location "+55.0387+008.4572+010.000/" to GPS fields."""
    m = re.match(r"\s*([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)?", value or "")
    if m:
        alt = float(m.group(3)) if m.group(3) else None
        _set_gps(rec, float(m.group(1)), float(m.group(2)), alt, source + ":")


_FFMPEG_FIELDS = {"title": "title", "artist": "artist", "album": "album", "genre": "genre", "comment": "comment",
                  "description": "caption", "copyright": "copyright", "isrc": "isrc", "tsrc": "isrc"}


def _from_ffmpeg(path: Path, rec: MetadataRecord, report: bool) -> None:
    """Container tags and duration as ffmpeg sees them; fills only what is still empty."""
    import av  # imported here: PyAV is heavy and most images never need it

    try:
        container = av.open(os.fspath(path), metadata_errors="replace")
    except Exception as exc:
        rec.warnings.append(f"metadata-unreadable: {exc}" if report else f"ffmpeg-unreadable: {exc}")
        return
    with container:
        if container.duration and container.duration > 0:
            _put(rec, "duration", round(container.duration / 1_000_000, 3), "ffmpeg:duration")
        md = {k.lower(): v for k, v in container.metadata.items()}
    for key, name in _FFMPEG_FIELDS.items():
        _put(rec, name, _text(md.get(key)), f"ffmpeg:{key}")
    _put_int(rec, "track", md.get("track"), "ffmpeg:track")
    _put_int(rec, "bpm", md.get("tbpm") or md.get("bpm"), "ffmpeg:bpm")
    for key in ("date", "creation_time"):
        _put_date(rec, _text(md.get(key)), f"ffmpeg:{key}")
    for key in ("location", "com.apple.quicktime.location.iso6709"):
        if rec.gps_lat is None:
            _put_iso6709(rec, _text(md.get(key)), f"ffmpeg:{key}")
