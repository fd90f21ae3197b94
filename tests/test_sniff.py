"""Content sniffing: types come from magic numbers, never from file names."""

from __future__ import annotations

import io
import math
import struct
import wave

import pytest
from PIL import Image

from mediaground.errors import BadMediaError
from mediaground.media.sniff import MediaType, sniff, sniff_bytes


def _image_bytes(fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 40)).save(buf, fmt, **kw)
    return buf.getvalue()


def _wav_bytes() -> bytes:
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(i / 5))) for i in range(800)))
    return buf.getvalue()


def test_jpeg_named_png_is_jpeg(tmp_path):
    p = tmp_path / "photo.png"
    p.write_bytes(_image_bytes("JPEG"))
    assert sniff(p) == MediaType("image", "jpeg", "image/jpeg")


def test_png_named_mp3_is_png(tmp_path):
    p = tmp_path / "x.mp3"
    p.write_bytes(_image_bytes("PNG"))
    assert sniff(p) == MediaType("image", "png", "image/png")


@pytest.mark.parametrize(
    ("pil_format", "fmt"),
    [("GIF", "gif"), ("WEBP", "webp"), ("TIFF", "tiff"), ("BMP", "bmp")],
)
def test_other_images(tmp_path, pil_format, fmt):
    p = tmp_path / "noext"
    p.write_bytes(_image_bytes(pil_format))
    mt = sniff(p)
    assert (mt.kind, mt.format) == ("image", fmt)


def test_wav(tmp_path):
    p = tmp_path / "sound.jpg"
    p.write_bytes(_wav_bytes())
    assert sniff(p) == MediaType("audio", "wav", "audio/wav")


def test_text_is_not_media(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("BM hello, this is plain text and not a bitmap\n" * 20)
    assert sniff(p) == MediaType(None, None, None)


def test_zero_byte_raises(tmp_path):
    p = tmp_path / "empty.jpg"
    p.write_bytes(b"")
    with pytest.raises(BadMediaError) as ei:
        sniff(p)
    assert ei.value.reason == "zero-byte"


def _ftyp(major: bytes, *compat: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compat)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\0" * 32


def _ebml(doctype: bytes) -> bytes:
    return b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82" + bytes([0x80 | len(doctype)]) + doctype + b"\0" * 32


@pytest.mark.parametrize(
    ("head", "kind", "fmt"),
    [
        (b"\xff\xd8\xff\xe1" + b"\0" * 32, "image", "jpeg"),
        (b"RIFF\0\0\0\0WEBPVP8 " + b"\0" * 32, "image", "webp"),
        (b"RIFF\0\0\0\0AVI LIST" + b"\0" * 32, "video", "avi"),
        (b"FORM\0\0\0\0AIFFCOMM" + b"\0" * 32, "audio", "aiff"),
        (b"fLaC\0\0\0\x22" + b"\0" * 32, "audio", "flac"),
        (b"OggS\0\x02" + b"\0" * 22 + b"\x01\x1e\x01vorbis" + b"\0" * 32, "audio", "ogg"),
        (b"OggS\0\x02" + b"\0" * 22 + b"\x01\x2a\x80theora" + b"\0" * 32, "video", "ogg"),
        (b"ID3\x04\0\0\0\0\0\0" + b"\xff\xfb\x90\x64" + b"\0" * 32, "audio", "mp3"),
        (b"ID3\x04\0\0\0\0\0\0fLaC" + b"\0" * 32, "audio", "flac"),
        (b"\xff\xfb\x90\x64" + b"\0" * 32, "audio", "mp3"),
        (b"\xff\xf1\x50\x80" + b"\0" * 32, "audio", "aac"),
        (_ftyp(b"M4A ", b"M4A ", b"mp42", b"isom"), "audio", "m4a"),
        (_ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "video", "mp4"),
        (_ftyp(b"qt  ", b"qt  "), "video", "mov"),
        (_ftyp(b"heic", b"mif1", b"heic"), "image", "heic"),
        (_ftyp(b"mif1", b"mif1", b"miaf", b"MA1B", b"avif"), "image", "avif"),
        (_ebml(b"webm"), "video", "webm"),
        (_ebml(b"matroska"), "video", "mkv"),
        (b"II*\0\x08\0\0\0" + b"\0" * 32, "image", "tiff"),
        (b"GIF89a" + b"\0" * 32, "image", "gif"),
    ],
)
def test_sniff_bytes_magic(head, kind, fmt):
    mt = sniff_bytes(head)
    assert (mt.kind, mt.format) == (kind, fmt)
    assert mt.mime


def test_jpeg_marker_is_not_mpeg_frame_sync():
    # FF D8 without the third FF is not a JPEG, and must not pass as an MPEG frame either.
    assert sniff_bytes(b"\xff\xd8\x00\x10" + b"\0" * 32).kind is None


def test_id3_tag_larger_than_head(tmp_path):
    """A big ID3v2 tag (cover art) must not hide what follows it."""
    size = 20000
    syncsafe = bytes([(size >> 21) & 0x7F, (size >> 14) & 0x7F, (size >> 7) & 0x7F, size & 0x7F])
    p = tmp_path / "tagged"
    p.write_bytes(b"ID3\x03\0\0" + syncsafe + b"\0" * size + b"fLaC" + b"\0" * 64)
    assert sniff(p).format == "flac"
