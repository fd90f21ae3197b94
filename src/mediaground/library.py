"""The Library: the public Python API. It opens the stores, wires the steps, and holds no SQL and
no pipeline logic of its own.

A library is one folder: the catalog (`catalog.sqlite`, the truth), `store/` (originals,
content-addressed) and `vectors/` (derived, rebuildable with `reindex`). Work that writes takes the
library's write lock: a second writer is refused, never mixed.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any, Iterable, Iterator

from mediaground.audit import Report, audit_alt_text, audit_geo, audit_labels, audit_pii
from mediaground.catalog import Catalog, FileRecord, catalog_exists, open_catalog
from mediaground.describe import describe, spaces_by_id
from mediaground.editing import edit_file
from mediaground.errors import AssetNotFoundError, LibraryNotFoundError, MediagroundError
from mediaground.index.lance import LanceIndex
from mediaground.ingest.renormalize import renormalize
from mediaground.ingest.run import IngestReport, Ingestor
from mediaground.lock import write_lock
from mediaground.lookup import resolve, resolve_asset
from mediaground.maintenance import mark_settled, reconcile, writes_in_flight
from mediaground.metadata.edits import parse_edits
from mediaground.models.registry import canonical_spec
from mediaground.progress import ProgressFn
from mediaground.search.engine import search
from mediaground.search.query import Query
from mediaground.search.results import Result
from mediaground.spaces import migrate as lifecycle
from mediaground.spaces.active import DEFAULTS, ActiveSpaces
from mediaground.spaces.doctor import Problem, doctor, spaces_report
from mediaground.spaces.fill import Filler
from mediaground.spaces.reindex import reindex
from mediaground.store.content import ContentStore
from mediaground.taxonomy.normalize import install_vocabulary
from mediaground.taxonomy.vocab import Vocabulary
from mediaground.util import now

MIGRATION_REPORTS = "migrations"


class Library:
    def __init__(self, root: Path, catalog: Catalog) -> None:
        self.root = root
        self.catalog = catalog
        self.store = ContentStore(root, link=catalog.settings.get("link") or "copy")
        self.index = LanceIndex(root / "vectors")
        self.spaces = ActiveSpaces(catalog)
        self.filler = Filler(catalog, self.index, self.store, self.spaces)

    # --- opening ----------------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | os.PathLike, text_model: str = DEFAULTS["text"], image_model: str = DEFAULTS["image"],
               audio_model: str = DEFAULTS["audio"], link: str = "copy") -> "Library":
        root = Path(root).expanduser().resolve()
        if catalog_exists(root):
            raise FileExistsError(f"a library already exists at {root}")
        specs = {"text": canonical_spec(text_model), "image": canonical_spec(image_model),
                 "audio": canonical_spec(audio_model)}
        if link not in {"copy", "hardlink"}:
            raise ValueError("link must be 'copy' or 'hardlink'")
        root.mkdir(parents=True, exist_ok=True)
        catalog = open_catalog(root)
        with catalog.transaction():
            for role, spec in specs.items():
                catalog.settings.set(f"{role}_model", spec)
            catalog.settings.set("link", link)
            mark_settled(catalog)
        return cls(root, catalog)

    @classmethod
    def open(cls, root: str | os.PathLike, create: bool = False, **create_opts: Any) -> "Library":
        root = Path(root).expanduser().resolve()
        if not catalog_exists(root):
            if create:
                return cls.create(root, **create_opts)
            raise LibraryNotFoundError(f"no library at {root} (create one with `mediaground index PATH --library {root}`)")
        return cls(root, open_catalog(root))

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def writing(self):
        """One writer at a time: a second ingest/reindex on the same library is refused, not mixed."""
        return write_lock(self.root)

    @contextmanager
    def _writing_vectors(self) -> Iterator[None]:
        """The write lock, for work that writes store objects or vectors beside the catalog: what an
        interrupted run of such work left behind is reconciled first (see maintenance)."""
        with self.writing(), writes_in_flight(self.catalog, self.index, self.store):
            yield

    # --- ingest -----------------------------------------------------------------------------
    def ingest(self, inputs: Iterable[str | os.PathLike], progress: ProgressFn | None = None,
               workers: int | None = None) -> IngestReport:
        with self._writing_vectors():
            ingestor = Ingestor(self.catalog, self.index, self.store, self.spaces, self.root, workers=workers)
            report = ingestor.run(inputs, progress)
            try:
                self.catch_up()  # added and shadow spaces get the new assets too
            except MediagroundError as exc:  # e.g. an added model's folder is gone: the ingest itself
                report.spaces_behind.append(str(exc))  # is committed; say so, `doctor` says what to do
            return report

    def edit_metadata(self, ref: str, pairs: dict[str, str] | None = None, *, edits: dict[str, Any] | None = None,
                      dry_run: bool = False, force: bool = False, all_files: bool = False) -> dict[str, Any]:
        """Write tags to a file (atomic, verified), then re-ingest it when the library knows it: the
        asset ID stays, the new bytes become a new version, the stored original is never touched.

        `ref` a path: exactly that file (one the library does not know is written too, and left
        out of the library). `ref` an asset ID: its current file; an asset carried by several files
        is refused with their paths, unless `all_files` writes them all.
        `pairs` are strings as typed (`{"gps": "36.77,-6.35"}`); `edits` are already parsed;
        `force` rewrites fields whose merged value is already right (see write_metadata)."""
        edits = edits if edits is not None else parse_edits(pairs or {})
        asset_id, targets = self._edit_targets(ref, all_files)
        results = []
        for path, record in targets:
            fmt, kind = self._format_of(record)
            if dry_run:
                result = edit_file(path, edits, dry_run=True, fmt=fmt, kind=kind)
            else:
                with self.writing():
                    result = edit_file(path, edits, force=force, fmt=fmt, kind=kind)
                if result["changes"] and record is not None:
                    self.ingest([path], workers=0)
                    if self.resolve(path) != record.asset_id:  # write_metadata checks the essence
                        raise MediagroundError(f"writing tags changed the asset ID of {path}")
                    with self.writing(), self.catalog.transaction():  # the edit itself, in the file's history
                        self.catalog.history.log(record.asset_id, "tags-written", path=path, file_id=record.file_id,
                                                 fields=[c["field"] for c in result["changes"]],
                                                 **({"repaired": result["repaired"]} if result["repaired"] else {}))
            results.append({**result, "file_id": record.file_id if record else None})
        if len(results) == 1:
            return {"asset_id": asset_id, **results[0]}
        return {"asset_id": asset_id, "path": None, "dry_run": dry_run, "files": results,
                "changes": [{**c, "path": r["path"]} for r in results for c in r["changes"]],
                "repaired": [f"{r['path']}: {note}" for r in results for note in r["repaired"]]}

    def _edit_targets(self, ref: str, all_files: bool) -> tuple[str | None, list[tuple[str, FileRecord | None]]]:
        path = Path(ref).expanduser()
        if path.is_file():
            resolved = str(path.resolve())
            record = self.catalog.files.path(resolved)
            record = record if record is not None and record.current else None
            return (record.asset_id if record else None), [(resolved, record)]
        asset_id = self.resolve(ref)
        files = [f for f in self.catalog.files.of_asset(asset_id) if f.current and os.path.exists(f.path)]
        if not files:
            raise AssetNotFoundError(f"asset {asset_id} has no file on disk to write to (its originals stay in the store)")
        if len(files) > 1 and not all_files:
            raise MediagroundError(
                f"asset {asset_id} is carried by {len(files)} files, each with its own tags: "
                + ", ".join(f.path for f in files)
                + "; name the file to write, or write them all with --all-files")
        return asset_id, [(f.path, f) for f in files]

    def _format_of(self, record: FileRecord | None) -> tuple[str | None, str | None]:
        if record is None:
            return None, None  # read from the file
        asset = self.catalog.assets.get(record.asset_id)
        return asset.format, asset.kind

    def apply_vocabulary(self, vocab: Vocabulary) -> dict[str, int]:
        """Install `vocab` as the library's taxonomy.yaml (see `taxonomy_path`) and apply it to every
        record (files are not touched); added and shadow spaces catch up. Returns counts:
        {"assets", "changed", "reembedded", "unknown_terms"}."""
        with self._writing_vectors():
            install_vocabulary(self.root, vocab)
            counts = renormalize(self.catalog, self.index, self.spaces, vocab)
            if counts["changed"]:
                self.catch_up()
        return counts

    # --- search and read --------------------------------------------------------------------
    def search(self, text: str | None = None, *, image: str | os.PathLike | None = None,
               audio: str | os.PathLike | None = None, asset: str | None = None, kind: str | None = None,
               date_from: str | None = None, date_to: str | None = None, near: tuple[float, float] | None = None,
               radius_km: float | None = None, bbox: tuple[float, float, float, float] | None = None,
               creator: str | None = None, keyword: str | None = None, license: str | None = None,
               has_gps: bool | None = None, limit: int = 10) -> list[Result]:
        return search(self.catalog, self.index, self.spaces,
                      Query(text=text, image=str(image) if image else None, audio=str(audio) if audio else None,
                            asset=asset, kind=kind, date_from=date_from, date_to=date_to, near=near,
                            radius_km=radius_km, bbox=bbox, creator=creator, keyword=keyword, license=license,
                            has_gps=has_gps, limit=limit))

    def resolve(self, ref: str) -> str:
        """An asset ID (or unique prefix of one) or a file path → asset ID."""
        return resolve_asset(self.catalog, ref)

    def describe_files(self) -> Iterator[dict[str, Any]]:
        """`show` of every file that stands for its asset (current ones; the last seen of an asset
        whose files are gone), in asset order: what `export jsonld` publishes."""
        spaces = spaces_by_id(self.catalog)  # one read for the whole export, not one per file
        for file in self.catalog.files.iter():
            yield describe(self.catalog, file.asset_id, file, spaces)

    def show(self, ref: str) -> dict[str, Any]:
        """An asset ID: the asset and all its files. A path: that file (and the asset it carries)."""
        found = resolve(self.catalog, ref)
        return describe(self.catalog, found.asset_id, found.file)

    AUDITS = ("alt-text", "geo", "labels", "pii")

    def audit(self, name: str, **options: Any) -> Report:
        """A governance audit of the library, worst findings first: "alt-text", "geo", "labels" or
        "pii" (options as the audit function takes them)."""
        if name == "alt-text":
            return audit_alt_text(self.catalog, self.index, self.spaces, **options)
        if name == "geo":
            return audit_geo(self.catalog, **options)
        if name == "labels":
            return audit_labels(self.catalog, self.root, **options)
        if name == "pii":
            return audit_pii(self.catalog, self.store, **options)
        raise MediagroundError(f"no audit named {name[:80]!r}; known: {', '.join(self.AUDITS)}")

    def stats(self) -> dict[str, Any]:
        counts = self.catalog.vectors.counts()
        return {"root": str(self.root), "assets": self.catalog.assets.count(),
                "by_kind": self.catalog.assets.count_by_kind(), "quarantined": self.catalog.quarantine.count(),
                "spaces": [{**s.to_dict(), "vectors": counts.get(s.space_id, 0)} for s in self.catalog.spaces.all()],
                "at": now()}

    # --- spaces -----------------------------------------------------------------------------
    def reindex(self, progress: ProgressFn | None = None, space: str | None = None) -> dict[str, int]:
        """Re-embed from the stored originals and the catalog: every active space, or one space
        (any status but retired) with `space=` — the same vectors again, from the pinned spec."""
        with self._writing_vectors():
            if space is not None:
                return self.filler.fill(self.spaces.resolve(space), progress, rebuild=True)
            return reindex(self.filler, progress)

    def catch_up(self, progress: ProgressFn | None = None) -> dict[str, int]:
        """Fill added and shadow spaces with the assets they lack (after an ingest, or to resume)."""
        lifecycle.finish_pending(self.catalog, self.index, self.spaces)
        return self.filler.catch_up(progress)

    def migrate(self, spec: str, role: str | None = None, queries: list[str] | None = None,
                progress: ProgressFn | None = None) -> dict[str, Any]:
        """Build (or resume) the shadow space for a model spec and write its drift report."""
        with self._writing_vectors():
            return lifecycle.migrate(self.filler, spec, role, queries, progress, self.root / MIGRATION_REPORTS)

    def activate(self, ref: str, force: bool = False) -> dict[str, Any]:
        with self._writing_vectors():
            return lifecycle.activate(self.filler, ref, force)

    def rollback(self, role: str = "image") -> dict[str, Any]:
        with self._writing_vectors():
            return lifecycle.rollback(self.catalog, self.index, self.spaces, role)

    def retire(self, ref: str | None = None) -> list[str]:
        with self._writing_vectors():
            return lifecycle.retire(self.catalog, self.index, self.spaces, ref)

    def finish_pending(self) -> int:
        """Finish an interrupted space switch (label bridges of a new image space)."""
        with self._writing_vectors():
            return lifecycle.finish_pending(self.catalog, self.index, self.spaces)

    def spaces_report(self, today: date | str | None = None) -> list[dict[str, Any]]:
        return spaces_report(self.catalog, today)

    def doctor(self, today: date | str | None = None) -> list[Problem]:
        return doctor(self.catalog, self.index, today)

    def reconcile(self) -> dict[str, int]:
        """Remove what a crash may have left behind: vectors and store objects the catalog lacks.
        Work that writes them runs this itself when the last such work was interrupted."""
        with self.writing():  # never beside a writer: its objects and vectors are not committed yet
            removed = reconcile(self.catalog, self.index, self.store)
            with self.catalog.transaction():
                mark_settled(self.catalog)
        return removed

