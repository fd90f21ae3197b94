"""HTTP surface of a library: `create_app(library_path, ...)` returns a FastAPI app."""

from __future__ import annotations

__all__ = ["create_app"]


def __getattr__(name: str):  # keep `import mediaground.api` cheap: FastAPI loads on first use
    if name == "create_app":
        from mediaground.api.http import create_app

        return create_app
    raise AttributeError(name)
