"""The `mediaground` command line: a thin layer over the Library. Errors become messages here."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path

import click

from mediaground.config import LIBRARY_ENV, default_library_path
from mediaground.errors import MediagroundError

library_option = click.option(
    "--library", "-L", "library_path", type=click.Path(file_okay=False, path_type=Path),
    envvar=LIBRARY_ENV, show_envvar=True, default=None,
    help="Library folder. Default: $MEDIAGROUND_LIBRARY, else ~/.local/share/mediaground/library.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print machine-readable JSON.")


def _echo_json(obj) -> None:
    click.echo(json.dumps(obj, indent=2, ensure_ascii=False, default=str))


@contextmanager
def _open(library_path: Path | None, create: bool = False, **create_opts):
    from mediaground.library import Library

    try:
        lib = Library.open(library_path or default_library_path(), create=create, **create_opts)
    except MediagroundError as exc:
        raise click.ClickException(str(exc)) from exc
    try:
        yield lib
    except MediagroundError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        lib.close()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="mediaground")
def main() -> None:
    """Make images, audio and video findable by language models."""


@main.command()
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
    with _open(library_path, create=True, **opts) as lib:
        show_bar = not as_json and sys.stderr.isatty()
        try:
            if show_bar:
                report = _with_progress(lambda cb: lib.ingest(paths, progress=cb, workers=workers))
            else:
                report = lib.ingest(paths, workers=workers)
        except KeyboardInterrupt:
            click.echo("interrupted: what was committed is kept; run the same command again to resume", err=True)
            sys.exit(130)
        if as_json:
            _echo_json(report.to_dict())
            return
        click.echo(f"added {report.added}, updated {report.updated}, unchanged {report.unchanged}, "
                   f"renamed {report.renamed}, quarantined {len(report.quarantined)}, missing {report.missing}  ({lib.root})")
        for q in report.quarantined:
            click.echo(f"  quarantined {q['path']}: {q['reason']}" + (f" ({q['detail']})" if q.get("detail") else ""))
        for problem in report.spaces_behind:
            click.echo(f"warning: a shadow or added space was not brought up to date: {problem} "
                       "(see `mediaground doctor`)", err=True)


def _with_progress(work, label: str = "indexing"):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  TextColumn("{task.fields[name]}"), transient=True) as bar:
        task = bar.add_task("index", total=None, name="")

        def update(p):
            bar.update(task, total=p.total, completed=p.done, name=Path(p.path).name[:40])

        return work(update)


@main.command()
@click.argument("text", required=False)
@click.option("--image", type=click.Path(exists=True, dir_okay=False), help="Find images like this one.")
@click.option("--audio", type=click.Path(exists=True, dir_okay=False),
              help="Find recordings (and the moments in them) that sound like this clip.")
@click.option("--asset", help="Find assets like this asset ID.")
@click.option("--kind", type=click.Choice(["image", "audio", "video"]), help="Only this kind of asset.")
@click.option("--from", "date_from", help="Created on or after this date (YYYY-MM-DD).")
@click.option("--to", "date_to", help="Created on or before this date (YYYY-MM-DD).")
@click.option("--near", metavar="LAT,LON", help="Rank by distance from this point (with --radius-km: only within).")
@click.option("--radius-km", type=float, help="With --near: keep assets within this many km.")
@click.option("--bbox", metavar="MINLAT,MINLON,MAXLAT,MAXLON", help="Only assets located inside this box.")
@click.option("--creator", help="Only assets by this creator (exact name, any case).")
@click.option("--keyword", help="Only assets with this keyword (exact, any case).")
@click.option("--license", "license_", help="Only assets whose license URL or copyright mentions this.")
@click.option("--has-gps/--no-gps", "has_gps", default=None, help="Only assets with (or without) trusted GPS.")
@click.option("--limit", "-n", type=int, default=10, show_default=True)
@library_option
@json_option
def search(text, image, audio, asset, kind, date_from, date_to, near, radius_km, bbox, creator, keyword, license_,
           has_gps, limit, library_path, as_json):
    """Search by text, by an image or audio file, or by an asset ID."""
    if not (text or image or audio or asset or near or bbox or creator or keyword or license_ or has_gps is not None):
        raise click.UsageError("give a TEXT query, --image FILE, --audio FILE, --asset ID, --near, --bbox or a filter")
    if radius_km is not None and not near:
        raise click.UsageError("--radius-km needs --near")
    point = box = None
    if near or bbox:
        from mediaground.geo.points import parse_bbox, parse_point

        try:
            point = parse_point(near) if near else None
            box = parse_bbox(bbox) if bbox else None
        except ValueError as exc:
            raise click.BadParameter(str(exc)) from exc
    with _open(library_path) as lib:
        results = lib.search(text, image=image, audio=audio, asset=asset, kind=kind, date_from=date_from,
                             date_to=date_to, near=point, radius_km=radius_km, bbox=box, creator=creator,
                             keyword=keyword, license=license_, has_gps=has_gps, limit=limit)
        if as_json:
            _echo_json({"results": [r.to_dict() for r in results]})
            return
        if not results:
            click.echo("no results")
        for i, r in enumerate(results, 1):
            when = f" [{r.start:.1f}s–{r.end:.1f}s]" if r.start is not None else ""
            click.echo(f"{i:2}. {r.asset_id}  {r.kind:5}  {r.score:.4f}  {r.path}{when}")
            click.echo(f"      why: {', '.join(r.why)}" + (f"   labels: {', '.join(r.labels)}" if r.labels else ""))
            if r.caption:
                click.echo(f"      {' '.join(r.caption.split())[:100]}")
            for m in r.moments:
                said = f'  "{m["text"]}"' if m.get("text") else ""
                click.echo(f"      at {m['start']:.1f}s–{m['end']:.1f}s ({m['why']}){said}")


@main.command()
@click.argument("ref")
@library_option
@json_option
def show(ref, library_path, as_json):
    """Show one asset (by asset ID, ID prefix, or file path)."""
    with _open(library_path) as lib:
        record = lib.show(ref)
        if as_json:
            _echo_json(record)
            return
        click.echo(f"asset {record['asset_id']}  ({record['kind']}, {record['format']})")
        basis = record["id_basis"]
        click.echo(f"  id basis: {basis} ({record['id_method']})"
                   + ("  — essence could not be isolated; whole-file hash used" if basis == "file" else ""))
        for i, p in enumerate(record["paths"]):
            click.echo(f"  {'path' if i == 0 else 'was ':4}  {p}")
        if record["width"]:
            click.echo(f"  size: {record['width']}x{record['height']}")
        for key, value in record["metadata"].items():
            if key not in {"sources", "warnings"}:
                click.echo(f"  {key}: {value}")
        if record["labels"]:
            click.echo("  labels: " + ", ".join(f"{l['label']} ({l['score']:.2f})" for l in record["labels"]))
        audio = record.get("audio")
        if audio:
            state = ", ".join(w for w, on in (("silent", audio["silent"]), ("truncated", audio["truncated"])) if on)
            click.echo(f"  audio: {audio['duration']:.1f}s decoded" + (f" ({state})" if state else "")
                       + (f", language {audio['language']} ({audio['language_probability']})" if audio["language"] else ""))
            for w in audio["warnings"]:
                click.echo(f"    warning: {w}")
        for seg in record.get("transcript", []):
            click.echo(f"  [{seg['start']:7.2f}–{seg['end']:7.2f}] {seg['text']}")
        parts: dict[tuple[str, str], int] = {}
        for v in record["vectors"]:
            key = (v["part"], f"{v['space_id']}  {v['runtime']}")
            parts[key] = parts.get(key, 0) + 1
        for (part, where), n in parts.items():
            click.echo(f"  vector {part:8} {where}" + (f"  ×{n}" if n > 1 else ""))
        for e in record["provenance"]:
            click.echo(f"  {e['at']}  {e['event']}  {e.get('path') or e.get('to') or ''}")


@main.group()
def meta() -> None:
    """Read and write the metadata embedded in files (IPTC/XMP/EXIF, ID3/Vorbis/MP4)."""


@meta.command("set")
@click.argument("ref")
@click.option("--set", "pairs", multiple=True, required=True, metavar="FIELD=VALUE",
              help='e.g. --set creator="Ana Núñez" --set keywords=beach,coast --set gps=36.77,-6.35')
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
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
    with _open(library_path) as lib:
        _report_edit(lib.edit_metadata(ref, edits, dry_run=dry_run), as_json)


@meta.command("apply")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
@library_option
@json_option
def meta_apply(csv_file, dry_run, library_path, as_json):
    """Apply a CSV of edits: a `path` or `asset_id` column, then one column per field."""
    from mediaground.metadata.write import apply_csv

    with _open(library_path) as lib:
        results = []
        for row in apply_csv(csv_file):
            results.append(lib.edit_metadata(str(row.target), edits=row.edits, dry_run=dry_run))
        if as_json:
            _echo_json({"edits": results})
        else:
            for r in results:
                _report_edit(r, False)


def _report_edit(result, as_json: bool) -> None:
    if as_json:
        _echo_json(result)
        return
    verb = "would change" if result["dry_run"] else "changed"
    if not result["changes"]:
        click.echo(f"{result['path']}: nothing to change")
    for c in result["changes"]:
        click.echo(f"{result['path']}: {verb} {c['field']}: {c['old']!r} -> {c['new']!r}")


@main.command()
@library_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (localhost by default).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--read-token", envvar="MEDIAGROUND_READ_TOKEN", help="Require this bearer token for reads.")
@click.option("--write-token", envvar="MEDIAGROUND_WRITE_TOKEN",
              help="Bearer token for ingest and metadata edits (writes are disabled without one).")
def serve(library_path, host, port, read_token, write_token):
    """Serve the HTTP API (OpenAPI at /openapi.json) and the web UI."""
    import uvicorn

    from mediaground.api.http import create_app

    path = library_path or default_library_path()
    with _open(path):
        pass  # fail early, with a message, if there is no library
    app = create_app(path, read_token=read_token, write_token=write_token)
    click.echo(f"serving {Path(path).resolve()} on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@main.command()
@library_option
@click.option("--http", "http_port", type=int, default=None, help="Serve streamable HTTP on this port instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True)
def mcp(library_path, http_port, host):
    """Run the MCP server (stdio by default) so an LLM can search and cite the library."""
    from mediaground.api.mcp_server import run_http, run_stdio

    path = library_path or default_library_path()
    with _open(path):
        pass
    if http_port:
        run_http(path, host=host, port=http_port)
    else:
        run_stdio(path)


@main.group(invoke_without_command=True)
@library_option
@json_option
@click.pass_context
def spaces(ctx, library_path, as_json):
    """List embedding spaces (model, dimension, vectors, coverage, status, deprecation); switch them."""
    if ctx.invoked_subcommand is not None:
        return
    from mediaground.spaces import spaces_report

    with _open(library_path) as lib:
        rows = spaces_report(lib)
        if as_json:
            _echo_json(rows)
            return
        for r in rows:
            dep = f", deprecated {r['deprecated_on']}" if r["deprecated_on"] else ""
            click.echo(f"{r['id']:32} {r['role']:6} {r['spec'][:34]:34} dim {r['dim']:<5} {r['vectors']:>7} vectors  "
                       f"coverage {r['coverage']:>4.0%}  {r['status']}{dep}")


def _echo_switch(result, as_json: bool) -> None:
    if as_json:
        _echo_json(result)
    else:
        click.echo(f"{result['role']}: {result['active']} is active"
                   + (f"; {result['was_active']} is now {result['demoted_to']}" if result["was_active"] else ""))


@spaces.command("activate")
@click.argument("ref")
@click.option("--force", is_flag=True, help="Activate even if the space still lacks assets.")
@library_option
@json_option
def spaces_activate(ref, force, library_path, as_json):
    """Make a shadow (or previous) space active. REF: a space id, a unique prefix, or a role with one
    shadow. The space it replaces keeps its vectors, so `spaces rollback ROLE` is instant."""
    from mediaground.migration import activate

    with _open(library_path) as lib:
        _echo_switch(activate(lib, ref, force=force), as_json)


@spaces.command("rollback")
@click.argument("role")
@library_option
@json_option
def spaces_rollback(role, library_path, as_json):
    """Return ROLE (text, image, audio, or an added role) to the space it used before."""
    from mediaground.migration import rollback

    with _open(library_path) as lib:
        _echo_switch(rollback(lib, role), as_json)


@spaces.command("retire")
@click.argument("ref", required=False)
@library_option
@json_option
def spaces_retire(ref, library_path, as_json):
    """Delete the vectors of a space that is not active (default: every previous space)."""
    from mediaground.migration import retire

    with _open(library_path) as lib:
        done = retire(lib, ref)
        if as_json:
            _echo_json({"retired": done})
        else:
            click.echo("retired " + (", ".join(done) if done else "nothing (no previous spaces)"))


@spaces.command("finish")
@library_option
def spaces_finish(library_path):
    """Finish a space switch that was interrupted (rebuild the label bridges)."""
    from mediaground.migration import finish_pending

    with _open(library_path) as lib, lib.writing():
        click.echo(f"rebuilt {finish_pending(lib)} label bridges")


@main.command()
@click.option("--to", "spec", required=True, metavar="MODEL[?OPTIONS]",
              help="The model spec of the new space, e.g. efficientnet-lite0?resample=bicubic or clip?path=DIR.")
@click.option("--role", help="The role the new space serves (default: the role of the same model, else by modality).")
@click.option("--queries", "queries_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Text queries for the drift report, one per line (default: from the library's own words).")
@click.option("--detach", is_flag=True,
              help="Run in the background; the log and the drift report land in LIBRARY/migrations/.")
@library_option
@json_option
def migrate(spec, role, queries_file, detach, library_path, as_json):
    """Build a new space in shadow from the stored originals (resumable), then report the drift.
    Search keeps using the active space meanwhile; `spaces` shows the shadow's coverage grow."""
    from mediaground.migration import migrate as run_migrate

    if detach:
        _detach_migration(spec, role, queries_file, library_path, as_json)
        return
    queries = None
    if queries_file:
        queries = [q.strip() for q in queries_file.read_text(encoding="utf-8").splitlines() if q.strip()]
    with _open(library_path) as lib:
        if not as_json and sys.stderr.isatty():
            report = _with_progress(lambda cb: run_migrate(lib, spec, role, queries, progress=cb), "re-embedding")
        else:
            report = run_migrate(lib, spec, role, queries)
        if as_json:
            _echo_json(report)
            return
        click.echo(format_drift(report))


