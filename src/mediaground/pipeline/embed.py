"""Embedding a batch, shared by ingest and reindex: image features, label bridges, text vectors,
then the index write and the catalog bookkeeping that says which vectors exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from mediaground.index.base import VectorRow
from mediaground.models.bridge import BRIDGE_SOURCE


def text_sha(text: str) -> str:
    """What a text vector was made from, so unchanged text is never embedded twice."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class BatchVectors:
    image_rows: list[VectorRow] = field(default_factory=list)
    text_rows: list[VectorRow] = field(default_factory=list)
    labels: dict[str, list[tuple[int, float]]] = field(default_factory=dict)  # asset → (label index, p)
    sources: dict[str, str] = field(default_factory=dict)                     # chunk_id → source
    stale_text: list[str] = field(default_factory=list)  # text chunks whose asset lost its text

    def add_images(self, lib, items: list[tuple[str, str, np.ndarray]]) -> None:
        """(asset_id, kind, preprocessed pixels) → image vectors + label-bridge vectors."""
        if not items:
            return
        feats, probs = lib.image_model.run(np.stack([pixels for _, _, pixels in items]))
        image_runtime, text_runtime = lib.image_model.runtime, lib.text_model.runtime
        for (asset_id, kind, _), feat, top in zip(items, feats, lib.bridge.top_labels(probs)):
            self.labels[asset_id] = top
            self._add(self.image_rows, VectorRow(f"{asset_id}:image", asset_id, "image", kind, feat, image_runtime),
                      "pixels")
            self._add(self.text_rows, VectorRow(f"{asset_id}:labels", asset_id, "labels", kind,
                                                lib.bridge.bridge(top), text_runtime), BRIDGE_SOURCE)

    def add_documents(self, lib, items: list[tuple[str, str, str]]) -> None:
        """(asset_id, kind, text) → one text vector per asset."""
        if not items:
            return
        vectors = lib.text_model.embed_texts([doc for _, _, doc in items])
        for (asset_id, kind, doc), vec in zip(items, vectors):
            self._add(self.text_rows, VectorRow(f"{asset_id}:text", asset_id, "text", kind, vec,
                                                lib.text_model.runtime), text_sha(doc))

    def _add(self, rows: list[VectorRow], row: VectorRow, source: str) -> None:
        rows.append(row)
        self.sources[row.chunk_id] = source

    def drop_assets(self, asset_ids: set[str]) -> None:
        self.image_rows = [r for r in self.image_rows if r.asset_id not in asset_ids]
        self.text_rows = [r for r in self.text_rows if r.asset_id not in asset_ids]
        self.labels = {a: top for a, top in self.labels.items() if a not in asset_ids}
        self.stale_text = [c for c in self.stale_text if c.split(":", 1)[0] not in asset_ids]

    def write_index(self, lib) -> None:
        lib.index.upsert(lib.image_space.id, lib.image_space.dim, self.image_rows)
        lib.index.upsert(lib.text_space.id, lib.text_space.dim, self.text_rows)

    def record(self, lib) -> None:
        """Catalog rows for these vectors and labels; call inside the batch's transaction."""
        cat, names = lib.catalog, lib.image_model.labels
        for asset_id, top in self.labels.items():
            cat.set_labels(asset_id, lib.image_space.id, [(names[i], p) for i, p in top])
        for space, rows in ((lib.image_space, self.image_rows), (lib.text_space, self.text_rows)):
            for row in rows:
                cat.record_vector(row.chunk_id, space.id, row.asset_id, row.part, row.runtime,
                                  self.sources[row.chunk_id])
