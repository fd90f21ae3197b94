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
_JPEG_FRAMES = (0xC0, 0xC1, 0xC2)  # baseline, extended, progressive: what Pillow decodes (not SOF3 lossless raw)
# Bounds on the time spent on a hostile file: SOI markers looked at, and the largest candidates
# walked to their EOI (the first that is complete wins, so a real preview is found at once).
_MAX_CANDIDATES = 10_000
_MAX_COMPLETE_WALKS = 8

Extents = list[tuple[int, int]]


class Preview(NamedTuple):
    """The largest complete embedded JPEG: where it lies and its frame size (before orientation)."""

    start: int
    end: int
    width: int
    height: int


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
    for at, width, height in sorted(found, key=lambda c: (-c[1] * c[2], c[0]))[:_MAX_COMPLETE_WALKS]:
        try:
            end = max(seg.end for seg in jpeg_segments(buf, at))  # the last one is the EOI
        except ContainerError:
            continue
        return Preview(at, end, width, height)
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


def _cr3_cmt1(buf: Buffer) -> Box | None:
    moov = find_box(buf, b"moov")
    if moov is None:
        return None
    for box in bmff_boxes(buf, moov.start, moov.end):
        if box.btype == b"uuid" and buf[box.start - 16:box.start] == _CANON_UUID:
            return find_box(buf, b"CMT1", box.start, box.end)
    return None


# --- RAF ---------------------------------------------------------------------


def _raf_sensor_data(buf: Buffer) -> Extents | None:
    """The CFA block the RAF header points to (offset and length at bytes 100 and 104)."""
    if len(buf) < 108:
        raise ContainerError("truncated", "RAF header runs past the end", 0)
    offset = int.from_bytes(buf[100:104], "big")
    length = int.from_bytes(buf[104:108], "big")
    return [(offset, offset + length)] if length else None
