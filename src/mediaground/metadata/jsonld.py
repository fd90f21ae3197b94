"""The JSON-LD mirror: every asset as a schema.org ImageObject / AudioObject / VideoObject.

`to_jsonld(asset)` turns one `Library.show()` record into a JSON-LD document; `write_export`
writes one `<asset_id>.jsonld` per asset plus `graph.jsonld` (all of them in one `@graph`).
The documents say what the embedded tags say (the normalized `MetadataRecord` in
`asset["metadata"]`), plus what the catalog knows about the file itself (type, size, hash,
duration, transcript). Values derived by mediaground but not written in the file (labels,
reverse-geocoded `geo_place`) are left out, so re-reading the tags and re-exporting agree.

Mapping (schema.org term <- source):

* `@type` <- kind: image ImageObject, audio AudioObject, video VideoObject (else MediaObject).
* `@id` <- "urn:mediaground:asset:<asset ID>" ("...:<asset ID>-<file ID>" for each file of an asset
  carried by several files, each described by its own tags); `identifier` <- the asset ID.
* `contentUrl` <- file:// URI of the first current path (omitted when the asset has none).
* `name` <- title (XMP dc:title / IIM 2:05 / ID3 TIT2...), else the file name.
* `caption` and `description` <- caption (XMP dc:description, IPTC 2:120 "Description/Caption",
  EXIF ImageDescription, MP4 desc): IPTC maps its Description to schema:description and
  schema.org's own field for it on media objects is `caption`, so both carry it. Without a
  caption, `description` takes the audio/video comment (ID3 COMM, Vorbis COMMENT).
* `creator` <- creator, one node per name: Organization when `looks_like_organization`
  says so, else Person (see there for the rule).
* `creditText` <- credit (IPTC Credit Line); `copyrightNotice` <- copyright.
* `license` <- license_url (XMP xmpRights:WebStatement / cc:license); an absolute URL becomes
  an IRI, any other text a CreativeWork named by it.
* `acquireLicensePage` <- licensor_url (IPTC Licensor URL, XMP PLUS `plus:Licensor` /
  `plus:LicensorURL`); same URL rule. licensor_name has no schema.org term and is left out.
* alt_text (IPTC Alt Text (Accessibility)) and extended_description (IPTC Extended Description
  (Accessibility), `Iptc4xmpCore:ExtDescrAccessibility`) have no schema.org term and are left out:
  `accessibilitySummary` describes a work's accessibility features, not what an image shows, and
  `abstract`/`description` already say other things (description carries the caption).
* `headline` <- headline (IPTC Headline: IIM 2:105, photoshop:Headline). The IPTC Source (who
  holds the original, IIM 2:115) has no schema.org term (`sourceOrganization` is the
  organization on whose behalf a work was created, `isBasedOn` a work) and is left out.
* `dateCreated` <- date_created (ISO 8601 as read).
* `contentLocation` <- a Place: `name` from location, city, state, country; `address` a
  PostalAddress (addressLocality city, addressRegion state, addressCountry country code, else
  country name); `geo` GeoCoordinates (latitude, longitude, elevation) from the GPS tags, as
  read (the reader already drops out-of-range coordinates). The legacy IPTC city/state/country
  fields do not say whether they mean the place shown or where the shot was taken; schema.org's
  contentLocation ("location depicted or described") is what Google reads for photos. When the
  record has IPTC Extension LocationShown items, `contentLocation` is one Place per item instead
  (name from LocationName and Sublocation, the same address and geo rules), and the record's GPS
  position (where the camera was) goes to `locationCreated` instead, unless that has its own.
* `locationCreated` <- location_created (IPTC Extension LocationCreated), a Place by the same rules.
* `keywords` <- keywords, as a list (a keyword holding a comma stays one keyword).
* `genre` <- genre (audio/video tags).
* `encodingFormat` <- MIME type.
* `width` / `height` <- pixel size, as QuantitativeValue {value, unitCode "E37" (UN/CEFACT:
  pixel)}: schema.org's range for both is Distance or QuantitativeValue, not a bare number.
* `duration` <- seconds as ISO 8601 ("PT1M33.5S").
* `transcript` <- the transcript segments' text joined by spaces (audio and video only).
* `sha256` <- SHA-256 of the current file's bytes. (schema.org added `sha256` in release 13.0;
  the shipped vocabulary is 12.0 plus that one term, see `schemaorg/`.)

Empty values are omitted. The context is "https://schema.org"; `offline_document_loader()`
serves it from the shipped copy of schema.org's own context file (release 12.0), so expanding
with a JSON-LD processor (pyld) never touches the network.
"""

