"""Deterministic asset IDs from a hash of the media *essence*.

The essence is the image or audio/video data without metadata segments, so
renaming a file or rewriting its EXIF/IPTC/XMP/ID3/Vorbis/MP4 tags keeps its
ID while changing pixels or samples changes it (ExifTool's ImageDataHash is
the model). Where the essence cannot be isolated we hash the whole file and
say so with ``basis="file"``.
"""

from __future__ import annotations

import hashlib
import mmap
import os
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from mediaground.errors import BadMediaError
from mediaground.media import heif, raw
from mediaground.media.containers import (ENTROPY, SOS, ContainerError, bmff_boxes, jpeg_segments, png_chunks,
                                          riff_chunks)

CHUNK = 1 << 20
MAX_PIXELS = 200_000_000
_DOMAIN = b"mediaground-essence-v1:"  # keeps hashes of different methods apart; bump to re-key

_AV_FORMATS = {
    "mp3", "flac", "ogg", "wav", "m4a", "aac", "aiff", "ape", "wv", "mpc", "dsf", "wma",
    "mp4", "mov", "avi", "mkv", "webm", "wmv",
}
# Raw streams whose tags (APEv2, ID3v1, Lyrics3) sit after the audio, where the demuxer may fold
# them into the last packet: cut off by byte offset.
_TRAILING_TAGS = {"mp3", "aac", "ape", "wv", "mpc"}
_PILLOW_FORMATS = {"tiff": "TIFF", "gif": "GIF", "bmp": "BMP", "avif": "AVIF"}
# TIFF-based RAWs that sniffed as "tiff" before RAW formats had names of their own: where Pillow
# decodes their IFD0 (a NEF's or DNG's thumbnail), they were indexed by those pixels, and their IDs
# are kept.
_TIFF_NAMED_RAWS = {"cr2", "nef", "arw", "dng"}


@dataclass(frozen=True)
class Essence:
    """A content hash and what it covers: basis "essence" (media data only) or "file"."""

    sha256: str
    basis: str
    method: str


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of the whole file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def asset_id(essence: Essence) -> str:
    """The asset ID: the first 24 hex digits (96 bits) of the essence hash."""
    return essence.sha256[:24]


def _hasher(method: str):
    return hashlib.sha256(_DOMAIN + method.encode() + b"\0")


def _map(f) -> mmap.mmap:
    """Memory-map a file read-only so 50+ MB images are walked without copying them in."""
    if os.fstat(f.fileno()).st_size == 0:
        raise BadMediaError("zero-byte", "file is empty")
    return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


# --- JPEG ------------------------------------------------------------------


def _jpeg(mm: mmap.mmap) -> str:
    """Hash every segment but APP0-15 and COM, plus the entropy-coded data, up to the first EOI.

    Editors rewrite only APPn/COM (EXIF=APP1, XMP=APP1, ICC=APP2, IPTC=APP13),
    so what remains is what the decoder needs. Stopping at the first EOI covers
    MPO (extra images appended) and trailers some cameras add.
    """
    h = _hasher("jpeg-scan")
    h.update(b"\xff\xd8")
    seen_sos = False
    try:
        for seg in jpeg_segments(mm, skip_junk=True):  # ends with the EOI; junk a decoder skips is skipped
            if seg.marker == ENTROPY:
                h.update(mm[seg.start:seg.end])
            elif seg.marker == 0x00:
                raise BadMediaError("corrupt", f"invalid JPEG marker FF00 at byte {seg.offset}")
            elif not (0xE0 <= seg.marker <= 0xEF or seg.marker == 0xFE):
                h.update(b"\xff")
                h.update(mm[seg.offset + 1:seg.end])  # marker, length and payload
                seen_sos = seen_sos or seg.marker == SOS
    except ContainerError as e:
        if e.marker == 0x00:  # FF00 is stuffing, never a marker: say so before its length
            raise BadMediaError("corrupt", f"invalid JPEG marker FF00 at byte {e.offset}") from None
        raise BadMediaError(e.reason, e.detail) from None
    if not seen_sos:
        raise BadMediaError("truncated", "JPEG has no SOS (no image data)")
    return h.hexdigest()


# --- PNG -------------------------------------------------------------------

# Chunks that define pixels (incl. APNG frames). Colour-management (gAMA, cHRM,
# sRGB, iCCP) is treated like a JPEG's ICC profile: metadata, not essence.
_PNG_KEEP = {b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"acTL", b"fcTL", b"fdAT", b"IEND"}


