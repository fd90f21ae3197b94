"""XMP packets exiv2 rejects, repaired rather than refused; and what exiv2's re-serialization drops.

exiv2's XMP toolkit refuses a whole packet for one repeated property (digiKam and Capture One write
such packets: ``<xmp:Rating>`` twice, ``<digiKam:TagsList>`` once as a Seq and again as a Bag).
Refusing to write would leave a file we cannot tag; replacing the packet would lose every
property in it. :func:`repair` parses the packet as plain XML instead and writes it out again
clean: a property that appears again (in the same or another ``rdf:Description``, a struct
field repeated inside a struct, a language repeated in a Lang Alt) keeps its first occurrence,
which is what mediaground's reader reads (ExifTool lists every occurrence with ``-a`` and shows the
last one without it); every other element, attribute, qualifier and namespace, known to exiv2 or
not, is kept as it was. The notes say what was dropped, for the caller to record.

:func:`inspect` reads the facts of a packet exiv2 would not report: ``rdf:about`` (exiv2 writes
``rdf:about=""`` and moves a ``uuid:`` about into ``xmpMM:InstanceID``, overwriting the real one)
and whether the packet holds any property at all (an empty packet is not a rejected one).
:func:`with_about` puts an ``rdf:about`` back into a packet exiv2 serialized.

Self-contained (the standard library's XML parser only); DOCTYPE and entity declarations are
refused, so a packet cannot expand entities.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from io import StringIO
from xml.sax.saxutils import escape, quoteattr

__all__ = ["XmpRepairError", "PacketInfo", "Repaired", "decode", "inspect", "repair", "with_about"]

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_X = "adobe:ns:meta/"
_XML = "http://www.w3.org/XML/1998/namespace"
_XMP_MM = "http://ns.adobe.com/xap/1.0/mm/"
_PACKET_ID = "W5M0MpCehiHzreSzNTczkc9d"


class XmpRepairError(ValueError):
    """The packet is not well-formed XML (or declares entities): there is nothing to repair from."""


@dataclass(frozen=True)
class PacketInfo:
    """What a packet says, read as plain XML."""

    about: str  # the first non-empty rdf:about ("" when none)
    properties: int  # top-level properties (attribute or element), repeats counted once
    instance_id: str | None  # xmpMM:InstanceID as written, not as exiv2 reports it
    repeated: tuple[str, ...] = field(default=())  # "prefix:name" of each property that appears again


@dataclass(frozen=True)
class Repaired:
    """A clean packet (one rdf:Description, no repeats) and what had to be dropped to get it."""

    packet: str
    notes: tuple[str, ...]


def decode(packet: bytes) -> str:
    """A stored packet as text: UTF-8 unless a byte-order mark or the NUL bytes around the first "<"
    say UTF-16 (ExifTool and old Adobe tools wrote UTF-16 packets)."""
    for mark, codec in ((b"\xef\xbb\xbf", "utf-8"), (b"\xfe\xff", "utf-16-be"), (b"\xff\xfe", "utf-16-le")):
        if packet.startswith(mark):
            return packet[len(mark):].decode(codec, "replace")
    if packet[:2] == b"\x00<":
        return packet.decode("utf-16-be", "replace")
    if packet[:2] == b"<\x00":
        return packet.decode("utf-16-le", "replace")
    return packet.decode("utf-8", "replace")


class _Doc:
    """A parsed packet: the rdf:RDF element, the prefixes its author used, the xmpmeta attributes."""

    def __init__(self, packet: str | bytes):
        text = packet.decode("utf-8", "replace") if isinstance(packet, bytes) else packet
        text = text.lstrip("\ufeff \t\r\n\x00").rstrip(" \t\r\n\x00")
        if re.search(r"<!(DOCTYPE|ENTITY)", text):
            raise XmpRepairError("the XMP packet declares a DOCTYPE or entities; refusing to parse it")
        self.prefixes: dict[str, str] = {}  # namespace URI -> the author's prefix (first declaration wins)
        try:
            events = ET.iterparse(StringIO(text), events=("start-ns", "end"))
            root = None
            for event, item in events:
                if event == "start-ns":
                    prefix, uri = item
                    if prefix and uri not in self.prefixes and prefix not in self.prefixes.values():
                        self.prefixes[uri] = prefix
                else:
                    root = item
        except ET.ParseError as exc:
            raise XmpRepairError(f"the XMP packet is not well-formed XML: {exc}") from None
        if root is None:
            raise XmpRepairError("the XMP packet is empty")
        rdf = root if root.tag == f"{{{_RDF}}}RDF" else root.find(f".//{{{_RDF}}}RDF")
        if rdf is None:
            raise XmpRepairError("the XMP packet has no rdf:RDF element")
        self.rdf = rdf
        self.meta_attrs = dict(root.attrib) if root.tag == f"{{{_X}}}xmpmeta" else {}

    def descriptions(self) -> list[ET.Element]:
        return [d for d in self.rdf if d.tag == f"{{{_RDF}}}Description"]

    def name(self, tag: str) -> str:
        uri, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        return f"{self.prefix(uri)}:{local}" if uri else local

    def prefix(self, uri: str) -> str:
        if uri == _XML:
            return "xml"
        if uri not in self.prefixes:  # a namespace whose prefix another one already took
            n = len(self.prefixes) + 1
            while f"ns{n}" in self.prefixes.values():
                n += 1
            self.prefixes[uri] = f"ns{n}"
        return self.prefixes[uri]


def _is_meta(attr: str) -> bool:
    """rdf:* and xml:* attributes are syntax and qualifiers, not properties (nor is an unqualified
    `about`, the old RDF spelling of rdf:about that early XMP writers used)."""
    return attr.startswith((f"{{{_RDF}}}", f"{{{_XML}}}")) or attr == "about"


def _about(doc: _Doc) -> str:
    """The first non-empty rdf:about (or old-style unqualified about) of the packet's descriptions."""
    for desc in doc.descriptions():
        value = desc.get(f"{{{_RDF}}}about") or desc.get("about")
        if value:
            return value
    return ""


