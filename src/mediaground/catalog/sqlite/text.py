"""Full text (FTS5) over assets' documents and transcript segments, and recordings' analyses.

FTS5 query syntax stays in this module: callers pass plain words, and `match_expression` quotes
each one (so a word can never be an operator) and makes it a prefix query.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Collection, Mapping, Sequence

from mediaground.catalog.base import FTS_COLUMNS, Audio, FullText
from mediaground.catalog.records import AudioInfo, Segment
from mediaground.catalog.sqlite.common import marks, rows_in

# bm25 weights follow the table's columns (asset_id first, unindexed), then FTS_COLUMNS
_BM25 = "bm25(file_fts, 0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5, 0.5)"


def match_expression(words: Sequence[str], all_words: bool) -> str:
    """'"w1"* AND "w2"*' (or OR): every word a quoted prefix term."""
    op = " AND " if all_words else " OR "
    return op.join('"' + w.replace('"', '""') + '"*' for w in words)


def _within(table: str, key: str, keys: Collection | None, kinds: Sequence[str] | None) -> tuple[str, str, list]:
    """(join, conditions, args) that keep a full-text query to rows whose `key` column is among
    `keys` and whose asset is of `kinds`, before its ORDER BY rank LIMIT. The key list is one JSON
    parameter (any size); its `+` keeps it a test on the matches: offered to FTS5 as a rowid
    constraint, the MATCH would run once per key."""
    join, where, args = "", "", []
    if kinds:
        join = f" JOIN assets a ON a.asset_id = {table}.asset_id"
        where += f" AND a.kind IN ({marks(len(kinds))})"
        args += list(kinds)
    if keys is not None:
        where += f" AND +{table}.{key} IN (SELECT value FROM json_each(?))"
        args.append(json.dumps(list(keys)))
    return join, where, args


class SqlFullText(FullText):
    """One FTS5 row per file; its rowid is the file id, so replacing a document is a rowid lookup."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set(self, file_id: int, asset_id: str, fields: Mapping[str, str]) -> None:
        self.db.execute("DELETE FROM file_fts WHERE rowid=?", (file_id,))
        self.db.execute(f"INSERT INTO file_fts(rowid, asset_id, {', '.join(FTS_COLUMNS)})"
                        f" VALUES (?, ?{', ?' * len(FTS_COLUMNS)})",
                        (file_id, asset_id, *(fields.get(c, "") for c in FTS_COLUMNS)))

    def delete(self, file_ids: Sequence[int]) -> None:
        self.db.executemany("DELETE FROM file_fts WHERE rowid=?", [(f,) for f in file_ids])

    def fields(self, file_id: int) -> dict[str, str]:
        return self.fields_of_many([file_id]).get(file_id, {})

    def fields_of_many(self, file_ids: Sequence[int]) -> dict[int, dict[str, str]]:
        rows = rows_in(self.db, f"SELECT rowid, {', '.join(FTS_COLUMNS)} FROM file_fts WHERE rowid IN ({{in}})",
                       file_ids)
        return {r[0]: dict(zip(FTS_COLUMNS, tuple(r)[1:])) for r in rows}

    def search(self, words: Sequence[str], all_words: bool, limit: int, file_ids: Collection[int] | None = None,
               kinds: Sequence[str] | None = None) -> list[tuple[int, str, float]]:
        if not words:
            return []
        join, where, args = _within("file_fts", "rowid", file_ids, kinds)
        rows = self.db.execute(f"SELECT file_fts.rowid, file_fts.asset_id, {_BM25} AS rank FROM file_fts{join}"
                               f" WHERE file_fts MATCH ?{where} ORDER BY rank LIMIT ?",
                               (match_expression(words, all_words), *args, limit)).fetchall()
        return [(r[0], r[1], -r[2]) for r in rows]


def _info(r: sqlite3.Row) -> AudioInfo:
    return AudioInfo(r["asset_id"], r["duration"], r["declared_duration"], bool(r["truncated"]), bool(r["silent"]),
                     r["rms_dbfs"], r["language"], r["language_probability"], json.loads(r["warnings"]))


def _segment(r: sqlite3.Row) -> Segment:
    return Segment(r["chunk_id"], r["asset_id"], r["start"], r["end"], r["text"], r["confidence"],
                   json.loads(r["words"]))


class SqlAudio(Audio):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set(self, info: AudioInfo, segments: Sequence[Segment]) -> None:
        self.db.execute("INSERT OR REPLACE INTO audio(asset_id, duration, declared_duration, truncated, silent,"
                        " rms_dbfs, language, language_probability, warnings) VALUES (?,?,?,?,?,?,?,?,?)",
                        (info.asset_id, info.duration, info.declared_duration, int(info.truncated), int(info.silent),
                         info.rms_dbfs, info.language, info.language_probability, json.dumps(info.warnings)))
        self.db.execute("DELETE FROM segments WHERE asset_id=?", (info.asset_id,))
        self.db.execute("DELETE FROM segments_fts WHERE asset_id=?", (info.asset_id,))
        self.db.executemany(
            'INSERT INTO segments(chunk_id, asset_id, start, "end", text, confidence, words) VALUES (?,?,?,?,?,?,?)',
            [(s.chunk_id, info.asset_id, s.start, s.end, s.text, s.confidence, json.dumps(s.words)) for s in segments])
        self.db.executemany("INSERT INTO segments_fts(chunk_id, asset_id, text) VALUES (?,?,?)",
                            [(s.chunk_id, info.asset_id, s.text) for s in segments])

    def info(self, asset_id: str) -> AudioInfo | None:
        return self.infos([asset_id]).get(asset_id)

    def infos(self, asset_ids: Sequence[str]) -> dict[str, AudioInfo]:
        return {r["asset_id"]: _info(r) for r in rows_in(self.db, "SELECT * FROM audio WHERE asset_id IN ({in})",
                                                         asset_ids)}

    def segments(self, asset_id: str) -> list[Segment]:
        return [_segment(r) for r in self.db.execute("SELECT * FROM segments WHERE asset_id=? ORDER BY start",
                                                      (asset_id,))]

    def segments_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Segment]:
        return {r["chunk_id"]: _segment(r) for r in rows_in(self.db, "SELECT * FROM segments WHERE chunk_id IN ({in})",
                                                            chunk_ids)}

    def has_segments(self) -> bool:
        return self.db.execute("SELECT 1 FROM segments LIMIT 1").fetchone() is not None

    def search(self, words: Sequence[str], all_words: bool, limit: int, asset_ids: Collection[str] | None = None,
               kinds: Sequence[str] | None = None) -> list[tuple[str, str, float]]:
        if not words:
            return []
        join, where, args = _within("segments_fts", "asset_id", asset_ids, kinds)
        rows = self.db.execute(f"SELECT segments_fts.asset_id, segments_fts.chunk_id, bm25(segments_fts) AS rank"
                               f" FROM segments_fts{join} WHERE segments_fts MATCH ?{where} ORDER BY rank LIMIT ?",
                               (match_expression(words, all_words), *args, limit)).fetchall()
        return [(r[0], r[1], -r[2]) for r in rows]
