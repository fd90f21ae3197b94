"""`mediaground meta set|apply`: write the metadata embedded in the files."""

from __future__ import annotations

from pathlib import Path

import click

from mediaground.cli.common import echo_json, json_option, library_option, open_library

# Imports inside the commands are deferred so that `mediaground --help` stays fast.

dry_run_option = click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")


@click.group()
def meta() -> None:
    """Read and write the metadata embedded in files (IPTC/XMP/EXIF, ID3/Vorbis/MP4)."""


@meta.command("set")
@click.argument("ref")
@click.option("--set", "pairs", multiple=True, required=True, metavar="FIELD=VALUE",
              help='e.g. --set creator="Ana Núñez" --set keywords=beach,coast --set gps=36.77,-6.35')
@dry_run_option
@library_option
@json_option
def meta_set(ref, pairs, dry_run, library_path, as_json):
    """Write fields to one asset's file (by asset ID or path): atomic, verified, ID kept."""
    edits = {}
    for pair in pairs:
        field, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--set")
        edits[field.strip()] = value
    with open_library(library_path) as lib:
        _report_edit(lib.edit_metadata(ref, edits, dry_run=dry_run), as_json)


@meta.command("apply")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@dry_run_option
@library_option
@json_option
def meta_apply(csv_file, dry_run, library_path, as_json):
    """Apply a CSV of edits: a `path` or `asset_id` column, then one column per field."""
    from mediaground.metadata.write import apply_csv

    with open_library(library_path) as lib:
        results = []
        for row in apply_csv(csv_file):
            results.append(lib.edit_metadata(str(row.target), edits=row.edits, dry_run=dry_run))
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
    if not result["changes"]:
        click.echo(f"{result['path']}: nothing to change")
    for c in result["changes"]:
        click.echo(f"{result['path']}: {verb} {c['field']}: {c['old']!r} -> {c['new']!r}")


COMMANDS = [meta]
