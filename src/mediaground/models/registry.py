"""One registry of embedding backends keyed by stable ids, with aliases and options.

A model is named by a *spec*: its id, optionally followed by options in URL query form,
e.g. ``efficientnet-lite0?resample=bicubic`` or ``clip?path=/models/clip-vit-b32``. Factories take
the options as keyword arguments (strings). The canonical spec (id + sorted options) is what a
library stores beside each pinned space, so the exact model can be rebuilt later.

Built-in backends register in `_register_builtins`; third-party ones through the
`mediaground.models` entry point group (a callable receiving `register`), loaded lazily once.
Registering an id twice is an error, never a silent replacement. Instances are cached per
canonical spec: a model loads once per process.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Callable
from urllib.parse import parse_qsl, urlencode

from mediaground.errors import MediagroundError, ModelError, UnknownModelError
from mediaground.models.base import Embedder

Factory = Callable[..., Embedder]

_factories: dict[str, Factory] = {}
_aliases: dict[str, str] = {}
_instances: dict[str, Embedder] = {}
_lock = threading.RLock()
_loaded = False


def register(model_id: str, factory: Factory, aliases: tuple[str, ...] = ()) -> None:
    for name in (model_id, *aliases):
        if name in _factories or name in _aliases:
            raise MediagroundError(f"model id {name!r} is already registered")
    _factories[model_id] = factory
    for alias in aliases:
        _aliases[alias] = model_id


def _register_builtins() -> None:
    from mediaground.models import efficientnet, minilm

    register(minilm.MODEL_ID, minilm.MiniLM, aliases=("minilm", "all-MiniLM-L6-v2"))
    register(efficientnet.MODEL_ID, efficientnet.EfficientNetLite0, aliases=("efficientnet",))
    register("whisper-tiny.en", _whisper, aliases=("whisper",))
    register("clip", _clip)      # any transformers CLIP folder: clip?path=DIR
    register("siglip", _siglip)  # any transformers SigLIP folder: siglip?path=DIR
    register("clap", _clap)      # any transformers CLAP folder: clap?path=DIR
    register("whisper-ct2", _whisper_ct2)  # any CTranslate2 Whisper folder: whisper-ct2?path=DIR
    from mediaground.models import pulled, remote

    remote.register_remote(register)  # openai-embeddings, vertex-multimodal
    pulled.register_pulled(register)  # catalogue entries with a "source" (`mediaground models pull`)


def _whisper() -> Embedder:
    from mediaground.models.whisper import WhisperTinyEn  # faster-whisper loads only when used

    return WhisperTinyEn()


def _whisper_ct2(path: str, model_id: str | None = None, revision: str | None = None,
                 compute_type: str = "int8") -> Embedder:
    from mediaground.models.whisper import Whisper

    return Whisper(path=path, model_id=model_id, revision=revision, compute_type=compute_type)


def _clip(path: str | None = None, **options) -> Embedder:
    from mediaground.models.hf_clip import HFImageText  # torch/transformers load only when used

    return HFImageText(path, family="clip", **options)


def _siglip(path: str | None = None, **options) -> Embedder:
    from mediaground.models.hf_clip import HFImageText

    return HFImageText(path, family="siglip", **options)


def _clap(path: str | None = None, **options) -> Embedder:
    from mediaground.models.clap import CLAP

    return CLAP(path, **options)


def _ensure_loaded() -> None:
    global _loaded
    with _lock:
        if _loaded:
            return
        _loaded = True
        _register_builtins()
        for ep in entry_points(group="mediaground.models"):
            plugin = ep.load()
            plugin(register)


def reset_for_tests() -> None:
    """Forget every registration and instance (tests that add entry points call this)."""
    global _loaded
    with _lock:
        _factories.clear()
        _aliases.clear()
        _instances.clear()
        _loaded = False


def parse_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``"id?k=v&k2=v2"`` → (canonical id, options). Unknown ids raise UnknownModelError."""
    name, _, query = spec.strip().partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    return canonical_id(name), options


def format_spec(model_id: str, options: dict[str, str] | None = None) -> str:
    """The canonical spec string: id, then options sorted by key."""
    if not options:
        return model_id
    return f"{model_id}?{urlencode(sorted((str(k), str(v)) for k, v in options.items()))}"


def canonical_spec(spec: str) -> str:
    return format_spec(*parse_spec(spec))


def canonical_id(name: str) -> str:
    _ensure_loaded()
    name = name.partition("?")[0]
    name = _aliases.get(name, name)
    if name not in _factories:
        known = ", ".join(sorted(_factories))
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}")
    return name


def get_model(spec: str) -> Embedder:
    """The shared instance of a backend for this spec (created on first use; weights load lazily)."""
    model_id, options = parse_spec(spec)
    key = format_spec(model_id, options)
    with _lock:
        if key not in _instances:
            try:
                _instances[key] = _factories[model_id](**options)
            except TypeError as exc:
                raise ModelError(f"bad options for model {model_id}: {options} ({exc})") from exc
        return _instances[key]


def available() -> list[str]:
    _ensure_loaded()
    return sorted(_factories)
