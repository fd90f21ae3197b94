"""Find what a person means: an asset ID, a unique prefix of one, or a file path.

An asset ID names the essence (and all its files); a path names one file. `resolve` says which.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mediaground.catalog import Catalog, FileRecord
from mediaground.errors import AssetNotFoundError
from mediaground.ids import file_sha256

MIN_PREFIX = 6


@dataclass(frozen=True)
class Ref:
    asset_id: str
    file: FileRecord | None = None  # a path was given: the file record at it (None for a copy the
    #                                 library has not seen at that path yet)
    path: str | None = None         # the path given, resolved


def resolve(catalog: Catalog, ref: str) -> Ref:
    if catalog.assets.get(ref) is not None:
        return Ref(ref)
    path = Path(ref).expanduser()
    if path.exists():
        resolved = str(path.resolve())
        record = catalog.files.path(resolved)
        if record is not None:
            return Ref(record.asset_id, record, resolved)
        version = catalog.versions.get(file_sha256(path))
        if version is not None:
            return Ref(version.asset_id, None, resolved)
        raise AssetNotFoundError(f"{ref} is not in the library (index it first)")
    return Ref(resolve_id(catalog, ref, "no asset with ID or path"))


def resolve_id(catalog: Catalog, ref: str, not_found: str = "no asset with ID") -> str:
    """An asset ID or a unique prefix of one (MIN_PREFIX characters or more) → asset ID; never a
    path. Otherwise AssetNotFoundError, saying `not_found` and the ref."""
    if catalog.assets.get(ref) is not None:
        return ref
    matches = catalog.assets.with_prefix(ref) if len(ref) >= MIN_PREFIX else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise AssetNotFoundError(f"{ref!r} matches several assets; give more characters")
    raise AssetNotFoundError(f"{not_found} {ref!r}")


def resolve_asset(catalog: Catalog, ref: str) -> str:
    """An asset ID (or unique prefix of one) or a file path → asset ID."""
    return resolve(catalog, ref).asset_id
