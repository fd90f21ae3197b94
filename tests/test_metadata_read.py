"""read_metadata over files built in tmp_path: tags written with pyexiv2 / mutagen, media with Pillow / PyAV."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pyexiv2
import pytest

from conftest import tone, write_wav
from PIL import Image

from mediaground.metadata.read import read_metadata
from mediaground.metadata.record import MetadataRecord

CAPTION = "Ana Núñez — 東京"
EXT_DESCR = "Dozens of people cross a wide intersection at night.\nNeon signs in Japanese light the scene."


def _image(path: Path, fmt: str = "JPEG") -> Path:
    Image.new("RGB", (32, 24), (200, 80, 40)).save(path, fmt)
    return path


def _tag(path: Path, exif: dict | None = None, iptc: dict | None = None, xmp: dict | None = None,
         iptc_encoding: str = "utf-8") -> Path:
    img = pyexiv2.Image(str(path))
    try:
        if exif:
            img.modify_exif(exif)
        if iptc:
            img.modify_iptc(iptc, encoding=iptc_encoding)
        if xmp:
            img.modify_xmp(xmp)
    finally:
        img.close()
    return path


def _gps(lat: str, lat_ref: str, lon: str, lon_ref: str) -> dict:
    return {"Exif.GPSInfo.GPSLatitudeRef": lat_ref, "Exif.GPSInfo.GPSLatitude": lat,
            "Exif.GPSInfo.GPSLongitudeRef": lon_ref, "Exif.GPSInfo.GPSLongitude": lon}


# ---------------------------------------------------------------- images


@pytest.fixture
def tagged_jpeg(tmp_path: Path) -> Path:
    return _tag(
        _image(tmp_path / "photo.jpg"),
        exif={
            "Exif.Image.Make": "ExifMake", "Exif.Image.Model": "ExifModel", "Exif.Image.Orientation": "6",
            "Exif.Image.Artist": "Exif Artist", "Exif.Image.ImageDescription": "exif description",
            "Exif.Image.Copyright": "exif copyright",
            "Exif.Photo.DateTimeOriginal": "2013:05:10 15:21:35", "Exif.Photo.OffsetTimeOriginal": "+02:00",
            "Exif.Photo.LensModel": "50mm f/1.8",
            **_gps("55/1 2/1 1395/100", "N", "8/1 27/1 2589/100", "W"),
            "Exif.GPSInfo.GPSAltitudeRef": "1", "Exif.GPSInfo.GPSAltitude": "5/1",
        },
        iptc={
            "Iptc.Envelope.CharacterSet": "\x1b%G",
            "Iptc.Application2.Caption": CAPTION,
            "Iptc.Application2.Byline": ["Iptc Person"],
            "Iptc.Application2.Keywords": ["street", "Tokyo", "Núñez"],
            "Iptc.Application2.City": "Iptc City",
            "Iptc.Application2.ProvinceState": "Tōkyō-to",
            "Iptc.Application2.CountryName": "Japan",
            "Iptc.Application2.SubLocation": "Shibuya Crossing",
            "Iptc.Application2.Credit": "Iptc Credit",
        },
        xmp={
            "Xmp.dc.title": {'lang="x-default"': "Night walk"},
            "Xmp.dc.creator": ["Xmp Person"],
            "Xmp.dc.subject": ["Night", "Street"],
            "Xmp.dc.rights": {'lang="x-default"': "© 2013 Xmp Person"},
            "Xmp.Iptc4xmpCore.AltTextAccessibility": {'lang="x-default"': "People crossing a lit street at night"},
            "Xmp.Iptc4xmpCore.ExtDescrAccessibility": {'lang="x-default"': EXT_DESCR, 'lang="de"': "Lange Beschreibung"},
            "Xmp.Iptc4xmpCore.CountryCode": "JP",
            "Xmp.xmpRights.WebStatement": "https://creativecommons.org/licenses/by/4.0/",
            "Xmp.photoshop.City": "東京",
            "Xmp.tiff.Make": "XmpMake",
        },
    )


def test_jpeg_descriptive_fields_follow_mwg_precedence(tagged_jpeg: Path) -> None:
    """MWG (was: XMP, then IIM, then EXIF, keywords merged): EXIF wins for description, creator and
    copyright; XMP beats IIM when there is no IPTC digest; keywords come from the winner alone."""
    rec = read_metadata(tagged_jpeg, "jpeg", "image")
    assert rec.creator == ["Exif Artist"] and rec.sources["creator"] == "exif:Artist"
    assert rec.caption == "exif description" and rec.sources["caption"] == "exif:ImageDescription"
    assert rec.copyright == "exif copyright" and rec.sources["copyright"] == "exif:Copyright"
    assert rec.title == "Night walk"
    assert rec.alt_text == "People crossing a lit street at night"
    assert rec.sources["alt_text"] == "xmp:Iptc4xmpCore:AltTextAccessibility"
    assert rec.extended_description == EXT_DESCR  # the x-default of the Lang Alt
    assert rec.sources["extended_description"] == "xmp:Iptc4xmpCore:ExtDescrAccessibility"
    assert rec.license_url == "https://creativecommons.org/licenses/by/4.0/"
    assert rec.credit == "Iptc Credit"  # no photoshop:Credit: the IIM has the only value
    assert (rec.city, rec.state, rec.country, rec.country_code, rec.location) == (
        "東京", "Tōkyō-to", "Japan", "JP", "Shibuya Crossing")
    assert rec.sources["city"] == "xmp:photoshop:City"
    assert rec.keywords == ["Night", "Street"] and rec.sources["keywords"] == "xmp:dc:subject"
    assert rec.warnings == []


def test_iim_caption_beats_exif_only_when_exif_is_a_camera_placeholder(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "p.jpg"), exif={"Exif.Image.ImageDescription": "OLYMPUS DIGITAL CAMERA"},
                iptc={"Iptc.Envelope.CharacterSet": "\x1b%G", "Iptc.Application2.Caption": CAPTION})
    rec = read_metadata(path, "jpeg", "image")
    assert rec.caption == CAPTION and rec.sources["caption"] == "iptc:Caption"


def test_jpeg_technical_fields_prefer_exif(tagged_jpeg: Path) -> None:
    rec = read_metadata(tagged_jpeg, "jpeg", "image")
    assert rec.camera_make == "ExifMake" and rec.sources["camera_make"] == "exif:Make"
    assert rec.camera_model == "ExifModel"
    assert rec.lens == "50mm f/1.8"
    assert rec.orientation == 6
    assert (rec.width, rec.height) == (32, 24)
    assert rec.date_created == "2013-05-10T15:21:35+02:00"
    assert rec.gps_lat == pytest.approx(55 + 2 / 60 + 13.95 / 3600, abs=1e-6)
    assert rec.gps_lon == pytest.approx(-(8 + 27 / 60 + 25.89 / 3600), abs=1e-6)
    assert rec.gps_alt == pytest.approx(-5.0)
    assert rec.sources["gps_lat"] == "exif:GPSLatitude"


def test_xmp_caption_beats_iptc(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "c.jpg"),
                iptc={"Iptc.Envelope.CharacterSet": "\x1b%G", "Iptc.Application2.Caption": "from iptc"},
                xmp={"Xmp.dc.description": {'lang="x-default"': "from xmp", 'lang="de"': "aus xmp"}})
    rec = read_metadata(path, "jpeg", "image")
    assert rec.caption == "from xmp" and rec.sources["caption"] == "xmp:dc:description"


def test_exif_only_fields_and_camera_placeholder(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "e.jpg"), exif={
        "Exif.Image.ImageDescription": "OLYMPUS DIGITAL CAMERA",
        "Exif.Image.Artist": "Ann One; Bob Two",
        "Exif.Photo.DateTimeOriginal": "2001:02:03 04:05:06",
    })
    rec = read_metadata(path, "jpeg", "image")
    assert rec.caption is None  # a camera's default text is not a caption
    assert rec.creator == ["Ann One", "Bob Two"] and rec.sources["creator"] == "exif:Artist"
    assert rec.date_created == "2001-02-03T04:05:06"


def test_iptc_without_charset_falls_back_to_latin1(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "l.jpg"),
                iptc={"Iptc.Application2.Caption": "Ana Núñez", "Iptc.Application2.City": "Málaga"},
                iptc_encoding="latin-1")
    rec = read_metadata(path, "jpeg", "image")
    assert rec.caption == "Ana Núñez"
    assert rec.city == "Málaga"


def test_gps_out_of_range_is_dropped_with_warning(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "g.jpg"), exif=_gps("95/1 0/1 0/1", "N", "8/1 0/1 0/1", "E"))
    rec = read_metadata(path, "jpeg", "image")
    assert rec.gps_lat is None and rec.gps_lon is None
    assert "gps-out-of-range" in rec.warnings


def test_null_island_is_kept_with_warning(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "n.jpg"), exif=_gps("0/1 0/1 0/1", "N", "0/1 0/1 0/1", "E"))
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.gps_lat, rec.gps_lon) == (0.0, 0.0)
    assert "gps-null-island" in rec.warnings
    assert rec.to_dict()["gps_lat"] == 0.0  # zero is a value, not "empty"


def test_gps_falls_back_to_xmp(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "x.jpg"),
                xmp={"Xmp.exif.GPSLatitude": "55,2.3256N", "Xmp.exif.GPSLongitude": "8,27.4315W"})
    rec = read_metadata(path, "jpeg", "image")
    assert rec.gps_lat == pytest.approx(55.03876, abs=1e-5)
    assert rec.gps_lon == pytest.approx(-8.457192, abs=1e-5)
    assert rec.sources["gps_lat"] == "xmp:exif:GPSLatitude"


@pytest.mark.parametrize("fmt,pil_fmt,suffix", [("png", "PNG", ".png"), ("webp", "WEBP", ".webp"), ("tiff", "TIFF", ".tif")])
def test_png_webp_tiff_carry_xmp_and_exif(tmp_path: Path, fmt: str, pil_fmt: str, suffix: str) -> None:
    path = _tag(_image(tmp_path / f"img{suffix}", pil_fmt),
                exif={"Exif.Image.Make": "Cam", "Exif.Image.Model": "M1"},
                xmp={"Xmp.dc.description": {'lang="x-default"': CAPTION}, "Xmp.dc.subject": ["a", "B"]})
    rec = read_metadata(path, fmt, "image")
    assert rec.caption == CAPTION
    assert rec.keywords == ["a", "B"]
    assert (rec.camera_make, rec.camera_model) == ("Cam", "M1")
    assert (rec.width, rec.height) == (32, 24)


def test_xmp_rejected_by_exiv2_is_read_leniently(tmp_path: Path) -> None:
    """digiKam writes duplicate properties; exiv2 then drops the whole packet."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:Rating>5</xmp:Rating><xmp:Rating>5</xmp:Rating>'
        '</rdf:Description><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<dc:subject><rdf:Bag><rdf:li>Close-up</rdf:li><rdf:li>Colors</rdf:li></rdf:Bag></dc:subject>'
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">x-default</rdf:li></rdf:Alt></dc:description>'
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    jpeg = _image(tmp_path / "base.jpg").read_bytes()
    path = tmp_path / "digikam.jpg"
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:])
    rec = read_metadata(path, "jpeg", "image")
    assert rec.keywords == ["Close-up", "Colors"]
    assert rec.caption is None  # digiKam's "x-default" placeholder is not a caption
    assert any(w.startswith("xmp-invalid") for w in rec.warnings)


