"""The HTTP API: a thin FastAPI layer over the Library, like the CLI. Errors become JSON here.

- Every request thread gets its own `Library` (SQLite connections are not shared between
  threads); the models are shared process-wide by the registry.
- Assets are addressed only by asset ID (or a unique hex prefix of one): the API never resolves
  a file path from a request, and `/media` and `/thumbs` only serve files the catalog names.
- Auth is bearer tokens. Reads are open when `read_token` is None, else need the read or the
  write token (header `Authorization: Bearer ...`, or the `mediaground_token` cookie so that
  `<img>`/`<audio>` tags work). Writes need the write token in the header; with no write token
  configured they are disabled (403).
- Errors: `{"error": {"type": ..., "message": ...}}`, never a traceback.
"""

from __future__ import annotations

import hmac
import os
import re
import tempfile
import threading
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, Literal

from fastapi import Depends, FastAPI, File, Form, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from mediaground.api.thumbs import NoThumbnail, ensure_thumbnail, thumbnail_path
from mediaground.catalog import FileRecord
from mediaground.describe import describe
from mediaground.errors import (AssetNotFoundError, BadMediaError, LibraryNotFoundError, MediagroundError,
                                ModelError)
from mediaground.geo.points import parse_bbox, parse_point
from mediaground.library import Library
from mediaground.lookup import MIN_PREFIX, resolve_id
from mediaground.metadata.edits import MetadataWriteError
from mediaground.metadata.jsonld import to_jsonld
from mediaground.web import mount

TOKEN_COOKIE = "mediaground_token"
_ASSET_REF = re.compile(rf"[0-9a-f]{{{MIN_PREFIX},64}}")
_UPLOAD_SUFFIX = re.compile(r"\.[A-Za-z0-9]{1,8}")
_MAX_LIMIT = 200
_STATUS_TYPES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
                 416: "range_not_satisfiable", 422: "unprocessable", 500: "internal_error"}


class IngestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    paths: list[str] = Field(min_length=1, description="Files or folders on the server to index.")
    workers: int | None = Field(0, ge=0, le=64, description="Decode worker processes (0 = in-process).")


class MetadataBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    set_: dict[str, str] = Field(alias="set", min_length=1,
                                 description='Fields to write, e.g. {"creator": "Ana", "gps": "36.77,-6.35"}.')
    dry_run: bool = False


def _error(status: int, type_: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"type": type_, "message": message}}, status_code=status, headers=headers)


def _links(asset_id: str, file_id: int | None = None) -> dict[str, str]:
    """Where to read an asset — through one of its files (`?file=`) when a result cites one."""
    q = f"?file={file_id}" if file_id is not None else ""
    return {"asset": f"/api/assets/{asset_id}{q}", "media": f"/media/{asset_id}{q}",
            "thumbnail": f"/thumbs/{asset_id}", "page": f"/asset/{asset_id}{q}"}


def _with_links(results) -> dict[str, Any]:
    """`mediaground search --json`'s object, each result with one extra key: "links" (naming the
    cited file when the asset is carried by several)."""
    return {"results": [{**r.to_dict(), "links": _links(r.asset_id, r.file_id if r.files else None)}
                        for r in results]}


def _file(lib: Library, asset_id: str, file_id: int | None) -> FileRecord | None:
    """The asset's file `file_id` (None: none asked for); a file of another asset is not found."""
    if file_id is None:
        return None
    record = lib.catalog.files.get(file_id)
    if record is None or record.asset_id != asset_id:
        raise AssetNotFoundError(f"asset {asset_id} has no file {file_id}")
    return record


def _resolve(lib: Library, ref: str) -> str:
    """An asset ID or a unique prefix of one (6+ hex digits) -> asset ID. Never a path."""
    if not _ASSET_REF.fullmatch(ref):
        raise AssetNotFoundError(f"no asset with ID {ref[:80]!r}")
    return resolve_id(lib.catalog, ref)


