"""read_metadata as the standards say: MWG precedence and the IPTC digest, new IPTC fields, dates with
offsets, real pixel sizes, GIF XMP, ID3 without MPEG sync, broken tag blocks, camera RAW and other
formats by name. Fixtures are built here with Pillow, pyexiv2 and ExifTool (the independent writer),
or are the small third-party files in tests/data/conformance (see tests/data/README.md)."""

from __future__ import annotations

import hashlib
import shutil
import struct
import subprocess
from pathlib import Path

import pyexiv2
import pytest
from PIL import Image

from mediaground.metadata.document import SearchDocument
from mediaground.metadata.jsonld import check, to_jsonld
from mediaground.metadata.read import read_metadata
from mediaground.metadata.record import MetadataRecord
from mediaground.metadata.xmp import find_packet, parse_packet

DATA = Path(__file__).parent / "data" / "conformance"


def _image(path: Path, fmt: str = "JPEG", size: tuple[int, int] = (32, 24)) -> Path:
    Image.new("RGB", size, (200, 80, 40)).save(path, fmt)
    return path


def _exiftool(path: Path, *assignments: str) -> Path:
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    subprocess.run([exe, "-q", "-overwrite_original", "-charset", "utf8", "-charset", "iptc=utf8",
                    *assignments, str(path)], capture_output=True, check=True)
    return path


def _exiftool_value(path: Path, tag: str) -> str:
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    return subprocess.run([exe, "-s3", "-" + tag, str(path)], capture_output=True, text=True, check=True).stdout.strip()


def _set_iim(path: Path, iptc: dict) -> None:
    """Edit the IIM the way a tool that knows nothing of XMP does: exiv2 leaves Photoshop's digest as it was."""
    img = pyexiv2.Image(str(path))
    try:
        img.modify_iptc(iptc)
    finally:
        img.close()


def _synced(path: Path) -> Path:
    """A file whose IIM and XMP disagree, with a current Photoshop IPTC digest (ExifTool computes it)."""
    return _exiftool(path, "-IPTC:Keywords=iim-one", "-IPTC:Keywords=iim-two", "-IPTC:Caption-Abstract=iim caption",
                     "-IPTC:ObjectName=iim title", "-IPTC:Headline=iim headline",
                     "-XMP-dc:Subject=xmp-one", "-XMP-dc:Description=xmp caption", "-XMP-dc:Title=xmp title",
                     "-XMP-photoshop:Source=xmp source", "-Photoshop:IPTCDigest=new")


# ---------------------------------------------------------------- MWG precedence and the IPTC digest


@pytest.mark.parametrize("fmt,pil_fmt,suffix", [("jpeg", "JPEG", ".jpg"), ("tiff", "TIFF", ".tif")])
def test_current_digest_xmp_wins_and_keywords_are_not_merged(tmp_path: Path, fmt: str, pil_fmt: str, suffix: str) -> None:
    path = _synced(_image(tmp_path / f"sync{suffix}", pil_fmt))
    if fmt == "jpeg":  # in a TIFF ExifTool digests the IIM without the NUL padding it stores, then calls it stale
        assert _exiftool_value(path, "IPTCDigest") == _exiftool_value(path, "CurrentIPTCDigest")
    rec = read_metadata(path, fmt, "image")
    assert rec.keywords == ["xmp-one"] and rec.sources["keywords"] == "xmp:dc:subject"
    assert rec.caption == "xmp caption" and rec.title == "xmp title"
    assert rec.headline == "iim headline" and rec.sources["headline"] == "iptc:Headline"  # XMP has none
    assert not any(w.startswith("iptc-digest-stale") for w in rec.warnings)


@pytest.mark.parametrize("fmt,pil_fmt,suffix", [("jpeg", "JPEG", ".jpg"), ("tiff", "TIFF", ".tif")])
def test_stale_digest_iim_wins_for_the_fields_it_holds(tmp_path: Path, fmt: str, pil_fmt: str, suffix: str) -> None:
    path = _synced(_image(tmp_path / f"stale{suffix}", pil_fmt))
    _set_iim(path, {"Iptc.Application2.Keywords": ["edited-one", "edited-two"]})
    assert _exiftool_value(path, "IPTCDigest") != _exiftool_value(path, "CurrentIPTCDigest")
    rec = read_metadata(path, fmt, "image")
    assert rec.keywords == ["edited-one", "edited-two"] and rec.sources["keywords"] == "iptc:Keywords"
    assert rec.caption == "iim caption" and rec.sources["caption"] == "iptc:Caption"
    assert rec.title == "iim title"
    assert rec.source == "xmp source" and rec.sources["source"] == "xmp:photoshop:Source"  # not in the IIM
    assert "iptc-digest-stale: IIM edited without XMP; IIM wins where it has a value" in rec.warnings


