"""Image tags for a metadata write: a JPEG, PNG, WebP or TIFF file's bytes with the edits in its
EXIF, IPTC IIM and XMP blocks, and the check that every tag the write did not mean to change reads
back as it was.

Kept apart from :mod:`.write`, which resolves the format, verifies the copy and puts it in place,
because this is the one part that knows the image blocks. exiv2 (pyexiv2) reads the tags and
serializes XMP, but the blocks are edited here so that the rest keeps its bytes: EXIF in place
(:mod:`.ifd`: maker notes, thumbnails and image strips keep their offsets), IIM dataset by dataset
and the Photoshop digest (:mod:`.segments`), a rejected XMP packet repaired first
(:mod:`.xmp_repair`); exiv2 lays out the container only where a block is new.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

import pyexiv2

from .edits import MetadataWriteError
from .ifd import ASCII, BYTE, EXIF, GPS, IFD0, LONG, RATIONAL, UNDEFINED, IfdError, Tiff, Value
from .jpeg import legacy_xmp_segments
from .read import _redecode
from .segments import Blocks, edit_iim, irb_set_iptc, put_blocks, read_blocks
from .xmp_repair import XmpRepairError
from .xmp_repair import decode as xmp_decode
from .xmp_repair import inspect as xmp_inspect
from .xmp_repair import repair as xmp_repair
from .xmp_repair import with_about as xmp_with_about

_IIM_FORMATS = frozenset({"jpeg", "tiff"})  # where IPTC IIM is always written


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


def _image_tags(edits: Mapping[str, Any], exif0: dict[str, Any],
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


def _repairs_needed(data: bytes, fmt: str) -> list[str]:
    """What a write to this file would have to repair first (see `_xmp_source`), for a dry run."""
    orig = _original(fmt, data)
    img = pyexiv2.ImageData(orig.base)
    try:
        xmp0 = img.read_xmp()
    finally:
        img.close()
    return _xmp_source(orig, xmp0)[2]


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
    exif, iptc, xmp = _image_tags(edits, exif0, xmp0)
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
