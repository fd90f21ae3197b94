"""XMP packets outside exiv2's own file handling: found in raw bytes, parsed by exiv2 when it accepts
them, and as `xmp_repair` repairs them when it does not.

Every function returns exiv2-style keys (`Xmp.dc.title`, `Xmp.plus.Licensor[1]/plus:LicensorURL`)
with the standard prefixes (`Iptc4xmpCore`, `Iptc4xmpExt`; exiv2 itself says `iptc`/`iptcExt`), so a
caller sees one spelling whichever parser ran.

* `find_packet(data)` — the first XMP packet in a file's bytes (GIF's "XMP DataXMP" application
  extension, a JPEG exiv2 cannot open, any container): ExifTool's "scan for XMP".
* `parse_packet(packet)` — exiv2 (the packet as an XMP sidecar); a packet exiv2 rejects (digiKam
  and Capture One repeat properties; Adobe's toolkit then drops the whole packet) is first repaired
  by `xmp_repair.repair` (plain XML, first occurrence of a property wins, DOCTYPE/ENTITY refused),
  exactly as the writer repairs it, and the repaired packet read by exiv2.
"""

from __future__ import annotations

import re
from typing import Any

import pyexiv2

from .xmp_repair import XmpRepairError, decode, repair

__all__ = ["find_packet", "parse_packet", "canonical_keys"]

_PREFIX_FIX = {"iptc": "Iptc4xmpCore", "iptcExt": "Iptc4xmpExt"}
_PACKET_START = re.compile(rb"<\?xpacket begin=|<x:xmpmeta[\s>]|<x:xapmeta[\s>]")
_PACKET_END = re.compile(rb"<\?xpacket end=[^>]*\?>|</x:xmpmeta>|</x:xapmeta>")


def find_packet(data: bytes, start: int = 0) -> str | None:
    """The first XMP packet in `data` at or after `start`, decoded as UTF-8, or None. (The markers
    are searched as ASCII: a UTF-16 packet, which ExifTool and old Adobe tools wrote into JPEG
    APP1, is found by exiv2, not here.)"""
    m = _PACKET_START.search(data, start)
    if not m:
        return None
    end = _PACKET_END.search(data, m.end())
    if not end:
        return None
    raw = data[m.start():end.end()]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def canonical_keys(meta: dict[str, Any]) -> dict[str, Any]:
    """exiv2's "iptc"/"iptcExt" group names (also inside struct paths) as the standard prefixes."""
    out: dict[str, Any] = {}
    for key, value in meta.items():
        parts = key.split(".", 2)
        if len(parts) == 3:
            parts[1] = _PREFIX_FIX.get(parts[1], parts[1])
            parts[2] = re.sub(r"(?<=/)iptcExt:|(?<=/)iptc:", lambda m: _PREFIX_FIX[m.group()[:-1]] + ":", parts[2])
        out[".".join(parts)] = value
    return out


def _exiv2_reads(packet: bytes) -> dict[str, Any]:
    """What exiv2 reads in a bare packet (as an XMP sidecar); {} when it refuses it."""
    try:
        sidecar = pyexiv2.ImageData(packet.strip(b"\x00"))
        try:
            return sidecar.read_xmp()
        finally:
            sidecar.close()
    except Exception:  # exiv2 refused the packet (RuntimeError) or its text (UnicodeDecodeError)
        return {}


def parse_packet(packet: str | bytes) -> tuple[dict[str, Any], list[str]]:
    """(properties, warnings) of one packet: exiv2's reading when it accepts it; else exiv2's
    reading of the packet `xmp_repair.repair` makes of it (repeats collapsed, the first kept: the
    packet the writer would write), with an "xmp-invalid" warning saying so."""
    raw = packet.encode("utf-8") if isinstance(packet, str) else packet
    if not raw.strip(b"\x00 \t\r\n"):
        return {}, []
    meta = _exiv2_reads(raw)
    if meta:
        return canonical_keys(meta), []
    try:
        fixed = repair(decode(raw))
    except XmpRepairError as exc:
        return {}, [f"xmp-invalid: {exc}"]
    meta = _exiv2_reads(fixed.packet.encode("utf-8"))
    if not meta:  # an empty packet is what exiv2 reports as nothing, too; only a lossy one is news
        return {}, [] if not fixed.notes else ["xmp-invalid: packet rejected by exiv2, even repaired"]
    return canonical_keys(meta), ["xmp-invalid: packet rejected by exiv2, read repaired (" + "; ".join(fixed.notes) + ")"]
