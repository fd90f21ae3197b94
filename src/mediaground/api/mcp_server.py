"""MCP surface of a library: grounded media search for agents (Model Context Protocol).

`build_server(library_path)` returns an `mcp.server.MCPServer` (mcp >= 2) with four tools:

* `search_media(query, kind, limit, creator, near, radius_km)`: ranked results, each with
  its rights, creator, place, date, timestamps (audio/video), a human citation string and a
  `mediaground://asset/{asset_id}` resource link.
* `get_asset(asset_id_or_path)`: metadata, the schema.org JSON-LD document and a provenance
  summary.
* `get_thumbnail(asset_id, size)`: a JPEG image content block (images only).
* `get_transcript(asset_id, start, end)`: timestamped transcript segments (audio/video only).

Each data tool answers with structured content (JSON) plus a short text summary; failures
the caller can fix (unknown asset, wrong kind, bad arguments) come back as tool errors with a
plain message (`isError: true`), never a traceback. The resource template
`mediaground://asset/{asset_id}` serves the same JSON as `get_asset`.

`run_stdio(library_path)` serves over stdio; `run_http(library_path, host, port)` over
streamable HTTP at `http://HOST:PORT/mcp`.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
import threading
from pathlib import Path
from typing import Annotated, Any

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError, ToolError
from mcp.types import CallToolResult, ImageContent, ResourceLink, TextContent

from mediaground.catalog import Asset
from mediaground.errors import AssetNotFoundError, MediagroundError
from mediaground.geo.points import parse_point
from mediaground.library import Library
from mediaground.media.image import decode_image
from mediaground.metadata.jsonld import to_jsonld

__all__ = ["build_server", "run_stdio", "run_http", "ASSET_URI", "citation", "grounding"]

ASSET_URI = "mediaground://asset/{asset_id}"
SERVER_NAME = "mediaground"
INSTRUCTIONS = (
    "Search a local media library (images, audio, video) by meaning, tags and place. Results are "
    "grounded: cite them with the `citation` string, respect `rights`, and open "
    "mediaground://asset/{asset_id} (or get_asset) for the full record.")
MAX_LIMIT = 100
MIN_THUMB, MAX_THUMB = 16, 1024
KINDS = ("image", "audio", "video")

# Structured output: any JSON object (the client validates structuredContent against it).
JsonResult = Annotated[CallToolResult, dict[str, Any]]

_CC = re.compile(r"creativecommons\.org/(licenses|publicdomain)/([a-z-]+)/(\d+(?:\.\d+)?)", re.I)


# --- grounding: the facts a caller needs to cite an asset -------------------------------------
def license_name(url: str | None) -> str | None:
    """A Creative Commons URL -> "CC BY 4.0" / "CC0 1.0"; any other license -> the text as given."""
    if not url:
        return None
    m = _CC.search(url)
    if not m:
        return url
    family, code, version = m.group(1).lower(), m.group(2).lower(), m.group(3)
    if family == "publicdomain":
        return "Public Domain Mark " + version if code == "mark" else "CC0 " + version
    return f"CC {code.upper()} {version}"


def _creators(md: dict[str, Any]) -> list[str]:
    creators = [c for c in md.get("creator") or [] if c]
    if not creators and md.get("artist"):
        creators = [md["artist"]]
    return creators


def _place(md: dict[str, Any]) -> dict[str, Any] | None:
    geo = md.get("geo_place") or {}
    place: dict[str, Any] = {}
    if md.get("location"):
        place["location"] = md["location"]
    tagged = any(md.get(k) for k in ("city", "state", "country"))
    place["city"] = md.get("city") if tagged else geo.get("city")
    place["region"] = md.get("state") if tagged else geo.get("region")
    place["country"] = md.get("country") if tagged else geo.get("country")
    place["country_code"] = md.get("country_code") or (geo.get("country_code") if not tagged else None)
    if md.get("gps_lat") is not None and md.get("gps_lon") is not None:
        place["lat"], place["lon"] = md["gps_lat"], md["gps_lon"]
    if not tagged and geo:
        place["source"] = "geonames (reverse-geocoded from GPS)"
    elif tagged:
        place["source"] = "embedded tags"
    place = {k: v for k, v in place.items() if v is not None}
    return place if set(place) - {"source"} else None


def _place_text(place: dict[str, Any] | None) -> str | None:
    if not place:
        return None
    names = [place.get(k) for k in ("location", "city", "region", "country")]
    names = [n for i, n in enumerate(names) if n and n not in names[:i]]
    if names:
        return ", ".join(names)
    if "lat" in place:
        return f"{place['lat']:.5f}, {place['lon']:.5f}"
    return None


def _fmt_seconds(t: float) -> str:
    return f"{t:.1f}".rstrip("0").rstrip(".") if t != int(t) else f"{int(t)}"


def grounding(asset_id: str, kind: str, md: dict[str, Any], path: str | None = None) -> dict[str, Any]:
    """Creator, rights, place, date and title of one asset, from its normalized metadata."""
    rights = {"copyright": md.get("copyright"), "license_url": md.get("license_url"),
              "license": license_name(md.get("license_url")), "credit": md.get("credit"),
              "licensor_url": md.get("licensor_url")}
    rights = {k: v for k, v in rights.items() if v}
    date = md.get("date_created") or (str(md["year"]) if md.get("year") else None)
    title = md.get("title") or md.get("caption") or (os.path.basename(path) if path else None)
    return {"title": title, "creator": _creators(md), "rights": rights or None, "place": _place(md),
            "date": date, "resource_uri": ASSET_URI.format(asset_id=asset_id)}


def citation(asset_id: str, g: dict[str, Any], start: float | None = None, end: float | None = None) -> str:
    """`"Orange dahlia" — Ana Núñez, © 2026 Ana Núñez, CC BY 4.0; Sanlúcar, Spain; 2026-05-01.
    mediaground asset 1a2b3c4d… at 12.4–19.7 s` (parts without data are left out)."""
    who = []
    if g.get("creator"):
        who.append(", ".join(g["creator"]))
    rights = g.get("rights") or {}
    if rights.get("copyright"):
        c = rights["copyright"].strip()
        who.append(c if c.startswith("©") or c.lower().startswith("copyright") else "© " + c)
    if rights.get("license"):
        who.append(rights["license"])
    head = f"\u201c{g['title']}\u201d" if g.get("title") else "Untitled"
    if who:
        head += " \u2014 " + ", ".join(who)
    parts = [head]
    place = _place_text(g.get("place"))
    if place:
        parts.append(place)
    if g.get("date"):
        parts.append(g["date"])
    text = "; ".join(parts) + f". mediaground asset {asset_id[:8]}\u2026"
    if start is not None:
        text += f" at {_fmt_seconds(start)}" + (f"\u2013{_fmt_seconds(end)}" if end is not None else "") + " s"
    return text


# --- the server ---------------------------------------------------------------------------------
class _Backend:
    """The open library behind the tools. The SDK runs sync tools in worker threads: one lock."""

    def __init__(self, library_path: str | os.PathLike) -> None:
        self.lib = Library.open(library_path)
        self.lock = threading.Lock()

    def close(self) -> None:
        self.lib.close()

    def asset(self, asset_id: str) -> Asset:
        asset = self.lib.catalog.assets.get(asset_id)
        if asset is None:
            raise AssetNotFoundError(f"no asset with ID {asset_id!r}")
        return asset

    def asset_record(self, ref: str) -> dict[str, Any]:
        rec = self.lib.show(ref)  # a path: that file; an asset ID: its display file (and all files listed)
        md = rec["metadata"]
        path = rec["path"]
        g = grounding(rec["asset_id"], rec["kind"], md, path)
        vectors = rec.pop("vectors")
        events = rec.pop("provenance")
        provenance = {
            "asset_id": rec["asset_id"], "id_method": rec["id_method"], "id_basis": rec["id_basis"],
            "essence_sha256": rec["essence_sha256"], "file_sha256": rec["file_sha256"],
            "added_at": rec["added_at"], "updated_at": rec["updated_at"],
            "versions": len(rec["versions"]), "paths": rec["paths"], "current_paths": rec["current_paths"],
            "tag_sources": md.get("sources") or {},
            "models": sorted({f"{v['model_id']} ({v['part']})" for v in vectors}),
            "events": [{"event": e.get("event"), "at": e.get("at")} for e in events],
        }
        return {"asset_id": rec["asset_id"], "file_id": rec["file_id"], "kind": rec["kind"],
                "citation": citation(rec["asset_id"], g),
                **g, "record": rec, "jsonld": to_jsonld(rec), "provenance": provenance}


def _fail(exc: Exception) -> ToolError:
    return ToolError(str(exc) or type(exc).__name__)


def _result(summary: str, data: dict[str, Any], extra: list[Any] | None = None) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=summary), *(extra or [])],
                          structured_content=data)


def build_server(library_path: str | os.PathLike, *, log_level: str = "WARNING") -> MCPServer:
    """An MCP server over the library at `library_path` (opened now: LibraryNotFoundError if none)."""
    backend = _Backend(library_path)
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level=log_level)  # type: ignore[arg-type]
    server._mediaground_backend = backend  # type: ignore[attr-defined]  # run_* close it

    @server.tool(title="Search media")
    def search_media(query: str, kind: str | None = None, limit: int = 10, creator: str | None = None,
                     near: str | None = None, radius_km: float | None = None) -> JsonResult:
        """Search the library by meaning, tags and transcripts. `query` is free text ("boats at
        sunset", "tone 880 hertz"); `kind` is image, audio or video; `creator` keeps one
        creator's work; `near` is "LAT,LON" (ranks by distance; with `radius_km` keeps only
        assets within). Each result carries a citation, rights, place, date, timestamps for
        audio/video matches and a mediaground://asset/{asset_id} resource link."""
        if kind is not None and kind not in KINDS:
            raise ToolError(f"kind must be one of {', '.join(KINDS)} (got {kind!r})")
        if not 1 <= limit <= MAX_LIMIT:
            raise ToolError(f"limit must be between 1 and {MAX_LIMIT} (got {limit})")
        if radius_km is not None and not near:
            raise ToolError("radius_km needs near (\"LAT,LON\")")
        point = None
        if near:
            try:
                point = parse_point(near)
            except ValueError as exc:
                raise _fail(exc) from None
        try:
            with backend.lock:
                hits = backend.lib.search(query.strip() or None, kind=kind, creator=creator, near=point,
                                          radius_km=radius_km, limit=limit)
                results = []
                for h in hits:
                    md = h.metadata  # the file the result cites
                    g = grounding(h.asset_id, h.kind, md, h.path)
                    timed = h.kind in ("audio", "video")
                    results.append({
                        "asset_id": h.asset_id, "file_id": h.file_id, "kind": h.kind, "score": round(h.score, 6), "why": h.why,
                        "caption": h.caption or md.get("caption"), "labels": h.labels, "path": h.path,
                        "other_files": [f["path"] for f in h.files], **g,
                        "timestamps": ({"start": h.start, "end": h.end, "moments": h.moments} if timed else None),
                        "citation": citation(h.asset_id, g, h.start if timed else None, h.end if timed else None),
                    })
        except MediagroundError as exc:
            raise _fail(exc) from None
        lines = [f"{len(results)} result(s) for {query!r}:"] if results else [f"no results for {query!r}"]
        lines += [f"{i}. [{r['kind']}, score {r['score']:.3f}] {r['citation']}" for i, r in enumerate(results, 1)]
        links = [ResourceLink(type="resource_link", name=r["asset_id"], title=r["title"], uri=r["resource_uri"],
                              description=r["citation"], mime_type="application/json") for r in results]
        return _result("\n".join(lines), {"query": query, "results": results}, links)

    @server.tool(title="Get asset")
    def get_asset(asset_id_or_path: str) -> JsonResult:
        """The full record of one asset (an asset ID, a unique prefix of one, or a file path):
        normalized metadata, schema.org JSON-LD, transcript, and a provenance summary (how the
        ID was derived, versions, paths, which tag each field came from, models used)."""
        try:
            with backend.lock:
                data = backend.asset_record(asset_id_or_path)
        except MediagroundError as exc:
            raise _fail(exc) from None
        summary = f"{data['kind']} {data['asset_id']}: {data['citation']}"
        link = ResourceLink(type="resource_link", name=data["asset_id"], title=data["title"],
                            uri=data["resource_uri"], mime_type="application/json")
        return _result(summary, data, [link])

    @server.tool(title="Get thumbnail")
    def get_thumbnail(asset_id: str, size: int = 256) -> CallToolResult:
        """A JPEG thumbnail of an image asset, at most `size` pixels on its longer side (16-1024)."""
        if not MIN_THUMB <= size <= MAX_THUMB:
            raise ToolError(f"size must be between {MIN_THUMB} and {MAX_THUMB} (got {size})")
        try:
            with backend.lock:
                aid = backend.lib.resolve(asset_id)
                asset = backend.asset(aid)
                if asset.kind != "image":
                    raise ToolError(f"asset {aid} is {asset.kind}, not an image: only images have thumbnails")
                source = _source_file(backend.lib, asset)
                g = grounding(aid, "image", backend.lib.show(asset_id)["metadata"], source)
            decoded = decode_image(source, shorter_side=size)
        except MediagroundError as exc:
            raise _fail(exc) from None
        im = decoded.image
        im.thumbnail((size, size))
        buf = io.BytesIO()
        im.save(buf, "JPEG", quality=85)
        image = ImageContent(type="image", data=base64.b64encode(buf.getvalue()).decode("ascii"),
                             mime_type="image/jpeg")
        text = f"{im.width}x{im.height} thumbnail of {citation(aid, g)}"
        return CallToolResult(content=[image, TextContent(type="text", text=text)])

    @server.tool(title="Get transcript")
    def get_transcript(asset_id: str, start: float | None = None, end: float | None = None) -> JsonResult:
        """Transcript segments of an audio or video asset with start/end times in seconds;
        `start`/`end` keep only segments overlapping that span."""
        if start is not None and end is not None and end < start:
            raise ToolError(f"end ({end}) is before start ({start})")
        try:
            with backend.lock:
                aid = backend.lib.resolve(asset_id)
                asset = backend.asset(aid)
                if asset.kind not in ("audio", "video"):
                    raise ToolError(f"asset {aid} is {asset.kind}: only audio and video have transcripts")
                segments = backend.lib.catalog.audio.segments(aid)
                g = grounding(aid, asset.kind, backend.lib.show(asset_id)["metadata"])
        except MediagroundError as exc:
            raise _fail(exc) from None
        keep = [{"start": s.start, "end": s.end, "text": s.text, "confidence": s.confidence}
                for s in segments
                if (start is None or s.end > start) and (end is None or s.start < end)]
        span_start = keep[0]["start"] if keep else start
        span_end = keep[-1]["end"] if keep else end
        text = " ".join(s["text"] for s in keep if s["text"])
        data = {"asset_id": aid, "kind": asset.kind, "duration": asset.duration, "start": start, "end": end,
                "segments": keep, "text": text,
                "citation": citation(aid, g, span_start if keep else None, span_end if keep else None),
                "resource_uri": g["resource_uri"]}
        if keep:
            summary = "\n".join(f"[{_fmt_seconds(s['start'])}\u2013{_fmt_seconds(s['end'])} s] {s['text']}"
                                for s in keep)
        elif segments:
            summary = "no transcript segments in that span"
        else:
            summary = "this recording has no transcript (silent, or nothing recognized)"
        return _result(summary, data)

    @server.resource(ASSET_URI, name="asset", title="Media asset", mime_type="application/json",
                     description="One asset's record: metadata, JSON-LD, citation, provenance.")
    def asset_resource(asset_id: str) -> str:
        try:
            with backend.lock:
                data = backend.asset_record(asset_id)
        except MediagroundError as exc:
            raise ResourceNotFoundError(str(exc)) from None
        return json.dumps(data, ensure_ascii=False, default=str)

    return server


