"""A named place: what reverse geocoding and the gazetteer answer."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Place"]


@dataclass
class Place:
    """A named place.

    From :func:`~mediaground.geo.reverse.reverse_geocode`: the nearest populated place to a
    point; ``lat``/``lon`` are the place's own coordinates and ``distance_km`` how far the point
    is from it.
    From :func:`~mediaground.geo.gazetteer.resolve_place`: ``kind`` says whether a city, a
    first-level region (``city`` is None; ``lat``/``lon`` the population-weighted centre of its
    towns) or a country (``city`` and ``region`` None; ``lat``/``lon`` its capital) matched;
    ``distance_km`` is None.
    """

    city: str | None
    region: str | None
    country: str | None
    country_code: str | None
    lat: float
    lon: float
    distance_km: float | None = None
    population: int | None = None
    kind: str = "city"  # "city" | "region" | "country"

    def text(self) -> str:
        """"Leuven, Flanders, Belgium": the names, for display and the full-text index."""
        return ", ".join(p for p in (self.city, self.region, self.country) if p)
