"""PII audit: text detectors (with their near misses), tag scanning, private assets, OCR with the
real Tesseract, faces with OpenCV's bundled cascade, transcripts, and the CLI (table, JSON, HTML)."""

from __future__ import annotations

import io
import json
import shutil
import struct
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image, ImageDraw, ImageFont

from conftest import DATA, make_image, set_gps, tone, write_wav
from mediaground.privacy.detect import find_pii, iban_valid, luhn_valid, redact

EMAIL = "jane.doe@example.com"
PHONE = "+32 471 12 34 56"
CAPTION = f"Harbour at dawn. Contact {EMAIL} or call {PHONE}."
BODY_SERIAL = "042033006980"
LENS_SERIAL = "0000123456"
MAKER_SERIAL = 1130502473
OWNER = "Jane Q. Doe"
GPS = (50.8715278, 4.6969833)


# ---------------------------------------------------------------- fixtures shared with test_export_sanitized


def canon_maker_note(serial: int = MAKER_SERIAL) -> str:
    """A minimal, valid Canon maker note (an IFD with one entry, SerialNumber 0x000c, LONG): exiv2
    decodes it into Exif.Canon.SerialNumber and ExifTool shows [Canon] SerialNumber."""
    note = struct.pack("<H", 1) + struct.pack("<HHII", 0x000C, 4, 1, serial) + struct.pack("<I", 0)
    return " ".join(str(b) for b in note)


