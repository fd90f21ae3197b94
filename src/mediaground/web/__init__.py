"""A small offline web UI for a mediaground library: plain HTML, vanilla JS and CSS, no build step.

`mount(app)` adds to a FastAPI app:
  GET /              the search page
  GET /asset/{id}    the asset page
  GET /audit         the audit dashboard (alt text, geo, labels, personal data), from /api/audit/{name}
  GET /ui/{name}     its scripts and stylesheet (a fixed list of files)

The pages fetch everything through the JSON API (/api/search, /api/assets/..., /api/audit/...,
/media/..., /thumbs/...).
Asset text is never parsed as HTML: the scripts build the DOM with createElement/textContent only,
and the HTML responses carry a strict Content-Security-Policy (no inline scripts or styles).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import HTTPException
from fastapi.responses import Response

STATIC = Path(__file__).parent / "static"

CSP = ("default-src 'self'; img-src 'self' data:; media-src 'self'; script-src 'self'; style-src 'self'; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-cache",
}

ASSETS = {  # the only files /ui/ serves
    "style.css": "text/css; charset=utf-8",
    "common.js": "text/javascript; charset=utf-8",
    "search.js": "text/javascript; charset=utf-8",
    "asset.js": "text/javascript; charset=utf-8",
    "audit.js": "text/javascript; charset=utf-8",
}


def _read(name: str) -> bytes:
    return (STATIC / name).read_bytes()


def mount(app) -> None:
    """Add the UI routes to a FastAPI (or Starlette-compatible) app."""
    def page(name: str) -> Response:
        return Response(_read(name), media_type="text/html; charset=utf-8", headers=SECURITY_HEADERS)

    @app.get("/", include_in_schema=False)
    def search_page() -> Response:
        return page("index.html")

    @app.get("/asset/{asset_id}", include_in_schema=False)
    def asset_page(asset_id: str) -> Response:  # the script reads the ID from the URL
        return page("asset.html")

    @app.get("/audit", include_in_schema=False)
    def audit_page() -> Response:
        return page("audit.html")

    @app.get("/ui/{name}", include_in_schema=False)
    def ui_file(name: str) -> Response:
        media_type = ASSETS.get(name)
        if media_type is None:
            raise HTTPException(status_code=404, detail="not found")
        return Response(_read(name), media_type=media_type, headers=SECURITY_HEADERS)


__all__ = ["mount", "CSP", "STATIC"]