def _png(mm: mmap.mmap) -> str:
    """Hash type+data of the pixel chunks; IDAT is hashed as one stream so re-chunking is harmless."""
    h = _hasher("png-chunks")
    prev = b""
    try:
        for chunk in png_chunks(mm):  # ends with IEND
            if chunk.ctype in _PNG_KEEP:
                if chunk.ctype != b"IDAT" or prev != b"IDAT":
                    h.update(chunk.ctype)
                h.update(mm[chunk.start:chunk.stop])
                prev = chunk.ctype
    except ContainerError as e:
        raise BadMediaError(e.reason, e.detail) from None
    return h.hexdigest()


# --- WebP ------------------------------------------------------------------

# VP8X is skipped: its flag bits flip when EXIF/XMP/ICC chunks are added.
_WEBP_KEEP = {b"VP8 ", b"VP8L", b"ALPH", b"ANIM", b"ANMF"}


def _webp(mm: mmap.mmap) -> str:
    """Hash fourcc+data of the bitstream chunks of a RIFF/WEBP file."""
    n = len(mm)
    if n < 12 or mm[:4] != b"RIFF" or mm[8:12] != b"WEBP":
        raise BadMediaError("truncated" if n < 12 else "not-media", "bad WebP header")
    riff_end = 8 + int.from_bytes(mm[4:8], "little")
    if riff_end > n:
        raise BadMediaError("truncated", "WebP RIFF size exceeds file size")
    h = _hasher("webp-chunks")
    found = False
    for chunk in riff_chunks(mm, 12, riff_end):
        if chunk.end > riff_end:
            raise BadMediaError("truncated", f"WebP chunk {chunk.fourcc!r} runs past end of file")
        if chunk.fourcc in _WEBP_KEEP:
            found = found or chunk.fourcc in (b"VP8 ", b"VP8L", b"ANMF")
            h.update(chunk.fourcc)
            h.update(mm[chunk.start:chunk.end])
    if not found:
        raise BadMediaError("truncated", "WebP has no image bitstream")
    return h.hexdigest()


_CHUNKED = {"jpeg": _jpeg, "mpo": _jpeg, "png": _png, "webp": _webp}
_CHUNKED_METHOD = {"jpeg": "jpeg-scan", "mpo": "jpeg-scan", "png": "png-chunks", "webp": "webp-chunks"}


# --- byte ranges of coded data (HEIF, PSD, JPEG 2000, JPEG XL, camera RAW) --------------------


def _ranges(method: str, mm: mmap.mmap, ranges, prefix: bytes = b"", framed: bool = True) -> str:
    """Hash `prefix`, then each (start, end) range, with its length in front where `framed` (else
    the ranges hash as one stream: parts of one code stream), read 1 MiB at a time. A range past
    the end of the file is a truncated file."""
    h = _hasher(method)
    h.update(prefix)
    for start, end in ranges:
        if start > end or end > len(mm):
            raise BadMediaError("truncated", f"data at bytes {start}-{end} runs past the end of the file")
        if framed:
            h.update((end - start).to_bytes(8, "big"))
        for at in range(start, end, CHUNK):
            h.update(mm[at:min(end, at + CHUNK)])
    return h.hexdigest()


# Codec configuration: part of the coded image (HEVC parameter sets), unlike colour, size or rotation.
_HEIF_CODEC_CONFIG = {b"hvcC", b"av1C", b"vvcC", b"jpgC"}


def _heif(mm: mmap.mmap) -> str | None:
    """The primary image as coded: for it (and for each tile of a grid, in order) the item type,
    the codec configuration and the coded data. Exif and XMP items, thumbnails, auxiliary images
    (depth, gain map) and the byte positions exiftool moves things to are left out; hashing the
    code stream rather than decoded pixels keeps the ID independent of the decoder's version."""
    try:
        items = heif.primary_image(mm)
    except ContainerError as e:
        raise BadMediaError(e.reason, e.detail) from None
    if items is None:
        return None
    ranges, prefix = [], b""
    for item in items:
        prefix += item.item_type
        configs = [p for p in item.properties if p.btype in _HEIF_CODEC_CONFIG]
        ranges += [(p.offset, p.end) for p in configs] + item.extents
        prefix += len(configs).to_bytes(1, "big") + len(item.extents).to_bytes(4, "big")
    return _ranges("heif-items", mm, ranges, prefix)


def _psd(mm: mmap.mmap) -> str:
    """Every section but the image resources, where Photoshop and exiftool keep EXIF, IPTC, XMP,
    the thumbnail and the print settings: header, colour mode data, layers and masks, and the
    composite image data."""
    n = len(mm)
    if n < 26:
        raise BadMediaError("truncated", "PSD header runs past the end of the file")
    wide = 8 if mm[4:6] == b"\0\x02" else 4  # PSB: 64-bit length of the layer and mask section
    ranges, pos = [(0, 26)], 26
    for keep, width in ((True, 4), (False, 4), (True, wide)):
        if pos + width > n:
            raise BadMediaError("truncated", "PSD section runs past the end of the file")
        end = pos + width + int.from_bytes(mm[pos:pos + width], "big")
        if keep:
            ranges.append((pos, end))
        pos = end
    return _ranges("psd-sections", mm, ranges + [(pos, n)])