def make_camera_jpeg(path: Path, caption: str = CAPTION, colour=(40, 90, 160), keywords=("harbour", "dawn"),
                     gps: bool = True) -> Path:
    """A JPEG carrying what a camera and an editor leave behind: serials (EXIF, XMP, Canon maker
    note), owner name, software, host computer, XMP history and document IDs, creator contact
    e-mail, GPS with altitude and time, an EXIF thumbnail that shows something else (a red frame),
    and the wanted credit: creator, copyright, credit, caption (with an e-mail and a phone number,
    in XMP and IPTC), alt text, keywords, license."""
    im = Image.new("RGB", (320, 240), colour)
    draw = ImageDraw.Draw(im)
    for i in range(0, 320, 20):
        draw.rectangle([i, 120 + (i % 40), i + 10, 240], fill=(200, 180 - i // 4, 60))
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path, quality=90)
    thumb = io.BytesIO()
    Image.new("RGB", (160, 120), (250, 20, 20)).save(thumb, "JPEG")
    import pyexiv2

    exif = {
        "Exif.Image.Make": "Canon", "Exif.Image.Model": "Canon EOS 5D Mark III",
        "Exif.Image.Software": "Adobe Photoshop CC 2017 (Macintosh)", "Exif.Image.HostComputer": "janes-macbook",
        "Exif.Image.Artist": "Ana Nunez", "Exif.Image.Copyright": "(c) 2024 Example Studio",
        "Exif.Photo.BodySerialNumber": BODY_SERIAL, "Exif.Photo.LensSerialNumber": LENS_SERIAL,
        "Exif.Photo.CameraOwnerName": OWNER, "Exif.Photo.LensModel": "EF85mm f/1.2L USM",
        "Exif.Photo.DateTimeOriginal": "2024:05:01 06:12:00",
        "Exif.Photo.MakerNote": canon_maker_note(),
    }
    if gps:
        exif.update({
            "Exif.GPSInfo.GPSVersionID": "2 3 0 0",
            "Exif.GPSInfo.GPSLatitudeRef": "N", "Exif.GPSInfo.GPSLatitude": "50/1 52/1 17500/1000",
            "Exif.GPSInfo.GPSLongitudeRef": "E", "Exif.GPSInfo.GPSLongitude": "4/1 41/1 49140/1000",
            "Exif.GPSInfo.GPSAltitudeRef": "0", "Exif.GPSInfo.GPSAltitude": "31500/1000",
            "Exif.GPSInfo.GPSTimeStamp": "6/1 12/1 0/1", "Exif.GPSInfo.GPSDateStamp": "2024:05:01",
        })
    img = pyexiv2.Image(str(path))
    try:
        img.modify_exif(exif)
        img.modify_thumbnail(thumb.getvalue())
        img.modify_xmp({
            "Xmp.dc.description": {'lang="x-default"': caption},
            "Xmp.dc.creator": ["Ana Nunez"],
            "Xmp.dc.rights": {'lang="x-default"': "(c) 2024 Example Studio"},
            "Xmp.dc.subject": list(keywords),
            "Xmp.photoshop.Credit": "Example Studio / Ana Nunez",
            "Xmp.iptc.AltTextAccessibility": {'lang="x-default"': "Boats moored in a harbour at dawn"},
            "Xmp.xmpRights.WebStatement": "https://creativecommons.org/licenses/by/4.0/",
            "Xmp.aux.SerialNumber": BODY_SERIAL, "Xmp.aux.LensSerialNumber": LENS_SERIAL,
            "Xmp.xmp.CreatorTool": "Adobe Photoshop CC 2017 (Macintosh)",
            "Xmp.xmpMM.DocumentID": "xmp.did:04801174072068118C14CE7E3767F72E",
            "Xmp.xmpMM.InstanceID": "xmp.iid:7cdf81ba-2d88-4b13-9c14-aaced6953ad0",
            "Xmp.xmpMM.OriginalDocumentID": "AC9AC87776A008C3E75716280DA45E36",
            "Xmp.xmpMM.History": 'type="Seq"',
            "Xmp.xmpMM.History[1]": 'type="Struct"',
            "Xmp.xmpMM.History[1]/stEvt:action": "saved",
            "Xmp.xmpMM.History[1]/stEvt:when": "2024-05-02T10:00:00+02:00",
            "Xmp.xmpMM.History[1]/stEvt:softwareAgent": "Adobe Photoshop CC 2017 (Macintosh)",
            "Xmp.xmpMM.History[2]": 'type="Struct"',
            "Xmp.xmpMM.History[2]/stEvt:action": "converted",
            "Xmp.xmpMM.History[2]/stEvt:parameters": "from /Users/jane/Clients/harbour.psd to image/jpeg",
            "Xmp.iptc.CreatorContactInfo": 'type="Struct"',
            "Xmp.iptc.CreatorContactInfo/Iptc4xmpCore:CiEmailWork": "ana@example.org",
            "Xmp.iptc.CreatorContactInfo/Iptc4xmpCore:CiUrlWork": "https://example.org",
        })
        img.modify_iptc({"Iptc.Envelope.CharacterSet": "\x1b%G", "Iptc.Application2.Caption": caption,
                         "Iptc.Application2.Byline": ["Ana Nunez"],
                         "Iptc.Application2.Credit": "Example Studio / Ana Nunez",
                         "Iptc.Application2.Copyright": "(c) 2024 Example Studio",
                         "Iptc.Application2.Keywords": list(keywords),
                         "Iptc.Application2.Contact": ["Jane Q. Doe, +32 2 123 45 67"]}, encoding="utf-8")
    finally:
        img.close()
    return path


def make_text_image(path: Path, lines=(f"Contact: {EMAIL}", f"Call {PHONE}")) -> Path:
    """Dark text on white in Pillow's bundled TrueType font, large enough for Tesseract."""
    font = ImageFont.load_default(size=36)
    im = Image.new("RGB", (900, 90 + 80 * len(lines)), "white")
    draw = ImageDraw.Draw(im)
    for i, line in enumerate(lines):
        draw.text((30, 30 + 80 * i), line, fill="black", font=font)
    path.parent.mkdir(parents=True, exist_ok=True)
    im.save(path)
    return path


def fake_transcript(text: str, start: float = 1.0, end: float = 3.0):
    """A FakeAudio.transcribe replacement that 'hears' `text` between start and end."""
    from mediaground.models.speech import Segment, Transcript, Word

    def transcribe(self, audio):
        words = [Word(start, end, w, 0.9) for w in text.split()]
        return Transcript("en", 0.9, len(audio) / 16000, [Segment(start, end, text, avg_logprob=-0.1, words=words)])

    return transcribe


def exiftool_json(path: Path) -> dict:
    """ExifTool's view of a file (-a all duplicates, -G1 group names, -n numbers, -u unknown tags)."""
    import subprocess

    out = subprocess.run(["exiftool", "-j", "-a", "-G1", "-n", "-u", str(path)], capture_output=True, text=True,
                         check=True).stdout
    return json.loads(out)[0]


# ---------------------------------------------------------------- detectors


def test_detectors_find_emails_phones_and_ids_with_redacted_previews():
    text = (f"Mail {EMAIL}, call {PHONE} or 0471 12 34 56, UK 020 7946 0958, US (555) 234-5678, "
            "FR 01.23.45.67.89. IBAN BE68 5390 0754 7034, card 4111 1111 1111 1111, SSN 123-45-6789, "
            "order 987654321012.")
    found = find_pii(text)
    got = [(m.kind, m.subtype, text[m.start:m.end]) for m in found]
    assert got == [
        ("email", "email", EMAIL),
        ("phone", "phone", PHONE),
        ("phone", "phone", "0471 12 34 56"),
        ("phone", "phone", "020 7946 0958"),
        ("phone", "phone", "(555) 234-5678"),
        ("phone", "phone", "01.23.45.67.89"),
        ("id-number", "iban", "BE68 5390 0754 7034"),
        ("id-number", "payment-card", "4111 1111 1111 1111"),
        ("id-number", "us-ssn", "123-45-6789"),
        ("id-number", "long-number", "987654321012"),
    ]
    previews = {text[m.start:m.end]: m.preview for m in found}
    assert previews[EMAIL] == "j***@example.com"
    assert previews[PHONE] == "+32 *** ** ** 56"
    assert previews["4111 1111 1111 1111"] == "**** **** **** 1111"
    assert previews["123-45-6789"] == "***-**-**89"
    for value, preview in previews.items():
        assert value not in preview  # a preview never repeats the value
    assert [m.severity for m in found if m.subtype == "long-number"] == [0.35]
    assert max(m.severity for m in found) == 0.95  # the card
    red = redact(text)
    assert EMAIL not in red and PHONE not in red and "j***@example.com" in red


def test_checksums_decide_ibans_and_cards():
    assert iban_valid("BE68539007547034") and iban_valid("GB82WEST12345698765432")
    assert not iban_valid("BE68539007547035")  # one digit off: mod-97 fails
    assert not iban_valid("BE6853900754703")  # Belgian IBANs have 16 characters
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert find_pii("IBAN BE68 5390 0754 7035") == []  # bad check digits: not an IBAN (and not a phone)
    assert [m.subtype for m in find_pii("card 4111 1111 1111 1112")] == []  # fails Luhn
    assert [m.subtype for m in find_pii("4111 1111-1111 1111")] == []  # mixed separators


@pytest.mark.parametrize("text", [
    "Taken on 2021-06-01 at 10:30:00", "date 01/06/2021", "on 12.06.2021", "2021/06/01", "from 1999 to 2004",
    "in 1999-2004", "GPS 50.87153, 4.69698", "+50.8715341,+4.6969800", "lat -6.3512345", "duration 01:02:03",
    "at 00:00:00+00:00", "ISO 200, f/7.1, 1/125 s", "ISBN 978-3-16-148410-0", "version 1.2.3.4", "price 1.234.567",
    "0.123456789", "xmp.iid:04801174072068118C14CE7E3767F72E", "12 345 678 people", "tone 440 hertz",
    "shot 20210601123045", "serial 0000000000", "resolution 2400000/10000", "a 4096x2160 frame",
])
def test_detectors_ignore_dates_numbers_coordinates_and_durations(text):
    assert [(m.subtype, text[m.start:m.end]) for m in find_pii(text)] == []


def test_international_and_trunk_formats():
    for number in ("+44 20 7946 0958", "+1 (555) 234-5678", "0032 471 123456", "+49 (0)30 1234567", "06-12345678",
                   "555.234.5678"):
        assert [(m.kind, f"x {number} y"[m.start:m.end]) for m in find_pii(f"x {number} y")] == [("phone", number)]


# ---------------------------------------------------------------- the audit on a library


@pytest.fixture
def pii_lib(fake_lib, tmp_path, monkeypatch):
    from fakes import FakeAudio
    from mediaground.privacy.flags import set_flag

    root = tmp_path / "media"
    make_camera_jpeg(root / "camera.jpg")
    make_text_image(root / "poster.png")
    shutil.copy(DATA / "astronaut.jpg", root / "astronaut.jpg")
    kw = make_image(root / "kw" / "home.jpg", "green", seed=3, size=(96, 64))
    set_gps(kw, 51.2, 3.2)
    _keywords(kw, ["family", "Private"])
    pub = make_image(root / "kw" / "public.jpg", "blue", seed=4, size=(96, 64))
    set_gps(pub, 40.4, -3.7)
    write_wav(root / "call.wav", tone(440, 4.0))
    monkeypatch.setattr(FakeAudio, "transcribe", fake_transcript("please call me on 0471 12 34 56 tomorrow", 1.0, 3.5))
    report = fake_lib.ingest([root], workers=0)
    assert report.added == 6 and not report.quarantined
    ids = {p.name: fake_lib.resolve(str(p)) for p in root.rglob("*") if p.is_file()}
    set_flag(fake_lib.catalog, ids["camera.jpg"], "private")
    return fake_lib, ids, root


def _keywords(path: Path, words: list[str]) -> None:
    import pyexiv2

    img = pyexiv2.Image(str(path))
    try:
        img.modify_xmp({"Xmp.dc.subject": words})
    finally:
        img.close()


def _by(report, asset_id):
    out = {}
    for f in report.findings:
        if f.asset_id == asset_id:
            out.setdefault(f.kind, []).append(f)
    return out


def test_audit_pii_reports_tags_text_ocr_faces_transcripts(pii_lib):
    from mediaground.audit import audit_pii

    lib, ids, _ = pii_lib
    report = audit_pii(lib.catalog, lib.store)
    cam = _by(report, ids["camera.jpg"])
    assert set(cam) == {"gps-on-private", "camera-serial", "lens-serial", "owner-name", "software-history",
                        "maker-notes", "contact-info", "email", "phone", "embedded-thumbnail"}
    serials = sorted(f.detail for f in cam["camera-serial"])
    assert serials == ["camera serial number 04********80 in EXIF BodySerialNumber, XMP aux:SerialNumber",
                       "camera serial number 11******73 in Canon maker note SerialNumber"]
    assert cam["owner-name"][0].detail == "owner name J*** Q* D** in EXIF CameraOwnerName"
    assert cam["owner-name"][0].extra == {"source": "exif", "field": "Exif.Photo.CameraOwnerName",
                                          "fields": ["Exif.Photo.CameraOwnerName"]}
    history = cam["software-history"][0]
    assert history.severity == 0.5  # it names a computer
    assert "an editing history of 2 step(s)" in history.detail and "host computer name j****-*******" in history.detail
    assert "janes-macbook" not in history.detail
    assert "Canon" in cam["maker-notes"][0].detail
    (email,) = cam["email"]
    assert email.detail == "e-mail address j***@example.com in the caption"
    assert email.extra["source"] == "caption" and email.extra["field"] == "xmp:dc:description"
    assert cam["phone"][0].detail == "phone number +32 *** ** ** 56 in the caption"
    gps = cam["gps-on-private"][0]
    assert gps.severity == 0.95 and "private flag" in gps.detail and "about 50.9, 4.7" in gps.detail
    thumb = cam["embedded-thumbnail"][0]
    assert thumb.detail.startswith("the EXIF thumbnail does not match the image: its content differs")
    assert (thumb.extra["source"], thumb.extra["field"]) == ("exif", "Exif.Thumbnail")
    # a "Private" keyword makes an asset private; GPS on a public asset is no finding here
    assert _by(report, ids["home.jpg"])["gps-on-private"][0].extra["private"] == "keyword"
    assert "gps-on-private" not in _by(report, ids["public.jpg"])
    # text inside the image, read by the real Tesseract
    poster = _by(report, ids["poster.png"])
    assert poster["email"][0].detail == "e-mail address j***@example.com in text read from the image (OCR)"
    assert poster["email"][0].extra["source"] == "ocr"
    assert poster["email"][0].extra["field"].startswith("tesseract-")
    assert poster["phone"][0].extra["source"] == "ocr"
    # faces, with OpenCV's bundled cascade: the astronaut, and nobody in the other pictures
    face = _by(report, ids["astronaut.jpg"])["face"][0]
    assert face.detail.startswith("1 face(s) detected") and len(face.extra["boxes"]) == 1
    x, y, w, h = face.extra["boxes"][0]
    assert 90 <= x <= 130 and 20 <= y <= 60 and 45 <= w <= 80  # her face, in the 320x320 picture
    assert [f.asset_id for f in report.findings if f.kind == "face"] == [ids["astronaut.jpg"]]
    # a phone number said in a recording, with its time
    (said,) = _by(report, ids["call.wav"])["phone"]
    assert said.detail == "phone number 04** ** ** 56 said at 0:01.0–0:03.5"
    assert said.extra["source"] == "transcript" and (said.extra["start"], said.extra["end"]) == (1.0, 3.5)
    # a report may be shared: no full value anywhere in it
    text = report.to_json_text() + report.to_table() + report.to_html()
    for secret in (EMAIL, PHONE, "0471 12 34 56", BODY_SERIAL, str(MAKER_SERIAL), LENS_SERIAL, OWNER, "janes-macbook",
                   "50.8715", "ana@example.org"):
        assert secret not in text, secret
    s = report.summary
    assert s["assets"] == 6 and s["files_scanned"] == 6 and s["private_assets"] == 2
    assert s["ocr"]["status"] == "ok" and s["ocr"]["engine"].startswith("tesseract-5") and s["ocr"]["read"] == 5
    assert s["faces"]["detector"].endswith("haarcascade_frontalface_alt.xml") and s["faces"]["images"] == 5
    assert s["transcripts"] == {"assets": 1, "segments": 1}
    assert s["findings_by_kind"]["face"] == 1 and s["findings_by_kind"]["gps-on-private"] == 2
    assert report.findings[0].severity == 0.95  # worst first


def test_a_finding_about_the_sound_points_to_the_display_file(fake_lib, tmp_path, monkeypatch):
    """Two copies of a recording seen in the same second: what is said in it is reported at the file
    `show` and search describe the asset by, not at another copy."""
    import mediaground.catalog.sqlite.assets as sql_assets
    from fakes import FakeAudio
    from mediaground.audit import audit_pii

    root = tmp_path / "media"
    write_wav(root / "a" / "a.wav", tone(440, 4.0))
    (root / "z").mkdir()
    shutil.copy(root / "a" / "a.wav", root / "z" / "b.wav")
    monkeypatch.setattr(FakeAudio, "transcribe", fake_transcript("please call me on 0471 12 34 56 tomorrow", 1.0, 3.5))
    monkeypatch.setattr(sql_assets, "now", lambda: "2026-01-01T00:00:00+00:00")
    assert fake_lib.ingest([root], workers=0).added == 1
    asset_id = fake_lib.resolve(str(root / "z" / "b.wav"))
    shown = fake_lib.show(asset_id)["path"]
    (said,) = [f for f in audit_pii(fake_lib.catalog, fake_lib.store, ocr=False, faces=False).findings
               if f.kind == "phone"]
    assert said.path == shown == fake_lib.search("tomorrow")[0].path == fake_lib.catalog.files.display_path(asset_id)


def test_ocr_text_is_cached_in_the_catalog(pii_lib, monkeypatch):
    from mediaground.audit import audit_pii
    from mediaground.privacy import ocr

    lib, ids, _ = pii_lib
    first = audit_pii(lib.catalog, lib.store, faces=False)
    shas = {a.current_sha256 for a in lib.catalog.assets.iter(["image"])}
    cached = {sha: lib.catalog.ocr.get(sha) for sha in shas}
    assert len(shas) == 5 and all(engine == first.summary["ocr"]["engine"] for engine, _ in cached.values())
    poster_sha = lib.catalog.assets.get(ids["poster.png"]).current_sha256
    assert EMAIL in cached[poster_sha][1]

    def no_tesseract(path):
        raise AssertionError("OCR ran again instead of reading the cache")

    monkeypatch.setattr(ocr, "ocr_image", no_tesseract)
    second = audit_pii(lib.catalog, lib.store, faces=False)
    assert second.summary["ocr"]["from_cache"] == 5 and second.summary["ocr"]["read"] == 0
    assert [f.to_dict() for f in second.findings] == [f.to_dict() for f in first.findings]


def test_without_tesseract_the_audit_says_ocr_unavailable(pii_lib, monkeypatch):
    import pytesseract

    from mediaground.audit import audit_pii
    from mediaground.privacy import ocr

    lib, ids, _ = pii_lib
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    ocr._probe.cache_clear()
    try:
        report = audit_pii(lib.catalog, lib.store, faces=False)
    finally:
        monkeypatch.undo()
        ocr._probe.cache_clear()
    assert report.summary["ocr"]["status"] == "ocr-unavailable"
    assert "tesseract" in report.summary["ocr"]["reason"]
    assert report.summary["warnings"]["first"].startswith("ocr-unavailable:")
    assert "ocr-unavailable" in report.to_table()
    assert not [f for f in report.findings if f.extra.get("source") == "ocr"]
    assert _by(report, ids["camera.jpg"])["camera-serial"]  # the rest of the audit still ran


def test_flags_and_what_makes_an_asset_private(pii_lib):
    from mediaground.errors import MediagroundError
    from mediaground.privacy import flags, is_private, private_reason, set_flag

    lib, ids, _ = pii_lib
    cam, home, pub = ids["camera.jpg"], ids["home.jpg"], ids["public.jpg"]
    assert flags(lib.catalog, cam) == ["private"] and private_reason(lib.catalog, cam) == "flag"
    assert flags(lib.catalog, home) == [] and private_reason(lib.catalog, home) == "keyword"
    assert not is_private(lib.catalog, pub)
    set_flag(lib.catalog, home, "public")  # an explicit public overrides the keyword
    assert flags(lib.catalog, home) == ["public"] and not is_private(lib.catalog, home)
    set_flag(lib.catalog, home, "private")  # one switch: private clears public
    assert flags(lib.catalog, home) == ["private"] and private_reason(lib.catalog, home) == "flag"
    set_flag(lib.catalog, home, "private", on=False)
    assert flags(lib.catalog, home) == [] and private_reason(lib.catalog, home) == "keyword"
    with pytest.raises(MediagroundError):
        set_flag(lib.catalog, home, "Not A Flag")
    with pytest.raises(MediagroundError):
        set_flag(lib.catalog, "0" * 24, "private")


# ---------------------------------------------------------------- CLI


def test_cli_audit_pii_json_html_and_mark(pii_lib, tmp_path):
    from mediaground.cli import main

    lib, ids, root = pii_lib
    hostile = root / "kw" / "<img src=x onerror=alert(1)>.jpg"
    make_camera_jpeg(hostile, caption="ping <script>alert(1)</script> at evil@example.com", colour=(200, 200, 40),
                     gps=False)
    lib.ingest([hostile], workers=0)
    runner = CliRunner()
    libarg = ["--library", str(lib.root)]
    res = runner.invoke(main, ["mark", ids["public.jpg"], "--private", *libarg])
    assert res.exit_code == 0, res.output
    assert res.output.split()[:2] == [ids["public.jpg"], "private"]
    res = runner.invoke(main, ["mark", str(root / "kw" / "home.jpg"), "--public", "--json", *libarg])
    assert json.loads(res.output)["assets"][0] == {"asset_id": ids["home.jpg"], "path": str(root / "kw" / "home.jpg"),
                                                   "flags": ["public"], "private": False}
    res = runner.invoke(main, ["mark", ids["home.jpg"], *libarg])
    assert res.exit_code != 0 and "--private" in res.output

    html_path = tmp_path / "pii.html"
    res = runner.invoke(main, ["audit", "pii", "--json", "--no-faces", "--html", str(html_path), *libarg])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["audit"] == "pii" and data["findings"]
    for f in data["findings"]:
        assert {"asset_id", "path", "kind", "detail", "severity", "source", "field"} <= set(f)
    kinds = {(f["asset_id"], f["kind"]) for f in data["findings"]}
    assert (ids["public.jpg"], "gps-on-private") in kinds and (ids["home.jpg"], "gps-on-private") not in kinds
    assert data["summary"]["faces"]["status"] == "off" and not any(f["kind"] == "face" for f in data["findings"])
    page = html_path.read_text("utf-8")
    assert page.count('src="data:image/jpeg;base64,') >= 3  # thumbnails of the flagged pictures
    assert "<script>" not in page and "<img src=x" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in page
    assert "evil@example.com" not in page and "e***@example.com" in page

    res = runner.invoke(main, ["audit", "pii", "--no-ocr", "--no-faces", *libarg])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0].split() == ["SEV", "KIND", "ASSET", "PATH", "DETAIL"]
    assert lines[1].startswith("0.95  gps-on-private")
    assert any(line.startswith("ocr: status=off") for line in lines)