from __future__ import annotations

import copy
import json
import math
import os
import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mediaground.errors import MediagroundError
from mediaground.util import atomic_write_bytes

__all__ = [
    "CONTEXT", "SCHEMA", "to_jsonld", "write_export", "offline_document_loader", "schema_terms",
    "schema_vocabulary", "schema_context", "expand", "check", "iso_duration", "looks_like_organization",
    "OfflineDocumentError",
]

CONTEXT = "https://schema.org"
SCHEMA = "http://schema.org/"  # the IRI the schema.org context expands terms to (its @vocab)
ID_PREFIX = "urn:mediaground:asset:"
GRAPH_FILE = "graph.jsonld"
PIXEL = "E37"  # UN/CEFACT common code for "pixel", schema.org's unitCode vocabulary

_TYPES = {"image": "ImageObject", "audio": "AudioObject", "video": "VideoObject"}
_ASSET_FILE = re.compile(r"[0-9a-f]{24}(-[0-9]+)?\.jsonld")
_DATA = "schemaorg"
_CONTEXT_FILE = "schemaorgcontext.jsonld"
_TERMS_FILE = "schemaorg-terms.json"


class OfflineDocumentError(MediagroundError):
    """A JSON-LD processor asked for a document other than the schema.org context."""


# ---------------------------------------------------------------- the shipped vocabulary

def _data_bytes(name: str) -> bytes:
    return resources.files("mediaground.metadata").joinpath(_DATA, name).read_bytes()


@lru_cache(maxsize=1)
def _context_text() -> str:
    return _data_bytes(_CONTEXT_FILE).decode("utf-8")


def schema_context() -> dict[str, Any]:
    """schema.org's own context document (release 12.0), parsed; a fresh copy on every call."""
    return json.loads(_context_text())


@lru_cache(maxsize=1)
def _vocabulary() -> dict[str, Any]:
    return json.loads(_data_bytes(_TERMS_FILE))


def schema_vocabulary() -> dict[str, Any]:
    """The shipped term list: {"release", "source", "later_terms", "types": {name: [supertypes]},
    "properties": {name: {"domain": [...], "range": [...]}}, "members": {name: [enumerations]}}."""
    return copy.deepcopy(_vocabulary())


@lru_cache(maxsize=1)
def _terms() -> frozenset[str]:
    vocab = _vocabulary()
    return frozenset(vocab["types"]) | frozenset(vocab["properties"]) | frozenset(vocab["members"])


def schema_terms() -> set[str]:
    """Every schema.org type, property and enumeration member name of the shipped vocabulary."""
    return set(_terms())


def _is_context_url(url: str) -> bool:
    parts = urlsplit(url.strip())
    return (parts.scheme in ("http", "https") and parts.netloc.lower() in ("schema.org", "www.schema.org")
            and parts.path in ("", "/", "/docs/jsonldcontext.jsonld", "/docs/jsonldcontext.json")
            and not parts.query and not parts.fragment)


def offline_document_loader() -> Callable[..., dict[str, Any]]:
    """A pyld document loader (`documentLoader=` option) that serves the schema.org context for
    http(s)://schema.org[/] and its /docs/jsonldcontext.json[ld] address from the shipped file,
    and raises OfflineDocumentError for any other URL: it never opens a connection."""

    def load(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
        if not _is_context_url(url):
            raise OfflineDocumentError(
                f"refusing to load {url!r}: mediaground's JSON-LD processing is offline and serves "
                f"only the schema.org context ({CONTEXT}), from its shipped copy")
        return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
                "document": schema_context()}

    return load


# ---------------------------------------------------------------- asset -> JSON-LD

_ORG_WORDS = frozenset("""
    inc incorporated llc llp ltd limited plc gmbh ag sa sas sarl srl spa bv nv oy ab kk pty pvt corp
    corporation co company companies group holdings agency press news newspaper magazine media
    images photos pictures photography studio studios productions pictures records films
    broadcasting radio tv television network archive archives library museum gallery university
    college school institute foundation association society council committee commission ministry
    department government administration office bureau service services team club federation
    union church hospital
""".split())


