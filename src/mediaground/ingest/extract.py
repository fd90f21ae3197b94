"""Identify and extract: the per-file work that needs no model, run in worker processes.

For each new file content: sniff the type by content, hash the essence (→ asset ID), read the
metadata into the normalized record, decode and preprocess the pixels. A decoder that crashes on
a hostile file takes down a worker, not the ingest: `extracted` retries the files that were in
flight one by one and quarantines the one that crashes again. Everything in and out is picklable.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Iterator, Sequence

import numpy as np

from mediaground.catalog import Asset, Version
from mediaground.errors import BadMediaError, MediagroundError
from mediaground.ids import Essence, asset_id, essence_hash
from mediaground.media.image import decode_image
from mediaground.media.raw import RAW_FORMATS
from mediaground.media.sniff import sniff
from mediaground.metadata.document import SearchDocument
from mediaground.metadata.read import read_metadata
from mediaground.metadata.record import MetadataRecord
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
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    pixels: np.ndarray | None = None
    error: tuple[str, str] | None = None
    document: SearchDocument | None = None  # built by the normalize step, in the main process
    known: bool = False                      # a version the catalog has read before: nothing extracted
    move_from: int | None = None             # a rename: the file record that follows this path


def known_version(path: str, size: int, mtime_ns: int, version: Version, asset: Asset,
                  move_from: int | None = None) -> Prepared:
    """A file whose bytes the catalog already knows: what they say comes from the catalog."""
    return Prepared(path, version.file_sha256, size, mtime_ns, asset.kind, asset.format, asset.mime,
                    Essence(asset.essence_sha256, asset.id_basis, asset.id_method), asset.asset_id,
                    dict(version.metadata or {}), asset.width, asset.height, asset.duration,
                    known=True, move_from=move_from)


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
        out.duration = out.metadata.get("duration")
        if mt.kind == "image":
            decoded = decode_image(path, preprocessor.resize_shorter if preprocessor else 256, mt.format)
            out.width, out.height = decoded.width, decoded.height
            if mt.format in RAW_FORMATS:
                out.width, out.height = _raw_size(record) or (out.width, out.height)
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


def _raw_size(record: MetadataRecord) -> tuple[int, int] | None:
    """A camera RAW's size as it develops (what the metadata reader found: the container's own
    statement, else exiv2's), not the size of the embedded preview its pixels were decoded from;
    turned by its orientation, as `decode_image` gives every other image's size."""
    if not record.width or not record.height:
        return None
    return (record.height, record.width) if record.orientation in (5, 6, 7, 8) else (record.width, record.height)


Job = tuple[str, str, int, int]  # (path, file sha256, size, mtime_ns)


def extracted(jobs: Sequence[Job], preprocessor: ImagePreprocessor | None, workers: int) -> Iterator[Prepared]:
    """`prepare` each job, in `workers` processes (in this one with 0 or a handful of files), in order."""
    if workers <= 0 or len(jobs) < 4:
        for job in jobs:
            yield prepare(*job, preprocessor)
        return
    ctx = multiprocessing.get_context("spawn")  # never fork a process that holds ORT threads
    window = max(4, workers * 4)
    queue = deque(jobs)
    pool = _started_pool(workers, ctx)
    inflight: deque[tuple[Job, Future]] = deque()
    try:
        while queue or inflight:
            while queue and len(inflight) < window:
                job = queue.popleft()
                inflight.append((job, pool.submit(prepare, *job, preprocessor)))
            job, fut = inflight.popleft()
            try:
                yield fut.result()
            except BrokenProcessPool:
                # A decoder crashed the worker. Retry each in-flight file alone: the one that
                # crashes again is quarantined, the others go on.
                pool.shutdown(cancel_futures=True)
                retry = [job] + [j for j, _ in inflight]
                inflight.clear()
                for j in retry:
                    yield _alone(j, preprocessor, ctx)
                pool = ProcessPoolExecutor(workers, mp_context=ctx)
    finally:
        pool.shutdown(cancel_futures=True)


def _started_pool(workers: int, ctx) -> ProcessPoolExecutor:
    """A worker pool that has run a task: a pool whose workers cannot even start (e.g. a script that
    starts an ingest at import time, without an `if __name__ == "__main__":` guard, under `spawn`)
    is an error to report, not a reason to quarantine every file as if it had crashed a decoder."""
    pool = ProcessPoolExecutor(workers, mp_context=ctx)
    try:
        pool.submit(int).result()
    except BrokenProcessPool as exc:
        pool.shutdown(cancel_futures=True)
        raise MediagroundError(
            "worker processes could not start (a script that ingests must guard its entry point with "
            "`if __name__ == \"__main__\":`, or ingest with workers=0)") from exc
    return pool


def _alone(job: Job, preprocessor: ImagePreprocessor | None, ctx) -> Prepared:
    with ProcessPoolExecutor(1, mp_context=ctx) as solo:
        try:
            return solo.submit(prepare, *job, preprocessor).result()
        except BrokenProcessPool:
            p = Prepared(*job)
            p.error = ("crashed-decoder", "decoding this file crashed the worker process")
            return p
