"""Helpers the SQLite repositories share: placeholders, batched IN lists, JSON columns."""

from __future__ import annotations

import json
import sqlite3
from typing import Any, Iterator, Sequence

# SQLite caps host parameters per statement (32766 since 3.32, 999 before); stay far below.
IN_BATCH = 500


def marks(n: int) -> str:
    return ",".join("?" * n)


def batches(items: Sequence[Any], size: int = IN_BATCH) -> Iterator[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def rows_in(db: sqlite3.Connection, sql: str, ids: Sequence[Any], args: Sequence[Any] = ()) -> Iterator[sqlite3.Row]:
    """Run `sql` (with one `{in}` where the IN list goes, after `args`) over `ids` in batches."""
    for part in batches(list(ids)):
        yield from db.execute(sql.format(**{"in": marks(len(part))}), (*args, *part))


def kinds_clause(kinds: Sequence[str] | None, column: str = "kind", joiner: str = " WHERE ") -> tuple[str, tuple]:
    if not kinds:
        return "", ()
    return f"{joiner}{column} IN ({marks(len(kinds))})", tuple(kinds)


def dumps(obj: Any) -> str:
    """JSON as the catalog stores it: keys sorted, UTF-8 kept, anything else as str."""
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def loads(text: str | None) -> Any:
    return json.loads(text or "{}")