def _exiftool_set(path: Path, *assignments: str) -> Path:
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    subprocess.run([exe, "-q", "-overwrite_original", "-charset", "utf8", *assignments, str(path)],
                   capture_output=True, check=True)
    return path


@pytest.mark.parametrize("fmt,pil_fmt,suffix", [("jpeg", "JPEG", ".jpg"), ("png", "PNG", ".png"),
                                                ("webp", "WEBP", ".webp"), ("tiff", "TIFF", ".tif")])
def test_plus_licensor_written_by_exiftool(tmp_path: Path, fmt: str, pil_fmt: str, suffix: str) -> None:
    path = _exiftool_set(_image(tmp_path / f"lic{suffix}", pil_fmt),
                         "-XMP-plus:LicensorURL=https://acme.example/license/123", "-XMP-plus:LicensorName=Acmé Images")
    rec = read_metadata(path, fmt, "image")
    assert rec.licensor_url == "https://acme.example/license/123"
    assert rec.licensor_name == "Acmé Images"
    assert rec.sources["licensor_url"] == "xmp:plus:Licensor[1]/plus:LicensorURL"
    assert rec.sources["licensor_name"] == "xmp:plus:Licensor[1]/plus:LicensorName"
    assert rec.license_url is None and rec.warnings == []
    assert MetadataRecord.from_dict(rec.to_dict()) == rec


