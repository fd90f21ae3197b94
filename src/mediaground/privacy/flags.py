"""Flags a person sets on assets (catalog table ``asset_flags``), and what makes an asset private.

An asset is **private** when

* it carries the ``private`` flag (``mediaground mark REF --private``), or
* one of its files' keywords is ``private`` (compared case-insensitively, whole keyword), unless a
  person marked it ``public`` (``mediaground mark REF --public``), which overrides the keyword.

Private assets get a ``gps-on-private`` finding in the PII audit when they hold a position, and
their sanitized exports never carry GPS, whatever ``--gps`` says.
"""

from __future__ import annotations

import re
from typing import Any

from mediaground.catalog import Catalog
from mediaground.errors import AssetNotFoundError, MediagroundError

__all__ = ["PRIVATE", "PUBLIC", "set_flag", "flags", "private_reason", "is_private", "private_assets"]

PRIVATE = "private"
PUBLIC = "public"
_FLAG = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")


def _check(catalog: Catalog, asset_id: str, flag: str) -> None:
    if not _FLAG.fullmatch(flag or ""):
        raise MediagroundError(f"bad flag {flag!r}: use lower-case letters, digits, '-' or '_'")
    if catalog.assets.get(asset_id) is None:
        raise AssetNotFoundError(f"no asset with ID {asset_id!r}")


def set_flag(catalog: Catalog, asset_id: str, flag: str, on: bool = True) -> None:
    """Set (or with on=False clear) one flag on an asset. Setting ``private`` clears ``public`` and
    the other way round: the two are one switch."""
    _check(catalog, asset_id, flag)
    opposite = {PRIVATE: PUBLIC, PUBLIC: PRIVATE}.get(flag)
    with catalog.transaction():
        if on:
            catalog.flags.set(asset_id, flag, replaces=[opposite] if opposite else [])
        else:
            catalog.flags.clear(asset_id, flag)


def flags(catalog: Catalog, asset_id: str) -> list[str]:
    """The asset's flags, sorted."""
    return catalog.flags.of(asset_id)


def _keywords(md: dict[str, Any]) -> list[str]:
    return [k for k in md.get("keywords") or [] if isinstance(k, str)]


def private_reason(catalog: Catalog, asset_id: str, metadata: dict[str, Any] | None = None) -> str | None:
    """Why the asset is private ("flag" or "keyword"), or None when it is not. `metadata`: the
    record of the one file in question; by default every file of the asset is looked at."""
    have = set(flags(catalog, asset_id))
    if PRIVATE in have:
        return "flag"
    if PUBLIC in have:
        return None
    records = [metadata] if metadata is not None else [f.metadata for f in catalog.files.of_asset(asset_id)]
    if any(k.strip().casefold() == PRIVATE for md in records for k in _keywords(md)):
        return "keyword"
    return None


def is_private(catalog: Catalog, asset_id: str, metadata: dict[str, Any] | None = None) -> bool:
    return private_reason(catalog, asset_id, metadata) is not None


def private_assets(catalog: Catalog) -> dict[str, str]:
    """asset_id -> reason for every private asset in the library."""
    out: dict[str, str] = {}
    for file in catalog.files.iter():
        if file.asset_id not in out:
            reason = private_reason(catalog, file.asset_id, file.metadata)
            if reason:
                out[file.asset_id] = reason
    return out
