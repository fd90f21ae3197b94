"""The MCP server, driven by the MCP SDK's own client: over stdio (a spawned server process) and
over streamable HTTP (a server subprocess on a free local port)."""

from __future__ import annotations

import base64
import io
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import numpy as np
import pytest
from PIL import Image

from conftest import make_image, tone, write_wav

from mcp import ClientSession, StdioServerParameters, stdio_client  # noqa: E402

CREATOR = "Ana Núñez"
LICENSE = "https://creativecommons.org/licenses/by/4.0/"


@pytest.fixture(scope="module")
def library(tmp_path_factory):
    """A fake-model library: three images (one fully tagged) and a WAV of three tones."""
    from mediaground.library import Library

    root = tmp_path_factory.mktemp("mcp")
    media = root / "media"
    for i, colour in enumerate(["red", "green", "blue"]):
        make_image(media / f"{colour}.jpg", colour, seed=i)
    sr = 16000
    write_wav(media / "tones.wav", np.concatenate([tone(440, 3), np.zeros(2 * sr), tone(880, 3), np.zeros(2 * sr),
                                                   tone(1320, 3)]))
    lib = Library.create(root / "lib", text_model="fake-text", image_model="fake-image", audio_model="fake-audio")
    try:
        lib.ingest([media], workers=0)
        lib.edit_metadata(str(media / "red.jpg"), {
            "title": "Orange dahlia", "caption": "An orange dahlia in the garden", "creator": CREATOR,
            "copyright": "2026 Ana Núñez", "license_url": LICENSE, "city": "Sanlúcar de Barrameda",
            "country": "Spain", "date_created": "2026-05-01", "gps": "36.77,-6.35"})
        ids = {name: lib.resolve(str(media / name)) for name in ("red.jpg", "green.jpg", "tones.wav")}
    finally:
        lib.close()
    return root / "lib", ids


def _env() -> dict[str, str]:
    # PYTHONPATH: where conftest installed the fake models' plugin (tests/fakes.py)
    return {"MEDIAGROUND_CACHE": os.environ["MEDIAGROUND_CACHE"], "PYTHONPATH": os.environ["PYTHONPATH"],
            "PYTHONUNBUFFERED": "1"}


def _stdio_params(lib_path: Path) -> StdioServerParameters:
    code = f"from mediaground.api.mcp_server import run_stdio; run_stdio({str(lib_path)!r})"
    return StdioServerParameters(command=sys.executable, args=["-c", code], env=_env())


def _text(result) -> str:
    return "\n".join(c.text for c in result.content if c.type == "text")


