"""A library's vocabulary (``LIBRARY/taxonomy.yaml``) applied to its records.

At ingest (`IngestVocabulary`, used by the normalize step of `mediaground.ingest`), each asset's
keywords and genre are mapped to the preferred labels of the concepts they name, deduplicated
(first occurrence kept, case-insensitively, like the metadata reader), in their original order.
The record keeps what the file said: ``keywords_raw`` / ``genre_raw`` hold the values as read
whenever normalization changed them, so nothing a person wrote is lost and a new vocabulary can be
applied again later (`mediaground.ingest.renormalize`). Terms the vocabulary does not know stay on
the asset and are reported in the catalog (``catalog.terms``; an asset's terms are replaced each
time it is ingested). Only user-written fields are reported (keywords, genre): model labels
(ImageNet names) are not, they would be noise; they reach concepts through `mediaground tag auto`
and `taxonomy suggest`.

Normalization changes the catalog (record, full text, the metadata text vector), never a file.
Writing the canonical labels into the files is `audit labels --fix` or `tag auto --write`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

from mediaground.catalog import Catalog
from mediaground.metadata.read import _dedupe  # first spelling of each, case-insensitively
from mediaground.taxonomy.vocab import Vocabulary, VocabularyError, term_key
from mediaground.util import now

__all__ = ["TAXONOMY_FILE", "taxonomy_path", "load_library_vocabulary", "install_vocabulary", "normalize_terms",
           "normalize_record", "IngestVocabulary", "unknown_terms_report", "REPORTED_FIELDS"]

TAXONOMY_FILE = "taxonomy.yaml"
REPORTED_FIELDS = ("keywords", "genre")


def taxonomy_path(library_root: Path) -> Path:
    return Path(library_root) / TAXONOMY_FILE


def load_library_vocabulary(library_root: Path) -> Vocabulary | None:
    """The library's vocabulary, or None when it has no taxonomy.yaml. A broken file raises
    VocabularyError (naming the file): ingesting past it would silently skip normalization."""
    path = taxonomy_path(library_root)
    if not path.is_file():
        return None
    return Vocabulary.load(path)


def install_vocabulary(library_root: Path, vocab: Vocabulary) -> Path:
    """Validate and write `vocab` as the library's taxonomy.yaml (atomic)."""
    vocab.validate()
    path = taxonomy_path(library_root)
    vocab.save(path)
    return path


# ---------------------------------------------------------------- one record


def normalize_terms(vocab: Vocabulary, terms: Iterable[str]) -> tuple[list[str], list[str]]:
    """(terms mapped to preferred labels, deduplicated in order; the terms the vocabulary does not know)."""
    out, unknown = [], []
    for term in terms:
        if not isinstance(term, str) or not term.strip():
            continue
        concept = vocab.lookup(term)
        if concept is None:
            unknown.append(term)
            out.append(term)
        else:
            out.append(concept.label)
    return _dedupe(out), _dedupe(unknown)


def normalize_record(vocab: Vocabulary, md: dict[str, Any]) -> list[tuple[str, str]]:
    """Map `md`'s keywords and genre onto `vocab` in place; returns the unknown (field, term) pairs.

    Works on a record fresh from a file and on one already normalized (its ``*_raw`` value is the
    starting point), so a changed vocabulary can be re-applied to the catalog."""
    unknown: list[tuple[str, str]] = []
    raw_kw = md.pop("keywords_raw", None) or md.get("keywords") or []
    raw_kw = [k for k in raw_kw if isinstance(k, str)]
    if raw_kw:
        new, missing = normalize_terms(vocab, raw_kw)
        md["keywords"] = new
        if new != raw_kw:
            md["keywords_raw"] = raw_kw
        unknown += [("keywords", t) for t in missing]
    raw_genre = md.pop("genre_raw", None) or md.get("genre")
    if isinstance(raw_genre, str) and raw_genre.strip():
        parts = [g.strip() for g in raw_genre.split(";") if g.strip()]
        new_parts, missing = normalize_terms(vocab, parts)
        genre = "; ".join(new_parts)
        md["genre"] = genre
        if genre != raw_genre:
            md["genre_raw"] = raw_genre
        unknown += [("genre", t) for t in missing]
    return unknown


# ---------------------------------------------------------------- ingest


class IngestVocabulary:
    """Loaded once per ingest run; `normalize` a batch's records before they are embedded,
    `record` each file's unknown terms inside the batch's catalog transaction."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.pending: dict[str, list[tuple[str, str]]] = {}  # path → unknown (field, term)

    @classmethod
    def load(cls, library_root: Path) -> "IngestVocabulary | None":
        vocab = load_library_vocabulary(library_root)
        return None if vocab is None else cls(vocab)

    def normalize(self, batch: list) -> None:
        """Each item has `path` and `metadata` (changed in place)."""
        for p in batch:
            self.pending[p.path] = normalize_record(self.vocab, p.metadata)

    def record(self, catalog: Catalog, file_id: int, item) -> int:
        """Replace the file's unknown terms (call inside the catalog transaction); returns how many."""
        rows = self.pending.pop(item.path, [])
        catalog.terms.replace(file_id, item.asset_id, rows, now())
        return len(rows)


# ---------------------------------------------------------------- the whole catalog


def unknown_terms_report(catalog: Catalog, examples: int = 3) -> list[dict[str, Any]]:
    """Unknown terms grouped by field and spelling-insensitive key, most assets first:
    [{"term", "field", "count", "spellings", "examples": [{"asset_id", "path"}], "first_seen"}]."""
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in catalog.terms.all():
        g = groups.setdefault((r.field, term_key(r.term)),
                              {"field": r.field, "assets": [], "spellings": {}, "first_seen": r.seen_at})
        if r.asset_id not in g["assets"]:
            g["assets"].append(r.asset_id)
        g["spellings"][r.term] = g["spellings"].get(r.term, 0) + 1
    out = []
    for g in groups.values():
        spellings = sorted(g["spellings"].items(), key=lambda kv: (-kv[1], kv[0]))
        out.append({"term": spellings[0][0], "field": g["field"], "count": len(g["assets"]),
                    "spellings": [s for s, _ in spellings],
                    "examples": [{"asset_id": a, "path": catalog.files.display_path(a)} for a in g["assets"][:examples]],
                    "first_seen": g["first_seen"]})
    out.sort(key=lambda d: (-d["count"], d["field"], d["term"].casefold()))
    return out


__all__ += ["VocabularyError"]
