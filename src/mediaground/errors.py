"""Typed errors raised by the library; only the surfaces (CLI, API) turn them into messages."""


class MediagroundError(Exception):
    """Base class of every error the library raises on purpose."""


class BadMediaError(MediagroundError):
    """A file cannot be indexed (corrupt, truncated, not media, hostile). `reason` is a short tag."""

    def __init__(self, reason: str, detail: str = ""):
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


class CatalogVersionError(MediagroundError):
    """The catalog was written by a newer mediaground than this one."""


class LibraryNotFoundError(MediagroundError):
    """No library exists at the given path."""


class UnknownModelError(MediagroundError):
    """No embedding backend is registered under the requested id."""


class ModelError(MediagroundError):
    """A backend could not be loaded or run (weights missing, checksum mismatch, bad input)."""


class AssetNotFoundError(MediagroundError):
    """No asset matches the given asset ID or path."""
