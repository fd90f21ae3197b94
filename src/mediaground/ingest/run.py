"""Ingest, top to bottom: scan → identify → extract (in workers) → normalize → embed → write.

`Ingestor.run` walks the inputs (`scan`), settles what the catalog already knows (`identify`),
extracts new content in worker processes (`extract`), and handles the rest in batches: each batch
is normalized (`normalize`), embedded (`embed`) while its originals are copied into the store, and
written in one catalog transaction (`write`). Files that fail at any step are quarantined with
their reason and the batch goes on.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from mediaground.catalog import PRIMARY_ROLES, Asset, Catalog
from mediaground.index.base import VectorIndex
from mediaground.ingest.embed import BatchVectors
from mediaground.ingest.extract import Prepared, extracted
from mediaground.ingest.identify import look, record_known, retire_missing
from mediaground.ingest.normalize import Normalizer
from mediaground.ingest.scan import scan
from mediaground.ingest.write import store_originals, text_vectors, write_batch
from mediaground.progress import Progress, ProgressFn
from mediaground.spaces.active import ActiveSpaces
from mediaground.store.content import ContentStore


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


class Ingestor:
    def __init__(self, catalog: Catalog, index: VectorIndex, store: ContentStore, spaces: ActiveSpaces,
                 library_root: Path, workers: int | None = None, batch_size: int | None = None) -> None:
        self.catalog, self.index, self.store, self.spaces = catalog, index, store, spaces
        self.root = Path(library_root)
        self.workers = min(2, os.cpu_count() or 1) if workers is None else workers
        self.batch_size = batch_size or spaces.image_model.batch_size
        self.report = IngestReport()
        self.normalizer = Normalizer(self.root)
        if self.normalizer.vocabulary is not None:
            self.report.unknown_terms = 0
        self._batch: list[Prepared] = []
        self._batch_assets: set[str] = set()

    # --- entry point ------------------------------------------------------------------------
    def run(self, inputs: Iterable[str | os.PathLike], progress: ProgressFn | None = None) -> IngestReport:
        inputs = list(inputs)
        files = [str(p) for p in scan(inputs, exclude=[self.root])]
        total, done = len(files), 0

        def tick(path: str, status: str) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(Progress(total, done, path, status))

        new = []
        for path in files:
            seen = look(self.catalog, path)
            if seen.status == "unchanged":
                self.report.unchanged += 1
            elif seen.status == "quarantined":
                self.report.quarantined.append({"path": path, "reason": seen.reason, "detail": seen.detail})
            elif seen.status == "unreadable":
                self._quarantine(path, seen.reason, seen.detail, None, seen.size, seen.mtime_ns)
            elif seen.status == "known":
                status = self._known(path, seen.sha256, seen.asset_id, seen.size, seen.mtime_ns)
                tick(path, status)
                continue
            else:
                new.append((path, seen.sha256, seen.size, seen.mtime_ns))
                continue
            tick(path, "quarantined" if seen.status == "unreadable" else seen.status)

        for prepared in extracted(new, self.spaces.image_model.preprocessor, self.workers):
            tick(prepared.path, self._handle(prepared))
        self._flush()
        self.report.missing = retire_missing(self.catalog, inputs, set(files))
        for role in PRIMARY_ROLES:  # the spaces this ingest wrote to
            if (space := self.catalog.spaces.active(role)) is not None:
                self.index.optimize(space.space_id)
        return self.report

    def _known(self, path: str, sha: str, asset_id: str, size: int, mtime_ns: int) -> str:
        status = record_known(self.catalog, path, sha, asset_id, size, mtime_ns)
        if status == "renamed":
            self.report.renamed += 1
        else:
            self.report.unchanged += 1
        return status

    def _quarantine(self, path, reason, detail, sha, size, mtime_ns) -> None:
        with self.catalog.transaction():
            self.catalog.quarantine.put(path, reason, detail, sha, size, mtime_ns)
        self.report.quarantined.append({"path": path, "reason": reason, "detail": detail})

    # --- one extracted file -----------------------------------------------------------------
    def _handle(self, prep: Prepared) -> str:
        if prep.error:
            self._quarantine(prep.path, prep.error[0], prep.error[1], prep.file_sha256, prep.size, prep.mtime_ns)
            return "quarantined"
        if prep.asset_id in self._batch_assets:
            self._flush()  # a second file of an asset still in the batch: write the first one
            version = self.catalog.files.version(prep.file_sha256)
            if version is not None:  # an identical copy
                return self._known(prep.path, prep.file_sha256, prep.asset_id, prep.size, prep.mtime_ns)
        existing = self.catalog.assets.get(prep.asset_id) is not None
        self._batch.append(prep)
        self._batch_assets.add(prep.asset_id)
        self._count(existing, +1)
        if len(self._batch) >= self.batch_size:
            self._flush()
        return "updated" if existing else "added"

    def _count(self, existing: bool, delta: int) -> None:
        if existing:
            self.report.updated += delta
        else:
            self.report.added += delta

    # --- the batch: normalize, embed (while the store copies), write -----------------------------
    def _flush(self) -> None:
        batch, self._batch, self._batch_assets = self._batch, [], set()
        if not batch:
            return
        self.spaces.text_space  # the pin is checked before any work on the batch
        existing = self.catalog.assets.get_many([p.asset_id for p in batch])
        self.normalizer.normalize(batch)
        # copy originals into the store in a thread while the models run (fsync waits, not CPU)
        with ThreadPoolExecutor(1) as io_thread:
            stored = io_thread.submit(store_originals, self.store, batch)
            vectors, undecodable = self._embed(batch, existing)
            store_paths, failed = stored.result()
        by_id = {p.asset_id: p for p in batch}
        # a file that vanished or changed since it was hashed: quarantine it, keep the rest; no
        # size/mtime recorded, so the next run retries it
        bad = [(p, "changed-during-ingest", reason, None, None) for p, reason in failed]
        bad += [(by_id[a], "undecodable-audio", reason, by_id[a].size, by_id[a].mtime_ns) for a, reason in undecodable]
        for p, why, detail, size, mtime_ns in bad:
            self._count(p.asset_id in existing, -1)
            self._quarantine(p.path, why, detail, p.file_sha256, size, mtime_ns)
        if bad:
            gone = {p.asset_id for p, *_ in bad}
            batch = [p for p in batch if p.asset_id not in gone]
            vectors.drop_assets(gone)
        unknown = write_batch(self.catalog, self.index, self.spaces, batch, {p.asset_id: existing.get(p.asset_id)
                              for p in batch}, vectors, store_paths, self.normalizer.vocabulary)
        if self.report.unknown_terms is not None:
            self.report.unknown_terms += unknown

    def _embed(self, batch: list[Prepared], existing: dict[str, Asset]) -> tuple[BatchVectors, list]:
        """The image model on new images only (an updated file has the same essence: same pixels),
        the speech model on new recordings (audio files and the sound of videos), the text model on
        documents that are new or changed."""
        vectors = BatchVectors()
        new = [p for p in batch if p.asset_id not in existing]
        vectors.add_images(self.spaces, [(p.asset_id, p.kind, p.pixels) for p in new
                                         if p.kind == "image" and p.pixels is not None])
        undecodable = vectors.add_audio(self.spaces, [(p.asset_id, p.kind, p.path) for p in new
                                                      if p.kind in ("audio", "video")])
        text_vectors(self.catalog, self.spaces, [(p.asset_id, p.kind, p.document.text) for p in batch], vectors)
        return vectors, undecodable