@pytest.mark.parametrize("digest_of", [b"an older IIM", None])
def test_a_tiff_iim_held_in_its_photoshop_resources_is_checked_against_their_digest(tmp_path: Path, digest_of) -> None:
    """No IPTC tag (33723): exiv2 reads the IIM from the resources (34377), so the digest is checked there."""
    from PIL import TiffImagePlugin

    def resource(rid: int, data: bytes) -> bytes:
        return b"8BIM" + rid.to_bytes(2, "big") + b"\0\0" + len(data).to_bytes(4, "big") + data + b"\0" * (len(data) % 2)

    iim = b"\x1c\x02\x78" + len(b"iim caption").to_bytes(2, "big") + b"iim caption"
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[34377] = resource(0x0404, iim) + resource(0x0425, hashlib.md5(digest_of or iim).digest())
    info.tagtype[34377] = 7  # UNDEFINED
    path = tmp_path / "irb.tif"
    Image.new("RGB", (8, 8)).save(path, tiffinfo=info)
    _exiftool(path, "-XMP-dc:Description=xmp caption")
    rec = read_metadata(path, "tiff", "image")
    stale = any(w.startswith("iptc-digest-stale") for w in rec.warnings)
    assert (rec.caption, stale) == (("iim caption", True) if digest_of else ("xmp caption", False))


def test_exif_wins_for_description_creator_copyright(tmp_path: Path) -> None:
    path = _exiftool(_image(tmp_path / "e.jpg"), "-EXIF:ImageDescription=exif caption", "-EXIF:Artist=Ana; Bob",
                     "-EXIF:Copyright=exif copyright", "-XMP-dc:Description=xmp caption",
                     "-XMP-dc:Creator=Xmp Person", "-XMP-dc:Rights=xmp rights")
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.caption, rec.creator, rec.copyright) == ("exif caption", ["Ana", "Bob"], "exif copyright")
    assert rec.sources["creator"] == "exif:Artist"


def test_exiftool_mwg_reference_image() -> None:
    """ExifTool's MWG.jpg: every value marked RIGHT is what MWG readers must show, WRONG ones must not appear."""
    rec = read_metadata(DATA / "ex_MWG.jpg", "jpeg", "image")
    assert rec.caption == "RIGHT-EXIF-Description"
    assert rec.creator == ["RIGHT1of2-EXIF-Creator", "RIGHT2of2-EXIF-Creator"]
    assert rec.keywords == ["RIGHT1of2-XMP-Keywords", "RIGHT2of2-XMP-Keywords"]
    assert rec.copyright == "RIGHT-XMP-Copyright"
    assert (rec.city, rec.state, rec.country, rec.location) == (
        "RIGHT-XMP-City", "RIGHT-IPTC-State", "RIGHT-IPTC-Country", "RIGHT-IPTC-Location")
    assert "WRONG" not in repr(rec.to_dict())


def test_exiftool_reference_image_with_a_stale_digest() -> None:
    rec = read_metadata(DATA / "ex_ExifTool.jpg", "jpeg", "image")
    assert rec.caption == "A witty caption"  # EXIF; the XMP still says "UTF-16 (big-endian) encoded XMP"
    assert rec.keywords == ["jambalaya"] and rec.sources["keywords"] == "iptc:Keywords"
    assert (rec.headline, rec.source) == ("No headline", "I'm the source")


def test_psd_digest_and_tags() -> None:
    rec = read_metadata(DATA / "ex_Photoshop.psd", "psd", "image")
    assert rec.title == "Test Picture" and rec.caption == "This is a teeny weeny white square"
    assert (rec.width, rec.height) == (8, 8) and rec.sources["width"] == "pillow:size"
    assert not any(w.startswith("iptc-digest-stale") for w in rec.warnings)


# ---------------------------------------------------------------- new fields


