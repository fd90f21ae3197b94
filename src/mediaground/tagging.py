"""Zero-shot tagging: assign vocabulary concepts to assets by embedding similarity.

For every active space that takes text queries (`ActiveSpaces.for_queries("text")`), each concept's
labels (preferred, other-language preferred and alternative labels; hidden ones are misspellings
and are left out) are embedded with that space's model, one prompt per label and per kind of
vector the space holds:

* ``labels`` / ``image`` parts (an image's label-bridge vector in the default text space, or the
  image itself in a space that embeds both): ``"a photo of a {label}"``, the template the label
  bridge is built from;
* ``window`` parts (sound): ``"the sound of {label}"``;
* ``text`` (the asset's own title/caption/alt text/keywords/place) and ``segment`` (transcript
  moments) parts: the label itself.

An asset's score for a concept, per view, is the highest cosine between any of the concept's
prompts and any of the asset's vectors of that view, over all those spaces (max, not mean: one
good view is evidence enough, and a mean would punish assets that have fewer kinds of vectors,
e.g. images without a caption). A concept is assigned when some view reaches *that view's*
threshold; the reported score is the best passing cosine. At most `max_per_asset` concepts per
asset, best first. A model label of the asset (ImageNet name, probability ≥ 0.2) that *is* one of
a concept's labels assigns it too (`why` says ``label:<name>``).

Thresholds (`DEFAULT_THRESHOLDS`) were calibrated with the real default models (MiniLM-L6 text
space, EfficientNet-Lite0 label bridge) on the 30 sample photos of ../shared/samples/photos plus
the 4 of tests/data, against a 49-concept vocabulary (the right concepts for each photo from the
samples' MANIFEST descriptions, e.g. cat + animal, plus distractors such as pizza, guitar, logo):

* image view (label bridge, "a photo of a {label}"): positives median 0.59, negatives median 0.35,
  99th percentile 0.58. At 0.575 precision 0.68 / recall 0.60 (best F1, 0.64); at **0.65**
  precision 0.87 / recall 0.45, and the 4 false positives left are the image model's own mistakes
  (farmland labelled "starfish", a pagoda as "palace"). Tags are written into people's files, so
  the default favours precision: 0.65.
* text view (the label against the photo's one-sentence description as its caption): positives
  median 0.42, negatives 99th percentile 0.34; at **0.45** precision 0.93 / recall 0.49, at 0.40
  0.85 / 0.57.
* sound view (a space embedding audio and text, none bundled yet): uncalibrated, 0.5.

tests/test_tag_auto.py::test_real_models_calibration re-checks the image threshold on tests/data.

`--write` adds the assigned concepts' preferred labels to each file's keywords through
`Library.edit_metadata` (atomic, verified, re-ingested); existing keywords are kept. Files whose
format cannot hold keywords (GIF, HEIC, video, audio) are reported and the batch goes on.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from mediaground.catalog import Catalog
from mediaground.errors import MediagroundError
from mediaground.index.base import VectorIndex
from mediaground.metadata.read import read_metadata
from mediaground.spaces.active import ActiveSpaces
from mediaground.taxonomy.vocab import Concept, Vocabulary

if TYPE_CHECKING:  # write_tags works through the Library's public API; the Library never imports this
    from mediaground.library import Library

__all__ = ["DEFAULT_THRESHOLDS", "DEFAULT_TAG_THRESHOLD", "Assignment", "TagResult", "auto_tag", "write_tags",
           "prompt_for", "thresholds_for", "view_of"]

# Cosine thresholds per kind of view (see the module doc for how they were chosen). Label-bridge
# cosines share the "a photo of a ..." template and run high for everything; label-to-caption
# cosines run low; one number cannot serve both.
DEFAULT_THRESHOLDS = {"image": 0.65, "text": 0.45, "sound": 0.5}
DEFAULT_TAG_THRESHOLD = DEFAULT_THRESHOLDS["image"]
LABEL_MIN_SCORE = 0.2
_IMAGE_PARTS = {"labels", "image"}
_SOUND_PARTS = {"window"}


def prompt_for(part: str, label: str) -> str:
    if part in _IMAGE_PARTS:
        return f"a photo of a {label}"
    if part in _SOUND_PARTS:
        return f"the sound of {label}"
    return label


def view_of(part: str) -> str:
    """The kind of view a vector part is: "image", "sound" or "text"."""
    return "image" if part in _IMAGE_PARTS else "sound" if part in _SOUND_PARTS else "text"


def thresholds_for(threshold: float | None = None, **per_view: float | None) -> dict[str, float]:
    """The default per-view thresholds; `threshold` sets all of them, `image=`/`text=`/`sound=` one."""
    out = dict(DEFAULT_THRESHOLDS) if threshold is None else {k: float(threshold) for k in DEFAULT_THRESHOLDS}
    out.update({k: float(v) for k, v in per_view.items() if v is not None})
    return out


@dataclass
class Assignment:
    asset_id: str
    path: str | None
    kind: str
    concept: str
    label: str                # the concept's preferred label (what --write adds)
    score: float              # the best cosine of a view that passed its threshold
    present: bool             # the asset's keywords already name this concept
    why: list[str] = field(default_factory=list)  # e.g. "labels:'a photo of a logo'", "label:tabby"

    def to_dict(self) -> dict[str, Any]:
        return {"asset_id": self.asset_id, "path": self.path, "kind": self.kind, "concept": self.concept,
                "label": self.label, "score": round(self.score, 4), "present": self.present, "why": self.why}


@dataclass
class TagResult:
    thresholds: dict[str, float]
    assignments: list[Assignment]
    scores: dict[str, dict[str, dict[str, float]]]  # asset → concept → view → best cosine
    written: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)

    def best(self, asset_id: str, view: str | None = None) -> list[tuple[str, float]]:
        """(concept, score) for one asset, best first (in one view, or the best of all)."""
        per = self.scores.get(asset_id, {})
        items = [(c, (v.get(view, -1.0) if view else max(v.values()))) for c, v in per.items()]
        return sorted(items, key=lambda kv: (-kv[1], kv[0]))

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": self.thresholds, "assignments": [a.to_dict() for a in self.assignments],
                "written": self.written, "failed": self.failed}


def auto_tag(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, vocab: Vocabulary,
             threshold: float | None = None,
             kinds: Iterable[str] | None = None, concepts: Iterable[str] | None = None,
             asset_ids: Iterable[str] | None = None, max_per_asset: int = 5,
             thresholds: dict[str, float] | None = None) -> TagResult:
    """Score every (asset, concept) pair per view and assign a concept where a view's best cosine
    reaches that view's threshold (see the module doc). `threshold` sets every view's threshold;
    `thresholds` ({"image", "text", "sound"}) sets them one by one."""
    limits = thresholds_for(threshold, **(thresholds or {}))
    chosen: list[Concept] = vocab.concepts
    if concepts is not None:
        wanted = list(concepts)
        missing = [c for c in wanted if c not in vocab]
        if missing:
            raise MediagroundError(f"no concept with id {', '.join(map(repr, missing))} in the vocabulary")
        chosen = [vocab[c] for c in wanted]
    chosen_ids = {c.id for c in chosen}
    kinds = list(kinds) if kinds else None
    ids = list(asset_ids) if asset_ids is not None else None
    best: dict[tuple[str, str, str], tuple[float, str]] = {}  # (asset, concept, view) → (cosine, why)
    for space, model in spaces.for_queries("text"):
        counts = catalog.vectors.parts(space.id)
        by_view: dict[str, list[str]] = {}
        for part in sorted(counts):
            by_view.setdefault(view_of(part), []).append(part)
        for view, parts in by_view.items():
            limit = sum(counts[p] for p in parts)
            prompts = [(c, prompt_for(parts[0], lab)) for c in chosen for lab in c.visible_labels()]
            if not prompts or not limit:
                continue
            vecs = model.embed_texts([p for _, p in prompts])
            for (concept, prompt), vec in zip(prompts, vecs):
                for hit in index.search(space.id, np.asarray(vec, np.float32), limit, kinds=kinds,
                                            asset_ids=ids, parts=parts):
                    key = (hit.asset_id, concept.id, view)
                    if key not in best or hit.score > best[key][0]:
                        best[key] = (float(hit.score), f"{hit.part}:{prompt!r}")

    by_label: dict[tuple[str, str], list[str]] = {}
    for asset_id, label, score in catalog.labels.all():
        if score >= LABEL_MIN_SCORE and (ids is None or asset_id in ids):
            concept = vocab.lookup(label)
            if concept is not None and concept.id in chosen_ids:
                by_label.setdefault((asset_id, concept.id), []).append(f"label:{label}")

    scores: dict[str, dict[str, dict[str, float]]] = {}
    passed: dict[tuple[str, str], list[tuple[float, str]]] = {}
    for (asset_id, cid, view), (score, why) in best.items():
        scores.setdefault(asset_id, {}).setdefault(cid, {})[view] = round(score, 4)
        if score >= limits.get(view, limits["image"]):
            passed.setdefault((asset_id, cid), []).append((score, why))
    for key in by_label:
        passed.setdefault(key, [])

    assets = catalog.assets.get_many(sorted({a for a, _ in passed}))
    paths = catalog.files.display_paths(list(assets))
    files = catalog.files.searchable(list(assets))
    per_asset: dict[str, list[Assignment]] = {}
    for (asset_id, cid), views in passed.items():
        row = assets.get(asset_id)
        if row is None or (kinds and row.kind not in kinds):
            continue
        # present: every file of the asset already names the concept (else --write adds it where missing)
        present = bool(files.get(asset_id)) and all(_names(vocab, f.metadata, cid) for f in files[asset_id])
        views = sorted(views, reverse=True)
        score = views[0][0] if views else max(scores.get(asset_id, {}).get(cid, {"": 0.0}).values())
        why = [w for _, w in views] + by_label.get((asset_id, cid), [])
        per_asset.setdefault(asset_id, []).append(
            Assignment(asset_id, paths.get(asset_id), row.kind, cid, vocab[cid].label, score, present, why))
    out: list[Assignment] = []
    for asset_id in sorted(per_asset, key=lambda a: (per_asset[a][0].path or "", a)):
        ranked = sorted(per_asset[asset_id], key=lambda a: (-a.score, a.concept))
        out += ranked[:max_per_asset]
    return TagResult(limits, out, scores)


def _names(vocab: Vocabulary, md: dict[str, Any], concept_id: str) -> bool:
    """Whether a file's keywords (as read or as normalized) name the concept."""
    words = [k for k in (md.get("keywords") or []) + (md.get("keywords_raw") or []) if isinstance(k, str)]
    return any((c := vocab.lookup(k)) is not None and c.id == concept_id for k in words)