def looks_like_organization(name: str) -> bool:
    """True when a creator name is probably an organization, not a person.

    A simple rule, no lists of real names: the name starts with "The " ("The White House",
    "The Associated Press"); or one of its words is a company suffix or an organization noun
    (Inc, Ltd, GmbH, S.A., Corp, Co., Agency, Press, News, Images, Studio, Archive, Museum,
    University, Institute, Foundation, Ministry, Department, Office, ... see `_ORG_WORDS`); or it
    is a single all-capitals acronym of 2-8 letters or digits ("NASA", "AP", "BBC"). Everything
    else is a Person. Tags carry no such flag, so this is a guess; it errs towards Person.
    """
    text = name.strip()
    if not text:
        return False
    if text.lower().startswith("the ") and len(text) > 4:
        return True
    if re.fullmatch(r"[A-Z0-9&]{2,8}", text) and any(c.isalpha() for c in text):
        return True
    words = {w.replace(".", "").lower() for w in re.findall(r"[^\W\d_]+(?:\.[^\W\d_]+)*\.?", text)}
    return bool(words & _ORG_WORDS)


def iso_duration(seconds: float | int | None) -> str | None:
    """Seconds as an ISO 8601 duration: 13 -> "PT13S", 93.5 -> "PT1M33.5S", 3723 -> "PT1H2M3S"
    (milliseconds kept, trailing zeros dropped); None for a missing, negative or non-finite value."""
    if seconds is None or isinstance(seconds, bool):
        return None
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(value) or value < 0:
        return None
    ms = round(value * 1000)
    hours, rest = divmod(ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    out = "PT" + (f"{hours}H" if hours else "") + (f"{minutes}M" if minutes else "")
    if rest or out == "PT":
        out += f"{rest / 1000:.3f}".rstrip("0").rstrip(".") + "S"
    return out


def _absolute_url(value: str) -> bool:
    parts = urlsplit(value)
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme in ("urn", "mailto")) \
        and not any(c.isspace() for c in value)


def _link(value: Any) -> Any:
    """A URL-valued property (license, acquireLicensePage): the URL, or a CreativeWork named by
    the text when it is not an absolute URL (the context would read bare text as a relative IRI)."""
    if not isinstance(value, str) or not value.strip():
        return None
    value = value.strip()
    return value if _absolute_url(value) else {"@type": "CreativeWork", "name": value}


def _pixels(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return {"@type": "QuantitativeValue", "value": number, "unitCode": PIXEL} if number > 0 else None


def _place(md: Mapping[str, Any]) -> dict[str, Any] | None:
    names: list[str] = []
    for key in ("location", "city", "state", "country"):
        value = md.get(key)
        if isinstance(value, str) and value.strip() and value.strip().lower() not in {n.lower() for n in names}:
            names.append(value.strip())
    address = {"@type": "PostalAddress"}
    for key, term in (("city", "addressLocality"), ("state", "addressRegion")):
        if md.get(key):
            address[term] = md[key]
    if md.get("country_code") or md.get("country"):
        address["addressCountry"] = md.get("country_code") or md.get("country")
    lat, lon = md.get("gps_lat"), md.get("gps_lon")
    geo = None
    if lat is not None and lon is not None:
        geo = {"@type": "GeoCoordinates", "latitude": float(lat), "longitude": float(lon)}
        if md.get("gps_alt") is not None:
            geo["elevation"] = float(md["gps_alt"])
    if not names and len(address) == 1 and geo is None:
        return None
    place: dict[str, Any] = {"@type": "Place"}
    if names:
        place["name"] = ", ".join(names)
    if len(address) > 1:
        place["address"] = address
    if geo is not None:
        place["geo"] = geo
    return place


def _location_place(loc: Any) -> dict[str, Any] | None:
    """An IPTC Extension location (a record's `location_shown` item or `location_created`) as a Place."""
    if not isinstance(loc, Mapping):
        return None
    names = ", ".join(str(loc[k]).strip() for k in ("name", "sublocation") if isinstance(loc.get(k), str) and loc[k].strip())
    return _place({**loc, "location": names})


def _locations(md: Mapping[str, Any]) -> tuple[Any, Any]:
    """(contentLocation, locationCreated). Without IPTC Extension LocationShown items the place shown
    is the legacy place fields with the GPS position, as before. With them, each item is a Place
    shown, and the GPS position (where the camera was) goes to locationCreated, beside or into the
    IPTC Extension LocationCreated."""
    shown = [p for p in map(_location_place, md.get("location_shown") or []) if p]
    created = _location_place(md.get("location_created"))
    if not shown:
        return _place(md), created
    geo = (_place({k: md.get(k) for k in ("gps_lat", "gps_lon", "gps_alt")}) or {}).get("geo")
    if geo and not (created or {}).get("geo"):
        created = {**(created or {"@type": "Place"}), "geo": geo}
    return (shown[0] if len(shown) == 1 else shown), created


def _first_path(asset: Mapping[str, Any]) -> str | None:
    """The file described (a `show` record names it), else the first current path."""
    if asset.get("path"):
        return asset["path"]
    current = asset.get("current_paths")
    paths = current if current is not None else asset.get("paths") or []
    return next((p for p in paths if p), None)


def doc_key(asset: Mapping[str, Any]) -> str:
    """What a document is named by: the asset ID, or "<asset ID>-<file ID>" when the asset is carried
    by several current files, each with its own tags (and its own document)."""
    if asset.get("file_id") is not None and len(asset.get("current_paths") or []) > 1:
        return f"{asset['asset_id']}-{asset['file_id']}"
    return asset["asset_id"]


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, (str, list, dict)) and not value)


