"""A library's vocabulary (``LIBRARY/taxonomy.yaml``) applied to its catalog.

At ingest (`IngestVocabulary`, called from `pipeline/ingest.py`), each asset's keywords and genre
are mapped to the preferred labels of the concepts they name, deduplicated (first occurrence kept,
case-insensitively, like the metadata reader), in their original order. The record keeps what the
file said: ``keywords_raw`` / ``genre_raw`` hold the values as read whenever normalization changed
them, so nothing a person wrote is lost and a new vocabulary can be applied again later
(`renormalize_catalog`). Terms the vocabulary does not know stay on the asset and are reported in
the catalog table ``unknown_terms(asset_id, field, term, seen_at)`` (an asset's rows are replaced
each time it is ingested). Only user-written fields are reported (keywords, genre): model labels
(ImageNet names in the ``labels`` table) are not, they would be noise; they reach concepts through
`mediaground tag auto` and `taxonomy suggest`.

Normalization changes the catalog (record, full text, the metadata text vector), never a file.
Writing the canonical labels into the files is `audit labels --fix` or `tag auto --write`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from mediaground.taxonomy.vocab import Vocabulary, VocabularyError, term_key
from mediaground.metadata.read import _dedupe  # first spelling of each, case-insensitively

if TYPE_CHECKING:
    from mediaground.library import Library

__all__ = ["TAXONOMY_FILE", "taxonomy_path", "load_library_vocabulary", "install_vocabulary", "normalize_terms",
           "normalize_record", "IngestVocabulary", "renormalize_catalog", "unknown_terms_report",
           "REPORTED_FIELDS"]

TAXONOMY_FILE = "taxonomy.yaml"
REPORTED_FIELDS = ("keywords", "genre")


def taxonomy_path(lib: "Library") -> Path:
    return Path(lib.root) / TAXONOMY_FILE


def load_library_vocabulary(lib: "Library") -> Vocabulary | None:
    """The library's vocabulary, or None when it has no taxonomy.yaml. A broken file raises
    VocabularyError (naming the file): ingesting past it would silently skip normalization."""
    path = taxonomy_path(lib)
    if not path.is_file():
        return None
    return Vocabulary.load(path)


def install_vocabulary(lib: "Library", vocab: Vocabulary) -> Path:
    """Validate and write `vocab` as the library's taxonomy.yaml (atomic)."""
    vocab.validate()
    path = taxonomy_path(lib)
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


def _searchable_update(searchable: dict[str, str], md: dict[str, Any]) -> None:
    """Keep the full-text/embedding view in step with the normalized record (as searchable_text())."""
    for name, value in (("keywords", ", ".join(md.get("keywords") or [])), ("genre", md.get("genre") or "")):
        if value:
            searchable[name] = value
        else:
            searchable.pop(name, None)


# ---------------------------------------------------------------- ingest


class IngestVocabulary:
    """Loaded once per ingest run; `normalize` a batch before it is embedded, `record` its unknown
    terms inside the batch's catalog transaction."""

    def __init__(self, lib: "Library", vocab: Vocabulary) -> None:
        self.lib = lib
        self.vocab = vocab
        self.pending: dict[str, list[tuple[str, str]]] = {}

    @classmethod
    def load(cls, lib: "Library") -> "IngestVocabulary | None":
        vocab = load_library_vocabulary(lib)
        return None if vocab is None else cls(lib, vocab)

    def normalize(self, batch: list) -> None:
        for p in batch:
            unknown = normalize_record(self.vocab, p.metadata)
            _searchable_update(p.searchable, p.metadata)
            self.pending[p.asset_id] = unknown

    def record(self, batch: list) -> int:
        """Replace the batch's unknown_terms rows (call inside the catalog transaction); returns how many."""
        from mediaground.catalog.db import now

        db, t, n = self.lib.catalog.db, now(), 0
        for p in batch:
            db.execute("DELETE FROM unknown_terms WHERE asset_id=?", (p.asset_id,))
            rows = self.pending.pop(p.asset_id, [])
            db.executemany("INSERT OR IGNORE INTO unknown_terms(asset_id, field, term, seen_at) VALUES (?,?,?,?)",
                           [(p.asset_id, f, term, t) for f, term in rows])
            n += len(rows)
        return n


# ---------------------------------------------------------------- the whole catalog


def _json(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, default=str)


