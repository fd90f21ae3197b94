"""One walk each over the container structures read byte by byte: JPEG marker segments, PNG
chunks, RIFF chunks.

Essence hashing (:mod:`mediaground.ids`), the sanitizer (:mod:`mediaground.metadata.segments`), the
metadata layer (:mod:`mediaground.metadata.jpeg`) and the WAV header check
(:mod:`mediaground.media.audio`) all walk these structures; sharing the walk keeps them agreeing on
where a segment or chunk starts and ends. The walkers take ``bytes`` or a read-only
``mmap.mmap`` (essence hashing maps large files rather than reading them in) and yield offsets,
never copies: the caller slices what it needs.

A walk never stops silently halfway: a structure that cannot be walked raises
:class:`ContainerError`, whose ``reason`` is the one essence hashing reports ("not-media",
"truncated", "corrupt"). Callers with their own error types or messages translate it, and a
caller that tolerates a cut file (the sanitizer's header walk) says so where it catches it.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterator
from typing import NamedTuple

__all__ = ["ContainerError", "JpegSegment", "PngChunk", "RiffChunk", "jpeg_segments", "png_chunks", "riff_chunks",
           "EOI", "SOS", "ENTROPY"]

Buffer = bytes | mmap.mmap

EOI, SOS = 0xD9, 0xDA
ENTROPY = -1  # JpegSegment.marker of the entropy-coded data after an SOS
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class ContainerError(ValueError):
    """A structure that cannot be walked. `reason`: "not-media", "truncated" or "corrupt" (as in
    BadMediaError); `offset`: where the broken marker, segment or chunk starts; `marker`: the JPEG
    marker whose length is broken, None where no segment was being read."""

    def __init__(self, reason: str, detail: str, offset: int, marker: int | None = None):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.offset = offset
        self.marker = marker


# --- JPEG ------------------------------------------------------------------


class JpegSegment(NamedTuple):
    """A JPEG marker segment, or (marker ENTROPY) the entropy-coded data of a scan."""

    marker: int  # the byte after 0xFF, or ENTROPY
    offset: int  # its 0xFF (the last one when fill bytes precede it); for ENTROPY, the first data byte
    start: int  # the payload, after the two length bytes; == end for markers without a length
    end: int  # just past the segment

    @property
    def standalone(self) -> bool:
        """TEM or RSTn: a marker without a length field."""
        return _standalone(self.marker)


def _standalone(marker: int) -> bool:
    """TEM and RST0-7 stand alone: no length field follows them."""
    return marker == 0x01 or 0xD0 <= marker <= 0xD7


def jpeg_segments(buf: Buffer) -> Iterator[JpegSegment]:
    """The segments of the first image, from after SOI up to and including its EOI.

    Each SOS is followed by an ENTROPY record: the scan data up to the next marker that is not
    stuffing (FF00) or a restart (RSTn). Fill bytes (runs of 0xFF) before a marker are skipped;
    TEM and RSTn come back with start == end. Marker values are not judged: FF00 and a stray SOI
    are read as segments with a length, and callers that care reject them. Iteration is lazy, so a
    caller that stops at the SOS never walks the scan. Raises ContainerError where the data ends
    before the EOI or a byte that should start a marker is not 0xFF.
    """
    n = len(buf)
    if buf[:2] != b"\xff\xd8":
        raise ContainerError("not-media", "no JPEG SOI marker", 0)
    pos = 2
    while True:
        if pos >= n:
            raise ContainerError("truncated", "JPEG ends before EOI", pos)
        if buf[pos] != 0xFF:
            raise ContainerError("corrupt", f"expected a JPEG marker at byte {pos}", pos)
        while pos < n and buf[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            raise ContainerError("truncated", "JPEG ends inside a marker", pos)
        marker, at = buf[pos], pos - 1
        pos += 1
        if marker == EOI or _standalone(marker):
            yield JpegSegment(marker, at, pos, pos)
            if marker == EOI:
                return
            continue
        if pos + 2 > n:
            raise ContainerError("truncated", "JPEG segment length past end of file", at, marker)
        length = int.from_bytes(buf[pos:pos + 2], "big")
        end = pos + length
        if length < 2 or end > n:
            raise ContainerError("truncated", f"JPEG segment FF{marker:02X} runs past end of file", at, marker)
        yield JpegSegment(marker, at, pos + 2, end)
        pos = end
        if marker == SOS:
            stop = _scan_end(buf, pos)
            yield JpegSegment(ENTROPY, pos, pos, stop)
            pos = stop


def _scan_end(buf: Buffer, start: int) -> int:
    """Where the entropy-coded data starting at `start` ends: the first 0xFF not followed by 00
    (a stuffed data byte) or RSTn (a restart between intervals of the same scan)."""
    n, i = len(buf), start
    while True:
        i = buf.find(b"\xff", i)
        if i < 0 or i + 1 >= n:
            raise ContainerError("truncated", "JPEG scan data has no end marker", start)
        nxt = buf[i + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7:
            i += 2
            continue
        return i


# --- PNG -------------------------------------------------------------------


class PngChunk(NamedTuple):
    """A PNG chunk: its type and where its parts lie (the 4-byte CRC runs from `stop` to `end`)."""

    ctype: bytes
    offset: int  # the chunk's length field
    start: int  # its data
    stop: int  # just past its data
    end: int  # just past its CRC


def png_chunks(buf: Buffer) -> Iterator[PngChunk]:
    """The chunks after the PNG signature, up to and including IEND.

    Raises ContainerError for a wrong signature, and where a chunk header, its data or its CRC
    runs past the end of `buf` (offset: the chunk's start). CRCs are not checked.
    """
    n = len(buf)
    if buf[:8] != _PNG_SIGNATURE:
        raise ContainerError("not-media", "bad PNG signature", 0)
    pos = 8
    while True:
        if pos + 8 > n:
            raise ContainerError("truncated", "PNG ends before IEND", pos)
        length = int.from_bytes(buf[pos:pos + 4], "big")
        ctype = buf[pos + 4:pos + 8]
        stop = pos + 8 + length
        if stop + 4 > n:
            raise ContainerError("truncated", f"PNG chunk {ctype!r} runs past end of file", pos)
        yield PngChunk(ctype, pos, pos + 8, stop, stop + 4)
        if ctype == b"IEND":
            return
        pos = stop + 4


# --- RIFF ------------------------------------------------------------------


class RiffChunk(NamedTuple):
    """A RIFF chunk: its FourCC and where its payload lies, by the size its header declares."""

    fourcc: bytes
    offset: int  # the chunk header
    start: int  # the payload
    end: int  # start + declared size; the next chunk follows a pad byte when the size is odd


def riff_chunks(buf: Buffer, start: int, stop: int) -> Iterator[RiffChunk]:
    """The chunks whose 8-byte headers lie between `start` and `stop` (e.g. 12 and the RIFF size + 8).

    Sizes are reported as declared and not checked against `stop`: a chunk written while
    streaming, or in a cut file, claims more than there is, and the caller decides whether that is
    an error (essence hashing) or information (a WAV's claimed duration). A chunk with an odd size
    is followed by one pad byte.
    """
    pos = start
    while pos + 8 <= stop:
        size = int.from_bytes(buf[pos + 4:pos + 8], "little")
        yield RiffChunk(buf[pos:pos + 4], pos, pos + 8, pos + 8 + size)
        pos += 8 + size + (size & 1)
