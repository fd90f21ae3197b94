"""An XMP packet exiv2 rejects (repeated properties, as digiKam and Capture One write them) is
repaired, not refused: every property that can be read is kept, the repeats collapse to the first
occurrence (what mediaground's reader reads; ExifTool lists every occurrence with -a and shows the
last one without it), and the write says what it repaired."""

from __future__ import annotations

from pathlib import Path

import pyexiv2
import pytest
from PIL import Image

from mediaground.metadata.read import read_metadata
from mediaground.metadata.write import MetadataWriteError, parse_edits, plan, write_metadata
from mediaground.metadata.xmp_repair import XmpRepairError, decode, inspect, repair, with_about
from test_metadata_write_lossless import _tags

_NS = ('xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/" '
       'xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmlns:digiKam="http://www.digikam.org/ns/1.0/" '
       'xmlns:acme="http://acme.example/ns/1.0/" xmlns:Iptc4xmpCore="http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/"')

# What a Capture One / digiKam packet looks like: the same property twice in one Description, again
# in another one, an array repeated with another type, a struct field repeated, a language twice.
BROKEN = (
    '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    f'<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Capture One"><rdf:RDF {_NS}>'
    '<rdf:Description rdf:about="" xmp:Rating="4">'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">Faro de Cádiz</rdf:li>'
    '<rdf:li xml:lang="es-ES">Faro de Cádiz (es)</rdf:li></rdf:Alt></dc:title>'
    '<dc:title><rdf:Alt><rdf:li xml:lang="x-default">second title</rdf:li></rdf:Alt></dc:title>'
    '<digiKam:TagsList><rdf:Seq><rdf:li>Places/Cádiz</rdf:li><rdf:li>Sea</rdf:li></rdf:Seq></digiKam:TagsList>'
    '<acme:Job>42 &amp; more</acme:Job>'
    '<Iptc4xmpCore:CreatorContactInfo rdf:parseType="Resource"><Iptc4xmpCore:CiAdrCity>Cádiz</Iptc4xmpCore:CiAdrCity>'
    '<Iptc4xmpCore:CiAdrCity>Sevilla</Iptc4xmpCore:CiAdrCity></Iptc4xmpCore:CreatorContactInfo>'
    '</rdf:Description>'
    '<rdf:Description rdf:about="">'
    '<xmp:Rating>5</xmp:Rating>'
    '<digiKam:TagsList><rdf:Bag><rdf:li>Places/Cádiz</rdf:li><rdf:li>Sea</rdf:li></rdf:Bag></digiKam:TagsList>'
    '<dc:subject><rdf:Bag><rdf:li>faro</rdf:li><rdf:li>mar</rdf:li></rdf:Bag></dc:subject>'
    '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
)


def _exiv2_accepts(packet: str) -> bool:
    img = pyexiv2.ImageData(b"\xff\xd8\xff\xd9")
    try:
        img.modify_raw_xmp(packet)
        return bool(img.read_xmp())
    except Exception:
        return False
    finally:
        img.close()


def _jpeg_with_xmp(path: Path, packet: str) -> Path:
    Image.new("RGB", (32, 24), (20, 120, 200)).save(path, "JPEG", quality=90)
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode("utf-8")
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:])
    return path


def _xmp_tags(path: Path) -> dict:
    """ExifTool's XMP tags, the first occurrence of each (a repeated one reads as a list in file order)."""
    tags = _tags(path, "-XMP:all")
    return {k: v[0] if isinstance(v, list) and (k not in _ARRAYS or isinstance(v[0], list)) else v
            for k, v in tags.items() if k.startswith("XMP-") and k != "XMP-x:XMPToolkit"}


_ARRAYS = {"XMP-dc:Subject", "XMP-digiKam:TagsList"}  # a list is their value; a list of lists, repeats


def test_the_broken_packet_is_what_exiv2_rejects() -> None:
    assert not _exiv2_accepts(BROKEN)


def test_repair_keeps_the_first_of_each_and_everything_else() -> None:
    fixed = repair(BROKEN)
    assert _exiv2_accepts(fixed.packet)
    info = inspect(fixed.packet)
    assert info.repeated == () and info.properties == 6
    assert set(inspect(BROKEN).repeated) == {"dc:title", "xmp:Rating", "digiKam:TagsList"}
    assert any("dc:title appeared more than once" in n for n in fixed.notes)
    assert any("Iptc4xmpCore:CiAdrCity" in n for n in fixed.notes)
    img = pyexiv2.ImageData(b"\xff\xd8\xff\xd9")
    try:
        img.modify_raw_xmp(fixed.packet)
        xmp = img.read_xmp()
    finally:
        img.close()
    assert xmp["Xmp.dc.title"] == {'lang="x-default"': "Faro de Cádiz", 'lang="es-ES"': "Faro de Cádiz (es)"}
    assert xmp["Xmp.xmp.Rating"] == "4"
    assert xmp["Xmp.digiKam.TagsList"] == ["Places/Cádiz", "Sea"]
    assert xmp["Xmp.acme.Job"] == "42 & more"  # a namespace exiv2 does not know is kept
    assert xmp["Xmp.iptc.CreatorContactInfo/Iptc4xmpCore:CiAdrCity"] == "Cádiz"
    assert xmp["Xmp.dc.subject"] == ["faro", "mar"]


