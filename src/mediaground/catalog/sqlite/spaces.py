"""Spaces, vector bookkeeping, fill progress and labels on SQLite."""

from __future__ import annotations

import sqlite3
from typing import Iterable, Iterator, Sequence

from mediaground.catalog.base import Fills, Labels, Spaces, Vectors
from mediaground.catalog.records import PRIMARY_ROLES, Asset, FillResult, SpaceRecord, VectorRecord
from mediaground.catalog.sqlite.assets import asset_from_row
from mediaground.catalog.sqlite.common import kinds_clause, marks, rows_in
from mediaground.models.base import Space
from mediaground.util import now


def _space(r: sqlite3.Row) -> SpaceRecord:
    pin = Space(r["model_id"], r["revision"], r["weights_sha256"], r["preprocessor_hash"], r["prompt"], r["dim"],
                r["modality"])
    return SpaceRecord(r["space_id"], pin, r["role"], r["status"], r["created_at"], r["spec"] or r["model_id"],
                       r["replaces"], r["changed_at"])


def _vector(r: sqlite3.Row) -> VectorRecord:
    return VectorRecord(r["chunk_id"], r["space_id"], r["asset_id"], r["part"], r["runtime"], r["source_sha"],
                        r["start"], r["end"], r["created_at"])


_PRIMARY = f"({','.join(repr(r) for r in PRIMARY_ROLES)})"


class SqlSpaces(Spaces):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, space_id: str) -> SpaceRecord | None:
        row = self.db.execute("SELECT * FROM spaces WHERE space_id=?", (space_id,)).fetchone()
        return _space(row) if row else None

    def all(self) -> list[SpaceRecord]:
        return [_space(r) for r in self.db.execute("SELECT * FROM spaces ORDER BY created_at")]

    def active(self, role: str) -> SpaceRecord | None:
        row = self.db.execute("SELECT * FROM spaces WHERE role=? AND status='active'", (role,)).fetchone()
        return _space(row) if row else None

    def active_added(self) -> list[SpaceRecord]:
        return [_space(r) for r in self.db.execute(
            f"SELECT * FROM spaces WHERE status='active' AND role NOT IN {_PRIMARY} ORDER BY created_at")]

    def with_status(self, status: str, role: str | None = None) -> list[SpaceRecord]:
        sql, args = "SELECT * FROM spaces WHERE status=?", [status]
        if role is not None:
            sql += " AND role=?"
            args.append(role)
        return [_space(r) for r in self.db.execute(sql + " ORDER BY changed_at DESC, created_at DESC", args)]

    def has_role(self, role: str, status: str | None = None) -> bool:
        sql, args = "SELECT 1 FROM spaces WHERE role=?", [role]
        if status is not None:
            sql += " AND status=?"
            args.append(status)
        return self.db.execute(sql + " LIMIT 1", args).fetchone() is not None

    def role_of_model(self, model_id: str) -> str | None:
        row = self.db.execute("SELECT role FROM spaces WHERE status='active' AND model_id=?", (model_id,)).fetchone()
        return row[0] if row else None

    def add(self, space: Space, role: str, spec: str, status: str = "active", replaces: str | None = None) -> None:
        t = now()
        self.db.execute(
            "INSERT OR IGNORE INTO spaces(space_id, role, model_id, revision, weights_sha256, preprocessor_hash,"
            " prompt, dim, modality, status, created_at, spec, replaces, changed_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (space.id, role, space.model_id, space.revision, space.weights_sha256, space.preprocessor_hash,
             space.prompt, space.dim, space.modality, status, t, spec, replaces, t))

    def make_shadow(self, space_id: str, role: str, spec: str, replaces: str | None) -> None:
        self.db.execute("UPDATE spaces SET status='shadow', role=?, spec=?, replaces=?, changed_at=? WHERE space_id=?",
                        (role, spec, replaces, now(), space_id))

    def activate(self, role: str, space_id: str, demote_to: str = "previous") -> str | None:
        old = self.active(role)
        t = now()
        if old is not None:
            self.db.execute("UPDATE spaces SET status=?, changed_at=? WHERE space_id=?", (demote_to, t, old.space_id))
        self.db.execute("UPDATE spaces SET status='active', changed_at=? WHERE space_id=?", (t, space_id))
        if demote_to == "shadow" and old is not None:
            self.db.execute("UPDATE spaces SET replaces=? WHERE space_id=?", (space_id, old.space_id))
        return old.space_id if old else None

    def set_active(self, space_id: str) -> None:
        self.db.execute("UPDATE spaces SET status='active' WHERE space_id=?", (space_id,))

    def retire(self, space_id: str) -> None:
        self.db.execute("DELETE FROM vectors WHERE space_id=?", (space_id,))
        self.db.execute("DELETE FROM space_assets WHERE space_id=?", (space_id,))
        self.db.execute("UPDATE spaces SET status='retired', changed_at=? WHERE space_id=?", (now(), space_id))


