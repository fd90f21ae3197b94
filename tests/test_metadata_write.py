"""write_metadata over real files made in tmp_path; every value is read back by ExifTool (and, for audio,
by PyAV and by ffprobe).

ExifTool and ffprobe are required (the Makefile installs both: libimage-exiftool-perl, ffmpeg); these tests
fail, never skip, without them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import av
import pyexiv2
import pytest
from PIL import Image

from conftest import make_image, tone, write_wav
from mediaground import ids
from mediaground.media.sniff import sniff
from mediaground.metadata import write as write_mod
from mediaground.metadata.read import read_metadata
from mediaground.metadata.write import (
    AUDIO_FIELDS,
    IMAGE_FIELDS,
    Change,
    MetadataWriteError,
    apply_csv,
    parse_edits,
    plan,
    write_metadata,
)

# ---------------------------------------------------------------- helpers

DATA = Path(__file__).parent / "data" / "conformance"


def _exiftool(path: Path, *args: str) -> dict:
    exe = shutil.which("exiftool")
    if exe is None:
        pytest.fail("ExifTool is required by these tests: "
                    "`apt-get install libimage-exiftool-perl` (make setup does it)")
    out = subprocess.run([exe, "-j", "-n", "-G1", "-struct", *args, str(path)], capture_output=True, check=True)
    return json.loads(out.stdout.decode("utf-8"))[0]


def _exiftool_flat(path: Path, *tags: str) -> dict:
    """ExifTool's flattened view (no -struct): struct fields as their own tags, e.g. XMP-plus:LicensorURL."""
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    out = subprocess.run([exe, "-j", "-G1", *tags, str(path)], capture_output=True, check=True)
    return json.loads(out.stdout.decode("utf-8"))[0]


def _raw_xmp(path: Path) -> str:
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    return subprocess.run([exe, "-b", "-XMP", str(path)], capture_output=True, check=True).stdout.decode("utf-8")


def _ffprobe(path: Path) -> dict[str, str]:
    """ffprobe's container and stream tags, merged, keys lower-cased (Ogg keeps its comments on the stream)."""
    exe = shutil.which("ffprobe")
    if exe is None:
        pytest.fail("ffprobe is required by these tests: `apt-get install ffmpeg` (make setup does it)")
    out = subprocess.run([exe, "-v", "error", "-show_entries", "format_tags:stream_tags", "-of", "json", str(path)],
                         capture_output=True, check=True)
    data = json.loads(out.stdout.decode("utf-8"))
    tags: dict[str, str] = {}
    for block in [data.get("format", {}), *data.get("streams", [])]:
        for key, value in (block.get("tags") or {}).items():
            assert key.lower() not in tags, f"ffprobe sees {key} twice in {path.name}: {data}"
            tags[key.lower()] = value
    return tags


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _asset_id(path: Path) -> str:
    return ids.asset_id(ids.essence_hash(path, sniff(path).format))


def _leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".mediaground-write-")]


def _image(path: Path, pil_fmt: str) -> Path:
    im = Image.new("RGB", (32, 24), (200, 80, 40))
    im.putpixel((3, 4), (1, 2, 3))
    im.save(path, pil_fmt)
    return path


def _wav(path: Path, seconds: float = 0.4) -> Path:
    return write_wav(path, tone(440, seconds))


def _encode(wav: Path, out: Path, container: str, codecs: list[str]) -> Path:
    codec = next((c for c in codecs if c in av.codecs_available), None)
    if codec is None:
        pytest.fail(f"PyAV has no encoder among {codecs}")
    with av.open(str(wav)) as src, av.open(str(out), "w", format=container) as dst:
        stream = dst.add_stream(codec, rate=48000 if codec in ("libopus", "opus") else 16000)
        if codec in ("vorbis", "opus"):
            stream.codec_context.options = {"strict": "experimental"}
        for frame in src.decode(audio=0):
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return out


_AUDIO_SPECS = {  # variant: (suffix, PyAV container, encoders in order of preference)
    "mp3": ("mp3", "mp3", ["libmp3lame", "mp3"]),
    "flac": ("flac", "flac", ["flac"]),
    "ogg-vorbis": ("ogg", "ogg", ["libvorbis", "vorbis"]),
    "ogg-opus": ("opus", "ogg", ["libopus", "opus"]),
    "m4a": ("m4a", "ipod", ["aac"]),
    "aiff": ("aiff", "aiff", ["pcm_s16be"]),
}


def _audio(tmp_path: Path, variant: str) -> Path:
    wav = _wav(tmp_path / "src.wav")
    if variant == "wav":
        return wav
    suffix, container, codecs = _AUDIO_SPECS[variant]
    out = _encode(wav, tmp_path / f"song.{suffix}", container, codecs)
    wav.unlink()
    return out


# ---------------------------------------------------------------- images