def test_plus_licensor_first_value_in_array_order_wins(tmp_path: Path) -> None:
    path = _tag(_image(tmp_path / "two.jpg"), xmp={
        "Xmp.plus.Licensor": "type=Seq",
        "Xmp.plus.Licensor[1]": "type=Struct", "Xmp.plus.Licensor[1]/plus:LicensorName": "First Agency",
        "Xmp.plus.Licensor[2]": "type=Struct", "Xmp.plus.Licensor[2]/plus:LicensorName": "Second Agency",
        "Xmp.plus.Licensor[2]/plus:LicensorURL": "https://second.example/buy",
    })
    rec = read_metadata(path, "jpeg", "image")
    assert rec.licensor_name == "First Agency" and rec.sources["licensor_name"].endswith("Licensor[1]/plus:LicensorName")
    assert rec.licensor_url == "https://second.example/buy"  # the first licensor has no URL
    assert rec.sources["licensor_url"] == "xmp:plus:Licensor[2]/plus:LicensorURL"


def test_plus_licensor_in_xmp_rejected_by_exiv2(tmp_path: Path) -> None:
    """The lenient reader understands struct items, both as attributes and as parseType=Resource."""
    packet = (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:xmp="http://ns.adobe.com/xap/1.0/"><xmp:Rating>5</xmp:Rating><xmp:Rating>5</xmp:Rating>'
        '</rdf:Description><rdf:Description xmlns:plus="http://ns.useplus.org/ldf/xmp/1.0/"><plus:Licensor><rdf:Seq>'
        '<rdf:li plus:LicensorName="Acme"/>'
        '<rdf:li rdf:parseType="Resource"><plus:LicensorURL>https://acme.example/l</plus:LicensorURL></rdf:li>'
        "</rdf:Seq></plus:Licensor></rdf:Description></rdf:RDF></x:xmpmeta>"
    ).encode()
    payload = b"http://ns.adobe.com/xap/1.0/\x00" + packet
    jpeg = _image(tmp_path / "base.jpg").read_bytes()
    path = tmp_path / "lenient.jpg"
    path.write_bytes(jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:])
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.licensor_name, rec.licensor_url) == ("Acme", "https://acme.example/l")
    assert rec.sources["licensor_url"] == "xmp:plus:Licensor[2]/plus:LicensorURL"
    assert any(w.startswith("xmp-invalid") for w in rec.warnings)


