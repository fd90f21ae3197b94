"""A controlled vocabulary a person edits: concepts with one preferred label, alternative labels
(synonyms, spellings, other languages) and a broader/narrower hierarchy. SKOS in spirit (and in
`skos.py`, on the wire); YAML on disk.

The YAML file (a library keeps its own as ``LIBRARY/taxonomy.yaml``)::

    scheme:
      uri: https://example.org/vocab/      # concept URIs are uri + id (SKOS export)
      title: Brand assets
      lang: en                             # optional: the language of labels written without @lang
    concepts:
      - id: brand-logo                     # letters, digits, and . _ ~ - ; unique
        pref: Brand logo                   # the preferred label (what normalization writes)
        alt: [Logomark, favicon, blue-swirl thing, logotipo@es]
        broader: [brand]                   # ids; narrower is derived (or may be given, it is merged)
      - id: brand
        pref: [Brand, Marca@es]            # a list: the first is THE preferred label, the others
                                           # preferred labels in other languages
        hidden: [brnad]                    # matched, never shown (SKOS hiddenLabel: misspellings)
        definition: Everything that identifies the company.
        exact_match: [http://www.wikidata.org/entity/Q431289]

A label may carry a language tag as a suffix, ``text@es`` / ``text@pt-BR``; anything else
containing ``@`` is plain text. A label in the scheme's own `lang` is written without the tag.

Validation (`VocabularyError` lists every problem): ids unique and URI-safe, every concept has a
preferred label, preferred labels unique, no label (preferred, alternative or hidden, any language)
names two concepts, `broader`/`narrower` ids exist, no concept is its own ancestor.

Lookup (`Vocabulary.lookup`) ignores case, accents (Latin diacritics), punctuation, whitespace and
the difference between hyphen, underscore and space (``Brand-Logo``, ``brand_logo``, ``  brand logo.``),
then tries the words run together (``Logo mark`` = ``Logomark``) and a simple English singular of
the last word (``logos`` = ``logo``, ``berries`` = ``berry``); those looser keys are only used when
they point at a single concept.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mediaground.errors import MediagroundError
from mediaground.util import atomic_write_bytes

__all__ = ["Label", "Concept", "Scheme", "Match", "Vocabulary", "VocabularyError", "term_key", "slugify", "label_order"]

DEFAULT_SCHEME_URI = "urn:mediaground:vocab:"
_LANG_SUFFIX = re.compile(r"^(?P<text>.*\S)\s*@(?P<lang>[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*)$", re.S)
_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._~-]*$")
_LATIN_MARKS = range(0x0300, 0x0370)  # Combining Diacritical Marks (not kana voicing marks etc.)


class VocabularyError(MediagroundError):
    """A vocabulary that does not validate; `problems` lists every reason."""

    def __init__(self, problems: list[str], source: str | None = None) -> None:
        self.problems = list(problems)
        where = f"{source}: " if source else ""
        head = f"{where}invalid vocabulary ({len(problems)} problem{'s' if len(problems) != 1 else ''})"
        super().__init__(head + ":\n  - " + "\n  - ".join(problems))


# ---------------------------------------------------------------- keys for matching


def term_key(text: str) -> str:
    """What two spellings of one term have in common: case, Latin accents, punctuation, hyphens,
    underscores and runs of whitespace folded (``"Café-Logo_2"`` → ``"cafe logo 2"``)."""
    s = unicodedata.normalize("NFKD", str(text))
    s = "".join(c for c in s if ord(c) not in _LATIN_MARKS)
    s = unicodedata.normalize("NFC", s).casefold()
    s = re.sub(r"[\W_]+", " ", s)
    return " ".join(s.split())


def _singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _loose_keys(key: str) -> list[str]:
    """Looser keys of an exact key: words run together, then the last word singular."""
    if not key:
        return []
    words = key.split(" ")
    singular = " ".join(words[:-1] + [_singular(words[-1])])
    out = [key.replace(" ", "")]
    if singular != key:
        out += [singular, singular.replace(" ", "")]
    return out


def label_order(label: "Label") -> tuple:
    """Untagged labels first, then by language; within one, alphabetically ignoring case."""
    return (label.lang is not None, label.lang or "", term_key(label.text), label.text)


def slugify(text: str) -> str:
    """A concept id from a label: ``"Brand logo"`` → ``"brand-logo"``."""
    key = term_key(text)
    slug = re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", key).encode("ascii", "ignore").decode()).strip("-")
    return slug or "concept"


# ---------------------------------------------------------------- values


@dataclass(frozen=True, order=True)
class Label:
    text: str
    lang: str | None = None

    @classmethod
    def parse(cls, value: Any, default_lang: str | None = None) -> "Label":
        """``"logotipo@es"`` → Label("logotipo", "es"); a label in `default_lang` gets no tag."""
        if isinstance(value, Label):
            text, lang = value.text, value.lang
        else:
            if not isinstance(value, str):
                raise TypeError(f"a label must be text, got {value!r}")
            text, lang = " ".join(value.split()), None
            m = _LANG_SUFFIX.match(text)
            if m:
                text, lang = m.group("text").strip(), m.group("lang")
        if lang is not None:
            lang = lang.lower()
            if default_lang and lang == default_lang.lower():
                lang = None
        return cls(text, lang)

    def __str__(self) -> str:
        return f"{self.text}@{self.lang}" if self.lang else self.text


@dataclass
class Concept:
    id: str
    pref: Label
    alt: list[Label] = field(default_factory=list)
    pref_other: list[Label] = field(default_factory=list)  # preferred labels in other languages
    hidden: list[Label] = field(default_factory=list)
    broader: list[str] = field(default_factory=list)
    narrower: list[str] = field(default_factory=list)  # derived from the others' broader
    definition: str | None = None
    exact_match: list[str] = field(default_factory=list)
    uri: str | None = None  # only when it is not scheme uri + id

    @property
    def label(self) -> str:
        """The preferred label's text: what keywords are normalized to."""
        return self.pref.text

    def labels(self) -> list[tuple[Label, str]]:
        """Every label with its role (pref, alt, hidden)."""
        return ([(self.pref, "pref")] + [(lab, "pref") for lab in self.pref_other]
                + [(lab, "alt") for lab in self.alt] + [(lab, "hidden") for lab in self.hidden])

    def visible_labels(self) -> list[str]:
        """Preferred and alternative label texts (no hidden ones), preferred first, deduplicated."""
        out: list[str] = []
        for lab, role in self.labels():
            if role != "hidden" and lab.text not in out:
                out.append(lab.text)
        return out


