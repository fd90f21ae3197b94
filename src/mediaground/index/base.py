"""The vector index interface. The embedded default is LanceDB; a distributed engine (Milvus)
can implement the same methods. One collection per pinned space: spaces never share an index.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import numpy as np


@dataclass
class VectorRow:
    chunk_id: str          # "<asset_id>:<part>" (audio/video windows add their index)
    asset_id: str
    part: str              # image | labels | text | ...
    kind: str              # asset kind, for prefiltering
    vector: np.ndarray
    runtime: str
    start: float | None = None
    end: float | None = None


@dataclass
class Hit:
    chunk_id: str
    asset_id: str
    part: str
    score: float           # cosine similarity
    start: float | None
    end: float | None


class VectorIndex(ABC):
    @abstractmethod
    def upsert(self, space_id: str, dim: int, rows: Sequence[VectorRow]) -> None:
        """Insert or replace rows by chunk_id (idempotent: re-running a batch makes no duplicates)."""

    @abstractmethod
    def delete(self, space_id: str, chunk_ids: Sequence[str]) -> None: ...

    @abstractmethod
    def search(self, space_id: str, vector: np.ndarray, limit: int, kinds: Sequence[str] | None = None,
               asset_ids: Sequence[str] | None = None, parts: Sequence[str] | None = None) -> list[Hit]: ...

    @abstractmethod
    def get(self, space_id: str, chunk_id: str) -> np.ndarray | None: ...

    @abstractmethod
    def chunk_ids(self, space_id: str) -> set[str]: ...

    @abstractmethod
    def vectors(self, space_id: str, parts: Sequence[str] | None = None) -> tuple[list[str], list[str], np.ndarray]:
        """Every (chunk_id, asset_id, vector) of a space, for drift reports and reproducibility checks."""

    @abstractmethod
    def count(self, space_id: str) -> int: ...

    @abstractmethod
    def drop(self, space_id: str) -> None: ...

    def optimize(self, space_id: str) -> None:
        """Compact after large writes (optional)."""