@pytest.mark.parametrize("name,fmt,kind", [("junk.jpg", "jpeg", "image"), ("junk.mp3", "mp3", "audio"),
                                           ("junk.bin", None, None)])
def test_garbage_bytes_give_a_warning_not_an_exception(tmp_path: Path, name: str, fmt: str | None, kind: str | None) -> None:
    path = tmp_path / name
    path.write_bytes(b"this is not media\x00\xff" * 64)
    rec = read_metadata(path, fmt, kind)
    assert isinstance(rec, MetadataRecord)
    assert rec.warnings


def test_missing_file_gives_a_warning(tmp_path: Path) -> None:
    assert read_metadata(tmp_path / "gone.jpg", "jpeg", "image").warnings


# ---------------------------------------------------------------- record


def test_record_round_trip_and_search_text() -> None:
    rec = MetadataRecord(title="T", caption=CAPTION, keywords=["a", "b"], creator=["X"], city="Tokyo",
                         country="Japan", location="Shibuya", gps_lat=0.0, has_cover_art=False,
                         sources={"title": "xmp:dc:title"})
    d = rec.to_dict()
    assert "alt_text" not in d and "warnings" not in d
    assert d["gps_lat"] == 0.0 and d["has_cover_art"] is False
    assert MetadataRecord.from_dict({**d, "from_the_future": 1}) == rec
    text = rec.searchable_text()
    assert text["keywords"] == "a, b"
    assert text["place"] == "Shibuya, Tokyo, Japan"
    assert text["caption"] == CAPTION
    assert "album" not in text


def test_extended_description_is_searched_as_part_of_the_alt_text() -> None:
    both = MetadataRecord(alt_text="A lit street", extended_description=EXT_DESCR)
    assert both.searchable_text() == {"alt_text": "A lit street\n" + EXT_DESCR}
    assert MetadataRecord(extended_description=EXT_DESCR).searchable_text() == {"alt_text": EXT_DESCR}
    assert MetadataRecord.from_dict(both.to_dict()) == both