def _detach_migration(spec, role, queries_file, library_path, as_json) -> None:
    """Start `mediaground migrate` again as a background process in its own session (so closing the
    terminal does not stop it); it resumes where any earlier run stopped."""
    import subprocess
    import time

    with _open(library_path) as lib:  # fail now, not in the background, on a bad library or spec
        from mediaground.models.registry import canonical_spec

        try:
            spec = canonical_spec(spec)
        except MediagroundError as exc:
            raise click.ClickException(str(exc)) from exc
        root = lib.root
    log = root / "migrations" / f"migrate-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    args = [sys.executable, "-c", "from mediaground.cli import main; main()", "migrate", "--to", spec,
            "--library", str(root)]
    if role:
        args += ["--role", role]
    if queries_file:
        args += ["--queries", str(Path(queries_file).resolve())]
    with open(log, "ab") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    info = {"pid": proc.pid, "log": str(log), "spec": spec}
    if as_json:
        _echo_json(info)
    else:
        click.echo(f"migrating to {spec} in the background (pid {proc.pid}); log: {log}\n"
                   f"progress: mediaground spaces --library {root}   (the shadow's coverage)")


def format_drift(report) -> str:
    filled, cov = report.get("filled", {}), report["coverage"]
    lines = [f"shadow {report['role']} space {report['space']} ({report['spec']})"
             + (f", replacing {report['replaces']}" if report["replaces"] else ", added beside the others"),
             f"  embedded {filled.get('assets', 0)} assets this run into {filled.get('vectors', 0)} vectors;"
             f" coverage {cov['done']}/{cov['assets']}, {len(report['failures'])} failed"]
    for name, n in report["norms"].items():
        if n.get("vectors"):
            lines.append(f"  norms ({name}): {n['vectors']} vectors, dim {n['dim']}, mean {n['mean']:.4f}"
                         f" sd {n['std']:.4f} min {n['min']:.4f} max {n['max']:.4f}, non-finite {n['non_finite']}")
    if report.get("agreement"):
        a = report["agreement"]
        lines.append(f"  same-chunk cosine old→new: mean {a['mean_cosine']:.4f}, p5 {a['p5_cosine']:.4f},"
                     f" min {a['min_cosine']:.4f} over {a['chunks']} chunks")
    ov = report.get("overlap")
    if ov:
        lines.append(f"  overlap@{ov['k']} over {ov['queries']} {report['query_mode']} queries: mean {ov['mean']:.2f},"
                     f" median {ov['median']:.2f}, min {ov['min']:.2f}; same top result {ov['identical_top1']}/{ov['queries']}")
        for q in report["queries"][:5]:
            lines.append(f"    {q['overlap']:.2f}  {q['query'][:50]!r}: {q['old_top']} → {q['new_top']}")
    for f in report["failures"][:5]:
        lines.append(f"  failed: {f['asset_id']}: {f['error']}")
    lines.append(f"  report: {report.get('report_path')}")
    lines.append(f"  next: mediaground spaces activate {report['space']}   (rollback: mediaground spaces rollback "
                 f"{report['role']})")
    return "\n".join(lines)


