"""Embed: a batch's vectors in the active primary spaces — image features and label bridges,
the text vector of each asset's document, transcripts and acoustic windows of recordings — then
(in the write step) the index upsert and the catalog records that say which vectors exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

from mediaground.catalog import Catalog, VectorRecord
from mediaground.errors import BadMediaError
from mediaground.index.base import VectorIndex, VectorRow
from mediaground.ingest.audio import AudioAnalysis, analyse
from mediaground.models.bridge import BRIDGE_SOURCE
from mediaground.spaces.active import ActiveSpaces


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
    audio_rows: list[VectorRow] = field(default_factory=list)
    audio: dict[str, AudioAnalysis] = field(default_factory=dict)  # asset → transcript + windows

    def add_images(self, spaces: ActiveSpaces, items: list[tuple[str, str, np.ndarray]]) -> None:
        """(asset_id, kind, preprocessed pixels) → image vectors + label-bridge vectors."""
        if not items:
            return
        image_model, text_model = spaces.image_model, spaces.text_model
        feats, probs = image_model.run(np.stack([pixels for _, _, pixels in items]))
        tops = spaces.bridge.top_labels(probs) if probs is not None else [None] * len(items)
        for (asset_id, kind, _), feat, top in zip(items, feats, tops):
            self._add(self.image_rows, VectorRow(f"{asset_id}:image", asset_id, "image", kind, feat,
                                                 image_model.runtime), "pixels")
            if top is None:  # a model without labels (e.g. CLIP in the image role): no bridge
                continue
            self.labels[asset_id] = top
            self._add(self.text_rows, VectorRow(f"{asset_id}:labels", asset_id, "labels", kind,
                                                spaces.bridge.bridge(top), text_model.runtime), BRIDGE_SOURCE)

    def add_documents(self, spaces: ActiveSpaces, items: list[tuple[str, str, str, str]]) -> None:
        """(asset_id, kind, chunk_id, text) → one text vector per file version (see index.base.text_chunk_id)."""
        if not items:
            return
        model = spaces.text_model
        vectors = model.embed_texts([doc for _, _, _, doc in items])
        for (asset_id, kind, chunk, doc), vec in zip(items, vectors):
            self._add(self.text_rows, VectorRow(chunk, asset_id, "text", kind, vec, model.runtime), text_sha(doc))

    def add_audio(self, spaces: ActiveSpaces, items: list[tuple[str, str, str]]) -> list[tuple[str, str]]:
        """(asset_id, kind, path) → transcript segments (text space) + acoustic windows (audio space).
        Returns (asset_id, reason) for recordings that could not be decoded."""
        if not items:
            return []
        failed = []
        model, text_model = spaces.audio_model, spaces.text_model
        for asset_id, kind, path in items:
            try:
                result = analyse(model, asset_id, path)
            except BadMediaError as exc:
                failed.append((asset_id, f"{exc.reason}: {exc.detail}"))
                continue
            if result is None:  # e.g. a video without sound
                continue
            self.audio[asset_id] = result
            for (start, end), vec in zip(result.windows, result.window_vectors):
                self._add(self.audio_rows, VectorRow(f"{asset_id}:win:{start:09.3f}", asset_id, "window", kind, vec,
                                                     model.runtime, start, end), "samples")
            if result.segments:
                vectors = text_model.embed_texts([seg.text for seg in result.segments])
                for seg, vec in zip(result.segments, vectors):
                    self._add(self.text_rows, VectorRow(seg.chunk_id, asset_id, "segment", kind, vec,
                                                        text_model.runtime, seg.start, seg.end), text_sha(seg.text))
        return failed

    def _add(self, rows: list[VectorRow], row: VectorRow, source: str) -> None:
        rows.append(row)
        self.sources[row.chunk_id] = source

    def drop_assets(self, asset_ids: set[str]) -> None:
        self.image_rows = [r for r in self.image_rows if r.asset_id not in asset_ids]
        self.text_rows = [r for r in self.text_rows if r.asset_id not in asset_ids]
        self.audio_rows = [r for r in self.audio_rows if r.asset_id not in asset_ids]
        self.audio = {a: r for a, r in self.audio.items() if a not in asset_ids}
        self.labels = {a: top for a, top in self.labels.items() if a not in asset_ids}
        self.stale_text = [c for c in self.stale_text if c.split(":", 1)[0] not in asset_ids]

    def drop_chunks(self, chunk_ids: list[str]) -> None:
        gone = set(chunk_ids)
        self.text_rows = [r for r in self.text_rows if r.chunk_id not in gone]

    def _groups(self, spaces: ActiveSpaces):
        groups = [(spaces.image_space, self.image_rows), (spaces.text_space, self.text_rows)]
        if self.audio_rows:
            groups.append((spaces.audio_space, self.audio_rows))
        return groups

    def write_index(self, index: VectorIndex, spaces: ActiveSpaces) -> None:
        """The vectors into the index (idempotent upserts), before the catalog records them."""
        for space, rows in self._groups(spaces):
            index.upsert(space.id, space.dim, rows)

    def record(self, catalog: Catalog, spaces: ActiveSpaces) -> None:
        """Catalog records of these vectors, labels and recordings; call inside the batch's transaction."""
        names = spaces.image_model.labels
        for asset_id, top in self.labels.items():
            catalog.labels.set(asset_id, spaces.image_space.id, [(names[i], p) for i, p in top])
        for space, rows in self._groups(spaces):
            catalog.vectors.record(VectorRecord(r.chunk_id, space.id, r.asset_id, r.part, r.runtime,
                                                self.sources[r.chunk_id], r.start, r.end) for r in rows)
        for result in self.audio.values():
            catalog.audio.set(result.info, result.segments)
