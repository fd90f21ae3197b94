"""`mediaground export jsonld|sanitized`: publish the library's metadata, or publishable copies."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediaground.cli.common import echo_json, json_option, library_option, open_library, progress_bar

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.group()
def export() -> None:
    """Publish the library's metadata."""


@export.command("jsonld")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder for <asset_id>.jsonld files and graph.jsonld.")
@library_option
@json_option
def export_jsonld(out_dir, library_path, as_json):
    """schema.org ImageObject/AudioObject/VideoObject for every asset, and one combined graph."""
    from mediaground.metadata.jsonld import write_export

    with open_library(library_path) as lib:
        result = write_export(lib.describe_files(), out_dir)
        if as_json:
            echo_json(result)
        else:
            click.echo(f"wrote {result['assets']} asset files and graph.jsonld to {result['out_dir']}")


@export.command("sanitized")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option("--asset", "assets", multiple=True, metavar="REF",
              help="Only this asset (ID, ID prefix or path); repeatable. Default: every asset.")
@click.option("--gps", type=click.Choice(["keep", "coarse", "remove"]), default="coarse", show_default=True,
              help="GPS in the copies: rounded to --precision, removed, or kept. Private assets never keep GPS.")
@click.option("--precision", type=click.IntRange(0, 6), default=2, show_default=True,
              help="Decimals kept by --gps coarse (2 ≈ 1.1 km, 1 ≈ 11 km, 3 ≈ 110 m).")
@click.option("--keep", "keep", default="", metavar="CATEGORIES",
              help="Comma-separated categories to keep that are stripped by default: serials, owner, software, "
                   "history, maker-notes, contact, thumbnail, comment, private, text-pii.")
@library_option
@json_option
def export_sanitized_command(dest, assets, gps, precision, keep, library_path, as_json):
    """Publishable copies in DEST: serials, owners, software history, maker notes, thumbnails and
    contact details stripped, GPS coarsened or removed; credit, rights, alt text, captions and
    keywords kept; each copy verified (asset ID unchanged). Originals are never modified.
    Exits 1 when an asset failed (the others are still exported)."""
    from mediaground.privacy.sanitize import export_sanitized

    with open_library(library_path) as lib:
        ids = [lib.resolve(a) for a in assets] or None
        with progress_bar("sanitizing", as_json, eta=False) as bar:
            result = export_sanitized(lib.catalog, lib.store, dest, asset_ids=ids, gps=gps, precision=precision,
                                      keep=[k for k in keep.split(",") if k.strip()], progress=bar)
        if as_json:
            echo_json(result)
            if result["failed"]:
                sys.exit(1)
            return
        click.echo(f"exported {result['exported']}, unchanged {result['unchanged']}, skipped {len(result['skipped'])}, "
                   f"failed {len(result['failed'])}  → {result['dest']} (manifest: {result['manifest']})")
        for f in result["files"]:
            for w in f.get("warnings", []):
                click.echo(f"  warning {f['file']}: {w}")
        for s in result["skipped"]:
            click.echo(f"  skipped {s['source'] or s['asset_id']}: {s['reason']}")
        for f in result["failed"]:
            click.echo(f"  failed  {f['source'] or f['asset_id']}: {f['reason']}")
        if result["failed"]:
            sys.exit(1)


COMMANDS = [export]
