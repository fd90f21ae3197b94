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
from mediaground.index.base import VectorIndex, text_chunk_id
from mediaground.ingest.embed import BatchVectors
from mediaground.ingest.extract import Prepared, extracted, known_version
from mediaground.ingest.identify import Seen, look, rename_source, retire_missing, touch
from mediaground.ingest.normalize import Normalizer
from mediaground.ingest.scan import Skipped, scan
from mediaground.ingest.write import forget_retired, store_originals, text_vectors, write_batch
from mediaground.media.sniff import FORMATS
from mediaground.progress import Progress, ProgressFn
from mediaground.spaces.active import ActiveSpaces
from mediaground.store.content import ContentStore


SKIP_REASONS = frozenset({"not-media"})  # recorded like a quarantine (so an unchanged file is not read
#                                          again) but reported as skipped: it is not an error ...
# ... unless its name says it is media of a kind we read: then it is mislabelled (or broken), and
# quarantined. (The names of the formats media.sniff recognises by their content: each format's
# own, and the other names its files go by.)
MEDIA_SUFFIXES = frozenset({f".{fmt}" for fmt in FORMATS} | set(
    ".jpg .jpe .mpo .tif .heif .j2k .oga .opus .ogv .spx .aif .m4v .3gp".split()))


def _skipped(path: str, reason: str) -> bool:
    return reason in SKIP_REASONS and Path(path).suffix.lower() not in MEDIA_SUFFIXES


