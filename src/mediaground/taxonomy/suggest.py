"""Merge suggestions for near-duplicate terms in a library, for a person to review and accept.

Terms come from the catalog's (normalized) keywords and genres, the model labels in the `labels`
table and the unknown terms reported at ingest, plus the vocabulary's own labels as targets; spellings that fold to the same key (case,
accents, punctuation) are one term. Two terms are near-duplicates when

* they fold to the same loose key (words run together, last word singular: "Logo mark" /
  "logomarks") — score 1.0; or
* one looks like a misspelling of the other (doubled letters "grafitti"/"graffiti", two swapped
  neighbours "recieve"/"receive"; 5+ letters) — score 0.9; or
* score = max(mean(cosine, spelling), cosine − 0.05) ≥ threshold, where cosine is between the
  terms' embeddings from the library's text model and spelling is difflib's ratio between the
  folded keys (at least the word overlap, Jaccard).

The default threshold (0.8) was read off MiniLM-L6 (the default text model) on hand-picked pairs:
colour/color 0.94, grey/gray 0.92, mountain/mountains 0.91, logo/logos 0.90, New York/NYC 0.89,
automobile/car 0.81, Product shot/product photo 0.81, brand logo/logo 0.81 are merges;
sunset/sunrise 0.75, dog/puppy 0.75, kitten/cat 0.74, red/blue 0.68, cat/car 0.56 are not.

Pairs whose terms already name the same concept are done; pairs naming two different concepts
are never suggested (merging concepts is a decision for the taxonomy file). Suggestions are
clusters (union of linked pairs); each says which terms go `into` which label: the preferred label
of the concept one of them names, else the most frequent term. `accept` writes chosen suggestions
into the vocabulary as alternative labels (creating the concept when there is none).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

import numpy as np

from mediaground.catalog import Catalog
from mediaground.models.base import Embedder
from mediaground.taxonomy.vocab import Concept, Label, Vocabulary, VocabularyError, _loose_keys, term_key

__all__ = ["DEFAULT_SUGGEST_THRESHOLD", "Suggestion", "collect_terms", "suggest_merges", "accept_suggestions",
           "spelling_similarity"]

DEFAULT_SUGGEST_THRESHOLD = 0.8
TYPO_SCORE = 0.9  # the score of a likely misspelling (see `_typo`)
MAX_TERMS = 5000  # the pairwise matrix is terms²; larger libraries keep their most frequent terms


@dataclass
class Term:
    key: str
    spellings: dict[str, int] = field(default_factory=dict)
    sources: set[str] = field(default_factory=set)
    assets: set[str] = field(default_factory=set)

    @property
    def text(self) -> str:
        return sorted(self.spellings.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]

    @property
    def count(self) -> int:
        return len(self.assets)


@dataclass
class Suggestion:
    terms: list[str]          # what would become alternative labels of `into`
    into: str                 # the preferred label they map to
    score: float
    why: str
    concept: str | None       # the existing concept id, or None (a new concept would be created)
    counts: dict[str, int] = field(default_factory=dict)  # term → assets using it

    def to_dict(self, n: int | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if n is None else {"n": n}
        out.update({"terms": self.terms, "into": self.into, "score": round(self.score, 4), "why": self.why,
                    "concept": self.concept, "counts": self.counts})
        return out


def collect_terms(catalog: Catalog) -> dict[str, Term]:
    """Every term the library uses, folded by `term_key`: keywords and genres of the catalog,
    model labels, unknown terms."""
    terms: dict[str, Term] = {}

    def add(text: Any, asset_id: str, source: str) -> None:
        if not isinstance(text, str) or not text.strip():
            return
        key = term_key(text)
        if not key:
            return
        t = terms.setdefault(key, Term(key))
        spelling = " ".join(text.split())
        t.spellings[spelling] = t.spellings.get(spelling, 0) + 1
        t.sources.add(source)
        t.assets.add(asset_id)

    for file in catalog.files.iter():
        md = file.metadata
        for k in md.get("keywords") or []:
            add(k, file.asset_id, "keywords")
        genre = md.get("genre")
        if isinstance(genre, str):
            for g in genre.split(";"):
                add(g.strip(), file.asset_id, "genre")
    for asset_id, label in sorted({(a, lab) for a, lab, _ in catalog.labels.all()}):
        add(label, asset_id, "labels")
    for asset_id, term in sorted((t.asset_id, t.term) for t in catalog.terms.all()):
        add(term, asset_id, "unknown")
    return terms


def _add_vocabulary(terms: dict[str, Term], vocab: Vocabulary) -> None:
    """The vocabulary's own labels, as merge targets even where no asset uses them yet."""
    for concept in vocab.concepts:
        for text in concept.visible_labels():
            key = term_key(text)
            if key and key not in terms:
                terms[key] = Term(key, {text: 0}, {"vocabulary"})