@main.command()
@library_option
@json_option
def doctor(library_path, as_json):
    """Check the active spaces: weights present and unchanged, deprecations, coverage, index health."""
    from mediaground.spaces import doctor as run_doctor

    with _open(library_path) as lib:
        problems = run_doctor(lib)
        if as_json:
            _echo_json([p.to_dict() for p in problems])
        else:
            for p in problems:
                click.echo(f"{p.level:7} {p.space_id or '-':38} {p.message}" + (f"\n        fix: {p.fix}" if p.fix else ""))
        if any(p.level == "error" for p in problems):
            sys.exit(1)


@main.group()
def audit() -> None:
    """Reports that find what breaks retrieval (table, --json, or a standalone --html report)."""


def write_report_html(lib, report, html_path: Path | None) -> None:
    """The standalone HTML rendering of an audit report, with the library's thumbnails."""
    if html_path:
        import mediaground.audit as audits
        from mediaground.util import atomic_write_bytes

        atomic_write_bytes(html_path, report.to_html(audits.library_thumbnails(lib)).encode("utf-8"))


def echo_report(lib, report, as_json: bool, html_path: Path | None) -> None:
    """Every audit's three renderings: a table (or --json) on stdout, and --html to a file."""
    write_report_html(lib, report, html_path)
    if as_json:
        click.echo(report.to_json_text())
    else:
        click.echo(report.to_table())
        if html_path:
            click.echo(f"report written to {html_path}")


