"""Remote embedding APIs (OpenAI embeddings, Vertex AI multimodal) against a local stand-in server on
127.0.0.1: batching, the Authorization header, retries with backoff on 429/5xx (sleep injected, so
nothing waits), and the pin that stands in for weights. No network beyond the loopback."""

from __future__ import annotations

import base64
import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from mediaground.errors import ModelError
from mediaground.models import remote


class StandIn:
    """A local API: `respond(n, path, body)` → (status, headers, json body) for the n-th request."""

    def __init__(self, respond):
        self.respond = respond
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stand_in.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status, headers, answer = stand_in.respond(len(stand_in.requests), self.path, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


def openai_answer(body, dim=4, reverse=True):
    """Embeddings whose first value encodes the input's length; sent out of index order."""
    data = [{"object": "embedding", "index": i, "embedding": [float(len(t)), 1.0] + [0.0] * (dim - 2)}
            for i, t in enumerate(body["input"])]
    return {"data": data[::-1] if reverse else data, "model": body["model"]}


@pytest.fixture
def sleeps(monkeypatch):
    """Record backoff delays instead of waiting; jitter fixed at its maximum."""
    delays: list[float] = []
    monkeypatch.setattr(remote, "_sleep", delays.append)
    monkeypatch.setattr(remote, "_random", lambda: 1.0)
    return delays


@pytest.fixture
def keys(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-123")
    monkeypatch.setenv("VERTEX_ACCESS_TOKEN", "ya29.test")


def openai(url, **opts):
    return remote.OpenAIEmbeddings(**{"model": "text-embedding-3-small", "dim": 4, "revision": "2024-01",
                                      "base_url": f"{url}/v1", **opts})


# --- OpenAI ------------------------------------------------------------------------------------
def test_openai_batches_authenticates_and_keeps_order(keys, sleeps):
    with StandIn(lambda n, path, body: (200, {}, openai_answer(body))) as api:
        model = openai(api.url)
        texts = [f"text number {'x' * (i % 7)}" for i in range(150)]
        vectors = model.embed_texts(texts)
    assert len(api.requests) == 3  # 64 + 64 + 22
    assert [len(r["body"]["input"]) for r in api.requests] == [64, 64, 22]
    first = api.requests[0]
    assert first["path"] == "/v1/embeddings"
    assert first["headers"]["Authorization"] == "Bearer sk-test-123"
    assert first["body"]["model"] == "text-embedding-3-small" and first["body"]["dimensions"] == 4
    assert vectors.shape == (150, 4) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-6)
    # rows follow `index`, not the order the answer listed them in
    expected = np.array([[len(t), 1.0, 0, 0] for t in texts], np.float32)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(vectors, expected, atol=1e-6)
    assert sleeps == []


def test_openai_retries_429_honouring_retry_after(keys, sleeps):
    def respond(n, path, body):
        if n == 1:
            return 429, {"Retry-After": "0"}, {"error": {"message": "rate limited"}}
        return 200, {}, openai_answer(body)

    with StandIn(respond) as api:
        model = openai(api.url)
        vectors = model.embed_texts(["hello", "world"])
    assert len(api.requests) == 2 and model.attempts == 2
    assert sleeps == [0.0]  # Retry-After: 0 wins over the computed backoff
    assert vectors.shape == (2, 4)


def test_openai_gives_up_after_retries_on_500(keys, sleeps):
    with StandIn(lambda n, path, body: (500, {}, {"error": "boom"})) as api:
        model = openai(api.url, max_retries="3", backoff="0.25")
        with pytest.raises(ModelError, match=r"after 4 attempts; last: HTTP 500"):
            model.embed_texts(["hello"])
    assert len(api.requests) == 4 and model.attempts == 4
    assert sleeps == [0.25, 0.5, 1.0]  # exponential backoff (jitter fixed at its maximum here)


def test_backoff_is_jittered_and_capped(monkeypatch):
    monkeypatch.setattr(remote, "_random", lambda: 0.5)
    model = remote.OpenAIEmbeddings("m", 4, "r", backoff=1, max_backoff=5)
    assert [model._delay(a, None) for a in range(5)] == [0.5, 1.0, 2.0, 2.5, 2.5]
    assert model._delay(3, 7.0) == 7.0
    assert remote._retry_after("3") == 3.0 and remote._retry_after(None) is None
    assert remote._retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert remote._retry_after("99999") == remote.MAX_RETRY_AFTER


def test_client_errors_fail_at_once(keys, sleeps):
    with StandIn(lambda n, path, body: (401, {}, {"error": {"message": "Incorrect API key"}})) as api:
        model = openai(api.url)
        with pytest.raises(ModelError, match="HTTP 401.*Incorrect API key"):
            model.embed_texts(["hello"])
    assert len(api.requests) == 1 and sleeps == []


def test_connection_errors_are_retried(keys, sleeps):
    with StandIn(lambda n, path, body: (200, {}, {})) as api:
        url = api.url
    model = openai(url, max_retries=2)  # the server is gone: connection refused
    with pytest.raises(ModelError, match="after 3 attempts; last: connection error"):
        model.embed_texts(["hello"])
    assert model.attempts == 3 and len(sleeps) == 2


def test_missing_key_names_the_variable(monkeypatch, sleeps):
    monkeypatch.delenv("MY_KEY", raising=False)
    with StandIn(lambda n, path, body: (200, {}, openai_answer(body))) as api:
        model = openai(api.url, api_key_env="MY_KEY")
        with pytest.raises(ModelError, match="MY_KEY"):
            model.embed_texts(["hello"])
        assert api.requests == []
        monkeypatch.setenv("MY_KEY", "k2")  # read at request time, not at construction
        model.embed_texts(["hello"])
        assert api.requests[0]["headers"]["Authorization"] == "Bearer k2"


def test_answers_that_do_not_fit_are_errors(keys, sleeps):
    with StandIn(lambda n, path, body: (200, {}, openai_answer(body, dim=3))) as api:
        with pytest.raises(ModelError, match="declared dim 4"):
            openai(api.url).embed_texts(["hello"])
    with StandIn(lambda n, path, body: (200, {}, {"data": []})) as api:
        with pytest.raises(ModelError, match="sent 1 texts, got 0"):
            openai(api.url).embed_texts(["hello"])


def test_the_pin_is_the_vendor_version_not_a_request(keys):
    with StandIn(lambda n, path, body: (200, {}, openai_answer(body))) as api:
        model = openai(api.url)
        space = model.space()
        assert api.requests == []  # declared, never measured by calling the API
    assert space.dim == 4 and space.revision == "2024-01" and space.model_id == "openai-embeddings"
    assert model.runtime == "remote-openai"
    same = openai(api.url)
    assert same.weights_sha256() == model.weights_sha256()
    assert openai(api.url, revision="2025-01").weights_sha256() != model.weights_sha256()
    assert openai(api.url, model="text-embedding-3-large").weights_sha256() != model.weights_sha256()
    assert openai("http://localhost:1").weights_sha256() != model.weights_sha256()  # another host
    assert openai(api.url, dim=8).space().id != space.id


def test_registry_ids_take_string_options(keys, sleeps):
    from mediaground.models.registry import get_model

    with StandIn(lambda n, path, body: (200, {}, openai_answer(body, dim=6))) as api:
        model = get_model(f"openai-embeddings?model=m1&dim=6&revision=r&batch_size=2&base_url={api.url}/v1")
        assert model.dim == 6 and model.batch_size == 2
        assert model.embed_texts(["a", "b", "c"]).shape == (3, 6)
        assert len(api.requests) == 2
    with pytest.raises(ModelError, match="dim must be an integer"):
        remote.OpenAIEmbeddings("m", "many", "r")
    with pytest.raises(ModelError, match="revision is required"):
        remote.OpenAIEmbeddings("m", 4, "")
    with pytest.raises(ModelError):
        get_model("openai-embeddings?model=m&dim=4")  # no revision


def test_send_dimensions_can_be_turned_off(keys, sleeps):
    with StandIn(lambda n, path, body: (200, {}, openai_answer(body))) as api:
        openai(api.url, send_dimensions="false").embed_texts(["hello"])
    assert "dimensions" not in api.requests[0]["body"]


# --- Vertex ------------------------------------------------------------------------------------
def vertex_answer(body, dim=4):
    preds = []
    for inst in body["instances"]:
        if "text" in inst:
            preds.append({"textEmbedding": [1.0, float(len(inst["text"]))] + [0.0] * (dim - 2)})
        else:
            png = base64.b64decode(inst["image"]["bytesBase64Encoded"])
            preds.append({"imageEmbedding": [0.0, 0.0, 1.0, float(len(png) % 97)] + [0.0] * (dim - 4)})
    return {"predictions": preds}


def test_vertex_embeds_texts_and_images(keys, sleeps):
    from PIL import Image

    from mediaground.models.base import ImageEmbedder

    with StandIn(lambda n, path, body: (200, {}, vertex_answer(body))) as api:
        model = remote.VertexMultimodal(dim=4, base_url=f"{api.url}/v1/projects/p/locations/l/publishers/google/"
                                        "models/multimodalembedding@001", batch_size=2, image_size=32)
        assert isinstance(model, ImageEmbedder) and model.inputs == frozenset({"text", "image"})
        texts = model.embed_texts(["a cat", "a dog", "harbour at dusk"])
        pixels = np.stack([model.preprocessor(Image.new("RGB", (64, 48), c)) for c in ("red", "blue", "green")])
        feats, probs = model.run(pixels)
    assert pixels.shape == (3, 3, 32, 32)
    assert texts.shape == (3, 4) and feats.shape == (3, 4) and probs is None
    assert np.allclose(np.linalg.norm(feats, axis=1), 1, atol=1e-6)
    assert [len(r["body"]["instances"]) for r in api.requests] == [2, 1, 2, 1]
    first = api.requests[0]
    assert first["path"].endswith("/models/multimodalembedding@001:predict")
    assert first["headers"]["Authorization"] == "Bearer ya29.test"
    assert first["body"]["parameters"] == {"dimension": 4}
    png = base64.b64decode(api.requests[2]["body"]["instances"][0]["image"]["bytesBase64Encoded"])
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size == (32, 32) and image.getpixel((5, 5))[0] > 200  # red
    assert model.labels == [] and model.revision == "multimodalembedding@001"


def test_vertex_needs_a_project_or_base_url(keys):
    with pytest.raises(ModelError, match="project"):
        remote.VertexMultimodal()
    model = remote.VertexMultimodal(project="my-proj", location="europe-west4")
    assert model.base_url == ("https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/"
                              "europe-west4/publishers/google/models/multimodalembedding@001")
    assert model.dim == 1408 and model.batch_size == 1
    assert model.space().dim == 1408  # no request was possible, none was needed


def test_vertex_retries_like_openai(keys, sleeps):
    def respond(n, path, body):
        return (503, {}, {"error": "busy"}) if n <= 2 else (200, {}, vertex_answer(body))

    with StandIn(respond) as api:
        model = remote.VertexMultimodal(dim=4, base_url=f"{api.url}/m", max_retries=2)
        assert model.embed_texts(["x"]).shape == (1, 4)
    assert len(api.requests) == 3 and sleeps == [0.5, 1.0]