def _undouble(key: str) -> str:
    return re.sub(r"(.)\1+", r"\1", key)


def _typo(a: str, b: str) -> bool:
    """Spelled alike but for doubled letters ("grafitti"/"graffiti") or two swapped neighbours
    ("recieve"/"receive"): the misspellings people make, rarely two different words of 5+ letters."""
    if a == b:
        return False
    if _undouble(a) == _undouble(b):
        return True
    if len(a) != len(b):
        return False
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def spelling_similarity(a: str, b: str) -> float:
    """0..1 between two folded keys: difflib's ratio, at least the word overlap (Jaccard)."""
    ratio = difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()
    wa, wb = set(a.split()), set(b.split())
    jaccard = len(wa & wb) / len(wa | wb) if wa and wb else 0.0
    return max(ratio, jaccard)


def suggest_merges(catalog: Catalog, text_model: Embedder, vocab: Vocabulary | None = None,
                   threshold: float = DEFAULT_SUGGEST_THRESHOLD) -> list[Suggestion]:
    """Clusters of near-duplicate terms, by the library's text model and spelling."""
    vocab = vocab if vocab is not None else Vocabulary()
    terms = collect_terms(catalog)
    used = sorted(terms.values(), key=lambda t: (-t.count, t.key))[:MAX_TERMS]
    terms = {t.key: t for t in used}
    _add_vocabulary(terms, vocab)
    items = sorted(terms.values(), key=lambda t: (-t.count, t.key))
    if len(items) < 2:
        return []
    concept_of = [vocab.lookup(t.text) for t in items]
    vecs = np.asarray(text_model.embed_texts([t.text for t in items]), np.float32)
    norms = np.linalg.norm(vecs, axis=1, keepdims=True)
    vecs = vecs / np.where(norms == 0, 1, norms)
    cos = vecs @ vecs.T
    # candidates: pairs with a high cosine (vectorized) and pairs sharing a loose key
    n = len(items)
    floor = max(0.0, 2 * threshold - 1.0)  # mean(cos, spelling ≤ 1) ≥ threshold needs cos ≥ this
    pairs: set[tuple[int, int]] = set()
    for i in range(n):
        pairs.update((i, int(j)) for j in np.nonzero(cos[i, i + 1:] >= floor)[0] + i + 1)
    buckets: dict[str, list[int]] = {}
    typo_buckets: dict[str, list[int]] = {}
    for i, t in enumerate(items):
        for k in {t.key, *_loose_keys(t.key)}:
            buckets.setdefault(k, []).append(i)
        if len(t.key) >= 5:
            for k in {"d:" + _undouble(t.key), "s:" + "".join(sorted(t.key))}:
                typo_buckets.setdefault(k, []).append(i)
    twins: set[tuple[int, int]] = set()
    for members in buckets.values():
        twins.update((a, b) for x, a in enumerate(members) for b in members[x + 1:])
    typos: set[tuple[int, int]] = set()
    for members in typo_buckets.values():
        typos.update((a, b) for x, a in enumerate(members) for b in members[x + 1:]
                     if _typo(items[a].key, items[b].key))
    edges: list[tuple[float, int, int, str]] = []
    for i, j in sorted(pairs | twins | typos):
        if concept_of[i] is not None and concept_of[j] is not None:
            continue  # same concept: already merged; different concepts: not ours to merge
        if (i, j) in twins:
            edges.append((1.0, i, j, "the same term (case, accents, punctuation, spacing or plural aside)"))
            continue
        c = float(cos[i, j])
        sp = spelling_similarity(items[i].key, items[j].key)
        score = max((c + sp) / 2, c - 0.05)
        if (i, j) in typos and score < TYPO_SCORE:
            score = TYPO_SCORE
            why = f"a likely misspelling (doubled or swapped letters; text similarity {c:.2f})"
        else:
            why = f"text similarity {c:.2f}, spelling similarity {sp:.2f}"
        if score >= threshold:
            edges.append((score, i, j, why))
    # spellings of one folded term that differ ("Sunset", "sunset") are near-duplicates too
    solo: list[Suggestion] = []
    for i, t in enumerate(items):
        if len(t.spellings) > 1 and concept_of[i] is None:
            into = t.text
            others = [s for s in sorted(t.spellings) if s != into]
            solo.append(Suggestion(others, into, 1.0, "the same term spelled differently", None,
                                   {s: t.spellings[s] for s in [into, *others]}))

    parent = list(range(n))
    concept_at: dict[int, Concept | None] = {i: concept_of[i] for i in range(n)}
    best: dict[int, list[tuple[float, str]]] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for score, i, j, why in sorted(edges, key=lambda e: (-e[0], e[1], e[2])):
        ri, rj = find(i), find(j)
        if ri == rj:
            continue
        ci, cj = concept_at[ri], concept_at[rj]
        if ci is not None and cj is not None and ci.id != cj.id:
            continue  # would join two concepts
        parent[rj] = ri
        concept_at[ri] = ci or cj
        best[ri] = best.pop(ri, []) + best.pop(rj, []) + [(score, why)]

    clusters: dict[int, list[int]] = {}
    for i in range(n):
        clusters.setdefault(find(i), []).append(i)
    out: list[Suggestion] = []
    for root, members in clusters.items():
        if len(members) < 2:
            continue
        concept = concept_at[root]
        if concept is not None:
            into = concept.label
            new = [items[i] for i in members if concept_of[i] is None]
        else:
            ranked = sorted(members, key=lambda i: (-items[i].count, "keywords" not in items[i].sources,
                                                    len(items[i].key), items[i].key))
            into = items[ranked[0]].text
            new = [items[i] for i in ranked[1:]]
        if not new:
            continue
        links = best.get(root, [])
        score = min(s for s, _ in links) if links else 1.0
        why = "; ".join(sorted({w for _, w in links})) if links else ""
        counts = {t.text: t.count for t in sorted(new, key=lambda t: (-t.count, t.key))}
        if concept is None:
            counts = {into: next(items[i].count for i in members if items[i].text == into), **counts}
        out.append(Suggestion([t.text for t in sorted(new, key=lambda t: (-t.count, t.key))], into, score, why,
                              concept.id if concept else None, counts))
    out += solo
    out.sort(key=lambda s: (-s.score, s.into.casefold(), s.terms))
    return out


