"""The normalized metadata record: one flat, JSON-friendly shape for every asset.

EXIF/IPTC/XMP and ID3/Vorbis/MP4 all say the same few things in different words; the
catalog, full-text search and citations should only ever see this record. `sources`
keeps the provenance of each field so a citation can say *where* a caption came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class MetadataRecord:
    """Normalized metadata of one asset; every field is optional (None or empty when absent)."""

    # descriptive
    title: str | None = None
    caption: str | None = None
    alt_text: str | None = None
    extended_description: str | None = None  # IPTC Extended Description (Accessibility), the long alt text
    keywords: list[str] = field(default_factory=list)
    creator: list[str] = field(default_factory=list)
    credit: str | None = None
    copyright: str | None = None
    license_url: str | None = None  # the license itself (XMP xmpRights:WebStatement / cc:license)
    licensor_url: str | None = None  # where to acquire a license (XMP PLUS Licensor/LicensorURL)
    licensor_name: str | None = None  # who grants licenses (XMP PLUS Licensor/LicensorName)
    date_created: str | None = None
    # camera / technical
    camera_make: str | None = None
    camera_model: str | None = None
    lens: str | None = None
    orientation: int | None = None
    width: int | None = None
    height: int | None = None
    # place
    gps_lat: float | None = None
    gps_lon: float | None = None
    gps_alt: float | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    country_code: str | None = None
    location: str | None = None
    # audio / video
    duration: float | None = None
    artist: str | None = None
    album: str | None = None
    genre: str | None = None
    year: int | None = None
    track: int | None = None
    bpm: int | None = None
    isrc: str | None = None
    comment: str | None = None
    has_cover_art: bool | None = None
    # bookkeeping
    sources: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Fields with a value only; 0, 0.0 and False are values (null island, no cover art)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None or (isinstance(value, (str, list, dict)) and not value):
                continue
            out[f.name] = list(value) if isinstance(value, list) else dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetadataRecord:
        """Inverse of to_dict; unknown keys are ignored so older code can read newer catalogs."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known and v is not None}
        for name in ("keywords", "creator", "warnings"):
            if name in kwargs:
                kwargs[name] = list(kwargs[name])
        if "sources" in kwargs:
            kwargs["sources"] = dict(kwargs["sources"])
        return cls(**kwargs)

    def searchable_text(self) -> dict[str, str]:
        """Named text fields for the full-text index; empty fields are left out."""
        place = ", ".join(p for p in (self.location, self.city, self.state, self.country) if p)
        # The extended description is the long form of the alt text: the index searches both under alt_text.
        alt = "\n".join(t for t in (self.alt_text, self.extended_description) if t)
        candidates = {
            "title": self.title,
            "caption": self.caption,
            "alt_text": alt,
            "keywords": ", ".join(self.keywords),
            "creator": ", ".join(self.creator),
            "credit": self.credit,
            "copyright": self.copyright,
            "place": place,
            "artist": self.artist,
            "album": self.album,
            "genre": self.genre,
            "comment": self.comment,
        }
        return {k: v for k, v in candidates.items() if v}