def test_a_language_given_twice_keeps_its_first_text() -> None:
    packet = BROKEN.replace('xml:lang="es-ES">Faro de Cádiz (es)', 'xml:lang="x-default">again')
    fixed = repair(packet)
    assert "again" not in fixed.packet and "Faro de Cádiz" in fixed.packet
    assert any("language 'x-default' appeared more than once in dc:title" in n for n in fixed.notes)


def test_inspect_and_about() -> None:
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description about="uuid:1" xmlns:xmpMM="http://ns.adobe.com/xap/1.0/mm/" '
              'xmpMM:InstanceID="xmp.iid:9"/></rdf:RDF></x:xmpmeta>')
    info = inspect(packet)
    assert (info.about, info.instance_id, info.properties) == ("uuid:1", "xmp.iid:9", 1)
    assert inspect(packet.replace('xmpMM:InstanceID="xmp.iid:9"', "")).properties == 0
    assert 'rdf:about="uuid:1"' in with_about('<rdf:Description rdf:about="" a="b">', "uuid:1")
    assert decode("<x/>".encode("utf-16-be")) == "<x/>" and decode(b"\xff\xfe" + "<x/>".encode("utf-16-le")) == "<x/>"
    with pytest.raises(XmpRepairError, match="not well-formed"):
        repair("<x:xmpmeta><rdf:RDF>")
    with pytest.raises(XmpRepairError, match="DOCTYPE"):
        inspect('<!DOCTYPE x [<!ENTITY a "b">]><x/>')


def test_write_repairs_the_packet_and_says_so(tmp_path: Path) -> None:
    path = _jpeg_with_xmp(tmp_path / "c1.jpg", BROKEN)
    before = _xmp_tags(path)
    assert before["XMP-dc:Title"] == "Faro de Cádiz" and before["XMP-xmp:Rating"] == 4
    assert read_metadata(path, "jpeg", "image").title == "Faro de Cádiz"

    dry = plan(path, None, None, parse_edits({"caption": "El faro al atardecer"}))
    assert [c.field for c in dry] == ["caption"] and dry.repaired == list(repair(BROKEN).notes)

    result = write_metadata(path, None, None, parse_edits({"caption": "El faro al atardecer"}))
    assert [c.field for c in result] == ["caption"]
    assert result.repaired == list(repair(BROKEN).notes)
    assert result.to_dict()["repaired"] == result.repaired

    after = _xmp_tags(path)
    assert after.pop("XMP-dc:Description") == "El faro al atardecer"
    assert after == before  # every property ExifTool read is still there, with the value it read
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.title, rec.caption, rec.keywords) == ("Faro de Cádiz", "El faro al atardecer", ["faro", "mar"])
    assert not [w for w in rec.warnings if w.startswith("xmp-invalid")]  # exiv2 reads it now

    again = write_metadata(path, None, None, parse_edits({"caption": "Otra vez"}))
    assert again.repaired == []  # nothing left to repair


def test_an_empty_packet_is_not_refused(tmp_path: Path) -> None:
    """An iPhone's `<rdf:Description rdf:about=""/>` holds nothing exiv2 reports: nothing to lose."""
    packet = ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?> <x:xmpmeta xmlns:x="adobe:ns:meta/" '
              'x:xmptk="XMP Core 5.5.0"> <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"> '
              '<rdf:Description rdf:about=""/> </rdf:RDF> </x:xmpmeta><?xpacket end="w"?>')
    path = _jpeg_with_xmp(tmp_path / "iphone.jpg", packet)
    result = write_metadata(path, None, None, parse_edits({"title": "Leuven"}))
    assert [c.field for c in result] == ["title"] and result.repaired == []
    assert _xmp_tags(path)["XMP-dc:Title"] == "Leuven"


def test_a_packet_that_is_not_xml_is_refused_with_the_reason(tmp_path: Path) -> None:
    path = _jpeg_with_xmp(tmp_path / "bad.jpg", BROKEN.replace("</rdf:RDF>", ""))
    data = path.read_bytes()
    with pytest.raises(MetadataWriteError, match="XMP packet cannot be read .*not well-formed XML.*would lose it"):
        write_metadata(path, None, None, parse_edits({"title": "x"}))
    assert path.read_bytes() == data


def test_the_library_records_the_repair_in_the_files_history(tmp_path: Path, fake_lib) -> None:
    media = tmp_path / "media"
    media.mkdir()
    path = _jpeg_with_xmp(media / "c1.jpg", BROKEN)
    fake_lib.ingest([media], workers=0)
    result = fake_lib.edit_metadata(str(path), {"caption": "El faro al atardecer"})
    assert result["repaired"] == list(repair(BROKEN).notes)
    event = fake_lib.show(str(path))["provenance"][-1]
    assert event["event"] == "tags-written" and event["fields"] == ["caption"]
    assert event["repaired"] == result["repaired"] and event["file_id"] == result["file_id"]
