"""Keeping a library consistent: what a crash may leave behind is removed at the next run.

The catalog commit is the point of truth. Vectors the catalog does not record (written before a
commit that never came), store objects no version refers to, temp files of interrupted copies
and the tables of retired spaces are removed; nothing the catalog knows is touched.
"""

from __future__ import annotations

from mediaground.catalog import Catalog
from mediaground.index.base import VectorIndex
from mediaground.store.content import ContentStore


def reconcile(catalog: Catalog, index: VectorIndex, store: ContentStore) -> dict[str, int]:
    removed_vectors = 0
    # by catalog records, not models: cleaning up must work even when a model is missing
    for row in catalog.spaces.all():
        if row.status == "retired":
            index.drop(row.space_id)  # a crash between retiring a space and dropping its table
            continue
        orphans = sorted(index.chunk_ids(row.space_id) - catalog.vectors.chunk_ids(row.space_id))
        index.delete(row.space_id, orphans)
        removed_vectors += len(orphans)
    orphan_objects = store.all_shas() - catalog.versions.shas()
    for sha in orphan_objects:
        store.remove(sha)
    swept = store.sweep_incoming()
    return {"vectors": removed_vectors, "objects": len(orphan_objects), "temp_files": swept}
