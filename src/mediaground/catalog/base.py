"""The catalog interface: every question and every write the rest of mediaground puts to the
catalog, named for what it means. An implementation (SQLite today, PostgreSQL next) owns all of
its SQL and its dialect (full-text query syntax, JSON functions, upserts); nothing above this
interface sees a statement, a row or a connection.

Writes are grouped by the caller in `Catalog.transaction()`: the commit is the point of truth
(ingest writes originals and vectors first, then one transaction makes a batch real). Methods that
write say so; call them inside a transaction.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Collection, Iterable, Iterator, Mapping, Sequence

from mediaground.catalog.records import (
    Asset, AssetFilter, AudioInfo, FileRecord, FillResult, Quarantined, Segment, SpaceRecord, UnknownTerm,
    Version, VectorRecord,
)
from mediaground.models.base import Space

# The full-text columns of an asset's searchable document, in ranking-weight order.
FTS_COLUMNS = ("title", "caption", "keywords", "labels", "creator", "place", "filename", "other")


class Settings(ABC):
    """Library-wide settings (models for a new library, store link mode, pending repairs)."""

    @abstractmethod
    def get(self, key: str) -> str | None: ...

    @abstractmethod
    def set(self, key: str, value: str) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...


class Assets(ABC):
    """One record per essence: what the model sees. What files say lives with `Versions`/`Files`."""

    @abstractmethod
    def get(self, asset_id: str) -> Asset | None: ...

    @abstractmethod
    def get_many(self, asset_ids: Sequence[str]) -> dict[str, Asset]:
        """The assets that exist among `asset_ids`, in one round trip."""

    @abstractmethod
    def with_prefix(self, prefix: str, limit: int = 3) -> list[str]:
        """Asset IDs starting with `prefix` (at most `limit`)."""

    @abstractmethod
    def add(self, asset: Asset) -> None:
        """Write: a new asset."""

    @abstractmethod
    def update(self, asset: Asset) -> None:
        """Write: a known asset seen in another version (its current version, format, size);
        width/height/duration keep their old values where the new ones are None."""

    @abstractmethod
    def iter(self, kinds: Sequence[str] | None = None, batch: int = 1000) -> Iterator[Asset]:
        """Every asset (of these kinds) in asset ID order, read in pages so a caller may write
        between pages."""

    @abstractmethod
    def ids(self, kinds: Sequence[str] | None = None) -> list[str]: ...

    @abstractmethod
    def count(self, kinds: Sequence[str] | None = None) -> int: ...

    @abstractmethod
    def count_by_kind(self) -> dict[str, int]: ...


class Versions(ABC):
    """File contents (by whole-file sha256) kept in the content store, and what each one says."""

    @abstractmethod
    def get(self, file_sha256: str) -> Version | None: ...

    @abstractmethod
    def of_asset(self, asset_id: str) -> list[Version]:
        """Oldest first."""

    @abstractmethod
    def shas(self) -> set[str]:
        """Every stored version (what the content store must hold)."""

    @abstractmethod
    def add(self, version: Version) -> None:
        """Write: a version kept in the content store; a known one gets the record if it had none."""

    @abstractmethod
    def set_record(self, file_sha256: str, metadata: Mapping[str, Any], date_created: str | None,
                   lat: float | None, lon: float | None) -> None:
        """Write: a re-normalized record (the bytes did not change; a vocabulary did)."""

    @abstractmethod
    def iter_known(self, batch: int = 1000) -> Iterator[Version]:
        """Every version whose record is known, in sha order, read in pages."""


class Files(ABC):
    """Files: where assets were seen on disk, each its own record (see `FileRecord`)."""

    @abstractmethod
    def path(self, path: str) -> FileRecord | None: ...

    @abstractmethod
    def get(self, file_id: int) -> FileRecord | None: ...

    @abstractmethod
    def of_asset(self, asset_id: str) -> list[FileRecord]:
        """Current files first, then most recently seen, then the newest record (file id). The
        first is the asset's display file: every list of an asset's files keeps this order, and
        `display_path` is its first path."""

    @abstractmethod
    def of_assets(self, asset_ids: Sequence[str]) -> dict[str, list[FileRecord]]:
        """`of_asset` for many assets in one round trip."""

    @abstractmethod
    def searchable(self, asset_ids: Sequence[str]) -> dict[str, list[FileRecord]]:
        """The files whose words stand for each asset in search (a full-text document, the text
        vector of their version, the filters): its current files — or, once they are all gone,
        the ones it had last (nothing is lost). Current first."""

    @abstractmethod
    def unlist(self, file_ids: Sequence[int]) -> None:
        """Write: these files no longer stand for their asset in search (see `searchable`); a file
        seen again (`seen`, `move`) stands again."""

    @abstractmethod
    def of_version(self, file_sha256: str) -> list[FileRecord]: ...

    @abstractmethod
    def current_paths(self, asset_id: str) -> list[str]:
        """In `of_asset` order."""

    @abstractmethod
    def display_path(self, asset_id: str) -> str | None:
        """Where to point a person: the path of the asset's display file (the first of `of_asset`:
        a current path, else the last place the asset was seen)."""

    @abstractmethod
    def display_paths(self, asset_ids: Sequence[str]) -> dict[str, str]:
        """`display_path` for many assets in one round trip."""

    @abstractmethod
    def current_under(self, folder_prefix: str) -> list[str]:
        """Current paths that start with `folder_prefix` (a folder path ending in '/')."""

    @abstractmethod
    def seen(self, path: str, asset_id: str, file_sha256: str, size: int, mtime_ns: int) -> int:
        """Write: the file at `path` holds this version now (and is no longer quarantined); returns
        its file id (a path keeps its id whatever it holds)."""

    @abstractmethod
    def move(self, file_id: int, path: str, size: int, mtime_ns: int) -> None:
        """Write: a file was renamed; its record (id, history, words) follows it to `path`, which
        no other record holds."""

    @abstractmethod
    def retire(self, path: str) -> None:
        """Write: the path no longer holds the file (its record stays as history)."""

    @abstractmethod
    def iter(self, kinds: Sequence[str] | None = None, batch: int = 1000) -> Iterator[FileRecord]:
        """Every searchable file (see `searchable`) of assets of these kinds, in asset ID then file
        id order, read in pages."""

    @abstractmethod
    def filter(self, f: AssetFilter) -> list[tuple[int, str, float | None, float | None]]:
        """(file_id, asset_id, lat, lon) of the searchable files the filter admits."""

    @abstractmethod
    def any_located(self) -> bool: ...

    @abstractmethod
    def newest_first(self, file_ids: Sequence[int]) -> list[tuple[int, str, str]]:
        """(file_id, asset_id, kind) of these files, newest creation date first."""


class Quarantine(ABC):
    """Files that could not be indexed, with the reason."""

    @abstractmethod
    def put(self, path: str, reason: str, detail: str, file_sha256: str | None, size: int | None,
            mtime_ns: int | None) -> None:
        """Write."""

    @abstractmethod
    def get(self, path: str) -> Quarantined | None: ...

    @abstractmethod
    def count(self) -> int: ...


class History(ABC):
    """What happened to each asset (provenance)."""

    @abstractmethod
    def log(self, asset_id: str, event: str, **detail: Any) -> None:
        """Write."""

    @abstractmethod
    def log_many(self, asset_ids: Iterable[str], event: str, **detail: Any) -> None:
        """Write: the same event for many assets."""

    @abstractmethod
    def of(self, asset_id: str) -> list[dict[str, Any]]:
        """[{"event", "at", **detail}] oldest first."""


class Spaces(ABC):
    """Pinned embedding spaces and their lifecycle (shadow → active → previous → retired)."""

    @abstractmethod
    def get(self, space_id: str) -> SpaceRecord | None: ...

    @abstractmethod
    def all(self) -> list[SpaceRecord]:
        """Oldest first."""

    @abstractmethod
    def active(self, role: str) -> SpaceRecord | None: ...

    @abstractmethod
    def active_added(self) -> list[SpaceRecord]:
        """Active spaces beside the primary roles, oldest first."""

    @abstractmethod
    def with_status(self, status: str, role: str | None = None) -> list[SpaceRecord]:
        """Most recently changed first."""

    @abstractmethod
    def has_role(self, role: str, status: str | None = None) -> bool: ...

    @abstractmethod
    def role_of_model(self, model_id: str) -> str | None:
        """The role whose active space has this model, if any."""

    @abstractmethod
    def add(self, space: Space, role: str, spec: str, status: str = "active", replaces: str | None = None) -> None:
        """Write: pin a space (a space already pinned is left as it is)."""

    @abstractmethod
    def make_shadow(self, space_id: str, role: str, spec: str, replaces: str | None) -> None:
        """Write: resume a shadow, or bring a previous or retired space back as one."""

    @abstractmethod
    def activate(self, role: str, space_id: str, demote_to: str = "previous") -> str | None:
        """Write: make `space_id` the active space of `role`; the one it replaces becomes
        `demote_to` (a rolled-back space goes back to shadow and replaces the restored one).
        Returns the space that was active."""

    @abstractmethod
    def set_active(self, space_id: str) -> None:
        """Write: mark a space active (after `retire` of the space it supersedes, on repin)."""

    @abstractmethod
    def retire(self, space_id: str) -> None:
        """Write: forget a space's vectors and fill progress and mark it retired (its pin stays
        as history). The caller drops its vectors from the index after the commit."""


class Vectors(ABC):
    """Which vectors exist in which space (the vector index holds the floats)."""

    @abstractmethod
    def record(self, rows: Iterable[VectorRecord]) -> None:
        """Write: insert, or refresh the runtime and source of a known chunk."""

    @abstractmethod
    def delete(self, space_id: str, chunk_ids: Sequence[str]) -> None:
        """Write."""

    @abstractmethod
    def delete_space(self, space_id: str) -> None:
        """Write: every vector record of a space (a rebuild starts from none)."""

    @abstractmethod
    def source(self, chunk_id: str, space_id: str) -> str | None: ...

    @abstractmethod
    def of_asset(self, asset_id: str, space_id: str | None = None) -> list[VectorRecord]:
        """In chunk_id order."""

    @abstractmethod
    def chunk_ids(self, space_id: str, asset_ids: Sequence[str] | None = None) -> set[str]: ...

    @abstractmethod
    def counts(self) -> dict[str, int]:
        """Vectors recorded per space."""

    @abstractmethod
    def count(self, space_id: str) -> int: ...

    @abstractmethod
    def parts(self, space_id: str) -> dict[str, int]:
        """How many vectors of each part (image, labels, text, ...) a space holds."""

    @abstractmethod
    def assets_in_both(self, space_a: str, space_b: str) -> list[str]:
        """Assets with vectors in both spaces, in asset ID order."""

    @abstractmethod
    def coverage(self, space_id: str, kinds: Sequence[str] | None) -> tuple[int, int]:
        """(assets of these kinds, those with at least one vector in the space)."""


class Fills(ABC):
    """Which assets a space has been filled with, or why not: what makes filling resumable."""

    @abstractmethod
    def pending(self, space_id: str, kinds: Sequence[str] | None) -> list[Asset]:
        """Assets of these kinds the space has not been filled with, in asset ID order."""

    @abstractmethod
    def count_pending(self, space_id: str, kinds: Sequence[str] | None) -> int: ...

    @abstractmethod
    def done(self, space_id: str, results: Iterable[FillResult]) -> None:
        """Write."""

    @abstractmethod
    def clear(self, space_id: str) -> None:
        """Write: start the space's fill over."""

    @abstractmethod
    def forget_text(self, asset_ids: Sequence[str]) -> None:
        """Write: these assets' words changed; spaces that embed text fill them again."""

    @abstractmethod
    def failures(self, space_id: str) -> list[tuple[str, str]]:
        """(asset_id, error) in asset ID order."""

    @abstractmethod
    def failed_assets(self, space_ids: Sequence[str]) -> int:
        """How many assets failed in any of these spaces."""


