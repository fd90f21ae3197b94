"""Parse the query: what was asked (text, an example file or asset, filters), checked, and the
words the full-text path looks for."""

from __future__ import annotations

import re
from dataclasses import dataclass

from mediaground.catalog import AssetFilter
from mediaground.errors import MediagroundError

STOPWORDS = frozenset("""a an the and or of in on at to for with without by from into over under near
is are was were be this that these those it its photo photos image images picture pictures
show shows showing me find some any""".split())


@dataclass
class Query:
    text: str | None = None
    image: str | None = None
    audio: str | None = None
    asset: str | None = None
    kind: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    near: tuple[float, float] | None = None     # with radius_km: a filter, and ranking by distance
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon
    creator: str | None = None     # exact filters on the normalized record (case-insensitive)
    keyword: str | None = None
    license: str | None = None     # matches the license URL or the copyright notice (substring)
    has_gps: bool | None = None
    limit: int = 10

    def check(self) -> None:
        if not (self.text or self.image or self.audio or self.asset or self.near or self.bbox
                or self.filters_only):
            raise MediagroundError("give a text query, an image or audio file, an asset ID, a place or a filter")
        if self.limit <= 0:
            raise MediagroundError("limit must be positive")

    @property
    def filters_only(self) -> bool:
        return bool(self.creator or self.keyword or self.license or self.has_gps is not None)

    @property
    def has_filters(self) -> bool:
        return bool(self.date_from or self.date_to or self.near or self.bbox or self.filters_only)

    @property
    def ranks_anything(self) -> bool:
        """Whether something besides the filters ranks the results."""
        return bool(self.text or self.image or self.audio or self.asset or self.near or self.bbox)

    def asset_filter(self) -> AssetFilter:
        return AssetFilter(kind=self.kind, creator=self.creator, keyword=self.keyword, license=self.license,
                           has_gps=self.has_gps, date_from=self.date_from, date_to=self.date_to,
                           located=bool(self.near or self.bbox))


def tokens(text: str) -> list[str]:
    """Query words for the full-text path: lowercased, stopwords out, plural 's' folded."""
    out = []
    for word in re.findall(r"\w+", text.lower()):
        if word in STOPWORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word not in out:
            out.append(word)
    return out