IMAGE_EDITS = {
    "title": "東京タワー",
    "caption": "Ana Núñez en la orilla — 東京タワー al fondo",
    "alt_text": "Una niña con sombrero de paja mira el mar en Cádiz",
    "extended_description": "Una niña de unos seis años, de espaldas, con un sombrero de paja.\n"
                            "Al fondo, barcas varadas y el castillo de San Sebastián — 東京タワー no.",
    "keywords": "playa, costa,東京タワー,Núñez",
    "creator": "Ana Núñez; 山田 太郎",
    "credit": "Fotografía Núñez",
    "copyright": "© 2024 Ana Núñez",
    "license_url": "https://creativecommons.org/licenses/by/4.0/",
    "licensor_url": "https://fotografia-nunez.example/licencias?foto=17&uso=web",
    "licensor_name": "Fotografía Núñez S.L.",
    "date_created": "2024-05-06T07:08:09+02:00",
    "gps": "-33.8568,-70.6483,-12.5",
    "city": "Cádiz",
    "state": "Andalucía",
    "country": "España",
    "country_code": "es",
    "location": "Playa de la Caleta",
}
KEYWORDS = ["playa", "costa", "東京タワー", "Núñez"]
CREATORS = ["Ana Núñez", "山田 太郎"]


@pytest.mark.parametrize("pil_fmt,suffix", [("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp"), ("TIFF", "tif")])
def test_image_full_write_round_trips_through_exiftool(tmp_path: Path, pil_fmt: str, suffix: str) -> None:
    path = _image(tmp_path / f"photo.{suffix}", pil_fmt)
    fmt = sniff(path).format
    aid, sha = _asset_id(path), _sha(path)

    changes = write_metadata(path, fmt, "image", parse_edits(IMAGE_EDITS))

    assert {c.field for c in changes} == set(IMAGE_EDITS)
    assert _asset_id(path) == aid and _sha(path) != sha
    assert _leftovers(tmp_path) == []
    rec = read_metadata(path, fmt, "image")
    assert (rec.title, rec.caption, rec.alt_text, rec.extended_description) == (
        IMAGE_EDITS["title"], IMAGE_EDITS["caption"], IMAGE_EDITS["alt_text"], IMAGE_EDITS["extended_description"])
    assert rec.sources["extended_description"] == "xmp:Iptc4xmpCore:ExtDescrAccessibility"
    assert rec.keywords == KEYWORDS and rec.creator == CREATORS
    assert (rec.gps_lat, rec.gps_lon, rec.gps_alt) == (-33.8568, -70.6483, -12.5)
    assert rec.date_created == "2024-05-06T07:08:09+02:00"
    assert (rec.city, rec.state, rec.country, rec.country_code, rec.location) == (
        "Cádiz", "Andalucía", "España", "ES", "Playa de la Caleta")
    assert (rec.licensor_url, rec.licensor_name) == (IMAGE_EDITS["licensor_url"], IMAGE_EDITS["licensor_name"])
    assert rec.warnings == []

    flat = _exiftool_flat(path, "-XMP-plus:LicensorURL", "-XMP-plus:LicensorName")
    assert flat["XMP-plus:LicensorURL"] == IMAGE_EDITS["licensor_url"]
    assert flat["XMP-plus:LicensorName"] == IMAGE_EDITS["licensor_name"]
    et = _exiftool(path)
    xmp = {
        "XMP-dc:Title": "東京タワー",
        "XMP-dc:Description": IMAGE_EDITS["caption"],
        "XMP-iptcCore:AltTextAccessibility": IMAGE_EDITS["alt_text"],
        "XMP-iptcCore:ExtDescrAccessibility": IMAGE_EDITS["extended_description"],
        "XMP-dc:Subject": KEYWORDS,
        "XMP-dc:Creator": CREATORS,
        "XMP-photoshop:Credit": "Fotografía Núñez",
        "XMP-dc:Rights": "© 2024 Ana Núñez",
        "XMP-xmpRights:WebStatement": "https://creativecommons.org/licenses/by/4.0/",
        "XMP-plus:Licensor": [{"LicensorName": IMAGE_EDITS["licensor_name"], "LicensorURL": IMAGE_EDITS["licensor_url"]}],
        "XMP-photoshop:DateCreated": "2024:05:06 07:08:09+02:00",
        "XMP-photoshop:City": "Cádiz",
        "XMP-photoshop:State": "Andalucía",
        "XMP-photoshop:Country": "España",
        "XMP-iptcCore:CountryCode": "ES",
        "XMP-iptcCore:Location": "Playa de la Caleta",
    }
    exif = {
        "GPS:GPSLatitudeRef": "S", "GPS:GPSLatitude": 33.8568,
        "GPS:GPSLongitudeRef": "W", "GPS:GPSLongitude": 70.6483,
        "GPS:GPSAltitudeRef": 1, "GPS:GPSAltitude": 12.5,
        "IFD0:ImageDescription": IMAGE_EDITS["caption"],
        "IFD0:Artist": "Ana Núñez; 山田 太郎",
        "IFD0:Copyright": "© 2024 Ana Núñez",
        "ExifIFD:DateTimeOriginal": "2024:05:06 07:08:09",
        "ExifIFD:OffsetTimeOriginal": "+02:00",
    }
    iptc = {
        "IPTC:CodedCharacterSet": "\x1b%G",
        "IPTC:ObjectName": "東京タワー",
        "IPTC:Caption-Abstract": IMAGE_EDITS["caption"],
        "IPTC:Keywords": KEYWORDS,
        "IPTC:By-line": CREATORS,
        "IPTC:Credit": "Fotografía Núñez",
        "IPTC:CopyrightNotice": "© 2024 Ana Núñez",
        "IPTC:DateCreated": "2024:05:06",
        "IPTC:TimeCreated": "07:08:09+02:00",
        "IPTC:City": "Cádiz",
        "IPTC:Province-State": "Andalucía",
        "IPTC:Country-PrimaryLocationName": "España",
        "IPTC:Country-PrimaryLocationCode": "ES",
        "IPTC:Sub-location": "Playa de la Caleta",
    }
    expected = {**xmp, **exif, **(iptc if fmt in ("jpeg", "tiff") else {})}
    assert {k: et.get(k) for k in expected} == expected
    if fmt in ("png", "webp"):
        assert not [k for k in et if k.startswith("IPTC:")]
    assert et["Composite:GPSLatitude"] == pytest.approx(-33.8568, abs=1e-6)
    assert et["Composite:GPSLongitude"] == pytest.approx(-70.6483, abs=1e-6)
    # dc:subject is an unordered Bag as the standard says (pyexiv2 alone writes a Seq); dc:creator is a Seq.
    raw = _raw_xmp(path)
    assert re.search(r"<dc:subject>\s*<rdf:Bag>", raw) and re.search(r"<dc:creator>\s*<rdf:Seq>", raw)
    assert re.search(r"<plus:Licensor>\s*<rdf:Seq>", raw)


def test_a_time_west_of_utc_keeps_its_sign_in_iim(tmp_path: Path) -> None:
    path = _image(tmp_path / "west.jpg", "JPEG")
    write_metadata(path, None, None, parse_edits({"date_created": "2024-05-06T07:08:09-05:00"}))
    et = _exiftool(path)
    assert (et["IPTC:DateCreated"], et["IPTC:TimeCreated"]) == ("2024:05:06", "07:08:09-05:00")
    assert et["ExifIFD:OffsetTimeOriginal"] == "-05:00"
    assert read_metadata(path, "jpeg", "image").date_created == "2024-05-06T07:08:09-05:00"


def test_licensor_edit_updates_the_first_plus_licensor_and_keeps_the_rest(tmp_path: Path) -> None:
    path = _image(tmp_path / "lic.jpg", "JPEG")
    exe = shutil.which("exiftool") or pytest.fail("ExifTool is required by these tests")
    subprocess.run([exe, "-q", "-overwrite_original", "-charset", "utf8",
                    "-XMP-plus:Licensor={LicensorName=Acmé,LicensorURL=https://acme.example/old}",
                    "-XMP-plus:Licensor+={LicensorName=Second,LicensorURL=https://second.example/}", str(path)],
                   capture_output=True, check=True)
    assert read_metadata(path, "jpeg", "image").licensor_url == "https://acme.example/old"

    changes = write_metadata(path, "jpeg", "image", parse_edits({"licensor_url": "https://acme.example/new"}))

    assert [c.to_dict() for c in changes] == [
        {"field": "licensor_url", "old": "https://acme.example/old", "new": "https://acme.example/new"}]
    rec = read_metadata(path, "jpeg", "image")
    assert (rec.licensor_url, rec.licensor_name) == ("https://acme.example/new", "Acmé")
    et = _exiftool(path)
    assert et["XMP-plus:Licensor"] == [{"LicensorName": "Acmé", "LicensorURL": "https://acme.example/new"},
                                       {"LicensorName": "Second", "LicensorURL": "https://second.example/"}]
    assert write_metadata(path, "jpeg", "image", parse_edits({"licensor_url": "https://acme.example/new"})) == []


def test_plan_is_the_dry_run_diff_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = _image(tmp_path / "p.jpg", "JPEG")
    write_metadata(path, "jpeg", "image", parse_edits({"caption": "Antes", "city": "Cádiz"}))
    sha = _sha(path)
    changes = plan(path, "jpeg", "image", parse_edits({"caption": "Después", "city": "Cádiz", "gps": "36.77,-6.35"}))
    assert changes == [Change("caption", "Antes", "Después"), Change("gps", None, (36.77, -6.35))]
    assert [c.describe() for c in changes][0] == "caption: 'Antes' -> 'Después'"
    assert changes[1].to_dict() == {"field": "gps", "old": None, "new": [36.77, -6.35]}
    assert _sha(path) == sha and _leftovers(tmp_path) == []


def test_second_write_of_same_values_is_a_no_op(tmp_path: Path) -> None:
    path = _image(tmp_path / "p.jpg", "JPEG")
    edits = parse_edits({"keywords": "b,a", "creator": "Ana Núñez", "gps": "36.77,-6.35"})
    assert write_metadata(path, None, None, edits)
    before, sha = os.stat(path), _sha(path)
    assert write_metadata(path, None, None, parse_edits({"keywords": "a,b", "gps": "36.7700000001,-6.35"})) == []
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns) and _sha(path) == sha


