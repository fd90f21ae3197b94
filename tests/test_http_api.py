"""The HTTP API (mediaground.api.http) through FastAPI's TestClient, on fake models: same
search results as the library and the CLI, files with Range, thumbnails, uploads, auth,
JSON errors, no path ever taken from a request, metadata writes that keep the asset ID."""

from __future__ import annotations

import io
import json
import subprocess

import pytest
from click.testing import CliRunner
from PIL import Image

from conftest import make_image, set_caption, tone, write_wav

from fastapi.testclient import TestClient  # noqa: E402

from mediaground.api.http import create_app  # noqa: E402

HOSTILE = "<img src=x onerror=alert(1)>"


@pytest.fixture
def served(fake_lib, media_dir):
    make_image(media_dir / "big.jpg", "orange", seed=7, size=(640, 480))
    set_caption(media_dir / "blue.jpg", HOSTILE, keywords=["harbour"])
    write_wav(media_dir / "beep.wav", tone(440, 1.0))
    report = fake_lib.ingest([media_dir], workers=0)
    assert not report.quarantined
    return fake_lib, media_dir


@pytest.fixture
def client(served):
    lib, _ = served
    with TestClient(create_app(lib.root, write_token="w-secret", max_upload_mb=1)) as c:
        yield c


def _asset(lib, path) -> str:
    return lib.resolve(str(path))


