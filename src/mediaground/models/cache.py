"""An explicit, verified cache of pulled model weights: `mediaground models pull ID`.

Models whose weights do not ship in a PyPI package carry a ``"source"`` in the model catalogue:

    "clip-vit-base-patch32": {..., "source": {"hub": "openai/clip-vit-base-patch32",
        "revision": "<commit>", "backend": "clip",
        "files": {"config.json": "<sha256>", "model.safetensors": "<sha256>", ...}}}

`pull` copies those files from a local mirror folder (``source_dir``, e.g. a ``save_pretrained``
output on an air-gapped machine) or downloads them with ``huggingface_hub.hf_hub_download`` — the
only code in mediaground that touches the network, and only when the user runs ``models pull`` —
into a temp folder, checks every file's sha256 against the catalogue, and renames the folder into
place. A mismatch is an error naming the file and both hashes; the temp folder is removed and
nothing lands in the cache (there is no silent re-download). A file whose catalogue sha256 is
``null`` is refused unless ``trust_on_first_use=True``; then the hash it had is recorded in the
manifest (and the CLI prints it, so it can be pinned in a catalogue override).

Layout: ``<root>/<model_id>/<revision>/<files>`` plus ``manifest.json`` (sha256 and size of every
file), root = ``$MEDIAGROUND_MODEL_CACHE`` or ``$XDG_CACHE_HOME/mediaground/models``
(``~/.cache/mediaground/models``). These are not derived files: they are kept apart from
``MEDIAGROUND_CACHE``.

`pulled_path` is what backends use at run time: it re-hashes every file against the manifest (and
the manifest against the catalogue's pins) and never downloads; a model that was not pulled raises
ModelError("model X is not in the local cache; run `mediaground models pull X`").
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Callable

from mediaground.errors import MediagroundError, ModelError
from mediaground.models.catalogue import model_info
from mediaground.util import atomic_write_bytes, fsync_dir, sha256_file

ENV_VAR = "MEDIAGROUND_MODEL_CACHE"
MANIFEST = "manifest.json"
MANIFEST_FORMAT = 1

# fetch(repo, filename, revision) -> path of a local file holding that file of the repo
Fetch = Callable[[str, str, str], "str | os.PathLike[str]"]
# progress(filename, status, sha256): status is "verified" or "trusted-on-first-use"
Progress = Callable[[str, str, str], None]

_SHA = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]*")


def cache_root() -> Path:
    """Where pulled weights live: $MEDIAGROUND_MODEL_CACHE, else ~/.cache/mediaground/models."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mediaground" / "models"


@dataclass(frozen=True)
class Source:
    """Where a model's weights come from and what they must hash to (a catalogue ``source``)."""

    model_id: str
    hub: str | None
    revision: str
    backend: str
    files: dict[str, str | None]  # relative path → expected sha256 (None: not pinned yet)

    @property
    def unpinned(self) -> list[str]:
        return [name for name, sha in self.files.items() if sha is None]


def source_of(model_id: str) -> Source:
    """The catalogue's ``source`` of a model; ModelError when it has none or it is malformed."""
    info = model_info(model_id)
    if info is None:
        raise ModelError(f"model {model_id} is not in the model catalogue")
    raw = info.extra.get("source")
    if not isinstance(raw, dict):
        raise ModelError(f"model {model_id} has no \"source\" in the model catalogue: it cannot be pulled")

    def bad(what: str) -> ModelError:
        return ModelError(f"model catalogue: {model_id}.source {what}")

    hub, revision, backend, files = raw.get("hub"), raw.get("revision"), raw.get("backend"), raw.get("files")
    if hub is not None and not isinstance(hub, str):
        raise bad("hub must be a repository name such as \"owner/name\"")
    if not isinstance(revision, str) or not _NAME.fullmatch(revision):
        raise bad(f"revision {revision!r} must be a commit hash, tag or branch name ([A-Za-z0-9._-])")
    if not isinstance(backend, str) or not backend:
        raise bad("backend must name a registered backend (clip, siglip, clap, whisper-ct2)")
    if not isinstance(files, dict) or not files:
        raise bad("files must map each file name to its sha256 (or null)")
    checked: dict[str, str | None] = {}
    for name, sha in files.items():
        _check_name(model_id, name)
        if sha is not None and (not isinstance(sha, str) or not _SHA.fullmatch(sha.lower())):
            raise bad(f"files[{name!r}] must be a 64-hex sha256 or null, not {sha!r}")
        checked[name] = sha.lower() if sha else None
    if not _NAME.fullmatch(model_id):
        raise bad("id cannot be used as a folder name")
    return Source(model_id, hub, revision, backend, checked)


