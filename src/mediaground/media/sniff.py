"""Detect a file's media type from its first bytes, never from its name.

Extensions lie (a JPEG saved as ``.png``, a download with no suffix), so every
decision here is made from magic numbers in the first few KB of the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from mediaground.errors import BadMediaError

HEAD_SIZE = 8192  # enough for magic numbers, ftyp brand lists, Ogg BOS pages, EBML headers


@dataclass(frozen=True)
class MediaType:
    """What a file is: kind is "image", "audio", "video" or None (not media)."""

    kind: str | None
    format: str | None
    mime: str | None


NOT_MEDIA = MediaType(None, None, None)

_MIME = {
    "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
    "tiff": "image/tiff", "bmp": "image/bmp", "heic": "image/heic", "avif": "image/avif",
    "mp3": "audio/mpeg", "flac": "audio/flac", "wav": "audio/wav", "m4a": "audio/mp4",
    "aac": "audio/aac", "aiff": "audio/aiff", "mp4": "video/mp4", "mov": "video/quicktime",
    "avi": "video/x-msvideo", "mkv": "video/x-matroska", "webm": "video/webm",
}
_KIND = {
    "jpeg": "image", "png": "image", "gif": "image", "webp": "image", "tiff": "image",
    "bmp": "image", "heic": "image", "avif": "image",
    "mp3": "audio", "flac": "audio", "ogg": "audio", "wav": "audio", "m4a": "audio",
    "aac": "audio", "aiff": "audio",
    "mp4": "video", "mov": "video", "avi": "video", "mkv": "video", "webm": "video",
}

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}


def _mt(fmt: str, kind: str | None = None, mime: str | None = None) -> MediaType:
    return MediaType(kind or _KIND[fmt], fmt, mime or _MIME[fmt])


def _ftyp(head: bytes) -> MediaType:
    """ISO BMFF: the major brand and compatible brands decide image vs audio vs video."""
    size = int.from_bytes(head[0:4], "big")
    end = min(len(head), size if 16 <= size <= 4096 else 16)
    major = head[8:12]
    brands = {major} | {head[i:i + 4] for i in range(16, end - 3, 4)}
    if brands & _AVIF_BRANDS:
        return _mt("avif")
    if brands & _HEIC_BRANDS or major in (b"mif1", b"msf1"):
        return _mt("heic")
    if major in _M4A_BRANDS:
        return _mt("m4a")
    if major == b"qt  ":
        return _mt("mov")
    return _mt("mp4")  # isom/mp41/mp42/avc1/dash/3gp/camera brands: PyAV will tell


def _mpeg_audio(head: bytes) -> MediaType | None:
    """MPEG audio frame sync (11 bits) with valid layer/bitrate/rate bits, or AAC ADTS."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return None
    b1, b2 = head[1], head[2]
    if b1 & 0xF6 == 0xF0:  # 12-bit sync, layer 00: ADTS AAC
        return _mt("aac")
    version, layer = (b1 >> 3) & 3, (b1 >> 1) & 3
    if version == 1 or layer == 0 or b2 >> 4 == 15 or (b2 >> 2) & 3 == 3:
        return None  # reserved values: not a frame header (this also rejects JPEG's FF D8)
    return _mt("mp3")


def _ebml_doctype(head: bytes) -> bytes | None:
    """Read the DocType element (ID 0x4282) from the EBML header."""
    i = head.find(b"\x42\x82", 4, 64)
    if i < 0 or i + 3 > len(head):
        return None
    n = head[i + 2]
    if not n & 0x80:  # only 1-byte size vints occur for DocType in practice
        return None
    return head[i + 3:i + 3 + (n & 0x7F)].rstrip(b"\0")


def _after_id3(head: bytes) -> int:
    """Offset just past an ID3v2 tag at the start of `head` (tag size is syncsafe)."""
    s = head[6:10]
    size = (s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3]
    return 10 + size + (10 if head[5] & 0x10 else 0)  # footer flag


def sniff_bytes(head: bytes) -> MediaType:
    """Classify media from the first bytes of a file (a few KB is enough)."""
    if not head:
        raise BadMediaError("zero-byte", "file is empty")
    h = head
    if h[:3] == b"\xff\xd8\xff":
        return _mt("jpeg")  # MPO is a JPEG with more images appended
    if h[:8] == b"\x89PNG\r\n\x1a\n":
        return _mt("png")
    if h[:6] in (b"GIF87a", b"GIF89a"):
        return _mt("gif")
    if h[:4] in (b"RIFF", b"RF64", b"BW64") and len(h) >= 12:
        sub = h[8:12]
        if sub == b"WEBP":
            return _mt("webp")
        if sub == b"WAVE":
            return _mt("wav")
        if sub == b"AVI ":
            return _mt("avi")
        return NOT_MEDIA
    if h[:4] in (b"II*\0", b"MM\0*", b"II+\0", b"MM\0+"):
        return _mt("tiff")
    if h[:2] == b"BM" and len(h) >= 18 and int.from_bytes(h[14:18], "little") in _BMP_DIB_SIZES:
        return _mt("bmp")
    if h[4:8] == b"ftyp" and len(h) >= 12:
        return _ftyp(h)
    if h[:4] == b"fLaC":
        return _mt("flac")
    if h[:4] == b"OggS":
        # BOS pages of every logical stream come first; Theora marks a video file.
        if b"\x80theora" in h:
            return MediaType("video", "ogg", "video/ogg")
        return MediaType("audio", "ogg", "audio/ogg")
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return _mt("aiff")
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return _mt("webm" if _ebml_doctype(h) == b"webm" else "mkv")
    if h[:3] == b"ID3" and len(h) >= 10 and h[3] < 5:
        # An ID3v2 tag can front MP3, AAC or even FLAC; look behind it when we can.
        behind = h[_after_id3(h):]
        if behind[:4] == b"fLaC":
            return _mt("flac")
        return _mpeg_audio(behind) or _mt("mp3")
    return _mpeg_audio(h) or NOT_MEDIA


def sniff(path: str | os.PathLike) -> MediaType:
    """Classify the file at `path` by content. Raises BadMediaError("zero-byte") for empty files."""
    with open(path, "rb") as f:
        head = f.read(HEAD_SIZE)
        if head[:3] == b"ID3" and len(head) >= 10:
            # Cover art can make the tag larger than HEAD_SIZE: read what follows it.
            f.seek(_after_id3(head))
            behind = f.read(16)
            if behind:  # rebuild as an empty tag (no flags, size 0) followed by the audio
                head = head[:5] + b"\0" + b"\0\0\0\0" + behind
    return sniff_bytes(head)