def test_old_values_in_every_source_are_replaced(tmp_path: Path) -> None:
    """Legacy IIM (Latin-1, no charset), an XMP Seq, Windows XPKeywords, a date: none may come back.
    A position without an altitude keeps the altitude (it was not asked for)."""
    path = _image(tmp_path / "old.jpg", "JPEG")
    img = pyexiv2.Image(str(path))
    try:
        img.modify_exif({"Exif.Image.XPKeywords": "old1;old2", "Exif.Photo.DateTimeOriginal": "2001:01:01 10:00:00",
                         "Exif.GPSInfo.GPSLatitudeRef": "N", "Exif.GPSInfo.GPSLatitude": "1/1 0/1 0/1",
                         "Exif.GPSInfo.GPSLongitudeRef": "E", "Exif.GPSInfo.GPSLongitude": "1/1 0/1 0/1",
                         "Exif.GPSInfo.GPSAltitudeRef": "0", "Exif.GPSInfo.GPSAltitude": "100/1"})
        img.modify_iptc({"Iptc.Application2.Caption": "Café crème", "Iptc.Application2.Keywords": ["oldiptc"]},
                        encoding="latin-1")
        img.modify_xmp({"Xmp.dc.subject": ["oldxmp"],
                        "Xmp.exif.GPSLatitude": "1,0.0N", "Xmp.exif.GPSLongitude": "1,0.0E",
                        "Xmp.dc.title": {'lang="x-default"': "Old", 'lang="es-ES"': "Viejo"}})
    finally:
        img.close()
    aid = _asset_id(path)
    write_metadata(path, "jpeg", "image",
                   parse_edits({"keywords": "Beach,coast", "date_created": "1965-07", "gps": "10.5,-20.25",
                                "title": "Nuevo"}))
    rec = read_metadata(path, "jpeg", "image")
    assert rec.keywords == ["Beach", "coast"] and rec.title == "Nuevo" and rec.date_created == "1965-07"
    assert (rec.gps_lat, rec.gps_lon, rec.gps_alt) == (10.5, -20.25, 100.0)
    assert rec.caption == "Café crème"  # untouched field survives
    assert _asset_id(path) == aid
    et = _exiftool(path)
    assert et["IPTC:CodedCharacterSet"] == "\x1b%G"
    assert et["IPTC:Caption-Abstract"] == "Café crème"  # re-encoded to UTF-8, not mojibake
    assert et["IPTC:Keywords"] == ["Beach", "coast"] and et["XMP-dc:Subject"] == ["Beach", "coast"]
    assert et["IFD0:XPKeywords"] == "Beach;coast"
    assert et["XMP-dc:Title"] == "Nuevo" and et["XMP-dc:Title-es-ES"] == "Viejo"  # other languages kept
    assert "ExifIFD:DateTimeOriginal" not in et and et["XMP-photoshop:DateCreated"] == "1965:07"
    assert et["GPS:GPSAltitude"] == 100
    assert (et["XMP-exif:GPSLatitude"], et["XMP-exif:GPSLongitude"]) == (10.5, -20.25)
    assert re.search(r"<dc:subject>\s*<rdf:Bag>", _raw_xmp(path))


# ---------------------------------------------------------------- audio

AUDIO_EDITS = {
    "title": "東京タワー",
    "creator": "Ana Núñez; 山田 太郎",
    "album": "Canciones de la Caleta",
    "genre": "Flamenco",
    "year": "2021",
    "comment": "Grabado en Cádiz, añoranza",
    "bpm": "128",
    "isrc": "ES-A01-21-00001",
    "copyright": "℗ 2021 Ana Núñez",
}
ARTIST = "Ana Núñez; 山田 太郎"

# ExifTool -G1 names per container: (group, tag) for each field; values as ExifTool -n prints them.
_ID3 = {"title": "ID3v2_4:Title", "artist": "ID3v2_4:Artist", "album": "ID3v2_4:Album", "genre": "ID3v2_4:Genre",
        "year": "ID3v2_4:RecordingTime", "comment": "ID3v2_4:Comment", "bpm": "ID3v2_4:BeatsPerMinute",
        "isrc": "ID3v2_4:ISRC", "copyright": "ID3v2_4:Copyright"}
_VORBIS = {"title": "Vorbis:Title", "artist": "Vorbis:Artist", "album": "Vorbis:Album", "genre": "Vorbis:Genre",
           "year": "Vorbis:Date", "comment": "Vorbis:Comment", "bpm": "Vorbis:Bpm", "isrc": "Vorbis:ISRCNumber",
           "copyright": "Vorbis:Copyright"}
_MP4 = {"title": "ItemList:Title", "artist": "ItemList:Artist", "album": "ItemList:Album", "genre": "ItemList:Genre",
        "year": "ItemList:ContentCreateDate", "comment": "ItemList:Comment", "bpm": "ItemList:BeatsPerMinute",
        "isrc": "iTunes:ISRC", "copyright": "ItemList:Copyright"}
_EXIFTOOL_AUDIO = {"mp3": _ID3, "wav": _ID3, "aiff": _ID3, "flac": _VORBIS, "ogg": _VORBIS, "m4a": _MP4}

# Every tag ffprobe (Debian ffmpeg 5.1) reports after the write, keys lower-cased; anything else it reports
# must be one of _FFPROBE_NOISE. ID3: ffmpeg maps TIT2/TPE1/TALB/TDRC/TCON/COMM/TCOP to its generic names
# and passes TBPM/TSRC through. Vorbis: ffmpeg joins the repeated ARTIST comments with ";" (no space).
# MP4: ffmpeg's mov demuxer does not export `tmpo`, so ffprobe cannot see bpm there.
_FFPROBE_COMMON = {"title": "東京タワー", "album": "Canciones de la Caleta", "genre": "Flamenco", "date": "2021",
                   "comment": "Grabado en Cádiz, añoranza", "copyright": "℗ 2021 Ana Núñez"}
