"""Flags a person sets on assets (catalog table ``asset_flags``), and what makes an asset private.

An asset is **private** when

* it carries the ``private`` flag (``mediaground mark REF --private``), or
* one of its keywords is ``private`` (compared case-insensitively, whole keyword), unless a person
  marked it ``public`` (``mediaground mark REF --public``), which overrides the keyword.

Private assets get a ``gps-on-private`` finding in the PII audit when they hold a position, and
their sanitized exports never carry GPS, whatever ``--gps`` says.
"""

from __future__ import annotations

import json
import re
from typing import Any

from mediaground.catalog.db import now
from mediaground.errors import AssetNotFoundError, MediagroundError

__all__ = ["PRIVATE", "PUBLIC", "set_flag", "flags", "private_reason", "is_private", "private_assets"]

PRIVATE = "private"
PUBLIC = "public"
_FLAG = re.compile(r"[a-z0-9][a-z0-9_\-]{0,63}")


def _check(lib, asset_id: str, flag: str) -> None:
    if not _FLAG.fullmatch(flag or ""):
        raise MediagroundError(f"bad flag {flag!r}: use lower-case letters, digits, '-' or '_'")
    if lib.catalog.asset_row(asset_id) is None:
        raise AssetNotFoundError(f"no asset with ID {asset_id!r}")


def set_flag(lib, asset_id: str, flag: str, on: bool = True) -> None:
    """Set (or with on=False clear) one flag on an asset. Setting ``private`` clears ``public`` and
    the other way round: the two are one switch."""
    _check(lib, asset_id, flag)
    opposite = {PRIVATE: PUBLIC, PUBLIC: PRIVATE}.get(flag)
    with lib.catalog.transaction() as db:
        if on:
            db.execute("INSERT OR IGNORE INTO asset_flags(asset_id, flag, set_at) VALUES (?,?,?)",
                       (asset_id, flag, now()))
            if opposite:
                db.execute("DELETE FROM asset_flags WHERE asset_id=? AND flag=?", (asset_id, opposite))
        else:
            db.execute("DELETE FROM asset_flags WHERE asset_id=? AND flag=?", (asset_id, flag))


def flags(lib, asset_id: str) -> list[str]:
    """The asset's flags, sorted."""
    rows = lib.catalog.db.execute("SELECT flag FROM asset_flags WHERE asset_id=? ORDER BY flag", (asset_id,))
    return [r[0] for r in rows]


def _keywords(md: dict[str, Any]) -> list[str]:
    return [k for k in md.get("keywords") or [] if isinstance(k, str)]


def private_reason(lib, asset_id: str, metadata: dict[str, Any] | None = None) -> str | None:
    """Why the asset is private ("flag" or "keyword"), or None when it is not."""
    have = set(flags(lib, asset_id))
    if PRIVATE in have:
        return "flag"
    if PUBLIC in have:
        return None
    if metadata is None:
        row = lib.catalog.asset_row(asset_id)
        metadata = json.loads(row["metadata"] or "{}") if row is not None else {}
    if any(k.strip().casefold() == PRIVATE for k in _keywords(metadata)):
        return "keyword"
    return None


def is_private(lib, asset_id: str, metadata: dict[str, Any] | None = None) -> bool:
    return private_reason(lib, asset_id, metadata) is not None


def private_assets(lib) -> dict[str, str]:
    """asset_id -> reason for every private asset in the library."""
    out: dict[str, str] = {}
    for row in lib.catalog.db.execute("SELECT asset_id, metadata FROM assets ORDER BY asset_id"):
        reason = private_reason(lib, row[0], json.loads(row[1] or "{}"))
        if reason:
            out[row[0]] = reason
    return out