def _media_file(lib: Library, asset_id: str, file: FileRecord | None = None) -> tuple[Path, str]:
    """The file to serve for an asset (or for one of its files): its path the catalog knows, if it is
    still there with the catalogued size, else the stored original of its version. Plus its MIME type."""
    asset = lib.catalog.assets.get(asset_id)
    sha = file.file_sha256 if file is not None else asset.current_sha256
    mime = asset.mime or "application/octet-stream"
    candidates = [file] if file is not None else [f for f in lib.catalog.files.of_asset(asset_id) if f.current]
    for f in candidates:
        try:
            st = os.stat(f.path)
        except OSError:
            continue
        if f.current and os.path.isfile(f.path) and st.st_size == f.size:
            return Path(f.path), mime
    if sha:
        stored = lib.store.path(sha)
        if stored.is_file():
            return stored, mime
    raise AssetNotFoundError(f"asset {asset_id} has no file on disk or in the store")


class _UploadLimit:
    """Refuse request bodies over `max_bytes` on POST /api/search/*: at once when Content-Length
    says so, else while streaming (the count is checked before the multipart parser sees a byte)."""

    def __init__(self, app, max_bytes: int, message: str) -> None:
        self.app, self.max_bytes, self.message = app, max_bytes, message

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not scope["path"].startswith("/api/search/"):
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await _error(413, "too_large", self.message)(scope, receive, send)
                return
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise HTTPException(413, self.message)  # FastAPI re-raises it; our handler answers
            return message

        await self.app(scope, limited_receive, send)