_FFPROBE_ID3 = {**_FFPROBE_COMMON, "artist": ARTIST, "tbpm": "128", "tsrc": "ESA012100001"}
_FFPROBE_VORBIS = {**_FFPROBE_COMMON, "artist": "Ana Núñez;山田 太郎", "bpm": "128", "isrc": "ESA012100001"}
_FFPROBE_MP4 = {**_FFPROBE_COMMON, "artist": ARTIST, "isrc": "ESA012100001"}
_FFPROBE_AUDIO = {"mp3": _FFPROBE_ID3, "wav": _FFPROBE_ID3, "aiff": _FFPROBE_ID3, "flac": _FFPROBE_VORBIS,
                  "ogg": _FFPROBE_VORBIS, "m4a": _FFPROBE_MP4}
# Container/encoder facts, not tags we wrote (PyAV's muxer writes "encoder"; MP4 brands; stream handler).
_FFPROBE_NOISE = {"encoder", "major_brand", "minor_version", "compatible_brands", "language", "handler_name",
                  "vendor_id"}


@pytest.mark.parametrize("variant", ["mp3", "flac", "ogg-vorbis", "ogg-opus", "m4a", "wav", "aiff"])
def test_audio_full_write_round_trips_through_exiftool_pyav_and_ffprobe(tmp_path: Path, variant: str) -> None:
    path = _audio(tmp_path, variant)
    fmt = variant.split("-")[0]
    assert sniff(path).format == fmt
    aid, sha = _asset_id(path), _sha(path)

    changes = write_metadata(path, fmt, "audio", parse_edits(AUDIO_EDITS))

    assert {c.field for c in changes} == set(AUDIO_EDITS)
    assert _asset_id(path) == aid and _sha(path) != sha
    assert _leftovers(tmp_path) == []
    rec = read_metadata(path, fmt, "audio")
    assert (rec.title, rec.artist, rec.creator) == ("東京タワー", ARTIST, ["Ana Núñez", "山田 太郎"])
    assert (rec.album, rec.genre, rec.year, rec.bpm, rec.isrc) == (
        "Canciones de la Caleta", "Flamenco", 2021, 128, "ESA012100001")
    assert (rec.comment, rec.copyright) == ("Grabado en Cádiz, añoranza", "℗ 2021 Ana Núñez")

    et = _exiftool(path)
    names = _EXIFTOOL_AUDIO[fmt]
    got = {field: et.get(tag) for field, tag in names.items()}
    # Vorbis comments hold one ARTIST per person; ID3 and MP4 one "A; B" string (see docs/metadata-mapping.md).
    artist = ["Ana Núñez", "山田 太郎"] if names is _VORBIS else ARTIST
    assert got == {"title": "東京タワー", "artist": artist, "album": "Canciones de la Caleta", "genre": "Flamenco",
                   "year": 2021, "comment": "Grabado en Cádiz, añoranza", "bpm": 128, "isrc": "ESA012100001",
                   "copyright": "℗ 2021 Ana Núñez"}

    # PyAV (ffmpeg) as a second, independent reader; Ogg keeps its comments on the stream.
    with av.open(str(path)) as container:
        md = {k.lower(): v for k, v in container.metadata.items()}
        for stream in container.streams:
            md.update({k.lower(): v for k, v in stream.metadata.items()})
    assert (md["title"], md["album"], md["genre"], md["comment"], md["copyright"]) == (
        "東京タワー", "Canciones de la Caleta", "Flamenco", "Grabado en Cádiz, añoranza", "℗ 2021 Ana Núñez")
    assert [a.strip() for a in md["artist"].split(";")] == ["Ana Núñez", "山田 太郎"]
    assert md["date"] == "2021"
    assert md.get("isrc", md.get("tsrc")) == "ESA012100001"
    if fmt != "m4a":  # ffmpeg's mov demuxer does not export tmpo
        assert md.get("bpm", md.get("tbpm")) == "128"

    # ffprobe (the ffmpeg CLI) as the reader the issue names: exactly the written values, nothing stale.
    probed = _ffprobe(path)
    assert {k: v for k, v in probed.items() if k not in _FFPROBE_NOISE} == _FFPROBE_AUDIO[fmt]


@pytest.mark.parametrize("variant", ["mp3", "flac", "ogg-opus", "m4a", "wav", "aiff"])
def test_audio_caption_is_written_as_the_comment(tmp_path: Path, variant: str) -> None:
    """Audio formats have one free-text field, the comment (ID3 COMM, Vorbis COMMENT, MP4 ©cmt; a
    WAV's INFO ICMT when it has an INFO list): a caption goes there."""
    path = _audio(tmp_path, variant)
    fmt = variant.split("-")[0]
    text = "Grabado en Cádiz — 東京"
    changes = write_metadata(path, None, None, parse_edits({"caption": text}))
    assert [c.to_dict() for c in changes] == [{"field": "caption", "old": None, "new": text}]
    assert read_metadata(path, fmt, "audio").comment == text
    assert _exiftool(path)[_EXIFTOOL_AUDIO[fmt]["comment"]] == text
    assert _ffprobe(path)["comment"] == text
    assert write_metadata(path, None, None, parse_edits({"comment": text})) == []  # the same field