def test_extended_description_written_by_exiftool_is_read(tmp_path: Path) -> None:
    """An independent writer (ExifTool) and exiv2's own "iptc" prefix land on the same field."""
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    path = _image(tmp_path / "ext.png", "PNG")
    subprocess.run([exe, "-q", "-overwrite_original", "-charset", "utf8",
                    f"-XMP-iptcCore:ExtDescrAccessibility={CAPTION}", str(path)], capture_output=True, check=True)
    rec = read_metadata(path, "png", "image")
    assert rec.extended_description == CAPTION and rec.alt_text is None
    assert rec.sources["extended_description"] == "xmp:Iptc4xmpCore:ExtDescrAccessibility"
    assert rec.warnings == []


# ---------------------------------------------------------------- audio and video

import av  # noqa: E402
import mutagen  # noqa: E402


def _wav(path: Path, seconds: float = 1.0, rate: int = 16000) -> Path:
    return write_wav(path, tone(440, seconds, rate, amplitude=8000 / 32767), rate)


def _encode(wav: Path, out: Path, container: str, codecs: list[str]) -> Path:
    """Re-encode `wav` with the first available encoder; PyAV resamples frames as the encoder needs."""
    codec = next((c for c in codecs if c in av.codecs_available), None)
    if codec is None:
        pytest.fail(f"PyAV has no encoder among {codecs}")
    with av.open(str(wav)) as src, av.open(str(out), "w", format=container) as dst:
        stream = dst.add_stream(codec, rate=48000 if codec in ("libopus", "opus") else 16000)
        if codec == "vorbis":
            stream.codec_context.options = {"strict": "experimental"}
        for frame in src.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return out


def _png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 255)).save(buf, "PNG")
    return buf.getvalue()


def test_mp3_id3(tmp_path: Path) -> None:
    from mutagen.id3 import APIC, COMM, ID3, TALB, TBPM, TCON, TCOP, TDRC, TIT2, TPE1, TRCK, TSRC

    path = _encode(_wav(tmp_path / "t.wav"), tmp_path / "t.mp3", "mp3", ["libmp3lame", "mp3"])
    tags = ID3()
    for frame in (TIT2(encoding=3, text=CAPTION), TPE1(encoding=3, text="Artist A"), TALB(encoding=3, text="Album"),
                  TCON(encoding=3, text="(17)"), TBPM(encoding=3, text="128"), TSRC(encoding=3, text="USRC17607839"),
                  TDRC(encoding=3, text="2021-06-01"), TRCK(encoding=3, text="3/12"), TCOP(encoding=3, text="℗ 2021 A"),
                  COMM(encoding=3, lang="eng", desc="iTunNORM", text="00000 0000"),
                  COMM(encoding=3, lang="eng", desc="", text="a comment"),
                  APIC(encoding=3, mime="image/png", type=3, desc="cover", data=_png_bytes())):
        tags.add(frame)
    tags.save(path)
    rec = read_metadata(path, "mp3", "audio")
    assert rec.title == CAPTION and rec.sources["title"] == "id3:TIT2"
    assert (rec.artist, rec.album, rec.genre) == ("Artist A", "Album", "Rock")
    assert rec.creator == ["Artist A"]
    assert (rec.bpm, rec.isrc, rec.year, rec.track) == (128, "USRC17607839", 2021, 3)
    assert rec.date_created == "2021-06-01"
    assert rec.comment == "a comment"
    assert rec.copyright == "℗ 2021 A"
    assert rec.has_cover_art is True
    assert rec.duration == pytest.approx(1.0, abs=0.2)
    assert rec.warnings == []


