"""Write: the one writer of assets, their records and their full text.

Order for a batch: originals into the content store (done beside the embedding, in a thread),
vectors into the index, then one catalog transaction. The catalog commit is the point of truth: a
crash before it leaves only store objects and vectors the catalog does not know, which
`maintenance.reconcile` removes on the next run, and the files are simply processed again. Vector
upserts are keyed by chunk id, so nothing is duplicated.

Each file is its own record: its version says what its bytes say (tags, date, place), its full-text
document is its own, and the text vector of its version is shared only with files of the same
bytes. When a path stops holding a version, the words of that version leave search unless another
file still holds them (`prune_words`); a file that is gone keeps its words only when its asset has
no current file (`forget_retired`).

`rewrite_records` is the same write for records changed in the catalog alone (a new vocabulary):
the record, its full text and its text vector follow; files and the store are not touched.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Sequence

from mediaground.catalog import Asset, Catalog, FileRecord, Version
from mediaground.index.base import VectorIndex, text_chunk_id
from mediaground.ingest.embed import BatchVectors, text_sha
from mediaground.ingest.extract import Prepared
from mediaground.ingest.normalize import trusted_point
from mediaground.metadata.document import SearchDocument, embedded_text
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


def text_vectors(catalog: Catalog, spaces: ActiveSpaces, items: Sequence[tuple[str, str, str, str]],
                 vectors: BatchVectors) -> None:
    """(asset_id, kind, file sha256, document text) → the text vectors to (re)make, one per version,
    and those to delete: a version whose words are gone, and the asset-level text chunk of a
    library made before schema 5. Unchanged text is never embedded again."""
    text_space = spaces.text_space
    docs, seen = [], set()
    for asset_id, kind, sha, doc in items:
        chunk = text_chunk_id(asset_id, sha)
        if chunk in seen:
            continue
        seen.add(chunk)
        source = catalog.vectors.source(chunk, text_space.id)
        if doc and source != text_sha(doc):
            docs.append((asset_id, kind, chunk, doc))
        elif not doc and source is not None:
            vectors.stale_text.append(chunk)
        legacy = f"{asset_id}:text"
        if legacy not in vectors.stale_text and catalog.vectors.source(legacy, text_space.id) is not None:
            vectors.stale_text.append(legacy)
    vectors.add_documents(spaces, docs)


def write_batch(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, batch: list[Prepared],
                existing: dict[str, Asset], vectors: BatchVectors, store_paths: dict[str, str],
                vocabulary: IngestVocabulary | None) -> int:
    """Vectors into the index, then one transaction for the batch's assets, versions, files, vector
    records, transcripts, labels, full text and unknown terms; then the words no file holds any more
    leave the text space. Returns how many unknown terms were recorded."""
    text_space = spaces.text_space
    vectors.write_index(index, spaces)
    index.delete(text_space.id, vectors.stale_text)
    labels = label_names(catalog, spaces, list(dict.fromkeys(p.asset_id for p in batch)), vectors.labels)
    t, unknown = now(), 0
    added: set[str] = set()
    replaced: list[tuple[str, str]] = []  # (asset, version) a path held before this batch
    with catalog.transaction():
        for p in batch:
            asset = Asset(p.asset_id, p.kind, p.format, p.mime, p.essence.basis, p.essence.method, p.essence.sha256,
                          p.file_sha256, p.width, p.height, p.duration, t, t)
            new_asset = p.asset_id not in existing and p.asset_id not in added
            if new_asset:
                catalog.assets.add(asset)
                added.add(p.asset_id)
            else:
                catalog.assets.update(asset)
            lat, lon = trusted_point(p.metadata)
            catalog.versions.add(Version(p.file_sha256, p.asset_id, p.size, store_paths[p.file_sha256], t,
                                         p.metadata, p.metadata.get("date_created"), lat, lon))
            file_id, event, detail = _file_record(catalog, p, new_asset, replaced)
            catalog.history.log(p.asset_id, event, path=p.path, file_sha256=p.file_sha256, file_id=file_id, **detail)
            document = replace(p.document, labels=tuple(labels.get(p.asset_id, ())))
            catalog.fulltext.set(file_id, p.asset_id, document.fields)
            if vocabulary is not None:
                unknown += vocabulary.record(catalog, file_id, p)
            if not new_asset:
                catalog.fills.forget_text([p.asset_id])  # text-embedding shadow/added spaces catch up
        vectors.record(catalog, spaces)
        catalog.vectors.delete(text_space.id, vectors.stale_text)
    prune_words(catalog, index, spaces, replaced)
    forget_retired(catalog, index, spaces, [p.asset_id for p in batch])  # a file back: gone ones step down
    return unknown


def _file_record(catalog: Catalog, p: Prepared, new_asset: bool,
                 replaced: list[tuple[str, str]]) -> tuple[int, str, dict[str, Any]]:
    """The file record this path becomes (moved, updated or new), and its history event."""
    if p.move_from is not None:
        old = catalog.files.get(p.move_from)
        catalog.files.move(p.move_from, p.path, p.size, p.mtime_ns)
        return p.move_from, "renamed", {"from": old.path if old else None, "to": p.path}
    before = catalog.files.path(p.path)
    file_id = catalog.files.seen(p.path, p.asset_id, p.file_sha256, p.size, p.mtime_ns)
    if before is not None and before.file_sha256 != p.file_sha256:
        replaced.append((before.asset_id, before.file_sha256))
    if new_asset:
        return file_id, "added", {}
    if before is not None and before.file_sha256 == p.file_sha256:
        return file_id, "seen-again", {}
    if before is not None and before.asset_id == p.asset_id:
        changed = sorted(k for k in set(before.metadata) | set(p.metadata)
                         if before.metadata.get(k) != p.metadata.get(k))
        return file_id, "updated", {"changed": changed}
    return file_id, ("copy-seen" if p.known else "file-added"), {}


def prune_words(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces,
                replaced: Sequence[tuple[str, str]]) -> None:
    """Text vectors of versions that no searchable file holds any more leave the text space (the
    catalog first: a crash leaves an orphan vector, which `maintenance.reconcile` removes)."""
    if not replaced:
        return
    text_space = spaces.text_space
    holding = catalog.files.searchable(sorted({a for a, _ in replaced}))
    gone = sorted({text_chunk_id(a, sha) for a, sha in replaced
                   if sha not in {f.file_sha256 for f in holding.get(a, [])}})
    gone = [c for c in gone if catalog.vectors.source(c, text_space.id) is not None]
    if gone:
        with catalog.transaction():
            catalog.vectors.delete(text_space.id, gone)
        index.delete(text_space.id, gone)


def forget_retired(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, asset_ids: Sequence[str]) -> None:
    """Files that are gone stop standing for their asset in search once the asset has a current file;
    while it has none, the ones it had last keep their words (nothing is lost)."""
    stale = [f for files in catalog.files.searchable(sorted(set(asset_ids))).values()
             if any(f.current for f in files) for f in files if not f.current]
    if stale:
        with catalog.transaction():
            catalog.files.unlist([f.file_id for f in stale])
            catalog.fulltext.delete([f.file_id for f in stale])
        prune_words(catalog, index, spaces, [(f.asset_id, f.file_sha256) for f in stale])


def rewrite_records(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces,
                    changed: Sequence[tuple[Version, dict[str, Any]]], event: str,
                    detail: Callable[[dict[str, Any]], dict[str, Any]]) -> int:
    """New records for versions whose bytes did not change: (version, new metadata) pairs; each
    asset gets a history `event` with `detail(new metadata)`. The full text of every searchable
    file holding them and their text vectors follow; spaces that embed text fill them again at the
    next catch-up. Returns how many text vectors were made."""
    if not changed:
        return 0
    asset_ids = sorted({v.asset_id for v, _ in changed})
    assets = catalog.assets.get_many(asset_ids)
    holding = catalog.files.searchable(asset_ids)
    files = {v.file_sha256: [f for f in holding.get(v.asset_id, []) if f.file_sha256 == v.file_sha256]
             for v, _ in changed}
    texts = [(v.asset_id, assets[v.asset_id].kind, v.file_sha256, embedded_text(md))
             for v, md in changed if files[v.file_sha256]]
    vectors = BatchVectors()
    text_vectors(catalog, spaces, texts, vectors)
    vectors.write_index(index, spaces)
    index.delete(spaces.text_space.id, vectors.stale_text)
    labels = label_names(catalog, spaces, asset_ids, {})
    t = now()
    with catalog.transaction():
        for v, md in changed:
            lat, lon = trusted_point(md)
            catalog.versions.set_record(v.file_sha256, md, md.get("date_created"), lat, lon)
            for f in files[v.file_sha256]:
                document = SearchDocument.build(md, f.path, assets[v.asset_id].format, labels.get(v.asset_id, ()))
                catalog.fulltext.set(f.file_id, v.asset_id, document.fields)
            catalog.history.log(v.asset_id, event, file_sha256=v.file_sha256, **detail(md))
        vectors.record(catalog, spaces)
        catalog.vectors.delete(spaces.text_space.id, vectors.stale_text)
        catalog.fills.forget_text(asset_ids)
    return len(vectors.text_rows)