def _exiftool(path) -> dict:
    out = subprocess.run(["exiftool", "-j", "-n", "-G1", str(path)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)[0]


def _strip_links(payload: dict) -> list[dict]:
    out = []
    for r in payload["results"]:
        r = dict(r)
        assert r.pop("links") == {"asset": f"/api/assets/{r['asset_id']}", "media": f"/media/{r['asset_id']}",
                                  "thumbnail": f"/thumbs/{r['asset_id']}", "page": f"/asset/{r['asset_id']}"}
        out.append(r)
    return out


def test_search_matches_library_and_cli(served, client):
    lib, _ = served
    for params, kwargs in [({"q": "red", "limit": 3}, {"limit": 3}),
                           ({"q": "harbour"}, {}),
                           ({"q": "photo", "kind": "image", "limit": 5}, {"kind": "image", "limit": 5}),
                           ({"keyword": "harbour"}, {"keyword": "harbour"})]:
        r = client.get("/api/search", params=params)
        assert r.status_code == 200, r.text
        expected = [x.to_dict() for x in lib.search(params.get("q"), **kwargs)]
        assert expected and _strip_links(r.json()) == expected
    from mediaground.cli import main

    cli = CliRunner().invoke(main, ["search", "red", "-n", "3", "--json", "--library", str(lib.root)])
    assert cli.exit_code == 0, cli.output
    api = client.get("/api/search", params={"q": "red", "limit": 3}).json()
    assert _strip_links(api) == json.loads(cli.output)["results"]
    assert set(api) == {"results"}


def test_search_bad_parameters_are_json_errors(client):
    for params, status in [({}, 400), ({"q": "x", "near": "abc"}, 400), ({"q": "x", "bbox": "1,2,3"}, 400),
                           ({"q": "x", "radius_km": 5}, 400), ({"q": "x", "limit": 0}, 422),
                           ({"q": "x", "kind": "pdf"}, 422)]:
        r = client.get("/api/search", params=params)
        assert r.status_code == status, (params, r.text)
        err = r.json()["error"]
        assert err["type"] and err["message"] and "Traceback" not in r.text


def test_asset_detail_jsonld_and_similar(served, client):
    lib, media = served
    aid = _asset(lib, media / "red.jpg")
    r = client.get(f"/api/assets/{aid}")
    assert r.status_code == 200
    body = r.json()
    assert body["asset"] == json.loads(json.dumps(lib.show(aid), default=str))
    assert body["jsonld"]["identifier"] == aid and body["jsonld"]["@type"] == "ImageObject"
    assert client.get(f"/api/assets/{aid[:10]}").json()["asset"]["asset_id"] == aid  # unique prefix
    sim = client.get(f"/api/assets/{aid}/similar", params={"limit": 3})
    assert sim.status_code == 200
    assert _strip_links(sim.json()) == [x.to_dict() for x in lib.search(asset=aid, limit=3)]


def test_unknown_asset_is_404_json(client):
    for url in ["/api/assets/0123456789abcdef01234567", "/api/assets/0123456789abcdef01234567/similar",
                "/media/0123456789abcdef01234567", "/thumbs/0123456789abcdef01234567", "/api/assets/nothex"]:
        r = client.get(url)
        assert r.status_code == 404, url
        assert r.json()["error"]["type"] and "Traceback" not in r.text


def test_media_full_and_range(served, client):
    lib, media = served
    aid = _asset(lib, media / "big.jpg")
    data = (media / "big.jpg").read_bytes()
    r = client.get(f"/media/{aid}")
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "image/jpeg" and r.headers["accept-ranges"] == "bytes"
    r = client.get(f"/media/{aid}", headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == data[100:200]
    assert r.headers["content-range"] == f"bytes 100-199/{len(data)}"
    r = client.get(f"/media/{aid}", headers={"Range": "bytes=-50"})
    assert r.status_code == 206 and r.content == data[-50:]
    assert client.get(f"/media/{aid}", headers={"Range": f"bytes={len(data) + 10}-"}).status_code == 416
    wav = _asset(lib, media / "beep.wav")
    r = client.get(f"/media/{wav}")
    assert r.status_code == 200 and r.content == (media / "beep.wav").read_bytes()
    assert r.headers["content-type"].startswith("audio/")


def test_media_falls_back_to_stored_original(served, client):
    lib, media = served
    aid = _asset(lib, media / "green.jpg")
    data = (media / "green.jpg").read_bytes()
    (media / "green.jpg").unlink()
    r = client.get(f"/media/{aid}")
    assert r.status_code == 200 and r.content == data


def test_thumbnail(served, client):
    lib, media = served
    aid = _asset(lib, media / "big.jpg")
    for size in (256, 64):
        r = client.get(f"/thumbs/{aid}", params={"size": size})
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        im = Image.open(io.BytesIO(r.content))
        assert im.format == "JPEG" and max(im.size) <= size and max(im.size) == size
        assert (lib.root / "thumbs" / f"{aid}-{size}.jpg").read_bytes() == r.content  # cached
    assert client.get(f"/thumbs/{aid}", params={"size": 5000}).status_code == 422
    wav = _asset(lib, media / "beep.wav")
    assert client.get(f"/thumbs/{wav}").status_code == 404  # audio: no thumbnail, documented


def test_upload_image_search_and_limits(served, client):
    lib, media = served
    aid = _asset(lib, media / "red.jpg")
    r = client.post("/api/search/image", files={"file": ("query.jpg", (media / "red.jpg").read_bytes(), "image/jpeg")},
                    data={"limit": "3"})
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["asset_id"] == aid and len(r.json()["results"]) <= 3
    r = client.post("/api/search/image", files={"file": ("huge.jpg", b"\xff" * (2 * 1024 * 1024), "image/jpeg")})
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"
    boundary = "b0undary"

    def chunked():  # no Content-Length: refused while streaming, before the whole body arrives
        yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jpg\"\r\n"
               "Content-Type: image/jpeg\r\n\r\n").encode()
        for _ in range(64):
            yield b"\xff" * 65536
        yield f"\r\n--{boundary}--\r\n".encode()

    r = client.post("/api/search/image", content=chunked(),
                    headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
    assert r.status_code == 413 and r.json()["error"]["type"] == "too_large"
    r = client.post("/api/search/image", files={"file": ("x.jpg", b"not an image", "image/jpeg")})
    assert r.status_code == 400 and "error" in r.json()


def test_upload_audio_search(served, client):
    lib, media = served
    r = client.post("/api/search/audio", files={"file": ("q.wav", (media / "beep.wav").read_bytes(), "audio/wav")})
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["asset_id"] == _asset(lib, media / "beep.wav")


def test_write_auth(served, client):
    lib, media = served
    aid = _asset(lib, media / "red.jpg")
    url, body = f"/api/assets/{aid}/metadata", {"set": {"title": "Dawn"}, "dry_run": True}
    r = client.post(url, json=body)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.post(url, json=body, headers={"Authorization": "Bearer wrong"}).status_code == 403
    r = client.post(url, json=body, headers={"Authorization": "Bearer w-secret"})
    assert r.status_code == 200 and r.json()["dry_run"] is True and r.json()["changes"][0]["field"] == "title"
    assert client.post("/api/ingest", json={"paths": [str(media)]}).status_code == 401
    r = client.post("/api/ingest", json={"paths": [str(media)]}, headers={"Authorization": "Bearer w-secret"})
    assert r.status_code == 200 and r.json()["unchanged"] >= 7
    r = client.post("/api/ingest", json={"paths": ["/no/such/place"]}, headers={"Authorization": "Bearer w-secret"})
    assert r.status_code == 400 and r.json()["error"]["message"]


def test_writes_disabled_without_write_token(served):
    lib, media = served
    with TestClient(create_app(lib.root)) as c:
        r = c.post("/api/ingest", json={"paths": [str(media)]}, headers={"Authorization": "Bearer anything"})
        assert r.status_code == 403 and "disabled" in r.json()["error"]["message"]


def test_read_token_mode(served):
    lib, media = served
    aid = _asset(lib, media / "red.jpg")
    with TestClient(create_app(lib.root, read_token="r-secret", write_token="w-secret")) as c:
        assert c.get("/healthz").status_code == 200
        for url in ["/api/search?q=red", f"/api/assets/{aid}", f"/media/{aid}", f"/thumbs/{aid}"]:
            assert c.get(url).status_code == 401, url
            assert c.get(url, headers={"Authorization": "Bearer nope"}).status_code == 403, url
            assert c.get(url, headers={"Authorization": "Bearer r-secret"}).status_code == 200, url
            assert c.get(url, headers={"Authorization": "Bearer w-secret"}).status_code == 200, url
        c.cookies.set("mediaground_token", "r-secret")  # so <img src> works in a browser
        assert c.get(f"/media/{aid}").status_code == 200
        r = c.post(f"/api/assets/{aid}/metadata", json={"set": {"title": "x"}},
                   headers={"Authorization": "Bearer r-secret"})
        assert r.status_code == 403  # the read token cannot write


def test_path_traversal_never_serves_files(served, client):
    for url in ["/media/..%2F..%2Fetc%2Fpasswd", "/media/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd", "/media/%2Fetc%2Fpasswd",
                "/thumbs/..%2F..%2Fx", "/api/assets/..%2F..%2Fetc%2Fpasswd", "/media/~root",
                "/media/" + "a" * 5000]:
        r = client.get(url)
        assert r.status_code in (404, 422), url
        assert "root:" not in r.text and r.headers["content-type"].startswith("application/json")
    r = client.get("/thumbs/../../x")  # the client normalizes this to /x: whatever answers, no file
    assert r.status_code in (404, 422) or "text/html" in r.headers.get("content-type", "")
    # a real file path of an indexed asset is still not accepted as a reference
    _, media = served
    assert client.get("/api/assets/" + str(media / "red.jpg").replace("/", "%2F")).status_code == 404


def test_metadata_edit_changes_file_and_keeps_id(served, client):
    lib, media = served
    path = media / "red.jpg"
    aid = _asset(lib, path)
    auth = {"Authorization": "Bearer w-secret"}
    r = client.post(f"/api/assets/{aid}/metadata", headers=auth,
                    json={"set": {"creator": "Ana Núñez", "keywords": "beach,coast", "caption": HOSTILE}})
    assert r.status_code == 200, r.text
    assert r.json()["asset_id"] == aid and not r.json()["dry_run"]
    tags = _exiftool(path)
    assert tags["XMP-dc:Creator"] == "Ana Núñez" and sorted(tags["XMP-dc:Subject"]) == ["beach", "coast"]
    assert tags["XMP-dc:Description"] == HOSTILE
    detail = client.get(f"/api/assets/{aid}").json()["asset"]
    assert detail["asset_id"] == aid and detail["metadata"]["creator"] == ["Ana Núñez"]
    assert len(detail["versions"]) == 2
    assert client.get("/api/search", params={"q": "coast", "limit": 1}).json()["results"][0]["asset_id"] == aid
    r = client.post(f"/api/assets/{aid}/metadata", headers=auth, json={"set": {"gps": "not,a,place,really"}})
    assert r.status_code == 422 and r.json()["error"]["type"] == "MetadataWriteError"
    r = client.post(f"/api/assets/{aid}/metadata", headers=auth, json={"set": {"title": "x"}, "extra": 1})
    assert r.status_code == 422


def test_hostile_caption_is_plain_json(served, client):
    lib, media = served
    aid = _asset(lib, media / "blue.jpg")
    r = client.get("/api/search", params={"keyword": "harbour"})
    assert r.headers["content-type"] == "application/json"
    hit = next(x for x in r.json()["results"] if x["asset_id"] == aid)
    assert hit["caption"] == HOSTILE
    r = client.get(f"/api/assets/{aid}")
    assert r.headers["content-type"] == "application/json"
    assert HOSTILE in json.dumps(r.json()) and "&lt;" not in r.text


def test_openapi_and_healthz(client):
    assert client.get("/healthz").json() == {"ok": True}
    spec = client.get("/openapi.json").json()
    assert {"/api/search", "/api/search/image", "/api/assets/{asset_id}", "/media/{asset_id}",
            "/thumbs/{asset_id}", "/api/ingest", "/api/assets/{asset_id}/metadata"} <= set(spec["paths"])


def test_threads_get_their_own_library(served):
    from concurrent.futures import ThreadPoolExecutor

    lib, _ = served
    app = create_app(lib.root)
    with TestClient(app) as c:
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda i: c.get("/api/search", params={"q": ["red", "blue"][i % 2]}).status_code,
                                  range(32)))
    assert codes == [200] * 32


