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
    headline: str | None = None  # IPTC Headline (IIM 2:105, photoshop:Headline): a short synopsis
    caption: str | None = None
    alt_text: str | None = None
    extended_description: str | None = None  # IPTC Extended Description (Accessibility), the long alt text
    keywords: list[str] = field(default_factory=list)
    creator: list[str] = field(default_factory=list)
    credit: str | None = None
    copyright: str | None = None
    source: str | None = None  # IPTC Source (IIM 2:115, photoshop:Source): who holds the original
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
    # IPTC Extension LocationShown (every place shown) and LocationCreated (where it was taken): dicts
    # of name, sublocation, city, state, country, country_code, world_region, gps_lat, gps_lon, gps_alt
    location_shown: list[dict[str, Any]] = field(default_factory=list)
    location_created: dict[str, Any] | None = None
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
            if isinstance(value, list):
                value = [dict(v) if isinstance(v, dict) else v for v in value]
            out[f.name] = dict(value) if isinstance(value, dict) else value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MetadataRecord:
        """Inverse of to_dict; unknown keys are ignored so older code can read newer catalogs."""
        known = {f.name for f in fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in known and v is not None}
        for name in ("keywords", "creator", "warnings"):
            if name in kwargs:
                kwargs[name] = list(kwargs[name])
        if "location_shown" in kwargs:
            kwargs["location_shown"] = [dict(item) for item in kwargs["location_shown"]]
        if "location_created" in kwargs:
            kwargs["location_created"] = dict(kwargs["location_created"])
        if "sources" in kwargs:
            kwargs["sources"] = dict(kwargs["sources"])
        return cls(**kwargs)

    def searchable_text(self) -> dict[str, str]:
        """Named text fields for the full-text index; empty fields are left out."""
        place = ", ".join(_dedupe_names([self.location, self.city, self.state, self.country,
                                         *(_place_names(loc) for loc in self.location_shown),
                                         _place_names(self.location_created)]))
        # The extended description is the long form of the alt text: the index searches both under alt_text.
        alt = "\n".join(t for t in (self.alt_text, self.extended_description) if t)
        candidates = {
            "title": self.title,
            # a headline that repeats the title adds nothing to search
            "headline": self.headline if (self.headline or "").casefold() != (self.title or "").casefold() else None,
            "caption": self.caption,
            "alt_text": alt,
            "keywords": ", ".join(self.keywords),
            "creator": ", ".join(self.creator),
            "credit": self.credit,
            "copyright": self.copyright,
            "source": self.source,
            "place": place,
            "artist": self.artist,
            "album": self.album,
            "genre": self.genre,
            "comment": self.comment,
        }
        return {k: v for k, v in candidates.items() if v}


_PLACE_KEYS = ("name", "sublocation", "city", "state", "country", "world_region")


def _place_names(location: dict[str, Any] | None) -> str | None:
    """The names of an IPTC Extension location, most specific first ("Lincoln Memorial, Washington, ...")."""
    if not location:
        return None
    return ", ".join(str(location[k]) for k in _PLACE_KEYS if location.get(k)) or None


def _dedupe_names(parts: list[str | None]) -> list[str]:
    """The comma-separated names of `parts`, each once (case-insensitively), in order."""
    seen: set[str] = set()
    out: list[str] = []
    for part in parts:
        for name in (part or "").split(", "):
            if name.strip() and name.strip().casefold() not in seen:
                seen.add(name.strip().casefold())
                out.append(name.strip())
    return out
