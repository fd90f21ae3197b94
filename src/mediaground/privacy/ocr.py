"""Text inside images, read with Tesseract (Debian ``tesseract-ocr``, through pytesseract).

The audit OCRs the stored original of an asset's current version (``store.path(sha256)``), and
caches the text in the catalog (``catalog.ocr``, per file version and engine): a second audit
reads the cache. The engine string names the Tesseract version, the language, the page
segmentation mode and this module's preprocessing version, so upgrading any of them re-reads
the images instead of trusting text another engine produced.

Preprocessing: EXIF orientation applied, greyscale; images over ``MAX_PIXELS`` are downscaled
(huge scans would take minutes and gigabytes), small ones (longest side under ``UPSCALE_BELOW``)
are upscaled 2x, since Tesseract wants text at least ~20 px high. Page segmentation mode 11
("sparse text") finds scattered words in photographs (signs, labels, screenshots) that the
default page layout analysis misses.

Limits: English only (``eng``); handwriting, stylised or strongly rotated text and text smaller
than ~8 px in the original are mostly missed; OCR errors can break an e-mail address or phone
number so the detectors do not recognise it (and, rarely, invent a digit run).
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache

from PIL import Image, ImageOps

from mediaground.catalog import Catalog

__all__ = ["OcrUnavailable", "engine", "ocr_image", "cached_text", "ocr_asset", "MAX_PIXELS", "UPSCALE_BELOW"]

LANG = "eng"
PSM = 11
PREP_VERSION = 1
MAX_PIXELS = 16_000_000
UPSCALE_BELOW = 1000
TIMEOUT_S = 120


class OcrUnavailable(RuntimeError):
    """Tesseract (or its English data) is not installed; the message says how to get it."""


@lru_cache(maxsize=1)
def _probe() -> tuple[str | None, str]:
    """(engine string, '') when Tesseract works, else (None, why)."""
    try:
        import pytesseract  # optional: the OCR engine is probed when an audit reads text
    except ImportError:
        return None, "pytesseract is not installed (pip install pytesseract)"
    cmd = pytesseract.pytesseract.tesseract_cmd
    if shutil.which(cmd) is None and not os.path.isfile(cmd):
        return None, "the tesseract program is not on PATH (Debian/Ubuntu: apt-get install tesseract-ocr)"
    try:
        version = str(pytesseract.get_tesseract_version())
        langs = pytesseract.get_languages(config="")
    except Exception as exc:
        return None, f"tesseract does not run: {exc}"
    if LANG not in langs:
        return None, f"tesseract has no '{LANG}' language data (apt-get install tesseract-ocr-{LANG})"
    return f"tesseract-{version}/{LANG}/psm{PSM}/prep{PREP_VERSION}", ""


def engine() -> str:
    """The engine string (e.g. ``tesseract-5.3.0/eng/psm11/prep1``); raises OcrUnavailable."""
    name, why = _probe()
    if name is None:
        raise OcrUnavailable(why)
    return name


def _prepare(path: str | os.PathLike):
    with Image.open(path) as im:
        w, h = im.size
        if w * h > MAX_PIXELS:
            im.draft("L", (int(w * (MAX_PIXELS / (w * h)) ** 0.5), int(h * (MAX_PIXELS / (w * h)) ** 0.5)))
        im = ImageOps.exif_transpose(im).convert("L")
    w, h = im.size
    if w * h > MAX_PIXELS:
        scale = (MAX_PIXELS / (w * h)) ** 0.5
        im = im.resize((max(1, int(w * scale)), max(1, int(h * scale))), Image.LANCZOS)
    elif max(w, h) < UPSCALE_BELOW:
        im = im.resize((w * 2, h * 2), Image.LANCZOS)
    return im


def ocr_image(path: str | os.PathLike) -> str:
    """The text Tesseract reads in the image at `path` (whitespace as Tesseract gives it)."""
    import pytesseract  # see _probe

    engine()
    image = _prepare(path)
    return pytesseract.image_to_string(image, lang=LANG, config=f"--psm {PSM}", timeout=TIMEOUT_S)


def cached_text(catalog: Catalog, file_sha256: str, engine_name: str) -> str | None:
    cached = catalog.ocr.get(file_sha256)
    if cached is None or cached[0] != engine_name:
        return None
    return cached[1]


def ocr_asset(catalog: Catalog, file_sha256: str, path: str | os.PathLike) -> tuple[str, bool]:
    """(text, from_cache) for one file version: the catalog cache when the same engine read it
    before, else Tesseract (and the result is cached). Raises OcrUnavailable, or the decoder's or
    Tesseract's error for a file that cannot be read."""
    name = engine()
    text = cached_text(catalog, file_sha256, name)
    if text is not None:
        return text, True
    text = ocr_image(path)
    with catalog.transaction():
        catalog.ocr.put(file_sha256, name, text)
    return text, False
