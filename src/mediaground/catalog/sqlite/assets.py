"""Assets, the files and versions that carry them, quarantine, history and settings on SQLite."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterable, Iterator, Mapping, Sequence

from mediaground.catalog.base import Assets, Files, History, Quarantine, Settings, Versions
from mediaground.catalog.records import Asset, AssetFilter, FileRecord, Quarantined, Version
from mediaground.catalog.sqlite.common import dumps, kinds_clause, loads, rows_in
from mediaground.util import now

_ASSET_COLUMNS = ("asset_id, kind, format, mime, id_basis, id_method, essence_sha256, current_sha256, width,"
                  " height, duration, added_at, updated_at")
# a file record: the path row and what its version says
_FILE_SELECT = ("SELECT p.file_id, p.path, p.asset_id, p.file_sha256, p.size, p.mtime_ns, p.current, p.first_seen,"
                " p.last_seen, v.metadata, v.date_created, v.lat, v.lon FROM paths p"
                " LEFT JOIN versions v ON v.file_sha256 = p.file_sha256")
# the files that stand for their asset in search (see Files.searchable)
_SEARCHABLE = "p.searchable = 1"
# the order of an asset's files, whose first is its display file (see Files.of_asset)
_FILE_ORDER = "p.current DESC, p.last_seen DESC, p.file_id DESC"


def asset_from_row(r: sqlite3.Row) -> Asset:
    return Asset(r["asset_id"], r["kind"], r["format"], r["mime"], r["id_basis"], r["id_method"],
                 r["essence_sha256"], r["current_sha256"], r["width"], r["height"], r["duration"],
                 r["added_at"], r["updated_at"])


def _file(r: sqlite3.Row) -> FileRecord:
    known = r["metadata"] is not None
    return FileRecord(r["file_id"], r["path"], r["asset_id"], r["file_sha256"], r["size"], r["mtime_ns"],
                      bool(r["current"]), r["first_seen"], r["last_seen"], loads(r["metadata"]) if known else {},
                      known, r["date_created"], r["lat"], r["lon"])


def _version(r: sqlite3.Row) -> Version:
    return Version(r["file_sha256"], r["asset_id"], r["size"], r["store_path"], r["first_seen"],
                   loads(r["metadata"]) if r["metadata"] is not None else None, r["date_created"], r["lat"], r["lon"])


class SqlSettings(Settings):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
                        (key, value))

    def delete(self, key: str) -> None:
        self.db.execute("DELETE FROM meta WHERE key=?", (key,))


class SqlAssets(Assets):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, asset_id: str) -> Asset | None:
        row = self.db.execute(f"SELECT {_ASSET_COLUMNS} FROM assets WHERE asset_id=?", (asset_id,)).fetchone()
        return asset_from_row(row) if row else None

    def get_many(self, asset_ids: Sequence[str]) -> dict[str, Asset]:
        rows = rows_in(self.db, f"SELECT {_ASSET_COLUMNS} FROM assets WHERE asset_id IN ({{in}})", asset_ids)
        return {r["asset_id"]: asset_from_row(r) for r in rows}

    def with_prefix(self, prefix: str, limit: int = 3) -> list[str]:
        # a range on the primary key, not LIKE: the index answers it at any size (IDs are lower-case hex)
        prefix = prefix.lower()
        rows = self.db.execute("SELECT asset_id FROM assets WHERE asset_id >= ? AND asset_id < ? ORDER BY asset_id"
                               " LIMIT ?", (prefix, prefix + "\U0010ffff", limit)).fetchall()
        return [r[0] for r in rows]

    def add(self, a: Asset) -> None:
        self.db.execute(
            f"INSERT INTO assets({_ASSET_COLUMNS}) VALUES ({','.join('?' * 13)})",
            (a.asset_id, a.kind, a.format, a.mime, a.id_basis, a.id_method, a.essence_sha256, a.current_sha256,
             a.width, a.height, a.duration, a.added_at, a.updated_at))

    def update(self, a: Asset) -> None:
        self.db.execute(
            "UPDATE assets SET current_sha256=?, format=?, mime=?, width=COALESCE(?, width),"
            " height=COALESCE(?, height), duration=COALESCE(?, duration), updated_at=? WHERE asset_id=?",
            (a.current_sha256, a.format, a.mime, a.width, a.height, a.duration, a.updated_at, a.asset_id))

    def iter(self, kinds: Sequence[str] | None = None, batch: int = 1000) -> Iterator[Asset]:
        where, args = kinds_clause(kinds, joiner=" AND ")
        last = ""
        while True:
            rows = self.db.execute(f"SELECT {_ASSET_COLUMNS} FROM assets WHERE asset_id > ?{where}"
                                   " ORDER BY asset_id LIMIT ?", (last, *args, batch)).fetchall()
            yield from map(asset_from_row, rows)
            if len(rows) < batch:
                return
            last = rows[-1]["asset_id"]

    def ids(self, kinds: Sequence[str] | None = None) -> list[str]:
        where, args = kinds_clause(kinds)
        return [r[0] for r in self.db.execute(f"SELECT asset_id FROM assets{where} ORDER BY asset_id", args)]

    def count(self, kinds: Sequence[str] | None = None) -> int:
        where, args = kinds_clause(kinds)
        return self.db.execute(f"SELECT COUNT(*) FROM assets{where}", args).fetchone()[0]

    def count_by_kind(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT kind, COUNT(*) FROM assets GROUP BY kind").fetchall())


class SqlVersions(Versions):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def get(self, file_sha256: str) -> Version | None:
        row = self.db.execute("SELECT * FROM versions WHERE file_sha256=?", (file_sha256,)).fetchone()
        return _version(row) if row else None

    def of_asset(self, asset_id: str) -> list[Version]:
        return [_version(r) for r in self.db.execute(
            "SELECT * FROM versions WHERE asset_id=? ORDER BY first_seen", (asset_id,))]

    def shas(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT file_sha256 FROM versions")}

    def add(self, v: Version) -> None:
        md = dumps(v.metadata) if v.metadata is not None else None
        self.db.execute(
            "INSERT INTO versions(file_sha256, asset_id, size, store_path, first_seen, metadata, date_created, lat,"
            " lon) VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(file_sha256) DO UPDATE SET metadata=excluded.metadata,"
            " date_created=excluded.date_created, lat=excluded.lat, lon=excluded.lon"
            " WHERE versions.metadata IS NULL AND excluded.metadata IS NOT NULL",
            (v.file_sha256, v.asset_id, v.size, v.store_path, v.first_seen or now(), md, v.date_created, v.lat, v.lon))

    def set_record(self, file_sha256: str, metadata: Mapping[str, Any], date_created: str | None,
                   lat: float | None, lon: float | None) -> None:
        self.db.execute("UPDATE versions SET metadata=?, date_created=?, lat=?, lon=? WHERE file_sha256=?",
                        (dumps(metadata), date_created, lat, lon, file_sha256))

    def iter_known(self, batch: int = 1000) -> Iterator[Version]:
        last = ""
        while True:
            rows = self.db.execute("SELECT * FROM versions WHERE file_sha256 > ? AND metadata IS NOT NULL"
                                   " ORDER BY file_sha256 LIMIT ?", (last, batch)).fetchall()
            yield from map(_version, rows)
            if len(rows) < batch:
                return
            last = rows[-1]["file_sha256"]


class SqlFiles(Files):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def path(self, path: str) -> FileRecord | None:
        row = self.db.execute(f"{_FILE_SELECT} WHERE p.path=?", (path,)).fetchone()
        return _file(row) if row else None

    def get(self, file_id: int) -> FileRecord | None:
        row = self.db.execute(f"{_FILE_SELECT} WHERE p.file_id=?", (file_id,)).fetchone()
        return _file(row) if row else None

    def of_asset(self, asset_id: str) -> list[FileRecord]:
        return self.of_assets([asset_id]).get(asset_id, [])

    def _by_asset(self, asset_ids: Sequence[str], where: str = "") -> dict[str, list[FileRecord]]:
        """Files of these assets, each asset's in _FILE_ORDER."""
        out: dict[str, list[FileRecord]] = {}
        for r in rows_in(self.db, f"{_FILE_SELECT} WHERE p.asset_id IN ({{in}}){where} ORDER BY {_FILE_ORDER}",
                         asset_ids):
            out.setdefault(r["asset_id"], []).append(_file(r))
        return out

    def of_assets(self, asset_ids: Sequence[str]) -> dict[str, list[FileRecord]]:
        return self._by_asset(asset_ids)

    def searchable(self, asset_ids: Sequence[str]) -> dict[str, list[FileRecord]]:
        return self._by_asset(asset_ids, f" AND {_SEARCHABLE}")

    def unlist(self, file_ids: Sequence[int]) -> None:
        self.db.executemany("UPDATE paths SET searchable=0 WHERE file_id=?", [(f,) for f in file_ids])

    def of_version(self, file_sha256: str) -> list[FileRecord]:
        return [_file(r) for r in self.db.execute(f"{_FILE_SELECT} WHERE p.file_sha256=? ORDER BY p.file_id",
                                                   (file_sha256,))]

    def current_paths(self, asset_id: str) -> list[str]:
        rows = self.db.execute(f"SELECT p.path FROM paths p WHERE p.asset_id=? AND p.current=1 ORDER BY {_FILE_ORDER}",
                               (asset_id,)).fetchall()
        return [r[0] for r in rows]

    def display_path(self, asset_id: str) -> str | None:
        return self.display_paths([asset_id]).get(asset_id)

    def display_paths(self, asset_ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for r in rows_in(self.db, f"SELECT p.asset_id, p.path FROM paths p WHERE p.asset_id IN ({{in}})"
                                  f" ORDER BY {_FILE_ORDER}", asset_ids):
            out.setdefault(r[0], r[1])
        return out

    def current_under(self, folder_prefix: str) -> list[str]:
        rows = self.db.execute("SELECT path FROM paths WHERE current=1 AND substr(path, 1, ?) = ?",
                               (len(folder_prefix), folder_prefix)).fetchall()
        return [r[0] for r in rows]

    def seen(self, path: str, asset_id: str, file_sha256: str, size: int, mtime_ns: int) -> int:
        t = now()
        self.db.execute(
            "INSERT INTO paths(path, asset_id, file_sha256, size, mtime_ns, current, first_seen, last_seen, file_id,"
            " searchable) VALUES (?,?,?,?,?,1,?,?, (SELECT COALESCE(MAX(file_id), 0) + 1 FROM paths), 1)"
            " ON CONFLICT(path) DO UPDATE SET asset_id=excluded.asset_id, file_sha256=excluded.file_sha256,"
            " size=excluded.size, mtime_ns=excluded.mtime_ns, current=1, last_seen=excluded.last_seen, searchable=1",
            (path, asset_id, file_sha256, size, mtime_ns, t, t))
        self.db.execute("DELETE FROM quarantine WHERE path=?", (path,))
        return self.db.execute("SELECT file_id FROM paths WHERE path=?", (path,)).fetchone()[0]

    def move(self, file_id: int, path: str, size: int, mtime_ns: int) -> None:
        self.db.execute("UPDATE paths SET path=?, size=?, mtime_ns=?, current=1, searchable=1, last_seen=?"
                        " WHERE file_id=?",
                        (path, size, mtime_ns, now(), file_id))
        self.db.execute("DELETE FROM quarantine WHERE path=?", (path,))

    def retire(self, path: str) -> None:
        self.db.execute("UPDATE paths SET current=0 WHERE path=?", (path,))

    def iter(self, kinds: Sequence[str] | None = None, batch: int = 1000) -> Iterator[FileRecord]:
        # each page is a range of the index paths(asset_id, file_id), read in its order: `+a.kind`
        # keeps the planner from driving by kind, which sorts every page again (quadratic in pages)
        where, args = kinds_clause(kinds, "+a.kind", joiner=" AND ")
        last: tuple[str, int] = ("", 0)
        while True:
            rows = self.db.execute(
                f"{_FILE_SELECT} JOIN assets a ON a.asset_id = p.asset_id WHERE {_SEARCHABLE}{where}"
                " AND (p.asset_id, p.file_id) > (?, ?) ORDER BY p.asset_id, p.file_id LIMIT ?",
                (*args, *last, batch)).fetchall()
            yield from map(_file, rows)
            if len(rows) < batch:
                return
            last = (rows[-1]["asset_id"], rows[-1]["file_id"])

    def filter(self, f: AssetFilter) -> list[tuple[int, str, float | None, float | None]]:
        sql = ("SELECT p.file_id, p.asset_id, v.lat, v.lon FROM paths p JOIN versions v ON v.file_sha256 = p.file_sha256"
               f" JOIN assets a ON a.asset_id = p.asset_id WHERE {_SEARCHABLE}")
        args: list = []
        md = "v.metadata"
        if f.creator:
            sql += (f" AND (EXISTS (SELECT 1 FROM json_each({md}, '$.creator') WHERE lower(value) = lower(?))"
                    f" OR lower(json_extract({md}, '$.artist')) = lower(?))")
            args += [f.creator, f.creator]
        if f.keyword:
            sql += f" AND EXISTS (SELECT 1 FROM json_each({md}, '$.keywords') WHERE lower(value) = lower(?))"
            args.append(f.keyword)
        if f.license:
            sql += (f" AND (instr(lower(coalesce(json_extract({md}, '$.license_url'), '')), lower(?)) > 0"
                    f" OR instr(lower(coalesce(json_extract({md}, '$.copyright'), '')), lower(?)) > 0)")
            args += [f.license, f.license]
        if f.has_gps is not None:
            sql += " AND v.lat IS NOT NULL" if f.has_gps else " AND v.lat IS NULL"
        if f.date_from or f.date_to:
            sql += " AND v.date_created IS NOT NULL"
        if f.date_from:
            sql += " AND v.date_created >= ?"
            args.append(f.date_from)
        if f.date_to:  # by prefix ("2019" keeps all of 2019), as a range the index versions_date answers
            sql += " AND v.date_created <= ?"
            args.append(f.date_to + "\U0010ffff")
        if f.kind:
            sql += " AND a.kind = ?"
            args.append(f.kind)
        if f.located:
            sql += " AND v.lat IS NOT NULL"
        return [(r[0], r[1], r[2], r[3]) for r in self.db.execute(sql, args)]

    def any_located(self) -> bool:
        return self.db.execute("SELECT 1 FROM versions WHERE lat IS NOT NULL LIMIT 1").fetchone() is not None

    def newest_first(self, file_ids: Sequence[int]) -> list[tuple[int, str, str]]:
        rows = list(rows_in(self.db, "SELECT p.file_id, p.asset_id, a.kind, v.date_created FROM paths p"
                                     " JOIN assets a ON a.asset_id = p.asset_id"
                                     " LEFT JOIN versions v ON v.file_sha256 = p.file_sha256 WHERE p.file_id IN ({in})",
                            file_ids))
        rows.sort(key=lambda r: (r["asset_id"], r["file_id"]))
        rows.sort(key=lambda r: r["date_created"] or "", reverse=True)  # undated last, as SQL's DESC puts NULL
        return [(r["file_id"], r["asset_id"], r["kind"]) for r in rows]


class SqlQuarantine(Quarantine):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def put(self, path: str, reason: str, detail: str, file_sha256: str | None, size: int | None,
            mtime_ns: int | None) -> None:
        self.db.execute(
            "INSERT INTO quarantine(path, file_sha256, size, mtime_ns, reason, detail, at) VALUES (?,?,?,?,?,?,?)"
            " ON CONFLICT(path) DO UPDATE SET file_sha256=excluded.file_sha256, size=excluded.size,"
            " mtime_ns=excluded.mtime_ns, reason=excluded.reason, detail=excluded.detail, at=excluded.at",
            (path, file_sha256, size, mtime_ns, reason, detail, now()))

    def get(self, path: str) -> Quarantined | None:
        r = self.db.execute("SELECT * FROM quarantine WHERE path=?", (path,)).fetchone()
        return Quarantined(r["path"], r["file_sha256"], r["size"], r["mtime_ns"], r["reason"], r["detail"],
                           r["at"]) if r else None

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM quarantine").fetchone()[0]


class SqlHistory(History):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def log(self, asset_id: str, event: str, **detail: Any) -> None:
        self.log_many([asset_id], event, **detail)

    def log_many(self, asset_ids: Iterable[str], event: str, **detail: Any) -> None:
        text, t = json.dumps(detail, ensure_ascii=False), now()
        self.db.executemany("INSERT INTO provenance(asset_id, event, detail, at) VALUES (?,?,?,?)",
                            [(a, event, text, t) for a in asset_ids])

    def of(self, asset_id: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT event, detail, at FROM provenance WHERE asset_id=? ORDER BY id",
                               (asset_id,)).fetchall()
        return [{"event": r[0], "at": r[2], **json.loads(r[1])} for r in rows]
