"""Embedding APIs over HTTP: OpenAI embeddings (text) and Vertex AI multimodal embeddings (text + image).

Pinning a remote model
    Its weights are unknowable from here: the vendor serves them and can change them behind the same
    name. The pin is therefore the vendor's version string. ``weights_sha256()`` is the sha256 of a
    canonical JSON of (provider, API host, model, revision), so changing any of them gives a new
    space; ``revision`` is required for OpenAI (e.g. the model name plus the date you adopted it)
    and defaults to the versioned model name (``multimodalembedding@001``) for Vertex. The
    dimension is declared by an option, never found by calling the API.

Requests
    Bodies are batched by ``batch_size``; the API key (or access token) is read from the environment
    variable named by ``api_key_env`` at request time (missing → ModelError naming the variable; it
    is never stored or put into an error). 429, 5xx and connection errors are retried up to
    ``max_retries`` times with exponential backoff and full jitter (``backoff`` × 2^attempt, at most
    ``max_backoff`` seconds), honouring ``Retry-After``; then ModelError with the last status. Other
    4xx fail at once. Vectors are L2-normalized. Only the standard library's urllib is used.

Registry ids take their options as strings: ``openai-embeddings?model=text-embedding-3-small&dim=512
&revision=text-embedding-3-small-2024-01`` and ``vertex-multimodal?project=P&location=us-central1``.
"""

from __future__ import annotations

import base64
import email.utils
import http.client
import io
import json
import os
import random
import socket
import time
import urllib.error
import urllib.request
from dataclasses import asdict
from typing import Any, Callable
from urllib.parse import urlsplit

import numpy as np

from mediaground.errors import ModelError
from mediaground.models.base import Embedder, ImageEmbedder, ImagePreprocessor, l2_normalize
from mediaground.util import canonical_json, sha256_text

OPENAI_ID = "openai-embeddings"
VERTEX_ID = "vertex-multimodal"
MAX_RETRY_AFTER = 600.0  # seconds: a longer Retry-After is capped

# Injectable for tests: how to wait between attempts, and the jitter source.
_sleep: Callable[[float], None] = time.sleep
_random: Callable[[], float] = random.random


def register_remote(register: Callable[..., None]) -> None:
    register(OPENAI_ID, OpenAIEmbeddings)
    register(VERTEX_ID, VertexMultimodal)


def _int(name: str, value: Any, minimum: int = 1) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise ModelError(f"option {name} must be an integer, not {value!r}") from None
    if out < minimum:
        raise ModelError(f"option {name} must be at least {minimum}, not {value!r}")
    return out


def _float(name: str, value: Any) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise ModelError(f"option {name} must be a number, not {value!r}") from None
    if out < 0:
        raise ModelError(f"option {name} must not be negative, not {value!r}")
    return out