def test_audio_refuses_image_fields_and_video(tmp_path: Path) -> None:
    path = _audio(tmp_path, "mp3")
    sha = _sha(path)
    with pytest.raises(MetadataWriteError, match=r"^mp3 files cannot hold alt_text, gps \(fields it can hold: "
                                                 r"album, artist, bpm, caption, comment, copyright, creator, genre"):
        write_metadata(path, "mp3", "audio", parse_edits({"gps": "1,2", "alt_text": "x", "title": "ok"}))
    with pytest.raises(MetadataWriteError, match="not both"):
        write_metadata(path, "mp3", "audio", parse_edits({"creator": "A", "artist": "B"}))
    with pytest.raises(MetadataWriteError, match="caption or comment"):
        write_metadata(path, "mp3", "audio", parse_edits({"caption": "A", "comment": "B"}))
    with pytest.raises(MetadataWriteError, match=r"^mp4 files are not written \(title asked\): video is not written; mediaground "
                                                 "writes tags to JPEG"):
        write_metadata(path, "mp4", "video", parse_edits({"title": "x"}))
    assert _sha(path) == sha and _leftovers(tmp_path) == []


# ---------------------------------------------------------------- validation, rollback


def test_parse_edits_types_and_normalizes() -> None:
    e = parse_edits({"Keywords": " beach , coast,Beach,, ", "creator": "Núñez, Ana; Bob", "gps": "36.77, -6.35, 12",
                     "date_created": "2021-06-01 10:30Z", "country-code": "es", "isrc": "us-rc1-76-07839",
                     "year": "1999", "bpm": "90", "caption": "  line one\r\nline two  "})
    assert e == {"keywords": ["beach", "coast"], "creator": ["Núñez, Ana", "Bob"], "gps": (36.77, -6.35, 12.0),
                 "date_created": "2021-06-01T10:30:00+00:00", "country_code": "ES", "isrc": "USRC17607839",
                 "year": 1999, "bpm": 90, "caption": "line one\nline two"}
    assert parse_edits({"date_created": "1965"}) == {"date_created": "1965"}
    assert IMAGE_FIELDS >= {"gps", "alt_text", "extended_description", "licensor_url", "licensor_name"}
    assert AUDIO_FIELDS >= {"isrc", "bpm"}
    assert parse_edits({"licensor_url": " https://acme.example/buy?id=1 ", "licensor_name": " Acme "}) == {
        "licensor_url": "https://acme.example/buy?id=1", "licensor_name": "Acme"}


@pytest.mark.parametrize("pairs,message", [
    ({"gps": "95,0"}, "latitude 95.0 is outside"),
    ({"gps": "0,181"}, "longitude 181.0 is outside"),
    ({"gps": "nan,0"}, "gps: expected"),
    ({"gps": "36.7"}, "gps: expected"),
    ({"colour": "red"}, "unknown field 'colour'"),
    ({"date_created": "2021-13-01"}, "not a valid date"),
    ({"year": "21"}, "outside 1000..9999"),
    ({"license_url": "creativecommons.org/by"}, "absolute http"),
    ({"licensor_url": "mailto:sales@acme.example"}, "licensor_url: expected an absolute http"),
    ({"licensor_url": "https://acme.example/a b"}, "licensor_url: expected an absolute http"),
    ({"country_code": "Spain"}, "ISO 3166"),
    ({"isrc": "123"}, "isrc"),
    ({"keywords": " , "}, "empty list"),
    ({"title": "   "}, "empty value"),
])
def test_invalid_edits_raise_before_touching_the_file(tmp_path: Path, pairs: dict, message: str) -> None:
    path = _image(tmp_path / "p.jpg", "JPEG")
    sha = _sha(path)
    with pytest.raises(MetadataWriteError, match=message):
        write_metadata(path, "jpeg", "image", parse_edits(pairs))
    assert _sha(path) == sha and _leftovers(tmp_path) == []


def test_unsupported_formats_and_read_only_files(tmp_path: Path) -> None:
    gif = _image(tmp_path / "a.gif", "GIF")
    with pytest.raises(MetadataWriteError, match=r"^gif files are not written \(alt_text asked\): exiv2, which mediaground writes "
                                                 "image tags with, cannot write GIF"):
        write_metadata(gif, None, None, parse_edits({"alt_text": "x"}))
    with pytest.raises(MetadataWriteError, match=r"are not written \(title asked\)"):
        plan(gif, None, None, parse_edits({"title": "x"}))
    ro = _image(tmp_path / "ro.jpg", "JPEG")
    ro.chmod(0o444)
    try:
        with pytest.raises(MetadataWriteError, match="read-only"):
            write_metadata(ro, None, None, parse_edits({"title": "x"}))
    finally:
        ro.chmod(0o644)
    assert _leftovers(tmp_path) == []


@pytest.mark.parametrize("field,lie,message", [
    ("caption", "something else", r"caption: wrote 'Ana Núñez', read back 'something else'"),
    ("credit", "someone else", r"credit \(not edited\): was 'Agencia', read back 'someone else'"),
])
def test_failed_verification_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, field: str, lie: str,
                                        message: str) -> None:
    path = _image(tmp_path / "p.jpg", "JPEG")
    write_metadata(path, "jpeg", "image", parse_edits({"caption": "original", "credit": "Agencia"}))
    sha = _sha(path)
    real = write_mod.read_metadata

    def lying_reader(p, fmt=None, kind=None):
        rec = real(p, fmt, kind)
        if Path(p).name.startswith(".mediaground-write-"):  # only the re-read of the temp copy lies
            setattr(rec, field, lie)
        return rec

    monkeypatch.setattr(write_mod, "read_metadata", lying_reader)
    with pytest.raises(MetadataWriteError, match=message):
        write_metadata(path, "jpeg", "image", parse_edits({"caption": "Ana Núñez", "city": "Cádiz"}))
    assert _sha(path) == sha and _leftovers(tmp_path) == []