def test_stdio_tools(library):
    lib_path, ids = library

    async def main():
        with open(os.devnull, "w") as errlog:
            async with stdio_client(_stdio_params(lib_path), errlog=errlog) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    with anyio.fail_after(60):
                        await check(session)

    async def check(session: ClientSession):
        tools = {t.name: t for t in (await session.list_tools()).tools}
        assert {"search_media", "get_asset", "get_thumbnail", "get_transcript"} <= set(tools)
        assert tools["search_media"].output_schema is not None
        assert "query" in tools["search_media"].input_schema["properties"]

        # search: grounded results with a citation and a resource link
        res = await session.call_tool("search_media", {"query": "orange dahlia", "limit": 3})
        assert not res.is_error, _text(res)
        top = res.structured_content["results"][0]
        assert top["asset_id"] == ids["red.jpg"] and top["kind"] == "image"
        assert top["creator"] == [CREATOR]
        assert top["rights"] == {"copyright": "2026 Ana Núñez", "license_url": LICENSE, "license": "CC BY 4.0"}
        assert top["place"]["city"] == "Sanlúcar de Barrameda" and top["place"]["lat"] == pytest.approx(36.77)
        assert top["date"] == "2026-05-01" and top["timestamps"] is None
        assert CREATOR in top["citation"] and "CC BY 4.0" in top["citation"]
        assert top["citation"].startswith("“Orange dahlia” — Ana Núñez, © 2026 Ana Núñez, CC BY 4.0; "
                                          "Sanlúcar de Barrameda, Spain; 2026-05-01. mediaground asset ")
        uri = f"mediaground://asset/{ids['red.jpg']}"
        assert top["resource_uri"] == uri
        links = [c for c in res.content if c.type == "resource_link"]
        assert str(links[0].uri) == uri
        assert CREATOR in _text(res)

        # filters pass through; an audio hit carries timestamps
        res = await session.call_tool("search_media", {"query": "tone 880 hertz", "kind": "audio"})
        hit = res.structured_content["results"][0]
        assert hit["asset_id"] == ids["tones.wav"]
        assert hit["timestamps"]["start"] == pytest.approx(5.0) and hit["timestamps"]["moments"]
        assert hit["citation"].endswith("at 5–8 s")
        res = await session.call_tool("search_media", {"query": "dahlia", "creator": "nobody at all"})
        assert not res.is_error and res.structured_content["results"] == []
        res = await session.call_tool("search_media", {"query": "", "near": "36.7,-6.3", "radius_km": 50})
        assert [r["asset_id"] for r in res.structured_content["results"]] == [ids["red.jpg"]]

        # the asset resource
        read = await session.read_resource(uri)
        assert json.loads(read.contents[0].text)["asset_id"] == ids["red.jpg"]

        # get_asset: metadata + JSON-LD + provenance
        res = await session.call_tool("get_asset", {"asset_id_or_path": ids["red.jpg"][:10]})
        assert not res.is_error, _text(res)
        data = res.structured_content
        assert data["jsonld"]["@type"] == "ImageObject" and data["jsonld"]["identifier"] == ids["red.jpg"]
        assert data["record"]["metadata"]["title"] == "Orange dahlia"
        assert data["provenance"]["versions"] == 2 and data["provenance"]["events"]
        res = await session.call_tool("get_asset", {"asset_id_or_path": ids["tones.wav"]})
        assert res.structured_content["jsonld"]["@type"] == "AudioObject"

        # get_thumbnail: a JPEG Pillow can open
        res = await session.call_tool("get_thumbnail", {"asset_id": ids["green.jpg"], "size": 32})
        assert not res.is_error, _text(res)
        img = next(c for c in res.content if c.type == "image")
        assert img.mime_type == "image/jpeg"
        with Image.open(io.BytesIO(base64.b64decode(img.data))) as im:
            assert im.format == "JPEG" and max(im.size) == 32
        res = await session.call_tool("get_thumbnail", {"asset_id": ids["tones.wav"]})
        assert res.is_error and "not an image" in _text(res)

        # get_transcript: timestamped segments, optionally a span
        res = await session.call_tool("get_transcript", {"asset_id": ids["tones.wav"]})
        assert not res.is_error, _text(res)
        segs = res.structured_content["segments"]
        assert [s["text"] for s in segs] == ["tone 440 hertz", "tone 880 hertz", "tone 1320 hertz"]
        assert segs[1]["start"] == pytest.approx(5.0) and segs[1]["end"] == pytest.approx(8.0)
        assert res.structured_content["text"] == "tone 440 hertz tone 880 hertz tone 1320 hertz"
        res = await session.call_tool("get_transcript", {"asset_id": ids["tones.wav"], "start": 4, "end": 9})
        assert [s["text"] for s in res.structured_content["segments"]] == ["tone 880 hertz"]
        res = await session.call_tool("get_transcript", {"asset_id": ids["red.jpg"]})
        assert res.is_error and "only audio and video" in _text(res)

        # errors: clear messages, no tracebacks
        for name, args, needle in [
            ("get_asset", {"asset_id_or_path": "0123456789abcdef01234567"}, "no asset with ID or path"),
            ("get_thumbnail", {"asset_id": "does-not-exist"}, "no asset with ID or path"),
            ("get_transcript", {"asset_id": "ffffffffffff"}, "no asset with ID or path"),
            ("search_media", {"query": "x", "kind": "document"}, "kind must be one of"),
            ("search_media", {"query": "x", "near": "95,4"}, "95"),
        ]:
            res = await session.call_tool(name, args)
            assert res.is_error, (name, args)
            assert needle in _text(res) and "Traceback" not in _text(res)

    anyio.run(main)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http(library, tmp_path):
    from mcp.client.streamable_http import streamable_http_client

    lib_path, ids = library
    port = _free_port()
    code = f"from mediaground.api.mcp_server import run_http; run_http({str(lib_path)!r}, port={port})"
    log = open(tmp_path / "server.log", "wb")
    proc = subprocess.Popen([sys.executable, "-c", code], env={**os.environ, **_env()}, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, (tmp_path / "server.log").read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.1)

        async def main():
            with anyio.fail_after(30):
                async with streamable_http_client(f"http://127.0.0.1:{port}/mcp") as (read, write):
                    async with ClientSession(read, write) as session:
                        await session.initialize()
                        res = await session.call_tool("search_media", {"query": "orange dahlia", "limit": 2})
                        assert not res.is_error, _text(res)
                        top = res.structured_content["results"][0]
                        assert top["asset_id"] == ids["red.jpg"] and CREATOR in top["citation"]

        anyio.run(main)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
