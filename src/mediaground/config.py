"""Where things live: the default library, the model cache. All overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

LIBRARY_ENV = "MEDIAGROUND_LIBRARY"
CACHE_ENV = "MEDIAGROUND_CACHE"
RUNTIME_ENV = "MEDIAGROUND_RUNTIME"  # "onnxruntime" (default when it works) or "torch"


def default_library_path() -> Path:
    """`$MEDIAGROUND_LIBRARY`, else `$XDG_DATA_HOME/mediaground/library` (~/.local/share/...)."""
    if os.environ.get(LIBRARY_ENV):
        return Path(os.environ[LIBRARY_ENV]).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "mediaground" / "library"


def cache_dir() -> Path:
    """Derived, rebuildable files (exported ONNX graphs, label embeddings, weight hashes)."""
    if os.environ.get(CACHE_ENV):
        path = Path(os.environ[CACHE_ENV]).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "mediaground"
    path.mkdir(parents=True, exist_ok=True)
    return path


def preferred_runtime() -> str:
    return os.environ.get(RUNTIME_ENV, "onnxruntime")
