"""Unknown vocabulary terms, cached OCR text and asset flags on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Iterable, Sequence

from mediaground.catalog.base import Flags, Ocr, Terms
from mediaground.catalog.records import UnknownTerm
from mediaground.util import now

_INSERT_TERM = "INSERT OR IGNORE INTO unknown_terms(file_id, asset_id, field, term, seen_at) VALUES (?,?,?,?,?)"


class SqlTerms(Terms):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def replace(self, file_id: int, asset_id: str, terms: Iterable[tuple[str, str]], seen_at: str) -> None:
        self.db.execute("DELETE FROM unknown_terms WHERE file_id=?", (file_id,))
        self.db.executemany(_INSERT_TERM, [(file_id, asset_id, f, t, seen_at) for f, t in terms])

    def replace_all(self, terms: Iterable[tuple[int, str, str, str]], seen_at: str) -> None:
        self.db.execute("DELETE FROM unknown_terms")
        self.db.executemany(_INSERT_TERM, [(fid, a, f, t, seen_at) for fid, a, f, t in terms])

    def all(self) -> list[UnknownTerm]:
        return [UnknownTerm(r[0], r[1], r[2], r[3], r[4]) for r in self.db.execute(
            "SELECT file_id, asset_id, field, term, seen_at FROM unknown_terms ORDER BY seen_at, asset_id, file_id")]


class SqlOcr(Ocr):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, file_sha256: str) -> tuple[str, str] | None:
        row = self.db.execute("SELECT engine, text FROM ocr_text WHERE file_sha256=?", (file_sha256,)).fetchone()
        return (row[0], row[1]) if row else None

    def put(self, file_sha256: str, engine: str, text: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO ocr_text(file_sha256, engine, text, at) VALUES (?,?,?,?)",
                        (file_sha256, engine, text, now()))


class SqlFlags(Flags):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set(self, asset_id: str, flag: str, replaces: Sequence[str] = ()) -> None:
        self.db.execute("INSERT OR IGNORE INTO asset_flags(asset_id, flag, set_at) VALUES (?,?,?)",
                        (asset_id, flag, now()))
        for other in replaces:
            self.clear(asset_id, other)

    def clear(self, asset_id: str, flag: str) -> None:
        self.db.execute("DELETE FROM asset_flags WHERE asset_id=? AND flag=?", (asset_id, flag))

    def of(self, asset_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT flag FROM asset_flags WHERE asset_id=? ORDER BY flag",
                                              (asset_id,))]
