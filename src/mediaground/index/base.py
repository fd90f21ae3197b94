"""The vector index interface. The embedded default is LanceDB; a distributed engine (Milvus)
can implement the same methods. One collection per pinned space: spaces never share an index.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Sequence

import numpy as np


# Text vectors embed what a file version says, so they are keyed by version: two files with the
# same bytes share one, two copies with different tags have one each. Libraries made before
# schema 5 may still hold one "<asset_id>:text" chunk per asset (the tags of its display file).
VERSION_KEY = 16  # hex digits of the version's sha256 in a text chunk id


def text_chunk_id(asset_id: str, file_sha256: str) -> str:
    return f"{asset_id}:text:{file_sha256[:VERSION_KEY]}"


def text_chunk_version(chunk_id: str) -> str | None:
    """The version key of a text chunk id (None for a pre-schema-5 asset-level text chunk)."""
    parts = chunk_id.split(":")
    return parts[2] if len(parts) == 3 and parts[1] == "text" else None


@dataclass
class VectorRow:
    chunk_id: str          # "<asset_id>:<part>" (text adds the version, windows their start)
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