def renormalize_catalog(lib: "Library", vocab: Vocabulary) -> dict[str, int]:
    """Apply `vocab` to every asset in the catalog (after `taxonomy import` or accepted suggestions):
    records, full text and metadata text vectors follow; unknown_terms is rebuilt. Files are not
    touched. Returns {"assets", "changed", "reembedded", "unknown_terms"}."""
    from mediaground.catalog.db import now
    from mediaground.pipeline.embed import BatchVectors, text_sha
    from mediaground.pipeline.fill import forget_text, searchable_for
    from mediaground.pipeline.ingest import text_document

    cat = lib.catalog
    rows = cat.db.execute("SELECT asset_id, kind, format, metadata FROM assets ORDER BY asset_id").fetchall()
    changed: list[tuple[Any, dict[str, Any]]] = []
    unknown_rows: list[tuple[str, str, str]] = []
    for r in rows:
        md = json.loads(r["metadata"] or "{}")
        before = _json(md)
        unknown_rows += [(r["asset_id"], f, t) for f, t in normalize_record(vocab, md)]
        if _json(md) != before:
            changed.append((r, md))
    text_space = lib.text_space
    docs = []
    for r, md in changed:
        doc = text_document(searchable_for(md))
        src = cat.db.execute("SELECT source_sha FROM vectors WHERE chunk_id=? AND space_id=?",
                             (f"{r['asset_id']}:text", text_space.id)).fetchone()
        if doc and (src is None or src[0] != text_sha(doc)):
            docs.append((r["asset_id"], r["kind"], doc))
    vectors = BatchVectors()
    vectors.add_documents(lib, docs)
    vectors.write_index(lib)
    t = now()
    with cat.transaction() as db:
        for r, md in changed:
            db.execute("UPDATE assets SET metadata=?, updated_at=? WHERE asset_id=?", (_json(md), t, r["asset_id"]))
            s = searchable_for(md)
            fields = cat.fts_fields(r["asset_id"])
            if fields:
                fields["keywords"] = s.get("keywords", "")
                fields["other"] = " ".join(filter(None, [s.get(k, "") for k in ("artist", "album", "genre", "comment")]
                                                  + [r["format"] or ""]))
                cat.set_fts(r["asset_id"], fields)
            cat.log(r["asset_id"], "vocabulary", keywords=md.get("keywords") or [],
                    **({"genre": md["genre"]} if md.get("genre") else {}))
        vectors.record(lib)
        db.execute("DELETE FROM unknown_terms")
        db.executemany("INSERT OR IGNORE INTO unknown_terms(asset_id, field, term, seen_at) VALUES (?,?,?,?)",
                       [(a, f, term, t) for a, f, term in unknown_rows])
        # added and shadow spaces that embed text re-embed these assets at the catch-up below
        forget_text(db, [r["asset_id"] for r, _ in changed])
    if changed:
        lib.catch_up()
    return {"assets": len(rows), "changed": len(changed), "reembedded": len(docs), "unknown_terms": len(unknown_rows)}


def unknown_terms_report(lib: "Library", examples: int = 3) -> list[dict[str, Any]]:
    """Unknown terms grouped by field and spelling-insensitive key, most assets first:
    [{"term", "field", "count", "spellings", "examples": [{"asset_id", "path"}], "first_seen"}]."""
    cat = lib.catalog
    rows = cat.db.execute("SELECT asset_id, field, term, seen_at FROM unknown_terms ORDER BY seen_at, asset_id").fetchall()
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for r in rows:
        g = groups.setdefault((r["field"], term_key(r["term"])),
                              {"field": r["field"], "assets": [], "spellings": {}, "first_seen": r["seen_at"]})
        if r["asset_id"] not in g["assets"]:
            g["assets"].append(r["asset_id"])
        g["spellings"][r["term"]] = g["spellings"].get(r["term"], 0) + 1
    out = []
    for g in groups.values():
        spellings = sorted(g["spellings"].items(), key=lambda kv: (-kv[1], kv[0]))
        out.append({"term": spellings[0][0], "field": g["field"], "count": len(g["assets"]),
                    "spellings": [s for s, _ in spellings],
                    "examples": [{"asset_id": a, "path": cat.display_path(a)} for a in g["assets"][:examples]],
                    "first_seen": g["first_seen"]})
    out.sort(key=lambda d: (-d["count"], d["field"], d["term"].casefold()))
    return out


__all__ += ["VocabularyError"]