class Labels(ABC):
    """Labels an image model gave each asset, per image space."""

    @abstractmethod
    def set(self, asset_id: str, space_id: str, labels: Iterable[tuple[str, float]]) -> None:
        """Write: replace the asset's labels in that space."""

    @abstractmethod
    def of(self, asset_id: str) -> list[tuple[str, float]]:
        """Best first, from one image space: the active one if it labelled the asset, else the
        newest space that did (a library migrated to a model without labels keeps its words)."""

    @abstractmethod
    def of_many(self, asset_ids: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
        """`of` for many assets in one round trip."""

    @abstractmethod
    def all(self) -> Iterator[tuple[str, str, float]]:
        """(asset_id, label, score) of every space."""

    @abstractmethod
    def most_common(self, n: int) -> list[str]: ...


class FullText(ABC):
    """The full-text path over each file's searchable document (see metadata.document)."""

    @abstractmethod
    def set(self, file_id: int, asset_id: str, fields: Mapping[str, str]) -> None:
        """Write: replace the file's document (columns: FTS_COLUMNS)."""

    @abstractmethod
    def delete(self, file_ids: Sequence[int]) -> None:
        """Write: the files no longer stand for their asset in search."""

    @abstractmethod
    def fields(self, file_id: int) -> dict[str, str]: ...

    @abstractmethod
    def fields_of_many(self, file_ids: Sequence[int]) -> dict[int, dict[str, str]]: ...

    @abstractmethod
    def search(self, words: Sequence[str], all_words: bool, limit: int, file_ids: Collection[int] | None = None,
               kinds: Sequence[str] | None = None) -> list[tuple[int, str, float]]:
        """(file_id, asset_id, score) of documents that mention every word (or any, with all_words
        False) as a word prefix; best first. Words are plain words, never query syntax. Only the
        files among `file_ids` and of assets of `kinds` (when given) count: the best `limit` of them."""


class Audio(ABC):
    """What decoding and transcription found for each recording, and its transcript segments."""

    @abstractmethod
    def set(self, info: AudioInfo, segments: Sequence[Segment]) -> None:
        """Write: replace a recording's analysis and transcript."""

    @abstractmethod
    def info(self, asset_id: str) -> AudioInfo | None: ...

    @abstractmethod
    def infos(self, asset_ids: Sequence[str]) -> dict[str, AudioInfo]: ...

    @abstractmethod
    def segments(self, asset_id: str) -> list[Segment]:
        """In time order."""

    @abstractmethod
    def segments_by_id(self, chunk_ids: Sequence[str]) -> dict[str, Segment]: ...

    @abstractmethod
    def has_segments(self) -> bool: ...

    @abstractmethod
    def search(self, words: Sequence[str], all_words: bool, limit: int, asset_ids: Collection[str] | None = None,
               kinds: Sequence[str] | None = None) -> list[tuple[str, str, float]]:
        """(asset_id, chunk_id, score) of segments that say every word (or any); best first. Only
        the assets among `asset_ids` and of `kinds` (when given) count: the best `limit` of them."""


class Terms(ABC):
    """Keywords and genres the vocabulary did not know (reported, never silently kept)."""

    @abstractmethod
    def replace(self, file_id: int, asset_id: str, terms: Iterable[tuple[str, str]], seen_at: str) -> None:
        """Write: the file's unknown (field, term) pairs."""

    @abstractmethod
    def replace_all(self, terms: Iterable[tuple[int, str, str, str]], seen_at: str) -> None:
        """Write: every (file_id, asset_id, field, term) of the library."""

    @abstractmethod
    def all(self) -> list[UnknownTerm]:
        """Oldest first."""


class Ocr(ABC):
    """Text read inside images, cached per file version and engine."""

    @abstractmethod
    def get(self, file_sha256: str) -> tuple[str, str] | None:
        """(engine, text)."""

    @abstractmethod
    def put(self, file_sha256: str, engine: str, text: str) -> None:
        """Write."""


class Flags(ABC):
    """Flags a person sets on assets (e.g. private)."""

    @abstractmethod
    def set(self, asset_id: str, flag: str, replaces: Sequence[str] = ()) -> None:
        """Write: set `flag`, clearing the flags it `replaces` (e.g. private clears public)."""

    @abstractmethod
    def clear(self, asset_id: str, flag: str) -> None:
        """Write."""

    @abstractmethod
    def of(self, asset_id: str) -> list[str]:
        """Sorted."""


class Catalog(ABC):
    """The truth about a library beside its files: one object, a repository per concern."""

    path: Path
    settings: Settings
    assets: Assets
    versions: Versions
    files: Files
    quarantine: Quarantine
    history: History
    spaces: Spaces
    vectors: Vectors
    fills: Fills
    labels: Labels
    fulltext: FullText
    audio: Audio
    terms: Terms
    ocr: Ocr
    flags: Flags

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """All writes inside commit together or not at all."""

    @abstractmethod
    def check(self) -> str:
        """An integrity check of the store ("ok" when it is sound)."""

    @abstractmethod
    def backup(self, dest: Path) -> None:
        """A consistent copy of the catalog at `dest` (while others may be writing)."""

    @abstractmethod
    def close(self) -> None: ...
