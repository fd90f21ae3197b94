"""Essence hashing: IDs survive renames and tag edits, and change with the pixels/samples."""

from __future__ import annotations

import hashlib
import os
import shutil
import struct

import numpy as np
import pytest

from conftest import tone, write_wav
from PIL import Image

from mediaground.errors import BadMediaError
from mediaground.ids import Essence, asset_id, essence_hash, file_sha256
from mediaground.media.sniff import sniff

CAPTION = "Café crème à Zürich — ñandú"


def _ident(path) -> Essence:
    return essence_hash(path, sniff(path).format)


def _pixels(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:48, 0:64]
    base = np.stack([x * 4, y * 5, (x + y) * 2], axis=-1)
    return (base + rng.integers(0, 30, base.shape)).clip(0, 255).astype("uint8")


@pytest.fixture
def images(tmp_path):
    arr = _pixels()
    out = {}
    for fmt, kw in [("JPEG", {"quality": 90}), ("PNG", {}), ("WEBP", {"quality": 80}), ("TIFF", {}), ("GIF", {})]:
        p = tmp_path / f"img.{fmt.lower()}"
        Image.fromarray(arr).save(p, fmt, **kw)
        out[fmt.lower()] = p
    return out


# --- audio fixtures ---------------------------------------------------------


def _write_wav(path, seconds=0.5, rate=44100):
    write_wav(path, tone(440, seconds, rate, amplitude=12000 / 32767), rate)


def _encode(src, dst, codecs, container_format=None, rate=None):
    """Re-encode a WAV with the first available encoder in `codecs` (fail if none: PyAV bundles them)."""
    import av
    for codec in codecs:
        try:
            av.Codec(codec, "w")
        except Exception:
            continue
        with av.open(str(src)) as inp, av.open(str(dst), "w", format=container_format) as out:
            ist = inp.streams.audio[0]
            ost = out.add_stream(codec, rate=rate or ist.rate)
            if codec == "vorbis":
                ost.codec_context.options = {"strict": "experimental"}
            for frame in inp.decode(ist):
                frame.pts = None
                for pkt in ost.encode(frame):
                    out.mux(pkt)
            for pkt in ost.encode(None):
                out.mux(pkt)
        return dst
    pytest.fail(f"PyAV has no encoder among {codecs}")


@pytest.fixture(scope="module")
def audio_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("audio")
    _write_wav(d / "a.wav")
    return d


@pytest.fixture
def wav(audio_dir, tmp_path):
    return shutil.copy(audio_dir / "a.wav", tmp_path / "a.wav")


@pytest.fixture
def mp3(audio_dir, tmp_path):
    return _encode(audio_dir / "a.wav", tmp_path / "a.mp3", ["libmp3lame", "mp3"])


@pytest.fixture
def flac(audio_dir, tmp_path):
    return _encode(audio_dir / "a.wav", tmp_path / "a.flac", ["flac"])


@pytest.fixture
def ogg(audio_dir, tmp_path):
    return _encode(audio_dir / "a.wav", tmp_path / "a.ogg", ["libopus", "libvorbis", "vorbis"], "ogg", 48000)


@pytest.fixture
def m4a(audio_dir, tmp_path):
    return _encode(audio_dir / "a.wav", tmp_path / "a.m4a", ["aac"], "ipod")


# --- basics -----------------------------------------------------------------


def test_file_sha256_matches_hashlib(images):
    p = images["png"]
    assert file_sha256(p) == hashlib.sha256(p.read_bytes()).hexdigest()


def test_asset_id_is_24_hex(images):
    aid = asset_id(_ident(images["jpeg"]))
    assert len(aid) == 24 and int(aid, 16) >= 0


@pytest.mark.parametrize(
    ("fmt", "method"),
    [("jpeg", "jpeg-scan"), ("png", "png-chunks"), ("webp", "webp-chunks"),
     ("tiff", "tiff-pixels"), ("gif", "gif-pixels")],
)
def test_image_methods_are_essence(images, fmt, method):
    e = _ident(images[fmt])
    assert (e.basis, e.method) == ("essence", method)
    assert e.sha256 != file_sha256(images[fmt])


