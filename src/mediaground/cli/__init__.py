"""The `mediaground` command line: a thin layer over the Library. Errors become messages here.

Every command module lists its top-level commands and groups in `COMMANDS`; `main` adds them in
the order of `COMMAND_MODULES` (click lists them alphabetically in `--help` anyway). A command
module imports `cli.common`, never this package, so nothing imports in a cycle.
"""

from __future__ import annotations

import click

from mediaground.cli import audit, export, index, meta, models, privacy, search, serve, spaces, status, taxonomy
from mediaground.cli.common import MainGroup

COMMAND_MODULES = (index, search, meta, status, privacy, spaces, audit, export, taxonomy, models, serve)


@click.group(cls=MainGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mediaground")
def main() -> None:
    """Make images, audio and video findable by language models."""


for _module in COMMAND_MODULES:
    for _command in _module.COMMANDS:
        main.add_command(_command)
del _module, _command
