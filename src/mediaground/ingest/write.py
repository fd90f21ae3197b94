"""Write: the one writer of assets, their records and their full text.

Order for a batch: originals into the content store (done beside the embedding, in a thread),
vectors into the index, then one catalog transaction. The catalog commit is the point of truth: a
crash before it leaves only store objects and vectors the catalog does not know, which
`maintenance.reconcile` removes on the next run, and the files are simply processed again. Vector
upserts are keyed by chunk id, so nothing is duplicated.

`rewrite_records` is the same write for records changed in the catalog alone (a new vocabulary):
the record, its full text and its text vector follow; files and the store are not touched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

from mediaground.catalog import Asset, Catalog
from mediaground.index.base import VectorIndex
from mediaground.ingest.embed import BatchVectors, text_sha
from mediaground.ingest.extract import Prepared
from mediaground.ingest.normalize import trusted_point
from mediaground.metadata.document import SearchDocument
from mediaground.spaces.active import ActiveSpaces
from mediaground.store.content import ContentStore
from mediaground.taxonomy.normalize import IngestVocabulary
from mediaground.util import now


def store_originals(store: ContentStore, batch: list[Prepared]) -> tuple[dict[str, str], list[tuple[Prepared, str]]]:
    """Copy each file into the content store: (file sha256 → store path, files that failed)."""
    paths, failed = {}, []
    for p in batch:
        try:
            paths[p.file_sha256] = store.put(p.path, p.file_sha256)
        except OSError as exc:
            failed.append((p, str(exc)))
    return paths, failed


def label_names(catalog: Catalog, spaces: ActiveSpaces, asset_ids: Sequence[str],
                fresh: dict[str, list[tuple[int, float]]]) -> dict[str, list[str]]:
    """The full-text names of each asset's labels: fresh from this batch, else as the catalog keeps them
    (labels of the active image model only)."""
    names = spaces.bridge.names
    out = {a: [names[i] for i, _ in fresh[a]] for a in asset_ids if a in fresh}
    rest = [a for a in asset_ids if a not in fresh]
    if rest:
        index = {name: i for i, name in enumerate(spaces.image_model.labels)}
        for asset_id, labels in catalog.labels.of_many(rest).items():
            out[asset_id] = [names[index[n]] for n, _ in labels if n in index]
    return out


def text_vectors(catalog: Catalog, spaces: ActiveSpaces, items: Sequence[tuple[str, str, str]],
                 vectors: BatchVectors) -> None:
    """(asset_id, kind, document text) → the text vectors to (re)make, and those to delete because
    the asset no longer has words of its own. Unchanged text is never embedded again."""
    text_space = spaces.text_space
    docs = []
    for asset_id, kind, doc in items:
        chunk = f"{asset_id}:text"
        source = catalog.vectors.source(chunk, text_space.id)
        if doc and source != text_sha(doc):
            docs.append((asset_id, kind, doc))
        elif not doc and source is not None:
            vectors.stale_text.append(chunk)
    vectors.add_documents(spaces, docs)


def _write_text(catalog: Catalog, asset_id: str, document: SearchDocument) -> None:
    catalog.fulltext.set(asset_id, document.fields)


def write_batch(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, batch: list[Prepared],
                existing: dict[str, Asset | None], vectors: BatchVectors, store_paths: dict[str, str],
                vocabulary: IngestVocabulary | None) -> int:
    """Vectors into the index, then one transaction for the batch's assets, files, vector records,
    transcripts, labels, full text and unknown terms. Returns how many unknown terms were recorded."""
    text_space = spaces.text_space
    vectors.write_index(index, spaces)
    index.delete(text_space.id, vectors.stale_text)
    labels = label_names(catalog, spaces, [p.asset_id for p in batch], vectors.labels)
    t, unknown = now(), 0
    with catalog.transaction():
        for p in batch:
            old = existing[p.asset_id]
            lat, lon = trusted_point(p.metadata)
            asset = Asset(p.asset_id, p.kind, p.format, p.mime, p.essence.basis, p.essence.method, p.essence.sha256,
                          p.file_sha256, p.width, p.height, p.duration, p.metadata.get("date_created"), p.metadata,
                          t, t, lat, lon)
            if old is None:
                catalog.assets.add(asset)
                catalog.history.log(p.asset_id, "added", path=p.path, file_sha256=p.file_sha256)
            else:
                changed = sorted(k for k in set(old.metadata) | set(p.metadata)
                                 if old.metadata.get(k) != p.metadata.get(k))
                catalog.assets.update_version(asset)
                catalog.history.log(p.asset_id, "updated", path=p.path, file_sha256=p.file_sha256, changed=changed)
                catalog.fills.forget_text([p.asset_id])  # text-embedding shadow/added spaces catch up
            catalog.files.add_version(p.file_sha256, p.asset_id, p.size, store_paths[p.file_sha256])
            catalog.files.seen(p.path, p.asset_id, p.file_sha256, p.size, p.mtime_ns)
        vectors.record(catalog, spaces)
        for p in batch:
            _write_text(catalog, p.asset_id, replace(p.document, labels=tuple(labels.get(p.asset_id, ()))))
        if vocabulary is not None:
            unknown = vocabulary.record(catalog, batch)
        catalog.vectors.delete(text_space.id, vectors.stale_text)
    return unknown


def rewrite_records(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces,
                    changed: Sequence[tuple[Asset, dict[str, Any]]], event: str,
                    detail: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """New records for assets whose files did not change: (asset, new metadata) pairs; each gets a
    history `event` with `detail(new metadata)`. Their full text and text vectors follow; spaces that
    embed text fill them again at the next catch-up. Returns how many text vectors were made."""
    if not changed:
        return 0
    documents = {a.asset_id: SearchDocument.build(md, catalog.files.display_path(a.asset_id), a.format)
                 for a, md in changed}
    vectors = BatchVectors()
    text_vectors(catalog, spaces, [(a.asset_id, a.kind, documents[a.asset_id].text) for a, _ in changed], vectors)
    vectors.write_index(index, spaces)
    index.delete(spaces.text_space.id, vectors.stale_text)
    labels = label_names(catalog, spaces, list(documents), {})
    t = now()
    with catalog.transaction():
        for a, md in changed:
            catalog.assets.update_metadata(a.asset_id, md, t)
            _write_text(catalog, a.asset_id, replace(documents[a.asset_id], labels=tuple(labels.get(a.asset_id, ()))))
            catalog.history.log(a.asset_id, event, **detail(md))
        vectors.record(catalog, spaces)
        catalog.vectors.delete(spaces.text_space.id, vectors.stale_text)
        catalog.fills.forget_text([a.asset_id for a, _ in changed])
    return len(vectors.text_rows)
