"""Camera RAW files, read for what we need and nothing more: where the sensor data lies (the
essence), the largest embedded JPEG (the pixels the model sees: we never develop a RAW), and the
orientation the camera recorded.

Every function takes the whole file as ``bytes`` or a read-only ``mmap.mmap`` and returns offsets
or small values; nothing is decoded here. Structures are walked with
:mod:`mediaground.media.containers`.
"""

from __future__ import annotations

from typing import NamedTuple

from mediaground.media.containers import (Box, Buffer, ContainerError, Tiff, bmff_boxes, find_box, jpeg_frame,
                                          jpeg_segments)

# Camera RAW formats by sniff name. The TIFF-based ones are walked as TIFF (ORF and RW2 only
# differ in their magic number); CR3 is ISO-BMFF; RAF, MRW and X3F have their own headers.
RAW_FORMATS = frozenset({"cr2", "cr3", "nef", "arw", "dng", "raf", "rw2", "orf", "mrw", "x3f"})
TIFF_RAWS = frozenset({"cr2", "nef", "arw", "dng", "rw2", "orf"})

_CFA, _LINEAR_RAW = 32803, 34892  # PhotometricInterpretation of sensor data
_CR2_SLICE = 0xC640  # only the raw IFD of a CR2 has it
_CANON_UUID = bytes.fromhex("85c0b687820f11e08111f4ce462b6a48")  # CR3: CMT1-4 (TIFF metadata), THMB
_XMP_UUID = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")  # CR3 (and other ISO-BMFF files): the XMP packet
_JPEG_FRAMES = (0xC0, 0xC1, 0xC2)  # baseline, extended, progressive: what Pillow decodes (not SOF3 lossless raw)
# Bounds on the time spent on a hostile file: SOI markers looked at, and the largest candidates
# walked to their EOI (the first that is complete wins, so a real preview is found at once).
_MAX_CANDIDATES = 10_000
_MAX_COMPLETE_WALKS = 8

Extents = list[tuple[int, int]]


class Preview(NamedTuple):
    """The largest complete embedded JPEG: where it lies."""

    start: int
    end: int


def largest_jpeg(buf: Buffer) -> Preview | None:
    """The largest embedded JPEG that Pillow can decode and that is complete up to its EOI.

    Every SOI (FF D8 FF) in the file is a candidate: previews sit in TIFF strips and tags, maker
    notes, CR3 tracks and boxes, the RAF header, the TTW block of MRW, the X3F directory. A
    candidate counts when its header walks to a baseline or progressive frame; the largest by
    pixel count (the earlier one on a tie) that also walks to its EOI wins. Lossless-JPEG sensor
    data (CR2, DNG) has a SOF3 frame and is never picked.
    """
    found: list[tuple[int, int, int]] = []
    pos = 0
    for _ in range(_MAX_CANDIDATES):
        at = buf.find(b"\xff\xd8\xff", pos)
        if at < 0:
            break
        frame = jpeg_frame(buf, at)
        if frame is not None and frame[0] in _JPEG_FRAMES and frame[1] and frame[2]:
            found.append((at, frame[1], frame[2]))
        pos = at + 3
    for at, _width, _height in sorted(found, key=lambda c: (-c[1] * c[2], c[0]))[:_MAX_COMPLETE_WALKS]:
        try:
            end = max(seg.end for seg in jpeg_segments(buf, at))  # the last one is the EOI
        except ContainerError:
            continue
        return Preview(at, end)
    return None


def orientation(buf: Buffer, fmt: str) -> int | None:
    """The EXIF orientation (1-8) the RAW container records in its IFD0 (TIFF-based, CR3's CMT1),
    or None where it has none or it cannot be read: orientation is metadata, never an error."""
    try:
        if fmt in TIFF_RAWS:
            tiff = Tiff(buf)
        elif fmt == "cr3":
            cmt1 = _cr3_cmt1(buf)
            if cmt1 is None:
                return None
            tiff = Tiff(buf, cmt1.start)
        else:
            return None
        ifd0, _ = tiff.ifd(tiff.first)
        value = tiff.ints(ifd0.get(0x0112))
    except ContainerError:
        return None
    return value[0] if value and 1 <= value[0] <= 8 else None


