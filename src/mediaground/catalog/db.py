"""The Catalog: a thin, typed layer over the SQLite file. Callers group writes in `transaction()`."""

from __future__ import annotations

import json
import sqlite3
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator

from mediaground.catalog.schema import MIGRATIONS, SCHEMA_V1, SCHEMA_VERSION
from mediaground.errors import CatalogVersionError
from mediaground.models.base import Space

FTS_COLUMNS = ("title", "caption", "keywords", "labels", "creator", "place", "filename", "other")


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Catalog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        fresh = not self.path.exists()
        self.db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: durable at checkpoints, never corrupt
        self.db.execute("PRAGMA foreign_keys=ON")
        if fresh:
            with self.transaction():
                for stmt in _split(SCHEMA_V1):
                    self.db.execute(stmt)
                self.set_meta("schema_version", "1")  # then migrated forward like any old catalog
                self.set_meta("created_at", now())
        self._check_version()

    # --- lifecycle ------------------------------------------------------------------------
    def _check_version(self) -> None:
        found = int(self.get_meta("schema_version") or 0)
        if found > SCHEMA_VERSION:
            raise CatalogVersionError(
                f"catalog {self.path} has schema version {found}; this mediaground understands "
                f"up to {SCHEMA_VERSION}. Upgrade mediaground to open it.")
        while found < SCHEMA_VERSION:
            found += 1
            with self.transaction():
                for stmt in _split(MIGRATIONS[found]):
                    self.db.execute(stmt)
                self.set_meta("schema_version", str(found))

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    # --- spaces ---------------------------------------------------------------------------
    def ensure_space(self, space: Space, role: str, spec: str | None = None, status: str = "active",
                     replaces: str | None = None) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO spaces(space_id, role, model_id, revision, weights_sha256, preprocessor_hash,"
            " prompt, dim, modality, status, created_at, spec, replaces, changed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (space.id, role, space.model_id, space.revision, space.weights_sha256, space.preprocessor_hash,
             space.prompt, space.dim, space.modality, status, now(), spec or space.model_id, replaces, now()))

    def spaces(self) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT s.*, (SELECT COUNT(*) FROM vectors v WHERE v.space_id = s.space_id) AS vectors "
            "FROM spaces s ORDER BY created_at").fetchall()
        return [dict(r) for r in rows]

    # --- lookups --------------------------------------------------------------------------
    def path_row(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM paths WHERE path=?", (path,)).fetchone()

    def version_row(self, file_sha256: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM versions WHERE file_sha256=?", (file_sha256,)).fetchone()

    def asset_row(self, asset_id: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM assets WHERE asset_id=?", (asset_id,)).fetchone()

    def find_asset_ids(self, prefix: str) -> list[str]:
        rows = self.db.execute("SELECT asset_id FROM assets WHERE asset_id LIKE ? LIMIT 3",
                               (prefix.replace("%", "") + "%",)).fetchall()
        return [r[0] for r in rows]

    def display_path(self, asset_id: str) -> str | None:
        """Where to point a person: a current path, else the last place the asset was seen."""
        row = self.db.execute("SELECT path FROM paths WHERE asset_id=? ORDER BY current DESC, last_seen DESC"
                              " LIMIT 1", (asset_id,)).fetchone()
        return row[0] if row else None

    def current_paths(self, asset_id: str) -> list[str]:
        rows = self.db.execute("SELECT path FROM paths WHERE asset_id=? AND current=1 ORDER BY last_seen DESC",
                               (asset_id,)).fetchall()
        return [r[0] for r in rows]

    def paths_for(self, asset_id: str) -> list[sqlite3.Row]:
        return self.db.execute("SELECT * FROM paths WHERE asset_id=? ORDER BY current DESC, last_seen DESC",
                               (asset_id,)).fetchall()

    def vector_sources(self, asset_id: str) -> dict[tuple[str, str], str]:
        rows = self.db.execute("SELECT chunk_id, space_id, source_sha FROM vectors WHERE asset_id=?",
                               (asset_id,)).fetchall()
        return {(r[0], r[1]): r[2] for r in rows}

    def labels(self, asset_id: str) -> list[tuple[str, float]]:
        """The asset's labels from one image space: the active one if it labelled the asset, else
        the newest space that did (a library migrated to a model without labels keeps its words)."""
        rows = self.db.execute(
            "SELECT label, score FROM labels WHERE asset_id=? AND space_id = (SELECT l.space_id FROM labels l"
            " JOIN spaces s ON s.space_id = l.space_id WHERE l.asset_id=?"
            " ORDER BY (s.status = 'active') DESC, s.created_at DESC LIMIT 1) ORDER BY score DESC",
            (asset_id, asset_id)).fetchall()
        return [(r[0], r[1]) for r in rows]

    def provenance(self, asset_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT event, detail, at FROM provenance WHERE asset_id=? ORDER BY id",
                               (asset_id,)).fetchall()
        return [{"event": r[0], "at": r[2], **json.loads(r[1])} for r in rows]

    def count(self, table: str) -> int:
        assert table in {"assets", "versions", "paths", "vectors", "labels", "quarantine", "spaces"}
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    # --- writes (call inside transaction()) -----------------------------------------------
    def log(self, asset_id: str, event: str, **detail: Any) -> None:
        self.db.execute("INSERT INTO provenance(asset_id, event, detail, at) VALUES (?,?,?,?)",
                        (asset_id, event, json.dumps(detail, ensure_ascii=False), now()))

    def upsert_path(self, path: str, asset_id: str, file_sha256: str, size: int, mtime_ns: int) -> None:
        t = now()
        self.db.execute(
            "INSERT INTO paths(path, asset_id, file_sha256, size, mtime_ns, current, first_seen, last_seen)"
            " VALUES (?,?,?,?,?,1,?,?) ON CONFLICT(path) DO UPDATE SET asset_id=excluded.asset_id,"
            " file_sha256=excluded.file_sha256, size=excluded.size, mtime_ns=excluded.mtime_ns, current=1,"
            " last_seen=excluded.last_seen", (path, asset_id, file_sha256, size, mtime_ns, t, t))
        self.db.execute("DELETE FROM quarantine WHERE path=?", (path,))

    def retire_path(self, path: str) -> None:
        self.db.execute("UPDATE paths SET current=0 WHERE path=?", (path,))

    def add_version(self, file_sha256: str, asset_id: str, size: int, store_path: str) -> None:
        self.db.execute("INSERT OR IGNORE INTO versions(file_sha256, asset_id, size, store_path, first_seen)"
                        " VALUES (?,?,?,?,?)", (file_sha256, asset_id, size, store_path, now()))

    def quarantine(self, path: str, reason: str, detail: str, file_sha256: str | None,
                   size: int | None, mtime_ns: int | None) -> None:
        self.db.execute(
            "INSERT INTO quarantine(path, file_sha256, size, mtime_ns, reason, detail, at) VALUES (?,?,?,?,?,?,?)"
            " ON CONFLICT(path) DO UPDATE SET file_sha256=excluded.file_sha256, size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, reason=excluded.reason, detail=excluded.detail, at=excluded.at",
            (path, file_sha256, size, mtime_ns, reason, detail, now()))

    def quarantine_row(self, path: str) -> sqlite3.Row | None:
        return self.db.execute("SELECT * FROM quarantine WHERE path=?", (path,)).fetchone()

    def set_fts(self, asset_id: str, fields: dict[str, str]) -> None:
        self.db.execute("DELETE FROM fts WHERE asset_id=?", (asset_id,))
        self.db.execute(f"INSERT INTO fts(asset_id, {', '.join(FTS_COLUMNS)}) VALUES (?{', ?' * len(FTS_COLUMNS)})",
                        (asset_id, *(fields.get(c, "") for c in FTS_COLUMNS)))

    def set_labels(self, asset_id: str, space_id: str, labels: Iterable[tuple[str, float]]) -> None:
        self.db.execute("DELETE FROM labels WHERE asset_id=? AND space_id=?", (asset_id, space_id))
        self.db.executemany("INSERT OR REPLACE INTO labels(asset_id, space_id, label, score) VALUES (?,?,?,?)",
                            [(asset_id, space_id, lab, float(s)) for lab, s in labels])

    def record_vector(self, chunk_id: str, space_id: str, asset_id: str, part: str, runtime: str,
                      source_sha: str, start: float | None = None, end: float | None = None) -> None:
        self.db.execute(
            'INSERT INTO vectors(chunk_id, space_id, asset_id, part, start, "end", runtime, source_sha, created_at)'
            " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(chunk_id, space_id) DO UPDATE SET runtime=excluded.runtime,"
            " source_sha=excluded.source_sha, created_at=excluded.created_at",
            (chunk_id, space_id, asset_id, part, start, end, runtime, source_sha, now()))

    def set_audio(self, result) -> None:
        """What decoding and transcription found for one recording (replaces earlier results)."""
        self.db.execute("INSERT OR REPLACE INTO audio(asset_id, duration, declared_duration, truncated, silent,"
                        " rms_dbfs, language, language_probability, warnings) VALUES (?,?,?,?,?,?,?,?,?)",
                        result.catalog_row())
        self.db.execute("DELETE FROM segments WHERE asset_id=?", (result.asset_id,))
        self.db.execute("DELETE FROM segments_fts WHERE asset_id=?", (result.asset_id,))
        self.db.executemany(
            'INSERT INTO segments(chunk_id, asset_id, start, "end", text, confidence, words) VALUES (?,?,?,?,?,?,?)',
            [(s.chunk_id, result.asset_id, s.start, s.end, s.text, s.confidence, json.dumps(s.words))
             for s in result.segments])
        self.db.executemany("INSERT INTO segments_fts(chunk_id, asset_id, text) VALUES (?,?,?)",
                            [(s.chunk_id, result.asset_id, s.text) for s in result.segments])

    def audio_info(self, asset_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM audio WHERE asset_id=?", (asset_id,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out["warnings"] = json.loads(out["warnings"])
        out["truncated"], out["silent"] = bool(out["truncated"]), bool(out["silent"])
        return out

    def segments(self, asset_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute('SELECT chunk_id, start, "end", text, confidence FROM segments WHERE asset_id=?'
                               " ORDER BY start", (asset_id,)).fetchall()
        return [dict(r) for r in rows]

    def segment(self, chunk_id: str) -> dict[str, Any] | None:
        row = self.db.execute('SELECT chunk_id, asset_id, start, "end", text FROM segments WHERE chunk_id=?',
                              (chunk_id,)).fetchone()
        return dict(row) if row else None

    def segments_search(self, match: str, limit: int) -> list[tuple[str, str, float]]:
        """(asset_id, chunk_id, rank score) of transcript segments matching a full-text query."""
        rows = self.db.execute("SELECT asset_id, chunk_id, bm25(segments_fts) AS rank FROM segments_fts"
                               " WHERE segments_fts MATCH ? ORDER BY rank LIMIT ?", (match, limit)).fetchall()
        return [(r[0], r[1], -r[2]) for r in rows]

    # --- full text ------------------------------------------------------------------------
    def fts_search(self, match: str, limit: int) -> list[tuple[str, float]]:
        # bm25 weights follow FTS_COLUMNS (asset_id first, unindexed)
        rows = self.db.execute(
            "SELECT asset_id, bm25(fts, 0, 3.0, 2.0, 2.0, 1.0, 1.0, 1.0, 0.5, 0.5) AS rank FROM fts "
            "WHERE fts MATCH ? ORDER BY rank LIMIT ?", (match, limit)).fetchall()
        return [(r[0], -r[1]) for r in rows]

    def fts_fields(self, asset_id: str) -> dict[str, str]:
        row = self.db.execute(f"SELECT {', '.join(FTS_COLUMNS)} FROM fts WHERE asset_id=?", (asset_id,)).fetchone()
        return dict(zip(FTS_COLUMNS, row)) if row else {}


def _split(script: str) -> list[str]:
    """Split a schema script into statements (our scripts have no ';' inside literals)."""
    out, buf = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buf.append(line)
        if line.rstrip().endswith(";"):
            out.append("\n".join(buf))
            buf = []
    return [s for s in out if s.strip()]
