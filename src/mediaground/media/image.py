"""Deterministic, cheap image decoding: JPEGs decode at reduced scale (Pillow's draft mode),
EXIF orientation is applied, every mode becomes 8-bit RGB, and decompression bombs are refused
before any pixel is decoded.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps

from mediaground.errors import BadMediaError

MAX_PIXELS = 100_000_000  # 100 MP: far beyond any camera file we index, well below a bomb


@dataclass
class Decoded:
    image: Image.Image       # RGB, orientation applied, possibly reduced by draft mode
    width: int               # full-resolution size as displayed (after orientation)
    height: int


def decode_image(path: str, shorter_side: int = 256) -> Decoded:
    """Open, guard, draft-decode and normalize an image to RGB. Raises BadMediaError."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(path)
            w, h = im.size
            if w <= 0 or h <= 0:
                raise BadMediaError("corrupt", f"image reports size {w}x{h}")
            if w * h > MAX_PIXELS:
                raise BadMediaError("decompression-bomb", f"{w}x{h} pixels exceeds {MAX_PIXELS:,}")
            orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
            if im.format == "JPEG":
                scale = shorter_side / min(w, h)
                if scale < 1:
                    im.draft("RGB", (max(1, int(w * scale + 0.999)), max(1, int(h * scale + 0.999))))
            im.load()
            im = ImageOps.exif_transpose(im)
            rgb = _to_rgb(im)
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
