"""`mediaground status`: a summary of the library."""

from __future__ import annotations

import click

from mediaground.cli.common import echo_answer, json_option, library_option


@click.command()
@library_option
@json_option
def status(library_path, as_json):
    """Summarize the library: assets by kind, spaces, quarantined files."""
    echo_answer(library_path, as_json, lambda lib: lib.stats(), _echo_stats)


def _echo_stats(stats) -> None:
    click.echo(f"library {stats['root']}: {stats['assets']} assets {stats['by_kind']}, "
               f"{stats['quarantined']} quarantined")
    for s in stats["spaces"]:
        click.echo(f"  space {s['space_id']} ({s['role']}, {s['model_id']}, dim {s['dim']}): "
                   f"{s['vectors']} vectors, {s['status']}")


COMMANDS = [status]