def to_jsonld(asset: Mapping[str, Any]) -> dict[str, Any]:
    """One asset (a `Library.show()` record; only its keys are read) as a schema.org JSON-LD
    document with "@context": "https://schema.org". See the module docstring for the mapping."""
    asset_id = asset["asset_id"]
    kind = asset.get("kind")
    md: Mapping[str, Any] = asset.get("metadata") or {}
    path = _first_path(asset)
    content_location, location_created = _locations(md)

    doc: dict[str, Any] = {"@context": CONTEXT, "@type": _TYPES.get(kind, "MediaObject"),
                           "@id": ID_PREFIX + doc_key(asset), "identifier": asset_id}
    if path:
        doc["contentUrl"] = Path(os.path.abspath(path)).as_uri()
    title = md.get("title") or (os.path.basename(path) if path else None)
    caption = md.get("caption")
    fields: list[tuple[str, Any]] = [
        ("name", title),
        ("headline", md.get("headline")),
        ("caption", caption),
        ("description", caption or md.get("comment")),
        ("creator", [{"@type": "Organization" if looks_like_organization(n) else "Person", "name": n}
                     for n in md.get("creator") or [] if isinstance(n, str) and n.strip()]),
        ("creditText", md.get("credit")),
        ("copyrightNotice", md.get("copyright")),
        ("license", _link(md.get("license_url"))),
        ("acquireLicensePage", _link(md.get("licensor_url"))),
        ("dateCreated", md.get("date_created")),
        ("contentLocation", content_location),
        ("locationCreated", location_created),
        ("keywords", [k for k in md.get("keywords") or [] if isinstance(k, str) and k.strip()]),
        ("genre", md.get("genre")),
        ("encodingFormat", asset.get("mime")),
        ("width", _pixels(asset.get("width") if asset.get("width") is not None else md.get("width"))),
        ("height", _pixels(asset.get("height") if asset.get("height") is not None else md.get("height"))),
    ]
    duration = asset.get("duration")
    if duration is None:
        duration = md.get("duration") if md.get("duration") is not None else (asset.get("audio") or {}).get("duration")
    fields.append(("duration", iso_duration(duration) if kind in ("audio", "video") or duration else None))
    if kind in ("audio", "video"):
        texts = [str(s.get("text") or "").strip() for s in asset.get("transcript") or []]
        fields.append(("transcript", " ".join(t for t in texts if t)))
    fields.append(("sha256", asset.get("file_sha256")))
    for term, value in fields:
        if _present(value):
            doc[term] = value
    return doc


def _graph_node(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "@context"}