def _source_file(lib, asset: Asset) -> str:
    """A readable file with the asset's pixels: a current path, else the stored original."""
    for p in lib.catalog.files.current_paths(asset.asset_id):
        if os.path.exists(p):
            return p
    sha = asset.current_sha256
    if sha and lib.store.has(sha):
        return str(lib.store.path(sha))
    raise ToolError(f"asset {asset.asset_id} has no readable file (moved or deleted, and no stored original)")


def _close(server: MCPServer) -> None:
    backend = getattr(server, "_mediaground_backend", None)
    if backend is not None:
        backend.close()


def run_stdio(library_path: str | os.PathLike) -> None:
    """Serve the library over stdio (what desktop MCP clients spawn). Blocks until stdin closes."""
    server = build_server(library_path)
    try:
        server.run("stdio")
    finally:
        _close(server)


def run_http(library_path: str | os.PathLike, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the library over streamable HTTP at http://HOST:PORT/mcp. Blocks until interrupted."""
    server = build_server(library_path, log_level="INFO")
    try:
        server.run("streamable-http", host=host, port=port)
    finally:
        _close(server)


if __name__ == "__main__":  # python -m mediaground.api.mcp_server LIBRARY [--http [HOST:]PORT]
    import sys

    args = sys.argv[1:]
    if not args:
        sys.exit("usage: python -m mediaground.api.mcp_server LIBRARY [--http [HOST:]PORT]")
    if len(args) >= 3 and args[1] == "--http":
        h, _, p = args[2].rpartition(":")
        run_http(Path(args[0]), host=h or "127.0.0.1", port=int(p))
    else:
        run_stdio(Path(args[0]))
