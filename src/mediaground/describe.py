"""Everything the library knows about one asset, as one JSON-friendly dict (`mediaground show`):
its record, the files and versions that carry it, labels, transcript, vectors with the pinned
space that made each one, and its history."""

from __future__ import annotations

from typing import Any

from mediaground.catalog import Catalog
from mediaground.errors import AssetNotFoundError


def describe(catalog: Catalog, asset_id: str) -> dict[str, Any]:
    asset = catalog.assets.get(asset_id)
    if asset is None:
        raise AssetNotFoundError(f"no asset with ID {asset_id!r}")
    files = catalog.files.of_asset(asset_id)
    spaces = {r.space_id: r for r in catalog.spaces.all()}
    audio = catalog.audio.info(asset_id)
    return {
        "asset_id": asset_id,
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
        "file_sha256": asset.current_sha256,
        "metadata": asset.metadata,
        "labels": [{"label": lab, "score": round(s, 4)} for lab, s in catalog.labels.of(asset_id)],
        "audio": audio.to_dict() if audio else None,
        "transcript": [s.to_dict() for s in catalog.audio.segments(asset_id)],
        "vectors": [_vector(v, spaces[v.space_id]) for v in catalog.vectors.of_asset(asset_id) if v.space_id in spaces],
        "versions": [{"file_sha256": v.file_sha256, "size": v.size, "store_path": v.store_path,
                      "first_seen": v.first_seen} for v in catalog.files.versions_of(asset_id)],
        "provenance": catalog.history.of(asset_id),
        "added_at": asset.added_at,
        "updated_at": asset.updated_at,
    }


def _vector(v, s) -> dict[str, Any]:
    return {"chunk_id": v.chunk_id, "part": v.part, "start": v.start, "end": v.end, "runtime": v.runtime,
            "created_at": v.created_at, "space_id": s.space_id, "model_id": s.space.model_id,
            "revision": s.space.revision, "weights_sha256": s.space.weights_sha256,
            "preprocessor_hash": s.space.preprocessor_hash, "prompt": s.space.prompt, "dim": s.space.dim}