def write_tags(lib: "Library", result: TagResult, dry_run: bool = False) -> TagResult:
    """Add each asset's newly assigned labels to the keywords of each of its current files (their
    other keywords kept). One file failing (format cannot hold keywords, read-only file, ...) is
    reported; the rest go on."""
    new: dict[str, list[str]] = {}
    for a in result.assignments:
        if not a.present and a.label not in new.setdefault(a.asset_id, []):
            new[a.asset_id].append(a.label)
    for asset_id, labels in new.items():
        if not labels:
            continue
        asset = lib.catalog.assets.get(asset_id)
        files = [f.path for f in lib.catalog.files.of_asset(asset_id) if f.current and os.path.exists(f.path)]
        if not files:
            result.failed.append({"asset_id": asset_id, "path": lib.catalog.files.display_path(asset_id),
                                  "added": labels, "error": f"asset {asset_id} has no file on disk to write to"})
        for path in files:
            try:
                existing = read_metadata(path, asset.format, asset.kind).keywords
                have = {k.casefold() for k in existing}
                keywords = list(existing) + [lab for lab in labels if lab.casefold() not in have]
                outcome = lib.edit_metadata(path, edits={"keywords": keywords}, dry_run=dry_run)
                result.written.append({"asset_id": asset_id, "path": outcome["path"], "added": labels,
                                       "dry_run": dry_run, "changes": outcome["changes"]})
            except MediagroundError as exc:
                result.failed.append({"asset_id": asset_id, "path": path, "added": labels, "error": str(exc)})
    return result

