"""Everything the library knows about one asset — or one file of it — as one JSON-friendly dict
(`mediaground show`): the essence, the file described (its path and what its tags say), the other
files that carry the same content, labels, transcript, vectors with the pinned space that made
each one, and the history.

`show PATH` describes that file; `show ASSET_ID` describes the asset through its display file
(a current one, else the one seen last) and lists every file with its own record.
"""

from __future__ import annotations

from typing import Any, Mapping

from mediaground.catalog import Catalog, FileRecord, SpaceRecord
from mediaground.errors import AssetNotFoundError

NOT_READ = ("an older mediaground did not keep what this file's tags say; "
            "run `mediaground index` on its folder to read them")


def spaces_by_id(catalog: Catalog) -> dict[str, SpaceRecord]:
    """The catalog's spaces by id: what `describe` cites each vector's pinned space from."""
    return {r.space_id: r for r in catalog.spaces.all()}


def describe(catalog: Catalog, asset_id: str, file: FileRecord | None = None,
             spaces: Mapping[str, SpaceRecord] | None = None) -> dict[str, Any]:
    """`spaces`: `spaces_by_id(catalog)`, read once by a caller that describes many files."""
    asset = catalog.assets.get(asset_id)
    if asset is None:
        raise AssetNotFoundError(f"no asset with ID {asset_id!r}")
    files = catalog.files.of_asset(asset_id)  # the display file first (see Files.of_asset)
    described = file or (files[0] if files else None)
    spaces = spaces if spaces is not None else spaces_by_id(catalog)
    audio = catalog.audio.info(asset_id)
    out: dict[str, Any] = {
        "asset_id": asset_id,
        "file_id": described.file_id if described else None,
        "path": described.path if described else None,
        "described": "file" if file is not None else "asset",
        "id_basis": asset.id_basis,
        "id_method": asset.id_method,
        "essence_sha256": asset.essence_sha256,
        "kind": asset.kind,
        "format": asset.format,
        "mime": asset.mime,
        "width": asset.width,
        "height": asset.height,
        "duration": asset.duration,
        "paths": [f.path for f in files],
        "current_paths": [f.path for f in files if f.current],
        "file_sha256": described.file_sha256 if described else asset.current_sha256,
        "metadata": described.metadata if described else {},
        "files": [_file(f, with_metadata=file is None) for f in files],
        "labels": [{"label": lab, "score": round(s, 4)} for lab, s in catalog.labels.of(asset_id)],
        "audio": audio.to_dict() if audio else None,
        "transcript": [s.to_dict() for s in catalog.audio.segments(asset_id)],
        "vectors": [_vector(v, spaces[v.space_id]) for v in catalog.vectors.of_asset(asset_id) if v.space_id in spaces],
        "versions": [{"file_sha256": v.file_sha256, "size": v.size, "store_path": v.store_path,
                      "first_seen": v.first_seen, "metadata_known": v.metadata is not None}
                     for v in catalog.versions.of_asset(asset_id)],
        "provenance": catalog.history.of(asset_id),
        "added_at": asset.added_at,
        "updated_at": asset.updated_at,
    }
    if described is not None and not described.metadata_known:
        out["warnings"] = [NOT_READ]
    return out


def _file(f: FileRecord, with_metadata: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"file_id": f.file_id, "path": f.path, "current": f.current,
                           "file_sha256": f.file_sha256, "first_seen": f.first_seen, "last_seen": f.last_seen}
    if with_metadata:
        out["metadata"] = f.metadata
        if not f.metadata_known:
            out["warnings"] = [NOT_READ]
    return out


def _vector(v, s) -> dict[str, Any]:
    return {"chunk_id": v.chunk_id, "part": v.part, "start": v.start, "end": v.end, "runtime": v.runtime,
            "created_at": v.created_at, "space_id": s.space_id, "model_id": s.space.model_id,
            "revision": s.space.revision, "weights_sha256": s.space.weights_sha256,
            "preprocessor_hash": s.space.preprocessor_hash, "prompt": s.space.prompt, "dim": s.space.dim}
