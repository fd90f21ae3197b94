"""mediaground: make images, audio and video findable by language models."""

__version__ = "0.1.0"

from mediaground.errors import MediagroundError  # noqa: E402

__all__ = ["MediagroundError", "__version__"]
