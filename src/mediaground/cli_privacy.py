"""CLI for personal data: `audit pii`, `mark REF --private/--public`, `export sanitized DEST`.

Hooked into the main command by `register(main)` at the end of cli.py. The commands are built
inside `register` from the cli module's own helpers (`_open`, `library_option`, `json_option`,
`_echo_json`), so they behave like every other command and nothing is imported in a cycle.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click


def register(main: click.Group) -> None:
    """Add `mark` to the top level, `pii` to `audit` and `sanitized` to `export`."""
    cli = sys.modules[main.callback.__module__]
    library_option, json_option, _open, _echo_json = cli.library_option, cli.json_option, cli._open, cli._echo_json

    @main.commands["audit"].command("pii")
    @library_option
    @json_option
    @click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write a standalone HTML report with thumbnails.")
    @click.option("--ocr/--no-ocr", default=True, show_default=True,
                  help="Read text inside images with Tesseract (cached in the catalog).")
    @click.option("--faces/--no-faces", default=True, show_default=True,
                  help="Look for faces (OpenCV's bundled Haar cascade).")
    def audit_pii_command(library_path, as_json, html_path, ocr, faces):
        """Personal data that should not leave the building: serials, owners, software history, GPS on
        private assets, e-mails/phones/IDs in text, OCR text and faces."""
        import mediaground.audit as audits
        from mediaground.cli import echo_report

        with _open(library_path) as lib:
            report = audits.audit_pii(lib, ocr=ocr, faces=faces)
            echo_report(lib, report, as_json, html_path)
            if report.summary.get("ocr", {}).get("status") == "ocr-unavailable" and not as_json:
                click.echo(f"warning: OCR unavailable: {report.summary['ocr'].get('reason')}", err=True)

    @main.command("mark")
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

        with _open(library_path) as lib:
            out = []
            for ref in refs:
                asset_id = lib.resolve(ref)
                set_flag(lib, asset_id, PRIVATE if private else PUBLIC, True)
                reason = private_reason(lib, asset_id)
                out.append({"asset_id": asset_id, "path": lib.catalog.display_path(asset_id),
                            "flags": flags(lib, asset_id), "private": reason is not None})
            if as_json:
                _echo_json({"assets": out})
                return
            for r in out:
                click.echo(f"{r['asset_id']}  {'private' if r['private'] else 'public '}  {r['path'] or ''}")

    @main.commands["export"].command("sanitized")
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

        with _open(library_path) as lib:
            ids = [lib.resolve(a) for a in assets] or None
            show_bar = not as_json and sys.stderr.isatty()
            kwargs = dict(asset_ids=ids, gps=gps, precision=precision, keep=[k for k in keep.split(",") if k.strip()])
            if show_bar:
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

                with Progress(TextColumn("[bold]sanitizing"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[name]}"),
                              transient=True) as bar:
                    task = bar.add_task("export", total=None, name="")
                    result = export_sanitized(lib, dest, progress=lambda n, total, name: bar.update(
                        task, total=total, completed=n, name=Path(name).name[:40]), **kwargs)
            else:
                result = export_sanitized(lib, dest, **kwargs)
            if as_json:
                _echo_json(result)
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
