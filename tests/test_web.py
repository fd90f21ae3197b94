"""The web UI (mediaground.web) in a real headless Chromium, driven by Playwright.

The pages are served by a small FastAPI app that implements the JSON API contract from a real
Library built with the fake models (so these tests do not depend on the HTTP API module); when
mediaground.api.http.create_app exists, one more test runs the same checks against it."""

from __future__ import annotations

import os
import socket
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import make_image, set_caption, tone, write_wav

import playwright.sync_api as playwright_sync  # noqa: E402

CHROMIUM = os.environ.get("MEDIAGROUND_CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).exists():  # the web UI is tested in a real browser: never skipped into green
    pytest.fail(f"no Chromium at {CHROMIUM}: `apt-get install chromium` (make setup does it)", pytrace=False)

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# Screenshots go to a temp folder unless MEDIAGROUND_SCREENSHOTS names one (docs/screenshots holds
# real-model shots from `python -m mediaground.web._screenshots`; these are fake-model ones).
SCREENSHOTS_ENV = "MEDIAGROUND_SCREENSHOTS"
HOSTILE = "<img src=x onerror=alert(1)> zebra crossing at night"

CAPTIONS = [  # file, colour, caption, keywords
    ("harbour/lighthouse.jpg", "red", "Red lighthouse on the harbour wall at dusk", ["lighthouse", "harbour", "sea"]),
    ("harbour/boats.jpg", "blue", "Fishing boats moored in the harbour", ["boats", "harbour"]),
    ("fields/meadow.jpg", "green", "Green meadow with wild flowers in spring", ["meadow", "spring"]),
    ("fields/sunflowers.jpg", "yellow", "Sunflowers along a farm track", ["sunflowers", "summer"]),
    ("street/crossing.jpg", "black", HOSTILE, ["street"]),
]


# --- the library and a server implementing the API contract ------------------------------------
@pytest.fixture(scope="module")
def library_path(tmp_path_factory) -> Path:
    from mediaground.library import Library

    root = tmp_path_factory.mktemp("web")
    media = root / "media"
    for i, (name, colour, caption, keywords) in enumerate(CAPTIONS):
        make_image(media / name, colour, seed=i, size=(480, 320))
        set_caption(media / name, caption, keywords)
    signal = np.concatenate([tone(440, 3), np.zeros(2 * 16000), tone(880, 3), np.zeros(16000)])
    write_wav(media / "audio" / "tones.wav", signal)
    lib = Library.create(root / "lib", text_model="fake-text", image_model="fake-image", audio_model="fake-audio")
    try:
        lib.ingest([media], workers=0)
    finally:
        lib.close()
    return root / "lib"


def contract_app(library_path: Path):
    """A minimal implementation of the JSON API the UI talks to, plus mediaground.web.mount."""
    import io

    from fastapi import FastAPI, HTTPException
    from fastapi.responses import FileResponse, Response
    from PIL import Image

    from mediaground.errors import MediagroundError
    from mediaground.library import Library
    from mediaground.metadata.jsonld import to_jsonld
    from mediaground import web

    lib = Library.open(library_path)
    lock = threading.Lock()
    app = FastAPI()

    def shaped(results):
        out = []
        for r in results:
            aid = r.asset_id
            out.append({**r.to_dict(), "links": {"asset": f"/api/assets/{aid}", "media": f"/media/{aid}",
                                                 "thumbnail": f"/thumbs/{aid}", "page": f"/asset/{aid}"}})
        return {"results": out}

    def show(asset_id: str):
        try:
            return lib.show(asset_id)
        except MediagroundError as exc:
            raise HTTPException(404, str(exc)) from exc

    @app.get("/api/search")
    def search(q: str | None = None, limit: int = 10, kind: str | None = None, creator: str | None = None,
               keyword: str | None = None, license: str | None = None, has_gps: bool | None = None,
               near: str | None = None, radius_km: float | None = None):
        point = tuple(float(x) for x in near.split(",")) if near else None
        with lock:
            return shaped(lib.search(q, kind=kind, creator=creator, keyword=keyword, license=license,
                                     has_gps=has_gps, near=point, radius_km=radius_km, limit=limit))

    @app.get("/api/assets/{asset_id}")
    def asset(asset_id: str):
        with lock:
            record = show(asset_id)
        return {"asset": record, "jsonld": to_jsonld(record)}

    @app.get("/api/assets/{asset_id}/similar")
    def similar(asset_id: str, limit: int = 10):
        with lock:
            show(asset_id)
            return shaped(lib.search(asset=asset_id, limit=limit))

    def current_file(asset_id: str) -> str:
        record = show(asset_id)
        paths = [p for p in record["current_paths"] if os.path.exists(p)]
        if not paths:
            raise HTTPException(404, "no file")
        return paths[0]

    @app.get("/media/{asset_id}")
    def media(asset_id: str):
        with lock:
            record = show(asset_id)
            path = current_file(asset_id)
        return FileResponse(path, media_type=record["mime"])  # Starlette answers Range requests

    @app.get("/thumbs/{asset_id}")
    def thumbs(asset_id: str, size: int = 256):
        with lock:
            path = current_file(asset_id)
        with Image.open(path) as im:
            im = im.convert("RGB")
            im.thumbnail((size, size))
            buf = io.BytesIO()
            im.save(buf, "JPEG", quality=85)
        return Response(buf.getvalue(), media_type="image/jpeg")

    web.mount(app)
    app.state.library = lib
    return app


class Server:
    def __init__(self, app) -> None:
        import uvicorn

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> "Server":
        self.thread.start()
        deadline = time.time() + 20
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture(scope="module")
def server(library_path):
    app = contract_app(library_path)
    try:
        with Server(app) as srv:
            yield srv
    finally:
        app.state.library.close()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    """A page that fails the test on any dialog (alert) or Content-Security-Policy violation."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    problems: list[str] = []

    def on_dialog(dialog):
        problems.append(f"dialog: {dialog.type} {dialog.message}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    pg.on("console", lambda msg: problems.append(f"console: {msg.text}")
          if msg.type == "error" and "Content Security Policy" in msg.text else None)
    pg.on("pageerror", lambda err: problems.append(f"page error: {err}"))
    pg.problems = problems
    yield pg
    context.close()
    assert not problems, problems


# --- the checks, shared with the run against the real API --------------------------------------
def search(page, base: str, query: str):
    page.goto(base + "/")
    page.fill("#q", query)
    page.click("#go")
    page.wait_for_selector(".card")
    return page.locator(".card")


def check_search_and_asset_page(page, base: str, screenshots: Path | None = None):
    cards = search(page, base, "lighthouse")
    first = cards.first
    assert "lighthouse" in first.locator(".title").inner_text().lower()
    thumb = first.locator("img.thumbnail")
    assert thumb.count() == 1
    assert "/thumbs/" in thumb.get_attribute("src")
    page.wait_for_function("() => { const i = document.querySelector('.card img.thumbnail');"
                           " return i && i.complete && i.naturalWidth > 0; }")
    assert first.locator(".why li").count() >= 1
    if screenshots:
        search(page, base, "harbour")
        page.wait_for_function("() => [...document.querySelectorAll('.card img.thumbnail')]"
                               ".every(i => i.complete && i.naturalWidth > 0)")
        screenshots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshots / "results.png"), full_page=True)
        cards = page.locator(".card")

    cards.first.locator(".title").click()
    page.wait_for_url("**/asset/**")
    page.wait_for_selector("#metadata tbody tr")
    rows = page.locator("#metadata tbody tr")
    assert rows.count() >= 4
    table = page.locator("#metadata").inner_text()
    assert "Asset ID" in table and "image" in table
    page.wait_for_function("() => document.getElementById('jsonld').textContent.length > 20")
    import json

    jsonld = json.loads(page.locator("#jsonld").inner_text())
    assert jsonld["@type"] == "ImageObject"
    assert "\n  " in page.locator("#jsonld").text_content()  # pretty-printed
    assert page.locator("#provenance li").count() >= 1
    assert page.locator("#preview img").count() == 1
    if screenshots:
        page.wait_for_function("() => { const i = document.querySelector('#preview img');"
                               " return i && i.complete && i.naturalWidth > 0; }")
        page.wait_for_timeout(300)  # the similar assets
        page.screenshot(path=str(screenshots / "asset.png"), full_page=True)
        assert (screenshots / "results.png").stat().st_size > 10_000


def check_hostile_caption(page, base: str):
    cards = search(page, base, "zebra crossing")
    card = cards.first
    assert card.locator(".title").inner_text() == HOSTILE
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("[onerror]").count() == 0
    card.locator(".title").click()
    page.wait_for_selector("#metadata tbody tr")
    assert page.locator("#title").inner_text() == HOSTILE
    assert HOSTILE in page.locator("#metadata").inner_text()
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("[onerror]").count() == 0
    page.wait_for_timeout(300)
    assert not page.problems


def audio_start(page, selector: str) -> float:
    page.wait_for_function(f"() => {{ const a = document.querySelector({selector!r});"
                           " return a && a.readyState >= 1; }", timeout=15000)
    page.wait_for_timeout(200)
    return page.evaluate(f"() => document.querySelector({selector!r}).currentTime")


def check_audio_moment(page, base: str):
    cards = search(page, base, "tone 880 hertz")
    card = cards.first
    assert card.locator("audio").count() == 1
    assert "#t=5" in card.locator("audio").get_attribute("src")
    assert abs(audio_start(page, ".card audio") - 5.0) <= 0.5
    assert "tone 880 hertz" in card.locator(".moments").inner_text()
    # the asset page: transcript with timestamps; clicking a line seeks the player
    card.locator(".title").click()
    page.wait_for_selector("#transcript li")
    assert abs(audio_start(page, "#preview audio") - 5.0) <= 0.5  # carried over as ?t=5
    lines = page.locator("#transcript li")
    assert lines.count() == 2
    assert "0:05" in lines.nth(1).inner_text() and "tone 880 hertz" in lines.nth(1).inner_text()
    lines.nth(0).locator("button").click()
    page.wait_for_function("() => document.querySelector('#preview audio').currentTime < 2.5")


def check_headers(base: str):
    import httpx

    for path in ("/", "/asset/whatever", "/audit"):
        r = httpx.get(base + path)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/html")
        csp = r.headers["content-security-policy"]
        for directive in ("default-src 'self'", "img-src 'self' data:", "media-src 'self'",
                          "script-src 'self'", "style-src 'self'"):
            assert directive in csp
        assert "unsafe-inline" not in csp
        assert "innerHTML" not in r.text
    assert httpx.get(base + "/ui/search.js").status_code == 200
    assert httpx.get(base + "/ui/..%2Fweb%2F__init__.py").status_code == 404
    assert httpx.get(base + "/ui/nothing.js").status_code == 404


# --- tests ---------------------------------------------------------------------------------------
def test_scripts_never_use_innerhtml():
    from mediaground.web import STATIC

    for js in STATIC.glob("*.js"):
        text = js.read_text()
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
            assert sink not in text, f"{js.name} uses {sink}"


def test_headers(server):
    check_headers(server.url)


def test_search_then_asset_page(page, server, tmp_path):
    shots = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    check_search_and_asset_page(page, server.url, screenshots=shots)


def test_hostile_caption_is_text(page, server):
    check_hostile_caption(page, server.url)


def test_audio_result_starts_at_moment(page, server):
    check_audio_moment(page, server.url)


def test_filters_and_errors(page, server):
    page.goto(server.url + "/?q=harbour&kind=audio")
    page.wait_for_function("() => document.getElementById('status').textContent.startsWith('No results')")
    assert page.locator(".card").count() == 0
    page.fill("#near", "not a place")
    page.click("#go")
    assert "LAT,LON" in page.locator("#status").inner_text()
    page.goto(server.url + "/asset/doesnotexist")
    page.wait_for_function("() => document.getElementById('status').classList.contains('error')")


def test_against_real_http_api(page, library_path):
    from mediaground.api.http import create_app

    app = create_app(library_path)
    with Server(app) as srv:
        check_headers(srv.url)
        check_search_and_asset_page(page, srv.url)
        check_hostile_caption(page, srv.url)
        check_audio_moment(page, srv.url)
        # search by an example file (multipart upload to /api/search/image)
        page.goto(srv.url + "/")
        page.set_input_files("#file", str(library_path.parent / "media" / "harbour" / "lighthouse.jpg"))
        page.wait_for_selector(".card")
        assert "lighthouse" in page.locator(".card .title").first.inner_text().lower()


# --- the audit dashboard ---------------------------------------------------------------------------
ALT_HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def audit_library(tmp_path_factory) -> Path:
    import pyexiv2

    from mediaground.library import Library

    root = tmp_path_factory.mktemp("web-audit")
    media = root / "media"
    alts = {"noalt.jpg": None, "hostile-a.jpg": ALT_HOSTILE, "hostile-b.jpg": ALT_HOSTILE}
    for i, (name, alt) in enumerate(alts.items()):
        make_image(media / name, ["red", "green", "blue"][i], seed=i, size=(320, 240))
        if alt is not None:
            img = pyexiv2.Image(str(media / name))
            try:
                img.modify_xmp({"Xmp.Iptc4xmpCore.AltTextAccessibility": {'lang="x-default"': alt}})
            finally:
                img.close()
    lib = Library.create(root / "lib", text_model="fake-text", image_model="fake-image", audio_model="fake-audio")
    try:
        lib.ingest([media], workers=0)
    finally:
        lib.close()
    return root / "lib"


def test_audit_dashboard(page, audit_library):
    import httpx

    from mediaground.api.http import create_app

    with Server(create_app(audit_library)) as srv:
        r = httpx.get(srv.url + "/audit")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
        assert r.headers["content-security-policy"] == httpx.get(srv.url + "/").headers["content-security-policy"]
        assert httpx.get(srv.url + "/ui/audit.js").status_code == 200

        page.goto(srv.url + "/")
        page.click("header a[href='/audit']")
        page.wait_for_url("**/audit**")
        panel = page.locator("#panel-alt-text")
        page.wait_for_selector("#panel-alt-text tr.finding")
        rows = panel.locator("tr.finding")
        kinds = [rows.nth(i).get_attribute("data-kind") for i in range(rows.count())]
        assert "missing-alt-text" in kinds
        assert kinds.count("duplicate-alt-text") == 2
        assert kinds[0] == "missing-alt-text"  # worst first
        sev = [float(rows.nth(i).locator("td.sev").inner_text()) for i in range(rows.count())]
        assert sev == sorted(sev, reverse=True)
        # the hostile alt text is shown literally, never parsed
        dup = panel.locator("tr.finding[data-kind='duplicate-alt-text']").first
        assert ALT_HOSTILE in dup.locator("td.detail").inner_text()
        assert page.locator("img[src='x']").count() == 0
        assert page.locator("[onerror]").count() == 0
        # summary numbers, thumbnails and links to the asset page
        assert panel.locator(".stat[data-key='images'] dd").inner_text() == "3"
        assert panel.locator(".stat[data-key='with_alt_text'] dd").inner_text() == "2"
        page.wait_for_function("() => [...document.querySelectorAll('#panel-alt-text img.thumbnail')]"
                               ".every(i => i.complete && i.naturalWidth > 0)")
        assert panel.locator("img.thumbnail").count() == rows.count()
        href = dup.locator("a.open").get_attribute("href")
        assert href == f"/asset/{dup.get_attribute('data-asset-id')}"

        # the geo tab
        page.click("#tab-geo")
        page.wait_for_function("() => document.getElementById('panel-geo').dataset.loaded === 'true'")
        assert page.locator("#panel-alt-text").is_hidden()
        geo = page.locator("#panel-geo")
        assert geo.locator(".stat[data-key='assets'] dd").inner_text() == "3"
        assert geo.locator("tr.finding[data-kind='missing-gps']").count() == 3

        # the labels and personal-data tabs load their audits the same way
        for name in ("labels", "pii"):
            page.click(f"#tab-{name}")
            page.wait_for_function(f"() => document.getElementById('panel-{name}').dataset.loaded === 'true'")
            assert page.locator(f"#panel-{name} .stat").count() > 0
            assert page.locator("#panel-geo").is_hidden()
        assert page.locator("#panel-pii .stat[data-key='assets'] dd").inner_text() == "3"

        page.wait_for_timeout(300)
        assert not page.problems

        page.goto(srv.url + href)
        page.wait_for_selector("#metadata tbody tr")
        assert page.locator("img[src='x']").count() == 0
