"""JPEG segment surgery that exiv2 does not do: XMP stored under the legacy "XMP\\0" APP1
signature, which exiv2 ignores but ExifTool reads. Shared by the reader and the writer."""

from __future__ import annotations

from mediaground.media.containers import Buffer

from .segments import _segments as header_segments  # the APPn walk and splice the writer uses
from .segments import _splice as splice


def _legacy_xmp(data: Buffer) -> tuple[list[tuple[int, int]], str | None]:
    """Where the "XMP\\0" APP1 segments lie (offset, end) and the first one's packet."""
    if data[:2] != b"\xff\xd8":
        return [], None
    packet, cuts = None, []
    try:
        for seg in header_segments(data):
            if seg.marker == 0xE1 and data[seg.start:seg.start + 4] == b"XMP\x00" \
                    and b"xmpmeta" in data[seg.start:min(seg.end, seg.start + 4096)]:
                if packet is None:
                    payload = data[seg.start:seg.end]
                    start = payload.find(b"<?xpacket")
                    start = payload.find(b"<x:xmpmeta") if start < 0 else start
                    packet = payload[start:].rstrip(b"\x00").decode("utf-8", "replace")
                cuts.append((seg.offset, seg.end))
    except ValueError:
        pass  # a malformed header ends the search; what follows is kept as it is
    return cuts, packet


def legacy_xmp_packet(data: Buffer) -> str | None:
    """The first XMP packet a JPEG holds under the old "XMP\\0" APP1 signature (exiv2 ignores it,
    ExifTool reads it), or None. `data` may be the file memory-mapped: nothing else is copied."""
    return _legacy_xmp(data)[1]


def legacy_xmp_segments(data: bytes) -> tuple[bytes, str | None]:
    """JPEG APP1 segments holding XMP under the old "XMP\\0" signature: exiv2 ignores them, ExifTool
    reads them, so after a write the two would disagree. Returns the bytes without them and the
    first such packet (to adopt as the standard XMP)."""
    cuts, packet = _legacy_xmp(data)
    if packet is None:
        return data, None
    return splice(data, ((offset, end, b"") for offset, end in cuts)), packet