def test_headline_source_and_iptc_extension_locations(tmp_path: Path) -> None:
    path = _exiftool(_image(tmp_path / "loc.jpg"),
                     "-XMP-photoshop:Headline=Farmer planting onions", "-XMP-photoshop:Source=Big Newspaper",
                     "-XMP-iptcExt:LocationShown+={Sublocation=Lincoln Memorial,City=Washington,"
                     "ProvinceState=District of Columbia,CountryName=United States,CountryCode=US,"
                     "WorldRegion=North America,LocationName=Memorial Park}",
                     "-XMP-iptcExt:LocationShown+={City=Arlington,CountryCode=US}",
                     "-XMP-iptcExt:LocationCreated={City=Watseka,CountryName=United States,"
                     "GPSLatitude=40.7761,GPSLongitude=-87.7364}",
                     "-XMP-photoshop:City=Old City")
    rec = read_metadata(path, "jpeg", "image")
    assert rec.headline == "Farmer planting onions" and rec.sources["headline"] == "xmp:photoshop:Headline"
    assert rec.source == "Big Newspaper"
    assert rec.location_shown == [
        {"name": "Memorial Park", "sublocation": "Lincoln Memorial", "city": "Washington",
         "state": "District of Columbia", "country": "United States", "country_code": "US",
         "world_region": "North America"},
        {"city": "Arlington", "country_code": "US"},
    ]
    created = rec.location_created
    assert created is not None and created["city"] == "Watseka"
    assert created["gps_lat"] == pytest.approx(40.7761, abs=1e-6) and created["gps_lon"] == pytest.approx(-87.7364, abs=1e-6)
    # the legacy place fields: LocationShown first, as ExifTool's MWG tags
    assert rec.city == "Washington" and rec.sources["city"] == "xmp:Iptc4xmpExt:LocationShown[1]/Iptc4xmpExt:City"
    assert MetadataRecord.from_dict(rec.to_dict()) == rec
    text = rec.searchable_text()
    assert "Arlington" in text["place"] and "Watseka" in text["place"] and "Memorial Park" in text["place"]
    assert text["headline"] == "Farmer planting onions" and text["source"] == "Big Newspaper"
    doc = SearchDocument.build(rec.to_dict(), str(path), "jpeg")
    assert "Farmer planting onions" in doc.text and "Farmer planting onions" in doc.fields["title"]
    assert "Big Newspaper" in doc.fields["creator"] and "Watseka" in doc.fields["place"]
    ld = to_jsonld({"asset_id": "0" * 24, "kind": "image", "metadata": rec.to_dict()})
    assert ld["headline"] == "Farmer planting onions"
    assert [p["address"].get("addressLocality") for p in ld["contentLocation"]] == ["Washington", "Arlington"]
    assert ld["locationCreated"]["geo"]["latitude"] == pytest.approx(40.7761, abs=1e-6)
    assert check(ld) == []


def test_iim_headline_and_source(tmp_path: Path) -> None:
    path = _exiftool(_image(tmp_path / "iim.jpg"), "-IPTC:Headline=Storm over the bay", "-IPTC:Source=Agency X")
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.headline, rec.source) == ("Storm over the bay", "Agency X")
    assert rec.sources["source"] == "iptc:Source"


def test_headline_equal_to_title_is_not_searched_twice() -> None:
    rec = MetadataRecord(title="Bush", headline="BUSH")
    assert "headline" not in rec.searchable_text()


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize("assignments,expected,source", [
    (["-XMP-photoshop:DateCreated=2021:06:01 10:30:15.25+02:00"], "2021-06-01T10:30:15+02:00", "xmp:photoshop:DateCreated"),
    (["-XMP-photoshop:DateCreated=2021:06:01 10:30:15Z"], "2021-06-01T10:30:15+00:00", "xmp:photoshop:DateCreated"),
    (["-IPTC:DateCreated=2019:03:04", "-IPTC:TimeCreated=07:08:09-05:00"], "2019-03-04T07:08:09-05:00", "iptc:DateCreated"),
    (["-XMP-xmp:CreateDate=2018:01:02 03:04:05+01:00"], "2018-01-02T03:04:05+01:00", "xmp:xmp:CreateDate"),
    (["-EXIF:DateTimeOriginal=2013:05:10 15:21:35", "-EXIF:OffsetTimeOriginal=-03:00",
      "-XMP-photoshop:DateCreated=2001:01:01 00:00:00+05:00"], "2013-05-10T15:21:35-03:00", "exif:DateTimeOriginal"),
])
def test_dates_keep_time_and_offset_from_any_source(tmp_path: Path, assignments: list[str], expected: str, source: str) -> None:
    rec = read_metadata(_exiftool(_image(tmp_path / "d.jpg"), *assignments), "jpeg", "image")
    assert rec.date_created == expected and rec.sources["date_created"] == source


