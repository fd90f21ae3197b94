"""What every command module shares: the `--library` and `--json` options, opening the library,
turning library errors into messages, printing JSON, and the progress bar.

Command modules import this module (never `mediaground.cli` itself); `cli/__init__.py` registers
their commands on `main`.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from mediaground.config import LIBRARY_ENV, default_library_path
from mediaground.errors import MediagroundError

# The library and rich are imported where they are used, so that `mediaground --help` stays fast.

library_option = click.option(
    "--library", "-L", "library_path", type=click.Path(file_okay=False, path_type=Path),
    envvar=LIBRARY_ENV, show_envvar=True, default=None,
    help="Library folder. Default: $MEDIAGROUND_LIBRARY, else ~/.local/share/mediaground/library.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


class MainGroup(click.Group):
    """The top-level group. The one place where a `MediagroundError` raised by any command (or by
    opening its library) becomes a message: `Error: <message>` on stderr, exit code 1, no traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MediagroundError as exc:
            raise click.ClickException(str(exc)) from exc


@contextmanager
def open_library(library_path: Path | None, create: bool = False, **create_opts) -> Iterator[Any]:
    """The library at `library_path` (default: $MEDIAGROUND_LIBRARY, else the user's), closed on exit."""
    from mediaground.library import Library

    lib = Library.open(library_path or default_library_path(), create=create, **create_opts)
    try:
        yield lib
    finally:
        lib.close()


def echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


def echo_answer(library_path: Path | None, as_json: bool, ask: Callable[[Any], Any], text: Callable[[Any], None],
                to_json: Callable[[Any], Any] | None = None) -> Any:
    """The shape of a command that reads one thing: open the library, `answer = ask(lib)`, print it
    (as JSON, through `to_json`, with --json; else as text by `text(answer)`), and return it."""
    with open_library(library_path) as lib:
        answer = ask(lib)
        if as_json:
            echo_json(to_json(answer) if to_json else answer)
        else:
            text(answer)
    return answer


@contextmanager
def progress_bar(label: str, as_json: bool, eta: bool = True) -> Iterator[Callable[[int, int, str], None] | None]:
    """A transient progress bar on stderr, drawn only on a terminal and never with --json.

    Yields `update(done, total, name)`, or None where no bar is drawn (pass it on as `progress=`:
    None means no progress reporting). `pipeline_progress` adapts it to the pipeline's `Progress`."""
    if as_json or not sys.stderr.isatty():
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    columns = [TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn()]
    if eta:
        columns.append(TimeRemainingColumn())
    with Progress(*columns, TextColumn("{task.fields[name]}"), transient=True) as bar:
        task = bar.add_task(label, total=None, name="")
        yield lambda done, total, name: bar.update(task, total=total, completed=done, name=Path(name).name[:40])


def pipeline_progress(update: Callable[[int, int, str], None] | None) -> Callable[[Any], None] | None:
    """`update(done, total, name)` as the callback that ingest, reindex and migrate call with a
    `mediaground.progress.Progress` (total, done, path); None stays None."""
    if update is None:
        return None
    return lambda p: update(p.done, p.total, p.path)
