"""Write tags to one file, in a library or not: the same atomic, verified write as ExifTool users
expect of `exiftool -Caption-Abstract=...`, with mediaground's field names."""

from __future__ import annotations

import os
from typing import Any, Mapping

from mediaground.metadata.write import plan, write_metadata


def edit_file(path: str | os.PathLike, edits: Mapping[str, Any], dry_run: bool = False, force: bool = False,
              fmt: str | None = None, kind: str | None = None) -> dict[str, Any]:
    """Write `edits` (parsed, see `metadata.edits.parse_edits`) into the file at `path` (or, with
    `dry_run`, say what would change). The format is read from the file when not given.

    Returns {"path", "dry_run", "changes": [{"field", "old", "new"}], "repaired": [note]}: `repaired`
    says what in the file had to be repaired for the write (an XMP packet exiv2 rejected)."""
    if dry_run:
        changes = plan(path, fmt, kind, edits)
    else:
        changes = write_metadata(path, fmt, kind, edits, force=force)
    return {"path": os.fspath(path), "dry_run": dry_run, **changes.to_dict()}
