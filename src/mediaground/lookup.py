"""Find an asset from what a person types: an asset ID, a unique prefix of one, or a file path."""

from __future__ import annotations

from pathlib import Path

from mediaground.catalog import Catalog
from mediaground.errors import AssetNotFoundError
from mediaground.ids import file_sha256

MIN_PREFIX = 6


def resolve_asset(catalog: Catalog, ref: str) -> str:
    """An asset ID (or unique prefix of one) or a file path → asset ID."""
    if catalog.assets.get(ref) is not None:
        return ref
    path = Path(ref).expanduser()
    if path.exists():
        seen = catalog.files.path(str(path.resolve()))
        if seen is not None:
            return seen.asset_id
        version = catalog.files.version(file_sha256(path))
        if version is not None:
            return version.asset_id
        raise AssetNotFoundError(f"{ref} is not in the library (index it first)")
    matches = catalog.assets.with_prefix(ref) if len(ref) >= MIN_PREFIX else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise AssetNotFoundError(f"{ref!r} matches several assets; give more characters")
    raise AssetNotFoundError(f"no asset with ID or path {ref!r}")
