"""`mediaground audit alt-text|geo|labels|pii`: reports that find what breaks retrieval.

Every audit renders the same three ways (`echo_report`): a table on stdout, JSON with --json, and
a standalone HTML report with --html.
"""

from __future__ import annotations

from pathlib import Path

import click

from mediaground.cli.common import echo_json, json_option, library_option, open_library

# Imports inside the commands are deferred so that `mediaground --help` stays fast.

html_option = click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
                           help="Also write a standalone HTML report with thumbnails.")


@click.group()
def audit() -> None:
    """Reports that find what breaks retrieval (table, --json, or a standalone --html report)."""


def write_report_html(lib, report, html_path: Path | None) -> None:
    """The standalone HTML rendering of an audit report, with the library's thumbnails."""
    if html_path:
        import mediaground.audit as audits
        from mediaground.util import atomic_write_bytes

        atomic_write_bytes(html_path, report.to_html(audits.library_thumbnails(lib.catalog, lib.store)).encode("utf-8"))


def echo_report(lib, report, as_json: bool, html_path: Path | None) -> None:
    """Every audit's three renderings: a table (or --json) on stdout, and --html to a file."""
    write_report_html(lib, report, html_path)
    if as_json:
        click.echo(report.to_json_text())
    else:
        click.echo(report.to_table())
        if html_path:
            click.echo(f"report written to {html_path}")


def _audit_command(name: str, doc: str):
    """An audit with no options of its own: `Library.audit(name)`, rendered."""
    @audit.command(name, help=doc)
    @library_option
    @json_option
    @html_option
    def command(library_path, as_json, html_path):
        with open_library(library_path) as lib:
            echo_report(lib, lib.audit(name), as_json, html_path)
    return command


_audit_command("alt-text", "Empty, placeholder, duplicated, over-long alt text, and alt text the image does not match.")
_audit_command("geo", "GPS coverage by folder, untrusted coordinates, locations suggested from place names.")


@audit.command("labels")
@library_option
@json_option
@html_option
@click.option("--fix", is_flag=True, help="Write the preferred labels into the files (IPTC, XMP, genre).")
@click.option("--dry-run", is_flag=True, help="With --fix: print what would be written; write nothing.")
def audit_labels_command(library_path, as_json, html_path, fix, dry_run):
    """Keywords, genres and file names against the vocabulary (LIBRARY/taxonomy.yaml) and each other:
    IPTC vs XMP, alternative labels, unknown terms, JSON-LD vs file. Nothing is written without --fix."""
    import mediaground.audit as audits

    if dry_run and not fix:
        raise click.UsageError("--dry-run goes with --fix (without --fix nothing is written anyway)")
    with open_library(library_path) as lib:
        report = lib.audit("labels")
        plan = audits.fix_labels(lib, report, dry_run=dry_run) if fix else None
        if as_json and plan is not None:
            write_report_html(lib, report, html_path)
            echo_json({**report.to_json(), "fix": {"dry_run": dry_run, "assets": plan}})
            return
        echo_report(lib, report, as_json, html_path)
        if as_json:
            return
        for entry in plan or []:
            verb = {"write": "would write" if dry_run else "wrote", "resync": "would resync" if dry_run else "resynced",
                    "reindex": "would re-index" if dry_run else "re-indexed", "none": "nothing to write for"}[entry["action"]]
            click.echo(f"{verb} {entry['path']}" + (f": {entry['error']}" if entry.get("error") else ""))
            for c in entry["changes"]:
                click.echo(f"    {c['field']}: {c['old']!r} -> {c['new']!r}")


@audit.command("pii")
@library_option
@json_option
@html_option
@click.option("--ocr/--no-ocr", default=True, show_default=True,
              help="Read text inside images with Tesseract (cached in the catalog).")
@click.option("--faces/--no-faces", default=True, show_default=True,
              help="Look for faces (OpenCV's bundled Haar cascade).")
def audit_pii_command(library_path, as_json, html_path, ocr, faces):
    """Personal data that should not leave the building: serials, owners, software history, GPS on
    private assets, e-mails/phones/IDs in text, OCR text and faces."""
    with open_library(library_path) as lib:
        report = lib.audit("pii", ocr=ocr, faces=faces)
        echo_report(lib, report, as_json, html_path)
        if report.summary.get("ocr", {}).get("status") == "ocr-unavailable" and not as_json:
            click.echo(f"warning: OCR unavailable: {report.summary['ocr'].get('reason')}", err=True)


COMMANDS = [audit]
