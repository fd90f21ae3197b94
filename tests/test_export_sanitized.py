"""`export sanitized`: publishable copies, checked with ExifTool (an independent reader): what must go
is gone, what must stay survives, GPS is coarsened or removed, the asset ID (essence) is unchanged,
the user's files and the store are untouched, unsupported formats are skipped, re-runs are idempotent."""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path

import av
import numpy as np
import pytest
from click.testing import CliRunner

from conftest import make_image, tone, write_wav
from mediaground.ids import asset_id as id_of, essence_hash, file_sha256
from test_pii import BODY_SERIAL, EMAIL, LENS_SERIAL, MAKER_SERIAL, OWNER, exiftool_json, make_camera_jpeg

GONE = ("SerialNumber", "OwnerName", "Software", "HostComputer", "CreatorTool", "DocumentID", "InstanceID",
        "History", "Thumbnail", "CreatorWorkEmail", "Contact", "MakerNote")


def encode_audio(path: Path, fmt: str, codec: str, seconds: float = 2.0, rate: int = 44_100,
                 metadata: dict | None = None) -> Path:
    """A mono sine written with PyAV (any tags through ffmpeg's muxer)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    signal = (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)
    with av.open(str(path), "w", format=fmt) as c:
        c.metadata.update(metadata or {})
        s = c.add_stream(codec, rate=rate)
        s.layout = "mono"
        for i in range(0, len(signal), 4096):
            frame = av.AudioFrame.from_ndarray(signal[None, i:i + 4096].copy(), format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def encode_video(path: Path) -> Path:
    with av.open(str(path), "w", format="mp4") as c:
        vs = c.add_stream("mpeg4", rate=10)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i * 20, np.uint8), format="rgb24")
            frame.pts = i
            for p in vs.encode(frame):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
    return path


def add_riff_info(path: Path, entries: dict[bytes, str]) -> Path:
    """Append a LIST/INFO chunk (INAM, IART, ISFT, ICMT, ...) to a WAV file, as recorders and ffmpeg do."""
    body = b"INFO"
    for cid, text in entries.items():
        raw = text.encode("utf-8") + b"\x00"
        body += cid + struct.pack("<I", len(raw)) + raw + (b"\x00" if len(raw) % 2 else b"")
    data = bytearray(path.read_bytes()) + b"LIST" + struct.pack("<I", len(body)) + body
    data[4:8] = struct.pack("<I", len(data) - 8)
    path.write_bytes(bytes(data))
    return path


def png_with_text(path: Path) -> Path:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "Ana Nunez")
    info.add_text("Copyright", "(c) 2024 Example Studio")
    info.add_text("Software", "gnome-screenshot")
    info.add_text("Comment", f"sent by {EMAIL}")
    info.add_text("date:create", "2024-05-01T06:12:00+00:00")
    Image.new("RGB", (48, 32), (10, 120, 90)).save(path, pnginfo=info)
    import pyexiv2

    img = pyexiv2.Image(str(path))
    try:
        img.modify_xmp({"Xmp.dc.title": {'lang="x-default"': "Screenshot of the app"},
                        "Xmp.xmp.CreatorTool": "gnome-screenshot 41"})
    finally:
        img.close()
    return path


def mp3_with_tags(path: Path) -> Path:
    from mutagen.id3 import COMM, ID3, PRIV, TCOP, TIT2, TPE1, TSSE, TXXX

    encode_audio(path, "mp3", "libmp3lame")
    tags = ID3(str(path))
    tags.add(TIT2(encoding=3, text=["Jingle"]))
    tags.add(TPE1(encoding=3, text=["Ana Nunez"]))
    tags.add(TCOP(encoding=3, text=["(c) 2024 Example Studio"]))
    tags.add(TSSE(encoding=3, text=["LAME 3.100"]))
    tags.add(PRIV(owner="www.amazon.com", data=b"purchase-1234"))
    tags.add(TXXX(encoding=3, desc="Software", text=["Lavf59.27.100"]))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=[f"questions: {EMAIL}"]))
    tags.save(str(path), v2_version=4)
    return path


@pytest.fixture
def exp(fake_lib, tmp_path):
    from mediaground.privacy.flags import set_flag

    root = tmp_path / "media"
    make_camera_jpeg(root / "harbour.jpg")
    make_camera_jpeg(root / "home.jpg", colour=(120, 40, 40))
    png_with_text(root / "screen.png")
    mp3_with_tags(root / "jingle.mp3")
    wav = write_wav(root / "memo.wav", tone(440, 2.0))
    add_riff_info(wav, {b"INAM": "Voice memo", b"IART": "Ana Nunez", b"ICOP": "(c) 2024 Example Studio",
                        b"ISFT": "Lavf58.45.100", b"ICMT": "call me at 0471 12 34 56"})
    flac = encode_audio(root / "loop.flac", "flac", "flac", metadata={"title": "Loop", "artist": "Ana Nunez"})
    import mutagen

    f = mutagen.File(flac)
    f.tags["ENCODER"] = ["Lavf60.3.100"]
    f.tags["COMMENT"] = [f"stems from {EMAIL}"]
    f.save()
    make_image(root / "anim.gif", "yellow", seed=5, fmt="GIF")
    encode_video(root / "clip.mp4")
    report = fake_lib.ingest([root], workers=0)
    assert report.added == 8 and not report.quarantined
    ids = {p.name: fake_lib.resolve(str(p)) for p in root.iterdir()}
    set_flag(fake_lib.catalog, ids["home.jpg"], "private")
    before = {p.name: file_sha256(p) for p in root.iterdir()}
    return fake_lib, ids, root, before


def _untouched(lib, root, before):
    assert {p.name: file_sha256(p) for p in root.iterdir()} == before
    for sha in lib.catalog.versions.shas():
        assert file_sha256(lib.store.path(sha)) == sha


def _has(tags: dict, word: str) -> list[str]:
    return [k for k in tags if word.lower() in k.lower()]


def test_export_strips_pii_keeps_credit_and_coarsens_gps(exp, tmp_path):
    from mediaground.privacy.sanitize import export_sanitized

    lib, ids, root, before = exp
    dest = tmp_path / "public"
    result = export_sanitized(lib.catalog, lib.store, dest)
    _untouched(lib, root, before)
    assert result["failed"] == []
    assert result["exported"] == 6 and result["unchanged"] == 0
    skipped = {s["asset_id"]: s["reason"] for s in result["skipped"]}
    assert skipped == {ids["anim.gif"]: "no sanitizer for gif image files",
                       ids["clip.mp4"]: "video files are not sanitized (their container tags cannot be rewritten "
                                        "safely here)"}
    files = {e["asset_id"]: e for e in result["files"]}
    assert sorted(p.name for p in dest.iterdir()) == sorted([e["file"] for e in files.values()] + ["manifest.json"])
    harbour = dest / files[ids["harbour.jpg"]]["file"]
    assert harbour.name == f"harbour_{ids['harbour.jpg'][:8]}.jpg"

    # ExifTool: the personal data is gone ...
    t = exiftool_json(harbour)
    for word in GONE:
        assert _has(t, word) == [], (word, _has(t, word))
    assert not [k for k in t if k.startswith(("Canon:", "XMP-xmpMM:", "IFD1:"))]
    text = json.dumps(t)
    for secret in (BODY_SERIAL, LENS_SERIAL, str(MAKER_SERIAL), OWNER, "janes-macbook", "ana@example.org",
                   "/Users/jane"):
        assert secret not in text, secret
    assert "ExifTool:Warning" not in t
    # ... the wanted credit, rights, description and alt text survive ...
    assert t["IFD0:Artist"] == "Ana Nunez" and t["XMP-dc:Creator"] == "Ana Nunez" and t["IPTC:By-line"] == "Ana Nunez"
    assert t["XMP-dc:Rights"] == t["IPTC:CopyrightNotice"] == t["IFD0:Copyright"] == "(c) 2024 Example Studio"
    assert t["XMP-photoshop:Credit"] == t["IPTC:Credit"] == "Example Studio / Ana Nunez"
    assert t["XMP-iptcCore:AltTextAccessibility"] == "Boats moored in a harbour at dawn"
    assert t["XMP-dc:Description"] == t["IPTC:Caption-Abstract"] and t["XMP-dc:Description"].startswith("Harbour at dawn")
    assert t["XMP-dc:Subject"] == t["IPTC:Keywords"] == ["harbour", "dawn"]
    assert t["XMP-xmpRights:WebStatement"] == "https://creativecommons.org/licenses/by/4.0/"
    assert t["XMP-iptcCore:CreatorWorkURL"] == "https://example.org"
    assert t["IFD0:Make"] == "Canon" and t["ExifIFD:LensModel"] == "EF85mm f/1.2L USM"
    assert t["ExifIFD:DateTimeOriginal"] == "2024:05:01 06:12:00"
    # ... GPS coarsened to 2 decimals, nothing else of GPS left
    assert t["Composite:GPSLatitude"] == pytest.approx(50.87, abs=1e-9)
    assert t["Composite:GPSLongitude"] == pytest.approx(4.70, abs=1e-9)
    assert sorted(k for k in t if k.startswith("GPS:")) == ["GPS:GPSLatitude", "GPS:GPSLatitudeRef", "GPS:GPSLongitude",
                                                             "GPS:GPSLongitudeRef", "GPS:GPSVersionID"]
    assert files[ids["harbour.jpg"]]["gps"] == "coarse (2 decimals)"
    # the caption keeps its e-mail (wanted text is never rewritten) and the manifest says so
    assert EMAIL in t["XMP-dc:Description"]
    assert "kept caption holds e-mail address j***@example.com" in files[ids["harbour.jpg"]]["warnings"]
    # the pixels did not change: same asset ID
    for asset, e in files.items():
        out = dest / e["file"]
        fmt = out.suffix.lstrip(".").replace("jpg", "jpeg")
        assert id_of(essence_hash(out, fmt)) == asset, out

    # a private asset has no GPS at all, whatever --gps says
    home = exiftool_json(dest / files[ids["home.jpg"]]["file"])
    assert _has(home, "GPS") == [] and files[ids["home.jpg"]]["gps"] == "removed"
    assert files[ids["home.jpg"]]["private"] == "flag"

    # PNG: exiv2 cannot see text chunks; they are filtered here, credit chunks stay
    png = exiftool_json(dest / files[ids["screen.png"]]["file"])
    assert png["PNG:Author"] == "Ana Nunez" and png["PNG:Copyright"] == "(c) 2024 Example Studio"
    assert "PNG:Software" not in png and "PNG:Comment" not in png and "XMP-xmp:CreatorTool" not in png
    assert png["XMP-dc:Title"] == "Screenshot of the app" and EMAIL not in json.dumps(png)

    # MP3: PRIV, encoder tags and the comment with an e-mail go; title, artist, copyright stay
    mp3 = exiftool_json(dest / files[ids["jingle.mp3"]]["file"])
    assert mp3["ID3v2_4:Title"] == "Jingle" and mp3["ID3v2_4:Artist"] == "Ana Nunez"
    assert mp3["ID3v2_4:Copyright"] == "(c) 2024 Example Studio"
    assert _has(mp3, "Private") == [] and _has(mp3, "EncoderSettings") == [] and _has(mp3, "Comment") == []
    assert _has(mp3, "UserDefinedText") == [] and "amazon" not in json.dumps(mp3) and EMAIL not in json.dumps(mp3)

    # WAV: the RIFF INFO list goes; its title, artist and copyright move into ID3
    wav = exiftool_json(dest / files[ids["memo.wav"]]["file"])
    assert not [k for k in wav if k.startswith("RIFF:") and k.split(":")[1] in ("Software", "Comment", "Title")]
    assert wav["ID3v2_4:Title"] == "Voice memo" and wav["ID3v2_4:Artist"] == "Ana Nunez"
    assert wav["ID3v2_4:Copyright"] == "(c) 2024 Example Studio"
    assert "0471" not in json.dumps(wav) and "Lavf" not in json.dumps(wav)

    # FLAC: ENCODER and the comment with an e-mail go
    flac = exiftool_json(dest / files[ids["loop.flac"]]["file"])
    assert flac["Vorbis:Title"] == "Loop" and flac["Vorbis:Artist"] == "Ana Nunez"
    assert "Vorbis:Encoder" not in flac and "Vorbis:Comment" not in flac and EMAIL not in json.dumps(flac)

    # the manifest
    manifest = json.loads((dest / "manifest.json").read_text("utf-8"))
    assert manifest["generator"] == "mediaground export sanitized"
    assert manifest["options"] == {"gps": "coarse", "precision": 2, "keep": [],
                                   "stripped": ["comment", "contact", "history", "maker-notes", "owner", "private",
                                                "serials", "software", "text-pii", "thumbnail"]}
    assert {e["asset_id"] for e in manifest["exported"]} == set(files)
    for e in manifest["exported"]:
        assert e["sha256"] == file_sha256(dest / e["file"]) and e["source"] == str(root / Path(e["source"]).name)
    removed = " | ".join(files[ids["harbour.jpg"]]["removed"])
    for what in ("camera-serial", "lens-serial", "owner-name", "maker-notes", "contact-info", "software-history",
                 "embedded-thumbnail", "gps: position rounded to 2 decimals"):
        assert what in removed
    assert BODY_SERIAL not in json.dumps(manifest)
    assert {s["asset_id"] for s in manifest["skipped"]} == {ids["anim.gif"], ids["clip.mp4"]}


def test_rerun_is_idempotent_and_foreign_files_are_not_overwritten(exp, tmp_path):
    from mediaground.privacy.sanitize import export_sanitized

    lib, ids, root, before = exp
    dest = tmp_path / "public"
    first = export_sanitized(lib.catalog, lib.store, dest)
    snapshot = {p.name: file_sha256(p) for p in dest.iterdir() if p.name != "manifest.json"}
    second = export_sanitized(lib.catalog, lib.store, dest)
    assert second["exported"] == 0 and second["unchanged"] == first["exported"] and second["failed"] == []
    assert {p.name: file_sha256(p) for p in dest.iterdir() if p.name != "manifest.json"} == snapshot
    m1 = json.loads((dest / "manifest.json").read_text())
    assert sorted(e["file"] for e in m1["exported"]) == sorted(snapshot)
    # someone else's file under an export's name is never replaced
    name = next(e["file"] for e in first["files"] if e["asset_id"] == ids["harbour.jpg"])
    (dest / name).write_bytes(b"not ours")
    third = export_sanitized(lib.catalog, lib.store, dest, asset_ids=[ids["harbour.jpg"], ids["screen.png"]])
    assert (dest / name).read_bytes() == b"not ours"
    assert [f["asset_id"] for f in third["failed"]] == [ids["harbour.jpg"]]
    assert "not this asset's earlier export" in third["failed"][0]["reason"]
    assert third["unchanged"] == 1
    _untouched(lib, root, before)


@pytest.mark.parametrize("mode,precision", [("remove", 2), ("keep", 2), ("coarse", 3), ("coarse", 0)])
def test_gps_modes(exp, tmp_path, mode, precision):
    from mediaground.privacy.sanitize import export_sanitized

    lib, ids, root, _ = exp
    dest = tmp_path / f"gps-{mode}-{precision}"
    result = export_sanitized(lib.catalog, lib.store, dest, asset_ids=[ids["harbour.jpg"], ids["home.jpg"]], gps=mode,
                              precision=precision)
    files = {e["asset_id"]: dest / e["file"] for e in result["files"]}
    t = exiftool_json(files[ids["harbour.jpg"]])
    if mode == "remove":
        assert _has(t, "GPS") == []
    elif mode == "keep":
        orig = exiftool_json(root / "harbour.jpg")
        assert {k: v for k, v in t.items() if "GPS" in k} == {k: v for k, v in orig.items() if "GPS" in k}
        assert t["GPS:GPSAltitude"] == 31.5
    else:
        assert t["Composite:GPSLatitude"] == pytest.approx(round(50.8715278, precision), abs=1e-9)
        assert t["Composite:GPSLongitude"] == pytest.approx(round(4.6969833, precision), abs=1e-9)
        assert "GPS:GPSAltitude" not in t and "GPS:GPSTimeStamp" not in t
    assert _has(exiftool_json(files[ids["home.jpg"]]), "GPS") == []  # private: always removed


def test_keep_categories_and_bad_options(exp, tmp_path):
    from mediaground.errors import MediagroundError
    from mediaground.privacy.sanitize import export_sanitized

    lib, ids, _, _ = exp
    dest = tmp_path / "keep"
    result = export_sanitized(lib.catalog, lib.store, dest, asset_ids=[ids["harbour.jpg"]], keep=["software", "serials"])
    t = exiftool_json(dest / result["files"][0]["file"])
    assert t["IFD0:Software"] == "Adobe Photoshop CC 2017 (Macintosh)" and t["ExifIFD:SerialNumber"] == BODY_SERIAL
    assert "ExifIFD:OwnerName" not in t and not _has(t, "History")
    with pytest.raises(MediagroundError, match="unknown --keep"):
        export_sanitized(lib.catalog, lib.store, dest, keep=["gps"])
    with pytest.raises(MediagroundError, match="--gps"):
        export_sanitized(lib.catalog, lib.store, dest, gps="fuzzy")
    with pytest.raises(MediagroundError, match="inside the library"):
        export_sanitized(lib.catalog, lib.store, lib.root / "out")
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "manifest.json").write_text('{"something": "else"}')
    with pytest.raises(MediagroundError, match="not written by"):
        export_sanitized(lib.catalog, lib.store, tmp_path / "other")


def test_a_copy_that_fails_verification_is_removed_and_the_batch_goes_on(exp, tmp_path, monkeypatch):
    from mediaground.privacy import sanitize

    lib, ids, root, before = exp
    real = sanitize._verify_image

    def flaky(out, fmt, strip, gps_mode):
        return ["simulated: still holds a serial"] if fmt == "png" else real(out, fmt, strip, gps_mode)

    monkeypatch.setattr(sanitize, "_verify_image", flaky)
    dest = tmp_path / "public"
    result = sanitize.export_sanitized(lib.catalog, lib.store, dest)
    assert [f["asset_id"] for f in result["failed"]] == [ids["screen.png"]]
    assert "could not be verified: simulated" in result["failed"][0]["reason"]
    assert result["exported"] == 5
    assert not [p for p in dest.iterdir() if p.suffix == ".png" or p.name.startswith(".mediaground-export-")]
    _untouched(lib, root, before)


def test_a_moved_file_is_exported_from_the_stored_original(exp, tmp_path):
    from mediaground.privacy.sanitize import export_sanitized

    lib, ids, root, _ = exp
    (root / "harbour.jpg").unlink()
    dest = tmp_path / "public"
    result = export_sanitized(lib.catalog, lib.store, dest, asset_ids=[ids["harbour.jpg"]])
    (entry,) = result["files"]
    assert entry["source"] == str(lib.store.path(lib.catalog.assets.get(ids["harbour.jpg"]).current_sha256))
    assert entry["file"] == f"harbour_{ids['harbour.jpg'][:8]}.jpg"
    assert _has(exiftool_json(dest / entry["file"]), "SerialNumber") == []


def test_cli_export_sanitized(exp, tmp_path):
    from mediaground.cli import main

    lib, ids, root, before = exp
    runner = CliRunner()
    dest = tmp_path / "cli-out"
    res = runner.invoke(main, ["export", "sanitized", str(dest), "--library", str(lib.root)])
    assert res.exit_code == 0, res.output
    first = res.output.splitlines()[0]
    assert first.startswith("exported 6, unchanged 0, skipped 2, failed 0")
    assert "  skipped " + str(root / "anim.gif") + ": no sanitizer for gif image files" in res.output
    assert "warning harbour_" in res.output and "j***@example.com" in res.output and EMAIL not in res.output
    res = runner.invoke(main, ["export", "sanitized", str(dest), "--json", "--gps", "remove", "--asset",
                               str(root / "harbour.jpg"), "--library", str(lib.root)])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["exported"] == 1 and data["files"][0]["gps"] == "removed" and data["skipped"] == []
    assert _has(exiftool_json(dest / data["files"][0]["file"]), "GPS") == []
    res = runner.invoke(main, ["export", "sanitized", str(dest), "--keep", "nonsense", "--library", str(lib.root)])
    assert res.exit_code != 0 and "unknown --keep categories nonsense" in res.output
    _untouched(lib, root, before)


def test_legacy_xmp_and_data_after_the_image(fake_lib, tmp_path):
    """XMP under the old "XMP\\0" signature (exiv2 ignores it, ExifTool reads it) is audited and
    sanitized like a standard packet; a second frame appended after the image (MPO, motion photo)
    is dropped, since its own EXIF would otherwise leave unsanitized."""
    from PIL import Image

    from mediaground.audit import audit_pii
    from mediaground.privacy.sanitize import export_sanitized

    path = tmp_path / "media" / "legacy.jpg"
    path.parent.mkdir()
    Image.new("RGB", (64, 48), (200, 50, 50)).save(path, quality=90)
    packet = ('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
              '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
              'xmlns:aux="http://ns.adobe.com/exif/1.0/aux/" aux:SerialNumber="1080508419">'
              '<dc:creator><rdf:Seq><rdf:li>Ana Nunez</rdf:li></rdf:Seq></dc:creator>'
              '</rdf:Description></rdf:RDF></x:xmpmeta>').encode()
    payload = b"XMP\x00" + packet
    data = path.read_bytes()
    second = tmp_path / "second.jpg"
    make_camera_jpeg(second)  # a whole second JPEG, with its own serials, after the first one's EOI
    seg = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    path.write_bytes(data[:2] + seg + data[2:] + second.read_bytes())
    orig = exiftool_json(path)
    assert orig["XMP-aux:SerialNumber"] == 1080508419
    fake_lib.ingest([path.parent], workers=0)
    asset = fake_lib.resolve(str(path))
    report = audit_pii(fake_lib.catalog, fake_lib.store, ocr=False, faces=False)
    assert [f.detail for f in report.findings if f.kind == "camera-serial"] == [
        "camera serial number 10******19 in XMP aux:SerialNumber"]
    result = export_sanitized(fake_lib.catalog, fake_lib.store, tmp_path / "out")
    (entry,) = result["files"]
    out = tmp_path / "out" / entry["file"]
    t = exiftool_json(out)
    assert t["XMP-dc:Creator"] == "Ana Nunez" and not _has(t, "SerialNumber")
    assert path.read_bytes().count(b"\xff\xd8\xff") == 3  # image, appended frame, its EXIF thumbnail
    assert out.read_bytes().count(b"\xff\xd8\xff") == 1  # the appended frame is gone
    assert BODY_SERIAL.encode() not in out.read_bytes() and b"XMP\x00<x:xmpmeta" not in out.read_bytes()
    assert any("bytes after the image" in r for r in entry["removed"])
    assert id_of(essence_hash(out, "jpeg")) == asset


def _irb_resource(rid: int, data: bytes) -> bytes:
    return b"8BIM" + rid.to_bytes(2, "big") + b"\x00\x00" + len(data).to_bytes(4, "big") + data + b"\x00" * (len(data) % 2)


def test_photoshop_thumbnail_goes_and_the_iptc_digest_stays_current(fake_lib, tmp_path):
    """Photoshop keeps its own thumbnail (IRB resource 0x040C), which exiv2 cannot remove, and an
    MD5 of the IPTC block (0x0425). The export drops the thumbnail and recomputes the digest after
    exiv2 rewrote the IPTC, so ExifTool (and Photoshop) still trust it."""
    import hashlib
    import io

    from PIL import Image

    from mediaground.audit import audit_pii
    from mediaground.privacy.sanitize import export_sanitized

    path = tmp_path / "media" / "ps.jpg"
    path.parent.mkdir()
    Image.new("RGB", (120, 80), (30, 160, 60)).save(path, quality=90)
    caption = b"Crop of a larger picture"
    iptc = (b"\x1c\x01\x5a\x00\x03\x1b%G" + b"\x1c\x02\x00\x00\x02\x00\x04"
            + b"\x1c\x02\x78" + len(caption).to_bytes(2, "big") + caption
            + b"\x1c\x02\x76" + (17).to_bytes(2, "big") + b"Jane, 0471123456 ")
    thumb = io.BytesIO()
    Image.new("RGB", (80, 80), (250, 250, 250)).save(thumb, "JPEG")  # square and white: not the picture
    header = struct.pack(">IIIIIIHH", 1, 80, 80, 240, 240 * 80, len(thumb.getvalue()), 24, 1)
    irb = (b"Photoshop 3.0\x00" + _irb_resource(0x0404, iptc) + _irb_resource(0x0425, hashlib.md5(iptc).digest())
           + _irb_resource(0x040C, header + thumb.getvalue()))
    data = path.read_bytes()
    path.write_bytes(data[:2] + b"\xff\xed" + (len(irb) + 2).to_bytes(2, "big") + irb + data[2:])
    orig = exiftool_json(path)
    assert "Photoshop:PhotoshopThumbnail" in orig and orig["IPTC:Contact"].startswith("Jane")
    assert "ExifTool:Warning" not in orig
    fake_lib.ingest([path.parent], workers=0)
    report = audit_pii(fake_lib.catalog, fake_lib.store, ocr=False, faces=False)
    kinds = {f.kind: f for f in report.findings}
    assert "Photoshop's thumbnail does not match the image" in kinds["embedded-thumbnail"].detail
    assert kinds["embedded-thumbnail"].extra["source"] == "photoshop"
    assert kinds["contact-info"].detail == "creator contact details (IPTC Contact)"
    result = export_sanitized(fake_lib.catalog, fake_lib.store, tmp_path / "out")
    out = tmp_path / "out" / result["files"][0]["file"]
    t = exiftool_json(out)
    assert "Photoshop:PhotoshopThumbnail" not in t and "IPTC:Contact" not in t
    assert t["IPTC:Caption-Abstract"] == caption.decode()
    assert t["Photoshop:IPTCDigest"] == t["File:CurrentIPTCDigest"]
    assert "ExifTool:Warning" not in t
    assert "photoshop: Photoshop thumbnail (IRB resource 0x040C)" in result["files"][0]["removed"]


def _aiff(path: Path, annotation: bytes) -> Path:
    """A one-second 8 kHz AIFF with an ANNO (annotation) chunk after the sound."""
    def chunk(cid: bytes, data: bytes) -> bytes:
        return cid + struct.pack(">I", len(data)) + data + (b"\0" if len(data) % 2 else b"")

    n = 8000
    samples = b"".join(struct.pack(">h", int(8000 * math.sin(2 * math.pi * 440 * i / 8000))) for i in range(n))
    rate = struct.pack(">HQ", 12 + 16383, int(8000 / 2 ** 12 * 2 ** 63))  # 8000.0 as an 80-bit float
    body = (b"AIFF" + chunk(b"COMM", struct.pack(">hIh", 1, n, 16) + rate) + chunk(b"SSND", bytes(8) + samples)
            + chunk(b"ANNO", annotation))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"FORM" + struct.pack(">I", len(body)) + body)
    return path


def test_aiff_annotation_chunks_are_reported_and_dropped(fake_lib, tmp_path):
    """An AIFF annotation (ANNO) is free text a recorder or a person left: the audit names it and
    the export drops the chunk, keeping the sound (same asset ID)."""
    from mediaground.audit import audit_pii
    from mediaground.privacy.sanitize import export_sanitized

    path = _aiff(tmp_path / "media" / "take.aiff", b"recorded by Jane Doe, 0471 12 34 56")
    fake_lib.ingest([path.parent], workers=0)
    asset = fake_lib.resolve(str(path))
    report = audit_pii(fake_lib.catalog, fake_lib.store, ocr=False, faces=False)
    assert [f.detail for f in report.findings if f.kind == "private-frame"] == ["AIFF annotation chunks ANNO"]
    result = export_sanitized(fake_lib.catalog, fake_lib.store, tmp_path / "out")
    (entry,) = result["files"]
    out = (tmp_path / "out" / entry["file"]).read_bytes()
    assert b"ANNO" not in out and b"Jane Doe" not in out and b"SSND" in out
    assert id_of(essence_hash(tmp_path / "out" / entry["file"], "aiff")) == asset