def test_unknown_falls_back_to_file(tmp_path):
    p = tmp_path / "notes.txt"
    p.write_text("just text\n")
    e = essence_hash(p, sniff(p).format)
    assert e == Essence(file_sha256(p), "file", "file")


def test_rename_keeps_id(images, mp3, tmp_path):
    for src in [*images.values(), mp3]:
        dst = tmp_path / "renamed" / f"other-name-{src.name}.bin"
        dst.parent.mkdir(exist_ok=True)
        shutil.copy(src, dst)
        assert asset_id(_ident(dst)) == asset_id(_ident(src))


# --- metadata edits keep the ID ----------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp", "tiff"])
def test_exiv2_metadata_edit_keeps_id(images, fmt):
    import pyexiv2
    pyexiv2.set_log_level(4)  # exiv2 warns that PNG/WebP cannot hold IPTC; not our concern
    p = images[fmt]
    before, before_file = _ident(p), file_sha256(p)
    with pyexiv2.Image(str(p)) as im:
        im.modify_exif({"Exif.Image.ImageDescription": CAPTION, "Exif.Image.Artist": "Zoë Ångström"})
        im.modify_iptc({"Iptc.Application2.Caption": CAPTION, "Iptc.Application2.Keywords": ["café", "été"]})
        im.modify_xmp({"Xmp.dc.title": CAPTION, "Xmp.photoshop.Headline": CAPTION})
    with pyexiv2.Image(str(p)) as im:
        assert im.read_exif()["Exif.Image.ImageDescription"] == CAPTION
    assert file_sha256(p) != before_file
    assert asset_id(_ident(p)) == asset_id(before)


def test_mp3_id3_edit_keeps_id(mp3):
    from mutagen.id3 import APIC, COMM, ID3, TIT2

    before, before_file = _ident(mp3), file_sha256(mp3)
    tags = ID3()
    tags.add(TIT2(encoding=3, text=CAPTION))
    tags.add(COMM(encoding=3, lang="eng", desc="", text="x" * 5000))
    tags.add(APIC(encoding=3, mime="image/png", type=3, desc="cover", data=b"\x89PNG fake cover"))
    tags.save(mp3, v2_version=4, v1=2)
    assert mp3.read_bytes()[-128:].startswith(b"TAG")
    assert file_sha256(mp3) != before_file
    assert asset_id(_ident(mp3)) == asset_id(before)


def test_mp3_id3v1_after_partial_last_frame_keeps_id(mp3):
    """FFmpeg folds a trailing ID3v1 tag into an incomplete last frame; the hash must not see it."""
    from mutagen.id3 import ID3, TIT2

    with open(mp3, "r+b") as f:
        f.truncate(os.path.getsize(mp3) - 100)
    before = _ident(mp3)
    tags = ID3()
    tags.add(TIT2(encoding=3, text=CAPTION))
    tags.save(mp3, v2_version=3, v1=2)
    assert asset_id(_ident(mp3)) == asset_id(before)


def test_flac_vorbis_comment_edit_keeps_id(flac):
    from mutagen.flac import FLAC, Picture

    before, before_file = _ident(flac), file_sha256(flac)
    f = FLAC(flac)
    f["title"] = CAPTION
    f["comment"] = "y" * 10000
    pic = Picture()
    pic.type, pic.mime, pic.data = 3, "image/png", b"\x89PNG fake cover"
    f.add_picture(pic)
    f.save()
    assert file_sha256(flac) != before_file
    assert asset_id(_ident(flac)) == asset_id(before)


def test_ogg_comment_edit_keeps_id(ogg):
    import mutagen

    before, before_file = _ident(ogg), file_sha256(ogg)
    f = mutagen.File(ogg)
    f["title"] = CAPTION
    f["comment"] = "y" * 70000  # forces the comment header onto new pages
    f.save()
    assert file_sha256(ogg) != before_file
    assert asset_id(_ident(ogg)) == asset_id(before)