def accept_suggestions(vocab: Vocabulary, suggestions: Iterable[Suggestion]) -> dict[str, Any]:
    """Write suggestions into `vocab` (in memory): terms become alternative labels of the target
    concept, created when missing. Terms that meanwhile name another concept are skipped.
    Returns {"added": [(concept id, label)], "created": [ids], "skipped": [(term, reason)]}."""
    added: list[tuple[str, str]] = []
    created: list[str] = []
    skipped: list[tuple[str, str]] = []
    for s in suggestions:
        concept = vocab.get(s.concept) if s.concept else vocab.lookup(s.into)
        if concept is None:
            concept = vocab.add_concept(Concept(id=vocab.new_id(s.into), pref=Label.parse(s.into, vocab.scheme.lang)))
            created.append(concept.id)
        for term in s.terms:
            other = vocab.lookup(term)
            if other is not None and other.id != concept.id:
                skipped.append((term, f"already a label of {other.id!r}"))
                continue
            if other is not None and term_key(term) in {term_key(lab.text) for lab, _ in concept.labels()}:
                continue  # the very same label (another spelling of it): lookup already maps it
            try:
                if vocab.add_alt(concept.id, Label(" ".join(term.split()))):
                    added.append((concept.id, term))
            except VocabularyError as exc:
                skipped.append((term, "; ".join(exc.problems)))
    return {"added": added, "created": created, "skipped": skipped}
