"""`mediaground taxonomy ...` (the library's controlled vocabulary) and `mediaground tag auto`."""

from __future__ import annotations

from pathlib import Path

import click

from mediaground.cli.common import echo_answer, echo_json, json_option, library_option, open_library

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.group()
def taxonomy() -> None:
    """The library's controlled vocabulary (LIBRARY/taxonomy.yaml): import, export, show, report, suggest."""


@taxonomy.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--lang", help="SKOS: the language written without @tags (default: the most common one).")
@library_option
@json_option
def taxonomy_import(file, lang, library_path, as_json):
    """Validate FILE (.yaml/.yml, or SKOS .ttl) and install it as the library's vocabulary; then map
    the catalog's keywords to its preferred labels (files are not changed) and report unknown terms."""
    from mediaground.taxonomy import load_vocabulary_file, taxonomy_path

    with open_library(library_path) as lib:
        vocab = load_vocabulary_file(file, lang=lang)
        counts = lib.apply_vocabulary(vocab)
        path = taxonomy_path(lib.root)
        result = {"installed": str(path), "concepts": len(vocab), "warnings": vocab.warnings, **counts}
        if as_json:
            echo_json(result)
            return
        for w in vocab.warnings:
            click.echo(f"warning: {w}", err=True)
        click.echo(f"installed {len(vocab)} concepts into {path}")
        click.echo(f"normalized the catalog: {counts['changed']} of {counts['assets']} assets changed, "
                   f"{counts['reembedded']} text vectors re-embedded, {counts['unknown_terms']} unknown terms "
                   "(see `mediaground taxonomy unknown`)")


@taxonomy.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["yaml", "ttl"]), default=None,
              help="Default: from FILE's suffix (.ttl → SKOS Turtle, else YAML).")
@library_option
def taxonomy_export(file, fmt, library_path):
    """Write the library's vocabulary to FILE as YAML or SKOS Turtle."""
    from mediaground.taxonomy import load_library_vocabulary
    from mediaground.util import atomic_write_bytes

    fmt = fmt or ("ttl" if file.suffix.lower() in (".ttl", ".turtle") else "yaml")
    with open_library(library_path) as lib:
        vocab = _require(lib, load_library_vocabulary(lib.root))
        if fmt == "ttl":
            from mediaground.taxonomy.skos import to_turtle

            atomic_write_bytes(file, to_turtle(vocab).encode("utf-8"))
        else:
            atomic_write_bytes(file, vocab.dumps().encode("utf-8"))
        click.echo(f"wrote {len(vocab)} concepts to {file} ({fmt})")


def _require(lib, vocab):
    if vocab is None:
        from mediaground.taxonomy import taxonomy_path

        raise click.ClickException(f"the library has no vocabulary yet ({taxonomy_path(lib.root)}); "
                                   "install one with `mediaground taxonomy import FILE`")
    return vocab


@taxonomy.command("show")
@library_option
@json_option
def taxonomy_show(library_path, as_json):
    """Print the vocabulary as a tree (or --json)."""
    from mediaground.taxonomy import load_library_vocabulary, taxonomy_path

    with open_library(library_path) as lib:
        vocab = _require(lib, load_library_vocabulary(lib.root))
        if as_json:
            echo_json({"path": str(taxonomy_path(lib.root)), **vocab.to_dict()})
            return
        title = vocab.scheme.title or vocab.scheme.uri
        click.echo(f"{title}  ({len(vocab)} concepts, {taxonomy_path(lib.root)})")
        printed: set[str] = set()

        def walk(concept, depth: int) -> None:
            again = concept.id in printed  # a concept with two broader ones shows under both
            printed.add(concept.id)
            alts = [str(a) for a in concept.alt]
            others = [str(p) for p in concept.pref_other]
            click.echo(f"{'  ' * depth}{concept.label}  [{concept.id}]" + (f"  alt: {', '.join(alts)}" if alts else "")
                       + (f"  also: {', '.join(others)}" if others else ""))
            if not again:
                for child in sorted(vocab.narrower(concept.id), key=lambda c: c.label.casefold()):
                    walk(child, depth + 1)

        for top in sorted(vocab.top_concepts(), key=lambda c: c.label.casefold()):
            walk(top, 1)


@taxonomy.command("unknown")
@library_option
@json_option
def taxonomy_unknown(library_path, as_json):
    """Keywords and genres found at ingest that the vocabulary does not know, most used first."""
    from mediaground.taxonomy import unknown_terms_report

    echo_answer(library_path, as_json, lambda lib: unknown_terms_report(lib.catalog), _echo_unknown_terms,
                to_json=lambda rows: {"unknown": rows})


def _echo_unknown_terms(rows) -> None:
    if not rows:
        click.echo("no unknown terms")
    for r in rows:
        spell = f"  (also: {', '.join(s for s in r['spellings'] if s != r['term'])})" if len(r["spellings"]) > 1 else ""
        examples = ", ".join(Path(e["path"]).name if e["path"] else e["asset_id"][:12] for e in r["examples"])
        click.echo(f"{r['count']:5}  {r['field']:8}  {r['term']}{spell}   e.g. {examples}")


@taxonomy.command("suggest")
@click.option("--threshold", type=float, default=None, help="Merge score from 0 to 1 (default 0.8).")
@click.option("--accept", "accept", multiple=True, metavar="N|all",
              help="Write suggestion N (as numbered in the listing; repeatable) or all of them into taxonomy.yaml.")
