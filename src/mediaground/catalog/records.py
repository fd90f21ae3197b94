"""What the catalog holds, as typed records: the same shapes whichever database keeps them.

Records are plain frozen dataclasses; JSON columns arrive parsed (an asset's `metadata` is a dict,
a recording's `warnings` a list). Layers above the catalog read and build these, never rows.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from mediaground.models.base import Space

PRIMARY_ROLES = ("text", "image", "audio")


@dataclass(frozen=True)
class Asset:
    """One essence (pixels or sound), whatever files carry it: what the model sees. What a file
    says about it (tags, date, place) belongs to the file's version, not here."""

    asset_id: str
    kind: str                   # image | audio | video
    format: str | None
    mime: str | None
    id_basis: str               # essence | file
    id_method: str              # jpeg-scan, png-chunks, av-packets, file, ...
    essence_sha256: str
    current_sha256: str         # file sha256 of the version seen last (its stored original)
    width: int | None = None
    height: int | None = None
    duration: float | None = None
    added_at: str = ""
    updated_at: str = ""


@dataclass(frozen=True)
class Version:
    """One file content (whole-file sha256) kept in the content store, never modified, and what its
    bytes say: the normalized record (None: an older mediaground did not keep it), its creation
    date and trusted coordinates."""

    file_sha256: str
    asset_id: str
    size: int
    store_path: str             # relative to the library root
    first_seen: str
    metadata: dict[str, Any] | None = None
    date_created: str | None = None
    lat: float | None = None    # trusted coordinates only (see ingest.normalize.trusted_point)
    lon: float | None = None


@dataclass(frozen=True)
class FileRecord:
    """A file: a path that holds (or held, `current` False) a version of an asset. Each file is its
    own record — its tags, full text, text vector and citations — though its pixels or sound are
    the asset's. `metadata` is its version's record ({} when `metadata_known` is False)."""

    file_id: int
    path: str
    asset_id: str
    file_sha256: str
    size: int
    mtime_ns: int
    current: bool
    first_seen: str
    last_seen: str
    metadata: dict[str, Any] = field(default_factory=dict)
    metadata_known: bool = True
    date_created: str | None = None
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class Quarantined:
    """A file that could not be indexed, and why; retried when its size or mtime change."""

    path: str
    file_sha256: str | None
    size: int | None
    mtime_ns: int | None
    reason: str
    detail: str
    at: str


@dataclass(frozen=True)
class SpaceRecord:
    """A pinned space as the catalog keeps it: the pin (`space`), its role and where it is in its life."""

    space_id: str               # as stored: the pin's id when it was made
    space: Space                # model, revision, weights sha256, preprocessor hash, prompt, dim, modality
    role: str                   # text | image | audio | an added role (e.g. "clip-vit-b32")
    status: str                 # active | shadow | previous | retired
    created_at: str
    spec: str                   # the canonical model spec the space is rebuilt from
    replaces: str | None = None  # the space a shadow will replace (None: added beside the others)
    changed_at: str | None = None

    @property
    def is_primary(self) -> bool:
        return self.role in PRIMARY_ROLES

    def to_dict(self) -> dict[str, Any]:
        """One flat dict: the pin's fields beside the record's."""
        out = asdict(self)
        out.update(out.pop("space"))
        return out


@dataclass(frozen=True)
class VectorRecord:
    """That a vector exists in a space, and what made it; the floats live in the vector index."""

    chunk_id: str
    space_id: str
    asset_id: str
    part: str                   # image | labels | text | segment | window | ...
    runtime: str
    source_sha: str             # what was embedded (skip unchanged text)
    start: float | None = None
    end: float | None = None
    created_at: str = ""


@dataclass(frozen=True)
class FillResult:
    """What filling a space did for one asset: how many vectors, or why none."""

    asset_id: str
    vectors: int
    error: str | None = None


@dataclass(frozen=True)
class AudioInfo:
    """What decoding and transcription found for one recording."""

    asset_id: str
    duration: float
    declared_duration: float | None
    truncated: bool
    silent: bool
    rms_dbfs: float | None
    language: str | None = None  # None when the speech model was not confident
    language_probability: float | None = None
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Segment:
    """A timestamped transcript segment ("<asset_id>:seg:<n>")."""

    chunk_id: str
    asset_id: str
    start: float
    end: float
    text: str
    confidence: float | None = None
    words: list[list] = field(default_factory=list)  # [[start, end, word, probability], ...]

    def to_dict(self) -> dict[str, Any]:
        return {"chunk_id": self.chunk_id, "start": self.start, "end": self.end, "text": self.text,
                "confidence": self.confidence}


@dataclass(frozen=True)
class UnknownTerm:
    """A keyword or genre the library's vocabulary did not know, reported at ingest."""

    file_id: int
    asset_id: str
    field: str
    term: str
    seen_at: str


@dataclass(frozen=True)
class AssetFilter:
    """Exact filters on what files say; text matches are case-insensitive. `located` keeps files
    with trusted coordinates only. Dates compare as ISO 8601 strings (`date_to` by prefix)."""

    kind: str | None = None
    creator: str | None = None
    keyword: str | None = None
    license: str | None = None  # a substring of the license URL or of the copyright notice
    has_gps: bool | None = None
    date_from: str | None = None
    date_to: str | None = None
    located: bool = False
