"""The normalize → embed → write steps again, for records already in the catalog: a library's
vocabulary changed (`taxonomy import`, accepted suggestions), so every record is mapped anew from
the values its files said (``keywords_raw``/``genre_raw``). Files are not touched.
"""

from __future__ import annotations

from typing import Any

from mediaground.catalog import Asset, Catalog
from mediaground.index.base import VectorIndex
from mediaground.ingest.write import rewrite_records
from mediaground.spaces.active import ActiveSpaces
from mediaground.taxonomy.normalize import normalize_record
from mediaground.taxonomy.vocab import Vocabulary
from mediaground.util import now


def renormalize(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, vocab: Vocabulary) -> dict[str, int]:
    """Apply `vocab` to every record: records, full text and text vectors follow, the unknown terms
    are rebuilt. Returns {"assets", "changed", "reembedded", "unknown_terms"}; the caller catches
    up added and shadow spaces afterwards."""
    changed: list[tuple[Asset, dict[str, Any]]] = []
    unknown: list[tuple[str, str, str]] = []
    assets = 0
    for asset in catalog.assets.iter():
        assets += 1
        md = dict(asset.metadata)  # normalize_record reassigns fields, never edits them in place
        unknown += [(asset.asset_id, f, t) for f, t in normalize_record(vocab, md)]
        if md != asset.metadata:
            changed.append((asset, md))
    reembedded = rewrite_records(catalog, index, spaces, changed, "vocabulary", _vocabulary_event)
    with catalog.transaction():
        catalog.terms.replace_all(unknown, now())
    return {"assets": assets, "changed": len(changed), "reembedded": reembedded, "unknown_terms": len(unknown)}


def _vocabulary_event(md: dict[str, Any]) -> dict[str, Any]:
    return {"keywords": md.get("keywords") or [], **({"genre": md["genre"]} if md.get("genre") else {})}
