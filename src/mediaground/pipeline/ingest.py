"""Ingest orchestration: scan → skip what is known → prepare in workers → embed in batches → write.

Order of writes for each batch: originals into the content store, vectors into the index, then one
catalog transaction. The catalog commit is the point of truth: a crash before it leaves only
store objects and vectors the catalog does not know, which `reconcile` removes on the next run,
and the files are simply processed again. Vector upserts are keyed, so nothing is duplicated.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable


from mediaground.catalog.db import now
from mediaground.ids import file_sha256
from mediaground.pipeline.embed import BatchVectors, text_sha
from mediaground.pipeline.fill import forget_text
from mediaground.pipeline.prepare import Prepared, prepare
from mediaground.pipeline.scan import scan

if TYPE_CHECKING:
    from mediaground.library import Library


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    renamed: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)
    missing: int = 0  # known paths under the scanned folders whose files are gone
    unknown_terms: int | None = None  # with a taxonomy.yaml: keywords/genres it does not know (reported)
    spaces_behind: list[str] = field(default_factory=list)  # added/shadow spaces the catch-up could not fill

    def to_dict(self) -> dict:
        out = {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
               "renamed": self.renamed, "quarantined": self.quarantined, "missing": self.missing}
        if self.unknown_terms is not None:
            out["unknown_terms"] = self.unknown_terms
        if self.spaces_behind:
            out["spaces_behind"] = self.spaces_behind
        return out


@dataclass
class Progress:
    total: int
    done: int
    path: str
    status: str  # added | updated | unchanged | renamed | quarantined


ProgressFn = Callable[[Progress], None]


def place_with_geo(known: str, geo_place: dict | None) -> str:
    """The place text an asset is searched by: its tagged place plus the names its GPS resolved to."""
    if not geo_place:
        return known
    names = [n for n in (geo_place.get("city"), geo_place.get("region"), geo_place.get("country")) if n]
    extra = [n for n in names if n.lower() not in known.lower()]
    return ", ".join(filter(None, [known, *extra])) if extra else known


def text_document(searchable: dict[str, str]) -> str:
    """What an asset says about itself in words, embedded into the text space."""
    parts = [searchable.get(k, "") for k in ("title", "caption", "alt_text", "keywords", "place")]
    return ". ".join(p.strip() for p in parts if p and p.strip())


def fts_fields(prep_searchable: dict[str, str], path: str, label_names: list[str], fmt: str | None) -> dict[str, str]:
    s = prep_searchable
    stem = Path(path).stem
    return {
        "title": s.get("title", ""),
        "caption": " ".join(filter(None, [s.get("caption", ""), s.get("alt_text", "")])),
        "keywords": s.get("keywords", ""),
        "labels": "; ".join(label_names),
        "creator": " ".join(filter(None, [s.get("creator", ""), s.get("credit", ""), s.get("copyright", "")])),
        "place": s.get("place", ""),
        "filename": " ".join(stem.replace("_", " ").replace("-", " ").replace(".", " ").split()),
        "other": " ".join(filter(None, [s.get(k, "") for k in ("artist", "album", "genre", "comment")] + [fmt or ""])),
    }


class Ingestor:
    def __init__(self, library: "Library", workers: int | None = None, batch_size: int | None = None) -> None:
        self.lib = library
        self.workers = min(2, os.cpu_count() or 1) if workers is None else workers
        self.batch_size = batch_size or library.image_model.batch_size
        self.report = IngestReport()
        self._batch: list[Prepared] = []
        self._batch_assets: set[str] = set()
        from mediaground.taxonomy.normalize import IngestVocabulary

        self._vocab = IngestVocabulary.load(library)  # None without LIBRARY/taxonomy.yaml
        if self._vocab is not None:
            self.report.unknown_terms = 0

    # --- entry point ------------------------------------------------------------------------
    def run(self, inputs: Iterable[str | os.PathLike], progress: ProgressFn | None = None) -> IngestReport:
        self.lib.reconcile()
        files = list(scan(inputs, exclude=[self.lib.root]))
        total, done = len(files), 0
        cat = self.lib.catalog

        def tick(path: str, status: str) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(Progress(total, done, path, status))

        to_prepare: list[tuple[str, str, int, int]] = []
        for path in files:
            p = str(path)
            try:
                st = os.stat(p)
            except OSError as exc:
                self._quarantine_now(p, "unreadable", str(exc), None, None, None)
                tick(p, "quarantined")
                continue
            row = cat.path_row(p)
            if row and row["current"] and row["size"] == st.st_size and row["mtime_ns"] == st.st_mtime_ns:
                self.report.unchanged += 1
                tick(p, "unchanged")
                continue
            q = cat.quarantine_row(p)
            if q and q["size"] == st.st_size and q["mtime_ns"] == st.st_mtime_ns:
                self.report.quarantined.append({"path": p, "reason": q["reason"], "detail": q["detail"]})
                tick(p, "quarantined")
                continue
            try:
                sha = file_sha256(p)
            except OSError as exc:
                self._quarantine_now(p, "unreadable", str(exc), None, st.st_size, st.st_mtime_ns)
                tick(p, "quarantined")
                continue
            version = cat.version_row(sha)
            if version is not None:
                tick(p, self._known_file(p, sha, version["asset_id"], st.st_size, st.st_mtime_ns))
                continue
            to_prepare.append((p, sha, st.st_size, st.st_mtime_ns))

        for prepared in self._prepared(to_prepare):
            tick(prepared.path, self._handle(prepared))
        self._flush()
        self._retire_missing(inputs, {str(p) for p in files})
        for (space_id,) in self.lib.catalog.db.execute(  # the spaces this ingest wrote to
                "SELECT space_id FROM spaces WHERE status='active' AND role IN ('text','image','audio')").fetchall():
            self.lib.index.optimize(space_id)
        return self.report

    def _retire_missing(self, inputs: Iterable[str | os.PathLike], seen: set[str]) -> None:
        """Paths under a scanned folder that are gone stop being current (renames were found above).
        The asset, its history and its stored original stay: nothing is lost."""
        cat = self.lib.catalog
        folders = [Path(i).expanduser().resolve() for i in inputs]
        folders = [f for f in folders if f.is_dir()]
        gone = []
        for folder in folders:
            prefix = str(folder).rstrip("/") + "/"
            rows = cat.db.execute("SELECT path FROM paths WHERE current=1 AND substr(path, 1, ?) = ?",
                                  (len(prefix), prefix)).fetchall()
            gone += [r[0] for r in rows if r[0] not in seen and not os.path.exists(r[0])]
        if gone:
            with cat.transaction():
                for path in gone:
                    cat.retire_path(path)
                    cat.log(cat.path_row(path)["asset_id"], "missing", path=path)
        self.report.missing = len(gone)

    # --- known file content (rename, copy, touch) -------------------------------------------
    def _known_file(self, path: str, sha: str, asset_id: str, size: int, mtime_ns: int) -> str:
        cat = self.lib.catalog
        row = cat.path_row(path)
        with cat.transaction():
            if row is not None and row["asset_id"] == asset_id:
                cat.upsert_path(path, asset_id, sha, size, mtime_ns)
                self.report.unchanged += 1
                return "unchanged"
            gone = [r["path"] for r in cat.paths_for(asset_id) if r["current"] and not os.path.exists(r["path"])]
            for old in gone:
                cat.retire_path(old)
            cat.upsert_path(path, asset_id, sha, size, mtime_ns)
            if gone:
                cat.log(asset_id, "renamed", **{"from": gone[0], "to": path})
                self.report.renamed += 1
                return "renamed"
            cat.log(asset_id, "copy-seen", path=path)
            self.report.unchanged += 1
            return "unchanged"

    # --- preparing in workers ---------------------------------------------------------------
    def _prepared(self, jobs: list[tuple[str, str, int, int]]):
        pre = self.lib.image_model.preprocessor
        if self.workers <= 0 or len(jobs) < 4:
            for job in jobs:
                yield prepare(*job, pre)
            return
        ctx = multiprocessing.get_context("spawn")  # never fork a process that holds ORT threads
        window = max(4, self.workers * 4)
        queue = deque(jobs)
        pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
        inflight: deque[tuple[tuple, Future]] = deque()
        try:
            while queue or inflight:
                while queue and len(inflight) < window:
                    job = queue.popleft()
                    inflight.append((job, pool.submit(prepare, *job, pre)))
                job, fut = inflight.popleft()
                try:
                    yield fut.result()
                except BrokenProcessPool:
                    # A decoder crashed the worker. Retry each in-flight file alone: the one that
                    # crashes again is quarantined, the others go on.
                    pool.shutdown(cancel_futures=True)
                    retry = [job] + [j for j, _ in inflight]
                    inflight.clear()
                    for j in retry:
                        yield self._solo(j, pre, ctx)
                    pool = ProcessPoolExecutor(self.workers, mp_context=ctx)
        finally:
            pool.shutdown(cancel_futures=True)

    @staticmethod
    def _solo(job, pre, ctx) -> Prepared:
        with ProcessPoolExecutor(1, mp_context=ctx) as solo:
            try:
                return solo.submit(prepare, *job, pre).result()
            except BrokenProcessPool:
                p = Prepared(*job)
                p.error = ("crashed-decoder", "decoding this file crashed the worker process")
                return p

    # --- handling one prepared file ---------------------------------------------------------
    def _handle(self, prep: Prepared) -> str:
        if prep.error:
            self._quarantine_now(prep.path, prep.error[0], prep.error[1], prep.file_sha256, prep.size, prep.mtime_ns)
            return "quarantined"
        if prep.asset_id in self._batch_assets:
            self._flush()  # a second file of an asset still in the batch: write the first one
            if self.lib.catalog.version_row(prep.file_sha256) is not None:  # an identical copy
                return self._known_file(prep.path, prep.file_sha256, prep.asset_id, prep.size, prep.mtime_ns)
        existing = self.lib.catalog.asset_row(prep.asset_id)
        self._batch.append(prep)
        self._batch_assets.add(prep.asset_id)
        status = "updated" if existing is not None else "added"
        if existing is not None:
            self.report.updated += 1
        else:
            self.report.added += 1
        if len(self._batch) >= self.batch_size:
            self._flush()
        return status

    def _quarantine_now(self, path, reason, detail, sha, size, mtime_ns) -> None:
        with self.lib.catalog.transaction():
            self.lib.catalog.quarantine(path, reason, detail, sha, size, mtime_ns)
        self.report.quarantined.append({"path": path, "reason": reason, "detail": detail})

    # --- the batch: embed, store, index, commit ---------------------------------------------
    def _flush(self) -> None:
        batch, self._batch, self._batch_assets = self._batch, [], set()
        if not batch:
            return
        lib, cat = self.lib, self.lib.catalog
        lib.text_space  # the pin is checked before any work on the batch
        existing = {p.asset_id: cat.asset_row(p.asset_id) for p in batch}
        sources = {p.asset_id: cat.vector_sources(p.asset_id) if existing[p.asset_id] else {} for p in batch}

        self._place_names(batch)
        self._vocabulary(batch)
        # 0. copy originals into the store in a thread while the models run (fsync waits, not CPU)
        with ThreadPoolExecutor(1) as io_thread:
            stored = io_thread.submit(self._store_all, batch)
            vectors, undecodable = self._embed(batch, existing, sources)
            store_paths, failed = stored.result()
        by_id = {p.asset_id: p for p in batch}
        # a file that vanished or changed since it was hashed: quarantine it, keep the rest; no
        # size/mtime recorded, so the next run retries it
        bad = [(p, "changed-during-ingest", reason, None, None) for p, reason in failed]
        bad += [(by_id[a], "undecodable-audio", reason, by_id[a].size, by_id[a].mtime_ns) for a, reason in undecodable]
        for p, why, detail, size, mtime_ns in bad:
            self._count(p.asset_id, existing, -1)
            self._quarantine_now(p.path, why, detail, p.file_sha256, size, mtime_ns)
        if bad:
            gone = {p.asset_id for p, *_ in bad}
            batch = [p for p in batch if p.asset_id not in gone]
            vectors.drop_assets(gone)
        self._write(batch, existing, vectors, store_paths)

    @staticmethod
    def _place_names(batch: list[Prepared]) -> None:
        """Coordinates → place names (offline GeoNames), so text search finds photos that only
        have GPS. Derived names are kept apart from the embedded tags (`geo_place`)."""
        located = [(p, trusted_point(p.metadata)) for p in batch]
        located = [(p, pt) for p, pt in located if pt[0] is not None]
        if not located:
            return
        from mediaground.geo.reverse import reverse_geocode

        for (p, _), place in zip(located, reverse_geocode([pt for _, pt in located])):
            if place is None:
                continue
            p.metadata["geo_place"] = {"city": place.city, "region": place.region, "country": place.country,
                                       "country_code": place.country_code, "source": "geonames"}
            joined = place_with_geo(p.searchable.get("place", ""), p.metadata["geo_place"])
            if joined:
                p.searchable["place"] = joined

    def _vocabulary(self, batch: list[Prepared]) -> None:
        """Keywords and genre → the preferred labels of the library's vocabulary (taxonomy.yaml, if
        any); the values as read stay in the record (`keywords_raw`), unknown terms are reported in
        `_write`. Files are never changed here. See mediaground.taxonomy.normalize."""
        if self._vocab is not None:
            self._vocab.normalize(batch)

    def _store_all(self, batch: list[Prepared]) -> tuple[dict[str, str], list[tuple[Prepared, str]]]:
        paths, failed = {}, []
        for p in batch:
            try:
                paths[p.file_sha256] = self.lib.store.put(p.path, p.file_sha256)
            except OSError as exc:
                failed.append((p, str(exc)))
        return paths, failed

    def _count(self, asset_id: str, existing: dict, delta: int) -> None:
        if existing.get(asset_id) is None:
            self.report.added += delta
        else:
            self.report.updated += delta

    def _embed(self, batch: list[Prepared], existing: dict, sources: dict) -> tuple[BatchVectors, list]:
        lib, text_space = self.lib, self.lib.text_space
        # 1. image model on new images only (an updated file has the same essence: same pixels);
        #    speech model on new recordings (audio files and the sound of videos)
        vectors = BatchVectors()
        new = [p for p in batch if existing[p.asset_id] is None]
        vectors.add_images(lib, [(p.asset_id, p.kind, p.pixels) for p in new
                                 if p.kind == "image" and p.pixels is not None])
        undecodable = vectors.add_audio(lib, [(p.asset_id, p.kind, p.path) for p in new
                                              if p.kind in ("audio", "video")])

        # 2. text model on metadata text that is new or changed
        docs, stale_text = [], []
        for p in batch:
            doc = text_document(p.searchable)
            key = (f"{p.asset_id}:text", text_space.id)
            if doc and sources[p.asset_id].get(key) != text_sha(doc):
                docs.append((p.asset_id, p.kind, doc))
            elif not doc and key in sources[p.asset_id]:
                stale_text.append(key[0])
        vectors.add_documents(lib, docs)
        vectors.stale_text = stale_text
        return vectors, undecodable

    def _write(self, batch: list[Prepared], existing: dict, vectors: BatchVectors, store_paths: dict) -> None:
        lib, cat, text_space = self.lib, self.lib.catalog, self.lib.text_space
        # 3. vectors into the index (idempotent upserts; originals are already in the store)
        vectors.write_index(lib)
        lib.index.delete(text_space.id, vectors.stale_text)

        # 4. one catalog transaction makes the batch real
        label_names = lib.bridge.names
        t = now()
        with cat.transaction() as db:
            for p in batch:
                old = existing[p.asset_id]
                md_json = _json(p.metadata)
                date = p.metadata.get("date_created")
                if old is None:
                    db.execute(
                        "INSERT INTO assets(asset_id, kind, format, mime, id_basis, id_method, essence_sha256,"
                        " current_sha256, width, height, duration, date_created, metadata, added_at, updated_at,"
                        " lat, lon) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        (p.asset_id, p.kind, p.format, p.mime, p.essence.basis, p.essence.method, p.essence.sha256,
                         p.file_sha256, p.width, p.height, p.duration, date, md_json, t, t, *trusted_point(p.metadata)))
                    cat.log(p.asset_id, "added", path=p.path, file_sha256=p.file_sha256)
                else:
                    before = _loads(old["metadata"])
                    changed = sorted(k for k in set(before) | set(p.metadata) if before.get(k) != p.metadata.get(k))
                    db.execute("UPDATE assets SET current_sha256=?, metadata=?, date_created=?, format=?, mime=?,"
                               " width=COALESCE(?, width), height=COALESCE(?, height), duration=COALESCE(?, duration),"
                               " updated_at=?, lat=?, lon=? WHERE asset_id=?",
                               (p.file_sha256, md_json, date, p.format, p.mime, p.width, p.height, p.duration, t,
                                *trusted_point(p.metadata), p.asset_id))
                    cat.log(p.asset_id, "updated", path=p.path, file_sha256=p.file_sha256, changed=changed)
                    forget_text(db, [p.asset_id])  # text-embedding shadow/added spaces catch up
                cat.add_version(p.file_sha256, p.asset_id, p.size, store_paths[p.file_sha256])
                cat.upsert_path(p.path, p.asset_id, p.file_sha256, p.size, p.mtime_ns)
            vectors.record(lib)
            for p in batch:
                names = [label_names[i] for i in _label_ids(cat, lib, p.asset_id, vectors.labels)]
                cat.set_fts(p.asset_id, fts_fields(p.searchable, p.path, names, p.format))
            if self._vocab is not None:
                self.report.unknown_terms += self._vocab.record(batch)
            for chunk in vectors.stale_text:
                db.execute("DELETE FROM vectors WHERE chunk_id=? AND space_id=?", (chunk, text_space.id))


def trusted_point(metadata: dict) -> tuple[float | None, float | None]:
    """Coordinates search may rely on: in range and not the 0,0 "null island" placeholder."""
    lat, lon = metadata.get("gps_lat"), metadata.get("gps_lon")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return float(lat), float(lon)


def _label_ids(cat, lib, asset_id: str, fresh: dict) -> list[int]:
    if asset_id in fresh:
        return [i for i, _ in fresh[asset_id]]
    index = {name: i for i, name in enumerate(lib.image_model.labels)}
    return [index[name] for name, _ in cat.labels(asset_id) if name in index]


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def _loads(text: str) -> dict:
    return json.loads(text or "{}")