def test_missing_library_fails_at_create(tmp_path):
    from mediaground.errors import LibraryNotFoundError

    with pytest.raises(LibraryNotFoundError):
        create_app(tmp_path / "nothing")


def test_audit_endpoints(served, client):
    lib, media = served
    for name in ("alt-text", "geo", "labels", "pii"):
        r = client.get(f"/api/audit/{name}")
        assert r.status_code == 200, r.text
        data = r.json()
        assert set(data) == {"audit", "findings", "summary"} and data["audit"] == name
        assert isinstance(data["summary"], dict) and isinstance(data["findings"], list)
        for f in data["findings"]:
            assert {"asset_id", "path", "kind", "detail", "severity"} <= set(f)
        severities = [f["severity"] for f in data["findings"]]
        assert severities == sorted(severities, reverse=True)  # worst first
    alt = client.get("/api/audit/alt-text").json()
    assert alt["summary"]["images"] >= 1
    aid = _asset(lib, media / "red.jpg")
    assert any(f["asset_id"] == aid and f["kind"] == "missing-alt-text" for f in alt["findings"])
    for bad in ("nope", "..%2Fgeo", "ALT-TEXT"):
        r = client.get(f"/api/audit/{bad}")
        assert r.status_code == 404, bad
        assert r.headers["content-type"].startswith("application/json") and r.json()["error"]["type"] == "not_found"


def test_audit_needs_read_token(served):
    lib, _ = served
    with TestClient(create_app(lib.root, read_token="r-secret")) as c:
        assert c.get("/api/audit/geo").status_code == 401
        assert c.get("/api/audit/geo", headers={"Authorization": "Bearer nope"}).status_code == 403
        assert c.get("/api/audit/geo", headers={"Authorization": "Bearer r-secret"}).status_code == 200
