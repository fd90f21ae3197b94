"""SKOS (Turtle, or any RDF syntax rdflib reads) ↔ `Vocabulary`.

Export writes a `skos:ConceptScheme` (`dct:title`) and one `skos:Concept` per concept with
`skos:prefLabel` / `altLabel` / `hiddenLabel` (language-tagged with the label's language, or the
scheme's `lang` for labels written without one), `skos:broader` and `skos:narrower` (both
directions, as SKOS consumers expect), `skos:inScheme`, `skos:topConceptOf` / `hasTopConcept`,
`skos:definition` and `skos:exactMatch`. Concept URIs are scheme URI + id unless a concept has
its own `uri`. YAML → Turtle → YAML gives back the same vocabulary.

Import reads any SKOS file: concepts are the subjects typed `skos:Concept` (or `inScheme` a
scheme); the scheme is the `skos:ConceptScheme` (the first by URI if there are several).
Ids come from the URI (the part after the scheme URI, else after the last ``/`` or ``#``).
The language written without tags (`scheme.lang`) is the one given, else the most common language
of the preferred labels (none when untagged ones are as common); each concept's main preferred label is the one in that language (else an
untagged one, else the first by language), the others stay as preferred labels in other
languages. `broader`/`narrower` links to concepts outside the file are dropped with a warning
(`Vocabulary.warnings`).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from mediaground.taxonomy.vocab import Concept, Label, Scheme, Vocabulary, VocabularyError, slugify

__all__ = ["to_turtle", "from_turtle", "load_skos", "SKOS_SUFFIXES"]

SKOS_SUFFIXES = {".ttl": "turtle", ".turtle": "turtle", ".rdf": "xml", ".owl": "xml", ".xml": "xml",
                 ".nt": "nt", ".n3": "n3", ".jsonld": "json-ld", ".trig": "trig"}
_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._~-]*$")


# rdflib (~0.13 s to import) loads when a SKOS file is read or written, in the functions below.
def _ns():
    from rdflib import Namespace
    from rdflib.namespace import DCTERMS, RDF, SKOS

    return RDF, SKOS, DCTERMS, Namespace


def to_turtle(vocab: Vocabulary) -> str:
    from rdflib import Graph, Literal, URIRef

    RDF, SKOS, DCTERMS, _ = _ns()
    g = Graph()
    g.bind("skos", SKOS)
    g.bind("dct", DCTERMS)
    scheme_uri = vocab.scheme.uri
    scheme = URIRef(scheme_uri)
    if scheme_uri.endswith(("/", "#")):
        g.bind("", scheme_uri)
    g.add((scheme, RDF.type, SKOS.ConceptScheme))
    default = vocab.scheme.lang

    def lit(label: Label) -> Literal:
        return Literal(label.text, lang=label.lang or default)

    if vocab.scheme.title:
        g.add((scheme, DCTERMS.title, Literal(vocab.scheme.title, lang=default)))
    for c in vocab.concepts:
        node = URIRef(vocab.uri(c))
        g.add((node, RDF.type, SKOS.Concept))
        g.add((node, SKOS.inScheme, scheme))
        for lab in [c.pref, *c.pref_other]:
            g.add((node, SKOS.prefLabel, lit(lab)))
        for lab in c.alt:
            g.add((node, SKOS.altLabel, lit(lab)))
        for lab in c.hidden:
            g.add((node, SKOS.hiddenLabel, lit(lab)))
        for b in c.broader:
            g.add((node, SKOS.broader, URIRef(vocab.uri(b))))
        for n in c.narrower:
            g.add((node, SKOS.narrower, URIRef(vocab.uri(n))))
        if not c.broader:
            g.add((node, SKOS.topConceptOf, scheme))
            g.add((scheme, SKOS.hasTopConcept, node))
        if c.definition:
            g.add((node, SKOS.definition, Literal(c.definition, lang=default)))
        for m in c.exact_match:
            g.add((node, SKOS.exactMatch, URIRef(m)))
    return g.serialize(format="turtle")


def load_skos(path: str | Path, lang: str | None = None) -> Vocabulary:
    path = Path(path)
    fmt = SKOS_SUFFIXES.get(path.suffix.lower(), "turtle")
    try:
        data = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise VocabularyError([f"cannot read: {exc}"], str(path)) from exc
    return from_turtle(data, lang=lang, fmt=fmt, source=str(path))


def from_turtle(data: str, lang: str | None = None, fmt: str = "turtle", source: str | None = None) -> Vocabulary:
    from rdflib import Graph, Literal, URIRef

    RDF, SKOS, DCTERMS, _ = _ns()
    g = Graph()
    try:
        g.parse(data=data, format=fmt)
    except Exception as exc:  # rdflib raises many parser-specific types
        raise VocabularyError([f"not valid {fmt}: {type(exc).__name__}: {exc}"], source) from exc

    schemes = sorted({s for s in g.subjects(RDF.type, SKOS.ConceptScheme) if isinstance(s, URIRef)}, key=str)
    nodes = {s for s in g.subjects(RDF.type, SKOS.Concept) if isinstance(s, URIRef)}
    if schemes:
        nodes |= {s for s in g.subjects(SKOS.inScheme, schemes[0]) if isinstance(s, URIRef)}
    if not nodes:
        raise VocabularyError(["no skos:Concept found"], source)
    nodes_sorted = sorted(nodes, key=str)
    warnings: list[str] = []

    # the scheme
    if schemes:
        scheme_uri = str(schemes[0])
        title = _best_literal(g, schemes[0], [DCTERMS.title, URIRef("http://purl.org/dc/elements/1.1/title"),
                                              SKOS.prefLabel, URIRef("http://www.w3.org/2000/01/rdf-schema#label")],
                              lang)
        if len(schemes) > 1:
            warnings.append(f"{len(schemes)} concept schemes in the file; using {scheme_uri}")
    else:
        scheme_uri = _common_base([str(n) for n in nodes_sorted])
        title = None

    def labels(node, prop) -> list[Literal]:
        return sorted((o for o in g.objects(node, prop) if isinstance(o, Literal)),
                      key=lambda lit: (lit.language or "", str(lit)))

    if lang is None:
        counts = Counter((lit.language or "").lower() for n in nodes for lit in labels(n, SKOS.prefLabel))
        if counts:
            top = max(counts.values())
            winners = sorted(k for k, v in counts.items() if v == top)
            # untagged labels win a tie: then the file had no single language to begin with
            lang = None if "" in winners else "en" if "en" in winners else winners[0]
    lang = lang.lower() if lang else None
    scheme = Scheme(uri=scheme_uri, title=title, lang=lang)

    # ids
    ids: dict[URIRef, str] = {}
    used: set[str] = set()
    uris: dict[URIRef, str | None] = {}
    for node in nodes_sorted:
        u = str(node)
        local = u[len(scheme_uri):] if scheme_uri and u.startswith(scheme_uri) and len(u) > len(scheme_uri) else None
        explicit = local is None
        if local is None:
            local = re.split(r"[/#:]", u.rstrip("/#"))[-1]
        if not _SAFE_ID.match(local or "") or local in used:
            prefs = labels(node, SKOS.prefLabel)
            local = _unique(slugify(str(prefs[0]) if prefs else local or "concept"), used)
            explicit = True
        used.add(local)
        ids[node] = local
        uris[node] = u if explicit else None

    concepts = []
    for node in nodes_sorted:
        cid = ids[node]
        prefs = [Label.parse(Label(str(lit), lit.language), lang) for lit in labels(node, SKOS.prefLabel)]
        if not prefs:
            rdfs = [Label.parse(Label(str(lit), lit.language), lang)
                    for lit in labels(node, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))]
            prefs = rdfs or [Label(cid)]
            warnings.append(f"concept {cid}: no skos:prefLabel, using {str(prefs[0])!r}")
        main = next((p for p in prefs if p.lang is None), prefs[0])
        others = [p for p in prefs if p is not main]
        seen_langs = {main.lang}
        pref_other = []
        for p in others:  # SKOS allows one prefLabel per language; extra ones become alternatives
            if p.lang in seen_langs:
                warnings.append(f"concept {cid}: second preferred label in the same language {str(p)!r} kept as alt")
                continue
            seen_langs.add(p.lang)
            pref_other.append(p)
        extra_alt = [p for p in others if p not in pref_other]
        alt = extra_alt + [Label.parse(Label(str(lit), lit.language), lang) for lit in labels(node, SKOS.altLabel)]
        hidden = [Label.parse(Label(str(lit), lit.language), lang) for lit in labels(node, SKOS.hiddenLabel)]
        broader = []
        for o in sorted(set(g.objects(node, SKOS.broader)) | set(g.subjects(SKOS.narrower, node)), key=str):
            if o in ids:
                broader.append(ids[o])
            else:
                warnings.append(f"concept {cid}: broader {o} is not in the file, dropped")
        definition = _best_literal(g, node, [SKOS.definition], lang)
        exact = sorted(str(o) for o in g.objects(node, SKOS.exactMatch) if isinstance(o, URIRef))
        concepts.append(Concept(id=cid, pref=main, pref_other=pref_other, alt=_dedupe(alt), hidden=_dedupe(hidden),
                                broader=broader, definition=definition, exact_match=exact, uri=uris[node]))
    vocab = Vocabulary(concepts, scheme, source=source)
    vocab.warnings = warnings
    return vocab


def _best_literal(g, node, props, lang: str | None) -> str | None:
    from rdflib import Literal

    for prop in props:
        lits = sorted((o for o in g.objects(node, prop) if isinstance(o, Literal)),
                      key=lambda lit: (lit.language or "", str(lit)))
        if not lits:
            continue
        for want in (lang, None, "en"):
            for lit in lits:
                if (lit.language or None) == want:
                    return str(lit)
        return str(lits[0])
    return None


def _common_base(uris: list[str]) -> str:
    if not uris:
        return ""
    prefix = uris[0]
    for u in uris[1:]:
        while not u.startswith(prefix):
            prefix = prefix[:-1]
    cut = max(prefix.rfind("/"), prefix.rfind("#"))
    return prefix[: cut + 1] if cut >= 0 else ""


def _unique(base: str, used: set[str]) -> str:
    cid, n = base, 2
    while cid in used:
        cid, n = f"{base}-{n}", n + 1
    return cid


def _dedupe(labels: list[Label]) -> list[Label]:
    out: list[Label] = []
    for lab in labels:
        if lab not in out:
            out.append(lab)
    return out