def sensor_data(buf: Buffer, fmt: str) -> Extents | None:
    """Where the raw sensor data lies, as (start, end) byte ranges in file order, or None where this
    format's sensor data is not isolated here (CR3, whose tracks PyAV demuxes; MRW, X3F) or the
    file declares none.

    The ranges are as declared: the caller checks them against the file size. Raises
    ContainerError where the structure that declares them cannot be walked.
    """
    if fmt in TIFF_RAWS:
        return _tiff_sensor_data(buf, fmt)
    if fmt == "raf":
        return _raf_sensor_data(buf)
    return None


def image_size(buf: Buffer, fmt: str) -> tuple[int, int] | None:
    """The size of the image the RAW develops to, as its container states it, where exiv2 reports
    something else: RAF's cropped size (exiv2 has none), RW2's sensor borders (exiv2 gives the
    whole sensor, borders included), CR3's IFD0 (exiv2 may not open the file). None elsewhere, or
    where the structure cannot be read."""
    try:
        if fmt == "raf":
            return _raf_size(buf)
        if fmt == "rw2":
            tiff = Tiff(buf)
            ifd0, _ = tiff.ifd(tiff.first)
            top, left, bottom, right = (tiff.ints(ifd0.get(tag))[:1] for tag in (0x0004, 0x0005, 0x0006, 0x0007))
            if top and left and bottom and right:
                return _positive(right[0] - left[0], bottom[0] - top[0])
            return None
        if fmt == "cr3":
            return cr3_size(cr3_tags(buf))
    except ContainerError:
        return None
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


# --- TIFF-based: CR2, NEF, ARW, DNG, ORF, RW2 -----------------------------------


def _tiff_sensor_data(buf: Buffer, fmt: str) -> Extents | None:
    """The strips or tiles of the IFD that holds the sensor data: the one marked as CFA/linear raw
    (NEF, ARW, DNG) or as a CR2 raw slice, that is not a reduced-resolution image; among equals,
    the one with the most data (ORF and RW2 keep theirs in IFD0, previews are far smaller)."""
    tiff = Tiff(buf)
    best: tuple[tuple[bool, bool, int], Extents] | None = None
    for ifd in tiff.ifds():
        if fmt == "rw2" and 0x0118 in ifd:  # RawDataOffset: an RW2's StripOffsets may be a placeholder
            offsets = tiff.ints(ifd[0x0118])
            counts = tiff.ints(ifd.get(0x0117))
        else:
            offsets = tiff.ints(ifd.get(0x0111)) or tiff.ints(ifd.get(0x0144))  # strips, else tiles
            counts = tiff.ints(ifd.get(0x0117)) or tiff.ints(ifd.get(0x0145))
        if not offsets or len(offsets) != len(counts) or not any(counts):
            continue
        photometric = tiff.ints(ifd.get(0x0106))[:1]
        subfile = tiff.ints(ifd.get(0x00FE))[:1]
        is_raw = bool(set(photometric) & {_CFA, _LINEAR_RAW}) or _CR2_SLICE in ifd
        key = (is_raw, not (subfile and subfile[0] & 1), sum(counts))
        if best is None or key > best[0]:
            best = (key, [(o, o + c) for o, c in zip(offsets, counts)])
    return best[1] if best else None


# --- CR3 (ISO-BMFF) ----------------------------------------------------------


def _cr3_canon_box(buf: Buffer) -> Box | None:
    """Canon's uuid box inside moov: CMT1-4 and the thumbnail."""
    moov = find_box(buf, b"moov")
    if moov is None:
        return None
    for box in bmff_boxes(buf, moov.start, moov.end):
        if box.btype == b"uuid" and buf[box.start - 16:box.start] == _CANON_UUID:
            return box
    return None


def _cr3_cmt1(buf: Buffer) -> Box | None:
    canon = _cr3_canon_box(buf)
    return None if canon is None else find_box(buf, b"CMT1", canon.start, canon.end)


# The EXIF tags a CR3 keeps in its CMT boxes (each a TIFF block: CMT1 = IFD0, CMT2 = the Exif IFD,
# CMT4 = the GPS IFD; CMT3 is the maker note), by the names exiv2 gives them.
_CR3_TAGS = {
    b"CMT1": ("Exif.Image", {0x0100: "ImageWidth", 0x0101: "ImageLength", 0x010E: "ImageDescription",
                             0x010F: "Make", 0x0110: "Model", 0x0112: "Orientation", 0x0132: "DateTime",
                             0x013B: "Artist", 0x8298: "Copyright"}),
    b"CMT2": ("Exif.Photo", {0x9003: "DateTimeOriginal", 0x9004: "DateTimeDigitized", 0x9010: "OffsetTime",
                             0x9011: "OffsetTimeOriginal", 0x9012: "OffsetTimeDigitized", 0xA002: "PixelXDimension",
                             0xA003: "PixelYDimension", 0xA434: "LensModel"}),
    b"CMT4": ("Exif.GPSInfo", {0x0001: "GPSLatitudeRef", 0x0002: "GPSLatitude", 0x0003: "GPSLongitudeRef",
                               0x0004: "GPSLongitude", 0x0005: "GPSAltitudeRef", 0x0006: "GPSAltitude"}),
}