@dataclass
class Scheme:
    uri: str = DEFAULT_SCHEME_URI
    title: str | None = None
    lang: str | None = None


@dataclass(frozen=True)
class Match:
    """How a term matched: `how` is "pref" (exactly the preferred label), "pref-variant" (the
    preferred label spelled differently: case, accents, punctuation, plural), "alt", "hidden"."""

    concept: Concept
    label: Label
    how: str

    @property
    def is_preferred(self) -> bool:
        return self.how == "pref"


# ---------------------------------------------------------------- the vocabulary


class Vocabulary:
    def __init__(self, concepts: Iterable[Concept] = (), scheme: Scheme | None = None,
                 source: str | None = None) -> None:
        self.scheme = scheme or Scheme()
        self._concepts: dict[str, Concept] = {}
        self.source = source
        self.warnings: list[str] = []  # things an import dropped (e.g. links to concepts outside the file)
        problems = []
        for c in concepts:
            if c.id in self._concepts:
                problems.append(f"concept id {c.id!r} is used twice")
                continue
            self._concepts[c.id] = c
        self._rebuild(problems)

    # --- building and checking -----------------------------------------------------------
    def _rebuild(self, problems: list[str] | None = None) -> None:
        problems = list(problems or [])
        cs = self._concepts
        for c in cs.values():
            if not _ID.match(c.id or ""):
                problems.append(f"concept id {c.id!r} must be letters, digits and . _ ~ - (no spaces)")
            if not c.pref or not c.pref.text.strip():
                problems.append(f"concept {c.id!r} has no preferred label")
        # narrower given in the file is the same statement as broader on the other side
        for c in cs.values():
            for n in c.narrower:
                if n not in cs:
                    problems.append(f"concept {c.id!r}: narrower concept {n!r} does not exist")
                elif c.id not in cs[n].broader:
                    cs[n].broader.append(c.id)
        for c in cs.values():
            c.narrower = []
        for c in cs.values():
            for b in c.broader:
                if b == c.id:
                    problems.append(f"concept {c.id!r} is its own broader concept")
                elif b not in cs:
                    problems.append(f"concept {c.id!r}: broader concept {b!r} does not exist")
                elif c.id not in cs[b].narrower:
                    cs[b].narrower.append(c.id)
        problems += self._cycles()
        # labels: one concept per label, in any language and role
        exact: dict[str, tuple[str, str, str]] = {}  # key -> (concept id, label text, role)
        for c in cs.values():
            if not c.pref:
                continue
            for lab, role in c.labels():
                key = term_key(lab.text)
                if not key:
                    if lab.text.strip():
                        problems.append(f"concept {c.id!r}: label {lab.text!r} has no letters or digits")
                    continue
                seen = exact.get(key)
                if seen and seen[0] != c.id and role == seen[2] == "pref":
                    problems.append(f"preferred label {str(lab)!r} of {c.id!r} is the same term as {seen[1]!r}, "
                                    f"the preferred label of {seen[0]!r}")
                elif seen and seen[0] != c.id:
                    problems.append(f"label {str(lab)!r} ({role} of {c.id!r}) is the same term as "
                                    f"{seen[1]!r} ({seen[2]} of {seen[0]!r}): a label may name one concept only")
                elif not seen:
                    exact[key] = (c.id, str(lab), role)
        if problems:
            raise VocabularyError(problems, self.source)
        self._index()

    def _cycles(self) -> list[str]:
        cs, state, problems = self._concepts, {}, []

        def visit(cid: str, path: list[str]) -> None:
            state[cid] = 1
            for b in cs[cid].broader:
                if b not in cs or b == cid:
                    continue
                if state.get(b) == 1:
                    loop = path[path.index(b):] + [b] if b in path else [cid, b]
                    problems.append("broader cycle: " + " → ".join(loop))
                elif not state.get(b):
                    visit(b, path + [b])
            state[cid] = 2

        for cid in sorted(cs):
            if not state.get(cid):
                visit(cid, [cid])
        return problems

    def _index(self) -> None:
        self._exact: dict[str, tuple[Concept, Label, str]] = {}
        loose: dict[str, dict[str, tuple[Concept, Label, str]]] = {}
        for c in self._concepts.values():
            for lab, role in c.labels():
                key = term_key(lab.text)
                if not key:
                    continue
                self._exact.setdefault(key, (c, lab, role))
                for lk in _loose_keys(key):
                    loose.setdefault(lk, {}).setdefault(c.id, (c, lab, role))
        self._loose = {k: next(iter(v.values())) for k, v in loose.items() if len(v) == 1}

    def validate(self) -> None:
        """Raise VocabularyError if the vocabulary (e.g. after edits) no longer holds together."""
        self._rebuild()

    # --- reading --------------------------------------------------------------------------
    @property
    def concepts(self) -> list[Concept]:
        return list(self._concepts.values())

    def __len__(self) -> int:
        return len(self._concepts)

    def __iter__(self) -> Iterator[Concept]:
        return iter(list(self._concepts.values()))

    def __contains__(self, concept_id: object) -> bool:
        return concept_id in self._concepts

    def get(self, concept_id: str) -> Concept | None:
        return self._concepts.get(concept_id)

    def __getitem__(self, concept_id: str) -> Concept:
        return self._concepts[concept_id]

    def match(self, term: str) -> Match | None:
        """The concept `term` names and how (see `Match`), or None."""
        if not isinstance(term, str):
            return None
        key = term_key(term)
        if not key:
            return None
        hit = self._exact.get(key)
        if hit is None:
            for lk in _loose_keys(key):
                hit = self._loose.get(lk)
                if hit is not None:
                    break
        if hit is None:
            return None
        concept, label, role = hit
        if role == "pref":
            how = "pref" if (label == concept.pref and term.strip() == concept.pref.text) else "pref-variant"
        else:
            how = role
        return Match(concept, label, how)

    def lookup(self, term: str) -> Concept | None:
        """The concept a keyword, label or genre names, or None (see the module docstring)."""
        m = self.match(term)
        return m.concept if m else None

    def preferred(self, term: str) -> str | None:
        """The preferred label for `term`, or None when the vocabulary does not know it."""
        c = self.lookup(term)
        return c.label if c else None

    def broader(self, concept_id: str) -> list[Concept]:
        return [self._concepts[b] for b in self._concepts[concept_id].broader]

    def narrower(self, concept_id: str) -> list[Concept]:
        return [self._concepts[n] for n in self._concepts[concept_id].narrower]

    def ancestors(self, concept_id: str) -> list[Concept]:
        out: list[Concept] = []
        todo = list(self._concepts[concept_id].broader)
        while todo:
            cid = todo.pop(0)
            c = self._concepts[cid]
            if c not in out:
                out.append(c)
                todo.extend(c.broader)
        return out

    def descendants(self, concept_id: str) -> list[Concept]:
        out: list[Concept] = []
        todo = list(self._concepts[concept_id].narrower)
        while todo:
            c = self._concepts[todo.pop(0)]
            if c not in out:
                out.append(c)
                todo.extend(c.narrower)
        return out

    def related(self, a: str, b: str) -> bool:
        """Same concept, or one is an ancestor of the other."""
        if a == b:
            return True
        return any(c.id == b for c in self.ancestors(a)) or any(c.id == a for c in self.ancestors(b))

    def top_concepts(self) -> list[Concept]:
        return [c for c in self._concepts.values() if not c.broader]

    def uri(self, concept: Concept | str) -> str:
        c = self._concepts[concept] if isinstance(concept, str) else concept
        return c.uri or f"{self.scheme.uri}{c.id}"

    # --- editing --------------------------------------------------------------------------
    def add_concept(self, concept: Concept) -> Concept:
        """Add a concept and re-validate (on failure nothing changes)."""
        if concept.id in self._concepts:
            raise VocabularyError([f"concept id {concept.id!r} already exists"], self.source)
        self._concepts[concept.id] = concept
        try:
            self._rebuild()
        except VocabularyError:
            del self._concepts[concept.id]
            self._rebuild()
            raise
        return concept

    def add_alt(self, concept_id: str, label: str | Label) -> bool:
        """Add an alternative label; False when the concept already has that label (any spelling).
        A label that names another concept raises VocabularyError and changes nothing."""
        c = self._concepts[concept_id]
        lab = Label.parse(label, self.scheme.lang)
        key = term_key(lab.text)
        if any(term_key(existing.text) == key for existing, _ in c.labels()):
            return False
        c.alt.append(lab)
        try:
            self._rebuild()
        except VocabularyError:
            c.alt.remove(lab)
            self._rebuild()
            raise
        return True

    def new_id(self, label: str) -> str:
        base = slugify(label)
        cid, n = base, 2
        while cid in self._concepts:
            cid, n = f"{base}-{n}", n + 1
        return cid

    # --- YAML -----------------------------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Any, source: str | None = None) -> "Vocabulary":
        if not isinstance(data, dict):
            raise VocabularyError(["the file must be a mapping with `scheme` and `concepts`"], source)
        problems: list[str] = []
        unknown = sorted(set(data) - {"scheme", "concepts"})
        if unknown:
            problems.append(f"unknown top-level keys: {', '.join(unknown)} (expected scheme, concepts)")
        raw_scheme = data.get("scheme") or {}
        if not isinstance(raw_scheme, dict):
            problems.append("`scheme` must be a mapping (uri, title, lang)")
            raw_scheme = {}
        bad = sorted(set(raw_scheme) - {"uri", "title", "lang"})
        if bad:
            problems.append(f"scheme: unknown keys {', '.join(bad)} (expected uri, title, lang)")
        lang = raw_scheme.get("lang")
        scheme = Scheme(uri=str(raw_scheme.get("uri") or DEFAULT_SCHEME_URI),
                        title=_opt_str(raw_scheme.get("title")), lang=str(lang).lower() if lang else None)
        raw_concepts = data.get("concepts") or []
        if not isinstance(raw_concepts, list):
            problems.append("`concepts` must be a list")
            raw_concepts = []
        concepts = []
        for i, item in enumerate(raw_concepts, 1):
            try:
                concepts.append(_concept_from_dict(item, scheme.lang, i))
            except (TypeError, ValueError) as exc:
                problems.append(str(exc))
        if problems:
            raise VocabularyError(problems, source)
        return cls(concepts, scheme, source=source)

    def to_dict(self) -> dict[str, Any]:
        scheme: dict[str, Any] = {"uri": self.scheme.uri}
        if self.scheme.title:
            scheme["title"] = self.scheme.title
        if self.scheme.lang:
            scheme["lang"] = self.scheme.lang
        concepts = []
        for c in self._ordered():
            d: dict[str, Any] = {"id": c.id}
            # label lists in one canonical order (RDF has none), so YAML → SKOS → YAML is the same text
            others = sorted(c.pref_other, key=label_order)
            d["pref"] = [str(c.pref)] + [str(lab) for lab in others] if others else str(c.pref)
            if c.alt:
                d["alt"] = [str(lab) for lab in sorted(c.alt, key=label_order)]
            if c.hidden:
                d["hidden"] = [str(lab) for lab in sorted(c.hidden, key=label_order)]
            if c.broader:
                d["broader"] = sorted(c.broader)
            if c.definition:
                d["definition"] = c.definition
            if c.exact_match:
                d["exact_match"] = sorted(c.exact_match)
            if c.uri:
                d["uri"] = c.uri
            concepts.append(d)
        return {"scheme": scheme, "concepts": concepts}

    def _ordered(self) -> list[Concept]:
        """Top concepts first, each followed by its narrower ones (depth first), ids sorted:
        the order a person reads a taxonomy in, and stable across saves."""
        out: list[Concept] = []
        seen: set[str] = set()

        def walk(c: Concept) -> None:
            if c.id in seen:
                return
            seen.add(c.id)
            out.append(c)
            for n in sorted(c.narrower):
                walk(self._concepts[n])

        for c in sorted(self.top_concepts(), key=lambda c: c.id):
            walk(c)
        for cid in sorted(self._concepts):  # unreachable only if cyclic, which validation refuses
            walk(self._concepts[cid])
        return out

    @classmethod
    def loads(cls, text: str, source: str | None = None) -> "Vocabulary":
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise VocabularyError([f"not valid YAML: {exc}"], source) from exc
        return cls.from_dict(data if data is not None else {}, source)

    @classmethod
    def load(cls, path: str | Path) -> "Vocabulary":
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise VocabularyError([f"cannot read: {exc}"], str(path)) from exc
        return cls.loads(text, str(path))

    def dumps(self) -> str:
        """Deterministic, human-friendly YAML (block style, unicode as is, keys in a fixed order)."""
        head = "# Controlled vocabulary (mediaground taxonomy). Edit freely; `mediaground taxonomy import` checks it.\n"
        body = yaml.dump(self.to_dict(), Dumper=_Dumper, sort_keys=False, allow_unicode=True,
                         default_flow_style=False, width=100, indent=2)
        return head + body

    def save(self, path: str | Path) -> None:

        atomic_write_bytes(path, self.dumps().encode("utf-8"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"Vocabulary({len(self)} concepts, scheme={self.scheme.uri!r})"


class _Dumper(yaml.SafeDumper):
    """Indent list items under their key (what people write by hand), short label lists inline."""

    def increase_indent(self, flow: bool = False, indentless: bool = False):  # noqa: D401
        return super().increase_indent(flow, False)


def _represent_list(dumper: yaml.SafeDumper, data: list) -> yaml.Node:
    flow = all(isinstance(x, str) and "\n" not in x for x in data) and len(", ".join(map(str, data))) <= 80
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow and bool(data))


_Dumper.add_representer(list, _represent_list)


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _str_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    items = value if isinstance(value, list) else [value]
    if any(isinstance(v, bool) for v in items):
        raise ValueError(f"{what}: YAML read a yes/no/on/off word as true/false; put it in quotes")
    if not all(isinstance(v, (str, int, float)) for v in items):
        raise ValueError(f"{what} must be a list of text")
    value = items
    return [str(v) for v in value]


_CONCEPT_KEYS = {"id", "pref", "alt", "hidden", "broader", "narrower", "definition", "exact_match", "uri"}


def _concept_from_dict(item: Any, lang: str | None, n: int) -> Concept:
    if not isinstance(item, dict):
        raise ValueError(f"concept #{n} must be a mapping with id and pref")
    cid = item.get("id")
    where = f"concept {cid!r}" if cid else f"concept #{n}"
    if cid is None or (isinstance(cid, str) and not cid.strip()):
        raise ValueError(f"{where} has no id")
    bad = sorted(set(item) - _CONCEPT_KEYS)
    if bad:
        raise ValueError(f"{where}: unknown keys {', '.join(map(str, bad))} (expected {', '.join(sorted(_CONCEPT_KEYS))})")
    prefs = _str_list(item.get("pref"), f"{where}: pref")
    if not prefs or not str(prefs[0]).strip():
        raise ValueError(f"{where} has no preferred label (pref)")
    labels = [Label.parse(p, lang) for p in prefs]
    langs = [lab.lang for lab in labels]
    if len(set(langs)) != len(langs):
        raise ValueError(f"{where}: more than one preferred label in the same language")

    def labs(key: str) -> list[Label]:
        out: list[Label] = []
        for v in _str_list(item.get(key), f"{where}: {key}"):
            lab = Label.parse(v, lang)
            if lab.text and lab not in out:
                out.append(lab)
        return out

    return Concept(
        id=str(cid).strip(), pref=labels[0], pref_other=labels[1:], alt=labs("alt"), hidden=labs("hidden"),
        broader=_dedupe_ids(_str_list(item.get("broader"), f"{where}: broader")),
        narrower=_dedupe_ids(_str_list(item.get("narrower"), f"{where}: narrower")),
        definition=_opt_str(item.get("definition")),
        exact_match=_str_list(item.get("exact_match"), f"{where}: exact_match"),
        uri=_opt_str(item.get("uri")))


def _dedupe_ids(ids: list[str]) -> list[str]:
    out: list[str] = []
    for i in ids:
        i = i.strip()
        if i and i not in out:
            out.append(i)
    return out
