"""Read an asset's embedded metadata into one normalized `MetadataRecord`.

Images are read with exiv2 (pyexiv2), audio and video with mutagen, with ffmpeg (PyAV) filling
what mutagen cannot see (RIFF INFO in WAV, AVI, MKV, durations). When standards disagree the
first source with a value wins, and `record.sources` says which one it was:

* Descriptive fields (title, caption, creator, credit, copyright, place): XMP, then IPTC IIM,
  then EXIF. XMP is what current tools edit and is always Unicode, IIM is its legacy mirror, and
  EXIF's ImageDescription/Artist/Copyright are often camera placeholders. This is the order
  Google's image-license reader uses (dc:creator, then IIM 2:80 By-line, then EXIF Artist).
* Licensor (licensor_url, licensor_name): XMP PLUS `plus:Licensor`, a Seq of structs (exiv2 keys
  `Xmp.plus.Licensor[n]/plus:LicensorURL` / `.../plus:LicensorName`); the first licensor that has
  a value wins, for each of the two fields separately. Neither IIM nor EXIF has a licensor.
* Keywords: XMP dc:subject, IPTC 2:25 Keywords and Windows XPKeywords merged, de-duplicated
  case-insensitively (the first spelling is kept).
* Camera and technical fields (make, model, lens, orientation): EXIF, then XMP, because the
  camera wrote EXIF and XMP copies are derived. Pixel size: what exiv2 reads from the image
  container, then tags (tags often still describe the original before resizing).
* GPS: the EXIF GPS IFD, else XMP exif:GPSLatitude/GPSLongitude ("55,2.3256N").
  Out-of-range coordinates are dropped ("gps-out-of-range"); (0, 0) is kept but flagged
  ("gps-null-island").
* date_created: EXIF DateTimeOriginal (+ OffsetTimeOriginal), XMP photoshop:DateCreated,
  XMP xmp:CreateDate, IPTC DateCreated + TimeCreated, EXIF DateTimeDigitized.
* Audio/video: the container's own tags (ID3, Vorbis comments, MP4 atoms), then ffmpeg's view.

A bad tag never fails an ingest: `read_metadata` does not raise; problems are appended to
`record.warnings` as "code" or "code: detail", and an unreadable file gives a record holding
whatever could be read plus a warning.
"""

from __future__ import annotations

import math
import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import mutagen
import pyexiv2
from mutagen.id3 import ID3, TCON
from mutagen.mp4 import MP4Tags

from .jpeg import legacy_xmp_segments
from .record import MetadataRecord

pyexiv2.set_log_level(4)  # exiv2 otherwise prints every odd tag to stderr; we keep warnings instead

__all__ = ["read_metadata", "IMAGE_FORMATS", "AUDIO_FORMATS", "VIDEO_FORMATS"]

