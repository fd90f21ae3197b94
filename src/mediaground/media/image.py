"""Deterministic, cheap image decoding: JPEGs decode at reduced scale (Pillow's draft mode),
EXIF orientation is applied, every mode becomes 8-bit RGB, and decompression bombs are refused
before any pixel is decoded.

HEIC/HEIF decodes through pillow-heif (libheif), which this module registers with Pillow; AVIF,
PSD (the composite), JPEG 2000 and GIF (the first frame) through Pillow itself. A camera RAW is
never developed: its largest embedded JPEG preview is decoded, turned by the orientation the RAW
records.
"""

from __future__ import annotations

import io
import mmap
import os
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image
from pillow_heif import register_heif_opener

from mediaground.errors import BadMediaError
from mediaground.media import raw
from mediaground.media.sniff import sniff

MAX_PIXELS = 100_000_000  # 100 MP: far beyond any camera file we index, well below a bomb

register_heif_opener()  # HEIF only: AVIF stays with Pillow's own decoder, which AVIF asset IDs were made with

# What Image.transpose does for each EXIF orientation (as ImageOps.exif_transpose).
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


@dataclass
class Decoded:
    image: Image.Image       # RGB, orientation applied, possibly reduced by draft mode
    width: int               # full-resolution size as displayed (after orientation)
    height: int


def decode_image(path: str, shorter_side: int = 256, fmt: str | None = None) -> Decoded:
    """Open, guard, draft-decode and normalize an image to RGB. `fmt`: what `sniff` found, where the
    caller has sniffed the file already. Raises BadMediaError."""
    try:
        fmt = fmt or sniff(path).format
        if fmt in raw.RAW_FORMATS:
            preview = _raw_preview(path, fmt)
            if preview is not None:
                return _decode(*preview, shorter_side)
        elif fmt == "jxl" and "JXL" not in Image.OPEN:
            raise BadMediaError("unsupported", "no JPEG XL decoder is installed for Pillow")
        return _decode(path, None, shorter_side)
    except OSError as exc:
        raise BadMediaError("corrupt", str(exc)) from exc


def _raw_preview(path: str, fmt: str) -> tuple[io.BytesIO, int | None] | None:
    """The RAW's largest embedded JPEG and the orientation its container records. None where it has
    no JPEG preview and Pillow reads the TIFF-based file itself (a DNG with an RGB thumbnail in
    IFD0, as such files were decoded before RAW formats had names); else BadMediaError."""
    with open(path, "rb") as f:
        if os.fstat(f.fileno()).st_size == 0:
            raise BadMediaError("zero-byte", "file is empty")
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            found = raw.largest_jpeg(mm)
            if found is None:
                if fmt in raw.TIFF_RAWS and mm[:4] in (b"II*\0", b"MM\0*"):
                    return None
                raise BadMediaError("corrupt", f"this {fmt.upper()} file has no embedded JPEG preview to decode")
            return io.BytesIO(mm[found.start:found.end]), raw.orientation(mm, fmt)


def _decode(source: str | io.BytesIO, orientation: int | None, shorter_side: int) -> Decoded:
    """Decode `source` with Pillow; `orientation` (a RAW container's) overrides the file's own EXIF."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "Corrupt EXIF data": tags are not ours to judge
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as im:  # closed on the way out: the result is a new image
                w, h = im.size
                if w <= 0 or h <= 0:
                    raise BadMediaError("corrupt", f"image reports size {w}x{h}")
                if w * h > MAX_PIXELS:
                    raise BadMediaError("decompression-bomb", f"{w}x{h} pixels exceeds {MAX_PIXELS:,}")
                if im.format == "JPEG":
                    scale = shorter_side / min(w, h)
                    if scale < 1:
                        im.draft("RGB", (max(1, int(w * scale + 0.999)), max(1, int(h * scale + 0.999))))
                im.load()
                if orientation is None:
                    orientation = _orientation(im)
                turned = im.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else im.copy()
                rgb = _to_rgb(turned)
    except BadMediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise BadMediaError("decompression-bomb", str(exc)) from exc
    except Image.DecompressionBombWarning as exc:
        raise BadMediaError("decompression-bomb", str(exc)) from exc
    except OSError as exc:
        msg = str(exc)
        reason = "truncated" if "truncated" in msg or "broken data stream" in msg else "corrupt"
        raise BadMediaError(reason, msg) from exc
    except (ValueError, SyntaxError, EOFError, MemoryError, Image.UnidentifiedImageError) as exc:
        raise BadMediaError("corrupt", f"{type(exc).__name__}: {exc}") from exc
    if orientation in (5, 6, 7, 8):
        w, h = h, w
    return Decoded(rgb, w, h)


def _orientation(im: Image.Image) -> int:
    """The EXIF orientation, 1 where the EXIF block cannot be read: a broken tag block must not
    stop pixels that decode (reading the tags themselves is the metadata layer's business)."""
    try:
        value = im.getexif().get(0x0112, 1)
    except Exception:  # noqa: BLE001 - Pillow's EXIF parser raises SyntaxError, struct.error, ...
        return 1
    return value if isinstance(value, int) else 1


def _to_rgb(im: Image.Image) -> Image.Image:
    if im.mode == "RGB":
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = np.percentile(arr, 0.5), np.percentile(arr, 99.5)
        arr = np.clip((arr - lo) / max(hi - lo, 1e-9), 0, 1) * 255
        return Image.fromarray(arr.astype(np.uint8), "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        im = im.convert("RGBA")
        background = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, im).convert("RGB")
    return im.convert("RGB")