def _audit_command(name: str, run_name: str, doc: str):
    @audit.command(name, help=doc)
    @library_option
    @json_option
    @click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="Also write a standalone HTML report with thumbnails.")
    def command(library_path, as_json, html_path):
        import mediaground.audit as audits

        with _open(library_path) as lib:
            echo_report(lib, getattr(audits, run_name)(lib), as_json, html_path)
    return command


_audit_command("alt-text", "audit_alt_text",
               "Empty, placeholder, duplicated, over-long alt text, and alt text the image does not match.")
_audit_command("geo", "audit_geo", "GPS coverage by folder, untrusted coordinates, locations suggested from place names.")


@audit.command("labels")
@library_option
@json_option
@click.option("--html", "html_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write a standalone HTML report with thumbnails.")
@click.option("--fix", is_flag=True, help="Write the preferred labels into the files (IPTC, XMP, genre).")
@click.option("--dry-run", is_flag=True, help="With --fix: print what would be written; write nothing.")
def audit_labels_command(library_path, as_json, html_path, fix, dry_run):
    """Keywords, genres and file names against the vocabulary (LIBRARY/taxonomy.yaml) and each other:
    IPTC vs XMP, alternative labels, unknown terms, JSON-LD vs file. Nothing is written without --fix."""
    import mediaground.audit as audits

    if dry_run and not fix:
        raise click.UsageError("--dry-run goes with --fix (without --fix nothing is written anyway)")
    with _open(library_path) as lib:
        report = audits.audit_labels(lib)
        plan = audits.fix_labels(lib, report, dry_run=dry_run) if fix else None
        if as_json and plan is not None:
            write_report_html(lib, report, html_path)
            _echo_json({**report.to_json(), "fix": {"dry_run": dry_run, "assets": plan}})
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


