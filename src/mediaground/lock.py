"""One writer at a time per library: a second ingest/reindex/migration is refused, not mixed."""

from __future__ import annotations

import fcntl
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from mediaground.errors import MediagroundError

LOCK_FILE = ".write.lock"


@contextmanager
def write_lock(library_root: Path) -> Iterator[None]:
    with open(Path(library_root) / LOCK_FILE, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise MediagroundError(f"another mediaground process is writing to {library_root}; "
                                   "wait for it to finish") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