def test_date_created_beats_digitized(tmp_path: Path) -> None:
    path = _exiftool(_image(tmp_path / "d.jpg"), "-EXIF:CreateDate=2010:10:10 10:10:10",
                     "-XMP-photoshop:DateCreated=2009:09:09 09:09:09+01:00")
    rec = read_metadata(path, "jpeg", "image")
    assert rec.date_created == "2009-09-09T09:09:09+01:00"  # MWG DateTimeOriginal before CreateDate


# ---------------------------------------------------------------- pixel size


def test_pixel_size_is_the_image_not_the_exif_tags(tmp_path: Path) -> None:
    path = _exiftool(_image(tmp_path / "resized.jpg"), "-EXIF:ExifImageWidth=4000", "-EXIF:ExifImageHeight=3000")
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.width, rec.height) == (32, 24) and rec.sources["width"] == "pillow:size"


@pytest.mark.parametrize("name,fmt,make,size,source", [
    ("ex_CanonRaw.cr2", "cr2", "Canon", (3456, 2304), "exiv2:pixels"),
    ("ex_CanonRaw.cr2", "tiff", "Canon", (3456, 2304), "exiv2:pixels"),  # sniffed as TIFF: still not the thumbnail
    ("ex_Nikon.nef", "nef", "NIKON CORPORATION", (3040, 2014), "exiv2:pixels"),
    ("ex_DNG.dng", "dng", "Canon", (3516, 2328), "exiv2:pixels"),
    ("ex_DNG.dng", "tiff", "Canon", (3516, 2328), "exiv2:pixels"),  # catalogued as TIFF before RAWs had names
    ("ex_Nikon.nef", "tiff", "NIKON CORPORATION", (3040, 2014), "exiv2:pixels"),  # exiv2 knows it by its compression
    ("ex_Minolta.mrw", "mrw", "Konica Minolta Camera, Inc.", (3264, 2448), "exiv2:pixels"),
    ("ex_Panasonic.rw2", "rw2", "Panasonic", (3648, 2736), "raw:size"),  # inside the sensor borders
    ("ex_FujiFilm.raf", "raf", "FUJIFILM", (4256, 1424), "raw:size"),  # RawImageCroppedSize, not the preview's
    ("ex_CanonRaw.cr3", "cr3", "Canon", (6000, 4000), "raw:size"),
    ("ex_QuickTime.heic", "heic", None, (1596, 1064), "pillow:size"),  # the primary image, not the EXIF size
    ("exifr_Irvine_CA.avif", "avif", "Apple", (480, 640), "pillow:size"),
    ("ex_Jpeg2000.jp2", "jp2", None, (16, 16), "pillow:size"),
])
def test_formats_read_by_name(name: str, fmt: str, make: str | None, size: tuple[int, int], source: str | None) -> None:
    rec = read_metadata(DATA / name, fmt, "image")
    assert rec.camera_make == make
    assert (rec.width, rec.height) == size
    if source:
        assert rec.sources["width"] == source
    assert not any(w.startswith("metadata-") for w in rec.warnings)


def test_cr3_exif_is_read_from_its_cmt_boxes_when_exiv2_refuses_the_file() -> None:
    rec = read_metadata(DATA / "ex_CanonRaw.cr3", "cr3", "image")
    assert (rec.camera_model, rec.lens) == ("Canon EOS M50", "EF-M15-45mm f/3.5-6.3 IS STM")
    assert rec.date_created == "2018-02-21T12:08:56+00:00" and rec.orientation == 1
    assert any(w.startswith("exif-from-cmt-boxes") for w in rec.warnings)


def test_cr3_xmp_is_read_from_its_xmp_box_when_exiv2_refuses_the_file(tmp_path: Path) -> None:
    data = (DATA / "ex_CanonRaw.cr3").read_bytes()
    uuid = bytes.fromhex("be7acfcb97a942e89c71999491e3afac")
    at = data.index(uuid) - 8  # the box header: size, "uuid", then the uuid
    end = at + int.from_bytes(data[at:at + 4], "big")
    packet = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
              b'<rdf:li xml:lang="x-default">Box title</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')
    box = (24 + len(packet)).to_bytes(4, "big") + b"uuid" + uuid + packet
    path = tmp_path / "titled.cr3"
    path.write_bytes(data[:at] + box + data[end:])
    rec = read_metadata(path, "cr3", "image")
    assert rec.title == "Box title" and rec.sources["title"] == "xmp:dc:title"
    assert rec.camera_model == "Canon EOS M50" and (rec.width, rec.height) == (6000, 4000)
    assert any(w.startswith("exif-from-cmt-boxes") for w in rec.warnings)


