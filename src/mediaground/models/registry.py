"""One registry of embedding backends keyed by stable ids, with aliases and options.

A model is named by a *spec*: its id, optionally followed by options in URL query form,
e.g. ``efficientnet-lite0?resample=bicubic`` or ``clip?path=/models/clip-vit-b32``. Factories take
the options as keyword arguments (strings). The canonical spec (id + sorted options) is what a
library stores beside each pinned space, so the exact model can be rebuilt later. The text of a
spec is read and written by `mediaground.models.spec`; resolving its id (aliases, known ids) is here.

Built-in backends register in `_register_builtins`; third-party ones through the
`mediaground.models` entry point group (a callable receiving `register`), loaded lazily once.
Registering an id twice is an error, never a silent replacement. Instances are cached per
canonical spec: a model loads once per process.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Callable

from mediaground.errors import MediagroundError, ModelError, UnknownModelError
from mediaground.models import efficientnet, minilm, pulled, remote
from mediaground.models.base import Embedder
from mediaground.models.clap import CLAP
from mediaground.models.hf_clip import HFImageText
from mediaground.models.spec import format_spec, spec_name, split_spec
from mediaground.models.whisper import Whisper, WhisperTinyEn

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
    register(minilm.MODEL_ID, minilm.MiniLM, aliases=("minilm", "all-MiniLM-L6-v2"))
    register(efficientnet.MODEL_ID, efficientnet.EfficientNetLite0, aliases=("efficientnet",))
    register("whisper-tiny.en", WhisperTinyEn, aliases=("whisper",))
    register("clip", _clip)      # any transformers CLIP folder: clip?path=DIR
    register("siglip", _siglip)  # any transformers SigLIP folder: siglip?path=DIR
    register("clap", _clap)      # any transformers CLAP folder: clap?path=DIR
    register("whisper-ct2", _whisper_ct2)  # any CTranslate2 Whisper folder: whisper-ct2?path=DIR
    remote.register_remote(register)  # openai-embeddings, vertex-multimodal
    # catalogue entries with a "source" (`mediaground models pull`): each builds its backend by spec
    pulled.register_pulled(register, get_model)


# Backends load their weights (and torch, transformers, faster-whisper) on first use, not here.
def _whisper_ct2(path: str, model_id: str | None = None, revision: str | None = None,
                 compute_type: str = "int8") -> Embedder:
    return Whisper(path=path, model_id=model_id, revision=revision, compute_type=compute_type)


def _clip(path: str | None = None, **options) -> Embedder:
    return HFImageText(path, family="clip", **options)


def _siglip(path: str | None = None, **options) -> Embedder:
    return HFImageText(path, family="siglip", **options)


def _clap(path: str | None = None, **options) -> Embedder:
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
    name, options = split_spec(spec)
    return canonical_id(name), options


def canonical_spec(spec: str) -> str:
    return format_spec(*parse_spec(spec))


def canonical_id(name: str) -> str:
    _ensure_loaded()
    name = spec_name(name)
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