def cr3_tags(buf: Buffer) -> dict[str, str | int]:
    """The EXIF a CR3 holds in its Canon CMT boxes, keyed as exiv2 keys them (text as text, integers
    as int, rationals as exiv2 writes them: "n/d n/d"): what we read when exiv2 cannot open the
    file. {} where the boxes are missing; raises ContainerError for a box that cannot be walked."""
    canon = _cr3_canon_box(buf)
    out: dict[str, str | int] = {}
    if canon is None:
        return out
    for name, (group, tags) in _CR3_TAGS.items():
        box = find_box(buf, name, canon.start, canon.end)
        if box is None:
            continue
        tiff = Tiff(buf, box.start)
        ifd, _ = tiff.ifd(tiff.first)
        for tag, key in tags.items():
            entry = ifd.get(tag)
            if entry is None:
                continue
            if entry.type == 2:
                value: str | int = tiff.text(entry)
            elif entry.type in (5, 10):
                value = " ".join(f"{n}/{d}" for n, d in tiff.rationals(entry))
            elif entry.type == 1 and key.endswith("AltitudeRef"):
                value = (tiff.ints(entry) or [0])[0]
            else:
                ints = tiff.ints(entry)
                value = ints[0] if len(ints) == 1 else ""
            if value != "":
                out[f"{group}.{key}"] = value
    return out


def cr3_size(tags: dict[str, str | int]) -> tuple[int, int] | None:
    """The size a CR3 develops to: the ImageWidth and ImageLength of its IFD0 (CMT1), from `cr3_tags`."""
    width, height = tags.get("Exif.Image.ImageWidth", 0), tags.get("Exif.Image.ImageLength", 0)
    return _positive(width, height) if isinstance(width, int) and isinstance(height, int) else None


def cr3_xmp(buf: Buffer) -> bytes | None:
    """The XMP packet a CR3 keeps in its top-level XMP uuid box, or None; raises ContainerError where
    the boxes before it cannot be walked. Only box headers are read on the way (not the sensor data)."""
    for box in bmff_boxes(buf):
        if box.btype == b"uuid" and buf[box.start - 16:box.start] == _XMP_UUID:
            return buf[box.start:min(box.end, len(buf))]
    return None


# --- RAF ---------------------------------------------------------------------


def _raf_size(buf: Buffer) -> tuple[int, int] | None:
    """RawImageCroppedSize (0x111), else RawImageFullSize (0x100), from the directory the RAF
    header points to at byte 92: a count, then entries of tag, length and big-endian data
    (each size stored as height, width)."""
    if len(buf) < 100:
        return None
    offset = int.from_bytes(buf[92:96], "big")
    if offset + 4 > len(buf):
        return None
    count = min(int.from_bytes(buf[offset:offset + 4], "big"), 4096)
    pos, sizes = offset + 4, {}
    for _ in range(count):
        if pos + 4 > len(buf):
            break
        tag, length = int.from_bytes(buf[pos:pos + 2], "big"), int.from_bytes(buf[pos + 2:pos + 4], "big")
        if tag in (0x100, 0x111) and length == 4 and pos + 8 <= len(buf):
            sizes[tag] = (int.from_bytes(buf[pos + 6:pos + 8], "big"), int.from_bytes(buf[pos + 4:pos + 6], "big"))
        pos += 4 + length
    width, height = sizes.get(0x111) or sizes.get(0x100) or (0, 0)
    return _positive(width, height)


def _raf_sensor_data(buf: Buffer) -> Extents | None:
    """The CFA block the RAF header points to (offset and length at bytes 100 and 104)."""
    if len(buf) < 108:
        raise ContainerError("truncated", "RAF header runs past the end", 0)
    offset = int.from_bytes(buf[100:104], "big")
    length = int.from_bytes(buf[104:108], "big")
    return [(offset, offset + length)] if length else None