IMAGE_FORMATS = frozenset(
    "jpeg jpg png webp tiff tif heic heif avif gif bmp mpo jp2 dng cr2 cr3 nef arw orf rw2 raf psd".split()
)
AUDIO_FORMATS = frozenset("mp3 flac ogg oga opus wav wave m4a aac aiff aif wma ape wv mpc dsf spx".split())
VIDEO_FORMATS = frozenset("mp4 m4v mov mkv webm avi wmv mpg mpeg ts m2ts 3gp flv ogv".split())
# Containers mutagen is expected to parse; a mutagen error on anything else is not news.
_MUTAGEN_FORMATS = frozenset("mp3 flac ogg oga opus wav wave m4a m4v mp4 mov aac aiff aif wma ape wv mpc dsf spx".split())
_NO_EXIV2 = frozenset({"gif"})  # this exiv2 build has no GIF support, and GIFs rarely carry EXIF/XMP


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
_XMP_NAMESPACES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://creativecommons.org/ns#": "cc",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
}
_XMP_PREFIX_FIX = {"iptc": "Iptc4xmpCore", "iptcExt": "Iptc4xmpExt"}
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _read_image(path: Path, fmt: str | None, rec: MetadataRecord, quiet: bool = False) -> bool:
    """Fill `rec` from EXIF/IPTC/XMP; False when exiv2 cannot open the file at all."""
    if fmt in _NO_EXIV2:
        return True
    try:
        try:
            img = pyexiv2.Image(os.fspath(path))
        except UnicodeEncodeError:  # a file name that is not valid UTF-8
            img = pyexiv2.ImageData(path.read_bytes())
    except Exception as exc:  # exiv2 raises RuntimeError for unknown or corrupt files
        if not quiet:
            rec.warnings.append(f"metadata-unreadable: {exc}")
        return False
    try:
        # latin-1 is byte-transparent; _redecode then picks UTF-8 or a legacy 8-bit code page per value.
        exif = _read_block(rec, "exif", lambda: _redecode(img.read_exif(encoding="latin-1")))
        iptc = _read_block(rec, "iptc", lambda: _redecode(img.read_iptc(encoding="latin-1")))
        xmp = _read_block(rec, "xmp", lambda: _redecode(img.read_xmp(encoding="latin-1")))
        if not xmp:
            raw = _read_block(rec, "xmp", lambda: img.read_raw_xmp(encoding="utf-8"))
            if raw and raw.strip():
                # exiv2's XMP toolkit drops a whole packet for one duplicate property (digiKam does this).
                xmp = _lenient_xmp(raw, rec)
        if not xmp and fmt in ("jpeg", "mpo"):
            # XMP under the old "XMP\0" APP1 signature: exiv2 ignores it, ExifTool reads it.
            _, legacy = legacy_xmp_segments(path.read_bytes())
            if legacy:
                rec.warnings.append("xmp-legacy-signature")
                xmp = _lenient_xmp(legacy, rec)
        # exiv2 names the IPTC Core/Extension namespaces "iptc"/"iptcExt"; use the standard prefixes.
        xmp = {_canonical_xmp_key(k): v for k, v in xmp.items()}
        size = _read_block(rec, "size", lambda: (img.get_pixel_width(), img.get_pixel_height())) or (0, 0)
    finally:
        img.close()
    _apply_image_tags(rec, {**exif, **iptc, **xmp}, size)
    return True


def _canonical_xmp_key(key: str) -> str:
    parts = key.split(".", 2)
    if len(parts) == 3:
        parts[1] = _XMP_PREFIX_FIX.get(parts[1], parts[1])
    return ".".join(parts)


def _read_block(rec: MetadataRecord, name: str, read: Callable[[], Any]) -> Any:
    """One metadata block; a failure costs that block only."""
    try:
        return read()
    except Exception as exc:
        rec.warnings.append(f"{name}-unreadable: {exc}")
        return {}


def _lenient_xmp(raw: str, rec: MetadataRecord) -> dict[str, Any]:
    """Parse an XMP packet exiv2 rejected into exiv2-style keys, first occurrence winning."""
    if "<!DOCTYPE" in raw or "<!ENTITY" in raw:  # no entity expansion from untrusted files
        rec.warnings.append("xmp-invalid: DOCTYPE in packet, ignored")
        return {}
    try:
        root = ET.fromstring(raw.strip().strip("\x00"))
    except ET.ParseError as exc:
        rec.warnings.append(f"xmp-invalid: {exc}")
        return {}

    def qname(tag: str) -> str | None:
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        prefix = _XMP_NAMESPACES.get(ns)
        return f"{prefix}:{local}" if prefix else None

    def key_of(tag: str) -> str | None:
        name = qname(tag)
        return "Xmp." + name.replace(":", ".", 1) if name else None

    def struct_fields(item: ET.Element) -> list[tuple[str, str]] | None:
        """The known fields of an array item that is a struct (plus:Licensor items), else None."""
        if item.get(_RDF + "parseType") != "Resource":
            inner = next(iter(item), None)
            if inner is not None and inner.tag == _RDF + "Description":
                item = inner
            elif inner is None and not any(not a.startswith((_RDF, "{http://www.w3.org/XML/")) for a in item.attrib):
                return None
        pairs = [(name, value) for attr, value in item.attrib.items() if (name := qname(attr))]
        pairs += [(name, child.text or "") for child in item if (name := qname(child.tag))]
        return pairs

    out: dict[str, Any] = {}
    for desc in root.iter(_RDF + "Description"):
        for attr, value in desc.attrib.items():
            if (key := key_of(attr)) and key not in out:
                out[key] = value
        for child in desc:
            key = key_of(child.tag)
            if not key or key in out:
                continue
            inner = next(iter(child), None)
            if inner is not None and inner.tag in (_RDF + "Bag", _RDF + "Seq"):
                items: list[str] = []
                for i, li in enumerate(inner, 1):
                    struct = struct_fields(li)
                    if struct is None:
                        items.append(li.text or "")
                    for name, value in struct or []:  # exiv2's key for a struct field in an array item
                        out.setdefault(f"{key}[{i}]/{name}", value)
                out[key] = items if items else f'type="{inner.tag[len(_RDF):]}"'
            elif inner is not None and inner.tag == _RDF + "Alt":
                out[key] = {f'lang="{li.get(_XML_LANG, "x-default")}"': li.text or "" for li in inner}
            else:
                out[key] = child.text or ""
    if out:  # an empty packet is what exiv2 reports as nothing, too; only a lossy one is news
        rec.warnings.append("xmp-invalid: packet rejected by exiv2, read leniently")
    return out


