"""Detect a file's media type from its first bytes, never from its name.

Extensions lie (a JPEG saved as ``.png``, a download with no suffix), so every
decision here is made from magic numbers in the first few KB of the file.
"""

from __future__ import annotations

import mmap
import os
from dataclasses import dataclass

from mediaground.errors import BadMediaError
from mediaground.media.containers import ContainerError, Tiff, bmff_boxes

HEAD_SIZE = 8192  # enough for magic numbers, ftyp brand lists, Ogg BOS pages, EBML headers


@dataclass(frozen=True)
class MediaType:
    """What a file is: kind is "image", "audio", "video" or None (not media)."""

    kind: str | None
    format: str | None
    mime: str | None


NOT_MEDIA = MediaType(None, None, None)

# Every format sniff names, with its MIME type; the kind is the type's ("image/...", ...).
_MIME = {
    "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
    "tiff": "image/tiff", "bmp": "image/bmp", "heic": "image/heic", "avif": "image/avif",
    "psd": "image/vnd.adobe.photoshop", "jp2": "image/jp2", "jxl": "image/jxl",
    "cr2": "image/x-canon-cr2", "cr3": "image/x-canon-cr3", "nef": "image/x-nikon-nef",
    "arw": "image/x-sony-arw", "dng": "image/x-adobe-dng", "raf": "image/x-fuji-raf",
    "rw2": "image/x-panasonic-rw2", "orf": "image/x-olympus-orf", "mrw": "image/x-minolta-mrw",
    "x3f": "image/x-sigma-x3f",
    "mp3": "audio/mpeg", "flac": "audio/flac", "wav": "audio/wav", "m4a": "audio/mp4",
    "aac": "audio/aac", "aiff": "audio/aiff", "ape": "audio/x-ape", "wv": "audio/x-wavpack",
    "mpc": "audio/x-musepack", "dsf": "audio/x-dsf", "wma": "audio/x-ms-wma", "ogg": "audio/ogg",
    "mp4": "video/mp4", "mov": "video/quicktime",
    "avi": "video/x-msvideo", "mkv": "video/x-matroska", "webm": "video/webm", "wmv": "video/x-ms-wmv",
}
FORMATS = frozenset(_MIME)  # what MediaType.format can be

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_AVIF_BRANDS = {b"avif", b"avis"}
_M4A_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A ", b"F4B "}
_BMP_DIB_SIZES = {12, 16, 40, 52, 56, 64, 108, 124}
# A QuickTime movie without an ftyp (older .mov) starts straight with one of these atoms ...
_QT_TOP = {b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot", b"junk"}
# ... and its moov with one of these.
_QT_MOOV_FIRST = {b"mvhd", b"cmov", b"trak", b"udta", b"meta", b"iods", b"prfl", b"clip", b"ctab"}
_TIFF_MAGIC = (b"II*\0", b"MM\0*")
_JP2_SIGNATURE = b"\0\0\0\x0cjP  \r\n\x87\n"
_JXL_SIGNATURE = b"\0\0\0\x0cJXL \r\n\x87\n"
_ASF_HEADER = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c")
_ASF_VIDEO_MEDIA = bytes.fromhex("c0ef19bc4d5bcf11a8fd00805f5c442b")
_ASF_AUDIO_MEDIA = bytes.fromhex("409e69f84d5bcf11a8fd00805f5c442b")


def _mt(fmt: str, mime: str | None = None) -> MediaType:
    mime = mime or _MIME[fmt]
    return MediaType(mime.split("/")[0], fmt, mime)


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
    if major == b"crx ":
        return _mt("cr3")  # Canon RAW 3: the ISO-BMFF box tree of a camera RAW, not a movie
    return _mt("mp4")  # isom/mp41/mp42/avc1/dash/3gp/camera brands: PyAV will tell


def _tiff(head: bytes | mmap.mmap) -> MediaType:
    """A TIFF, or a camera RAW built on TIFF: told apart by the CR2 marker, the DNGVersion tag, or
    the maker with the sub-IFDs that hold the raw data (a maker's plain TIFF has none). `head`
    may be the whole file mapped: IFD0 can lie anywhere."""
    if head[8:11] == b"CR\x02" and head[:2] == b"II":
        return _mt("cr2")
    try:
        tiff = Tiff(head)
        ifd0, _ = tiff.ifd(tiff.first)
        make = tiff.text(ifd0.get(0x010F)).upper()
    except ContainerError:  # IFD0 out of reach (past the bytes given, or cut): a plain TIFF as far as we know
        return _mt("tiff")
    if 0xC612 in ifd0:  # DNGVersion
        return _mt("dng")
    raw_layout = 0x014A in ifd0 or 0xC634 in ifd0  # SubIFDs, DNGPrivateData (Sony's SR2 pointer)
    if raw_layout and make.startswith("NIKON"):
        return _mt("nef")
    if raw_layout and make.startswith("SONY"):
        return _mt("arw")
    return _mt("tiff")


def _quicktime(head: bytes) -> MediaType:
    """A QuickTime movie without an ftyp box: top-level atoms from the first byte, a moov (whose
    first child is a movie atom) or an mdat among them. A first size of four printable characters
    (512 MB or more, where QuickTime writes a 64-bit size) is read as text, not as an atom."""
    if all(0x20 <= c < 0x7F for c in head[:4]):
        return NOT_MEDIA
    try:
        for box in bmff_boxes(head):
            if box.btype not in _QT_TOP:
                return NOT_MEDIA
            if box.btype == b"mdat":
                return _mt("mov")
            if box.btype == b"moov":
                return _mt("mov") if head[box.start + 4:box.start + 8] in _QT_MOOV_FIRST else NOT_MEDIA
    except ContainerError:
        return NOT_MEDIA
    return NOT_MEDIA


def _asf(head: bytes) -> MediaType:
    """ASF (Windows Media): a video stream's media type GUID makes it WMV, an audio one alone WMA."""
    if _ASF_VIDEO_MEDIA in head:
        return _mt("wmv")
    return _mt("wma") if _ASF_AUDIO_MEDIA in head else _mt("wmv")


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
    if h[:4] in _TIFF_MAGIC:
        return _tiff(h)
    if h[:4] in (b"II+\0", b"MM\0+"):
        return _mt("tiff")  # BigTIFF
    if h[:4] in (b"IIRO", b"IIRS", b"MMOR"):
        return _mt("orf")
    if h[:4] == b"IIU\0":
        return _mt("rw2")
    if h[:15] == b"FUJIFILMCCD-RAW":
        return _mt("raf")
    if h[:4] == b"\0MRM":
        return _mt("mrw")
    if h[:4] == b"FOVb":
        return _mt("x3f")
    if h[:4] == b"8BPS" and h[4:6] in (b"\0\x01", b"\0\x02"):
        return _mt("psd")  # version 2 is PSB (large document)
    if h[:12] == _JP2_SIGNATURE or h[:4] == b"\xff\x4f\xff\x51":  # JP2 box, or a bare J2K codestream
        return _mt("jp2")
    if h[:12] == _JXL_SIGNATURE or h[:2] == b"\xff\x0a":  # JPEG XL box, or a bare codestream
        return _mt("jxl")
    if h[:2] == b"BM" and len(h) >= 18 and int.from_bytes(h[14:18], "little") in _BMP_DIB_SIZES:
        return _mt("bmp")
    if h[4:8] == b"ftyp" and len(h) >= 12:
        return _ftyp(h)
    if h[:4] == b"fLaC":
        return _mt("flac")
    if h[:4] == b"MAC ":
        return _mt("ape")  # Monkey's Audio
    if h[:4] == b"wvpk":
        return _mt("wv")
    if h[:4] == b"MPCK" or h[:3] == b"MP+":
        return _mt("mpc")  # Musepack SV8, SV7
    if h[:4] == b"DSD " and h[4:12] == (28).to_bytes(8, "little"):
        return _mt("dsf")
    if h[:16] == _ASF_HEADER:
        return _asf(h)
    if h[:4] == b"OggS":
        # BOS pages of every logical stream come first; Theora marks a video file.
        return _mt("ogg", "video/ogg") if b"\x80theora" in h else _mt("ogg")
    if h[:4] == b"FORM" and h[8:12] in (b"AIFF", b"AIFC"):
        return _mt("aiff")
    if h[:4] == b"\x1a\x45\xdf\xa3":
        return _mt("webm" if _ebml_doctype(h) == b"webm" else "mkv")
    if h[:3] == b"ID3" and len(h) >= 10 and h[3] < 5:
        # An ID3v2 tag can front MP3, AAC or even FLAC; look behind it when we can.
        behind = h[_after_id3(h):]
        if behind[:4] == b"fLaC":
            return _mt("flac")
        if behind[:4] == b"MAC ":
            return _mt("ape")
        return _mpeg_audio(behind) or _mt("mp3")
    if h[4:8] in _QT_TOP:
        return _quicktime(h)
    return _mpeg_audio(h) or NOT_MEDIA


def sniff(path: str | os.PathLike) -> MediaType:
    """Classify the file at `path` by content. Raises BadMediaError("zero-byte") for empty files."""
    with open(path, "rb") as f:
        head = f.read(HEAD_SIZE)
        if head[:4] in _TIFF_MAGIC:  # IFD0, and the maker's name, may lie anywhere in a TIFF
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _tiff(mm)
        if head[:3] == b"ID3" and len(head) >= 10:
            # Cover art can make the tag larger than HEAD_SIZE: read what follows it.
            f.seek(_after_id3(head))
            behind = f.read(16)
            if behind:  # rebuild as an empty tag (no flags, size 0) followed by the audio
                head = head[:5] + b"\0" + b"\0\0\0\0" + behind
    return sniff_bytes(head)
