"""`mediaground search` (by text, file, asset or filters) and `mediaground show` (one asset)."""

from __future__ import annotations

import click

from mediaground.cli.common import echo_answer, echo_json, json_option, library_option, open_library

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.command()
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
    with open_library(library_path) as lib:
        results = lib.search(text, image=image, audio=audio, asset=asset, kind=kind, date_from=date_from,
                             date_to=date_to, near=point, radius_km=radius_km, bbox=box, creator=creator,
                             keyword=keyword, license=license_, has_gps=has_gps, limit=limit)
        if as_json:
            echo_json({"results": [r.to_dict() for r in results]})
            return
        if not results:
            click.echo("no results")
        for i, r in enumerate(results, 1):
            when = f" [{r.start:.1f}s–{r.end:.1f}s]" if r.start is not None else ""
            click.echo(f"{i:2}. {r.asset_id}  {r.kind:5}  {r.score:.4f}  {r.path}{when}")
            click.echo(f"      why: {', '.join(r.why)}" + (f"   labels: {', '.join(r.labels)}" if r.labels else ""))
            if r.caption:
                click.echo(f"      {' '.join(r.caption.split())[:100]}")
            for f in r.files:
                click.echo(f"      also in {f['path']}")
            for m in r.moments:
                said = f'  "{m["text"]}"' if m.get("text") else ""
                click.echo(f"      at {m['start']:.1f}s–{m['end']:.1f}s ({m['why']}){said}")


@click.command()
@click.argument("ref")
@library_option
@json_option
def show(ref, library_path, as_json):
    """Show a file (by path: its own tags) or an asset (by ID or ID prefix: every file carrying it)."""
    echo_answer(library_path, as_json, lambda lib: lib.show(ref), _echo_record)


def _echo_record(record) -> None:
    click.echo(f"asset {record['asset_id']}  ({record['kind']}, {record['format']})")
    basis = record["id_basis"]
    click.echo(f"  id basis: {basis} ({record['id_method']})"
               + ("  — essence could not be isolated; whole-file hash used" if basis == "file" else ""))
    if record["width"]:
        click.echo(f"  size: {record['width']}x{record['height']}")
    by_asset = record.get("described") == "asset"
    for f in record["files"]:
        state = "file" if f["current"] else "was "
        click.echo(f"  {state}  {f['path']}" + ("   (described below)" if f["file_id"] == record["file_id"]
                                                   and len(record["files"]) > 1 else ""))
        for key, value in (f.get("metadata") or {}).items() if by_asset and len(record["files"]) > 1 else ():
            if key not in {"sources", "warnings"}:
                click.echo(f"        {key}: {value}")
    for w in record.get("warnings", []):
        click.echo(f"  warning: {w}")
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


COMMANDS = [search, show]
