"""Fill one space with vectors from the truth: stored originals plus the catalog.

This is how a shadow space is built during a migration, how added spaces (e.g. CLIP beside the
bundled models) catch up after an ingest, and what `reindex --space X` runs. Metadata is never
re-read from files and transcripts are never re-made: text comes from the catalog, pixels and
samples from the content store. Work is batched and resumable: each batch's vectors go into the
index first, then one catalog transaction records them and marks the batch's assets done in
`space_assets` (with the reason when an asset failed), so an interrupted fill goes on where it
stopped and never duplicates a vector.

What a space holds follows its *duty*: the primary roles keep theirs ("text": metadata text,
label bridges and transcript segments; "image": features and labels; "audio": acoustic windows),
and an added space embeds what its model takes (images first, then audio, else text).
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

import numpy as np

from mediaground.catalog.db import now
from mediaground.errors import BadMediaError, MediagroundError
from mediaground.index.base import VectorRow
from mediaground.models.base import Embedder
from mediaground.models.bridge import BRIDGE_SOURCE, LabelBridge
from mediaground.pipeline.embed import text_sha

PRIMARY_ROLES = ("text", "image", "audio")
DUTY_KINDS = {"text": None, "image": ("image",), "audio": ("audio", "video")}


def duty_of(role: str, model: Embedder) -> str:
    if role in PRIMARY_ROLES:
        return role
    for modality in ("image", "audio"):
        if modality in model.inputs:
            return modality
    return "text"


def searchable_for(metadata: dict) -> dict[str, str]:
    """The searchable text of a stored record, as ingest builds it (tags + reverse-geocoded place)."""
    from mediaground.metadata.record import MetadataRecord
    from mediaground.pipeline.ingest import place_with_geo

    searchable = MetadataRecord.from_dict(metadata).searchable_text()
    place = place_with_geo(searchable.get("place", ""), metadata.get("geo_place"))
    if place:
        searchable["place"] = place
    return searchable


def asset_document(metadata: dict) -> str:
    """The text an asset's text vector embeds, exactly as ingest builds it (place names included)."""
    from mediaground.pipeline.ingest import text_document

    return text_document(searchable_for(metadata))


def forget_text(db, asset_ids) -> None:
    """An asset's words changed (its pixels and sound cannot: same essence, same asset): spaces that
    embed text re-embed it at the next catch-up; image and audio spaces keep their vectors."""
    db.executemany("DELETE FROM space_assets WHERE asset_id=? AND space_id IN"
                   " (SELECT space_id FROM spaces WHERE modality='text')", [(a,) for a in asset_ids])


def pending_assets(lib, space_id: str, duty: str) -> list:
    kinds = DUTY_KINDS[duty]
    sql = "SELECT asset_id, kind, current_sha256, metadata FROM assets a"
    args: list = []
    where = []
    if kinds:
        where.append(f"a.kind IN ({','.join('?' * len(kinds))})")
        args += kinds
    where.append("NOT EXISTS (SELECT 1 FROM space_assets s WHERE s.space_id=? AND s.asset_id=a.asset_id)")
    args.append(space_id)
    if where:
        sql += " WHERE " + " AND ".join(where)
    return lib.catalog.db.execute(sql + " ORDER BY a.asset_id", args).fetchall()