def test_flac_vorbis_comments(tmp_path: Path) -> None:
    from mutagen.flac import FLAC, Picture

    path = _encode(_wav(tmp_path / "t.wav"), tmp_path / "t.flac", "flac", ["flac"])
    f = FLAC(path)
    f.update({"TITLE": CAPTION, "ARTIST": ["One", "Two"], "ALBUM": "Alb", "GENRE": "Jazz", "DATE": "1999",
              "BPM": "90", "ISRC": "GBAYE0601498", "DESCRIPTION": "desc text", "COPYRIGHT": "c", "TRACKNUMBER": "7"})
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", _png_bytes()
    f.add_picture(pic)
    f.save()
    rec = read_metadata(path, "flac", "audio")
    assert rec.title == CAPTION and rec.sources["title"] == "vorbis:TITLE"
    assert rec.artist == "One; Two" and rec.creator == ["One", "Two"]
    assert (rec.album, rec.genre, rec.year, rec.bpm, rec.isrc, rec.track) == ("Alb", "Jazz", 1999, 90, "GBAYE0601498", 7)
    assert rec.comment == "desc text"
    assert rec.has_cover_art is True
    assert rec.duration == pytest.approx(1.0, abs=0.05)


def test_ogg_vorbis_comments(tmp_path: Path) -> None:
    path = _encode(_wav(tmp_path / "t.wav"), tmp_path / "t.ogg", "ogg", ["libopus", "libvorbis", "vorbis"])
    f = mutagen.File(path)
    f["title"] = "Ogg title"
    f["artist"] = "Ogg artist"
    f["comment"] = "ogg comment"
    f.save()
    rec = read_metadata(path, "ogg", "audio")
    assert (rec.title, rec.artist, rec.comment) == ("Ogg title", "Ogg artist", "ogg comment")
    assert rec.has_cover_art is False
    assert rec.duration and rec.duration > 0


def test_m4a_atoms(tmp_path: Path) -> None:
    from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm

    path = _encode(_wav(tmp_path / "t.wav"), tmp_path / "t.m4a", "ipod", ["aac"])
    f = MP4(path)
    f.update({"©nam": [CAPTION], "©ART": ["M4A Artist"], "©alb": ["M4A Album"], "©gen": ["Pop"], "©day": ["2018"],
              "tmpo": [100], "cprt": ["cp"], "©cmt": ["m4a comment"], "trkn": [(2, 9)],
              "covr": [MP4Cover(_png_bytes(), imageformat=MP4Cover.FORMAT_PNG)],
              "----:com.apple.iTunes:ISRC": [MP4FreeForm(b"USUM71703861")]})
    f.save()
    rec = read_metadata(path, "m4a", "audio")
    assert rec.title == CAPTION and rec.sources["title"] == "mp4:©nam"
    assert (rec.artist, rec.album, rec.genre, rec.year, rec.bpm, rec.track) == ("M4A Artist", "M4A Album", "Pop", 2018, 100, 2)
    assert (rec.copyright, rec.comment, rec.isrc) == ("cp", "m4a comment", "USUM71703861")
    assert rec.has_cover_art is True
    assert rec.duration == pytest.approx(1.0, abs=0.2)


def test_wav_with_and_without_id3_chunk(tmp_path: Path) -> None:
    from mutagen.id3 import TIT2, TPE1
    from mutagen.wave import WAVE

    plain = read_metadata(_wav(tmp_path / "plain.wav"), "wav", "audio")
    assert plain.duration == pytest.approx(1.0, abs=1e-3) and plain.warnings == []
    assert plain.title is None

    path = _wav(tmp_path / "tagged.wav", seconds=0.5)
    w = WAVE(path)
    w.add_tags()
    w.tags.add(TIT2(encoding=3, text="Wav title"))
    w.tags.add(TPE1(encoding=3, text="Wav artist"))
    w.save()
    rec = read_metadata(path, "wav", "audio")
    assert (rec.title, rec.artist, rec.creator) == ("Wav title", "Wav artist", ["Wav artist"])
    assert rec.duration == pytest.approx(0.5, abs=1e-3)


def test_mp4_video_title_and_duration(tmp_path: Path) -> None:
    from mutagen.mp4 import MP4

    codec = next((c for c in ("mpeg4", "libx264", "mjpeg") if c in av.codecs_available), None)
    if codec is None:
        pytest.fail("PyAV has no video encoder")
    path = tmp_path / "v.mp4"
    with av.open(str(path), "w", format="mp4") as dst:
        stream = dst.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p" if codec != "mjpeg" else "yuvj420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((32, 32, 3), i * 20, np.uint8), format="rgb24")
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    f = MP4(path)
    f["©nam"] = ["Clip"]
    f.save()
    rec = read_metadata(path, "mp4", "video")
    assert rec.title == "Clip"
    assert rec.duration == pytest.approx(1.0, abs=0.2)
