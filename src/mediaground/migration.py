"""Staged migration between embedding spaces: shadow → drift report → activate → rollback → retire.

A library must outlive every model. Moving to a new model never overwrites: `migrate` builds the
new space in *shadow* beside the active one (re-embedding from the stored originals and the
catalog, resumable), then measures how much search would change (the drift report). `activate`
swaps the two in one catalog transaction; the old space becomes *previous* and keeps its vectors,
so `rollback` is instant. Only `retire` deletes vectors, and never those of an active space.
A crash at any point leaves the active space serving: nothing before the activation transaction
touches it.

A space that replaces nothing (e.g. CLIP beside the bundled models) is *added*: the same flow,
and after activation search queries it next to the others and fuses the results.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any, Callable

import numpy as np

from mediaground.catalog.db import now
from mediaground.errors import MediagroundError
from mediaground.models.base import Embedder
from mediaground.models.registry import canonical_spec, get_model
from mediaground.pipeline.fill import DUTY_KINDS, PRIMARY_ROLES, duty_of, fill_space, pending_assets
from mediaground.util import atomic_write_bytes

K = 10  # overlap@K
MAX_QUERIES = 40


# --- planning ---------------------------------------------------------------------------------
def role_for(lib, model: Embedder, role: str | None = None) -> str:
    """Which role a model's space fills: as asked; else the role whose active space has the same
    model; else the primary role for single-modality models; else an added role named after it."""
    if role:
        return role
    row = lib.catalog.db.execute("SELECT role FROM spaces WHERE status='active' AND model_id=?",
                                 (model.model_id,)).fetchone()
    if row is not None:
        return row["role"]
    if model.inputs == frozenset({"text"}):
        return "text"
    if model.inputs == frozenset({"image"}):
        return "image"
    if model.inputs == frozenset({"audio"}) and hasattr(model, "transcribe"):
        return "audio"
    return re.sub(r"[^a-z0-9]+", "-", model.model_id.lower()).strip("-")


def _check_fits(role: str, model: Embedder) -> None:
    if role == "image" and not hasattr(model, "run"):
        raise MediagroundError(f"{model.model_id} cannot embed images, so it cannot serve the image role")
    if role == "text" and "text" not in model.inputs:
        raise MediagroundError(f"{model.model_id} does not take text, so it cannot serve the text role")
    if role == "audio" and not hasattr(model, "embed_windows"):
        raise MediagroundError(f"{model.model_id} cannot embed audio windows, so it cannot serve the audio role")


def start_shadow(lib, spec: str, role: str | None = None) -> str:
    """Create (or find, to resume) the shadow space for a model spec; returns its space id."""
    spec = canonical_spec(spec)
    model = get_model(spec)
    space = model.space()
    role = role_for(lib, model, role)
    _check_fits(role, model)
    row = lib.catalog.db.execute("SELECT * FROM spaces WHERE space_id=?", (space.id,)).fetchone()
    active = lib.catalog.db.execute("SELECT space_id FROM spaces WHERE role=? AND status='active'", (role,)).fetchone()
    if row is not None and row["status"] == "active":
        raise MediagroundError(f"{space.id} ({spec}) is already the active {row['role']} space")
    with lib.catalog.transaction() as db:
        if row is None:
            lib.catalog.ensure_space(space, role, spec=spec, status="shadow",
                                     replaces=active["space_id"] if active else None)
        else:  # resume a shadow; bring back a previous or retired one (retired: refilled from scratch)
            db.execute("UPDATE spaces SET status='shadow', role=?, spec=?, replaces=?, changed_at=? WHERE space_id=?",
                       (role, spec, active["space_id"] if active else None, now(), space.id))
    return space.id


def migrate(lib, spec: str, role: str | None = None, queries: list[str] | None = None,
            progress: Callable | None = None) -> dict[str, Any]:
    """Build the shadow space for `spec` (resuming if one exists) and write its drift report."""
    with lib.writing():
        finish_pending(lib)
        space_id = start_shadow(lib, spec, role)
        counts = fill_space(lib, space_id, progress)
        _prepare_bridge(lib, space_id)
        report = drift_report(lib, space_id, queries)
    report["filled"] = counts
    save_report(lib, report)
    return report


def _prepare_bridge(lib, space_id: str) -> None:
    """A new image space with labels needs its label embeddings in the text space: compute (and
    cache) them now, in the shadow phase, so that activation itself is quick."""
    from mediaground.models.bridge import LabelBridge

    row = lib.space_row(space_id)
    model = lib.model_for(space_id)
    if row["role"] == "image" and getattr(model, "labels", None):
        LabelBridge(model, lib.text_model).vectors


# --- the drift report -------------------------------------------------------------------------
def drift_report(lib, new_id: str, queries: list[str] | None = None, k: int = K) -> dict[str, Any]:
    """How far search moves from the space a shadow replaces to the shadow: overlap@k of the
    results for a query set, vector norms, per-chunk agreement (same dimension), and failures."""
    new = lib.space_row(new_id)
    old_id = new["replaces"]
    new_model = lib.model_for(new_id)
    duty = duty_of(new["role"], new_model)
    loaded = {sid: _Vectors(lib, sid) for sid in filter(None, (new_id, old_id))}  # each read once
    report: dict[str, Any] = {
        "space": new_id, "spec": new["spec"], "role": new["role"], "replaces": old_id, "at": now(),
        "coverage": _coverage(lib, new_id, duty),
        "norms": {"new": _norms(loaded[new_id])},
        "failures": [dict(r) for r in lib.catalog.db.execute(
            "SELECT asset_id, error FROM space_assets WHERE space_id=? AND error IS NOT NULL ORDER BY asset_id",
            (new_id,))],
    }
    if old_id is None:
        report["queries"], report["overlap"] = [], None
        return report
    old_model = lib.model_for(old_id)
    report["norms"]["old"] = _norms(loaded[old_id])
    report["agreement"] = _agreement(loaded[old_id], loaded[new_id])
    if "text" in old_model.inputs and "text" in new_model.inputs:
        mode = "text"
        queries = queries or generated_queries(lib)
        rows = []
        for text in queries:
            a = _top_assets(lib, old_id, old_model.embed_texts([text])[0], k)
            b = _top_assets(lib, new_id, new_model.embed_texts([text])[0], k)
            rows.append(_overlap_row(lib, text, a, b, k))
    else:  # image- or audio-only spaces take no text: query by example, each sample's own vectors
        mode = "example"
        rows = []
        for asset_id in _example_assets(lib, old_id, new_id):
            a = _top_assets(lib, old_id, loaded[old_id].asset_vector(asset_id), k + 1, exclude=asset_id)[:k]
            b = _top_assets(lib, new_id, loaded[new_id].asset_vector(asset_id), k + 1, exclude=asset_id)[:k]
            rows.append(_overlap_row(lib, f"like {_name(lib, asset_id)}", a, b, k))
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


def generated_queries(lib, n: int = MAX_QUERIES) -> list[str]:
    """A query set from the library's own words: frequent keywords, then titles and captions."""
    counts: Counter[str] = Counter()
    phrases: list[str] = []
    for (md,) in lib.catalog.db.execute("SELECT metadata FROM assets ORDER BY asset_id"):
        data = json.loads(md or "{}")
        for kw in data.get("keywords") or []:
            counts[kw.strip()] += 1
        for field in ("title", "caption", "alt_text"):
            if data.get(field):
                phrases.append(" ".join(str(data[field]).split()[:8]))
                break
    for (label,) in lib.catalog.db.execute(
            "SELECT label FROM labels GROUP BY label ORDER BY COUNT(*) DESC, label LIMIT ?", (n // 4,)):
        counts[label] += 1
    out: list[str] = []
    for q in [kw for kw, _ in counts.most_common()] + phrases:
        if q and q.lower() not in {o.lower() for o in out}:
            out.append(q)
    # keywords first but not only: interleave so long libraries still test captions
    kws = [q for q in out if q not in phrases][: n // 2]
    rest = [q for q in out if q not in kws][: n - len(kws)]
    return kws + rest


def _top_assets(lib, space_id: str, vector: np.ndarray, k: int, exclude: str | None = None) -> list[str]:
    out: list[str] = []
    for hit in lib.index.search(space_id, vector, k * 5):
        if hit.asset_id != exclude and hit.asset_id not in out:
            out.append(hit.asset_id)
        if len(out) == k:
            break
    return out


def _overlap_row(lib, query: str, a: list[str], b: list[str], k: int) -> dict[str, Any]:
    denom = max(1, min(k, max(len(a), len(b))))
    return {"query": query, "overlap": round(len(set(a) & set(b)) / denom, 4), "old": a, "new": b,
            "old_top": _name(lib, a[0]) if a else None, "new_top": _name(lib, b[0]) if b else None}


def _name(lib, asset_id: str) -> str:
    path = lib.catalog.display_path(asset_id)
    return Path(path).name if path else asset_id


def _example_assets(lib, old_id: str, new_id: str, n: int = MAX_QUERIES) -> list[str]:
    rows = [r[0] for r in lib.catalog.db.execute(
        "SELECT DISTINCT a.asset_id FROM vectors a JOIN vectors b ON a.asset_id = b.asset_id"
        " WHERE a.space_id=? AND b.space_id=? ORDER BY a.asset_id", (old_id, new_id))]
    step = max(1, len(rows) // n)
    return rows[::step][:n]


class _Vectors:
    """A space's vectors, read once for the report (a library of millions of vectors would want
    sampling here; the libraries this was measured on hold thousands)."""

    def __init__(self, lib, space_id: str) -> None:
        self.chunks, assets, self.matrix = lib.index.vectors(space_id)
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


def _coverage(lib, space_id: str, duty: str) -> dict[str, Any]:
    kinds = DUTY_KINDS[duty]
    where = f" WHERE kind IN ({','.join('?' * len(kinds))})" if kinds else ""
    total = lib.catalog.db.execute(f"SELECT COUNT(*) FROM assets{where}", kinds or ()).fetchone()[0]
    missing = len(pending_assets(lib, space_id, duty))
    return {"assets": total, "done": total - missing, "missing": missing}


def save_report(lib, report: dict[str, Any]) -> Path:
    path = lib.root / "migrations" / f"{report['space']}.json"
    atomic_write_bytes(path, json.dumps(report, indent=2, ensure_ascii=False).encode())
    report["report_path"] = str(path)
    return path


# --- switching --------------------------------------------------------------------------------
def activate(lib, ref: str, force: bool = False) -> dict[str, Any]:
    """Make a shadow (or previous) space active in one transaction; the space it replaces becomes
    previous, vectors kept. Refused while the shadow still lacks assets, unless forced."""
    with lib.writing():
        finish_pending(lib)
        shadows = [r[0] for r in lib.catalog.db.execute(
            "SELECT space_id FROM spaces WHERE role=? AND status='shadow'", (ref,))]
        space_id = shadows[0] if len(shadows) == 1 else lib.resolve_space(ref)  # a role: its one shadow
        row = lib.space_row(space_id)
        if row["status"] == "active":
            raise MediagroundError(f"{space_id} is already active")
        if row["status"] not in ("shadow", "previous"):
            raise MediagroundError(f"{space_id} is {row['status']}; build it again with "
                                   f"`mediaground migrate --to '{row['spec']}'`")
        model = lib.model_for(space_id)  # pin check before anything switches
        duty = duty_of(row["role"], model)
        missing = len(pending_assets(lib, space_id, duty))
        if missing and not force:
            raise MediagroundError(
                f"{space_id} still lacks {missing} assets; finish it with `mediaground migrate --to "
                f"'{row['spec']}'` (it resumes), or activate anyway with --force")
        return _switch(lib, row, space_id)


def rollback(lib, role: str = "image") -> dict[str, Any]:
    """Return a role to the space it used before the last activation (the newest previous one);
    the space that was active goes back to shadow, vectors kept, so it can be activated again."""
    with lib.writing():
        finish_pending(lib)
        prev = lib.catalog.db.execute(
            "SELECT * FROM spaces WHERE role=? AND status='previous' ORDER BY changed_at DESC, created_at DESC"
            " LIMIT 1", (role,)).fetchone()
        if prev is None:
            raise MediagroundError(f"the {role} role has no previous space to roll back to")
        lib.model_for(prev["space_id"])  # its model must still match its pin
        return _switch(lib, prev, prev["space_id"], demote_to="shadow")


def _switch(lib, row, space_id: str, demote_to: str = "previous") -> dict[str, Any]:
    role = row["role"]
    old = lib.catalog.db.execute("SELECT space_id FROM spaces WHERE role=? AND status='active'", (role,)).fetchone()
    t = now()
    with lib.catalog.transaction() as db:
        if old is not None:
            db.execute("UPDATE spaces SET status=?, changed_at=? WHERE space_id=?", (demote_to, t, old["space_id"]))
        db.execute("UPDATE spaces SET status='active', changed_at=? WHERE space_id=?", (t, space_id))
        if demote_to == "shadow" and old is not None:
            db.execute("UPDATE spaces SET replaces=? WHERE space_id=?", (space_id, old["space_id"]))
        if role in PRIMARY_ROLES:
            lib.catalog.set_meta(f"{role}_model", row["spec"] or row["model_id"])
        if role == "image":  # the text space's label bridges follow the active image space's labels
            lib.catalog.set_meta("rebridge_pending", space_id)
    lib.forget_models()
    finish_pending(lib)
    return {"role": role, "active": space_id, "was_active": old["space_id"] if old else None,
            "demoted_to": demote_to if old else None}


def finish_pending(lib) -> int:
    """Re-derive the label-bridge vectors in the text space from the active image space's labels
    (after an image-role switch). Idempotent: a crash half-way is finished at the next call."""
    if not lib.catalog.get_meta("rebridge_pending"):
        return 0
    n = rebridge(lib)
    with lib.catalog.transaction() as db:
        db.execute("DELETE FROM meta WHERE key='rebridge_pending'")
    return n


def rebridge(lib) -> int:
    from mediaground.index.base import VectorRow
    from mediaground.models.bridge import BRIDGE_SOURCE

    names = lib.image_model.labels
    if not names:
        return 0  # a model without labels: the bridges of the labels the assets already have stay
    index = {n: i for i, n in enumerate(names)}
    text_space, rows = lib.text_space, []
    for (asset_id,) in lib.catalog.db.execute("SELECT asset_id FROM assets WHERE kind='image' ORDER BY asset_id"):
        top = [(index[n], p) for n, p in lib.catalog.labels(asset_id) if n in index]
        if top:
            rows.append(VectorRow(f"{asset_id}:labels", asset_id, "labels", "image", lib.bridge.bridge(top),
                                  lib.text_model.runtime))
    lib.index.upsert(text_space.id, text_space.dim, rows)
    with lib.catalog.transaction():
        for r in rows:
            lib.catalog.record_vector(r.chunk_id, text_space.id, r.asset_id, r.part, r.runtime, BRIDGE_SOURCE)
    return len(rows)


def retire(lib, ref: str | None = None) -> list[str]:
    """Delete the vectors of a space that is not active (default: every previous space) and mark it
    retired. Its pin stays in the catalog as history."""
    with lib.writing():
        if ref is not None:
            targets = [lib.resolve_space(ref)]
        else:
            targets = [r[0] for r in lib.catalog.db.execute("SELECT space_id FROM spaces WHERE status='previous'")]
        for space_id in targets:
            if lib.space_row(space_id)["status"] == "active":
                raise MediagroundError(f"{space_id} is active; activate another space in its role first")
        for space_id in targets:
            with lib.catalog.transaction() as db:  # catalog first: a crash leaves only orphan vectors,
                db.execute("DELETE FROM vectors WHERE space_id=?", (space_id,))  # which reconcile removes
                db.execute("DELETE FROM space_assets WHERE space_id=?", (space_id,))
                db.execute("UPDATE spaces SET status='retired', changed_at=? WHERE space_id=?", (now(), space_id))
            lib.index.drop(space_id)
        return targets
