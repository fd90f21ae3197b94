"""The vector paths: nearest chunks in each space, grouped into one candidate per asset.

- text: the query text in the text space (metadata text, label bridges, transcript segments);
- image: an example image (or an image asset) in the image space;
- audio: an example clip (or a recording) in the audio space, by acoustic windows;
- added: each added space (e.g. CLIP) with whatever query modality its model takes.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from mediaground.catalog import Catalog
from mediaground.errors import MediagroundError
from mediaground.index.base import Hit, VectorIndex, text_chunk_version
from mediaground.models.base import Space
from mediaground.search.embed import audio_file_vector, image_file_vector, mean_unit, stored_vectors
from mediaground.search.fuse import Candidate, Ranking
from mediaground.search.places import Allowed
from mediaground.search.query import Query
from mediaground.spaces.active import ActiveSpaces

# Nearest neighbours always exist; a vector hit counts only if it is close in absolute terms and
# relative to the best hit of the same query (cosine, MiniLM-scale).
MIN_SIMILARITY = 0.15
RELATIVE_FLOOR = 0.5
MOMENTS = 3  # timestamped matches kept per recording: one result per asset, its best moments inside
LOW_CONFIDENCE_WEIGHT = 0.5


def text_path(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, qv: np.ndarray, pool: int,
              kinds: Sequence[str] | None, allowed: Allowed | None) -> Ranking:
    hits = index.search(spaces.text_space.id, qv, pool, kinds=kinds,
                        asset_ids=allowed.assets if allowed is not None else None)
    if hits:
        floor = max(MIN_SIMILARITY, RELATIVE_FLOOR * hits[0].score)
        hits = [h for h in hits if h.score >= floor]
    names = spaces.image_model.labels
    label_index = {n: i for i, n in enumerate(names)}
    files = version_files(catalog, [h for h in hits if h.part == "text"])
    if allowed is not None:  # the words of a file the filters do not admit do not count
        files = {c: [f for f in fs if f in allowed.files] for c, fs in files.items()}
        hits = [h for h in hits if h.part != "text" or files[h.chunk_id]]
    segment_assets = [h.asset_id for h in hits if h.part == "segment"]
    unsure = unsure_transcripts(catalog, segment_assets)
    segments = catalog.audio.segments_by_id([h.chunk_id for h in hits if h.part == "segment"])
    labels = catalog.labels.of_many([h.asset_id for h in hits if h.part == "labels"])
    by_asset: dict[str, Candidate] = {}
    for hit in hits:
        cand = by_asset.get(hit.asset_id)
        if cand is None:
            cand = by_asset[hit.asset_id] = Candidate(score=hit.score, start=hit.start, end=hit.end)
        if hit.part == "segment":
            if "vector:transcript" not in cand.why:
                cand.why.append("vector:transcript")
                if hit.asset_id in unsure:
                    trust_less(cand)
            if len(cand.moments) < MOMENTS:
                seg = segments.get(hit.chunk_id)
                cand.moments.append(_moment(hit, seg.text if seg else None, "vector:transcript"))
        elif hit.part == "labels":
            ids = [label_index[n] for n, _ in labels.get(hit.asset_id, []) if n in label_index]
            for i in spaces.bridge.explain(qv, ids, n=1):
                cand.why.append(f"label:{names[i]}")
        else:
            cand.why.append(f"vector:{hit.part}")
            cand.files += [f for f in files.get(hit.chunk_id, []) if f not in cand.files]
    return list(by_asset.items())


def version_files(catalog: Catalog, hits: Sequence[Hit]) -> dict[str, list[int]]:
    """Text chunk → the searchable files whose version it embeds (files of the same bytes share it;
    an asset-level chunk of an older library stands for the asset's files)."""
    holding = catalog.files.searchable(list(dict.fromkeys(h.asset_id for h in hits)))
    out = {}
    for h in hits:
        key = text_chunk_version(h.chunk_id)
        out[h.chunk_id] = [f.file_id for f in holding.get(h.asset_id, []) if key is None or f.file_sha256.startswith(key)]
    return out


def unsure_transcripts(catalog: Catalog, asset_ids: Sequence[str]) -> set[str]:
    """Recordings whose transcript the speech model was not confident about (other language,
    lyrics, mumble): their transcript hits still count, at half weight, and say so."""
    return {a for a, info in catalog.audio.infos(list(dict.fromkeys(asset_ids))).items() if info.language is None}


def trust_less(cand: Candidate) -> None:
    cand.weight *= LOW_CONFIDENCE_WEIGHT
    if "transcript:low-confidence" not in cand.why:
        cand.why.append("transcript:low-confidence")


def _moment(hit: Hit, text: str | None, why: str) -> dict[str, Any]:
    return {"start": hit.start, "end": hit.end, "text": text, "why": why, "similarity": round(float(hit.score), 4)}


def image_path(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, q: Query, asset_id: str | None,
               pool: int, kinds: Sequence[str] | None, allowed: Sequence[str] | None) -> Ranking:
    """Images like the example file, or like the image asset `asset_id` (which is left out)."""
    space = spaces.image_space
    if asset_id is not None:
        vector = index.get(space.id, f"{asset_id}:image")
        if vector is None:
            raise MediagroundError(f"asset {asset_id} has no image vector in {space.id}")
    else:
        vector = image_file_vector(spaces.image_model, q.image)
    hits = index.search(space.id, vector, pool + 1, kinds=kinds, asset_ids=allowed, parts=["image"])
    return [(h.asset_id, Candidate(why=["vector:image"], score=h.score)) for h in hits if h.asset_id != asset_id]


def audio_path(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, q: Query, asset_id: str | None,
               pool: int, kinds: Sequence[str] | None, allowed: Sequence[str] | None) -> Ranking | None:
    """Recordings and moments that sound like the query clip (or the recording `asset_id`)."""
    if not catalog.spaces.has_role("audio"):
        return None
    space = spaces.audio_space
    if asset_id is not None:
        vecs = stored_vectors(catalog, index, space.id, asset_id)
        if not vecs:
            raise MediagroundError(f"asset {asset_id} has no audio vectors in {space.id}")
        query = mean_unit(vecs)
    else:
        query = audio_file_vector(spaces.audio_model, q.audio)
    hits = index.search(space.id, query, pool * 4, kinds=kinds, asset_ids=allowed, parts=["window"])
    return _by_asset([h for h in hits if h.asset_id != asset_id], "vector:audio", pool)


def added_path(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, space: Space, q: Query,
               asset_id: str | None, pool: int, kinds: Sequence[str] | None,
               allowed: Sequence[str] | None) -> Ranking | None:
    """An added space answers the query modalities its model takes; its hits group by asset."""
    model = spaces.model_for(space)
    exclude = None
    if q.text and "text" in model.inputs:
        vector = model.embed_texts([q.text])[0]
    elif q.image and "image" in model.inputs:
        vector = image_file_vector(model, q.image)
    elif q.audio and "audio" in model.inputs:
        vector = audio_file_vector(model, q.audio)
    elif asset_id is not None:
        exclude = asset_id
        vecs = stored_vectors(catalog, index, space.id, asset_id)
        if not vecs:
            return None
        vector = mean_unit(vecs)
    else:
        return None
    hits = index.search(space.id, vector, pool * 4, kinds=kinds, asset_ids=allowed)
    return _by_asset([h for h in hits if h.asset_id != exclude], f"vector:{space.model_id}", pool)


def _by_asset(hits: list[Hit], why: str, pool: int) -> Ranking:
    """One candidate per asset (its best hit first), with up to MOMENTS timestamped windows."""
    by_asset: dict[str, Candidate] = {}
    for h in hits:
        cand = by_asset.get(h.asset_id)
        if cand is None:
            cand = by_asset[h.asset_id] = Candidate(why=[why], score=h.score, start=h.start, end=h.end)
        if h.part == "window" and len(cand.moments) < MOMENTS:
            cand.moments.append({"start": h.start, "end": h.end, "why": why, "similarity": round(h.score, 4)})
    return list(by_asset.items())[:pool]