def test_jpeg_xl_is_read_through_exiv2() -> None:
    rec = read_metadata(DATA / "ex_JXL2.jxl", "jxl", "image")
    assert not any(w.startswith("metadata-") for w in rec.warnings)
    assert (rec.keywords, rec.creator) == (["ExifTool test"], ["me"])  # XMP in a Brotli-compressed box


# ---------------------------------------------------------------- GIF XMP, ID3


def test_ape_tags_are_read() -> None:
    rec = read_metadata(DATA / "ex_APE.ape", "ape", "audio")
    assert (rec.title, rec.artist, rec.album, rec.genre) == ("Men Machine Live", "Kraftwerk", "Cover Art Test", "Electronic")
    assert (rec.track, rec.year, rec.sources["title"]) == (4, 2005, "ape:Title")
    assert rec.has_cover_art is True


def test_aiff_name_chunk_is_the_title_when_id3_has_none() -> None:
    rec = read_metadata(DATA / "ex_AIFF.aif", "aiff", "audio")
    assert (rec.title, rec.sources["title"]) == ("ExifTool test AIFF", "aiff:NAME")
    assert (rec.artist, rec.sources["artist"]) == ("the artist", "id3:TPE1")  # ID3 first, AUTH only fills a gap


def test_gif_xmp_application_extension() -> None:
    rec = read_metadata(DATA / "ex_GIF.gif", "gif", "image")
    assert rec.title == "GIF with XMP" and rec.sources["title"] == "xmp:dc:title"
    assert (rec.width, rec.height) == (8, 8)


def test_gif_xmp_written_by_exiftool(tmp_path: Path) -> None:
    path = _exiftool(_image(tmp_path / "a.gif", "GIF"), "-XMP-dc:Title=Animated", "-XMP-dc:Subject=loop")
    rec = read_metadata(path, "gif", "image")
    assert (rec.title, rec.keywords) == ("Animated", ["loop"])


def test_id3_is_read_when_mpeg_frames_do_not_sync(tmp_path: Path) -> None:
    rec = read_metadata(DATA / "ex_MP3.mp3", "mp3", "audio")
    assert (rec.title, rec.artist, rec.album) == ("ExifTool Test", "Phil Harvey", "Phil's Greatest Hits")
    assert any(w.startswith("audio-unreadable") for w in rec.warnings)
    assert not any(w.startswith("metadata-unreadable") for w in rec.warnings)


# ---------------------------------------------------------------- broken tag blocks


def _app1(payload: bytes) -> bytes:
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


_PACKET = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
           '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title><rdf:Alt>'
           '<rdf:li xml:lang="x-default">Still here</rdf:li></rdf:Alt></dc:title></rdf:Description></rdf:RDF></x:xmpmeta>')


