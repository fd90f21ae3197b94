"""The embedder contract: what every backend declares and implements.

A backend declares its stable model id, which inputs it takes, its dimension (from config, never
by embedding a dummy) and its preprocessing; the pinned `Space` it produces is derived from those
declarations plus the sha256 of its weights. Heavy state (sessions, weights) loads lazily, once.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import asdict, dataclass
from typing import Any, Sequence

import numpy as np

from mediaground.errors import ModelError
from mediaground.util import canonical_json, sha256_text


@dataclass(frozen=True)
class Space:
    """A pinned embedding space. Vectors from different spaces never share an index."""

    model_id: str
    revision: str
    weights_sha256: str
    preprocessor_hash: str
    prompt: str
    dim: int
    modality: str  # what the vectors describe: "text" or "image"

    @property
    def id(self) -> str:
        slug = re.sub(r"[^a-z0-9]+", "-", self.model_id.lower()).strip("-")
        digest = sha256_text(canonical_json(asdict(self)))[:12]
        return f"{slug}-{digest}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, **asdict(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Space":
        fields = {k: data[k] for k in cls.__dataclass_fields__}
        return cls(**fields)


@dataclass(frozen=True)
class ImagePreprocessor:
    """Deterministic decode → crop → resize to uint8; the model normalizes (mean/std) itself.

    The center crop is taken in source coordinates (the square a `resize_shorter` resize followed
    by a `size` crop would keep) and resized once, so work scales with the output, not the input.
    Output is uint8 CHW: 4× less to move between processes than float32, and bit-identical for
    the same file (fixed filter, fixed box arithmetic). `normalize` gives the float tensor.
    """

    size: int = 224
    resize_shorter: int = 256
    mean: tuple[float, float, float] = (0.498, 0.498, 0.498)
    std: tuple[float, float, float] = (0.502, 0.502, 0.502)
    resample: str = "bilinear"

    def __call__(self, image) -> np.ndarray:
        from PIL import Image  # decoders only: not loaded by importing the registry

        filt = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}[self.resample]
        w, h = image.size
        side = min(w, h) * self.size / self.resize_shorter
        left, top = (w - side) / 2, (h - side) / 2
        image = image.resize((self.size, self.size), filt, box=(left, top, left + side, top + side),
                             reducing_gap=3.0)
        return np.ascontiguousarray(np.asarray(image, dtype=np.uint8).transpose(2, 0, 1))

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        """uint8 (N,3,H,W) → float32 (x/255 - mean) / std, for backends without it in their graph."""
        scale = np.float32(1 / 255)
        mean = np.asarray(self.mean, np.float32).reshape(1, 3, 1, 1)
        std = np.asarray(self.std, np.float32).reshape(1, 3, 1, 1)
        return (pixels.astype(np.float32) * scale - mean) / std


class Embedder(ABC):
    """Base class of all backends. Subclasses implement `_embed_*` for the inputs they declare."""

    model_id: str = ""
    inputs: frozenset[str] = frozenset()
    batch_size: int = 32
    # What the vectors describe when the rule in `space` does not fit (joint spaces: "image+text").
    space_modality: str | None = None

    # --- declarations -------------------------------------------------------------------
    @property
    @abstractmethod
    def dim(self) -> int: ...

    @property
    @abstractmethod
    def revision(self) -> str: ...

    @abstractmethod
    def weights_sha256(self) -> str: ...

    def preprocessor_config(self) -> dict[str, Any]:
        return {}

    prompt: str = "{}"

    @property
    def runtime(self) -> str:
        return "python"

    def space(self) -> Space:
        modality = self.space_modality or ("text" if "text" in self.inputs else sorted(self.inputs)[0])
        return Space(
            model_id=self.model_id,
            revision=self.revision,
            weights_sha256=self.weights_sha256(),
            preprocessor_hash=sha256_text(canonical_json(self.preprocessor_config()))[:16],
            prompt=self.prompt,
            dim=self.dim,
            modality=modality,
        )

    # --- work ---------------------------------------------------------------------------
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        if "text" not in self.inputs:
            raise ModelError(f"{self.model_id} does not take text")
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        out = [self._embed_texts([self.prompt.format(t) for t in texts[i : i + self.batch_size]])
               for i in range(0, len(texts), self.batch_size)]
        return _check(np.concatenate(out), self)

    def _embed_texts(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - abstract-ish
        raise NotImplementedError


class ImageEmbedder(Embedder):
    """An image backend: features for image↔image search plus top labels bridged into text."""

    inputs = frozenset({"image"})
    preprocessor: ImagePreprocessor = ImagePreprocessor()

    def preprocessor_config(self) -> dict[str, Any]:
        return asdict(self.preprocessor)

    @abstractmethod
    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """(N,3,H,W) uint8 batch from `preprocessor` → (L2-normalized features (N,dim), label probs (N,L))."""

    @property
    def labels(self) -> list[str]:
        """Human-readable names of the classes `run` scores; empty for backends without labels."""
        return []

    def embed_images(self, pixels: np.ndarray) -> np.ndarray:
        feats, _ = self.run(pixels)
        return feats


def _check(vectors: np.ndarray, model: Embedder) -> np.ndarray:
    if vectors.ndim != 2 or vectors.shape[1] != model.dim:
        raise ModelError(f"{model.model_id} returned shape {vectors.shape}, declared dim {model.dim}")
    return vectors.astype(np.float32, copy=False)


def l2_normalize(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32)


def as_mono_audio(audio: np.ndarray) -> np.ndarray:
    """The audio input of every speech and sound backend: mono 1-D finite samples, as float32."""
    audio = np.asarray(audio)
    if audio.ndim != 1:
        raise ModelError(f"audio must be mono 1-D samples, got shape {audio.shape}")
    audio = np.ascontiguousarray(audio, dtype=np.float32)
    if not np.all(np.isfinite(audio)):
        raise ModelError("audio contains NaN or infinite samples")
    return audio
