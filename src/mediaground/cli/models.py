"""`mediaground models`: list the embedding models, pull weights into the verified local cache.

`models pull` is the only command that may use the network (the Hugging Face hub), and only when
no ``--from DIR`` is given. Indexing and searching never download anything.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from mediaground.cli.common import echo_json, json_option
from mediaground.errors import MediagroundError

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.group()
def models() -> None:
    """Embedding models: what is registered, what is cached, and pulling weights."""


@models.command("pull")
@click.argument("model_id")
@click.option("--from", "source_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Copy the files from this local folder (a mirror or save_pretrained output) instead of the hub.")
@click.option("--trust-on-first-use", is_flag=True,
              help="Accept files the catalogue pins no sha256 for, and record the hashes they have now.")
@json_option
def pull(model_id, source_dir, trust_on_first_use, as_json):
    """Download (or copy --from DIR) a model's weights, verify every sha256, and cache them."""
    from mediaground.models import cache

    def progress(name: str, status: str, sha: str) -> None:
        if not as_json:
            click.echo(f"  {status:21} {name}  sha256 {sha}", err=True)

    src = cache.source_of(model_id)
    before = _pulled_at(cache, model_id, src.revision)
    if not as_json:
        origin = source_dir if source_dir is not None else f"{src.hub}@{src.revision}"
        click.echo(f"pulling {model_id} from {origin}", err=True)
    folder = cache.pull(model_id, source_dir=source_dir, trust_on_first_use=trust_on_first_use, progress=progress)
    manifest = cache.read_manifest(folder) or {}
    files = manifest.get("files", {})
    already = before is not None and before == manifest.get("pull_id")  # intact copy, nothing fetched
    trusted = {name: r["sha256"] for name, r in files.items() if r.get("status") == "trusted-on-first-use"}
    pin = None
    if trusted:
        pin = {model_id: {"source": {"hub": src.hub, "revision": manifest.get("resolved_revision") or src.revision,
                                     "backend": src.backend,
                                     "files": {name: r["sha256"] for name, r in files.items()}}}}
    if as_json:
        echo_json({"model_id": model_id, "path": str(folder), "revision": manifest.get("revision"),
                    "resolved_revision": manifest.get("resolved_revision"), "origin": manifest.get("origin"),
                    "already_cached": already, "files": [{"name": n, **r} for n, r in files.items()],
                    "trusted_on_first_use": sorted(trusted), "pin": pin})
        return
    if already:
        click.echo(f"{model_id} is already in the cache and verified: {folder}")
    else:
        click.echo(f"{model_id}: {len(files)} files verified into {folder}")
    if trusted:
        click.echo(f"recorded on first use (not verified against a pin): {', '.join(sorted(trusted))}")
        click.echo("to pin them, put this in a catalogue override ($MEDIAGROUND_MODEL_CATALOGUE):")
        click.echo(json.dumps(pin, indent=2))


def _pulled_at(cache, model_id: str, revision: str) -> str | None:
    try:
        manifest = cache.read_manifest(cache.model_dir(model_id, revision))
    except MediagroundError:
        return None
    return manifest.get("pull_id") if manifest else None


@models.command("list")
@json_option
def list_(as_json):
    """Registered model ids with their catalogue entry, and whether pulled weights are cached."""
    from mediaground.models import cache
    from mediaground.models.catalogue import load_catalogue
    from mediaground.models.registry import available

    registered = set(available())
    catalogue = load_catalogue()
    rows = []
    for model_id in sorted(registered | set(catalogue)):
        info = catalogue.get(model_id)
        source = info.extra.get("source") if info else None
        pullable = isinstance(source, dict)
        rows.append({
            "id": model_id,
            "registered": model_id in registered,
            "status": info.status if info else "unknown",
            "description": info.description if info else "",
            "modalities": list(info.modalities) if info else [],
            "license": info.license if info else None,
            "deprecated_on": info.deprecated_on if info else None,
            "replacement": info.replacement if info else None,
            "pullable": pullable,
            "backend": source.get("backend") if pullable else None,
            "cached": cache.is_cached(model_id) if pullable else None,
        })
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        state = ("cached" if r["cached"] else "not pulled") if r["pullable"] else r["status"]
        flags = "" if r["registered"] else "  (no backend registered)"
        dep = f"  deprecated {r['deprecated_on']}" if r["deprecated_on"] else ""
        click.echo(f"{r['id']:26} {','.join(r['modalities']):12} {state:13} {r['description'][:70]}{dep}{flags}")


COMMANDS = [models]
