"""Regenerate docs/screenshots/{results,asset}.png from real sample media and the real models.

    python -m mediaground.web._screenshots [SAMPLES_DIR] [OUT_DIR] [QUERY]

SAMPLES_DIR defaults to ../shared/samples (photos/ and audio/ in it); the library is built in a
temporary folder with the default models, served by mediaground.api.http.create_app, and shot with
headless Chromium (MEDIAGROUND_CHROMIUM, default /usr/bin/chromium). Not used by the tests."""

from __future__ import annotations

import os
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def main(argv: list[str]) -> int:
    # a maintainer's tool, never imported by the package: the server, the browser driver and the
    # library load only when it runs
    import uvicorn
    from playwright.sync_api import sync_playwright

    from mediaground.api.http import create_app
    from mediaground.library import Library

    samples = Path(argv[0] if argv else "../shared/samples").resolve()
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshots").resolve()
    query = argv[2] if len(argv) > 2 else "cat"
    tmp = Path(tempfile.mkdtemp(prefix="mediaground-shots-"))
    try:
        media = tmp / "media"
        shutil.copytree(samples / "photos", media / "photos")
        if (samples / "audio").is_dir():
            shutil.copytree(samples / "audio", media / "audio")
        with Library.create(tmp / "lib") as lib:
            lib.ingest([media])
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(create_app(tmp / "lib"), host="127.0.0.1", port=port,
                                               log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        out.mkdir(parents=True, exist_ok=True)
        loaded = ("() => [...document.querySelectorAll('img')].every(i => i.complete && i.naturalWidth > 0)")
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=os.environ.get("MEDIAGROUND_CHROMIUM", "/usr/bin/chromium"),
                                             args=ARGS)
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"{base}/?q={query}&limit=12")
                page.wait_for_selector(".card")
                page.wait_for_function(loaded)
                page.screenshot(path=str(out / "results.png"), full_page=True)
                page.locator(".card .title").first.click()
                page.wait_for_selector("#metadata tbody tr")
                page.wait_for_timeout(800)
                page.wait_for_function(loaded)
                page.screenshot(path=str(out / "asset.png"), full_page=True)
                browser.close()
        finally:
            server.should_exit = True
            thread.join(10)
        print(f"wrote {out / 'results.png'} and {out / 'asset.png'}")
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