@dataclass
class IngestReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    renamed: int = 0
    quarantined: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)  # not media, not a file, a name we cannot store
    missing: int = 0  # known paths under the scanned folders whose files are gone
    unknown_terms: int | None = None  # with a taxonomy.yaml: keywords/genres it does not know (reported)
    spaces_behind: list[str] = field(default_factory=list)  # added/shadow spaces the catch-up could not fill

    def to_dict(self) -> dict:
        out = {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
               "renamed": self.renamed, "quarantined": self.quarantined, "skipped": self.skipped,
               "missing": self.missing}
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
        self._claimed: set[int] = set()  # file records a rename in this run already continues
        self._counted: dict[str, str] = {}  # path → the report counter a queued file was counted in

    # --- entry point ------------------------------------------------------------------------
    def run(self, inputs: Iterable[str | os.PathLike], progress: ProgressFn | None = None) -> IngestReport:
        inputs = list(inputs)
        skipped: list[Skipped] = []
        files = list(scan(inputs, exclude=[self.root], skipped=skipped))
        self.report.skipped += [s.to_dict() for s in skipped]
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
                tick(path, "unchanged")
            elif seen.status == "quarantined":
                tick(path, self._report_quarantined(path, seen.reason, seen.detail))
            elif seen.status == "unreadable":
                tick(path, self._quarantine(path, seen.reason, seen.detail, None, seen.size, seen.mtime_ns))
            elif seen.status == "known":
                tick(path, self._known(seen))
            else:
                new.append((path, seen.sha256, seen.size, seen.mtime_ns))

        for prepared in extracted(new, self.spaces.image_model.preprocessor, self.workers):
            tick(prepared.path, self._handle(prepared))
        self._flush()
        retired = retire_missing(self.catalog, inputs, set(files))
        forget_retired(self.catalog, self.index, self.spaces, [f.asset_id for f in retired])
        self.report.missing = len(retired)
        for role in PRIMARY_ROLES:  # the spaces this ingest wrote to
            if (space := self.catalog.spaces.active(role)) is not None:
                self.index.optimize(space.space_id)
        return self.report

    def _known(self, seen: Seen) -> str:
        """Bytes the catalog has read: a touched file, a rename, a copy, or a path that now holds
        another known version. Only the catalog, the full text and (for a copy) a text vector change."""
        record, version = seen.record, seen.version
        if record is not None and record.current and record.file_sha256 == seen.sha256:
            touch(self.catalog, seen)
            self.report.unchanged += 1
            return "unchanged"
        asset = self.catalog.assets.get(version.asset_id)
        source = rename_source(self.catalog, seen, self._claimed) if record is None else None
        if source is not None:
            self._claimed.add(source.file_id)
        if source is not None:
            status = "renamed"
        elif record is not None and record.file_sha256 != seen.sha256:
            status = "updated"
        else:
            status = "unchanged"  # a copy (or a file back where it was): its asset did not change
        self._queue(known_version(seen.path, seen.size, seen.mtime_ns, version, asset,
                                  source.file_id if source else None), status)
        return status

    def _report_quarantined(self, path: str, reason: str, detail: str) -> str:
        entry = {"path": path, "reason": reason, "detail": detail}
        if _skipped(path, reason):
            self.report.skipped.append(entry)
            return "skipped"
        self.report.quarantined.append(entry)
        return "quarantined"

    def _quarantine(self, path, reason, detail, sha, size, mtime_ns) -> str:
        if not os.path.lexists(path):  # gone since the scan, whatever reading it then said: nothing to
            self.report.skipped.append({"path": path, "reason": "vanished", "detail": detail})
            return "skipped"  # remember; it is read again when it is back
        with self.catalog.transaction():
            self.catalog.quarantine.put(path, reason, detail, sha, size, mtime_ns)
        return self._report_quarantined(path, reason, detail)

    # --- one extracted file -----------------------------------------------------------------
    def _handle(self, prep: Prepared) -> str:
        if prep.error:
            return self._quarantine(prep.path, prep.error[0], prep.error[1], prep.file_sha256, prep.size,
                                    prep.mtime_ns)
        existing = self.catalog.assets.get(prep.asset_id) is not None or any(
            p.asset_id == prep.asset_id for p in self._batch)
        copy = any(p.file_sha256 == prep.file_sha256 for p in self._batch)  # a copy found in this run
        status = "unchanged" if copy else "updated" if existing else "added"
        self._queue(prep, status)
        return status

    def _queue(self, prep: Prepared, status: str) -> None:
        """Count the file under `status` and add it to the batch (written when the batch is full)."""
        self._count(status, +1)
        self._counted[prep.path] = status
        self._batch.append(prep)
        if len(self._batch) >= self.batch_size:
            self._flush()

    def _count(self, status: str, delta: int) -> None:
        setattr(self.report, status, getattr(self.report, status) + delta)

    # --- the batch: normalize, embed (while the store copies), write -----------------------------
    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if not batch:
            return
        self.spaces.text_space  # the pin is checked before any work on the batch
        existing = self.catalog.assets.get_many(list(dict.fromkeys(p.asset_id for p in batch)))
        self.normalizer.normalize(batch)
        # copy originals into the store in a thread while the models run (fsync waits, not CPU)
        with ThreadPoolExecutor(1) as io_thread:
            stored = io_thread.submit(store_originals, self.store, batch)
            vectors, undecodable = self._embed(batch, existing)
            store_paths, failed = stored.result()
        # a file that vanished or changed since it was hashed: quarantine it, keep the rest; no
        # size/mtime recorded, so the next run retries it
        bad = [(p, "changed-during-ingest", reason, None, None) for p, reason in failed]
        bad += [(p, "undecodable-audio", reason, p.size, p.mtime_ns) for p in batch for a, reason in undecodable
                if p.asset_id == a]
        for p, why, detail, size, mtime_ns in bad:
            self._count(self._counted.pop(p.path), -1)
            self._quarantine(p.path, why, detail, p.file_sha256, size, mtime_ns)
        if bad:
            gone_paths = {p.path for p, *_ in bad}
            batch = [p for p in batch if p.path not in gone_paths]
            kept_assets, kept_versions = {p.asset_id for p in batch}, {p.file_sha256 for p in batch}
            vectors.drop_assets({p.asset_id for p, *_ in bad if p.asset_id not in kept_assets | set(existing)})
            vectors.drop_chunks([text_chunk_id(p.asset_id, p.file_sha256) for p, *_ in bad
                                 if p.file_sha256 not in kept_versions])
        unknown = write_batch(self.catalog, self.index, self.spaces, batch, existing, vectors, store_paths,
                              self.normalizer.vocabulary)
        for p in batch:
            del self._counted[p.path]
        if self.report.unknown_terms is not None:
            self.report.unknown_terms += unknown

    def _embed(self, batch: list[Prepared], existing: dict[str, Asset]) -> tuple[BatchVectors, list]:
        """The image model on new images only (an updated file has the same essence: same pixels),
        the speech model on new recordings (audio files and the sound of videos), once per asset;
        the text model on the words of each version that are new or changed."""
        vectors = BatchVectors()
        first: dict[str, Prepared] = {}
        for p in batch:
            if p.asset_id not in existing and not p.known:
                first.setdefault(p.asset_id, p)
        new = list(first.values())
        vectors.add_images(self.spaces, [(p.asset_id, p.kind, p.pixels) for p in new
                                         if p.kind == "image" and p.pixels is not None])
        undecodable = vectors.add_audio(self.spaces, [(p.asset_id, p.kind, p.path) for p in new
                                                      if p.kind in ("audio", "video")])
        text_vectors(self.catalog, self.spaces,
                     [(p.asset_id, p.kind, p.file_sha256, p.document.text) for p in batch], vectors)
        return vectors, undecodable
