"""One registry of embedding backends keyed by stable ids, with aliases.

Built-in backends register explicitly in `_register_builtins`; third-party ones through the
`mediaground.models` entry point group, loaded lazily once. Registering an id twice is an error,
never a silent replacement. Instances are cached: a model loads once per process.
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Callable

from mediaground.errors import MediagroundError, UnknownModelError
from mediaground.models.base import Embedder

Factory = Callable[[], Embedder]

_factories: dict[str, Factory] = {}
_aliases: dict[str, str] = {}
_instances: dict[str, Embedder] = {}
_lock = threading.Lock()
_loaded = False


def register(model_id: str, factory: Factory, aliases: tuple[str, ...] = ()) -> None:
    for name in (model_id, *aliases):
        if name in _factories or name in _aliases:
            raise MediagroundError(f"model id {name!r} is already registered")
    _factories[model_id] = factory
    for alias in aliases:
        _aliases[alias] = model_id


def _register_builtins() -> None:
    from mediaground.models import efficientnet, fake, minilm

    register(minilm.MODEL_ID, minilm.MiniLM, aliases=("minilm", "all-MiniLM-L6-v2"))
    register(efficientnet.MODEL_ID, efficientnet.EfficientNetLite0, aliases=("efficientnet",))
    register(fake.FakeText.model_id, fake.FakeText)
    register(fake.FakeImage.model_id, fake.FakeImage)
    register(fake.FakeAudio.model_id, fake.FakeAudio)
    register("whisper-tiny.en", _whisper, aliases=("whisper",))


def _whisper() -> Embedder:
    from mediaground.models.whisper import WhisperTinyEn  # faster-whisper loads only when used

    return WhisperTinyEn()


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


def canonical_id(name: str) -> str:
    _ensure_loaded()
    name = _aliases.get(name, name)
    if name not in _factories:
        known = ", ".join(sorted(_factories))
        raise UnknownModelError(f"unknown model {name!r}; known models: {known}")
    return name


def get_model(name: str) -> Embedder:
    """The shared instance of a backend (created on first use; weights load lazily inside)."""
    model_id = canonical_id(name)
    with _lock:
        if model_id not in _instances:
            _instances[model_id] = _factories[model_id]()
        return _instances[model_id]


def available() -> list[str]:
    _ensure_loaded()
    return sorted(_factories)