def test_audio_tags_private_frames_and_encoders(fake_lib, tmp_path):
    from mutagen.id3 import COMM, PRIV, TIT2, TOWN, TSSE, TXXX
    from mutagen.wave import WAVE

    from mediaground.audit import audit_pii

    path = write_wav(tmp_path / "a" / "memo.wav", tone(330, 2.0))
    wav = WAVE(path)
    wav.add_tags()
    tags = wav.tags
    tags.add(TIT2(encoding=3, text=["Memo"]))
    tags.add(TSSE(encoding=3, text=["LAME 3.100"]))
    tags.add(TOWN(encoding=3, text=["Jane Doe"]))
    tags.add(PRIV(owner="WM/MediaClassPrimaryID", data=b"\x01\x02"))
    tags.add(TXXX(encoding=3, desc="notes", text=[f"reach me at {EMAIL}"]))
    tags.add(COMM(encoding=3, lang="eng", desc="", text=["IBAN BE68 5390 0754 7034"]))
    wav.save()
    fake_lib.ingest([path], workers=0)
    report = audit_pii(fake_lib.catalog, fake_lib.store, ocr=False, faces=False)
    got = {(f.kind, f.extra["source"]): f.detail for f in report.findings}
    assert got[("owner-name", "id3")] == "file owner J*** D** in ID3 TOWN"
    assert got[("private-frame", "id3")].startswith("1 private/rating frame(s) (PRIV)")
    assert got[("software-history", "id3")] == "encoder/software tags: TSSE 'LAME 3.100'"
    assert got[("email", "id3")] == "e-mail address j***@example.com in TXXX:notes"
    assert got[("id-number", "comment")] == "IBAN BE** **** … 34 in the comment"
    assert np.isfinite(report.findings[0].severity)