def fill_space(lib, space_id: str, progress: Callable | None = None, rebuild: bool = False,
               batch_size: int | None = None) -> dict[str, int]:
    """Embed every asset the space lacks (all of them with `rebuild`: its vectors are dropped
    first). Returns counts: assets processed, vectors written, assets failed."""
    from mediaground.pipeline.ingest import Progress

    row = lib.space_row(space_id)
    if row["status"] == "retired":
        raise MediagroundError(f"space {space_id} is retired; its vectors were deleted")
    model = lib.model_for(space_id)  # refuses a model whose weights no longer match the pin
    duty = duty_of(row["role"], model)
    if rebuild:
        lib.index.drop(space_id)
        with lib.catalog.transaction() as db:
            db.execute("DELETE FROM vectors WHERE space_id=?", (space_id,))
            db.execute("DELETE FROM space_assets WHERE space_id=?", (space_id,))
    rows = pending_assets(lib, space_id, duty)
    size = batch_size or getattr(model, "batch_size", 32) or 32
    counts = {"assets": 0, "vectors": 0, "failed": 0}
    batches = [rows[i:i + size] for i in range(0, len(rows), size)]
    # images: the next batch decodes (two threads; PIL releases the GIL) while the model runs
    with ThreadPoolExecutor(1) as ahead, ThreadPoolExecutor(2) as decoders:
        if duty == "image":
            decoded = _prefetch(ahead, batches, lambda b: _decode_images(lib, model, b, decoders))
            results = (_image_batch(model, lib, *d) for d in decoded)
        elif duty == "text":
            bridge = _bridge_for(lib, model)  # label embeddings load once, not per batch
            results = (_text_batch(lib, model, b, bridge) for b in batches)
        else:
            results = (_audio_batch(lib, model, b) for b in batches)
        for batch, (vectors, labels, errors) in zip(batches, results):
            _write_batch(lib, row, space_id, batch, vectors, labels, errors, counts)
            if progress:
                progress(Progress(len(rows), counts["assets"], batch[-1]["asset_id"], "embedded"))
    if rows:
        lib.index.optimize(space_id)
    return counts


def _prefetch(pool, batches, load):
    """Yield load(batch) for each batch in order, the next one already loading in `pool`."""
    future = pool.submit(load, batches[0]) if batches else None
    for i in range(len(batches)):
        current = future.result()
        future = pool.submit(load, batches[i + 1]) if i + 1 < len(batches) else None
        yield current


def _write_batch(lib, row, space_id, batch, vectors, labels, errors, counts) -> None:
    """Index first, then one catalog transaction records the vectors and marks the assets done."""
    ids = [r["asset_id"] for r in batch]
    fresh = {v.chunk_id for v, _ in vectors}
    stale = [c for (c,) in lib.catalog.db.execute(
        f"SELECT chunk_id FROM vectors WHERE space_id=? AND asset_id IN ({','.join('?' * len(ids))})",
        (space_id, *ids)) if c not in fresh]  # e.g. text an updated asset no longer has
    lib.index.upsert(space_id, row["dim"], [v for v, _ in vectors])
    lib.index.delete(space_id, stale)
    per_asset: dict[str, int] = {}
    with lib.catalog.transaction() as db:
        db.executemany("DELETE FROM vectors WHERE space_id=? AND chunk_id=?", [(space_id, c) for c in stale])
        for vec, source in vectors:
            lib.catalog.record_vector(vec.chunk_id, space_id, vec.asset_id, vec.part, vec.runtime, source,
                                      vec.start, vec.end)
            per_asset[vec.asset_id] = per_asset.get(vec.asset_id, 0) + 1
        for asset_id, top in labels.items():
            lib.catalog.set_labels(asset_id, space_id, top)
        for r in batch:
            a = r["asset_id"]
            db.execute("INSERT OR REPLACE INTO space_assets(space_id, asset_id, vectors, error, at)"
                       " VALUES (?,?,?,?,?)", (space_id, a, per_asset.get(a, 0), errors.get(a), now()))
    counts["assets"] += len(batch)
    counts["vectors"] += len(vectors)
    counts["failed"] += len(errors)


Embedded = tuple[list[tuple[VectorRow, str]], dict[str, list[tuple[str, float]]], dict[str, str]]


