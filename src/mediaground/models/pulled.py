"""Models whose weights come from `mediaground models pull`, registered from the catalogue.

Every catalogue entry with a ``"source"`` (see `mediaground.models.cache`) becomes a registry id.
Its instance is a thin proxy: constructing it never touches the cache, so `mediaground spaces`,
`doctor` and `models list` work before anything is pulled. On first use (``dim``,
``weights_sha256()``, ``space()``, embedding…) it resolves `cache.pulled_path(id)` — which
re-verifies every file and never downloads — and builds the real backend by spec,
``{backend}?path={dir}&model_id={id}&revision={rev}`` (backends "clip", "siglip", "clap",
"whisper-ct2"), with the `build` function the registry hands to `register_pulled` (its
`get_model`): this module never imports the registry. Not pulled: ModelError("… run
`mediaground models pull ID`").

The revision passed on is the catalogue's, so the same bytes give the same pinned space whether
they came from the hub or from a local mirror. Options given to the pulled id (e.g.
``clip-vit-base-patch32?prompt=a photo of {}``) are passed on to the backend.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from mediaground.errors import MediagroundError, ModelError, UnknownModelError
from mediaground.models import cache
from mediaground.models.base import Embedder, ImageEmbedder, ImagePreprocessor, Space
from mediaground.models.catalogue import load_catalogue, model_info
from mediaground.models.spec import format_spec

Build = Callable[[str], Embedder]  # spec → the shared backend instance (the registry's get_model)

# what each backend takes, known before anything is pulled (library checks `inputs` up front)
BACKEND_INPUTS: dict[str, frozenset[str]] = {
    "clip": frozenset({"image", "text"}),
    "siglip": frozenset({"image", "text"}),
    "clap": frozenset({"audio", "text"}),
    "whisper-ct2": frozenset({"audio"}),
}


def register_pulled(register: Callable[..., None], build: Build) -> None:
    """Register every catalogue id that has a ``source`` (ids a built-in already owns are skipped);
    each builds its backend, once pulled, with ``build(spec)``."""
    try:
        catalogue = load_catalogue()
    except MediagroundError:
        return  # a broken override file is reported where the catalogue is read (spaces, doctor, models list)
    for model_id, info in catalogue.items():
        source = info.extra.get("source")
        if not isinstance(source, dict):
            continue
        try:
            register(model_id, _factory(model_id, build))
        except MediagroundError:
            continue


def _factory(model_id: str, build: Build) -> Callable[..., Embedder]:
    def make(**options: str) -> Embedder:
        return pulled_model(model_id, build, options)

    return make


def pulled_model(model_id: str, build: Build, options: dict[str, str] | None = None) -> Embedder:
    """The lazy proxy for a pulled model: an ImageEmbedder when its backend takes images."""
    info = model_info(model_id)
    source = info.extra.get("source") if info else None
    backend = source.get("backend") if isinstance(source, dict) else None
    inputs = BACKEND_INPUTS.get(backend or "") or frozenset(info.modalities if info else ())
    cls = PulledImageModel if "image" in inputs else PulledModel
    return cls(model_id, inputs, options or {}, build)


def build_backend(model_id: str, build: Build, options: dict[str, str] | None = None) -> Embedder:
    """Resolve the verified cached folder and build the backend on it, by spec."""
    src = cache.source_of(model_id)
    folder = cache.pulled_path(model_id)
    spec = format_spec(src.backend, {**(options or {}), "path": str(folder), "model_id": model_id,
                                     "revision": src.revision})
    try:
        return build(spec)
    except UnknownModelError as exc:
        raise ModelError(f"{model_id} needs the {src.backend!r} backend, which is not registered ({exc})") from exc


class _Lazy:
    """Shared by both proxies: resolve once, then delegate."""

    def _init(self, model_id: str, inputs: frozenset[str], options: dict[str, str], build: Build) -> None:
        self.model_id = model_id
        self.inputs = inputs
        self._options = dict(options)
        self._build = build
        self._inner: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def backend(self) -> Embedder:
        """The real backend (pulls nothing: ModelError when the model is not in the local cache)."""
        with self._lock:
            if self._inner is None:
                inner = build_backend(self.model_id, self._build, self._options)
                if inner.inputs != self.inputs:
                    self.inputs = inner.inputs
                self._inner = inner
            return self._inner

    @property
    def is_resolved(self) -> bool:
        return self._inner is not None

    # --- declarations, delegated ---------------------------------------------------------
    @property
    def dim(self) -> int:
        return self.backend.dim

    @property
    def revision(self) -> str:
        return self.backend.revision

    def weights_sha256(self) -> str:
        return self.backend.weights_sha256()

    def preprocessor_config(self) -> dict[str, Any]:
        return self.backend.preprocessor_config()

    @property
    def prompt(self) -> str:  # type: ignore[override]
        return self.backend.prompt

    @property
    def runtime(self) -> str:
        return self.backend.runtime

    @property
    def batch_size(self) -> int:  # type: ignore[override]
        return self.backend.batch_size

    @property
    def space_modality(self) -> str | None:  # joint spaces ("image+text") say so on the backend
        return getattr(self.backend, "space_modality", None)

    def space(self) -> Space:
        return self.backend.space()

    def embed_texts(self, texts):
        return self.backend.embed_texts(texts)

    def __getattr__(self, name: str):
        # only reached for what the proxy does not define: transcribe, embed_windows, embed_audio, …
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.backend, name)

    def __repr__(self) -> str:
        return f"<pulled {self.model_id} {'resolved' if self._inner is not None else 'not resolved'}>"


class PulledModel(_Lazy, Embedder):
    def __init__(self, model_id: str, inputs: frozenset[str], options: dict[str, str], build: Build) -> None:
        self._init(model_id, inputs, options, build)


class PulledImageModel(_Lazy, ImageEmbedder):
    def __init__(self, model_id: str, inputs: frozenset[str], options: dict[str, str], build: Build) -> None:
        self._init(model_id, inputs, options, build)

    @property
    def preprocessor(self) -> ImagePreprocessor:  # type: ignore[override]
        return self.backend.preprocessor  # type: ignore[attr-defined]

    @property
    def labels(self) -> list[str]:
        return self.backend.labels  # type: ignore[attr-defined]

    def run(self, pixels: np.ndarray):
        return self.backend.run(pixels)  # type: ignore[attr-defined]

    def embed_images(self, pixels: np.ndarray) -> np.ndarray:
        return self.backend.embed_images(pixels)  # type: ignore[attr-defined]