def _check_name(model_id: str, name: Any) -> None:
    path = PurePosixPath(name) if isinstance(name, str) else None
    if (path is None or not name or path.is_absolute() or "\\" in name
            or any(part in ("", ".", "..") for part in name.split("/")) or name == MANIFEST):
        raise ModelError(f"model catalogue: {model_id}.source.files has a bad file name {name!r}")


def model_dir(model_id: str, revision: str) -> Path:
    return cache_root() / model_id / revision


# --- pulling ------------------------------------------------------------------------------
def pull(model_id: str, source_dir: str | os.PathLike | None = None, fetch: Fetch | None = None,
         trust_on_first_use: bool = False, progress: Progress | None = None) -> Path:
    """Fetch, verify and install a model's files; returns the cached folder.

    Already cached and intact: returned as it is (nothing is fetched). A cached copy that no
    longer verifies is replaced by the freshly verified one. Files come from ``source_dir`` when
    given, else from ``fetch`` (default: the Hugging Face hub)."""
    src = source_of(model_id)
    final = model_dir(model_id, src.revision)
    if (final / MANIFEST).exists():
        try:
            return pulled_path(model_id)
        except ModelError:
            pass  # damaged or pinned differently: replaced below, only once the new copy verifies
    if src.unpinned and not trust_on_first_use:
        raise ModelError(
            f"the model catalogue pins no sha256 for {', '.join(src.unpinned)} of {model_id}: refusing to "
            "trust unverified weights. Pin them in a catalogue override ($MEDIAGROUND_MODEL_CATALOGUE), or "
            "pull with --trust-on-first-use to record the hashes they have now")
    if source_dir is None and fetch is None:
        if not src.hub:
            raise ModelError(f"model {model_id} names no hub repository: pull it --from a local folder")
        fetch = _hub_fetch
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".pull-{src.revision}-", dir=final.parent))
    try:
        records: dict[str, dict[str, Any]] = {}
        resolved = None
        for name, expected in src.files.items():
            if source_dir is not None:
                origin = Path(source_dir).expanduser() / name
                if not origin.is_file():
                    raise ModelError(f"{name} of {model_id} is missing from {source_dir}")
            else:
                origin = Path(fetch(src.hub or "", name, src.revision))
                resolved = resolved or _commit_of(origin)
            dest = tmp / name
            dest.parent.mkdir(parents=True, exist_ok=True)
            digest, size = _copy_hashing(origin, dest)
            if expected is not None and digest != expected:
                raise ModelError(
                    f"{name} of {model_id} does not match the model catalogue: expected sha256 {expected}, "
                    f"got {digest}; nothing was written to the cache")
            status = "verified" if expected is not None else "trusted-on-first-use"
            records[name] = {"sha256": digest, "size": size, "status": status}
            if progress is not None:
                progress(name, status, digest)
        manifest = {
            "format": MANIFEST_FORMAT, "model_id": model_id, "revision": src.revision,
            "resolved_revision": resolved, "hub": src.hub, "backend": src.backend,
            "origin": str(Path(source_dir).expanduser().resolve()) if source_dir is not None else
            (f"hub:{src.hub}" if fetch is _hub_fetch else "fetch"),
            "pulled_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "pull_id": uuid.uuid4().hex,
            "files": records,
        }
        atomic_write_bytes(tmp / MANIFEST, json.dumps(manifest, indent=1, sort_keys=True).encode())
        _install(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def _hub_fetch(repo: str, filename: str, revision: str) -> Path:
    """One file from the Hugging Face hub (through its own cache). Only `models pull` gets here."""
    try:
        from huggingface_hub import hf_hub_download  # optional: only `models pull` from the hub needs it
    except ImportError as exc:
        raise ModelError("pulling from the hub needs huggingface_hub (pip install huggingface_hub); "
                         "or pull --from a local folder") from exc
    try:
        return Path(hf_hub_download(repo, filename, revision=revision))
    except Exception as exc:  # network, 404, auth: the hub's own exception types vary by version
        raise ModelError(f"cannot download {filename} from {repo}@{revision}: {exc}") from exc


def _commit_of(path: Path) -> str | None:
    """The commit a hub download resolved to (.../snapshots/<commit>/<file>), when the path says."""
    parts = path.parts
    for i, part in enumerate(parts[:-1]):
        if part == "snapshots" and re.fullmatch(r"[0-9a-f]{40}", parts[i + 1]):
            return parts[i + 1]
    return None


def _copy_hashing(origin: Path, dest: Path, chunk: int = 1 << 20) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(origin, "rb") as fin, open(dest, "wb") as fout:
        while block := fin.read(chunk):
            h.update(block)
            fout.write(block)
            size += len(block)
        fout.flush()
        os.fsync(fout.fileno())
    return h.hexdigest(), size


def _install(tmp: Path, final: Path) -> None:
    """Rename the verified temp folder into place (replacing a damaged copy, if any)."""
    fsync_dir(tmp)
    if final.exists():
        trash = final.with_name(f".old-{final.name}-{uuid.uuid4().hex[:8]}")
        os.rename(final, trash)
        try:
            os.rename(tmp, final)
        except OSError:
            os.rename(trash, final)
            raise
        shutil.rmtree(trash, ignore_errors=True)
    else:
        try:
            os.rename(tmp, final)
        except OSError:
            if not (final / MANIFEST).exists():
                raise
            shutil.rmtree(tmp, ignore_errors=True)  # a concurrent pull landed first; it was verified too
    fsync_dir(final.parent)


# --- using --------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError(f"the cache manifest {folder / MANIFEST} is unreadable ({exc}); "
                         "pull the model again") from exc
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        raise ModelError(f"the cache manifest {folder / MANIFEST} is malformed; pull the model again")
    return data