class SqlVectors(Vectors):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def record(self, rows: Iterable[VectorRecord]) -> None:
        t = now()
        self.db.executemany(
            'INSERT INTO vectors(chunk_id, space_id, asset_id, part, start, "end", runtime, source_sha, created_at)'
            " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(chunk_id, space_id) DO UPDATE SET runtime=excluded.runtime,"
            " source_sha=excluded.source_sha, created_at=excluded.created_at",
            [(v.chunk_id, v.space_id, v.asset_id, v.part, v.start, v.end, v.runtime, v.source_sha, v.created_at or t)
             for v in rows])

    def delete(self, space_id: str, chunk_ids: Sequence[str]) -> None:
        self.db.executemany("DELETE FROM vectors WHERE space_id=? AND chunk_id=?", [(space_id, c) for c in chunk_ids])

    def delete_space(self, space_id: str) -> None:
        self.db.execute("DELETE FROM vectors WHERE space_id=?", (space_id,))

    def source(self, chunk_id: str, space_id: str) -> str | None:
        row = self.db.execute("SELECT source_sha FROM vectors WHERE chunk_id=? AND space_id=?",
                              (chunk_id, space_id)).fetchone()
        return row[0] if row else None

    def of_asset(self, asset_id: str, space_id: str | None = None) -> list[VectorRecord]:
        sql, args = "SELECT * FROM vectors WHERE asset_id=?", [asset_id]
        if space_id is not None:
            sql += " AND space_id=?"
            args.append(space_id)
        return [_vector(r) for r in self.db.execute(sql + " ORDER BY chunk_id, space_id", args)]

    def chunk_ids(self, space_id: str, asset_ids: Sequence[str] | None = None) -> set[str]:
        if asset_ids is None:
            return {r[0] for r in self.db.execute("SELECT chunk_id FROM vectors WHERE space_id=?", (space_id,))}
        return {r[0] for r in rows_in(self.db, "SELECT chunk_id FROM vectors WHERE space_id=? AND asset_id IN ({in})",
                                      asset_ids, (space_id,))}

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT space_id, COUNT(*) FROM vectors GROUP BY space_id").fetchall())

    def count(self, space_id: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM vectors WHERE space_id=?", (space_id,)).fetchone()[0]

    def parts(self, space_id: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT part, COUNT(*) FROM vectors WHERE space_id=? GROUP BY part",
                                    (space_id,)).fetchall())

    def assets_in_both(self, space_a: str, space_b: str) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT DISTINCT a.asset_id FROM vectors a JOIN vectors b ON a.asset_id = b.asset_id"
            " WHERE a.space_id=? AND b.space_id=? ORDER BY a.asset_id", (space_a, space_b))]

    def coverage(self, space_id: str, kinds: Sequence[str] | None) -> tuple[int, int]:
        where, args = kinds_clause(kinds, "a.kind")
        total = self.db.execute(f"SELECT COUNT(*) FROM assets a{where}", args).fetchone()[0]
        embedded = self.db.execute(
            f"SELECT COUNT(*) FROM assets a{where}{' AND' if where else ' WHERE'} EXISTS "
            "(SELECT 1 FROM vectors v WHERE v.asset_id = a.asset_id AND v.space_id = ?)",
            (*args, space_id)).fetchone()[0]
        return total, embedded