def test_changed_essence_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _audio(tmp_path, "flac")
    sha = _sha(path)
    real = write_mod.essence_hash

    def drifting_hash(p, fmt):
        ess = real(p, fmt)
        if Path(p).name.startswith(".mediaground-write-"):
            return ids.Essence("0" * 64, ess.basis, ess.method)
        return ess

    monkeypatch.setattr(write_mod, "essence_hash", drifting_hash)
    with pytest.raises(MetadataWriteError, match="asset ID"):
        write_metadata(path, "flac", "audio", parse_edits({"title": "x"}))
    assert _sha(path) == sha and _leftovers(tmp_path) == []


# ---------------------------------------------------------------- CSV


def test_apply_csv(tmp_path: Path) -> None:
    a = _image(tmp_path / "a.jpg", "JPEG")
    (tmp_path / "sub").mkdir()
    b = _image(tmp_path / "sub" / "b.png", "PNG")
    song = _audio(tmp_path, "mp3")
    csv_path = tmp_path / "edits.csv"
    csv_path.write_text(
        "\ufeffpath,asset_id,caption,keywords,gps,title\n"  # Excel's BOM
        'a.jpg,,"Ana Núñez, en la playa\nsegunda línea","playa,costa","36.77,-6.35",\n'
        "sub/b.png,,,,,東京タワー\n"
        f"{song},,,,,Canción\n"  # absolute path
        ",0123456789abcdef01234567,,,,Por ID\n"
        ",,,,,\n",  # blank rows are skipped
        encoding="utf-8")
    rows = list(apply_csv(csv_path))
    assert [r.target for r in rows] == [a, b, song, "0123456789abcdef01234567"]
    assert rows[0].edits == {"caption": "Ana Núñez, en la playa\nsegunda línea", "keywords": ["playa", "costa"],
                             "gps": (36.77, -6.35)}
    assert rows[1].edits == {"title": "東京タワー"} and rows[3].asset_id == "0123456789abcdef01234567"
    assert rows[0].path == a and rows[3].path is None
    for row in rows[:3]:
        write_metadata(row.path, None, None, row.edits)
    assert _exiftool(a)["IPTC:Caption-Abstract"] == "Ana Núñez, en la playa\nsegunda línea"
    assert _exiftool(b)["XMP-dc:Title"] == "東京タワー"
    assert _exiftool(song)["ID3v2_4:Title"] == "Canción"


@pytest.mark.parametrize("text,message", [
    ("path,colour\na.jpg,red\n", "unknown column"),
    ("caption\nhello\n", "'path' or 'asset_id' column"),
    ('path,gps\na.jpg,"1,2"\nb.jpg,"95,0"\n', ":3: gps: latitude"),
    ("path,asset_id,title\na.jpg,abc,x\n", "exactly one of path or asset_id"),
])
def test_apply_csv_rejects_bad_files_up_front(tmp_path: Path, text: str, message: str) -> None:
    csv_path = tmp_path / "edits.csv"
    csv_path.write_text(text, encoding="utf-8")
    with pytest.raises(MetadataWriteError, match=message):
        apply_csv(csv_path)


def test_legacy_xmp_segment_is_adopted_not_left_stale(tmp_path):
    """Some old writers store XMP under an "XMP\\0" APP1 signature. exiv2 ignores it, ExifTool reads
    it: after our write ExifTool must not see the old values beside the new ones."""
    import json as _json
    import subprocess

    from PIL import Image

    from mediaground.metadata.read import read_metadata
    from mediaground.metadata.write import parse_edits, write_metadata

    path = tmp_path / "legacy.jpg"
    Image.new("RGB", (32, 24), (200, 50, 50)).save(path, quality=90)
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/">'
              '<dc:rights><rdf:Alt><rdf:li xml:lang="x-default">Old Rights</rdf:li></rdf:Alt></dc:rights>'
              '<dc:source>kept</dc:source></rdf:Description></rdf:RDF></x:xmpmeta>').encode()
    payload = b"XMP\x00" + packet
    data = path.read_bytes()
    seg = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    path.write_bytes(data[:2] + seg + data[2:])
    assert read_metadata(path, "jpeg", "image").copyright == "Old Rights"  # we read what ExifTool reads

    write_metadata(path, "jpeg", "image", parse_edits({"copyright": "New Rights"}))
    tags = _json.loads(subprocess.run(["exiftool", "-a", "-j", "-G1", str(path)], capture_output=True,
                                      text=True, check=True).stdout)[0]
    assert tags["XMP-dc:Rights"] == "New Rights"  # one packet, the new value
    assert tags["XMP-dc:Source"] == "kept"        # the rest of the old packet survives
    assert b"XMP\x00<x:xmpmeta" not in path.read_bytes()


