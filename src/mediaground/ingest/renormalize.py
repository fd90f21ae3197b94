"""The normalize → embed → write steps again, for records already in the catalog: a library's
vocabulary changed (`taxonomy import`, accepted suggestions), so every record is mapped anew from
the values its files said (``keywords_raw``/``genre_raw``). Files are not touched.
"""

from __future__ import annotations

from typing import Any

from mediaground.catalog import Catalog, Version
from mediaground.index.base import VectorIndex
from mediaground.ingest.write import rewrite_records
from mediaground.spaces.active import ActiveSpaces
from mediaground.taxonomy.normalize import normalize_record
from mediaground.taxonomy.vocab import Vocabulary
from mediaground.util import now


def renormalize(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, vocab: Vocabulary) -> dict[str, int]:
    """Apply `vocab` to the record of every version: records, the full text of the files holding
    them and their text vectors follow; the unknown terms are rebuilt, per file. Returns
    {"assets", "changed", "reembedded", "unknown_terms"}; the caller catches up added and shadow
    spaces afterwards."""
    changed: list[tuple[Version, dict[str, Any]]] = []
    unknown: dict[str, list[tuple[str, str]]] = {}  # version → (field, term)
    for version in catalog.versions.iter_known():
        md = dict(version.metadata)  # normalize_record reassigns fields, never edits them in place
        unknown[version.file_sha256] = normalize_record(vocab, md)
        if md != version.metadata:
            changed.append((version, md))
    reembedded = rewrite_records(catalog, index, spaces, changed, "vocabulary", _vocabulary_event)
    rows = [(f.file_id, f.asset_id, field, term) for f in catalog.files.iter()
            for field, term in unknown.get(f.file_sha256, [])]
    with catalog.transaction():
        catalog.terms.replace_all(rows, now())
    return {"assets": catalog.assets.count(), "changed": len(changed), "reembedded": reembedded,
            "unknown_terms": len(rows)}


def _vocabulary_event(md: dict[str, Any]) -> dict[str, Any]:
    return {"keywords": md.get("keywords") or [], **({"genre": md["genre"]} if md.get("genre") else {})}
