"""JPEG segment surgery that exiv2 does not do: XMP stored under the legacy "XMP\\0" APP1
signature, which exiv2 ignores but ExifTool reads. Shared by the reader and the writer."""

from __future__ import annotations

from mediaground.media.containers import EOI, SOS, ContainerError, jpeg_segments


def legacy_xmp_segments(data: bytes) -> tuple[bytes, str | None]:
    """JPEG APP1 segments holding XMP under the old "XMP\\0" signature: exiv2 ignores them, ExifTool
    reads them, so after a write the two would disagree. Returns the bytes without them and the
    first such packet (to adopt as the standard XMP)."""
    if not data.startswith(b"\xff\xd8"):
        return data, None
    packet, cuts = None, []
    try:
        for seg in jpeg_segments(data):
            if seg.marker in (SOS, EOI):
                break
            payload = data[seg.start:seg.end]
            if seg.marker == 0xE1 and payload.startswith(b"XMP\x00") and b"xmpmeta" in payload[:4096]:
                if packet is None:
                    start = payload.find(b"<?xpacket")
                    start = payload.find(b"<x:xmpmeta") if start < 0 else start
                    packet = payload[start:].rstrip(b"\x00").decode("utf-8", "replace")
                cuts.append((seg.offset, seg.end))
    except ContainerError:
        pass  # a malformed header ends the search; what follows is kept as it is
    if packet is None:
        return data, None
    out, last = bytearray(), 0
    for a, b in cuts:
        out += data[last:a]
        last = b
    return bytes(out) + data[last:], packet
