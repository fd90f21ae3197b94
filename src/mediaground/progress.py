"""Progress of long work, reported to whoever shows it (a progress bar, a log, nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable


@dataclass
class Progress:
    total: int
    done: int
    path: str       # the file (or asset) just handled
    status: str     # added | updated | unchanged | renamed | quarantined | embedded


ProgressFn = Callable[[Progress], None]