class SqlFills(Fills):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    _PENDING = " FROM assets a WHERE{kinds} NOT EXISTS (SELECT 1 FROM space_assets s WHERE s.space_id=?" \
               " AND s.asset_id=a.asset_id)"

    def _pending(self, select: str, space_id: str, kinds: Sequence[str] | None):
        where, args = kinds_clause(kinds, "a.kind", joiner=" ")
        sql = select + self._PENDING.format(kinds=where + " AND" if where else "")
        return sql, (*args, space_id)

    def pending(self, space_id: str, kinds: Sequence[str] | None) -> list[Asset]:
        sql, args = self._pending("SELECT a.*", space_id, kinds)
        return [asset_from_row(r) for r in self.db.execute(sql + " ORDER BY a.asset_id", args)]

    def count_pending(self, space_id: str, kinds: Sequence[str] | None) -> int:
        sql, args = self._pending("SELECT COUNT(*)", space_id, kinds)
        return self.db.execute(sql, args).fetchone()[0]

    def done(self, space_id: str, results: Iterable[FillResult]) -> None:
        t = now()
        self.db.executemany("INSERT OR REPLACE INTO space_assets(space_id, asset_id, vectors, error, at)"
                            " VALUES (?,?,?,?,?)", [(space_id, r.asset_id, r.vectors, r.error, t) for r in results])

    def clear(self, space_id: str) -> None:
        self.db.execute("DELETE FROM space_assets WHERE space_id=?", (space_id,))

    def forget_text(self, asset_ids: Sequence[str]) -> None:
        self.db.executemany("DELETE FROM space_assets WHERE asset_id=? AND space_id IN"
                            " (SELECT space_id FROM spaces WHERE modality='text')", [(a,) for a in asset_ids])

    def failures(self, space_id: str) -> list[tuple[str, str]]:
        return [(r[0], r[1]) for r in self.db.execute(
            "SELECT asset_id, error FROM space_assets WHERE space_id=? AND error IS NOT NULL ORDER BY asset_id",
            (space_id,))]

    def failed_assets(self, space_ids: Sequence[str]) -> int:
        if not space_ids:
            return 0
        return self.db.execute(f"SELECT COUNT(DISTINCT asset_id) FROM space_assets WHERE space_id IN"
                               f" ({marks(len(space_ids))}) AND error IS NOT NULL", tuple(space_ids)).fetchone()[0]


class SqlLabels(Labels):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def set(self, asset_id: str, space_id: str, labels: Iterable[tuple[str, float]]) -> None:
        self.db.execute("DELETE FROM labels WHERE asset_id=? AND space_id=?", (asset_id, space_id))
        self.db.executemany("INSERT OR REPLACE INTO labels(asset_id, space_id, label, score) VALUES (?,?,?,?)",
                            [(asset_id, space_id, lab, float(s)) for lab, s in labels])

    def of(self, asset_id: str) -> list[tuple[str, float]]:
        return self.of_many([asset_id]).get(asset_id, [])

    def of_many(self, asset_ids: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
        # per asset, the labels of one space: the active one if it labelled the asset, else the newest
        rows = rows_in(self.db, "SELECT l.asset_id, l.space_id, l.label, l.score, s.status = 'active' AS active,"
                                " s.created_at FROM labels l JOIN spaces s ON s.space_id = l.space_id"
                                " WHERE l.asset_id IN ({in})", asset_ids)
        best: dict[str, tuple] = {}
        by_space: dict[tuple[str, str], list[tuple[str, float]]] = {}
        for r in rows:
            by_space.setdefault((r["asset_id"], r["space_id"]), []).append((r["label"], r["score"]))
            rank = (r["active"], r["created_at"])
            if r["asset_id"] not in best or rank > best[r["asset_id"]][0]:
                best[r["asset_id"]] = (rank, r["space_id"])
        out = {}
        for asset_id, (_, space_id) in best.items():
            out[asset_id] = sorted(by_space[(asset_id, space_id)], key=lambda ls: -ls[1])
        return out

    def all(self) -> Iterator[tuple[str, str, float]]:
        for r in self.db.execute("SELECT asset_id, label, score FROM labels").fetchall():
            yield r[0], r[1], r[2]

    def most_common(self, n: int) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT label FROM labels GROUP BY label ORDER BY COUNT(*) DESC, label LIMIT ?", (n,))]
