"""One walk each over the container structures read byte by byte: JPEG marker segments, PNG
chunks, RIFF chunks, ISO-BMFF boxes (HEIF, CR3, JPEG 2000, JPEG XL, QuickTime) and TIFF IFDs
(TIFF-based camera RAW).

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

__all__ = ["Buffer", "ContainerError", "JpegSegment", "PngChunk", "RiffChunk", "Box", "Tiff", "TiffEntry",
           "jpeg_segments", "jpeg_frame", "png_chunks", "riff_chunks", "bmff_boxes", "find_box", "EOI", "SOS", "ENTROPY"]

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


def jpeg_segments(buf: Buffer, start: int = 0, *, skip_junk: bool = False) -> Iterator[JpegSegment]:
    """The segments of the image whose SOI is at `start`, from after SOI up to and including its EOI.

    Each SOS is followed by an ENTROPY record: the scan data up to the next marker that is not
    stuffing (FF00) or a restart (RSTn). Fill bytes (runs of 0xFF) before a marker are skipped;
    TEM and RSTn come back with start == end. Marker values are not judged: FF00 and a stray SOI
    are read as segments with a length, and callers that care reject them. Iteration is lazy, so a
    caller that stops at the SOS never walks the scan. Raises ContainerError where the data ends
    before the EOI or a byte that should start a marker is not 0xFF — unless `skip_junk`: then
    such bytes are passed over up to the next 0xFF, as libjpeg does ("extraneous bytes before
    marker"), so a segment whose declared length is a few bytes short (a broken APP1 writer) does
    not stop the walk where a decoder would go on.
    """
    n = len(buf)
    if buf[start:start + 2] != b"\xff\xd8":
        raise ContainerError("not-media", "no JPEG SOI marker", start)
    pos = start + 2
    while True:
        if pos >= n:
            raise ContainerError("truncated", "JPEG ends before EOI", pos)
        if buf[pos] != 0xFF:
            if not skip_junk:
                raise ContainerError("corrupt", f"expected a JPEG marker at byte {pos}", pos)
            pos = buf.find(b"\xff", pos)
            if pos < 0:
                raise ContainerError("truncated", "JPEG ends before EOI", n)
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



def jpeg_frame(buf: Buffer, start: int = 0, max_segments: int = 256) -> tuple[int, int, int] | None:
    """The frame header of the JPEG whose SOI is at `start`: (SOFn marker, width, height), read from
    the header segments alone (the scan is never walked). None where the header cannot be walked,
    ends before a frame header, or has more than `max_segments` segments before it (no camera
    writes that many; a caller trying every SOI in a file stays linear)."""
    try:
        for seg, _ in zip(jpeg_segments(buf, start), range(max_segments)):
            if 0xC0 <= seg.marker <= 0xCF and seg.marker not in (0xC4, 0xC8, 0xCC):  # not DHT, JPG, DAC
                if seg.end - seg.start < 5:
                    return None
                height = int.from_bytes(buf[seg.start + 1:seg.start + 3], "big")
                width = int.from_bytes(buf[seg.start + 3:seg.start + 5], "big")
                return seg.marker, width, height
            if seg.marker in (SOS, EOI):
                return None
    except ContainerError:
        return None
    return None

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


def riff_form_chunks(buf: Buffer, form: bytes) -> Iterator[RiffChunk]:
    """The top-level chunks of a whole RIFF file of type `form` (b"WAVE", b"WEBP") that a writer
    edits: within the RIFF size, each whole. Raises ContainerError "not-media" for another file,
    "truncated" for a chunk that runs past the end (an editor must not guess)."""
    if len(buf) < 12 or buf[:4] != b"RIFF" or buf[8:12] != form:
        raise ContainerError("not-media", f"not a RIFF {form.decode('latin-1').strip()} file", 0)
    for chunk in riff_chunks(buf, 12, min(len(buf), 8 + int.from_bytes(buf[4:8], "little"))):
        if chunk.end > len(buf):
            raise ContainerError("truncated", f"the {chunk.fourcc!r} chunk runs past the end of the file", chunk.offset)
        yield chunk


# --- ISO-BMFF (QuickTime atoms) -----------------------------------------------


class Box(NamedTuple):
    """An ISO-BMFF box (a QuickTime atom): its type and where its payload lies, by the size its
    header declares."""

    btype: bytes
    offset: int  # the box header
    start: int  # the payload: after the size, the type, a 64-bit size and a uuid box's 16-byte user type
    end: int  # start of the header + declared size; a size of 0 ("to the end") ends at `stop`


def bmff_boxes(buf: Buffer, start: int = 0, stop: int | None = None) -> Iterator[Box]:
    """The boxes whose headers lie between `start` and `stop` (default: the end of `buf`).

    As with RIFF, sizes are reported as declared: a box that claims more than there is ends the
    walk after it has been yielded, and the caller decides whether that is an error (essence
    hashing) or to be expected (a sniffer that sees only the first few KB). Fewer than 8 bytes
    left after the last box (padding) end the walk. Raises ContainerError "corrupt" for a size
    smaller than its own header and "truncated" for a header cut short by `stop`.
    """
    stop = len(buf) if stop is None else stop
    pos = start
    while pos + 8 <= stop:
        size = int.from_bytes(buf[pos:pos + 4], "big")
        btype = bytes(buf[pos + 4:pos + 8])
        head = 8
        if size == 1:
            if pos + 16 > stop:
                raise ContainerError("truncated", f"box {btype!r} header runs past the end", pos)
            size, head = int.from_bytes(buf[pos + 8:pos + 16], "big"), 16
        elif size == 0:
            size = stop - pos
        if btype == b"uuid":
            head += 16
        if size < head:
            raise ContainerError("corrupt", f"box {btype!r} at byte {pos} is smaller than its header", pos)
        if pos + head > stop:
            raise ContainerError("truncated", f"box {btype!r} header runs past the end", pos)
        yield Box(btype, pos, pos + head, pos + size)
        pos += size


def find_box(buf: Buffer, btype: bytes, start: int = 0, stop: int | None = None) -> Box | None:
    """The first box of type `btype` between `start` and `stop`, or None."""
    return next((b for b in bmff_boxes(buf, start, stop) if b.btype == btype), None)


# --- TIFF ------------------------------------------------------------------

# Bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE, UNDEFINED,
# SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD, and BigTIFF's LONG8).
# bytes per value of each TIFF field type (16: BigTIFF's LONG8; 129: the UTF-8 type of EXIF 3.0)
TIFF_TYPE_SIZES = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 129: 1}


_MAX_TIFF_VALUES = 1 << 20  # strips or tiles of one image; far more than any camera or scanner writes


class TiffEntry(NamedTuple):
    """One IFD entry: its tag, field type, value count, and where the value lies in the buffer
    (inside the entry when it fits in 4 bytes, else where its offset points)."""

    tag: int
    type: int
    count: int
    pos: int


class Tiff:
    """A classic TIFF structure whose header is at `base` in `buf`; its offsets count from `base`.

    The magic number is not judged (42 in TIFF, "RO"/"RS" in Olympus ORF, 0x55 in Panasonic RW2),
    only the byte order mark. BigTIFF is not read. Raises ContainerError "not-media" without a
    byte order mark, "truncated" for an IFD or value that runs past the end of `buf`.
    """

    def __init__(self, buf: Buffer, base: int = 0):
        mark = buf[base:base + 2]
        if mark not in (b"II", b"MM") or len(buf) < base + 8:
            raise ContainerError("not-media", "no TIFF byte order mark", base)
        self.buf, self.base = buf, base
        self.order = "little" if mark == b"II" else "big"
        self.first = self._int(base + 4, 4)

    def _int(self, pos: int, size: int) -> int:
        return int.from_bytes(self.buf[pos:pos + size], self.order)  # type: ignore[arg-type]

    def ifd(self, offset: int) -> tuple[dict[int, TiffEntry], int]:
        """The entries of the IFD at `offset` by tag (the first of a repeated tag), and the offset of
        the next IFD (0 at the end of the chain)."""
        pos, n = self.base + offset, len(self.buf)
        if pos + 2 > n:
            raise ContainerError("truncated", f"TIFF IFD at byte {pos} runs past the end", pos)
        count = self._int(pos, 2)
        end = pos + 2 + 12 * count
        if end + 4 > n:
            raise ContainerError("truncated", f"TIFF IFD at byte {pos} runs past the end", pos)
        entries: dict[int, TiffEntry] = {}
        for e in range(pos + 2, end, 12):
            tag, typ, cnt = self._int(e, 2), self._int(e + 2, 2), self._int(e + 4, 4)
            inline = TIFF_TYPE_SIZES.get(typ, 1) * cnt <= 4
            entries.setdefault(tag, TiffEntry(tag, typ, cnt, e + 8 if inline else self.base + self._int(e + 8, 4)))
        return entries, self._int(end, 4)

    def ints(self, entry: TiffEntry | None) -> list[int]:
        """The values of an integer entry (BYTE, SHORT, LONG, IFD, UNDEFINED read as bytes); [] for
        None or another type."""
        if entry is None or entry.type not in (1, 3, 4, 7, 13):
            return []
        if entry.count > _MAX_TIFF_VALUES:
            raise ContainerError("corrupt", f"TIFF tag {entry.tag:#06x} claims {entry.count} values", entry.pos)
        size = TIFF_TYPE_SIZES[entry.type]
        if entry.pos + size * entry.count > len(self.buf):
            raise ContainerError("truncated", f"TIFF tag {entry.tag:#06x} runs past the end", entry.pos)
        return [self._int(entry.pos + i * size, size) for i in range(entry.count)]

    def rationals(self, entry: TiffEntry | None) -> list[tuple[int, int]]:
        """The (numerator, denominator) pairs of a RATIONAL or SRATIONAL entry; [] for None,
        another type, or a value past the end."""
        if entry is None or entry.type not in (5, 10) or entry.count > _MAX_TIFF_VALUES:
            return []
        if entry.pos + 8 * entry.count > len(self.buf):
            return []
        signed = entry.type == 10
        return [(int.from_bytes(self.buf[p:p + 4], self.order, signed=signed),  # type: ignore[arg-type]
                 int.from_bytes(self.buf[p + 4:p + 8], self.order, signed=signed))  # type: ignore[arg-type]
                for p in range(entry.pos, entry.pos + 8 * entry.count, 8)]

    def text(self, entry: TiffEntry | None) -> str:
        """An ASCII entry, without its NUL padding; "" for None or a value past the end."""
        if entry is None or entry.pos + entry.count > len(self.buf):
            return ""
        return bytes(self.buf[entry.pos:entry.pos + entry.count]).split(b"\0", 1)[0].decode("latin-1").strip()

    def ifds(self, sub_tags: tuple[int, ...] = (0x014A,), limit: int = 64) -> Iterator[dict[int, TiffEntry]]:
        """Every IFD of the main chain (IFD0, IFD1, ...), each followed by those its `sub_tags`
        (SubIFDs) point to, depth first; an IFD met twice (a loop) is read once, and at most
        `limit` are read."""
        seen: set[int] = set()
        todo = [self.first]
        while todo and len(seen) < limit:
            offset = todo.pop()
            if offset == 0 or offset in seen:
                continue
            seen.add(offset)
            entries, nxt = self.ifd(offset)
            yield entries
            todo.append(nxt)  # the chain goes on after this IFD's sub-IFDs
            todo.extend(reversed([o for tag in sub_tags for o in self.ints(entries.get(tag))]))
