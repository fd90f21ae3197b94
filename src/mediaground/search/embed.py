"""Embed the query: an example image or sound clip as a vector of a space's model, or an asset's
own stored vectors as one query vector."""

from __future__ import annotations

import numpy as np

from mediaground.catalog import Catalog
from mediaground.errors import BadMediaError, MediagroundError
from mediaground.index.base import VectorIndex
from mediaground.media.audio import decode_audio
from mediaground.media.image import decode_image


def mean_unit(vecs) -> np.ndarray:
    """The normalized mean of several vectors (a clip's windows, an asset's chunks)."""
    v = np.mean(np.asarray(vecs, np.float32), axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def image_file_vector(model, path: str) -> np.ndarray:
    """An image file as a vector of an image model, preprocessed as its space pins."""
    pre = model.preprocessor
    try:
        decoded = decode_image(path, pre.resize_shorter)
    except FileNotFoundError as exc:
        raise MediagroundError(f"no such file: {path}") from exc
    except BadMediaError as exc:
        raise MediagroundError(f"cannot read {path} as an image: {exc}") from exc
    feats, _ = model.run(pre(decoded.image)[None])
    return feats[0]


def audio_file_vector(model, path: str) -> np.ndarray:
    """A sound clip as one vector: the mean of its windows."""
    try:
        vecs, _ = model.embed_windows(decode_audio(path))
    except BadMediaError as exc:
        raise MediagroundError(f"cannot read {path} as audio: {exc}") from exc
    return mean_unit(vecs)


def stored_vectors(catalog: Catalog, index: VectorIndex, space_id: str, asset_id: str) -> list[np.ndarray]:
    """An asset's own vectors in a space (to search "more like this asset")."""
    records = catalog.vectors.of_asset(asset_id, space_id)
    return [v for v in (index.get(space_id, r.chunk_id) for r in records) if v is not None]
