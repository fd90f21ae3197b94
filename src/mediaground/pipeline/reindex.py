"""Rebuild every vector from the truth (stored originals + catalog metadata).

The vector index is derived data: this drops the active spaces' collections and re-embeds each
asset from its stored original, so a lost or damaged `vectors/` folder is never a loss.
"""

from __future__ import annotations

import json

import numpy as np

from mediaground.errors import BadMediaError
from mediaground.index.base import VectorRow
from mediaground.models.bridge import BRIDGE_SOURCE
from mediaground.media.image import decode_image
from mediaground.metadata.record import MetadataRecord
from mediaground.pipeline.ingest import Progress, _sha, text_document


def reindex(lib, progress=None) -> dict[str, int]:
    cat, index = lib.catalog, lib.index
    text_space, image_space = lib.text_space, lib.image_space
    for space in (text_space, image_space):
        index.drop(space.id)
    with cat.transaction() as db:
        db.execute("DELETE FROM vectors WHERE space_id IN (?, ?)", (text_space.id, image_space.id))
    rows = cat.db.execute("SELECT asset_id, kind, current_sha256, metadata FROM assets ORDER BY asset_id").fetchall()
    pre, model = lib.image_model.preprocessor, lib.image_model
    counts = {"assets": len(rows), "vectors": 0, "failed": 0}
    size = model.batch_size
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        pixels, image_assets = [], []
        for r in batch:
            if r["kind"] != "image":
                continue
            try:
                pixels.append(pre(decode_image(str(lib.store.path(r["current_sha256"])), pre.resize_shorter).image))
                image_assets.append(r)
            except (BadMediaError, OSError):
                counts["failed"] += 1
        image_rows, text_rows, labels = [], [], {}
        if pixels:
            feats, probs = model.run(np.stack(pixels))
            for r, f, top in zip(image_assets, feats, lib.bridge.top_labels(probs)):
                labels[r["asset_id"]] = top
                image_rows.append(VectorRow(f"{r['asset_id']}:image", r["asset_id"], "image", r["kind"], f, model.runtime))
                text_rows.append(VectorRow(f"{r['asset_id']}:labels", r["asset_id"], "labels", r["kind"],
                                           lib.bridge.bridge(top), lib.text_model.runtime))
        docs = {r["asset_id"]: text_document(MetadataRecord.from_dict(json.loads(r["metadata"])).searchable_text())
                for r in batch}
        docs = {a: d for a, d in docs.items() if d}
        kinds = {r["asset_id"]: r["kind"] for r in batch}
        if docs:
            for (a, _), v in zip(docs.items(), lib.text_model.embed_texts(list(docs.values()))):
                text_rows.append(VectorRow(f"{a}:text", a, "text", kinds[a], v, lib.text_model.runtime))
        index.upsert(image_space.id, image_space.dim, image_rows)
        index.upsert(text_space.id, text_space.dim, text_rows)
        with cat.transaction():
            for a, top in labels.items():
                cat.set_labels(a, image_space.id, [(model.labels[i], s) for i, s in top])
            for row in image_rows:
                cat.record_vector(row.chunk_id, image_space.id, row.asset_id, "image", row.runtime, "pixels")
            for row in text_rows:
                src = _sha(docs[row.asset_id]) if row.part == "text" else BRIDGE_SOURCE
                cat.record_vector(row.chunk_id, text_space.id, row.asset_id, row.part, row.runtime, src)
            for r in batch:
                cat.log(r["asset_id"], "reembedded", spaces=[text_space.id, image_space.id])
        counts["vectors"] += len(image_rows) + len(text_rows)
        if progress:
            done = min(start + size, len(rows))
            progress(Progress(len(rows), done, batch[-1]["asset_id"], "reembedded"))
    for space in (text_space, image_space):
        index.optimize(space.id)
    return counts
