"""Fill one space with vectors from the truth: stored originals plus the catalog.

This is how a shadow space is built during a migration, how added spaces (e.g. CLIP beside the
bundled models) catch up after an ingest, and what `reindex` runs for every space. Metadata is
never re-read from files and transcripts are never re-made: text comes from the catalog, pixels
and samples from the content store. Work is batched and resumable: each batch's vectors go into
the index first, then one catalog transaction records them and marks the batch's assets done (with
the reason when an asset failed), so an interrupted fill goes on where it stopped and never
duplicates a vector.

What a space holds follows its *duty*: the primary roles keep theirs ("text": metadata text,
label bridges and transcript segments; "image": features and labels; "audio": acoustic windows),
and an added space embeds what its model takes (images first, then audio, else text).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from mediaground.catalog import PRIMARY_ROLES, Asset, Catalog, FillResult, SpaceRecord, VectorRecord
from mediaground.errors import BadMediaError, MediagroundError
from mediaground.index.base import VectorIndex, VectorRow, text_chunk_id
from mediaground.ingest.audio import BLOCK_SECONDS
from mediaground.ingest.embed import text_sha
from mediaground.media.audio import SAMPLE_RATE, stream_audio
from mediaground.media.image import decode_image
from mediaground.metadata.document import embedded_text
from mediaground.models.base import Embedder
from mediaground.models.bridge import BRIDGE_SOURCE, LabelBridge
from mediaground.progress import Progress, ProgressFn
from mediaground.spaces.active import ActiveSpaces
from mediaground.store.content import ContentStore

DUTY_KINDS: dict[str, tuple[str, ...] | None] = {"text": None, "image": ("image",), "audio": ("audio", "video")}

# (vector row, what was embedded) per vector; labels by asset; errors by asset
Embedded = tuple[list[tuple[VectorRow, str]], dict[str, list[tuple[str, float]]], dict[str, str]]


def duty_of(role: str, model: Embedder) -> str:
    if role in PRIMARY_ROLES:
        return role
    for modality in ("image", "audio"):
        if modality in model.inputs:
            return modality
    return "text"


class Filler:
    """Fills spaces of one library: the catalog says what to embed, the store holds the originals."""

    def __init__(self, catalog: Catalog, index: VectorIndex, store: ContentStore, spaces: ActiveSpaces) -> None:
        self.catalog, self.index, self.store, self.spaces = catalog, index, store, spaces

    def pending(self, space_id: str) -> int:
        """How many assets the space still lacks."""
        row = self.spaces.row(space_id)
        return self.catalog.fills.count_pending(space_id, DUTY_KINDS[duty_of(row.role, self.spaces.model_for(row.space_id))])

    def fill(self, space_id: str, progress: ProgressFn | None = None, rebuild: bool = False,
             batch_size: int | None = None) -> dict[str, int]:
        """Embed every asset the space lacks (all of them with `rebuild`: its vectors are dropped
        first). Returns counts: assets processed, vectors written, assets failed."""
        row = self.spaces.row(space_id)
        if row.status == "retired":
            raise MediagroundError(f"space {space_id} is retired; its vectors were deleted")
        model = self.spaces.model_for(space_id)  # refuses a model whose weights no longer match the pin
        duty = duty_of(row.role, model)
        if rebuild:
            self.index.drop(space_id)
            with self.catalog.transaction():
                self.catalog.vectors.delete_space(space_id)
                self.catalog.fills.clear(space_id)
        assets = self.catalog.fills.pending(space_id, DUTY_KINDS[duty])
        size = batch_size or getattr(model, "batch_size", 32) or 32
        counts = {"assets": 0, "vectors": 0, "failed": 0}
        batches = [assets[i:i + size] for i in range(0, len(assets), size)]
        # images: the next batch decodes (two threads; PIL releases the GIL) while the model runs
        with ThreadPoolExecutor(1) as ahead, ThreadPoolExecutor(2) as decoders:
            if duty == "image":
                decoded = _prefetch(ahead, batches, lambda b: self._decode_images(model, b, decoders))
                results = (_image_batch(model, *d) for d in decoded)
            elif duty == "text":
                bridge = self._bridge_for(model)  # label embeddings load once, not per batch
                results = (self._text_batch(model, b, bridge) for b in batches)
            else:
                results = (self._audio_batch(model, b) for b in batches)
            for batch, embedded in zip(batches, results):
                self._write(row, batch, *embedded, counts)
                if progress:
                    progress(Progress(len(assets), counts["assets"], batch[-1].asset_id, "embedded"))
        if assets:
            self.index.optimize(space_id)
        return counts

    def catch_up(self, progress: ProgressFn | None = None) -> dict[str, int]:
        """Fill the shadow and added spaces with the assets they lack (after an ingest, or to resume)."""
        rows = [r for r in self.catalog.spaces.all()
                if r.status == "shadow" or (r.status == "active" and not r.is_primary)]
        total = {"assets": 0, "vectors": 0, "failed": 0}
        for row in rows:
            for k, v in self.fill(row.space_id, progress).items():
                total[k] = total.get(k, 0) + v
        return total

    def _write(self, row: SpaceRecord, batch: list[Asset], vectors: list[tuple[VectorRow, str]],
               labels: dict[str, list[tuple[str, float]]], errors: dict[str, str], counts: dict[str, int]) -> None:
        """Index first, then one catalog transaction records the vectors and marks the assets done."""
        space_id = row.space_id
        fresh = {v.chunk_id for v, _ in vectors}
        stale = sorted(self.catalog.vectors.chunk_ids(space_id, [a.asset_id for a in batch]) - fresh)
        self.index.upsert(space_id, row.space.dim, [v for v, _ in vectors])  # e.g. text an updated asset no
        self.index.delete(space_id, stale)                               # longer has is deleted
        per_asset: dict[str, int] = {}
        with self.catalog.transaction():
            self.catalog.vectors.delete(space_id, stale)
            self.catalog.vectors.record(VectorRecord(v.chunk_id, space_id, v.asset_id, v.part, v.runtime, source,
                                                     v.start, v.end) for v, source in vectors)
            for v, _ in vectors:
                per_asset[v.asset_id] = per_asset.get(v.asset_id, 0) + 1
            for asset_id, top in labels.items():
                self.catalog.labels.set(asset_id, space_id, top)
            self.catalog.fills.done(space_id, [FillResult(a.asset_id, per_asset.get(a.asset_id, 0),
                                                          errors.get(a.asset_id)) for a in batch])
        counts["assets"] += len(batch)
        counts["vectors"] += len(vectors)
        counts["failed"] += len(errors)

    def _decode_images(self, model, batch: list[Asset], pool) -> tuple[list, dict[str, str]]:
        """Stored originals → preprocessed pixels, decoded in `pool`; failures by asset."""
        pre = model.preprocessor

        def one(a: Asset):
            try:
                decoded = decode_image(str(self.store.path(a.current_sha256)), pre.resize_shorter)
                return (a.asset_id, a.kind, pre(decoded.image)), None
            except (BadMediaError, OSError) as exc:
                return None, (a.asset_id, f"{type(exc).__name__}: {exc}")

        results = list(pool.map(one, batch))
        return [item for item, _ in results if item], dict(err for _, err in results if err)

    def _audio_batch(self, model, batch: list[Asset]) -> Embedded:
        out, errors = [], {}
        for a in batch:
            try:
                offset = 0.0
                for block in stream_audio(str(self.store.path(a.current_sha256)), block_seconds=BLOCK_SECONDS):
                    vectors, spans = model.embed_windows(block)
                    for vec, (s, e) in zip(vectors, spans):
                        s, e = round(s + offset, 3), round(e + offset, 3)
                        out.append((VectorRow(f"{a.asset_id}:win:{s:09.3f}", a.asset_id, "window", a.kind, vec,
                                              model.runtime, s, e), "samples"))
                    offset += len(block) / SAMPLE_RATE
            except BadMediaError as exc:
                if exc.reason != "no-audio":  # a silent video simply has no windows
                    errors[a.asset_id] = f"{exc.reason}: {exc.detail}"
            except OSError as exc:
                errors[a.asset_id] = f"{type(exc).__name__}: {exc}"
        return out, {}, errors

    def _bridge_for(self, model) -> LabelBridge | None:
        """What turns the active image space's labels into vectors of this text model (None: no labels)."""
        image_model = self.spaces.image_model
        if not image_model.labels:
            return None
        return self.spaces.bridge if model is self.spaces.text_model else LabelBridge(image_model, model)

    def _text_batch(self, model, batch: list[Asset], bridge: LabelBridge | None) -> Embedded:
        """Each version its searchable files hold (what they say), the transcript segments, and the
        label bridges of images."""
        texts: list[tuple[VectorRow, str, str]] = []  # (row without vector, text, source)
        bridges: list[tuple[VectorRow, str]] = []
        label_index = {n: i for i, n in enumerate(bridge.image_model.labels)} if bridge else {}
        ids = [a.asset_id for a in batch]
        labels = self.catalog.labels.of_many(ids) if bridge is not None else {}
        files = self.catalog.files.searchable(ids)
        for a in batch:
            versions = {f.file_sha256: f.metadata for f in files.get(a.asset_id, [])}
            for sha, metadata in sorted(versions.items()):
                doc = embedded_text(metadata)
                if doc:
                    texts.append((VectorRow(text_chunk_id(a.asset_id, sha), a.asset_id, "text", a.kind, None, ""),
                                  doc, text_sha(doc)))
            for seg in self.catalog.audio.segments(a.asset_id):
                texts.append((VectorRow(seg.chunk_id, a.asset_id, "segment", a.kind, None, "", seg.start, seg.end),
                              seg.text, text_sha(seg.text)))
            if bridge is not None and a.kind == "image":
                top = [(label_index[n], p) for n, p in labels.get(a.asset_id, []) if n in label_index]
                if top:
                    bridges.append((VectorRow(f"{a.asset_id}:labels", a.asset_id, "labels", a.kind, bridge.bridge(top),
                                              model.runtime), BRIDGE_SOURCE))
        out = []
        if texts:
            vectors = model.embed_texts([t for _, t, _ in texts])
            for (row, _, source), vec in zip(texts, vectors):
                row.vector, row.runtime = vec, model.runtime
                out.append((row, source))
        return out + bridges, {}, {}


def _prefetch(pool, batches, load):
    """Yield load(batch) for each batch in order, the next one already loading in `pool`."""
    future = pool.submit(load, batches[0]) if batches else None
    for i in range(len(batches)):
        current = future.result()
        future = pool.submit(load, batches[i + 1]) if i + 1 < len(batches) else None
        yield current


def _image_batch(model, items, errors) -> Embedded:
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