def _apply_image_tags(rec: MetadataRecord, meta: dict[str, Any], size: tuple[int, int]) -> None:
    """Map exiv2 keys onto the record following the module's precedence rules."""
    desc = _text(meta.get("Exif.Image.ImageDescription"))
    if desc and _CAMERA_PLACEHOLDER.match(desc):  # "OLYMPUS DIGITAL CAMERA", "SONY DSC" say nothing
        del meta["Exif.Image.ImageDescription"]

    def names(value: Any) -> list[str]:
        return _dedupe(_texts(value))

    def split_names(value: Any) -> list[str]:  # EXIF Artist / XPAuthor separate people with ";"
        return _dedupe(_texts(value, ";"))

    _pick(rec, "title", meta, ["Xmp.dc.title", "Iptc.Application2.ObjectName", "Xmp.photoshop.Headline",
                               "Iptc.Application2.Headline", "Exif.Image.XPTitle"])
    _pick(rec, "caption", meta, ["Xmp.dc.description", "Iptc.Application2.Caption", "Exif.Image.ImageDescription"])
    _pick(rec, "alt_text", meta, ["Xmp.Iptc4xmpCore.AltTextAccessibility"])
    _pick(rec, "extended_description", meta, ["Xmp.Iptc4xmpCore.ExtDescrAccessibility"])
    _pick(rec, "creator", meta, ["Xmp.dc.creator", "Iptc.Application2.Byline"], names)
    _pick(rec, "creator", meta, ["Exif.Image.Artist", "Exif.Image.XPAuthor"], split_names)
    _pick(rec, "credit", meta, ["Xmp.photoshop.Credit", "Iptc.Application2.Credit"])
    _pick(rec, "copyright", meta, ["Xmp.dc.rights", "Iptc.Application2.Copyright", "Exif.Image.Copyright"])
    _pick(rec, "license_url", meta, ["Xmp.xmpRights.WebStatement", "Xmp.cc.license"])
    _image_licensor(rec, meta)
    _pick(rec, "city", meta, ["Xmp.photoshop.City", "Iptc.Application2.City"])
    _pick(rec, "state", meta, ["Xmp.photoshop.State", "Iptc.Application2.ProvinceState"])
    _pick(rec, "country", meta, ["Xmp.photoshop.Country", "Iptc.Application2.CountryName"])
    _pick(rec, "country_code", meta, ["Xmp.Iptc4xmpCore.CountryCode", "Iptc.Application2.CountryCode"])
    _pick(rec, "location", meta, ["Xmp.Iptc4xmpCore.Location", "Iptc.Application2.SubLocation"])

    kw_keys = [("Xmp.dc.subject", None), ("Iptc.Application2.Keywords", None), ("Exif.Image.XPKeywords", ";")]
    keywords = [(k, _texts(meta.get(k), sep)) for k, sep in kw_keys]
    rec.keywords = _dedupe(w for _, words in keywords for w in words)
    if rec.keywords:
        rec.sources["keywords"] = "+".join(_source(k) for k, words in keywords if words)

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

    width, height = size
    if width > 0 and height > 0:
        _put(rec, "width", width, "exiv2:pixels")
        _put(rec, "height", height, "exiv2:pixels")
    _pick(rec, "width", meta, ["Exif.Photo.PixelXDimension", "Exif.Image.ImageWidth", "Xmp.exif.PixelXDimension",
                               "Xmp.tiff.ImageWidth"], _int)
    _pick(rec, "height", meta, ["Exif.Photo.PixelYDimension", "Exif.Image.ImageLength", "Xmp.exif.PixelYDimension",
                                "Xmp.tiff.ImageLength"], _int)

    _image_gps(rec, meta)
    _image_date(rec, meta)


