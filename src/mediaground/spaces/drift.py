"""The drift report: how far search moves from the space a shadow replaces to the shadow.

Overlap@k of the results for a query set (the library's own words, or examples for spaces that
take no text), vector norms, per-chunk agreement when the two spaces share a dimension, coverage
and failures. Written beside the library (`migrations/<space>.json`) and shown by `migrate`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from mediaground.catalog import Catalog
from mediaground.index.base import VectorIndex
from mediaground.spaces.active import ActiveSpaces
from mediaground.spaces.fill import DUTY_KINDS, duty_of
from mediaground.util import atomic_write_bytes, now

K = 10  # overlap@K
MAX_QUERIES = 40


def drift_report(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, new_id: str,
                 queries: list[str] | None = None, k: int = K) -> dict[str, Any]:
    """How far search moves from the space a shadow replaces to the shadow: overlap@k of the
    results for a query set, vector norms, per-chunk agreement (same dimension), and failures."""
    new = spaces.row(new_id)
    old_id = new.replaces
    new_model = spaces.model_for(new_id)
    duty = duty_of(new.role, new_model)
    loaded = {sid: _Vectors(index, sid) for sid in filter(None, (new_id, old_id))}  # each read once
    report: dict[str, Any] = {
        "space": new_id, "spec": new.spec, "role": new.role, "replaces": old_id, "at": now(),
        "coverage": _coverage(catalog, new_id, duty),
        "norms": {"new": _norms(loaded[new_id])},
        "failures": [{"asset_id": a, "error": e} for a, e in catalog.fills.failures(new_id)],
    }
    if old_id is None:
        report["queries"], report["overlap"] = [], None
        return report
    old_model = spaces.model_for(old_id)
    report["norms"]["old"] = _norms(loaded[old_id])
    report["agreement"] = _agreement(loaded[old_id], loaded[new_id])
    names = _Names(catalog)
    if "text" in old_model.inputs and "text" in new_model.inputs:
        mode = "text"
        rows = []
        for text in queries or generated_queries(catalog):
            a = _top_assets(index, old_id, old_model.embed_texts([text])[0], k)
            b = _top_assets(index, new_id, new_model.embed_texts([text])[0], k)
            rows.append(_overlap_row(names, text, a, b, k))
    else:  # image- or audio-only spaces take no text: query by example, each sample's own vectors
        mode = "example"
        rows = []
        for asset_id in _example_assets(catalog, old_id, new_id):
            a = _top_assets(index, old_id, loaded[old_id].asset_vector(asset_id), k + 1, exclude=asset_id)[:k]
            b = _top_assets(index, new_id, loaded[new_id].asset_vector(asset_id), k + 1, exclude=asset_id)[:k]
            rows.append(_overlap_row(names, f"like {names(asset_id)}", a, b, k))
    overlaps = [r["overlap"] for r in rows]
    report["query_mode"] = mode
    report["queries"] = sorted(rows, key=lambda r: r["overlap"])
    report["overlap"] = {
        "k": k, "queries": len(rows),
        "mean": round(float(np.mean(overlaps)), 4) if rows else None,
        "median": round(float(np.median(overlaps)), 4) if rows else None,
        "min": round(float(np.min(overlaps)), 4) if rows else None,
        "identical_top1": sum(1 for r in rows if r["old"][:1] == r["new"][:1]),
    }
    return report


def generated_queries(catalog: Catalog, n: int = MAX_QUERIES) -> list[str]:
    """A query set from the library's own words: frequent keywords, then titles and captions."""
    counts: Counter[str] = Counter()
    phrases: dict[str, None] = {}  # in first-seen order; more than the query set can use is not kept
    for file in catalog.files.iter():
        data = file.metadata
        for kw in data.get("keywords") or []:
            counts[kw.strip()] += 1
        for field in ("title", "caption", "alt_text"):
            if data.get(field):
                if len(phrases) < 4 * n:
                    phrases.setdefault(" ".join(str(data[field]).split()[:8]))
                break
    for label in catalog.labels.most_common(n // 4):
        counts[label] += 1
    out: list[str] = []
    seen: set[str] = set()
    for q in [kw for kw, _ in counts.most_common()] + list(phrases):
        if q and q.lower() not in seen:
            seen.add(q.lower())
            out.append(q)
    # keywords first but not only: interleave so long libraries still test captions
    kws = [q for q in out if q not in phrases][: n // 2]
    chosen = set(kws)
    rest = [q for q in out if q not in chosen][: n - len(kws)]
    return kws + rest


def save_report(reports_dir: Path, report: dict[str, Any]) -> Path:
    path = Path(reports_dir) / f"{report['space']}.json"
    atomic_write_bytes(path, json.dumps(report, indent=2, ensure_ascii=False).encode())
    report["report_path"] = str(path)
    return path


def _top_assets(index: VectorIndex, space_id: str, vector: np.ndarray, k: int, exclude: str | None = None) -> list[str]:
    out: list[str] = []
    for hit in index.search(space_id, vector, k * 5):
        if hit.asset_id != exclude and hit.asset_id not in out:
            out.append(hit.asset_id)
        if len(out) == k:
            break
    return out


class _Names:
    """The file name a report shows for an asset."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog

    def __call__(self, asset_id: str) -> str:
        path = self.catalog.files.display_path(asset_id)
        return Path(path).name if path else asset_id


def _overlap_row(names: _Names, query: str, a: list[str], b: list[str], k: int) -> dict[str, Any]:
    denom = max(1, min(k, max(len(a), len(b))))
    return {"query": query, "overlap": round(len(set(a) & set(b)) / denom, 4), "old": a, "new": b,
            "old_top": names(a[0]) if a else None, "new_top": names(b[0]) if b else None}


def _example_assets(catalog: Catalog, old_id: str, new_id: str, n: int = MAX_QUERIES) -> list[str]:
    rows = catalog.vectors.assets_in_both(old_id, new_id)
    step = max(1, len(rows) // n)
    return rows[::step][:n]


class _Vectors:
    """A space's vectors, read once for the report (a library of millions of vectors would want
    sampling here; the libraries this was measured on hold thousands)."""

    def __init__(self, index: VectorIndex, space_id: str) -> None:
        self.chunks, assets, self.matrix = index.vectors(space_id)
        self.by_asset: dict[str, list[int]] = {}
        for i, a in enumerate(assets):
            self.by_asset.setdefault(a, []).append(i)

    def asset_vector(self, asset_id: str) -> np.ndarray:
        v = self.matrix[self.by_asset[asset_id]].mean(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-12)


def _norms(vectors: _Vectors) -> dict[str, Any]:
    vecs = vectors.matrix
    if not len(vecs):
        return {"vectors": 0}
    norms = np.linalg.norm(vecs, axis=1)
    return {"vectors": int(len(norms)), "dim": int(vecs.shape[1]), "mean": round(float(norms.mean()), 6),
            "std": round(float(norms.std()), 6), "min": round(float(norms.min()), 6),
            "max": round(float(norms.max()), 6), "non_finite": int((~np.isfinite(vecs)).any(axis=1).sum())}


def _agreement(old: _Vectors, new: _Vectors) -> dict[str, Any] | None:
    """Cosine between the old and new vector of the same chunk, when the two spaces share a
    dimension (e.g. one model at two preprocessor settings); None when they cannot be compared."""
    va, vb = old.matrix, new.matrix
    if not len(va) or not len(vb) or va.shape[1] != vb.shape[1]:
        return None
    where = {c: i for i, c in enumerate(new.chunks)}
    pairs = [(i, where[c]) for i, c in enumerate(old.chunks) if c in where]
    if not pairs:
        return None
    a = va[[i for i, _ in pairs]]
    b = vb[[j for _, j in pairs]]
    cos = (a * b).sum(1) / np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12)
    return {"chunks": len(pairs), "mean_cosine": round(float(cos.mean()), 6),
            "p5_cosine": round(float(np.percentile(cos, 5)), 6), "min_cosine": round(float(cos.min()), 6)}


def _coverage(catalog: Catalog, space_id: str, duty: str) -> dict[str, Any]:
    kinds = DUTY_KINDS[duty]
    total = catalog.assets.count(kinds)
    missing = catalog.fills.count_pending(space_id, kinds)
    return {"assets": total, "done": total - missing, "missing": missing}