def test_photoshop_iptc_digest_stays_current(tmp_path):
    """A file whose Photoshop IPTC digest was current keeps it current after our write, so Photoshop
    and ExifTool keep trusting the IPTC (no "IPTCDigest is not current" warning)."""
    path = make_image(tmp_path / "ps.jpg", "blue")
    subprocess.run(["exiftool", "-q", "-overwrite_original", "-IPTC:Caption-Abstract=before",
                    "-IPTCDigest=new", str(path)], check=True)
    assert "not current" not in subprocess.run(["exiftool", "-warning", str(path)], capture_output=True,
                                               text=True).stdout
    write_metadata(path, "jpeg", "image", parse_edits({"caption": "after, by mediaground"}))
    out = subprocess.run(["exiftool", "-a", "-warning", "-IPTC:Caption-Abstract", str(path)],
                         capture_output=True, text=True).stdout
    assert "after, by mediaground" in out and "not current" not in out


# ---------------------------------------------------------------- formats that cannot hold a field


def _ftyp(path: Path, brand: bytes) -> Path:
    path.write_bytes(b"\x00\x00\x00\x18ftyp" + brand + b"\x00\x00\x00\x00mif1" + brand + b"\x00" * 64)
    return path


def _dng(path: Path) -> Path:
    _image(path, "TIFF")
    img = pyexiv2.Image(str(path))
    try:
        img.modify_exif({"Exif.Image.DNGVersion": "1 4 0 0"})
    finally:
        img.close()
    return path


@pytest.mark.parametrize("make,message", [
    (lambda d: _image(d / "raw.nef", "TIFF"),
     r"^nef files \(Nikon NEF camera RAW\) are not written \(caption asked\): RAW originals are read-only for mediaground"),
    (lambda d: _dng(d / "scan.tif"), r"^tif files \(DNG camera RAW\) are not written \(caption asked\): RAW originals"),
    (lambda d: _ftyp(d / "p.heic", b"heic"),
     r"^heic files are not written \(caption asked\): exiv2, which mediaground writes image tags with, can read HEIF/HEIC but "
     r"not write it"),
    (lambda d: _ftyp(d / "p.avif", b"avif"), r"^avif files are not written \(caption asked\): exiv2, .* can read AVIF but not"),
    (lambda d: _image(d / "p.bmp", "BMP"), r"^bmp files cannot hold caption: BMP has no place for EXIF, IPTC or XMP"),
    (lambda d: _ftyp(d / "clip.mp4", b"isom"), r"^mp4 files are not written \(caption asked\): video is not written; mediaground "
                                                r"writes tags to JPEG, PNG, WebP and TIFF images and MP3, WAV"),
    (lambda d: shutil.copy(DATA / "ex_Photoshop.psd", d / "p.psd") and d / "p.psd",
     r"^psd files are not written \(caption asked\): its tags are read \(Photoshop image resources\), not written"),
    (lambda d: (d / "notes.txt").write_text("hello") and d / "notes.txt",
     r"notes.txt: unrecognized format, so caption cannot be written; mediaground writes tags to JPEG"),
])
def test_a_file_that_cannot_hold_the_fields_says_which_and_why(tmp_path: Path, make, message: str) -> None:
    path = make(tmp_path)
    data = path.read_bytes()
    for call in (plan, write_metadata):
        with pytest.raises(MetadataWriteError, match=message):
            call(path, None, None, parse_edits({"caption": "x"}))
    assert path.read_bytes() == data and _leftovers(tmp_path) == []


def test_image_fields_in_audio_and_audio_fields_in_images(tmp_path: Path) -> None:
    jpg = _image(tmp_path / "p.jpg", "JPEG")
    with pytest.raises(MetadataWriteError, match=r"^jpeg files cannot hold album, bpm \(fields it can hold: alt_text, "):
        write_metadata(jpg, None, None, parse_edits({"album": "x", "bpm": "90", "title": "ok"}))
    flac = _audio(tmp_path, "flac")
    with pytest.raises(MetadataWriteError, match=r"^flac files cannot hold gps \(fields it can hold: album, artist"):
        plan(flac, None, None, parse_edits({"gps": "1,2"}))


def test_any_file_anywhere_no_library_needed(tmp_path: Path) -> None:
    """write_metadata and plan take a path: no library, catalog or content store is involved, and
    every failure is a MetadataWriteError a person can act on."""
    folder = tmp_path / "loose photos"
    folder.mkdir()
    path = _image(folder / "IMG 0001.jpg", "JPEG")
    link = tmp_path / "link.jpg"
    link.symlink_to(path)
    assert [c.field for c in plan(link, None, None, parse_edits({"title": "Suelta"}))] == ["title"]
    assert [c.field for c in write_metadata(link, None, None, parse_edits({"title": "Suelta"}))] == ["title"]
    assert link.is_symlink() and _exiftool(path)["XMP-dc:Title"] == "Suelta"

    for fmt, kind in (("jpeg", "image"), (None, None)):  # whether or not the caller names the format
        with pytest.raises(MetadataWriteError, match="missing.jpg: no such file"):
            write_metadata(folder / "missing.jpg", fmt, kind, parse_edits({"title": "x"}))
    with pytest.raises(MetadataWriteError, match="no such file"):
        write_metadata(folder, None, None, parse_edits({"title": "x"}))


def test_a_folder_without_write_permission_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _image(tmp_path / "p.jpg", "JPEG")

    def denied(*args, **kwargs):  # what a read-only folder does (root would not be stopped by chmod)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(write_mod.tempfile, "mkstemp", denied)
    with pytest.raises(MetadataWriteError, match=f"cannot create a temporary file in {tmp_path} \\(Permission denied\\)"
                                                 ".*its folder must be writable"):
        write_metadata(path, None, None, parse_edits({"title": "Otra"}))