@library_option
@json_option
def taxonomy_suggest(threshold, accept, library_path, as_json):
    """Propose merging near-duplicate keywords, labels and unknown terms. Review the list, then
    accept chosen ones with --accept N (they become alternative labels of the target concept)."""
    from mediaground.taxonomy import load_library_vocabulary
    from mediaground.taxonomy.suggest import DEFAULT_SUGGEST_THRESHOLD, accept_suggestions, suggest_merges
    from mediaground.taxonomy.vocab import Vocabulary

    with open_library(library_path) as lib:
        vocab = load_library_vocabulary(lib.root)
        suggestions = suggest_merges(lib.catalog, lib.spaces.text_model, vocab,
                                     threshold if threshold is not None else DEFAULT_SUGGEST_THRESHOLD)
        chosen = _chosen(accept, len(suggestions))
        result = None
        if chosen:
            vocab = vocab or Vocabulary()
            result = accept_suggestions(vocab, [suggestions[i - 1] for i in chosen])
            counts = lib.apply_vocabulary(vocab)
            result = {**result, "accepted": chosen, **counts}
        if as_json:
            out = {"suggestions": [s.to_dict(i) for i, s in enumerate(suggestions, 1)]}
            if result is not None:
                out["accepted"] = result
            echo_json(out)
            return
        if not suggestions:
            click.echo("no suggestions")
        for i, s in enumerate(suggestions, 1):
            target = f"{s.into!r} [{s.concept}]" if s.concept else f"{s.into!r} (new concept)"
            terms = ", ".join(f"{t!r} ×{s.counts.get(t, 0)}" for t in s.terms)
            click.echo(f"{i:3}. {s.score:.2f}  {terms}  →  {target}")
            if s.why:
                click.echo(f"       {s.why}")
        if result is None:
            if suggestions:
                click.echo("\nnothing written; accept with --accept N (repeatable) or --accept all")
            return
        for cid, label in result["added"]:
            click.echo(f"added {label!r} as an alternative label of {cid}")
        for cid in result["created"]:
            click.echo(f"created concept {cid}")
        for term, why in result["skipped"]:
            click.echo(f"skipped {term!r}: {why}")
        click.echo(f"re-normalized the catalog: {result['changed']} assets changed")


def _chosen(accept: tuple[str, ...], n: int) -> list[int]:
    out: list[int] = []
    for value in accept:
        for part in value.split(","):
            part = part.strip().lower()
            if not part:
                continue
            if part == "all":
                return list(range(1, n + 1))
            if not part.isdigit() or not 1 <= int(part) <= n:
                raise click.BadParameter(f"{part!r} is not a suggestion number (1..{n}) or 'all'", param_hint="--accept")
            if int(part) not in out:
                out.append(int(part))
    return out


@click.group()
def tag() -> None:
    """Assign vocabulary concepts to assets."""


@tag.command("auto")
@click.option("--threshold", type=float, default=None,
              help="Cosine threshold for every view (default per view: image 0.65, text 0.45, sound 0.5).")
@click.option("--image-threshold", type=float, default=None, help="Threshold for image views (label bridges).")
@click.option("--text-threshold", type=float, default=None, help="Threshold for text views (captions, transcripts).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["image", "audio", "video"]), help="Only these kinds.")
@click.option("--concept", "concepts", multiple=True, metavar="ID", help="Only these concepts (repeatable).")
@click.option("--max-per-asset", type=int, default=5, show_default=True)
@click.option("--write", is_flag=True, help="Add the new concepts' preferred labels to the files' keywords.")
@click.option("--dry-run", is_flag=True, help="With --write: show what would be written; write nothing.")
@library_option
@json_option
def tag_auto(threshold, image_threshold, text_threshold, kinds, concepts, max_per_asset, write, dry_run,
             library_path, as_json):
    """Zero-shot: score every asset against every concept's labels through the text-query spaces,
    list the assignments (already present or new), and with --write add the new ones as keywords."""
    from mediaground.tagging import auto_tag, write_tags
    from mediaground.taxonomy import load_library_vocabulary

    if dry_run and not write:
        raise click.UsageError("--dry-run goes with --write (without --write nothing is written anyway)")
    with open_library(library_path) as lib:
        vocab = _require(lib, load_library_vocabulary(lib.root))
        result = auto_tag(lib.catalog, lib.index, lib.spaces, vocab, threshold=threshold, kinds=kinds or None, concepts=concepts or None,
                          max_per_asset=max_per_asset,
                          thresholds={"image": image_threshold, "text": text_threshold})
        if write:
            write_tags(lib, result, dry_run=dry_run)
        if as_json:
            echo_json({**result.to_dict(), "dry_run": dry_run if write else None})
            return
        if not result.assignments:
            click.echo("no assignments")
        else:
            click.echo(f"{'ASSET':12}  {'SCORE':5}  {'NEW':3}  {'CONCEPT':24}  PATH")
        for a in result.assignments:
            click.echo(f"{a.asset_id[:12]}  {a.score:.3f}  {'-' if a.present else 'yes':3}  "
                       f"{(a.label + ' [' + a.concept + ']')[:24]:24}  {a.path}")
        t = result.thresholds
        click.echo(f"\nthresholds: image {t['image']:.2f}, text {t['text']:.2f}, sound {t['sound']:.2f}")
        for w in result.written:
            verb = "would add" if w["dry_run"] else "added"
            if w["changes"]:
                click.echo(f"{verb} {', '.join(map(repr, w['added']))} to {w['path']}")
            else:
                click.echo(f"{w['path']}: keywords already there")
        for f in result.failed:
            click.echo(f"could not write {f['path'] or f['asset_id']}: {f['error']}")
        if not write and any(not a.present for a in result.assignments):
            click.echo("nothing written; add the new ones to the files with --write (try --write --dry-run first)")


COMMANDS = [taxonomy, tag]
