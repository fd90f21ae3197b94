"""XMP packets outside exiv2's own file handling: found in raw bytes, parsed by exiv2 when it accepts
them, and leniently when it does not.

Every function returns exiv2-style keys (`Xmp.dc.title`, `Xmp.plus.Licensor[1]/plus:LicensorURL`)
with the standard prefixes (`Iptc4xmpCore`, `Iptc4xmpExt`; exiv2 itself says `iptc`/`iptcExt`), so a
caller sees one spelling whichever parser ran.

* `find_packet(data)` — the first XMP packet in a file's bytes (GIF's "XMP DataXMP" application
  extension, a JPEG exiv2 cannot open, any container): ExifTool's "scan for XMP".
* `parse_packet(packet)` — exiv2 (the packet as an XMP sidecar), else `parse_lenient`.
* `parse_lenient(packet)` — an XMP packet exiv2 rejects (digiKam and Capture One repeat properties;
  Adobe's toolkit then drops the whole packet): plain XML, first occurrence of a property wins,
  DOCTYPE/ENTITY refused. Usable by the writer to see what a rejected packet holds.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

import pyexiv2

__all__ = ["find_packet", "parse_packet", "parse_lenient", "canonical_keys", "NAMESPACES"]

NAMESPACES = {
    "http://purl.org/dc/elements/1.1/": "dc",
    "http://ns.adobe.com/photoshop/1.0/": "photoshop",
    "http://ns.adobe.com/xap/1.0/": "xmp",
    "http://ns.adobe.com/xap/1.0/rights/": "xmpRights",
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": "Iptc4xmpCore",
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": "Iptc4xmpExt",
    "http://ns.adobe.com/exif/1.0/": "exif",
    "http://ns.adobe.com/tiff/1.0/": "tiff",
    "http://ns.adobe.com/exif/1.0/aux/": "aux",
    "http://cipa.jp/exif/1.0/": "exifEX",
    "http://creativecommons.org/ns#": "cc",
    "http://ns.useplus.org/ldf/xmp/1.0/": "plus",
}
_PREFIX_FIX = {"iptc": "Iptc4xmpCore", "iptcExt": "Iptc4xmpExt"}
_RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_PACKET_START = re.compile(rb"<\?xpacket begin=|<x:xmpmeta[\s>]|<x:xapmeta[\s>]")
_PACKET_END = re.compile(rb"<\?xpacket end=[^>]*\?>|</x:xmpmeta>|</x:xapmeta>")


def find_packet(data: bytes, start: int = 0) -> str | None:
    """The first XMP packet in `data` at or after `start`, decoded (UTF-8, or UTF-16 by its BOM), or None."""
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


def parse_packet(packet: str | bytes) -> tuple[dict[str, Any], list[str]]:
    """(properties, warnings) of one packet: exiv2's reading when it accepts it, else the lenient one."""
    raw = packet.encode("utf-8") if isinstance(packet, str) else packet
    if not raw.strip(b"\x00 \t\r\n"):
        return {}, []
    try:
        sidecar = pyexiv2.ImageData(raw.strip(b"\x00"))  # exiv2 reads a bare packet as an XMP sidecar
        try:
            meta = sidecar.read_xmp()
        finally:
            sidecar.close()
    except Exception:  # exiv2 refused the packet (RuntimeError) or its text (UnicodeDecodeError)
        meta = {}
    if meta:
        return canonical_keys(meta), []
    return parse_lenient(raw.decode("utf-8", "replace"))


def parse_lenient(packet: str) -> tuple[dict[str, Any], list[str]]:
    """(properties, warnings) of a packet exiv2 rejected, read as plain XML; the first occurrence of a
    repeated property wins. Arrays become lists, language alternatives dicts keyed `lang="..."`,
    array items that are structs `key[i]/prefix:Field` entries, as exiv2 would give them."""
    if "<!DOCTYPE" in packet or "<!ENTITY" in packet:  # no entity expansion from untrusted files
        return {}, ["xmp-invalid: DOCTYPE in packet, ignored"]
    text = packet.strip().strip("\x00").lstrip("\ufeff")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        return {}, [f"xmp-invalid: {exc}"]

    def qname(tag: str) -> str | None:
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        prefix = NAMESPACES.get(ns)
        return f"{prefix}:{local}" if prefix else None

    def key_of(tag: str) -> str | None:
        name = qname(tag)
        return "Xmp." + name.replace(":", ".", 1) if name else None

    def alt(inner: ET.Element) -> dict[str, str]:
        out: dict[str, str] = {}
        for li in inner:  # a language given twice: the first wins, as for a repeated property
            out.setdefault(f'lang="{li.get(_XML_LANG, "x-default")}"', li.text or "")
        return out

    def value_of(elem: ET.Element) -> Any:
        inner = next(iter(elem), None)
        if inner is not None and inner.tag == _RDF + "Alt":
            return alt(inner)
        return elem.text or ""

    def struct_fields(item: ET.Element) -> list[tuple[str, Any]] | None:
        """The known fields of an array item that is a struct, else None."""
        if item.get(_RDF + "parseType") != "Resource":
            inner = next(iter(item), None)
            if inner is not None and inner.tag == _RDF + "Description":
                item = inner
            elif inner is None and not any(not a.startswith((_RDF, "{http://www.w3.org/XML/")) for a in item.attrib):
                return None
        pairs: list[tuple[str, Any]] = [(name, value) for attr, value in item.attrib.items() if (name := qname(attr))]
        pairs += [(name, value_of(child)) for child in item if (name := qname(child.tag))]
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
            else:
                out[key] = value_of(child)
    # an empty packet is what exiv2 reports as nothing, too; only a lossy one is news
    return out, (["xmp-invalid: packet rejected by exiv2, read leniently"] if out else [])
