"""Keeping a library consistent: what a crash may leave behind is removed at the next run.

The catalog commit is the point of truth. Vectors the catalog does not record (written before a
commit that never came), store objects no version refers to, temp files of interrupted copies
and the tables of retired spaces are removed; nothing the catalog knows is touched.

Only work that writes the store or the vector index ahead of (or after) the catalog commit can
leave such things, and it runs inside `writes_in_flight`: a setting marks it in flight until all of
it has committed. `reconcile` walks the whole store and every space's chunk ids, so the next such
work runs it only when the marker says the last one did not finish.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

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


IN_FLIGHT = "writes_in_flight"  # setting: "1" while store/vector writes may be ahead of the catalog, "0" when not


def mark_settled(catalog: Catalog) -> None:
    """Write: nothing is in flight (a new library)."""
    catalog.settings.set(IN_FLIGHT, "0")


@contextmanager
def writes_in_flight(catalog: Catalog, index: VectorIndex, store: ContentStore) -> Iterator[None]:
    """Around work that writes store objects or vectors outside the catalog transactions that make
    them real (ingest, fills, migrations). What an interrupted run left behind is reconciled first
    (a library without the marker, from before it, is reconciled once); the marker is committed
    before the work starts and cleared only once it has all committed: work that raised or was
    killed leaves it set, and the next run reconciles. Not reentrant: the caller holds the write lock."""
    if catalog.settings.get(IN_FLIGHT) != "0":
        reconcile(catalog, index, store)
    with catalog.transaction():
        catalog.settings.set(IN_FLIGHT, "1")
    yield
    with catalog.transaction():
        mark_settled(catalog)
