"""`mediaground meta set|apply`: write the metadata embedded in the files."""

from __future__ import annotations

from pathlib import Path

import click

from mediaground.cli.common import echo_json, json_option, library_option, open_library
from mediaground.config import default_library_path

# Imports inside the commands are deferred so that `mediaground --help` stays fast.

dry_run_option = click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")


@click.group()
def meta() -> None:
    """Read and write the metadata embedded in files (IPTC/XMP/EXIF, ID3/Vorbis/MP4)."""


def _in_a_library(library_path: Path | None) -> bool:
    from mediaground.catalog import catalog_exists

    return catalog_exists(library_path or default_library_path())


@meta.command("set")
@click.argument("ref")
@click.option("--set", "pairs", multiple=True, required=True, metavar="FIELD=VALUE",
              help='e.g. --set creator="Ana Núñez" --set keywords=beach,coast --set gps=36.77,-6.35')
@click.option("--all-files", is_flag=True,
              help="With an asset ID carried by several files: write every one (each keeps its other tags).")
@dry_run_option
@library_option
@json_option
def meta_set(ref, pairs, all_files, dry_run, library_path, as_json):
    """Write fields to a file (a path), or to an asset's file (an asset ID): atomic, verified, ID kept.
    Any file can be written; the library is updated when it knows the file."""
    from mediaground.editing import edit_file
    from mediaground.metadata.edits import parse_edits

    edits = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--set")
        edits[field.strip()] = value
    if not _in_a_library(library_path) and Path(ref).expanduser().is_file():
        _report_edit({"asset_id": None, **edit_file(Path(ref).expanduser().resolve(), parse_edits(edits),
                                                     dry_run=dry_run)}, as_json)
        return
    with open_library(library_path) as lib:
        _report_edit(lib.edit_metadata(ref, edits, dry_run=dry_run, all_files=all_files), as_json)


@meta.command("apply")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@dry_run_option
@library_option
@json_option
def meta_apply(csv_file, dry_run, library_path, as_json):
    """Apply a CSV of edits: a `path` or `asset_id` column, then one column per field."""
    from mediaground.editing import edit_file
    from mediaground.metadata.write import apply_csv

    rows = list(apply_csv(csv_file))
    if not _in_a_library(library_path) and all(Path(str(r.target)).is_file() for r in rows):
        results = [{"asset_id": None, **edit_file(str(r.target), r.edits, dry_run=dry_run)} for r in rows]
    else:
        with open_library(library_path) as lib:
            results = [lib.edit_metadata(str(r.target), edits=r.edits, dry_run=dry_run) for r in rows]
    if as_json:
        echo_json({"edits": results})
    else:
        for r in results:
            _report_edit(r, False)


def _report_edit(result, as_json: bool) -> None:
    if as_json:
        echo_json(result)
        return
    verb = "would change" if result["dry_run"] else "changed"
    for one in result.get("files") or [result]:
        if not one["changes"]:
            click.echo(f"{one['path']}: nothing to change")
        for c in one["changes"]:
            click.echo(f"{one['path']}: {verb} {c['field']}: {c['old']!r} -> {c['new']!r}")
        for note in one.get("repaired") or []:
            click.echo(f"{one['path']}: {'would repair' if result['dry_run'] else 'repaired'}: {note}")


COMMANDS = [meta]