def create_app(library_path: str | os.PathLike, *, read_token: str | None = None,
               write_token: str | None = None, max_upload_mb: float = 50) -> FastAPI:
    root = Path(library_path).expanduser().resolve()
    Library.open(root).close()  # fail now, not on the first request, if there is no library
    max_upload = int(max_upload_mb * 1024 * 1024)

    local = threading.local()
    opened: list[Library] = []
    opened_lock = threading.Lock()
    write_lock = threading.Lock()  # one writer per process (Library.writing() refuses a second)

    def get_lib() -> Library:
        lib = getattr(local, "lib", None)
        if lib is None:
            lib = local.lib = Library.open(root)
            with opened_lock:
                opened.append(lib)
        return lib

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        with opened_lock:
            for lib in opened:
                try:
                    lib.close()
                except Exception:  # pragma: no cover - closing from another thread is best effort
                    pass
            opened.clear()

    # --- auth -------------------------------------------------------------------------------
    def _bearer(request: Request) -> str | None:
        header = request.headers.get("authorization")
        if header:
            scheme, _, token = header.partition(" ")
            return token.strip() if scheme.lower() == "bearer" else ""
        return None

    def _matches(token: str, expected: str | None) -> bool:
        return expected is not None and hmac.compare_digest(token.encode(), expected.encode())

    def require_read(request: Request) -> None:
        if read_token is None:
            return
        token = _bearer(request)
        if token is None:
            token = request.cookies.get(TOKEN_COOKIE)
        if token is None:
            raise HTTPException(401, "this server needs a token: send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not (_matches(token, read_token) or _matches(token, write_token)):
            raise HTTPException(403, "the token is not valid for reading")

    def require_write(request: Request) -> None:
        if write_token is None:
            raise HTTPException(403, "writes are disabled on this server (start it with a write token)")
        token = _bearer(request)
        if token is None:
            raise HTTPException(401, "writing needs the write token: send 'Authorization: Bearer <token>'",
                                headers={"WWW-Authenticate": "Bearer"})
        if not _matches(token, write_token):
            raise HTTPException(403, "the token is not valid for writing")

    read = [Depends(require_read)]
    write = [Depends(require_write)]

    app = FastAPI(title="mediaground", summary="Search and describe a mediaground library.",
                  lifespan=lifespan)
    app.state.library_root = root
    app.state.get_library = get_lib

    # --- errors -----------------------------------------------------------------------------
    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException):
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        return _error(exc.status_code, _STATUS_TYPES.get(exc.status_code, "http_error"), message,
                      headers=getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{loc}: {e.get('msg')}" if loc else str(e.get("msg")))
        return _error(422, "validation_error", "; ".join(parts) or "invalid request")

    @app.exception_handler(AssetNotFoundError)
    async def _not_found(request: Request, exc: AssetNotFoundError):
        return _error(404, "AssetNotFoundError", str(exc))

    @app.exception_handler(MediagroundError)
    async def _library_error(request: Request, exc: MediagroundError):
        if isinstance(exc, MetadataWriteError):
            return _error(422, "MetadataWriteError", str(exc))
        if isinstance(exc, (ModelError, LibraryNotFoundError)):
            return _error(500, type(exc).__name__, str(exc))
        if isinstance(exc, BadMediaError):
            return _error(400, "BadMediaError", str(exc))
        return _error(400, type(exc).__name__, str(exc))

    @app.exception_handler(ValueError)
    async def _value_error(request: Request, exc: ValueError):
        return _error(400, "ValueError", str(exc))

    @app.exception_handler(Exception)
    async def _internal(request: Request, exc: Exception):
        return _error(500, "internal_error", "internal server error")

    # --- reads ------------------------------------------------------------------------------
    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        get_lib().catalog.settings.get("schema_version")  # the catalog answers
        return {"ok": True}

    @app.get("/api/search", dependencies=read, tags=["search"])
    def search(q: str | None = Query(None, description="Text query."),
               limit: int = Query(10, ge=1, le=_MAX_LIMIT),
               kind: Literal["image", "audio", "video"] | None = None,
               creator: str | None = None, keyword: str | None = None, license: str | None = None,
               has_gps: bool | None = None,
               near: str | None = Query(None, description="LAT,LON"),
               radius_km: float | None = Query(None, gt=0),
               bbox: str | None = Query(None, description="MINLAT,MINLON,MAXLAT,MAXLON"),
               date_from: str | None = Query(None, description="YYYY-MM-DD"),
               date_to: str | None = Query(None, description="YYYY-MM-DD")) -> dict[str, Any]:
        """Same results as `mediaground search --json`, each with "links"."""
        if radius_km is not None and not near:
            raise HTTPException(400, "radius_km needs near")
        point = parse_point(near) if near else None
        box = parse_bbox(bbox) if bbox else None
        results = get_lib().search(q or None, kind=kind, date_from=date_from, date_to=date_to, near=point,
                                   radius_km=radius_km, bbox=box, creator=creator, keyword=keyword,
                                   license=license, has_gps=has_gps, limit=limit)
        return _with_links(results)

    def _upload_search(role: str, file: UploadFile, limit: int) -> dict[str, Any]:
        suffix = Path(file.filename or "").suffix
        suffix = suffix if _UPLOAD_SUFFIX.fullmatch(suffix) else ""
        fd, tmp = tempfile.mkstemp(prefix="mediaground-upload-", suffix=suffix)
        try:
            size = 0
            with os.fdopen(fd, "wb") as out:
                while block := file.file.read(1 << 20):
                    size += len(block)
                    if size > max_upload:  # the body limit already applies; belt and braces
                        raise HTTPException(413, f"upload larger than {max_upload_mb:g} MB")
                    out.write(block)
            if size == 0:
                raise HTTPException(400, "the uploaded file is empty")
            return _with_links(get_lib().search(**{role: tmp}, limit=limit))
        finally:
            os.unlink(tmp)

    app.add_middleware(_UploadLimit, max_bytes=max_upload + 64 * 1024,  # + multipart headers, fields
                       message=f"upload larger than {max_upload_mb:g} MB")

    @app.post("/api/search/image", dependencies=read, tags=["search"])
    def search_image(file: UploadFile = File(...), limit: int = Form(10, ge=1, le=_MAX_LIMIT)) -> dict[str, Any]:
        """Find images like the uploaded one."""
        return _upload_search("image", file, limit)

    @app.post("/api/search/audio", dependencies=read, tags=["search"])
    def search_audio(file: UploadFile = File(...), limit: int = Form(10, ge=1, le=_MAX_LIMIT)) -> dict[str, Any]:
        """Find recordings (and moments in them) that sound like the uploaded clip."""
        return _upload_search("audio", file, limit)

    @app.get("/api/assets/{asset_id}", dependencies=read, tags=["assets"])
    def asset(asset_id: str, file: int | None = Query(None, description="one of the asset's files")) -> dict[str, Any]:
        """The asset's catalog record (as `mediaground show --json`; with `file`, as `show PATH` of
        that file) and its schema.org JSON-LD."""
        lib = get_lib()
        aid = _resolve(lib, asset_id)
        record = describe(lib.catalog, aid, _file(lib, aid, file))
        several = len(record["current_paths"]) > 1
        return {"asset": record, "jsonld": to_jsonld(record), "links": _links(aid, record["file_id"] if several else None)}

    @app.get("/api/assets/{asset_id}/similar", dependencies=read, tags=["assets"])
    def similar(asset_id: str, limit: int = Query(10, ge=1, le=_MAX_LIMIT)) -> dict[str, Any]:
        lib = get_lib()
        return _with_links(lib.search(asset=_resolve(lib, asset_id), limit=limit))

    @app.get("/media/{asset_id}", dependencies=read, tags=["files"], response_class=FileResponse)
    def media(asset_id: str, file: int | None = Query(None, description="one of the asset's files")):
        """The asset's file, or its file `file` (HTTP Range supported)."""
        lib = get_lib()
        aid = _resolve(lib, asset_id)
        path, mime = _media_file(lib, aid, _file(lib, aid, file))
        return FileResponse(path, media_type=mime, headers={"X-Content-Type-Options": "nosniff"})

    @app.get("/thumbs/{asset_id}", dependencies=read, tags=["files"], response_class=FileResponse)
    def thumb(asset_id: str, size: int = Query(256, ge=16, le=1024)):
        """A JPEG no larger than size×size, for images; 404 for audio and video."""
        lib = get_lib()
        aid = _resolve(lib, asset_id)
        cached = thumbnail_path(root, aid, size)
        if not cached.exists():
            kind = lib.catalog.assets.get(aid).kind
            if kind != "image":
                raise HTTPException(404, f"no thumbnail for {kind} assets")
            source, _ = _media_file(lib, aid)
            try:
                cached = ensure_thumbnail(root, aid, source, size)
            except NoThumbnail as exc:
                raise HTTPException(404, str(exc)) from None
        return FileResponse(cached, media_type="image/jpeg",
                            headers={"Cache-Control": "public, max-age=86400, immutable",
                                     "X-Content-Type-Options": "nosniff"})

    @app.get("/api/audit/{name}", dependencies=read, tags=["audit"])
    def audit(name: str) -> dict[str, Any]:
        """A governance audit of the library, worst first: "alt-text", "geo", "labels" or "pii" (as
        `mediaground audit ... --json`; the PII audit's OCR text is cached, so only the first run reads
        every image)."""
        if name not in Library.AUDITS:
            raise HTTPException(404, f"no audit named {name[:80]!r}; known: {', '.join(sorted(Library.AUDITS))}")
        return get_lib().audit(name).to_json()

    # --- writes -----------------------------------------------------------------------------
    @app.post("/api/ingest", dependencies=write, tags=["write"])
    def ingest(body: IngestBody) -> dict[str, Any]:
        """Index files or folders that are on the server's disk."""
        missing = [p for p in body.paths if not os.path.exists(os.path.expanduser(p))]
        if missing:
            raise HTTPException(400, f"no such file or folder: {missing[0]}")
        lib = get_lib()
        with write_lock:
            try:
                report = lib.ingest([os.path.expanduser(p) for p in body.paths], workers=body.workers)
            except MediagroundError as exc:
                if "another mediaground process" in str(exc):
                    raise HTTPException(409, str(exc)) from None
                raise
        return report.to_dict()

    @app.post("/api/assets/{asset_id}/metadata", dependencies=write, tags=["write"])
    def edit_metadata(asset_id: str, body: MetadataBody) -> dict[str, Any]:
        """Write fields into the asset's file (atomic, verified); the asset ID stays."""
        lib = get_lib()
        aid = _resolve(lib, asset_id)
        with write_lock:
            try:
                return lib.edit_metadata(aid, dict(body.set_), dry_run=body.dry_run)
            except MediagroundError as exc:
                if "another mediaground process" in str(exc):
                    raise HTTPException(409, str(exc)) from None
                raise

    # --- the web UI ------------------------------------------------------------------------------
    mount(app)
    return app
