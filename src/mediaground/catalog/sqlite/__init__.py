"""The catalog on SQLite: one file beside the store, WAL journal, FTS5 for full text.

`SqliteCatalog` opens (or creates) the file, migrates older schemas forward, refuses newer ones,
and hands out one repository per concern, all sharing one connection. All of mediaground's SQL
lives in this package.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from mediaground.catalog.base import Catalog
from mediaground.catalog.sqlite.assets import SqlAssets, SqlFiles, SqlHistory, SqlQuarantine, SqlSettings, SqlVersions
from mediaground.catalog.sqlite.governance import SqlFlags, SqlOcr, SqlTerms
from mediaground.catalog.sqlite.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION, split_script
from mediaground.catalog.sqlite.spaces import SqlFills, SqlLabels, SqlSpaces, SqlVectors
from mediaground.catalog.sqlite.text import SqlAudio, SqlFullText
from mediaground.errors import CatalogVersionError
from mediaground.util import now

FILENAME = "catalog.sqlite"


class SqliteCatalog(Catalog):
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        fresh = not self.path.exists()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        self._db.execute("PRAGMA foreign_keys=ON")
        db = self._db
        self.settings = SqlSettings(db)
        self.assets = SqlAssets(db)
        self.versions = SqlVersions(db)
        self.files = SqlFiles(db)
        self.quarantine = SqlQuarantine(db)
        self.history = SqlHistory(db)
        self.spaces = SqlSpaces(db)
        self.vectors = SqlVectors(db)
        self.fills = SqlFills(db)
        self.labels = SqlLabels(db)
        self.fulltext = SqlFullText(db)
        self.audio = SqlAudio(db)
        self.terms = SqlTerms(db)
        self.ocr = SqlOcr(db)
        self.flags = SqlFlags(db)
        if fresh:
            with self.transaction():
                for stmt in split_script(SCHEMA_V1):
                    db.execute(stmt)
                self.settings.set("schema_version", "1")  # then migrated forward like any old catalog
                self.settings.set("created_at", now())
        self._migrate()

    def _migrate(self) -> None:
        found = int(self.settings.get("schema_version") or 0)
        if found > SCHEMA_VERSION:
            raise CatalogVersionError(
                f"catalog {self.path} has schema version {found}; this mediaground understands "
                f"up to {SCHEMA_VERSION}. Upgrade mediaground to open it.")
        while found < SCHEMA_VERSION:
            found += 1
            with self.transaction():
                for stmt in split_script(MIGRATIONS[found]):
                    self._db.execute(stmt)
                self.settings.set("schema_version", str(found))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def backup(self, dest: Path) -> None:
        target = sqlite3.connect(dest)
        try:
            self._db.backup(target)
        finally:
            target.close()

    def close(self) -> None:
        self._db.close()
