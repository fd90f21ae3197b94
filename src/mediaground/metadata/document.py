"""The searchable document of an asset: what it says about itself in words, built in one place.

From the normalized record (tags, plus the place names its GPS resolved to), the file name, the
format and the image model's labels, `SearchDocument` gives the two views search uses:

* `fields`: the full-text columns (title, caption, keywords, labels, creator, place, filename,
  other), ranked with per-column weights by the catalog's full-text index;
* `text`: the sentence the text space embeds (title, headline, caption, alt text, keywords, place).

The IPTC headline is searched with the title and embedded beside it; the IPTC source (who holds
the original) with the creator, credit and copyright; the IPTC Extension locations (shown, created)
are part of the place.

Ingest, re-normalization after a vocabulary change and the filling of text spaces all build it
here, so the full-text row and the text vector always describe the same record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from mediaground.metadata.record import MetadataRecord

_EMBEDDED = ("title", "headline", "caption", "alt_text", "keywords", "place")
_OTHER = ("artist", "album", "genre", "comment")


def place_with_geo(known: str, geo_place: Mapping[str, Any] | None) -> str:
    """The place text an asset is searched by: its tagged place plus the names its GPS resolved to."""
    if not geo_place:
        return known
    names = [n for n in (geo_place.get("city"), geo_place.get("region"), geo_place.get("country")) if n]
    extra = [n for n in names if n.lower() not in known.lower()]
    return ", ".join(filter(None, [known, *extra])) if extra else known


def searchable_fields(metadata: Mapping[str, Any]) -> dict[str, str]:
    """Named text fields of a stored record: its tags, and the place with reverse-geocoded names."""
    searchable = MetadataRecord.from_dict(dict(metadata)).searchable_text()
    place = place_with_geo(searchable.get("place", ""), metadata.get("geo_place"))
    if place:
        searchable["place"] = place
    return searchable


def filename_words(path: str | None) -> str:
    """A file name as words ("IMG_2041-beach.jpg" → "IMG 2041 beach")."""
    if not path:
        return ""
    stem = Path(path).stem
    return " ".join(stem.replace("_", " ").replace("-", " ").replace(".", " ").split())


@dataclass(frozen=True)
class SearchDocument:
    searchable: dict[str, str]
    filename: str
    format: str
    labels: tuple[str, ...]

    @classmethod
    def build(cls, metadata: Mapping[str, Any], path: str | None, fmt: str | None,
              labels: Sequence[str] = ()) -> "SearchDocument":
        """`labels`: the search names of the asset's model labels, best first."""
        return cls(searchable_fields(metadata), filename_words(path), fmt or "", tuple(labels))

    @property
    def text(self) -> str:
        """What the asset's text vector embeds ("" when it has no words of its own)."""
        parts = [self.searchable.get(k, "") for k in _EMBEDDED]
        return ". ".join(p.strip() for p in parts if p and p.strip())

    @property
    def fields(self) -> dict[str, str]:
        s = self.searchable
        return {
            "title": " ".join(filter(None, [s.get("title", ""), s.get("headline", "")])),
            "caption": " ".join(filter(None, [s.get("caption", ""), s.get("alt_text", "")])),
            "keywords": s.get("keywords", ""),
            "labels": "; ".join(self.labels),
            "creator": " ".join(filter(None, [s.get(k, "") for k in ("creator", "credit", "copyright", "source")])),
            "place": s.get("place", ""),
            "filename": self.filename,
            "other": " ".join(filter(None, [s.get(k, "") for k in _OTHER] + [self.format])),
        }


def embedded_text(metadata: Mapping[str, Any]) -> str:
    """The text an asset's text vector embeds, from its stored record alone."""
    return SearchDocument.build(metadata, None, None).text