def _bool(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ModelError(f"option {name} must be true or false, not {value!r}")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date); None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return min(max(when.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


class _Remote:
    """HTTP plumbing shared by the remote backends (mixed into an Embedder)."""

    provider = ""
    model_id = ""
    api_key_env = ""
    base_url = ""
    max_retries = 5
    timeout = 30.0
    backoff = 0.5
    max_backoff = 30.0
    model = ""
    _revision = ""
    _dim = 0
    attempts = 0  # requests sent, retries included (for tests and diagnostics)

    def _setup(self, *, model_id: str | None, model: str, dim: Any, revision: str, base_url: str,
               api_key_env: str, batch_size: Any, max_retries: Any, timeout: Any, backoff: Any,
               max_backoff: Any) -> None:
        if not model:
            raise ModelError(f"{self.provider}: option model is required")
        if not revision:
            raise ModelError(f"{self.provider}: option revision is required (the vendor's version string)")
        self.model_id = model_id or self.model_id
        self.model = model
        self._dim = _int("dim", dim)
        self._revision = str(revision)
        self.base_url = base_url.rstrip("/")
        parts = urlsplit(self.base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ModelError(f"{self.provider}: base_url {base_url!r} is not an http(s) URL")
        self.api_key_env = api_key_env
        self.batch_size = _int("batch_size", batch_size)
        self.max_retries = _int("max_retries", max_retries, minimum=0)
        self.timeout = _float("timeout", timeout)
        self.backoff = _float("backoff", backoff)
        self.max_backoff = _float("max_backoff", max_backoff)
        self.attempts = 0

    # --- declarations -------------------------------------------------------------------
    @property
    def dim(self) -> int:
        return self._dim

    @property
    def revision(self) -> str:
        return self._revision

    def weights_sha256(self) -> str:
        """A remote model's weights are unknowable: the pin is the vendor's version string."""
        host = (urlsplit(self.base_url).hostname or "").lower()
        return sha256_text(canonical_json({"provider": self.provider, "host": host, "model": self.model,
                                           "revision": self._revision}))

    @property
    def runtime(self) -> str:
        return f"remote-{self.provider}"

    # --- HTTP ---------------------------------------------------------------------------
    def _key(self) -> str:
        key = os.environ.get(self.api_key_env, "").strip()
        if not key:
            raise ModelError(f"{self.model_id} needs an API key: set the environment variable {self.api_key_env}")
        return key

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        return _random() * min(self.max_backoff, self.backoff * (2 ** attempt))

    def _post(self, url: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode("utf-8")
        headers = {"Authorization": f"Bearer {self._key()}", "Content-Type": "application/json",
                   "Accept": "application/json", "User-Agent": "mediaground"}
        last = "no attempt"
        for attempt in range(self.max_retries + 1):
            retry_after = None
            self.attempts += 1
            request = urllib.request.Request(url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    payload = response.read()
                try:
                    return json.loads(payload)
                except ValueError as exc:
                    raise ModelError(f"{self.model_id}: the API answered with invalid JSON ({exc})") from exc
            except urllib.error.HTTPError as exc:
                detail = _excerpt(exc)
                if exc.code != 429 and exc.code < 500:
                    raise ModelError(f"{self.model_id}: HTTP {exc.code} from {url}: {detail}") from None
                last = f"HTTP {exc.code}: {detail}"
                retry_after = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except (urllib.error.URLError, http.client.HTTPException, ConnectionError, socket.timeout,
                    TimeoutError) as exc:
                reason = getattr(exc, "reason", exc)
                last = f"connection error: {reason}"
            if attempt < self.max_retries:
                _sleep(self._delay(attempt, retry_after))
        raise ModelError(f"{self.model_id}: {url} failed after {self.max_retries + 1} attempts; last: {last}")


def _excerpt(exc: urllib.error.HTTPError, limit: int = 300) -> str:
    try:
        text = exc.read().decode("utf-8", "replace")
    except Exception:  # the body is only for the message
        text = ""
    text = " ".join(text.split())
    return (text[:limit] + "…") if len(text) > limit else (text or exc.reason or "")


def _vector(value: Any, dim: int, what: str, model_id: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != dim:
        size = len(value) if isinstance(value, list) else type(value).__name__
        raise ModelError(f"{model_id}: {what} has {size} values, declared dim {dim}")
    return np.asarray(value, np.float32)


class OpenAIEmbeddings(_Remote, Embedder):
    """``POST {base_url}/embeddings`` with ``{"model", "input": [...], "dimensions": dim}``."""

    provider = "openai"
    model_id = OPENAI_ID
    inputs = frozenset({"text"})

    def __init__(self, model: str, dim: str | int, revision: str, base_url: str = "https://api.openai.com/v1",
                 api_key_env: str = "OPENAI_API_KEY", batch_size: str | int = 64, max_retries: str | int = 5,
                 timeout: str | float = 30, backoff: str | float = 0.5, max_backoff: str | float = 30,
                 send_dimensions: str | bool = True, model_id: str | None = None) -> None:
        self._setup(model_id=model_id, model=model, dim=dim, revision=revision, base_url=base_url,
                    api_key_env=api_key_env, batch_size=batch_size, max_retries=max_retries, timeout=timeout,
                    backoff=backoff, max_backoff=max_backoff)
        # text-embedding-ada-002 rejects "dimensions": send_dimensions=false leaves it out
        self.send_dimensions = _bool("send_dimensions", send_dimensions)

    def preprocessor_config(self) -> dict[str, Any]:
        return {"api": "openai-embeddings", "dimensions": self._dim if self.send_dimensions else None,
                "normalize": True}

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        body: dict[str, Any] = {"model": self.model, "input": list(texts)}
        if self.send_dimensions:
            body["dimensions"] = self._dim
        data = self._post(f"{self.base_url}/embeddings", body).get("data")
        if not isinstance(data, list) or len(data) != len(texts):
            got = len(data) if isinstance(data, list) else "no"
            raise ModelError(f"{self.model_id}: sent {len(texts)} texts, got {got} embeddings back")
        try:
            rows = sorted(data, key=lambda d: int(d["index"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelError(f"{self.model_id}: an embedding in the answer has no index") from exc
        if [int(r["index"]) for r in rows] != list(range(len(texts))):
            raise ModelError(f"{self.model_id}: the answer's indexes are not 0..{len(texts) - 1}")
        return l2_normalize(np.stack([_vector(r.get("embedding"), self._dim, f"embedding {r['index']}",
                                              self.model_id) for r in rows]))


class VertexMultimodal(_Remote, ImageEmbedder):
    """Vertex AI ``multimodalembedding``: text and images in one space (``{base_url}:predict``).

    Images arrive as the pipeline's uint8 NCHW crops (``preprocessor``: a ``image_size`` center
    square, 512 px by default) and are sent as PNG, base64. No labels: ``run`` returns no
    probabilities. The API takes one instance a request today, hence ``batch_size`` 1 by default.
    """

    provider = "vertex"
    model_id = VERTEX_ID
    inputs = frozenset({"text", "image"})

    def __init__(self, model: str = "multimodalembedding@001", dim: str | int = 1408, revision: str | None = None,
                 base_url: str | None = None, api_key_env: str = "VERTEX_ACCESS_TOKEN", project: str | None = None,
                 location: str = "us-central1", batch_size: str | int = 1, max_retries: str | int = 5,
                 timeout: str | float = 30, backoff: str | float = 0.5, max_backoff: str | float = 30,
                 image_size: str | int = 512, model_id: str | None = None) -> None:
        if base_url is None:
            if not project:
                raise ModelError(f"{VERTEX_ID}: give option project (and location), or base_url")
            base_url = (f"https://{location}-aiplatform.googleapis.com/v1/projects/{project}/locations/"
                        f"{location}/publishers/google/models/{model}")
        self._setup(model_id=model_id, model=model, dim=dim, revision=revision or model, base_url=base_url,
                    api_key_env=api_key_env, batch_size=batch_size, max_retries=max_retries, timeout=timeout,
                    backoff=backoff, max_backoff=max_backoff)
        size = _int("image_size", image_size)
        self.preprocessor = ImagePreprocessor(size=size, resize_shorter=size, mean=(0.0, 0.0, 0.0),
                                              std=(1.0, 1.0, 1.0))

    def preprocessor_config(self) -> dict[str, Any]:
        return {"api": "vertex-predict", "dimension": self._dim, "image": asdict(self.preprocessor),
                "image_encoding": "png", "normalize": True}

    def _predict(self, instances: list[dict[str, Any]], key: str) -> np.ndarray:
        answer = self._post(f"{self.base_url}:predict",
                            {"instances": instances, "parameters": {"dimension": self._dim}})
        predictions = answer.get("predictions")
        if not isinstance(predictions, list) or len(predictions) != len(instances):
            got = len(predictions) if isinstance(predictions, list) else "no"
            raise ModelError(f"{self.model_id}: sent {len(instances)} instances, got {got} predictions back")
        rows = []
        for i, p in enumerate(predictions):
            value = p.get(key) if isinstance(p, dict) else None
            rows.append(_vector(value, self._dim, f"prediction {i} {key}", self.model_id))
        return l2_normalize(np.stack(rows))

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        return self._predict([{"text": t} for t in texts], "textEmbedding")

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, None]:
        pixels = np.asarray(pixels)
        if pixels.ndim != 4 or pixels.shape[1] != 3:
            raise ModelError(f"{self.model_id}: expected uint8 (N,3,H,W) pixels, got shape {pixels.shape}")
        if not len(pixels):
            return np.zeros((0, self._dim), np.float32), None
        out = [self._predict([{"image": {"bytesBase64Encoded": _png_base64(p)}} for p in pixels[i:i + self.batch_size]],
                             "imageEmbedding")
               for i in range(0, len(pixels), self.batch_size)]
        return np.concatenate(out).astype(np.float32, copy=False), None

    @property
    def labels(self) -> list[str]:
        return []


def _png_base64(chw: np.ndarray) -> str:
    from PIL import Image  # image backends only: not loaded by importing the registry

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(np.asarray(chw, np.uint8).transpose(1, 2, 0)), "RGB").save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode("ascii")
