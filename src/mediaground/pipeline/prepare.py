"""Per-file work that needs no model: sniff, hash, read metadata, decode and preprocess.

It runs in worker processes, so a decoder that crashes on a hostile file takes down a worker,
not the ingest; everything in and out is picklable.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mediaground.errors import BadMediaError
from mediaground.ids import Essence, asset_id, essence_hash
from mediaground.media.image import decode_image
from mediaground.media.sniff import sniff
from mediaground.metadata.read import read_metadata
from mediaground.models.base import ImagePreprocessor


@dataclass
class Prepared:
    path: str
    file_sha256: str
    size: int
    mtime_ns: int
    kind: str | None = None
    format: str | None = None
    mime: str | None = None
    essence: Essence | None = None
    asset_id: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    searchable: dict[str, str] = field(default_factory=dict)
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    pixels: np.ndarray | None = None
    error: tuple[str, str] | None = None


# Fault injection for the crash-isolation tests: a worker handed a file with this name dies the
# way a decoder crashing on hostile input would (SIGABRT), without a Python exception.
CRASH_ENV = "MEDIAGROUND_TEST_CRASH_ON"


def prepare(path: str, file_sha256: str, size: int, mtime_ns: int,
            preprocessor: ImagePreprocessor | None) -> Prepared:
    out = Prepared(path, file_sha256, size, mtime_ns)
    if os.environ.get(CRASH_ENV) and os.path.basename(path) == os.environ[CRASH_ENV]:
        os.abort()
    try:
        if size == 0:
            raise BadMediaError("zero-byte", "the file is empty")
        mt = sniff(path)
        if mt.kind is None:
            raise BadMediaError("not-media", "content is not a supported image, audio or video format")
        out.kind, out.format, out.mime = mt.kind, mt.format, mt.mime
        out.essence = essence_hash(path, mt.format)
        out.asset_id = asset_id(out.essence)
        record = read_metadata(path, mt.format, mt.kind)
        out.metadata = record.to_dict()
        out.searchable = record.searchable_text()
        out.duration = out.metadata.get("duration")
        if mt.kind == "image":
            decoded = decode_image(path, preprocessor.resize_shorter if preprocessor else 256)
            out.width, out.height = decoded.width, decoded.height
            if preprocessor is not None:
                out.pixels = preprocessor(decoded.image)
    except BadMediaError as exc:
        out.error = (exc.reason, exc.detail)
    except MemoryError:
        out.error = ("too-large", "ran out of memory decoding this file")
    except Exception as exc:  # noqa: BLE001 - any decoder failure quarantines this file only
        out.error = ("corrupt", f"{type(exc).__name__}: {exc}")
    out.pixels = out.pixels if out.error is None else None
    return out


def stat_key(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns
