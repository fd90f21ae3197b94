"""JPEG segment surgery that exiv2 does not do: XMP stored under the legacy "XMP\\0" APP1
signature, which exiv2 ignores but ExifTool reads. Shared by the reader and the writer."""

from __future__ import annotations


def legacy_xmp_segments(data: bytes) -> tuple[bytes, str | None]:
    """JPEG APP1 segments holding XMP under the old "XMP\\0" signature: exiv2 ignores them, ExifTool
    reads them, so after a write the two would disagree. Returns the bytes without them and the
    first such packet (to adopt as the standard XMP)."""
    if not data.startswith(b"\xff\xd8"):
        return data, None
    out, packet, i = bytearray(data[:2]), None, 2
    while i + 4 <= len(data) and data[i] == 0xFF:
        marker = data[i + 1]
        if marker in (0xDA, 0xD9):
            break
        length = int.from_bytes(data[i + 2:i + 4], "big")
        seg = data[i:i + 2 + length]
        payload = seg[4:]
        if marker == 0xE1 and payload.startswith(b"XMP\x00") and b"xmpmeta" in payload[:4096]:
            if packet is None:
                start = payload.find(b"<?xpacket")
                start = payload.find(b"<x:xmpmeta") if start < 0 else start
                packet = payload[start:].rstrip(b"\x00").decode("utf-8", "replace")
        else:
            out += seg
        i += 2 + length
    if packet is None:
        return data, None
    return bytes(out) + data[i:], packet