_LICENSOR_KEY = re.compile(r"Xmp\.plus\.Licensor\[(\d+)\]/plus:Licensor(URL|Name)")


def _image_licensor(rec: MetadataRecord, meta: dict[str, Any]) -> None:
    """PLUS Licensor is an ordered array of structs; take the first URL and the first name present."""
    found = sorted((int(m.group(1)), m.group(2), key) for key in meta if (m := _LICENSOR_KEY.fullmatch(key)))
    for _, part, key in found:
        _put(rec, "licensor_url" if part == "URL" else "licensor_name", _text(meta[key]), _source(key))


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


def _iso(value: str | None) -> str | None:
    """`value` if it is an ISO 8601 date or date-time (year-only and year-month allowed), else None."""
    if not value:
        return None
    s = value.strip()
    if len(s) > 10 and s[10] == " ":
        s = s[:10] + "T" + s[11:]
    if re.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?", s):
        return s if s[:4] != "0000" else None
    try:
        parsed = datetime.fromisoformat(s)
    except ValueError:
        return None
    return s if parsed.year > 1 else None


def _exif_iso(value: Any, offset: Any) -> str | None:
    """EXIF "2013:05:10 15:21:35" (+ "+02:00") to ISO 8601."""
    t = _text(value)
    m = re.match(r"(\d{4}):(\d{2}):(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2}))?)?", t or "")
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    s = f"{y}-{mo}-{d}" + (f"T{hh}:{mm}:{ss or '00'}" if hh else "")
    off = _text(offset)
    if hh and off and re.fullmatch(r"[+-]\d{2}:\d{2}|Z", off):
        s += off
    return _iso(s)


def _image_date(rec: MetadataRecord, meta: dict[str, Any]) -> None:
    iptc_date = _text(meta.get("Iptc.Application2.DateCreated"))
    iptc_time = _text(meta.get("Iptc.Application2.TimeCreated"))
    candidates = [
        ("Exif.Photo.DateTimeOriginal", lambda: _exif_iso(meta["Exif.Photo.DateTimeOriginal"], meta.get("Exif.Photo.OffsetTimeOriginal"))),
        ("Xmp.photoshop.DateCreated", lambda: _iso(_text(meta["Xmp.photoshop.DateCreated"]))),
        ("Xmp.xmp.CreateDate", lambda: _iso(_text(meta["Xmp.xmp.CreateDate"]))),
        ("Iptc.Application2.DateCreated", lambda: _iso(f"{iptc_date}T{iptc_time}" if iptc_time else iptc_date)),
        ("Exif.Photo.DateTimeDigitized", lambda: _exif_iso(meta["Exif.Photo.DateTimeDigitized"], meta.get("Exif.Photo.OffsetTimeDigitized"))),
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
        if fmt in _MUTAGEN_FORMATS:
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
        elif tags is not None and hasattr(tags, "as_dict"):
            _from_vorbis(rec, tags)
        if getattr(audio, "pictures", None):  # FLAC picture blocks
            rec.has_cover_art = True
        if rec.has_cover_art is None:
            rec.has_cover_art = False
    tagged = any(getattr(rec, f) for f in ("title", "artist", "album", "genre", "comment", "date_created"))
    if kind == "video" or rec.duration is None or not tagged:
        _from_ffmpeg(path, rec, report=audio is None)
    if rec.artist and not rec.creator:
        rec.creator = _dedupe(a.strip() for a in rec.artist.split(";") if a.strip())
        rec.sources["creator"] = rec.sources.get("artist", "")


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