def test_m4a_tag_edit_keeps_id(m4a):
    from mutagen.mp4 import MP4, MP4Cover

    before, before_file = _ident(m4a), file_sha256(m4a)
    f = MP4(m4a)
    f["\xa9nam"] = CAPTION
    f["\xa9cmt"] = "y" * 10000
    f["covr"] = [MP4Cover(b"\x89PNG fake cover", imageformat=MP4Cover.FORMAT_PNG)]
    f.save()
    assert file_sha256(m4a) != before_file
    assert asset_id(_ident(m4a)) == asset_id(before)


def test_wav_list_info_and_id3_keep_id(wav):
    from mutagen.id3 import TIT2
    from mutagen.wave import WAVE

    before = _ident(wav)
    data = bytearray(wav.read_bytes())
    inam = CAPTION.encode() + b"\0"
    inam += b"\0" * (len(inam) % 2)
    info = b"INFO" + b"INAM" + struct.pack("<I", len(inam)) + inam
    data += b"LIST" + struct.pack("<I", len(info)) + info
    data[4:8] = struct.pack("<I", len(data) - 8)
    wav.write_bytes(bytes(data))
    f = WAVE(wav)
    f.add_tags()
    f.tags.add(TIT2(encoding=3, text=CAPTION))
    f.save()
    assert asset_id(_ident(wav)) == asset_id(before)


def test_audio_methods(mp3, flac, ogg, m4a, wav):
    for p in (mp3, flac, ogg, m4a, wav):
        assert _ident(p).method == "av-packets"
        assert _ident(p).basis == "essence"


# --- content edits change the ID ---------------------------------------------


@pytest.mark.parametrize(("fmt", "kw"), [("JPEG", {"quality": 90}), ("PNG", {}), ("TIFF", {})])
def test_pixel_edit_changes_id(tmp_path, fmt, kw):
    arr = _pixels()
    a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
    Image.fromarray(arr).save(a, fmt, **kw)
    arr[10, 10] = 255 - arr[10, 10]
    Image.fromarray(arr).save(b, fmt, **kw)
    assert asset_id(_ident(a)) != asset_id(_ident(b))


def test_sample_edit_changes_id(wav, tmp_path):
    other = tmp_path / "b.wav"
    _write_wav(other, seconds=0.5, rate=22050)
    assert asset_id(_ident(wav)) != asset_id(_ident(other))


# --- damaged files ----------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_truncated_image_raises(images, fmt):
    p = images[fmt]
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadMediaError) as ei:
        _ident(p)
    assert ei.value.reason == "truncated"


def test_jpeg_header_then_random_bytes(tmp_path):
    p = tmp_path / "fake.jpg"
    p.write_bytes(b"\xff\xd8\xff" + np.random.default_rng(1).bytes(4096))
    with pytest.raises(BadMediaError):
        _ident(p)


def test_jpeg_without_sos(tmp_path):
    p = tmp_path / "nosos.jpg"
    p.write_bytes(b"\xff\xd8\xff\xe0\x00\x04ab\xff\xd9")
    with pytest.raises(BadMediaError) as ei:
        _ident(p)
    assert ei.value.reason == "truncated"


def test_truncated_tiff_raises(images):
    p = images["tiff"]
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(BadMediaError):
        _ident(p)


def test_decompression_bomb(tmp_path):
    # A BMP header claiming 20000x20000 pixels with no pixel data behind it.
    w = h = 20000
    header = b"BM" + struct.pack("<IHHI", 54, 0, 0, 54)
    dib = struct.pack("<IiiHHIIiiII", 40, w, h, 1, 24, 0, 0, 2835, 2835, 0, 0)
    p = tmp_path / "bomb.bmp"
    p.write_bytes(header + dib)
    with pytest.raises(BadMediaError) as ei:
        _ident(p)
    assert ei.value.reason == "decompression-bomb"


def test_zero_byte_essence(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(BadMediaError) as ei:
        essence_hash(p, "jpeg")
    assert ei.value.reason == "zero-byte"


def test_garbage_audio_raises(tmp_path):
    p = tmp_path / "bad.flac"
    p.write_bytes(b"fLaC" + b"\0" * 64)
    with pytest.raises(BadMediaError):
        essence_hash(p, "flac")