@main.group()
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

    with _open(library_path) as lib:
        ids = [r[0] for r in lib.catalog.db.execute("SELECT asset_id FROM assets ORDER BY asset_id")]
        result = write_export((lib.show(a) for a in ids), out_dir)
        if as_json:
            _echo_json(result)
        else:
            click.echo(f"wrote {result['assets']} asset files and graph.jsonld to {result['out_dir']}")


@main.command()
@click.option("--space", "space", help="Only this space (id, unique prefix, or role): reproduce its vectors.")
@library_option
@json_option
def reindex(space, library_path, as_json):
    """Rebuild every vector from the stored originals and the catalog."""
    with _open(library_path) as lib:
        if not as_json and sys.stderr.isatty():
            counts = _with_progress(lambda cb: lib.reindex(progress=cb, space=space), "re-embedding")
        else:
            counts = lib.reindex(space=space)
        if as_json:
            _echo_json(counts)
        else:
            click.echo(f"re-embedded {counts['assets']} assets into {counts['vectors']} vectors"
                       f" ({counts['failed']} failed)")


@main.command()
@library_option
@json_option
def status(library_path, as_json):
    """Summarize the library: assets by kind, spaces, quarantined files."""
    with _open(library_path) as lib:
        stats = lib.stats()
        if as_json:
            _echo_json(stats)
            return
        click.echo(f"library {stats['root']}: {stats['assets']} assets {stats['by_kind']}, "
                   f"{stats['quarantined']} quarantined")
        for s in stats["spaces"]:
            click.echo(f"  space {s['space_id']} ({s['role']}, {s['model_id']}, dim {s['dim']}): "
                       f"{s['vectors']} vectors, {s['status']}")


from mediaground.cli_models import models as _models_group  # noqa: E402

main.add_command(_models_group)

from mediaground.cli_taxonomy import register as _register_taxonomy  # noqa: E402

_register_taxonomy(main)


from mediaground.cli_privacy import register as _register_privacy  # noqa: E402

_register_privacy(main)


if __name__ == "__main__":  # pragma: no cover
    main()