def _not_cached(model_id: str) -> ModelError:
    return ModelError(f"model {model_id} is not in the local cache; run `mediaground models pull {model_id}`")


def pulled_path(model_id: str) -> Path:
    """The cached folder of a pulled model, after re-hashing every file; never downloads.

    Raises ModelError when the model was not pulled, when a file changed since (size or sha256),
    or when the catalogue now pins other hashes than the cached copy was verified against."""
    src = source_of(model_id)
    folder = model_dir(model_id, src.revision)
    manifest = read_manifest(folder)
    if manifest is None:
        raise _not_cached(model_id)
    repull = f"run `mediaground models pull {model_id}` to replace it"
    files = manifest["files"]
    for name, expected in src.files.items():
        record = files.get(name)
        if not isinstance(record, dict) or "sha256" not in record:
            raise ModelError(f"the cached copy of {model_id} lacks {name}; {repull}")
        if expected is not None and record["sha256"] != expected:
            raise ModelError(f"the cached {name} of {model_id} was verified as sha256 {record['sha256']}, but the "
                             f"model catalogue pins {expected}; {repull}")
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            raise ModelError(f"{path} is gone from the model cache; {repull}") from None
        if size != record.get("size"):
            raise ModelError(f"{path} changed in the model cache (size {size}, pulled {record.get('size')}); {repull}")
        digest = sha256_file(path)
        if digest != record["sha256"]:
            raise ModelError(f"{path} changed in the model cache: sha256 {digest}, pulled as {record['sha256']}; "
                             f"{repull}")
    return folder


def is_cached(model_id: str) -> bool:
    """Cheap check (manifest present, files there with their recorded sizes); no hashing."""
    try:
        src = source_of(model_id)
        folder = model_dir(model_id, src.revision)
        manifest = read_manifest(folder)
    except MediagroundError:
        return False
    if manifest is None:
        return False
    for name in src.files:
        record = manifest["files"].get(name)
        try:
            if not isinstance(record, dict) or (folder / name).stat().st_size != record.get("size"):
                return False
        except OSError:
            return False
    return True


def list_cached() -> list[dict[str, Any]]:
    """Every pulled copy in the cache (any revision), from the manifests; no hashing."""
    root = cache_root()
    out = []
    if not root.is_dir():
        return out
    for manifest_path in sorted(root.glob(f"*/*/{MANIFEST}")):
        folder = manifest_path.parent
        try:
            manifest = read_manifest(folder)
        except ModelError:
            manifest = None
        if manifest is None:
            continue
        files = manifest["files"]
        out.append({
            "model_id": manifest.get("model_id", folder.parent.name),
            "revision": manifest.get("revision", folder.name),
            "resolved_revision": manifest.get("resolved_revision"),
            "backend": manifest.get("backend"),
            "path": str(folder),
            "files": len(files),
            "bytes": sum(int(r.get("size") or 0) for r in files.values() if isinstance(r, dict)),
            "pulled_at": manifest.get("pulled_at"),
            "origin": manifest.get("origin"),
        })
    return out
