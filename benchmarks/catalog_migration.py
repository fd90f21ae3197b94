#!/usr/bin/env python
"""Catalog schema migration at library scale: how the cost of each step grows with the assets.

    .venv/bin/python benchmarks/catalog_migration.py [--sizes 10000,100000,1000000] [--to 5]

A benchmark, not a test: it asserts nothing about speed. For each size N it writes a synthetic
catalog at the schema before `--to` (N assets, one file each, a second copy with other tags for
every tenth, a full-text row per asset, an unknown term for every fifth), then times

  migrate  the migration script `MIGRATIONS[to]`, statement by statement, in one transaction
  scan     the baseline, in the same run on the same file: one full read of every row of the
           tables the migration touches (what any linear migration must at least do)
  ratio    migrate / scan

A migration that is linear in the library keeps the ratio flat as N grows; a correlated subquery
without an index makes it grow with N (schema 5's first version took 18 s at 10k assets: 50 hours
at 1M). The slowest statements of each size are listed. The last line is JSON with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import tempfile
import time

from mediaground.catalog.sqlite.schema import MIGRATIONS, SCHEMA_V1, split_script

_TOUCHED = ("assets", "versions", "paths", "fts", "unknown_terms")


def _synthetic(path: str, n: int, before: int) -> None:
    db = sqlite3.connect(path)
    for stmt in split_script(SCHEMA_V1):
        db.execute(stmt)
    for version in range(2, before + 1):
        for stmt in split_script(MIGRATIONS[version]):
            db.execute(stmt)
    aid = "a{:023d}".format
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    has_place = "lat" in {row[1] for row in db.execute("PRAGMA table_info(assets)")}
    place = ", lat, lon" if has_place else ""
    with db:
        db.executemany(
            "INSERT INTO assets(asset_id, kind, id_basis, id_method, essence_sha256, current_sha256, metadata,"
            f" date_created, added_at, updated_at{place}) VALUES (?,?,?,?,?,?,?,?,?,?{',?,?' if has_place else ''})",
            ((aid(i), "image", "essence", "jpeg-scan", f"e{i}", f"s{i:063d}", '{"caption": "a harbour at dawn"}',
              "2020-01-01", "now", "now", *((50.0 + i * 1e-6, 4.0) if has_place else ())) for i in range(n)))
        db.executemany("INSERT INTO versions(file_sha256, asset_id, size, store_path, first_seen) VALUES (?,?,?,?,?)",
                       ((f"{c}{i:063d}", aid(i), 1, "store/x", "now") for c, step in (("s", 1), ("t", 10))
                        for i in range(0, n, step)))
        db.executemany(
            "INSERT INTO paths(path, asset_id, file_sha256, size, mtime_ns, current, first_seen, last_seen)"
            " VALUES (?,?,?,?,?,?,?,?)",
            ((f"/{c}/{i}.jpg", aid(i), f"{c}{i:063d}", 1, 1, 1, "now", "now") for c, step in (("s", 1), ("t", 10))
             for i in range(0, n, step)))
        if "fts" not in tables:
            db.close()
            return
        db.executemany(
            "INSERT INTO fts(asset_id, title, caption, keywords, labels, creator, place, filename, other)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            ((aid(i), "", "a harbour at dawn", "boats", "dock", "Ana", "Leuven", f"{i}.jpg", "") for i in range(n)))
        if "unknown_terms" in tables:
            db.executemany("INSERT INTO unknown_terms(asset_id, field, term, seen_at) VALUES (?,?,?,?)",
                           ((aid(i), "keywords", "zz", "now") for i in range(0, n, 5)))
    db.close()


def _scan(path: str) -> float:
    db = sqlite3.connect(path)
    start = time.perf_counter()
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in (t for t in _TOUCHED if t in tables):
        for _ in db.execute(f"SELECT * FROM {table}"):  # noqa: S608 (fixed names)
            pass
    took = time.perf_counter() - start
    db.close()
    return took


def _migrate(path: str, to: int) -> tuple[float, list[tuple[float, str]]]:
    db = sqlite3.connect(path)
    steps = []
    start = time.perf_counter()
    with db:
        for stmt in split_script(MIGRATIONS[to]):
            t0 = time.perf_counter()
            db.execute(stmt)
            steps.append((time.perf_counter() - t0, " ".join(stmt.split())[:80]))
    took = time.perf_counter() - start
    db.close()
    return took, sorted(steps, reverse=True)[:3]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--to", type=int, default=max(MIGRATIONS))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="mg-migration-") as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            path = os.path.join(tmp, f"catalog-{n}.sqlite")
            _synthetic(path, n, args.to - 1)
            scan = _scan(path)
            took, slowest = _migrate(path, args.to)
            rows.append({"assets": n, "migrate_s": round(took, 3), "scan_s": round(scan, 3),
                         "ratio": round(took / scan, 2) if scan else None,
                         "slowest": [{"s": round(s, 3), "statement": text} for s, text in slowest]})
            os.remove(path)
            print(f"{n:>9} assets  migrate {took:8.2f} s  scan {scan:7.2f} s  ratio {took / scan:6.1f}")
            for s, text in slowest:
                print(f"{'':>17}{s:8.2f} s  {text}")
    print(json.dumps({"benchmark": "catalog_migration", "to": args.to, "sizes": rows}))


if __name__ == "__main__":
    main()
