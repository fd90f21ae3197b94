"""The catalog: the truth about a library beside its files (assets, files, versions, spaces,
vector bookkeeping, transcripts, full text, governance), behind one interface (`base.Catalog`).

`open_catalog(root)` opens the library's catalog; SQLite (`sqlite/`) is the implementation today.
Every SQL statement of mediaground lives under `sqlite/`.
"""

from __future__ import annotations

from pathlib import Path

from mediaground.catalog.base import FTS_COLUMNS, Catalog
from mediaground.catalog.records import (
    PRIMARY_ROLES, Asset, AssetFilter, AudioInfo, FileRecord, FillResult, Quarantined, Segment, SpaceRecord,
    UnknownTerm, Version, VectorRecord,
)
from mediaground.catalog.sqlite import FILENAME, SqliteCatalog

__all__ = ["Catalog", "open_catalog", "catalog_exists", "FTS_COLUMNS", "PRIMARY_ROLES", "Asset", "AssetFilter",
           "AudioInfo", "FileRecord", "FillResult", "Quarantined", "Segment", "SpaceRecord", "UnknownTerm", "Version",
           "VectorRecord"]


def catalog_exists(root: Path) -> bool:
    return (Path(root) / FILENAME).exists()


def open_catalog(root: Path) -> Catalog:
    """The catalog of the library at `root` (created when missing)."""
    return SqliteCatalog(Path(root) / FILENAME)
