"""Identify, before any decoding: what each scanned path is to the catalog.

A path whose size and mtime are unchanged is done; a quarantined file that did not change stays
quarantined; otherwise the whole file is hashed, and content the library already keeps (a rename,
a copy, a touched file) is recorded without decoding. Only new content goes on to `extract`.
Paths under a scanned folder that are gone stop being current; nothing else is forgotten.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from mediaground.catalog import Catalog
from mediaground.ids import file_sha256


@dataclass(frozen=True)
class Seen:
    """One scanned path as the catalog sees it."""

    path: str
    status: str                 # unchanged | quarantined | unreadable | known | new
    sha256: str | None = None
    size: int | None = None
    mtime_ns: int | None = None
    asset_id: str | None = None  # known: the asset this content belongs to
    reason: str = ""            # quarantined / unreadable: why
    detail: str = ""


def look(catalog: Catalog, path: str) -> Seen:
    try:
        st = os.stat(path)
    except OSError as exc:
        return Seen(path, "unreadable", reason="unreadable", detail=str(exc))
    size, mtime_ns = st.st_size, st.st_mtime_ns
    row = catalog.files.path(path)
    if row and row.current and row.size == size and row.mtime_ns == mtime_ns:
        return Seen(path, "unchanged")
    q = catalog.quarantine.get(path)
    if q and q.size == size and q.mtime_ns == mtime_ns:
        return Seen(path, "quarantined", reason=q.reason, detail=q.detail)
    try:
        sha = file_sha256(path)
    except OSError as exc:
        return Seen(path, "unreadable", size=size, mtime_ns=mtime_ns, reason="unreadable", detail=str(exc))
    version = catalog.files.version(sha)
    if version is not None:
        return Seen(path, "known", sha, size, mtime_ns, version.asset_id)
    return Seen(path, "new", sha, size, mtime_ns)


def record_known(catalog: Catalog, path: str, sha: str, asset_id: str, size: int, mtime_ns: int) -> str:
    """A file whose content the library keeps: "renamed" when the asset's old path is gone, else
    "unchanged" (the same path touched, or a copy seen)."""
    row = catalog.files.path(path)
    with catalog.transaction():
        if row is not None and row.asset_id == asset_id:
            catalog.files.seen(path, asset_id, sha, size, mtime_ns)
            return "unchanged"
        gone = [f.path for f in catalog.files.of_asset(asset_id) if f.current and not os.path.exists(f.path)]
        for old in gone:
            catalog.files.retire(old)
        catalog.files.seen(path, asset_id, sha, size, mtime_ns)
        if gone:
            catalog.history.log(asset_id, "renamed", **{"from": gone[0], "to": path})
            return "renamed"
        catalog.history.log(asset_id, "copy-seen", path=path)
        return "unchanged"


def retire_missing(catalog: Catalog, inputs: Iterable[str | os.PathLike], seen: set[str]) -> int:
    """Paths under a scanned folder that are gone stop being current (renames were found above).
    The asset, its history and its stored original stay: nothing is lost. Returns how many."""
    folders = [Path(i).expanduser().resolve() for i in inputs]
    gone = []
    for folder in (f for f in folders if f.is_dir()):
        prefix = str(folder).rstrip("/") + "/"
        gone += [p for p in catalog.files.current_under(prefix) if p not in seen and not os.path.exists(p)]
    if gone:
        with catalog.transaction():
            for path in gone:
                catalog.files.retire(path)
                catalog.history.log(catalog.files.path(path).asset_id, "missing", path=path)
    return len(gone)
