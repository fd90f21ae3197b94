"""The embedding spaces: `mediaground spaces` (list, activate, rollback, retire, finish),
`migrate` (build a shadow space), `doctor` (check the active ones) and `reindex` (rebuild vectors)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mediaground.cli.common import (echo_answer, echo_json, json_option, library_option, open_library,
                                    pipeline_progress, progress_bar)

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.group(invoke_without_command=True)
@library_option
@json_option
@click.pass_context
def spaces(ctx, library_path, as_json):
    """List embedding spaces (model, dimension, vectors, coverage, status, deprecation); switch them."""
    if ctx.invoked_subcommand is not None:
        return
    echo_answer(library_path, as_json, lambda lib: lib.spaces_report(), _echo_spaces)


def _echo_spaces(rows) -> None:
    for r in rows:
        dep = f", deprecated {r['deprecated_on']}" if r["deprecated_on"] else ""
        click.echo(f"{r['id']:32} {r['role']:6} {r['spec'][:34]:34} dim {r['dim']:<5} {r['vectors']:>7} vectors  "
                   f"coverage {r['coverage']:>4.0%}  {r['status']}{dep}")


def _echo_switch(result) -> None:
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
    echo_answer(library_path, as_json, lambda lib: lib.activate(ref, force=force), _echo_switch)


@spaces.command("rollback")
@click.argument("role")
@library_option
@json_option
def spaces_rollback(role, library_path, as_json):
    """Return ROLE (text, image, audio, or an added role) to the space it used before."""
    echo_answer(library_path, as_json, lambda lib: lib.rollback(role), _echo_switch)


@spaces.command("retire")
@click.argument("ref", required=False)
@library_option
@json_option
def spaces_retire(ref, library_path, as_json):
    """Delete the vectors of a space that is not active (default: every previous space)."""
    echo_answer(library_path, as_json, lambda lib: lib.retire(ref), _echo_retired,
                to_json=lambda done: {"retired": done})


def _echo_retired(done) -> None:
    click.echo("retired " + (", ".join(done) if done else "nothing (no previous spaces)"))


@spaces.command("finish")
@library_option
def spaces_finish(library_path):
    """Finish a space switch that was interrupted (rebuild the label bridges)."""
    with open_library(library_path) as lib:
        click.echo(f"rebuilt {lib.finish_pending()} label bridges")


@click.command()
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
    if detach:
        _detach_migration(spec, role, queries_file, library_path, as_json)
        return
    queries = None
    if queries_file:
        queries = [q.strip() for q in queries_file.read_text(encoding="utf-8").splitlines() if q.strip()]
    with open_library(library_path) as lib:
        with progress_bar("re-embedding", as_json) as bar:
            report = lib.migrate(spec, role, queries, progress=pipeline_progress(bar))
        if as_json:
            echo_json(report)
            return
        click.echo(format_drift(report))


def _detach_migration(spec, role, queries_file, library_path, as_json) -> None:
    """Start `mediaground migrate` again as a background process in its own session (so closing the
    terminal does not stop it); it resumes where any earlier run stopped."""
    import subprocess
    import time

    from mediaground.models.registry import canonical_spec

    with open_library(library_path) as lib:  # fail now, not in the background, on a bad library or spec
        spec = canonical_spec(spec)
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
        echo_json(info)
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


@click.command()
@library_option
@json_option
def doctor(library_path, as_json):
    """Check the active spaces: weights present and unchanged, deprecations, coverage, index health."""
    problems = echo_answer(library_path, as_json, lambda lib: lib.doctor(), _echo_problems,
                           to_json=lambda found: [p.to_dict() for p in found])
    if any(p.level == "error" for p in problems):
        sys.exit(1)


def _echo_problems(problems) -> None:
    for p in problems:
        click.echo(f"{p.level:7} {p.space_id or '-':38} {p.message}" + (f"\n        fix: {p.fix}" if p.fix else ""))


@click.command()
@click.option("--space", "space", help="Only this space (id, unique prefix, or role): reproduce its vectors.")
@library_option
@json_option
def reindex(space, library_path, as_json):
    """Rebuild every vector from the stored originals and the catalog."""
    with open_library(library_path) as lib:
        with progress_bar("re-embedding", as_json) as bar:
            counts = lib.reindex(progress=pipeline_progress(bar), space=space)
        if as_json:
            echo_json(counts)
        else:
            click.echo(f"re-embedded {counts['assets']} assets into {counts['vectors']} vectors"
                       f" ({counts['failed']} failed)")


COMMANDS = [spaces, migrate, doctor, reindex]