def _decode_images(lib, model, batch, pool) -> tuple[list, dict[str, str]]:
    """Stored originals → preprocessed pixels, decoded in `pool`; failures by asset."""
    from mediaground.media.image import decode_image

    pre = model.preprocessor

    def one(r):
        try:
            decoded = decode_image(str(lib.store.path(r["current_sha256"])), pre.resize_shorter)
            return (r["asset_id"], r["kind"], pre(decoded.image)), None
        except (BadMediaError, OSError) as exc:
            return None, (r["asset_id"], f"{type(exc).__name__}: {exc}")

    results = list(pool.map(one, batch))
    return [item for item, _ in results if item], dict(err for _, err in results if err)


def _image_batch(model, lib, items, errors) -> Embedded:
    if not items:
        return [], {}, errors
    feats, probs = model.run(np.stack([p for _, _, p in items]))
    out, labels = [], {}
    names = model.labels
    tops = LabelBridge.top_labels(probs) if probs is not None and names else None
    for n, ((asset_id, kind, _), feat) in enumerate(zip(items, feats)):
        out.append((VectorRow(f"{asset_id}:image", asset_id, "image", kind, feat, model.runtime), "pixels"))
        if tops is not None:
            labels[asset_id] = [(names[i], p) for i, p in tops[n]]
    return out, labels, errors


def _audio_batch(lib, model, batch) -> Embedded:
    from mediaground.media.audio import SAMPLE_RATE, stream_audio
    from mediaground.pipeline.audio import BLOCK_SECONDS

    out, errors = [], {}
    for r in batch:
        asset_id = r["asset_id"]
        try:
            offset = 0.0
            for block in stream_audio(str(lib.store.path(r["current_sha256"])), block_seconds=BLOCK_SECONDS):
                vectors, spans = model.embed_windows(block)
                for vec, (s, e) in zip(vectors, spans):
                    s, e = round(s + offset, 3), round(e + offset, 3)
                    out.append((VectorRow(f"{asset_id}:win:{s:09.3f}", asset_id, "window", r["kind"], vec,
                                          model.runtime, s, e), "samples"))
                offset += len(block) / SAMPLE_RATE
        except BadMediaError as exc:
            if exc.reason != "no-audio":  # a silent video simply has no windows
                errors[asset_id] = f"{exc.reason}: {exc.detail}"
        except OSError as exc:
            errors[asset_id] = f"{type(exc).__name__}: {exc}"
    return out, {}, errors


def _bridge_for(lib, model) -> LabelBridge | None:
    """What turns the active image space's labels into vectors of this text model (None: no labels)."""
    if not lib.image_model.labels:
        return None
    return lib.bridge if model is lib.text_model else LabelBridge(lib.image_model, model)


def _text_batch(lib, model, batch, bridge: LabelBridge | None) -> Embedded:
    cat = lib.catalog
    texts: list[tuple[VectorRow, str, str]] = []  # (row without vector, text, source)
    bridges: list[tuple[VectorRow, str]] = []
    label_index = {n: i for i, n in enumerate(bridge.image_model.labels)} if bridge else {}
    for r in batch:
        asset_id, kind = r["asset_id"], r["kind"]
        doc = asset_document(json.loads(r["metadata"] or "{}"))
        if doc:
            texts.append((VectorRow(f"{asset_id}:text", asset_id, "text", kind, None, ""), doc, text_sha(doc)))
        for seg in cat.segments(asset_id):
            texts.append((VectorRow(seg["chunk_id"], asset_id, "segment", kind, None, "", seg["start"], seg["end"]),
                          seg["text"], text_sha(seg["text"])))
        if bridge is not None and kind == "image":
            top = [(label_index[n], p) for n, p in cat.labels(asset_id) if n in label_index]
            if top:
                bridges.append((VectorRow(f"{asset_id}:labels", asset_id, "labels", kind, bridge.bridge(top),
                                          model.runtime), BRIDGE_SOURCE))
    out = []
    if texts:
        vectors = model.embed_texts([t for _, t, _ in texts])
        for (row, _, source), vec in zip(texts, vectors):
            row.vector, row.runtime = vec, model.runtime
            out.append((row, source))
    return out + bridges, {}, {}