def _encode(doc: Any) -> bytes:
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_export(assets: Iterable[Mapping[str, Any]], out_dir: str | os.PathLike, *,
                 prune: bool = True) -> dict[str, Any]:
    """Write `<asset_id>.jsonld` for every asset (`<asset_id>-<file_id>.jsonld` for each file of an
    asset carried by several files) and `graph.jsonld` (one "@graph" of them all, sorted by name)
    into `out_dir`, each file atomically. With `prune`, `<asset_id>.jsonld`
    files from an earlier export whose asset is not in this one are removed, so the folder mirrors
    the library; nothing else in the folder is touched. Returns counts and paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    docs: dict[str, dict[str, Any]] = {}
    for asset in assets:
        doc = to_jsonld(asset)
        docs[doc_key(asset)] = doc
    by_type: dict[str, int] = {}
    for asset_id in sorted(docs):
        atomic_write_bytes(out / f"{asset_id}.jsonld", _encode(docs[asset_id]))
        by_type[docs[asset_id]["@type"]] = by_type.get(docs[asset_id]["@type"], 0) + 1
    graph = {"@context": CONTEXT, "@graph": [_graph_node(docs[a]) for a in sorted(docs)]}
    atomic_write_bytes(out / GRAPH_FILE, _encode(graph))
    removed = 0
    if prune:
        for stale in out.iterdir():
            if _ASSET_FILE.fullmatch(stale.name) and stale.stem not in docs and stale.is_file():
                stale.unlink()
                removed += 1
    return {"out_dir": str(out), "assets": len(docs), "files": len(docs) + 1,
            "graph": str(out / GRAPH_FILE), "by_type": dict(sorted(by_type.items())), "removed": removed}


# ---------------------------------------------------------------- checking (needs pyld)

def expand(doc: Mapping[str, Any] | list) -> list[dict[str, Any]]:
    """JSON-LD expansion with pyld and the offline loader (pyld is imported here, on demand)."""
    from pyld import jsonld as pyld_jsonld

    return pyld_jsonld.expand(copy.deepcopy(doc), {"documentLoader": offline_document_loader()})


def _subtypes_ok(node_types: list[str], allowed: list[str], supertypes: Mapping[str, list[str]]) -> bool:
    if not allowed:
        return True
    want = set(allowed)
    seen: set[str] = set()
    todo = list(node_types)
    while todo:
        t = todo.pop()
        if t in want:
            return True
        if t not in seen:
            seen.add(t)
            todo.extend(supertypes.get(t, []))
    return False


_LITERAL_RANGES = frozenset({"Text", "URL", "Number", "Integer", "Float", "Boolean", "Date", "DateTime",
                             "Time", "DataType", "CssSelectorType", "XPathType", "PronounceableText"})


def check(doc: Mapping[str, Any] | list) -> list[str]:
    """Problems with a document as schema.org, after expansion: a predicate or type outside
    http://schema.org/, a term the shipped vocabulary lacks, a property used on a type outside
    its domainIncludes, a node value whose type is outside the property's rangeIncludes, or a
    term of the compact document the expansion dropped. An empty list means it is clean."""
    vocab = _vocabulary()
    types, props = vocab["types"], vocab["properties"]
    terms = _terms()
    problems: list[str] = []
    used: set[str] = set()

    def term_of(iri: str, what: str) -> str | None:
        if not iri.startswith(SCHEMA):
            problems.append(f"{what} {iri} is not a schema.org term")
            return None
        name = iri[len(SCHEMA):]
        if name not in terms:
            problems.append(f"{what} {name} is not in the schema.org {vocab['release']} vocabulary")
            return None
        return name

    def walk(node: Mapping[str, Any], where: str) -> None:
        node_types = [t for t in (term_of(i, "type") for i in node.get("@type", [])) if t]
        for t in node_types:
            if t not in types:
                problems.append(f"{where}: {t} is not a type")
        for key, values in node.items():
            if key.startswith("@"):
                continue
            name = term_of(key, "property")
            if name is None:
                continue
            used.add(name)
            spec = props.get(name)
            if spec is None:
                problems.append(f"{where}: {name} is not a property")
                continue
            if node_types and not _subtypes_ok(node_types, spec["domain"], types):
                problems.append(f"{where}: {name} is not a property of {'/'.join(node_types)}")
            for value in values:
                if "@value" in value or "@list" in value:
                    continue
                if "@type" in value and spec["range"]:
                    value_types = [t for t in (term_of(i, "type") for i in value["@type"]) if t]
                    if not _subtypes_ok(value_types, spec["range"], types):
                        problems.append(f"{where}.{name}: a {'/'.join(value_types)} is outside its range "
                                        f"{', '.join(spec['range'])}")
                if any(not k.startswith("@") for k in value):
                    walk(value, f"{where}.{name}")
                elif spec["range"] and set(spec["range"]) <= _LITERAL_RANGES - {"URL"}:
                    problems.append(f"{where}.{name}: an IRI where {', '.join(spec['range'])} is expected")

    expanded = expand(doc)
    for i, node in enumerate(expanded):
        walk(node, node.get("@id", f"node {i}"))
    compact_nodes = doc.get("@graph", [doc]) if isinstance(doc, Mapping) else doc
    compact_terms: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, list):
            for n in node:
                collect(n)
        elif isinstance(node, Mapping):
            for key, value in node.items():
                if not key.startswith("@"):
                    compact_terms.add(key)
                    collect(value)

    collect(compact_nodes)
    for lost in sorted(compact_terms - used):
        problems.append(f"{lost} was dropped by expansion")
    return problems
