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

The caller (the Library) holds the library's write lock around each of these.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mediaground.catalog import Catalog, SpaceRecord, VectorRecord
from mediaground.errors import MediagroundError
from mediaground.index.base import VectorIndex, VectorRow
from mediaground.models.base import Embedder
from mediaground.models.bridge import BRIDGE_SOURCE, LabelBridge
from mediaground.models.registry import canonical_spec, get_model
from mediaground.progress import ProgressFn
from mediaground.spaces.active import ActiveSpaces
from mediaground.spaces.drift import drift_report, save_report
from mediaground.spaces.fill import Filler

REBRIDGE_PENDING = "rebridge_pending"  # setting: an image-role switch whose label bridges are not rebuilt yet


# --- planning ---------------------------------------------------------------------------------
def role_for(catalog: Catalog, model: Embedder, role: str | None = None) -> str:
    """Which role a model's space fills: as asked; else the role whose active space has the same
    model; else the primary role for single-modality models; else an added role named after it."""
    if role:
        return role
    same = catalog.spaces.role_of_model(model.model_id)
    if same is not None:
        return same
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


def start_shadow(catalog: Catalog, spec: str, role: str | None = None) -> str:
    """Create (or find, to resume) the shadow space for a model spec; returns its space id."""
    spec = canonical_spec(spec)
    model = get_model(spec)
    space = model.space()
    role = role_for(catalog, model, role)
    _check_fits(role, model)
    row = catalog.spaces.get(space.id)
    active = catalog.spaces.active(role)
    if row is not None and row.status == "active":
        raise MediagroundError(f"{space.id} ({spec}) is already the active {row.role} space")
    replaces = active.space_id if active else None
    with catalog.transaction():
        if row is None:
            catalog.spaces.add(space, role, spec=spec, status="shadow", replaces=replaces)
        else:  # resume a shadow; bring back a previous or retired one (retired: refilled from scratch)
            catalog.spaces.make_shadow(space.id, role, spec, replaces)
    return space.id


def migrate(filler: Filler, spec: str, role: str | None = None, queries: list[str] | None = None,
            progress: ProgressFn | None = None, reports_dir: Path | None = None) -> dict[str, Any]:
    """Build the shadow space for `spec` (resuming if one exists) and write its drift report."""
    catalog, index, spaces = filler.catalog, filler.index, filler.spaces
    finish_pending(catalog, index, spaces)
    space_id = start_shadow(catalog, spec, role)
    counts = filler.fill(space_id, progress)
    _prepare_bridge(spaces, space_id)
    report = drift_report(catalog, index, spaces, space_id, queries)
    report["filled"] = counts
    if reports_dir is not None:
        save_report(reports_dir, report)
    return report


def _prepare_bridge(spaces: ActiveSpaces, space_id: str) -> None:
    """A new image space with labels needs its label embeddings in the text space: compute (and
    cache) them now, in the shadow phase, so that activation itself is quick."""
    row = spaces.row(space_id)
    model = spaces.model_for(space_id)
    if row.role == "image" and getattr(model, "labels", None):
        LabelBridge(model, spaces.text_model).vectors


# --- switching --------------------------------------------------------------------------------
def activate(filler: Filler, ref: str, force: bool = False) -> dict[str, Any]:
    """Make a shadow (or previous) space active in one transaction; the space it replaces becomes
    previous, vectors kept. Refused while the shadow still lacks assets, unless forced."""
    catalog, index, spaces = filler.catalog, filler.index, filler.spaces
    finish_pending(catalog, index, spaces)
    shadows = catalog.spaces.with_status("shadow", role=ref)
    space_id = shadows[0].space_id if len(shadows) == 1 else spaces.resolve(ref)  # a role: its one shadow
    row = spaces.row(space_id)
    if row.status == "active":
        raise MediagroundError(f"{space_id} is already active")
    if row.status not in ("shadow", "previous"):
        raise MediagroundError(f"{space_id} is {row.status}; build it again with "
                               f"`mediaground migrate --to '{row.spec}'`")
    spaces.model_for(space_id)  # pin check before anything switches
    missing = filler.pending(space_id)
    if missing and not force:
        raise MediagroundError(
            f"{space_id} still lacks {missing} assets; finish it with `mediaground migrate --to "
            f"'{row.spec}'` (it resumes), or activate anyway with --force")
    return _switch(catalog, index, spaces, row)


def rollback(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, role: str = "image") -> dict[str, Any]:
    """Return a role to the space it used before the last activation (the newest previous one);
    the space that was active goes back to shadow, vectors kept, so it can be activated again."""
    finish_pending(catalog, index, spaces)
    previous = catalog.spaces.with_status("previous", role=role)
    if not previous:
        raise MediagroundError(f"the {role} role has no previous space to roll back to")
    spaces.model_for(previous[0].space_id)  # its model must still match its pin
    return _switch(catalog, index, spaces, previous[0], demote_to="shadow")


def _switch(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, row: SpaceRecord,
            demote_to: str = "previous") -> dict[str, Any]:
    with catalog.transaction():
        old = catalog.spaces.activate(row.role, row.space_id, demote_to)
        if row.is_primary:
            catalog.settings.set(f"{row.role}_model", row.spec)
        if row.role == "image":  # the text space's label bridges follow the active image space's labels
            catalog.settings.set(REBRIDGE_PENDING, row.space_id)
    spaces.forget()
    finish_pending(catalog, index, spaces)
    return {"role": row.role, "active": row.space_id, "was_active": old, "demoted_to": demote_to if old else None}


def finish_pending(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces) -> int:
    """Re-derive the label-bridge vectors in the text space from the active image space's labels
    (after an image-role switch). Idempotent: a crash half-way is finished at the next call."""
    if not catalog.settings.get(REBRIDGE_PENDING):
        return 0
    n = rebridge(catalog, index, spaces)
    with catalog.transaction():
        catalog.settings.delete(REBRIDGE_PENDING)
    return n


def rebridge(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces) -> int:
    names = spaces.image_model.labels
    if not names:
        return 0  # a model without labels: the bridges of the labels the assets already have stay
    label_index = {n: i for i, n in enumerate(names)}
    text_space, text_model, rows = spaces.text_space, spaces.text_model, []
    ids = catalog.assets.ids(["image"])
    labels = catalog.labels.of_many(ids)
    for asset_id in ids:
        top = [(label_index[n], p) for n, p in labels.get(asset_id, []) if n in label_index]
        if top:
            rows.append(VectorRow(f"{asset_id}:labels", asset_id, "labels", "image", spaces.bridge.bridge(top),
                                  text_model.runtime))
    index.upsert(text_space.id, text_space.dim, rows)
    with catalog.transaction():
        catalog.vectors.record(VectorRecord(r.chunk_id, text_space.id, r.asset_id, r.part, r.runtime, BRIDGE_SOURCE)
                               for r in rows)
    return len(rows)


def retire(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, ref: str | None = None) -> list[str]:
    """Delete the vectors of a space that is not active (default: every previous space) and mark it
    retired. Its pin stays in the catalog as history."""
    if ref is not None:
        targets = [spaces.resolve(ref)]
    else:
        targets = [r.space_id for r in catalog.spaces.with_status("previous")]
    for space_id in targets:
        if spaces.row(space_id).status == "active":
            raise MediagroundError(f"{space_id} is active; activate another space in its role first")
    for space_id in targets:
        with catalog.transaction():  # catalog first: a crash leaves only orphan vectors, which
            catalog.spaces.retire(space_id)  # reconcile removes
        index.drop(space_id)
    return targets

