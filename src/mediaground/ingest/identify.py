"""Identify, before any decoding: what each scanned path is to the catalog.

A file whose size and mtime are unchanged is done; a quarantined file that did not change stays
quarantined; otherwise the whole file is hashed, and content the library has already read (a
rename, a copy, a touched file, a file put back) needs no extraction: what its bytes say comes
from the catalog. Only new content goes on to `extract`. Files under a scanned folder that are
gone stop being current; nothing else is forgotten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from mediaground.catalog import Catalog, FileRecord, Version
from mediaground.ids import file_sha256

REREAD = -1  # a file's mtime the catalog sets to have the next index read it again (schema migrations)


@dataclass(frozen=True)
class Seen:
    """One scanned path as the catalog sees it."""

    path: str
    status: str                   # unchanged | quarantined | unreadable | known | new
    sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    version: Version | None = None  # known: the version the bytes are (its record is known)
    record: FileRecord | None = None  # the file record at this path, if any
    reason: str = ""              # quarantined / unreadable: why
    detail: str = ""


def look(catalog: Catalog, path: str) -> Seen:
    try:
        st = os.stat(path)
    except OSError as exc:
        return Seen(path, "unreadable", reason="unreadable", detail=str(exc))
    size, mtime_ns = st.st_size, st.st_mtime_ns
    record = catalog.files.path(path)
    if record and record.current and record.size == size and record.mtime_ns == mtime_ns:
        return Seen(path, "unchanged", record=record)
    q = catalog.quarantine.get(path)
    if q and q.size == size and q.mtime_ns == mtime_ns:
        return Seen(path, "quarantined", reason=q.reason, detail=q.detail)
    try:
        sha = file_sha256(path)
    except OSError as exc:
        return Seen(path, "unreadable", size=size, mtime_ns=mtime_ns, reason="unreadable", detail=str(exc))
    version = catalog.versions.get(sha)
    if version is not None and version.metadata is not None and not (record and record.mtime_ns == REREAD):
        return Seen(path, "known", sha, size, mtime_ns, version, record)
    return Seen(path, "new", sha, size, mtime_ns, record=record)  # (or a file an older catalog asks to read)


def touch(catalog: Catalog, seen: Seen) -> None:
    """The path holds the bytes its record says (only its mtime or size bookkeeping moved)."""
    with catalog.transaction():
        catalog.files.seen(seen.path, seen.version.asset_id, seen.sha256, seen.size, seen.mtime_ns)


def rename_source(catalog: Catalog, seen: Seen, claimed: set[int]) -> FileRecord | None:
    """The record a known file at a new path continues: a current file of the same bytes whose path
    is gone (not already claimed by another path in this run)."""
    for f in catalog.files.of_version(seen.sha256):
        if f.current and f.file_id not in claimed and f.path != seen.path and not os.path.exists(f.path):
            return f
    return None


def retire_missing(catalog: Catalog, inputs: Iterable[str | os.PathLike], seen: set[str]) -> list[FileRecord]:
    """Files under a scanned folder that are gone stop being current (renames were found above).
    The asset, its history and its stored original stay: nothing is lost. Returns the retired files."""
    folders = []
    for i in inputs:
        try:
            folders.append(Path(i).expanduser().resolve(strict=True))
        except (OSError, RuntimeError):  # gone, or a link loop: the scan reported it
            continue
    gone = []
    for folder in (f for f in folders if f.is_dir()):
        prefix = str(folder).rstrip("/") + "/"
        gone += [p for p in catalog.files.current_under(prefix) if p not in seen and not os.path.exists(p)]
    retired = []
    if gone:
        with catalog.transaction():
            for path in gone:
                record = catalog.files.path(path)
                catalog.files.retire(path)
                catalog.history.log(record.asset_id, "missing", path=path, file_id=record.file_id)
                retired.append(record)
    return retired