def _codestream(mm: mmap.mmap, method: str, whole: bool, boxes: tuple[bytes, ...]) -> str | None:
    """A JPEG 2000 or JPEG XL code stream: the whole file when it is a bare code stream, else the
    payload of its code stream box(es) (jp2c; jxlc, or the jxlp parts less their 4-byte index),
    so the same code stream has the same ID bare or boxed with metadata."""
    if whole:
        return _ranges(method, mm, [(0, len(mm))], framed=False)
    try:
        parts = [(b.start + (4 if b.btype == b"jxlp" else 0), b.end) for b in bmff_boxes(mm) if b.btype in boxes]
    except ContainerError as e:
        raise BadMediaError(e.reason, e.detail) from None
    return _ranges(method, mm, parts[:1] if boxes == (b"jp2c",) else parts, framed=False) if parts else None


def _jp2(mm: mmap.mmap) -> str | None:
    return _codestream(mm, "j2k-codestream", mm[:4] == b"\xff\x4f\xff\x51", (b"jp2c",))


def _jxl(mm: mmap.mmap) -> str | None:
    return _codestream(mm, "jxl-codestream", mm[:2] == b"\xff\x0a", (b"jxlc", b"jxlp"))


_STRUCTURED = {"heic": _heif, "psd": _psd, "jp2": _jp2, "jxl": _jxl}
_STRUCTURED_METHOD = {"heic": "heif-items", "psd": "psd-sections", "jp2": "j2k-codestream", "jxl": "jxl-codestream"}


def _raw(path: str | os.PathLike, fmt: str) -> Essence:
    """A camera RAW: its sensor data (:func:`mediaground.media.raw.sensor_data`), or the whole
    file where that is not isolated. A CR2, NEF, ARW or DNG whose IFD0 Pillow decodes keeps the
    pixel hash it was indexed by when it sniffed as TIFF; a CR3, indexed as an MP4 video then,
    keeps the hash of its tracks' samples (the JPEG and the CRX raw images; its metadata lives in
    moov boxes, outside the samples)."""
    if fmt == "cr3":
        return Essence(_av_packets(path), "essence", "av-packets")
    if fmt in _TIFF_NAMED_RAWS:
        try:
            ess = _pixels(path, "tiff")
        except BadMediaError:
            ess = None
        if ess is not None:
            return ess
    with open(path, "rb") as f, _map(f) as mm:
        try:
            extents = raw.sensor_data(mm, fmt)
        except ContainerError as e:
            raise BadMediaError(e.reason, e.detail) from None
        if extents is not None:
            return Essence(_ranges("raw-sensor", mm, extents), "essence", "raw-sensor")
    return Essence(file_sha256(path), "file", "file")


# --- decoded pixels (Pillow) ----------------------------------------------


def _pixels(path: str | os.PathLike, fmt: str) -> Essence | None:
    """Hash decoded pixels for containers whose metadata is interleaved with the data (TIFF...).

    Returns None when this Pillow cannot read the format at all (e.g. HEIC
    without a plugin), so the caller falls back to the whole file.
    """
    Image.init()
    pil_name = _PILLOW_FORMATS.get(fmt, fmt.upper())
    if pil_name not in Image.OPEN:
        return None
    method = f"{fmt}-pixels"
    try:
        with Image.open(path, formats=[pil_name]) as im:
            w, hgt = im.size
            if w * hgt > MAX_PIXELS:
                raise BadMediaError("decompression-bomb", f"{w}x{hgt} exceeds {MAX_PIXELS} pixels")
            frames = getattr(im, "n_frames", 1)
            im.seek(0)
            im.load()
            h = _hasher(method)
            h.update(f"{im.mode}:{w}x{hgt}:{frames}\0".encode())
            if im.mode in ("P", "PA"):  # indices mean nothing without the palette
                h.update(bytes(im.getpalette() or b""))
                h.update(repr(im.info.get("transparency")).encode())
            h.update(im.tobytes())
    except BadMediaError:
        raise
    except Image.DecompressionBombError as e:
        raise BadMediaError("decompression-bomb", str(e)) from e
    except UnidentifiedImageError as e:
        raise BadMediaError("corrupt", str(e)) from e
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError) as e:  # Pillow's decode errors
        reason = "truncated" if "truncated" in str(e) else "corrupt"
        raise BadMediaError(reason, str(e)) from e
    return Essence(h.hexdigest(), "essence", method)


# --- audio / video (PyAV) ---------------------------------------------------


def _raw_audio_end(path: str | os.PathLike) -> int:
    """File offset where the audio of a raw MP3/AAC stream ends, before trailing tags.

    FFmpeg's MP3 parser folds a trailing ID3v1 tag into the last packet when the
    last frame is incomplete, so tags at the end (ID3v1, APEv2, Lyrics3v2,
    appended ID3v2) are cut off by byte offset instead.
    """
    with open(path, "rb") as f:
        end = size = f.seek(0, os.SEEK_END)
        while True:
            f.seek(max(0, end - 128))
            tail = f.read(end - f.tell())
            if len(tail) >= 128 and tail[-128:-125] == b"TAG":
                end -= 128
            elif len(tail) >= 32 and tail[-32:-24] == b"APETAGEX":
                size = int.from_bytes(tail[-20:-16], "little")
                end -= size + (32 if tail[-9] & 0x80 else 0)  # flags bit 31: header present
            elif len(tail) >= 15 and tail[-9:] == b"LYRICS200" and tail[-15:-9].isdigit():
                end -= int(tail[-15:-9]) + 15
            elif len(tail) >= 10 and tail[-10:-7] == b"3DI":
                s = tail[-4:]
                end -= 20 + ((s[0] << 21) | (s[1] << 14) | (s[2] << 7) | s[3])
            else:
                return end
            if end <= 0:  # bogus tag sizes: trust the demuxer instead
                return size


def _av_packets(path: str | os.PathLike, audio_end: int | None = None) -> str:
    """Hash the demuxed packets of the audio and video streams, in file order.

    Demuxers hand back only coded frames, so tag blocks (ID3v2/v1, APE, Vorbis
    comments, MP4 udta/ilst, RIFF LIST/id3) never reach the hash, and packets
    are read one at a time so nothing large is held in memory. Codec headers
    (extradata) are left out on purpose: for Vorbis they include the comment
    header. Streams are numbered by their order among the hashed streams, so a
    cover picture added in front of the audio does not shift it.
    """
    import av  # PyAV (FFmpeg, ~0.1 s to import) loads for audio and video only
    from av.stream import Disposition

    try:
        container = av.open(os.fspath(path), mode="r")
    except (av.FFmpegError, OSError, ValueError) as e:
        raise BadMediaError("corrupt", f"cannot open container: {e}") from e
    h = _hasher("av-packets")
    count = 0
    try:
        with container:
            streams = [
                s for s in container.streams
                if s.type in ("audio", "video") and not (s.disposition & Disposition.attached_pic)
            ]
            if not streams:
                raise BadMediaError("corrupt", "no audio or video stream")
            ordinal = {s.index: i for i, s in enumerate(streams)}
            for packet in container.demux(streams):
                if packet.size == 0:  # flush packets at end of stream
                    continue
                data = memoryview(packet)
                if audio_end is not None and packet.pos is not None and packet.pos >= 0:
                    data = data[:max(0, audio_end - packet.pos)]
                    if not data:
                        continue
                h.update(ordinal[packet.stream_index].to_bytes(4, "big"))
                h.update(len(data).to_bytes(8, "big"))
                h.update(data)
                count += 1
    except BadMediaError:
        raise
    except (av.FFmpegError, OSError, ValueError) as e:
        raise BadMediaError("corrupt", f"demux failed: {e}") from e
    if count == 0:
        raise BadMediaError("truncated", "no audio or video packets")
    return h.hexdigest()


# --- dispatch ---------------------------------------------------------------


def essence_hash(path: str | os.PathLike, fmt: str | None) -> Essence:
    """Hash the essence of the file at `path`; `fmt` comes from ``sniff(path).format``.

    Raises BadMediaError when the file is truncated or corrupt. Unknown or
    unreadable formats fall back to the whole-file hash with basis "file".
    """
    if fmt in _CHUNKED:
        with open(path, "rb") as f, _map(f) as mm:
            return Essence(_CHUNKED[fmt](mm), "essence", _CHUNKED_METHOD[fmt])
    if fmt in _STRUCTURED:
        with open(path, "rb") as f, _map(f) as mm:
            digest = _STRUCTURED[fmt](mm)
        if digest is not None:
            return Essence(digest, "essence", _STRUCTURED_METHOD[fmt])
        return Essence(file_sha256(path), "file", "file")
    if fmt in raw.RAW_FORMATS:
        return _raw(path, fmt)
    if fmt in _AV_FORMATS:
        if os.path.getsize(path) == 0:
            raise BadMediaError("zero-byte", "file is empty")
        audio_end = _raw_audio_end(path) if fmt in _TRAILING_TAGS else None
        return Essence(_av_packets(path, audio_end), "essence", "av-packets")
    if fmt in _PILLOW_FORMATS:
        ess = _pixels(path, fmt)
        if ess is not None:
            return ess
    return Essence(file_sha256(path), "file", "file")