def _top_level(doc: _Doc) -> tuple[list[tuple[str, str | ET.Element]], list[str]]:
    """(qualified tag, attribute value or element) of each top-level property, first occurrence
    only, in document order; and the names of the ones that appeared again."""
    seen: set[str] = set()
    kept: list[tuple[str, str | ET.Element]] = []
    repeated: list[str] = []
    for desc in doc.descriptions():
        items: list[tuple[str, str | ET.Element]] = [(a, v) for a, v in desc.attrib.items() if not _is_meta(a)]
        items += [(child.tag, child) for child in desc]
        for tag, value in items:
            if tag in seen:
                if doc.name(tag) not in repeated:
                    repeated.append(doc.name(tag))
                continue
            seen.add(tag)
            kept.append((tag, value))
    return kept, repeated


def inspect(packet: str | bytes) -> PacketInfo:
    """The packet's about, property count and InstanceID as written. Raises XmpRepairError when
    it is not well-formed XML."""
    doc = _Doc(packet)
    about = _about(doc)
    kept, repeated = _top_level(doc)
    instance = None
    for tag, value in kept:
        if tag == f"{{{_XMP_MM}}}InstanceID":
            instance = value if isinstance(value, str) else (value.text or "")
    return PacketInfo(about, len(kept), instance, tuple(repeated))


def repair(packet: str | bytes) -> Repaired:
    """A packet exiv2 accepts with every property of `packet` that could be read: repeats collapsed
    (the first kept), all top-level properties in one rdf:Description carrying the first non-empty
    rdf:about. Raises XmpRepairError when the packet is not well-formed XML."""
    doc = _Doc(packet)
    info_about = _about(doc)
    abouts = {d.get(f"{{{_RDF}}}about") or d.get("about") or "" for d in doc.descriptions()} - {""}
    kept, repeated = _top_level(doc)
    notes = [f"XMP property {name} appeared more than once; kept the first" for name in repeated]
    if len(abouts) > 1:
        notes.append(f"XMP rdf:Description elements named different subjects; kept rdf:about={info_about!r}")
    body = StringIO()
    for tag, value in kept:
        if isinstance(value, str):
            body.write(f"<{doc.name(tag)}>{escape(value)}</{doc.name(tag)}>")
        else:
            _dedupe_fields(value, doc, notes)
            _write(body, value, doc)
    meta_attrs = "".join(f" {doc.name(k)}={quoteattr(v)}" for k, v in doc.meta_attrs.items() if not k.startswith("xmlns"))
    description = f"<rdf:Description rdf:about={quoteattr(info_about)}"
    used = {uri: p for uri, p in doc.prefixes.items() if uri not in (_RDF, _X, _XML)}
    description += "".join(f" xmlns:{p}={quoteattr(uri)}" for uri, p in sorted(used.items(), key=lambda kv: kv[1]))
    clean = (f'<?xpacket begin="\ufeff" id="{_PACKET_ID}"?>'
             f'<x:xmpmeta xmlns:x="{_X}"{meta_attrs}><rdf:RDF xmlns:rdf="{_RDF}">'
             f"{description}>{body.getvalue()}</rdf:Description></rdf:RDF></x:xmpmeta>"
             '<?xpacket end="w"?>')
    return Repaired(clean, tuple(notes))


def _dedupe_fields(prop: ET.Element, doc: _Doc, notes: list[str]) -> None:
    """Collapse repeated fields inside structs (rdf:parseType="Resource" or a nested rdf:Description),
    repeated arrays inside one property, and repeated languages in a Lang Alt, keeping the first."""
    for elem in list(prop.iter()):
        is_struct = elem.get(f"{{{_RDF}}}parseType") == "Resource" or elem.tag == f"{{{_RDF}}}Description"
        is_alt = elem.tag == f"{{{_RDF}}}Alt"
        seen: set[str] = set()
        for child in list(elem):
            if is_alt:
                key = child.get(f"{{{_XML}}}lang", "")
            elif is_struct or child.tag in (f"{{{_RDF}}}Bag", f"{{{_RDF}}}Seq", f"{{{_RDF}}}Alt"):
                key = child.tag if child.tag not in (f"{{{_RDF}}}Bag", f"{{{_RDF}}}Seq") else "array"
            else:
                continue
            if key in seen:
                elem.remove(child)
                what = f"language {key!r}" if is_alt else doc.name(child.tag)
                notes.append(f"XMP {what} appeared more than once in {doc.name(prop.tag)}; kept the first")
            seen.add(key)


def _write(out: StringIO, elem: ET.Element, doc: _Doc) -> None:
    name = doc.name(elem.tag)
    attrs = "".join(f" {doc.name(k)}={quoteattr(v)}" for k, v in elem.attrib.items())
    out.write(f"<{name}{attrs}")
    if not len(elem) and not elem.text:
        out.write("/>")
    else:
        out.write(">" + escape(elem.text or ""))
        for child in elem:
            _write(out, child, doc)
            out.write(escape(child.tail or ""))
        out.write(f"</{name}>")


def with_about(packet: str, about: str) -> str:
    """`packet` (as exiv2 serializes it: every rdf:Description with rdf:about="") naming `about` again."""
    if not about:
        return packet
    return re.sub(r'(<rdf:Description\b[^>]*?\brdf:about=)(""|\'\')', lambda m: m.group(1) + quoteattr(about), packet)
