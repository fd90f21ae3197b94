"""Normalize: a batch's records before anything is embedded.

Coordinates become place names (offline GeoNames) so text search finds photos that only have GPS;
keywords and genre map to the preferred labels of the library's vocabulary (taxonomy.yaml, if any;
the values as read stay in the record); then each file gets its searchable document. Files are
never changed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from mediaground.geo.reverse import reverse_geocode
from mediaground.ingest.extract import Prepared
from mediaground.metadata.document import SearchDocument
from mediaground.taxonomy.normalize import IngestVocabulary


def trusted_point(metadata: Mapping[str, Any]) -> tuple[float | None, float | None]:
    """Coordinates search may rely on: in range and not the 0,0 "null island" placeholder."""
    lat, lon = metadata.get("gps_lat"), metadata.get("gps_lon")
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180) or (lat == 0 and lon == 0):
        return None, None
    return float(lat), float(lon)


def add_place_names(batch: list[Prepared]) -> None:
    """Coordinates → place names, kept apart from the file's own tags (`geo_place`). Versions the
    catalog knows already have theirs."""
    located = [(p, trusted_point(p.metadata)) for p in batch if not p.known]
    located = [(p, pt) for p, pt in located if pt[0] is not None]
    if not located:
        return
    for (p, _), place in zip(located, reverse_geocode([pt for _, pt in located])):
        if place is not None:
            p.metadata["geo_place"] = {"city": place.city, "region": place.region, "country": place.country,
                                       "country_code": place.country_code, "source": "geonames"}


class Normalizer:
    """Loaded once per ingest run (the vocabulary is read once); `normalize` each batch."""

    def __init__(self, library_root: Path) -> None:
        self.vocabulary = IngestVocabulary.load(library_root)  # None without LIBRARY/taxonomy.yaml

    def normalize(self, batch: list[Prepared]) -> None:
        add_place_names(batch)
        if self.vocabulary is not None:
            self.vocabulary.normalize(batch)
        for p in batch:
            p.document = SearchDocument.build(p.metadata, p.path, p.format)
