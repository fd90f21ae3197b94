"""Rebuild every vector from the truth (stored originals + catalog metadata).

The vector index is derived data: this drops the active spaces' collections and re-embeds each
asset from its stored original, so a lost or damaged `vectors/` folder is never a loss.
"""

from __future__ import annotations

import json

from mediaground.errors import BadMediaError
from mediaground.media.image import decode_image
from mediaground.pipeline.embed import BatchVectors
from mediaground.pipeline.fill import asset_document
from mediaground.pipeline.ingest import Progress


def reindex(lib, progress=None) -> dict[str, int]:
    cat, index = lib.catalog, lib.index
    spaces = lib.spaces_in_use()
    for space in spaces:
        index.drop(space.id)
    with cat.transaction() as db:
        for space in spaces:
            db.execute("DELETE FROM vectors WHERE space_id=?", (space.id,))
    rows = cat.db.execute("SELECT asset_id, kind, current_sha256, metadata FROM assets ORDER BY asset_id").fetchall()
    pre = lib.image_model.preprocessor
    counts = {"assets": len(rows), "vectors": 0, "failed": 0}
    size = lib.image_model.batch_size
    for start in range(0, len(rows), size):
        batch = rows[start:start + size]
        images, docs = [], []
        for r in batch:
            if r["kind"] == "image":
                try:
                    decoded = decode_image(str(lib.store.path(r["current_sha256"])), pre.resize_shorter)
                    images.append((r["asset_id"], r["kind"], pre(decoded.image)))
                except (BadMediaError, OSError):
                    counts["failed"] += 1
            doc = asset_document(json.loads(r["metadata"]))
            if doc:
                docs.append((r["asset_id"], r["kind"], doc))
        vectors = BatchVectors()
        vectors.add_images(lib, images)
        vectors.add_documents(lib, docs)
        recordings = [(r["asset_id"], r["kind"], str(lib.store.path(r["current_sha256"])))
                      for r in batch if r["kind"] in ("audio", "video")]
        counts["failed"] += len(vectors.add_audio(lib, recordings))
        vectors.write_index(lib)
        with cat.transaction():
            vectors.record(lib)
            for r in batch:
                cat.log(r["asset_id"], "reembedded", spaces=[s.id for s in spaces])
        counts["vectors"] += len(vectors.image_rows) + len(vectors.text_rows) + len(vectors.audio_rows)
        if progress:
            progress(Progress(len(rows), min(start + size, len(rows)), batch[-1]["asset_id"], "reembedded"))
    for space in spaces:
        index.optimize(space.id)
    return counts
