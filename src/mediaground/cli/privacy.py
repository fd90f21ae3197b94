"""`mediaground mark REF --private/--public`: which assets are private.

The other privacy commands live with their groups: `audit pii` in audit.py, `export sanitized`
in export.py.
"""

from __future__ import annotations

import click

from mediaground.cli.common import echo_json, json_option, library_option, open_library

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.command("mark")
@click.argument("refs", nargs=-1, required=True)
@click.option("--private/--public", "private", required=True,
              help="--private: never publish its GPS, report its GPS in `audit pii`. --public: clear that "
                   "(also overrides a 'private' keyword).")
@library_option
@json_option
def mark_command(refs, private, library_path, as_json):
    """Mark assets (asset ID, ID prefix or path) private or public.

    An asset is private when it carries the private flag, or when one of its keywords is
    "private" (any case) and it was not marked --public."""
    from mediaground.privacy.flags import PRIVATE, PUBLIC, flags, private_reason, set_flag

    with open_library(library_path) as lib:
        out = []
        for ref in refs:
            asset_id = lib.resolve(ref)
            set_flag(lib.catalog, asset_id, PRIVATE if private else PUBLIC, True)
            reason = private_reason(lib.catalog, asset_id)
            out.append({"asset_id": asset_id, "path": lib.catalog.files.display_path(asset_id),
                        "flags": flags(lib.catalog, asset_id), "private": reason is not None})
        if as_json:
            echo_json({"assets": out})
            return
        for r in out:
            click.echo(f"{r['asset_id']}  {'private' if r['private'] else 'public '}  {r['path'] or ''}")


COMMANDS = [mark_command]
