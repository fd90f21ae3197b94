"""`mediaground index`: add files and folders to the library (creating it if missing)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediaground.cli.common import echo_json, json_option, library_option, open_library, pipeline_progress, progress_bar


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@library_option
@json_option
@click.option("--workers", type=int, default=None, help="Decode worker processes (0 = in-process).")
@click.option("--text-model", default=None,
              help="Text model spec for a new library (default minilm-l6-v2; see `mediaground models list`).")
@click.option("--image-model", default=None,
              help="Image model spec for a new library (default efficientnet-lite0; e.g. clip?path=DIR).")
@click.option("--audio-model", default=None,
              help="Audio model spec for a new library (default whisper-tiny.en; e.g. whisper-base after a pull).")
@click.option("--link", type=click.Choice(["copy", "hardlink"]), default=None,
              help="How a new library stores originals (default copy).")
def index(paths, library_path, as_json, workers, text_model, image_model, audio_model, link):
    """Index files and folders into the library (created if missing)."""
    opts = {k: v for k, v in {"text_model": text_model, "image_model": image_model, "audio_model": audio_model,
                              "link": link}.items() if v}
    with open_library(library_path, create=True, **opts) as lib:
        try:
            with progress_bar("indexing", as_json) as bar:
                report = lib.ingest(paths, progress=pipeline_progress(bar), workers=workers)
        except KeyboardInterrupt:
            click.echo("interrupted: what was committed is kept; run the same command again to resume", err=True)
            sys.exit(130)
        if as_json:
            echo_json(report.to_dict())
            return
        click.echo(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                   f"renamed {report.renamed}, quarantined {len(report.quarantined)}, missing {report.missing}  ({lib.root})")
        for q in report.quarantined:
            click.echo(f"  quarantined {q['path']}: {q['reason']}" + (f" ({q['detail']})" if q.get("detail") else ""))
        for problem in report.spaces_behind:
            click.echo(f"warning: a shadow or added space was not brought up to date: {problem} "
                       "(see `mediaground doctor`)", err=True)


COMMANDS = [index]
