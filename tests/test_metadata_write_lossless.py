"""A write changes the tags it was asked to change and nothing else.

For real-world-like files (built here with ExifTool, pyexiv2 and mutagen, plus four small ExifTool
test images in tests/data/conformance), ExifTool lists every tag (-a -u, binary data as base64 with
-b) before and after one field is written; every tag seen before must be there after with the
same value, except the ones listed below as changing with that field. Each allowance says why.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from io import BytesIO
from pathlib import Path
from typing import Any

import pyexiv2
import pytest
from mutagen.aiff import AIFF
from mutagen.flac import FLAC, Picture
from mutagen.id3 import APIC, COMM, ID3, TALB, TCON, TIT2, TPE1, TRCK, TXXX, TYER
from mutagen.mp4 import MP4, MP4Cover, MP4FreeForm
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE
from PIL import Image, TiffImagePlugin
from PIL.PngImagePlugin import PngInfo

from conftest import DATA, tone, write_wav
from mediaground.media.sniff import sniff
from mediaground.metadata.read import read_metadata
from mediaground.metadata.write import parse_edits, write_metadata
from test_metadata_write import _audio, _ffprobe

# ---------------------------------------------------------------- ExifTool's view


def _tags(path: Path, *args: str) -> dict[str, Any]:
    """Every tag ExifTool reads (-a -u), numerically, binary data included (-b, as base64). A tag
    that occurs more than once in a group maps to the list of its values in file order: -G1:4 names
    the earlier ones Group:CopyN:Tag (N counts occurrences of the name across all groups)."""
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    out = subprocess.run([exe, "-j", "-G1:4", "-n", "-a", "-u", "-b", *args, str(path)], capture_output=True,
                         check=True)
    found: dict[str, list[tuple[int, Any]]] = {}
    for key, value in json.loads(out.stdout.decode("utf-8"))[0].items():
        m = re.fullmatch(r"(.*?):Copy(\d+):(.*)", key)
        name, order = (f"{m.group(1)}:{m.group(3)}", int(m.group(2))) if m else (key, 1 << 30)
        found.setdefault(name, []).append((order, value))
    return {k: v[0][1] if len(v) == 1 else [value for _, value in sorted(v, key=lambda o: o[0])]
            for k, v in found.items()}


def _et(path: Path, *args: str) -> None:
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    subprocess.run([exe, "-q", "-overwrite_original", "-charset", "utf8", *args, str(path)], check=True,
                   capture_output=True)


# ---------------------------------------------------------------- what may change

# Any write: the file system entry, and ExifTool's own version.
_ANY = {"SourceFile", "System:*", "ExifTool:ExifToolVersion"}
# ExifTool reports these as positions in the file; they move when a block in front of them grows.
# What they point to is compared all the same: -b brings ThumbnailImage, PreviewImage, MPImage2 ...
_POSITIONS = {"IFD1:ThumbnailOffset", "*:PreviewImageStart", "MPImage*:MPImageStart"}
# An edit of the IPTC IIM: the UTF-8 declaration (1:90) is set, 2:00 RecordVersion added where it is
# missing (it is mandatory), and the MD5 of the block changes; Photoshop's copy of it is kept
# current when it was (asserted separately below).
_WITH_IIM = {"IPTC:CodedCharacterSet", "IPTC:ApplicationRecordVersion", "File:CurrentIPTCDigest",
             "Photoshop:IPTCDigest"}
# An edit of the XMP: exiv2 serializes the packet, and names itself as the toolkit.
_WITH_XMP = {"XMP-x:XMPToolkit"}
_IMAGE_FIELDS = {
    "caption": {"IFD0:ImageDescription", "IPTC:Caption-Abstract", "XMP-dc:Description", *_WITH_IIM, *_WITH_XMP},
    "alt_text": {"XMP-iptcCore:AltTextAccessibility", *_WITH_XMP},
    "keywords": {"XMP-dc:Subject", "IPTC:Keywords", "IFD0:XPKeywords", *_WITH_IIM, *_WITH_XMP},
    # latitude and longitude only: the altitude is not asked for and must stay
    "gps": {"GPS:GPSLatitude", "GPS:GPSLatitudeRef", "GPS:GPSLongitude", "GPS:GPSLongitudeRef", "GPS:GPSVersionID",
            "XMP-exif:GPSLatitude", "XMP-exif:GPSLongitude", "Composite:GPSLatitude", "Composite:GPSLongitude",
            "Composite:GPSLatitudeRef", "Composite:GPSLongitudeRef", "Composite:GPSPosition", *_WITH_XMP},
}
# Audio: the ID3 tag's size, the padding a tag grows into (FLAC PADDING block, MP4 "free" atom), and
# the duration ExifTool estimates from the file size for WAV and Ogg (ffprobe's duration, from the
# stream, is compared instead).
# A WAV whose INFO list gets non-ASCII text gains a CSET chunk saying UTF-8 (code page 65001);
# ExifTool 12.57 then reads the text right but warns that it does not know that code page.
_AUDIO_ANY = {"File:ID3Size", "FLAC:Padding", "Meta:Free", "Composite:Duration", "RIFF:CodePage", "RIFF:CountryCode",
              "RIFF:LanguageCode", "RIFF:Dialect", "ExifTool:Warning"}
_AUDIO_FIELDS = {
    "title": {"ID3v2_3:Title", "ID3v2_4:Title", "ID3v1:Title", "Vorbis:Title", "ItemList:Title", "RIFF:Title"},
    # audio has one free-text field, the comment; a caption is written there (and to a description
    # the file already has: Vorbis DESCRIPTION, the MP4 desc atom)
    "caption": {"ID3v2_3:Comment", "ID3v2_4:Comment", "ID3v1:Comment", "Vorbis:Comment", "Vorbis:Description",
                "ItemList:Comment", "ItemList:Description", "RIFF:Comment"},
}
_VALUES = {"caption": "Nuevo pie — 東京", "alt_text": "Una playa al amanecer", "keywords": "mar,arena",
           "gps": "36.7,-6.4", "title": "Nuevo título"}


def _assert_written(path: Path, field: str, raw: str) -> None:
    """The edit is in the file (read back by the reader; the diff above only says nothing else moved)."""
    media = sniff(path)
    rec = read_metadata(path, media.format, media.kind)
    want = parse_edits({field: raw})[field]
    if field == "gps":
        assert (rec.gps_lat, rec.gps_lon) == pytest.approx(want[:2], abs=1e-6)
    elif field == "caption" and media.kind == "audio":  # audio has one comment, which a caption is written to
        assert rec.comment == want
    else:
        assert getattr(rec, field) == want


def _allowed(kind: str, field: str) -> set[str]:
    if kind == "image":
        return _ANY | _POSITIONS | _IMAGE_FIELDS[field]
    return _ANY | _AUDIO_ANY | _AUDIO_FIELDS[field]


def _matches(tag: str, patterns: set[str]) -> bool:
    return any(fnmatch.fnmatchcase(tag, p) for p in patterns)


def _diff(before: dict[str, Any], after: dict[str, Any], allowed: set[str]) -> dict[str, list[str]]:
    return {
        "lost": [f"{k}={before[k]!r:.80}" for k in before if k not in after and not _matches(k, allowed)
                 and k != "ExifTool:Warning"],  # a warning going away is not a tag lost
        "changed": [f"{k}: {before[k]!r:.60} -> {after[k]!r:.60}" for k in before
                    if k in after and after[k] != before[k] and not _matches(k, allowed)],
        "added": [f"{k}={after[k]!r:.80}" for k in after if k not in before and not _matches(k, allowed)],
    }


# ---------------------------------------------------------------- images


def _iim(datasets: list[tuple[int, int, bytes]]) -> bytes:
    return b"".join(bytes((0x1C, r, d)) + len(v).to_bytes(2, "big") + v for r, d, v in datasets)


def _resource(rid: int, data: bytes) -> bytes:
    return b"8BIM" + rid.to_bytes(2, "big") + b"\x00\x00" + len(data).to_bytes(4, "big") + data + b"\x00" * (len(data) % 2)


def _jpeg_rich(tmp: Path) -> Path:
    """A camera JPEG as photo tools leave it: EXIF with a thumbnail, IFD0 tags exiv2 drops
    (PhotometricInterpretation), GPS with altitude; XMP with a uuid rdf:about and its own InstanceID, a
    digiKam property and an XMP copy of the position; and IPTC IIM from an old writer: no UTF-8
    declaration (Latin-1 text), times without a UTC offset, and a current Photoshop digest."""
    path = tmp / "rich.jpg"
    Image.new("RGB", (64, 48), (200, 80, 40)).save(path, "JPEG", quality=90)
    thumb = tmp / "thumb.jpg"
    Image.new("RGB", (16, 12), (10, 20, 30)).save(thumb, "JPEG")
    _et(path, "-IFD0:Make=Canon", "-IFD0:Model=Canon EOS 5D", "-IFD0:PhotometricInterpretation#=2",
        "-IFD0:ImageDescription=Old caption", "-IFD0:Artist=Ana Núñez", "-IFD0:Copyright=© Ana",
        "-ExifIFD:DateTimeOriginal=2019:04:14 13:46:10", "-ExifIFD:OffsetTimeOriginal=+02:00",
        "-GPS:GPSLatitude=50.87153", "-GPS:GPSLatitudeRef=N", "-GPS:GPSLongitude=4.69698", "-GPS:GPSLongitudeRef=E",
        "-GPS:GPSAltitude=21.5", "-GPS:GPSAltitudeRef=0", f"-ThumbnailImage<={thumb}",
        "-XMP-dc:Title=Old title", "-XMP-dc:Description=Old caption", "-XMP-dc:Subject=beach",
        "-XMP-dc:Subject=coast", "-XMP-xmp:Rating=3", "-XMP-rdf:About=uuid:faf5bdd5-ba3d-11da-ad31-d33d75182f1b",
        "-XMP-xmpMM:InstanceID=xmp.iid:0123", "-XMP-digiKam:TagsList=Places/Leuven",
        "-XMP-exif:GPSLatitude=50.87153", "-XMP-exif:GPSLongitude=4.69698", "-XMP-exif:GPSAltitude=21.5")
    iim = _iim([(2, 0, b"\x00\x04"), (2, 25, b"beach"), (2, 25, b"coast"), (2, 80, "Ana Núñez".encode("latin-1")),
                (2, 90, b"Leuven"), (2, 55, b"20190414"), (2, 60, b"134610"), (2, 62, b"20190414"),
                (2, 63, b"134610"), (2, 120, b"Old caption"), (2, 116, "© Ana".encode("latin-1"))])
    irb = b"Photoshop 3.0\x00" + _resource(0x0404, iim) + _resource(0x0425, hashlib.md5(iim).digest())
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xed" + (len(irb) + 2).to_bytes(2, "big") + irb + data[2:])
    return path


def _data_file(name: str) -> Callable[[Path], Path]:
    def build(tmp: Path) -> Path:
        path = tmp / name
        shutil.copyfile(DATA / "conformance" / f"ex_{name}", path)
        path.chmod(0o644)
        return path
    return build


def _tiff_rich(tmp: Path) -> Path:
    """A TIFF as Photoshop-era tools leave it: EXIF, GPS with altitude, XMP (tag 700), IPTC IIM (tag
    33723, written by exiv2) and Photoshop resources (34377) holding a current IPTC digest."""
    path = tmp / "rich.tif"
    Image.new("RGB", (32, 24), (10, 200, 30)).save(path, "TIFF")
    img = pyexiv2.Image(str(path))
    try:
        img.modify_iptc({"Iptc.Application2.Keywords": ["beach", "coast"], "Iptc.Application2.City": "Leuven",
                         "Iptc.Application2.Caption": "Old caption"})
    finally:
        img.close()
    _et(path, "-IFD0:Make=Canon", "-IFD0:ImageDescription=Old caption", "-IFD0:Artist=Ana Núñez",
        "-ExifIFD:DateTimeOriginal=2019:04:14 13:46:10", "-GPS:GPSLatitude=50.87153", "-GPS:GPSLatitudeRef=N",
        "-GPS:GPSLongitude=4.69698", "-GPS:GPSLongitudeRef=E", "-GPS:GPSAltitude=21.5", "-GPS:GPSAltitudeRef=0",
        "-XMP-dc:Title=Old title", "-XMP-dc:Description=Old caption", "-XMP-xmp:Rating=3",
        "-XMP-digiKam:TagsList=Places/Leuven", "-IPTCDigest=new")
    return path


def _tiff_photoshop(tmp: Path) -> Path:
    """A TIFF as Photoshop saves it: IPTC IIM in tag 33723 (UNDEFINED, unpadded) and image resources
    in 34377 holding the MD5 of that IIM (0x0425) and resolution info (0x03ED), no IPTC copy there."""
    iim = _iim([(1, 90, b"\x1b%G"), (2, 0, b"\x00\x04"), (2, 120, b"Old caption"), (2, 25, b"beach"),
                (2, 55, b"20030830"), (2, 60, b"000000")])
    resolution = bytes.fromhex("004800000001000100480000000100010000")
    irb = _resource(0x03ED, resolution) + _resource(0x0425, hashlib.md5(iim).digest())
    ifd = TiffImagePlugin.ImageFileDirectory_v2()
    ifd[33723] = iim
    ifd.tagtype[33723] = 7
    ifd[34377] = irb
    ifd.tagtype[34377] = 1
    path = tmp / "photoshop.tif"
    Image.new("RGB", (32, 24), (90, 90, 30)).save(path, "TIFF", tiffinfo=ifd)
    return path


def _png_rich(tmp: Path) -> Path:
    """A PNG with a tEXt comment, EXIF (eXIf) with GPS and altitude, and XMP."""
    path = tmp / "rich.png"
    info = PngInfo()
    info.add_text("Comment", "made for the test")
    Image.new("RGB", (32, 24), (10, 20, 200)).save(path, "PNG", pnginfo=info)
    _et(path, "-IFD0:Make=Canon", "-IFD0:ImageDescription=Old caption", "-GPS:GPSLatitude=50.87153",
        "-GPS:GPSLatitudeRef=N", "-GPS:GPSLongitude=4.69698", "-GPS:GPSLongitudeRef=E", "-GPS:GPSAltitude=21.5",
        "-GPS:GPSAltitudeRef=0", "-XMP-dc:Title=Old title", "-XMP-xmp:Rating=3")
    return path


def _webp_rich(tmp: Path) -> Path:
    """A WebP (VP8X) with big-endian EXIF including GPS and altitude, and XMP."""
    path = tmp / "rich.webp"
    Image.new("RGB", (32, 24), (200, 20, 200)).save(path, "WEBP")
    _et(path, "-IFD0:Make=Canon", "-IFD0:ImageDescription=Old caption", "-GPS:GPSLatitude=50.87153",
        "-GPS:GPSLatitudeRef=N", "-GPS:GPSLongitude=4.69698", "-GPS:GPSLongitudeRef=E", "-GPS:GPSAltitude=21.5",
        "-GPS:GPSAltitudeRef=0", "-XMP-dc:Title=Old title", "-XMP-xmp:Rating=3", "-ExifByteOrder=MM")
    return path


_IMAGES: dict[str, Callable[[Path], Path]] = {
    "jpeg-rich": _jpeg_rich,
    "jpeg-flir": _data_file("FLIR.jpg"),  # FLIR maker notes, whose offsets count from the TIFF header
    "jpeg-nikon": _data_file("Nikon.jpg"),  # Nikon maker notes
    "jpeg-exiftool": _data_file("ExifTool.jpg"),  # UTF-16 XMP with an old-style `about`, MPF, IPTC
    "tiff-rich": _tiff_rich,
    "tiff-exiftool": _data_file("ExifTool.tif"),  # IIM as padded LONGs
    "tiff-photoshop": _tiff_photoshop,
    "png-rich": _png_rich,
    "webp-rich": _webp_rich,
}
_IMAGE_CASES = [(name, "caption") for name in _IMAGES] + [
    (name, field) for name in ("jpeg-rich", "tiff-rich", "png-rich", "webp-rich") for field in ("alt_text", "gps")
] + [("jpeg-rich", "keywords"), ("jpeg-flir", "gps")]


@pytest.mark.parametrize("fixture,field", _IMAGE_CASES)
def test_image_write_changes_only_the_edited_tags(tmp_path: Path, fixture: str, field: str) -> None:
    path = _IMAGES[fixture](tmp_path)
    before = _tags(path)
    assert write_metadata(path, None, None, parse_edits({field: _VALUES[field]}))
    after = _tags(path)
    assert _diff(before, after, _allowed("image", field)) == {"lost": [], "changed": [], "added": []}
    _assert_written(path, field, _VALUES[field])
    if field == "gps" and "GPS:GPSAltitude" in before:  # the altitude was not asked for
        assert after["GPS:GPSAltitude"] == before["GPS:GPSAltitude"]
    # Photoshop's IPTC digest stays current when it was (ExifTool compares it with the block's MD5).
    if before.get("Photoshop:IPTCDigest") and before["Photoshop:IPTCDigest"] == before.get("File:CurrentIPTCDigest"):
        assert after["Photoshop:IPTCDigest"] == after["File:CurrentIPTCDigest"]
        assert "not current" not in str(after.get("ExifTool:Warning", ""))


def test_rich_jpeg_keeps_what_exiv2_would_drop(tmp_path: Path) -> None:
    """The losses the lossless test guards against, spelled out on the rich JPEG."""
    path = _jpeg_rich(tmp_path)
    write_metadata(path, None, None, parse_edits({"caption": "Nuevo", "gps": "36.7,-6.4"}))
    et = _tags(path)
    assert et["IFD0:PhotometricInterpretation"] == 2  # exiv2 removes it from JPEG EXIF
    assert et["GPS:GPSAltitude"] == 21.5 and et["XMP-exif:GPSAltitude"] == 21.5
    assert et["XMP-rdf:About"] == "uuid:faf5bdd5-ba3d-11da-ad31-d33d75182f1b"  # exiv2 writes rdf:about=""
    assert et["XMP-xmpMM:InstanceID"] == "xmp.iid:0123"  # exiv2 overwrites it with the uuid about
    assert et["IPTC:TimeCreated"] == "13:46:10"  # exiv2 adds "+00:00" to a time without an offset
    assert et["IPTC:By-line"] == "Ana Núñez"  # Latin-1 re-encoded as UTF-8 under the new declaration
    assert et["IPTC:CodedCharacterSet"] == "\x1b%G" and et["IPTC:Caption-Abstract"] == "Nuevo"
    thumb = base64.b64decode(et["IFD1:ThumbnailImage"].removeprefix("base64:"))
    assert thumb == (tmp_path / "thumb.jpg").read_bytes()


def test_flir_maker_notes_survive_an_exif_edit(tmp_path: Path) -> None:
    """exiv2 moves maker notes it does not parse; FLIR's count their offsets from the TIFF header,
    so after an exiv2 write ExifTool read wrong temperatures (or none). EXIF is edited in place."""
    path = _data_file("FLIR.jpg")(tmp_path)
    before = _tags(path)
    write_metadata(path, None, None, parse_edits({"caption": "thermal", "gps": "1.5,2.5,3"}))
    after = _tags(path)
    flir = {k: v for k, v in before.items() if k.startswith("FLIR:")}
    assert flir and {k: after.get(k) for k in flir} == flir
    assert after["IFD0:ImageDescription"] == "thermal" and after["GPS:GPSAltitude"] == 3
    assert "incorrect maker notes offsets" not in str(after.get("ExifTool:Warning", ""))


# ---------------------------------------------------------------- audio


def _cover() -> bytes:
    out = BytesIO()
    Image.new("RGB", (8, 8), (250, 0, 0)).save(out, "PNG")
    return out.getvalue()


def _mp3_v23(tmp: Path) -> Path:
    """ID3v2.3 (frames mutagen does not upgrade on our write) + an ID3v1 tag whose artist differs."""
    path = _audio(tmp, "mp3")
    tags = ID3()
    tags.add(TIT2(encoding=1, text=["Old title"]))
    tags.add(TPE1(encoding=1, text=["Ana Núñez"]))
    tags.add(TALB(encoding=1, text=["Canciones"]))
    tags.add(TYER(encoding=1, text=["2004"]))
    tags.add(TCON(encoding=1, text=["Flamenco"]))
    tags.add(TRCK(encoding=1, text=["2/10"]))
    tags.add(COMM(encoding=1, lang="eng", desc="", text=["old comment"]))
    tags.add(COMM(encoding=1, lang="eng", desc="Songs-DB_Custom1", text=["named comment"]))
    tags.add(TXXX(encoding=1, desc="MOOD", text=["calm"]))
    tags.add(APIC(encoding=1, mime="image/png", type=3, desc="cover", data=_cover()))
    tags.save(path, v2_version=3, v1=2)
    data = bytearray(path.read_bytes())  # an ID3v1 artist that is not the ID3v2 one: not ours to overwrite
    data[-128 + 33:-128 + 63] = b"Other artist".ljust(30, b"\x00")
    path.write_bytes(bytes(data))
    return path


def _flac(tmp: Path) -> Path:
    path = _audio(tmp, "flac")
    audio = FLAC(path)
    audio["TITLE"] = "Old title"
    audio["ARTIST"] = ["Ana Núñez", "Bob"]
    audio["DESCRIPTION"] = "old description"
    audio["TRACKNUMBER"] = "2"
    audio["MOOD"] = "calm"
    pic = Picture()
    pic.type, pic.mime, pic.data, pic.width, pic.height, pic.depth = 3, "image/png", _cover(), 8, 8, 24
    audio.add_picture(pic)
    audio.save()
    return path


def _m4a(tmp: Path) -> Path:
    path = _audio(tmp, "m4a")
    audio = MP4(path)
    audio["©nam"] = ["Old title"]
    audio["©ART"] = ["Ana Núñez"]
    audio["©alb"] = ["Canciones"]
    audio["©day"] = ["2004"]
    audio["©cmt"] = ["old comment"]
    audio["desc"] = ["old description"]
    audio["trkn"] = [(2, 10)]
    audio["covr"] = [MP4Cover(_cover(), imageformat=MP4Cover.FORMAT_PNG)]
    audio["----:com.apple.iTunes:MOOD"] = [MP4FreeForm(b"calm")]
    audio.save()
    return path


def _wav_info(tmp: Path) -> Path:
    """A WAV with a RIFF INFO list (as ffmpeg and Windows write it) and an ID3 chunk saying the same."""
    path = write_wav(tmp / "song.wav", tone(440, 0.4))
    data = path.read_bytes()
    entries = b""
    for cid, text in ((b"INAM", b"Old title"), (b"IART", b"Ana"), (b"ICMT", b"old comment"), (b"ISFT", b"Lavf59")):
        text += b"\x00"
        entries += cid + len(text).to_bytes(4, "little") + text + b"\x00" * (len(text) % 2)
    info = b"LIST" + (len(entries) + 4).to_bytes(4, "little") + b"INFO" + entries
    data = data[:4] + (len(data) - 8 + len(info)).to_bytes(4, "little") + data[8:] + info
    path.write_bytes(data)
    audio = WAVE(path)
    audio.add_tags()
    audio.tags.add(TIT2(encoding=3, text=["Old title"]))
    audio.tags.add(TPE1(encoding=3, text=["Ana"]))
    audio.tags.add(COMM(encoding=3, lang="eng", desc="", text=["old comment"]))
    audio.tags.add(TXXX(encoding=3, desc="MOOD", text=["calm"]))
    audio.save()
    return path


def _ogg(tmp: Path) -> Path:
    path = _audio(tmp, "ogg-vorbis")
    audio = OggVorbis(path)
    audio["TITLE"] = "Old title"
    audio["ARTIST"] = "Ana Núñez"
    audio["COMMENT"] = "old comment"
    audio["MOOD"] = "calm"
    audio.save()
    return path


def _aiff(tmp: Path) -> Path:
    path = _audio(tmp, "aiff")
    audio = AIFF(path)
    audio.add_tags()
    audio.tags.add(TIT2(encoding=3, text=["Old title"]))
    audio.tags.add(TPE1(encoding=3, text=["Ana"]))
    audio.tags.add(TXXX(encoding=3, desc="MOOD", text=["calm"]))
    audio.save()
    return path


_AUDIO = {"mp3-v23": _mp3_v23, "flac": _flac, "m4a": _m4a, "wav-info": _wav_info, "ogg": _ogg, "aiff": _aiff}


def _duration(path: Path) -> str:
    exe = shutil.which("ffprobe") or pytest.fail("ffprobe is required by these tests")
    return subprocess.run([exe, "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
                          capture_output=True, text=True, check=True).stdout.strip()


@pytest.mark.parametrize("fixture", list(_AUDIO))
@pytest.mark.parametrize("field", ["title", "caption"])
def test_audio_write_changes_only_the_edited_tags(tmp_path: Path, fixture: str, field: str) -> None:
    path = _AUDIO[fixture](tmp_path)
    before, duration = _tags(path), _duration(path)
    value = _VALUES.get(field, "Nuevo comentario")
    assert write_metadata(path, None, None, parse_edits({field: value}))
    after = _tags(path)
    assert _diff(before, after, _allowed("audio", field)) == {"lost": [], "changed": [], "added": []}
    _assert_written(path, field, value)
    assert _duration(path) == duration
    warnings = [v for k, v in after.items() if k.startswith("ExifTool:Warning")]
    assert set(warnings) <= {"Unsupported character set (65001)"}


def test_mp3_keeps_its_id3v23_tag_and_its_own_id3v1_values(tmp_path: Path) -> None:
    path = _mp3_v23(tmp_path)
    write_metadata(path, None, None, parse_edits({"title": "Nuevo título", "comment": "Nuevo comentario"}))
    et = _tags(path)
    assert et["ID3v2_3:Title"] == "Nuevo título" and not [k for k in et if k.startswith("ID3v2_4:")]
    assert et["ID3v2_3:UserDefinedText"] == "(MOOD) calm" and et["ID3v2_3:Year"] == 2004
    assert et["ID3v1:Title"] == "Nuevo título"  # ID3v1 (Latin-1) is kept in step ...
    assert et["ID3v1:Artist"] == "Other artist"  # ... but only for the edited field
    tags = ID3(path)
    assert [str(f) for f in tags.getall("COMM") if f.desc == "Songs-DB_Custom1"] == ["named comment"]
    assert [str(f) for f in tags.getall("COMM") if f.desc == ""] == ["Nuevo comentario"]


def test_wav_riff_info_follows_the_id3_chunk(tmp_path: Path) -> None:
    """ffmpeg reads a WAV's INFO list and ignores its ID3 chunk when both are there: a write that
    left INFO stale would show the old title. Both say the new values, non-ASCII included."""
    path = _wav_info(tmp_path)
    write_metadata(path, None, None, parse_edits({"title": "Título 東京", "creator": "Ana Núñez; Bob",
                                                  "caption": "Grabado en Cádiz", "year": "2021"}))
    et = _tags(path)
    assert (et["RIFF:Title"], et["RIFF:Artist"], et["RIFF:Comment"], et["RIFF:DateCreated"]) == (
        "Título 東京", "Ana Núñez; Bob", "Grabado en Cádiz", 2021)
    assert et["RIFF:CodePage"] == 65001 and et["RIFF:Software"] == "Lavf59"
    assert (et["ID3v2_4:Title"], et["ID3v2_4:Artist"], et["ID3v2_4:Comment"]) == (
        "Título 東京", "Ana Núñez; Bob", "Grabado en Cádiz")
    probed = _ffprobe(path)
    assert (probed["title"], probed["artist"], probed["comment"], probed["date"]) == (
        "Título 東京", "Ana Núñez; Bob", "Grabado en Cádiz", "2021")


def test_a_wav_without_info_gets_none(tmp_path: Path) -> None:
    """ffmpeg would then read INFO instead of ID3 and lose the fields INFO has no entry for."""
    path = write_wav(tmp_path / "plain.wav", tone(440, 0.3))
    write_metadata(path, None, None, parse_edits({"title": "Solo ID3", "bpm": "90"}))
    et = _tags(path)
    assert "RIFF:Title" not in et and et["ID3v2_4:Title"] == "Solo ID3"
    assert _ffprobe(path)["tbpm"] == "90"


def test_a_caption_keeps_an_existing_description_in_step(tmp_path: Path) -> None:
    """The reader falls back to Vorbis DESCRIPTION and reads an MP4 desc atom as the caption: a file
    that has one gets the new text there too, so no reader sees the old one."""
    flac, m4a = _flac(tmp_path), _m4a(tmp_path)
    for path in (flac, m4a):
        write_metadata(path, None, None, parse_edits({"caption": "Nuevo comentario"}))
    assert (_tags(flac)["Vorbis:Comment"], _tags(flac)["Vorbis:Description"]) == ("Nuevo comentario",) * 2
    assert (_tags(m4a)["ItemList:Comment"], _tags(m4a)["ItemList:Description"]) == ("Nuevo comentario",) * 2


def test_tiff_iptc_digest_stays_current(tmp_path: Path) -> None:
    """TIFF keeps IIM in tag 33723 and Photoshop's MD5 of it in the image resources (34377): after the
    write the digest matches the new IIM (ExifTool: Photoshop:IPTCDigest = File:CurrentIPTCDigest), and
    no second IPTC copy appears in the resources (ExifTool would list it as IPTC2)."""
    path = _tiff_photoshop(tmp_path)
    before = _tags(path)
    assert before["Photoshop:IPTCDigest"] == before["File:CurrentIPTCDigest"]
    write_metadata(path, None, None, parse_edits({"caption": "Nuevo", "keywords": "mar"}))
    after = _tags(path)
    assert after["IPTC:Caption-Abstract"] == "Nuevo" and after["IPTC:Keywords"] == "mar"
    assert after["Photoshop:IPTCDigest"] == after["File:CurrentIPTCDigest"] != before["File:CurrentIPTCDigest"]
    assert not [k for k in after if k.startswith("IPTC2:")] and "ExifTool:Warning" not in after
    assert after["IPTC:TimeCreated"] == "00:00:00"  # untouched datasets keep their bytes
    assert (after["Photoshop:XResolution"], after["Photoshop:YResolution"]) == (72, 72)


def test_png_exif_in_an_imagemagick_raw_profile_is_edited_there(tmp_path: Path) -> None:
    """Older ImageMagick kept EXIF in a "Raw profile type exif" text chunk (hex digits); exiv2 and
    ExifTool read it. An EXIF-only edit goes there (where a new XMP block makes exiv2 lay the file
    out again, exiv2 moves it to an eXIf chunk); either way nothing else changes."""
    jpeg = _data_file("Nikon.jpg")(tmp_path)
    exif = Image.open(jpeg).info["exif"]  # "Exif\0\0" + the TIFF structure
    hexed = exif.hex()
    text = "\nexif\n" + str(len(exif)).rjust(8) + "\n" + "\n".join(hexed[i:i + 72] for i in range(0, len(hexed), 72))
    info = PngInfo()
    info.add_text("Raw profile type exif", text + "\n", zip=True)
    for field in ("gps", "caption"):
        path = tmp_path / f"magick-{field}.png"
        Image.new("RGB", (16, 16), (1, 2, 3)).save(path, "PNG", pnginfo=info)
        before = _tags(path)
        assert before["IFD0:Make"] == "NIKON"
        write_metadata(path, None, None, parse_edits({field: _VALUES[field]}))
        after = _tags(path)
        assert _diff(before, after, _allowed("image", field)) == {"lost": [], "changed": [], "added": []}
        assert ("Raw profile type exif" in Image.open(path).text) == (field == "gps")
