"""The Library: the public Python API. Open or create one, ingest, search, show, reindex.

A library is one folder: `catalog.sqlite` (the truth), `store/` (originals, content-addressed)
and `vectors/` (derived, rebuildable with `reindex`).
"""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable

from mediaground.catalog.db import Catalog, now
from mediaground.errors import AssetNotFoundError, LibraryNotFoundError, MediagroundError, ModelError
from mediaground.index.lance import LanceIndex
from mediaground.models.base import Embedder, ImageEmbedder, Space
from mediaground.models.bridge import LabelBridge
from mediaground.models.registry import canonical_spec, get_model
from mediaground.store.content import ContentStore

DEFAULT_TEXT_MODEL = "minilm-l6-v2"
DEFAULT_IMAGE_MODEL = "efficientnet-lite0"
DEFAULT_AUDIO_MODEL = "whisper-tiny.en"


class Library:
    def __init__(self, root: Path, catalog: Catalog) -> None:
        self.root = root
        self.catalog = catalog
        self.store = ContentStore(root, link=catalog.get_meta("link") or "copy")
        self.index = LanceIndex(root / "vectors")

    # --- opening ----------------------------------------------------------------------------
    @classmethod
    def create(cls, root: str | os.PathLike, text_model: str = DEFAULT_TEXT_MODEL,
               image_model: str = DEFAULT_IMAGE_MODEL, audio_model: str = DEFAULT_AUDIO_MODEL,
               link: str = "copy") -> "Library":
        root = Path(root).expanduser().resolve()
        if (root / "catalog.sqlite").exists():
            raise FileExistsError(f"a library already exists at {root}")
        text_id, image_id, audio_id = canonical_spec(text_model), canonical_spec(image_model), canonical_spec(audio_model)
        if link not in {"copy", "hardlink"}:
            raise ValueError("link must be 'copy' or 'hardlink'")
        root.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(root / "catalog.sqlite")
        with catalog.transaction():
            catalog.set_meta("text_model", text_id)
            catalog.set_meta("image_model", image_id)
            catalog.set_meta("audio_model", audio_id)
            catalog.set_meta("link", link)
        return cls(root, catalog)

    @classmethod
    def open(cls, root: str | os.PathLike, create: bool = False, **create_opts: Any) -> "Library":
        root = Path(root).expanduser().resolve()
        if not (root / "catalog.sqlite").exists():
            if create:
                return cls.create(root, **create_opts)
            raise LibraryNotFoundError(f"no library at {root} (create one with `mediaground index PATH --library {root}`)")
        return cls(root, Catalog(root / "catalog.sqlite"))

    def close(self) -> None:
        self.catalog.close()

    def __enter__(self) -> "Library":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- models and their pinned spaces -----------------------------------------------------
    # Three primary roles carry pipeline duties: "text" (metadata text, label bridges, transcript
    # segments), "image" (image features + labels) and "audio" (transcripts + acoustic windows).
    # Any other role is an added space (e.g. CLIP beside the defaults) that embeds what its model
    # takes. Each role has at most one active space; a migration builds a shadow space in the same
    # role, and activation swaps them (the old one becomes "previous" until it is retired).
    @cached_property
    def text_model(self) -> Embedder:
        return get_model(self.catalog.get_meta("text_model") or DEFAULT_TEXT_MODEL)

    @cached_property
    def image_model(self) -> ImageEmbedder:
        model = get_model(self.catalog.get_meta("image_model") or DEFAULT_IMAGE_MODEL)
        if not isinstance(model, ImageEmbedder):
            raise ModelError(f"{model.model_id} is not an image model")
        return model

    @cached_property
    def audio_model(self):
        model = get_model(self.catalog.get_meta("audio_model") or DEFAULT_AUDIO_MODEL)
        if "audio" not in model.inputs:
            raise ModelError(f"{model.model_id} is not an audio model")
        return model

    @cached_property
    def audio_space(self) -> Space:
        return self._pinned(self.audio_model, "audio")

    @cached_property
    def bridge(self) -> LabelBridge:
        return LabelBridge(self.image_model, self.text_model)

    @cached_property
    def text_space(self) -> Space:
        return self._pinned(self.text_model, "text")

    @cached_property
    def image_space(self) -> Space:
        return self._pinned(self.image_model, "image")

    def _pinned(self, model: Embedder, role: str) -> Space:
        """The model's space; refuse to mix vectors if its weights or preprocessing changed."""
        space = model.space()
        active = self.catalog.db.execute(
            "SELECT * FROM spaces WHERE role=? AND status='active'", (role,)).fetchone()
        if active is not None and active["space_id"] != space.id:
            raise _pin_error(role, model, active, space)
        if active is None:
            with self.catalog.transaction():
                self.catalog.ensure_space(space, role, spec=self.catalog.get_meta(f"{role}_model") or model.model_id)
        return space

    def space_row(self, space_id: str):
        row = self.catalog.db.execute("SELECT * FROM spaces WHERE space_id=?", (space_id,)).fetchone()
        if row is None:
            raise MediagroundError(f"no space {space_id!r} in this library (see `mediaground spaces`)")
        return row

    def model_for(self, space: Space | str) -> Embedder:
        """The model that made (and queries) a space, rebuilt from the spec the catalog keeps, and
        checked against the pin: a changed weight file is refused, never silently mixed."""
        row = self.space_row(space if isinstance(space, str) else space.id)
        model = get_model(row["spec"] or row["model_id"])
        current = model.space()
        if current.id != row["space_id"]:
            raise _pin_error(row["role"], model, row, current)
        return model

    def added_spaces(self) -> list[Space]:
        """Active spaces beside the primary roles (e.g. CLIP next to the bundled models)."""
        rows = self.catalog.db.execute(
            "SELECT * FROM spaces WHERE status='active' AND role NOT IN ('text','image','audio')"
            " ORDER BY created_at").fetchall()
        out = []
        for row in rows:
            self.model_for(row["space_id"])  # pin check
            out.append(Space.from_dict(dict(row)))
        return out

    def primary_spaces(self) -> list[Space]:
        """Text and image always; audio once the library holds audio vectors (so image-only
        libraries never load the speech model). Each one's pin is checked."""
        spaces = [self.text_space, self.image_space]
        if self.catalog.db.execute("SELECT 1 FROM spaces WHERE role='audio' AND status='active'").fetchone():
            spaces.append(self.audio_space)
        return spaces

    def spaces_in_use(self) -> list[Space]:
        """The primary spaces, then every added active space."""
        return self.primary_spaces() + self.added_spaces()

    def query_spaces(self, modality: str) -> list[tuple[Space, Embedder]]:
        """Active spaces that can embed a query of this modality ("text", "image" or "audio"),
        each with the model that embeds the query. Compare the query vector with the space's
        vectors through `self.index.search(space.id, ...)` (cosine)."""
        out = []
        for space in self.spaces_in_use():
            model = self.model_for(space)
            if modality in model.inputs:
                out.append((space, model))
        return out

    def forget_models(self) -> None:
        """Drop cached models/spaces after the active spaces changed (activate, rollback)."""
        for name in ("text_model", "image_model", "audio_model", "text_space", "image_space", "audio_space",
                     "bridge"):
            self.__dict__.pop(name, None)

    def repin(self) -> list[str]:
        """Accept the models as they are now: spaces whose pin no longer matches are retired (their
        vectors dropped) and the current ones become active. Only `reindex` calls this, since it
        re-embeds everything right after. Returns the retired space ids."""
        retired = []
        roles = {"text": self.text_model, "image": self.image_model}
        if self.catalog.db.execute("SELECT 1 FROM spaces WHERE role='audio'").fetchone():
            roles["audio"] = self.audio_model
        for role, model in roles.items():
            space = model.space()
            rows = self.catalog.db.execute("SELECT space_id FROM spaces WHERE role=? AND status='active'"
                                           " AND space_id != ?", (role, space.id)).fetchall()
            for (old,) in rows:
                self.index.drop(old)
                with self.catalog.transaction() as db:
                    db.execute("DELETE FROM vectors WHERE space_id=?", (old,))
                    db.execute("DELETE FROM space_assets WHERE space_id=?", (old,))
                    db.execute("UPDATE spaces SET status='retired', changed_at=? WHERE space_id=?", (now(), old))
                retired.append(old)
            with self.catalog.transaction() as db:
                self.catalog.ensure_space(space, role, spec=self.catalog.get_meta(f"{role}_model") or model.model_id)
                db.execute("UPDATE spaces SET status='active' WHERE space_id=?", (space.id,))
        for name in ("text_space", "image_space", "audio_space"):
            self.__dict__.pop(name, None)
        return retired

    # --- work -------------------------------------------------------------------------------
    @contextmanager
    def writing(self):
        """One writer at a time: a second ingest/reindex on the same library is refused, not mixed."""
        with open(self.root / ".write.lock", "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise MediagroundError(f"another mediaground process is writing to {self.root}; "
                                       "wait for it to finish") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(self, inputs: Iterable[str | os.PathLike], progress=None, workers: int | None = None):
        from mediaground.pipeline.ingest import Ingestor

        with self.writing():
            report = Ingestor(self, workers=workers).run(inputs, progress)
            try:
                self.catch_up()  # added and shadow spaces get the new assets too
            except MediagroundError as exc:  # e.g. an added model's folder is gone: the ingest itself
                report.spaces_behind.append(str(exc))  # is committed; say so, `doctor` says what to do
            return report

    def search(self, text: str | None = None, *, image: str | os.PathLike | None = None,
               audio: str | os.PathLike | None = None, asset: str | None = None, kind: str | None = None, date_from: str | None = None,
               date_to: str | None = None, near: tuple[float, float] | None = None,
               radius_km: float | None = None, bbox: tuple[float, float, float, float] | None = None,
               creator: str | None = None, keyword: str | None = None, license: str | None = None,
               has_gps: bool | None = None, limit: int = 10):
        from mediaground.search.engine import Query, search

        return search(self, Query(text=text, image=str(image) if image else None,
                                  audio=str(audio) if audio else None, asset=asset, kind=kind,
                                  date_from=date_from, date_to=date_to, near=near, radius_km=radius_km,
                                  bbox=bbox, creator=creator, keyword=keyword, license=license,
                                  has_gps=has_gps, limit=limit))

    def edit_metadata(self, ref: str, pairs: dict[str, str] | None = None, *, edits: dict[str, Any] | None = None,
                      dry_run: bool = False, force: bool = False) -> dict[str, Any]:
        """Write tags to an asset's current file (atomic, verified), then re-ingest it: the asset ID
        stays, the new file becomes a new version, the stored original is never touched.
        `pairs` are strings as typed (`{"gps": "36.77,-6.35"}`); `edits` are already parsed;
        `force` rewrites fields whose merged value is already right (see write_metadata)."""
        from mediaground.metadata.write import parse_edits, plan, write_metadata

        edits = edits if edits is not None else parse_edits(pairs or {})
        asset_id = self.resolve(ref)
        row = self.catalog.asset_row(asset_id)
        current = [p for p in self.catalog.current_paths(asset_id) if os.path.exists(p)]
        if not current:
            raise AssetNotFoundError(f"asset {asset_id} has no file on disk to write to (its originals stay in the store)")
        path = current[0]
        if dry_run:
            changes = plan(path, row["format"], row["kind"], edits)
        else:
            with self.writing():
                changes = write_metadata(path, row["format"], row["kind"], edits, force=force)
            if changes:
                self.ingest([path], workers=0)
                if self.resolve(path) != asset_id:  # write_metadata checks the essence; belt and braces
                    raise MediagroundError(f"writing tags changed the asset ID of {path}")
        return {"asset_id": asset_id, "path": path, "dry_run": dry_run,
                "changes": [c.to_dict() for c in changes]}

    def reindex(self, progress=None, space: str | None = None) -> dict[str, int]:
        """Re-embed from the stored originals and the catalog: every active space, or one space
        (any status but retired) with `space=` — the same vectors again, from the pinned spec."""
        from mediaground.pipeline.fill import fill_space
        from mediaground.pipeline.reindex import reindex

        with self.writing():
            if space is not None:
                return fill_space(self, self.resolve_space(space), progress, rebuild=True)
            self.repin()
            return reindex(self, progress)

    def resolve_space(self, ref: str) -> str:
        """A space id, a unique prefix of one, or a role name (its active space) → space id."""
        rows = self.catalog.db.execute("SELECT space_id, role, status FROM spaces").fetchall()
        exact = [r[0] for r in rows if r[0] == ref]
        if exact:
            return exact[0]
        by_role = [r[0] for r in rows if r[1] == ref and r[2] == "active"]
        if by_role:
            return by_role[0]
        prefix = [r[0] for r in rows if r[0].startswith(ref)]
        if len(prefix) == 1:
            return prefix[0]
        if prefix:
            raise MediagroundError(f"{ref!r} matches several spaces: {', '.join(prefix)}")
        raise MediagroundError(f"no space {ref!r} in this library (see `mediaground spaces`)")

    def catch_up(self, progress=None) -> dict[str, int]:
        """Fill added and shadow spaces with the assets they lack (after an ingest, or to resume)."""
        from mediaground.migration import finish_pending
        from mediaground.pipeline.fill import fill_space

        finish_pending(self)
        rows = self.catalog.db.execute(
            "SELECT space_id FROM spaces WHERE status='shadow' OR (status='active'"
            " AND role NOT IN ('text','image','audio')) ORDER BY created_at").fetchall()
        total = {"assets": 0, "vectors": 0, "failed": 0}
        for (space_id,) in rows:
            for k, v in fill_space(self, space_id, progress).items():
                total[k] = total.get(k, 0) + v
        return total

    def reconcile(self) -> dict[str, int]:
        """Remove what a crash may have left behind: vectors and store objects the catalog lacks."""
        removed_vectors = 0
        # by catalog rows, not models: cleaning up must work even when a model is missing
        for (space_id,) in self.catalog.db.execute("SELECT space_id FROM spaces WHERE status != 'retired'").fetchall():
            known = {r[0] for r in self.catalog.db.execute(
                "SELECT chunk_id FROM vectors WHERE space_id=?", (space_id,))}
            orphans = sorted(self.index.chunk_ids(space_id) - known)
            self.index.delete(space_id, orphans)
            removed_vectors += len(orphans)
        for (retired,) in self.catalog.db.execute("SELECT space_id FROM spaces WHERE status='retired'").fetchall():
            self.index.drop(retired)  # a crash between retiring a space and dropping its table
        known_objects = {r[0] for r in self.catalog.db.execute("SELECT file_sha256 FROM versions")}
        orphan_objects = self.store.all_shas() - known_objects
        for sha in orphan_objects:
            self.store.remove(sha)
        swept = self.store.sweep_incoming()
        return {"vectors": removed_vectors, "objects": len(orphan_objects), "temp_files": swept}

    # --- reading ----------------------------------------------------------------------------
    def resolve(self, ref: str) -> str:
        """An asset ID (or unique prefix of one) or a file path → asset ID."""
        cat = self.catalog
        if cat.asset_row(ref) is not None:
            return ref
        path = Path(ref).expanduser()
        if path.exists():
            row = cat.path_row(str(path.resolve()))
            if row is not None:
                return row["asset_id"]
            from mediaground.ids import file_sha256

            version = cat.version_row(file_sha256(path))
            if version is not None:
                return version["asset_id"]
            raise AssetNotFoundError(f"{ref} is not in the library (index it first)")
        matches = cat.find_asset_ids(ref) if len(ref) >= 6 else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise AssetNotFoundError(f"{ref!r} matches several assets; give more characters")
        raise AssetNotFoundError(f"no asset with ID or path {ref!r}")

    def show(self, ref: str) -> dict[str, Any]:
        asset_id = self.resolve(ref)
        row = self.catalog.asset_row(asset_id)
        paths = self.catalog.paths_for(asset_id)
        vectors = self.catalog.db.execute(
            'SELECT v.chunk_id, v.part, v.start, v."end", v.runtime, v.created_at, s.space_id, s.model_id,'
            " s.revision, s.weights_sha256, s.preprocessor_hash, s.prompt, s.dim FROM vectors v"
            " JOIN spaces s ON s.space_id = v.space_id WHERE v.asset_id=? ORDER BY v.chunk_id", (asset_id,)).fetchall()
        versions = self.catalog.db.execute(
            "SELECT file_sha256, size, store_path, first_seen FROM versions WHERE asset_id=? ORDER BY first_seen",
            (asset_id,)).fetchall()
        return {
            "asset_id": asset_id,
            "id_basis": row["id_basis"],
            "id_method": row["id_method"],
            "essence_sha256": row["essence_sha256"],
            "kind": row["kind"],
            "format": row["format"],
            "mime": row["mime"],
            "width": row["width"],
            "height": row["height"],
            "duration": row["duration"],
            "paths": [p["path"] for p in paths],
            "current_paths": [p["path"] for p in paths if p["current"]],
            "file_sha256": row["current_sha256"],
            "metadata": json.loads(row["metadata"]),
            "labels": [{"label": lab, "score": round(s, 4)} for lab, s in self.catalog.labels(asset_id)],
            "audio": self.catalog.audio_info(asset_id),
            "transcript": self.catalog.segments(asset_id),
            "vectors": [dict(v) for v in vectors],
            "versions": [dict(v) for v in versions],
            "provenance": self.catalog.provenance(asset_id),
            "added_at": row["added_at"],
            "updated_at": row["updated_at"],
        }

    def stats(self) -> dict[str, Any]:
        cat = self.catalog
        kinds = dict(cat.db.execute("SELECT kind, COUNT(*) FROM assets GROUP BY kind").fetchall())
        return {"root": str(self.root), "assets": cat.count("assets"), "by_kind": kinds,
                "quarantined": cat.count("quarantine"), "spaces": cat.spaces(), "at": now()}


def _pin_error(role: str, model: Embedder, pinned, current: Space) -> ModelError:
    return ModelError(
        f"the {role} model {model.model_id} no longer matches the pinned space {pinned['space_id']} "
        f"(weights sha256 {pinned['weights_sha256'][:12]}… vs {current.weights_sha256[:12]}…, "
        f"preprocessor {pinned['preprocessor_hash']} vs {current.preprocessor_hash}); "
        "its vectors would not be comparable. Restore the pinned weights, or re-embed with "
        "`mediaground reindex` (or stage it: `mediaground migrate --to MODEL`).")
