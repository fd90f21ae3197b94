"""Thumbnails for the HTTP API: JPEG, EXIF orientation applied, cached per asset and size.

An asset ID is the hash of the pixels, so a cached thumbnail never goes stale: metadata edits
make a new version of the file but keep the ID and the pixels. Only images get thumbnails;
audio and video answer 404 (the UI shows a kind icon instead).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from PIL import Image, ImageOps

MIN_SIZE, MAX_SIZE = 16, 1024


class NoThumbnail(Exception):
    """This asset has no thumbnail (not an image, or Pillow cannot decode it)."""


def thumbnail_path(library_root: Path, asset_id: str, size: int) -> Path:
    return Path(library_root) / "thumbs" / f"{asset_id}-{size}.jpg"


def ensure_thumbnail(library_root: Path, asset_id: str, source: Path, size: int) -> Path:
    """The cached thumbnail, made from `source` (written to a temp file, then renamed) if missing."""
    dest = thumbnail_path(library_root, asset_id, size)
    if dest.exists():
        return dest
    try:
        with Image.open(source) as im:
            im.draft("RGB", (size, size))  # JPEG: decode at a reduced scale, much faster
            im = ImageOps.exif_transpose(im)
            if im.mode not in ("RGB", "L"):
                im = im.convert("RGBA") if "A" in im.getbands() or im.mode == "P" else im.convert("RGB")
                if im.mode == "RGBA":  # flatten transparency onto white
                    bg = Image.new("RGB", im.size, (255, 255, 255))
                    bg.paste(im, mask=im.getchannel("A"))
                    im = bg
            im.thumbnail((size, size), Image.Resampling.LANCZOS)
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-", suffix=".jpg")
            try:
                with os.fdopen(fd, "wb") as fh:
                    im.save(fh, "JPEG", quality=85, optimize=True)
                os.replace(tmp, dest)
            except BaseException:
                if os.path.exists(tmp):
                    os.unlink(tmp)
                raise
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NoThumbnail(f"cannot make a thumbnail of asset {asset_id}") from exc
    return dest