@pytest.mark.parametrize("exif", [b"Exif\x00\x00" + b"\xde\xad" * 50,  # garbage where the TIFF header belongs
                                  b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x05\x00\x0f\x01\x02\x00\x10\x00"])  # truncated IFD
def test_broken_exif_block_costs_that_block_only(tmp_path: Path, exif: bytes) -> None:
    jpeg = _image(tmp_path / "base.jpg").read_bytes()
    path = tmp_path / "broken.jpg"
    path.write_bytes(jpeg[:2] + _app1(exif) + _app1(b"http://ns.adobe.com/xap/1.0/\x00" + _PACKET.encode()) + jpeg[2:])
    rec = read_metadata(path, "jpeg", "image")
    assert rec.title == "Still here"
    assert (rec.width, rec.height) == (32, 24)
    assert not any(w.startswith("metadata-") for w in rec.warnings)


def test_capture_one_packet_with_repeated_properties(tmp_path: Path) -> None:
    """Capture One repeats properties; exiv2 then refuses the packet, so it is read as repaired."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" photoshop:Headline="First">'
        '<photoshop:Headline>Second</photoshop:Headline>'
        '<Iptc4xmpExt:LocationShown><rdf:Bag><rdf:li rdf:parseType="Resource">'
        '<Iptc4xmpExt:LocationName><rdf:Alt><rdf:li xml:lang="x-default">Old Town</rdf:li></rdf:Alt></Iptc4xmpExt:LocationName>'
        '<Iptc4xmpExt:City>Tallinn</Iptc4xmpExt:City></rdf:li></rdf:Bag></Iptc4xmpExt:LocationShown>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>")
    jpeg = _image(tmp_path / "base.jpg").read_bytes()
    path = tmp_path / "c1.jpg"
    path.write_bytes(jpeg[:2] + _app1(b"http://ns.adobe.com/xap/1.0/\x00" + packet.encode()) + jpeg[2:])
    rec = read_metadata(path, "jpeg", "image")
    assert rec.headline == "First"  # the first occurrence wins
    assert rec.location_shown == [{"name": "Old Town", "city": "Tallinn"}] and rec.city == "Tallinn"
    assert ("xmp-invalid: packet rejected by exiv2, read repaired (XMP property photoshop:Headline appeared more "
            "than once; kept the first)") in rec.warnings


def test_xmp_helpers() -> None:
    data = b"GIF89a....XMP DataXMP" + _PACKET.encode() + b"\x01\xff\xfe\x00"
    assert find_packet(data) == _PACKET
    meta, warnings = parse_packet(_PACKET)
    assert meta["Xmp.dc.title"] == {'lang="x-default"': "Still here"} and warnings == []
    meta, warnings = parse_packet("<!DOCTYPE x [<!ENTITY a 'b'>]><x/>")
    assert meta == {} and warnings[0].startswith("xmp-invalid:") and "DOCTYPE" in warnings[0]
    meta, warnings = parse_packet("<x:xmpmeta><not xml")
    assert meta == {} and warnings[0].startswith("xmp-invalid: the XMP packet is not well-formed XML")


def test_wav_riff_info_fills_what_its_id3_chunk_lacks(tmp_path: Path) -> None:
    """A WAV tagged by a DAW (RIFF INFO) and later by an ID3 tool: ID3 first, INFO for the rest."""
    from mutagen.id3 import TPE1
    from mutagen.wave import WAVE

    from conftest import tone, write_wav

    path = write_wav(tmp_path / "memo.wav", tone(440, 0.5))
    data = path.read_bytes()

    def entry(cid: bytes, text: str) -> bytes:
        value = text.encode() + b"\0"
        return cid + len(value).to_bytes(4, "little") + value + b"\0" * (len(value) % 2)

    info = b"INFO" + entry(b"INAM", "Board meeting") + entry(b"IART", "Studio A") + entry(b"ICRD", "2019-05-01")
    riff = data[12:] + b"LIST" + len(info).to_bytes(4, "little") + info
    path.write_bytes(b"RIFF" + (len(riff) + 4).to_bytes(4, "little") + b"WAVE" + riff)
    audio = WAVE(path)
    audio.add_tags()
    audio.tags.add(TPE1(encoding=3, text=["Ana Núñez"]))
    audio.save()
    rec = read_metadata(path, "wav", "audio")
    assert (rec.title, rec.sources["title"]) == ("Board meeting", "riff:INAM")
    assert (rec.artist, rec.sources["artist"]) == ("Ana Núñez", "id3:TPE1")  # ID3 wins where both have one
    assert (rec.date_created, rec.year) == ("2019-05-01", 2019)


def test_a_rejected_xmp_packet_keeps_the_first_of_a_repeated_language() -> None:
    """As for a repeated property, and as the writer's repair keeps it (so a write verifies). (The
    repeated headline is what makes exiv2 reject the packet; a repeated language alone it accepts.)"""
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
              'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/">'
              '<rdf:Description rdf:about=""><dc:title><rdf:Alt>'
              '<rdf:li xml:lang="x-default">first</rdf:li><rdf:li xml:lang="x-default">second</rdf:li>'
              '</rdf:Alt></dc:title><photoshop:Headline>a</photoshop:Headline><photoshop:Headline>b</photoshop:Headline>'
              '</rdf:Description></rdf:RDF></x:xmpmeta>')
    meta, warnings = parse_packet(packet)
    assert warnings and warnings[0].startswith("xmp-invalid: packet rejected by exiv2, read repaired")
    assert meta["Xmp.dc.title"] == {'lang="x-default"': "first"} and meta["Xmp.photoshop.Headline"] == "a"
