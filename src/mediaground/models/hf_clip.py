"""Joint image-text spaces from transformers checkpoints in a local folder: CLIP (``CLIPModel``, also
OpenCLIP conversions) and SigLIP (``SiglipModel``).

The folder is what ``save_pretrained`` writes (``config.json``, ``model.safetensors`` or
``pytorch_model.bin``, possibly sharded, a tokenizer and ``preprocessor_config.json``), e.g. a hub
snapshot fetched by ``mediaground models pull``. Nothing is ever downloaded here: every load is
``local_files_only``.

Declarations come from files, never from running the model: the dimension from ``config.json``
(CLIP ``projection_dim``; SigLIP the text head's ``projection_size``, which must equal the vision
``hidden_size``), the pinned weights from the sha256 of the weight files, and the image
preprocessing from ``preprocessor_config.json``, reimplemented with PIL + numpy (no torchvision)
to give the same uint8 pixels as transformers' PIL image processors:

- CLIP: resize the shorter side to ``size.shortest_edge`` (PIL filter ``resample``, bicubic), then
  center-crop ``crop_size``;
- SigLIP: resize to ``size.height`` × ``size.width`` (aspect ratio not kept), no crop;
- then ``x * rescale_factor``, minus ``image_mean``, over ``image_std`` (`normalize`).

Text goes through the folder's own tokenizer: CLIP pads to the longest text in the batch and
truncates at ``max_position_embeddings`` (77); SigLIP pads to ``max_length``
(``max_position_embeddings``, 64) as it was trained, and like the original model gets no attention
mask (its text tower pools the last position, padding included).
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from mediaground.errors import ModelError
from mediaground.models import runtime as rt
from mediaground.models.base import ImageEmbedder, l2_normalize
from mediaground.util import canonical_json, sha256_text

# family → (transformers model class, config model_type, default prompt)
FAMILIES: dict[str, tuple[str, str, str]] = {
    "clip": ("CLIPModel", "clip", "a photo of {}."),
    "siglip": ("SiglipModel", "siglip", "This is a photo of {}."),
}

# PIL / transformers `PILImageResampling` integer codes.
RESAMPLE = {0: "nearest", 1: "lanczos", 2: "bilinear", 3: "bicubic", 4: "box", 5: "hamming"}

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


# --- shared with clap.py ----------------------------------------------------------------------
def model_folder(path: str | Path | None, model_id: str, family: str) -> Path:
    """The checkpoint folder, or a ModelError that says how to get one."""
    hint = (f"get weights with `mediaground models pull {model_id}` or pass the folder of a "
            f"transformers checkpoint (save_pretrained) as `{family}?path=DIR`")
    if path is None or str(path).strip() == "":
        raise ModelError(f"{model_id}: no model folder given; {hint}")
    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise ModelError(f"{model_id}: model folder {folder} does not exist; {hint}")
    if not (folder / "config.json").is_file():
        raise ModelError(f"{model_id}: {folder} has no config.json (not a transformers checkpoint); {hint}")
    return folder


def read_json(path: Path, model_id: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(f"{model_id}: {path} is missing") from exc
    except (OSError, ValueError) as exc:
        raise ModelError(f"{model_id}: cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelError(f"{model_id}: {path} is not a JSON object")
    return data


def weight_files(folder: Path, model_id: str) -> list[Path]:
    """The weight files transformers would load: safetensors first, else PyTorch pickles;
    single file or shards (``model-00001-of-00002.safetensors`` + index)."""
    for name in WEIGHT_FILES:
        stem, ext = name.rsplit(".", 1)
        if (folder / name).is_file():
            return [folder / name]
        shards = sorted(folder.glob(f"{stem}-*-of-*.{ext}"))
        if shards:
            return shards
    raise ModelError(f"{model_id}: no weights in {folder} (expected {' or '.join(WEIGHT_FILES)}, "
                     "possibly sharded)")


def folder_weights_sha256(folder: Path, model_id: str) -> str:
    """sha256 of the weight file; several shards → sha256 of the sorted (name, sha256) list."""
    files = weight_files(folder, model_id)
    if len(files) == 1:
        return rt.weights_sha256(files[0])
    return sha256_text(canonical_json(sorted([f.name, rt.weights_sha256(f)] for f in files)))


def import_transformers(model_id: str, *names: str):
    """torch, then the named transformers attributes; a missing package or class is a ModelError."""
    try:  # torch and transformers are heavy (seconds): loaded with the model, never at import
        import torch
        import transformers
        from transformers.utils import logging as hf_logging
    except ImportError as exc:
        raise ModelError(f"{model_id} needs torch and transformers: pip install torch transformers "
                         f"({exc})") from exc
    hf_logging.disable_progress_bar()  # library code never prints
    out = []
    for name in names:
        try:
            out.append(getattr(transformers, name))
        except (ImportError, AttributeError) as exc:
            raise ModelError(f"{model_id}: this transformers ({transformers.__version__}) cannot provide "
                             f"{name}: {exc}; pip install -U transformers") from exc
    return torch, *out


def load_pretrained(model_id: str, folder: Path, what: str, load):
    """Run a from_pretrained call, turning its failures into ModelErrors that name the folder."""
    try:
        return load()
    except ModelError:
        raise
    except ImportError as exc:  # e.g. a sentencepiece tokenizer without sentencepiece installed
        raise ModelError(f"{model_id}: loading the {what} from {folder} needs a missing package: {exc}") from exc
    except Exception as exc:  # noqa: BLE001 - OSError, ValueError, KeyError... from deep in transformers
        raise ModelError(f"{model_id}: cannot load the {what} from {folder}: {type(exc).__name__}: {exc}") from exc


def pooled(out):
    """transformers ≥ 5 returns model outputs from get_*_features; 4.x returned the tensor."""
    return out if hasattr(out, "detach") else out.pooler_output


# --- preprocessing ----------------------------------------------------------------------------
@dataclass(frozen=True)
class HFImagePreprocessor:
    """transformers-style image preprocessing (same call contract as `base.ImagePreprocessor`).

    ``__call__``: RGB PIL image → uint8 CHW, resized with PIL exactly like transformers' PIL
    backend (``shortest_edge`` resize keeping the aspect ratio, or an exact ``resize_hw``), then
    center-cropped to ``crop_hw`` (zero-padded when the image is smaller, like transformers).
    ``normalize``: uint8 NCHW → float32 ``(x * rescale_factor - mean) / std``.
    ``resize_shorter`` is the shorter side the decoder's draft mode must keep.
    """

    shortest_edge: int | None
    resize_hw: tuple[int, int] | None
    crop_hw: tuple[int, int] | None
    resample: str
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    rescale_factor: float
    resize_shorter: int

    @property
    def output_hw(self) -> tuple[int, int]:
        hw = self.crop_hw or self.resize_hw
        assert hw is not None
        return hw

    @property
    def size(self) -> int:
        return max(self.output_hw)

    def __call__(self, image) -> np.ndarray:
        from PIL import Image  # decoders only: not loaded by importing the registry

        if image.mode != "RGB":
            image = image.convert("RGB")
        filt = Image.Resampling[self.resample.upper()]
        w, h = image.size
        if self.shortest_edge:
            short, long = (w, h) if w <= h else (h, w)
            new_long = int(self.shortest_edge * long / short)
            new_w, new_h = (self.shortest_edge, new_long) if w <= h else (new_long, self.shortest_edge)
            image = image.resize((new_w, new_h), filt)
        elif self.resize_hw:
            image = image.resize((self.resize_hw[1], self.resize_hw[0]), filt)
        pixels = np.asarray(image, dtype=np.uint8).transpose(2, 0, 1)
        if self.crop_hw:
            pixels = _center_crop(pixels, self.crop_hw)
        return np.ascontiguousarray(pixels)

    def normalize(self, pixels: np.ndarray) -> np.ndarray:
        mean = np.asarray(self.mean, np.float32).reshape(1, 3, 1, 1)
        std = np.asarray(self.std, np.float32).reshape(1, 3, 1, 1)
        return ((pixels.astype(np.float32) * np.float32(self.rescale_factor) - mean) / std).astype(np.float32)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "transformers-pil", **asdict(self)}


def _center_crop(pixels: np.ndarray, crop_hw: tuple[int, int]) -> np.ndarray:
    """transformers' `center_crop` on CHW: floor offsets; zero padding (ceil) when too small."""
    ch, cw = crop_hw
    _, h, w = pixels.shape
    top, left = (h - ch) // 2, (w - cw) // 2
    if top >= 0 and left >= 0:
        return pixels[:, top:top + ch, left:left + cw]
    nh, nw = max(ch, h), max(cw, w)
    canvas = np.zeros((pixels.shape[0], nh, nw), pixels.dtype)
    tp, lp = -(-(nh - h) // 2), -(-(nw - w) // 2)
    canvas[:, tp:tp + h, lp:lp + w] = pixels
    top, left = top + tp, left + lp
    return canvas[:, max(0, top):min(nh, top + ch), max(0, left):min(nw, left + cw)]


def _hw(value: Any, what: str, model_id: str) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int):
        return (value, value)
    if isinstance(value, dict) and "height" in value and "width" in value:
        return (int(value["height"]), int(value["width"]))
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (int(value[0]), int(value[1]))
    raise ModelError(f"{model_id}: unsupported {what} {value!r} in preprocessor_config.json")


def image_preprocessor(cfg: dict[str, Any], family: str, model_id: str) -> HFImagePreprocessor:
    """Our preprocessor from a transformers ``preprocessor_config.json`` (old and new key styles)."""
    size = cfg.get("size", 224)
    shortest_edge = resize_hw = None
    if cfg.get("do_resize", True):
        if isinstance(size, dict) and "shortest_edge" in size:
            if size.get("longest_edge"):
                raise ModelError(f"{model_id}: size.longest_edge is not supported in preprocessor_config.json")
            shortest_edge = int(size["shortest_edge"])
        elif isinstance(size, int) and family == "clip":  # old CLIP configs: `size: 224` = shortest edge
            shortest_edge = size
        else:
            resize_hw = _hw(size, "size", model_id)
    crop_hw = None
    if cfg.get("do_center_crop", family == "clip"):
        crop_hw = _hw(cfg.get("crop_size", shortest_edge or 224), "crop_size", model_id)
    if crop_hw is None and (shortest_edge or resize_hw is None):
        raise ModelError(f"{model_id}: preprocessor_config.json gives images of varying size "
                         "(no center crop after a shortest-edge resize, or no resize at all)")
    resample = cfg.get("resample", 3)  # both processors default to bicubic
    if resample not in RESAMPLE:
        raise ModelError(f"{model_id}: unsupported resample {resample!r} in preprocessor_config.json")
    default_mean, default_std = ((0.48145466, 0.4578275, 0.40821073), (0.26862954, 0.26130258, 0.27577711)) \
        if family == "clip" else ((0.5,) * 3, (0.5,) * 3)
    mean, std = cfg.get("image_mean", default_mean), cfg.get("image_std", default_std)
    if not cfg.get("do_normalize", True):
        mean, std = (0.0,) * 3, (1.0,) * 3
    mean = tuple(float(x) for x in (mean if isinstance(mean, (list, tuple)) else [mean] * 3))
    std = tuple(float(x) for x in (std if isinstance(std, (list, tuple)) else [std] * 3))
    if len(mean) != 3 or len(std) != 3:
        raise ModelError(f"{model_id}: image_mean/image_std must have 3 values")
    rescale = float(cfg.get("rescale_factor", 1 / 255)) if cfg.get("do_rescale", True) else 1.0
    # Draft decoding may shrink a JPEG as long as the shorter side stays at least this.
    out_hw = crop_hw or resize_hw
    resize_shorter = shortest_edge or max(resize_hw or out_hw)
    return HFImagePreprocessor(shortest_edge=shortest_edge, resize_hw=resize_hw, crop_hw=crop_hw,
                               resample=RESAMPLE[resample], mean=mean, std=std, rescale_factor=rescale,
                               resize_shorter=int(resize_shorter))


# --- what every checkpoint-folder backend shares ----------------------------------------------
class HFFolderModel:
    """A transformers checkpoint folder as a pinned backend: id, revision, prompt and weights sha
    (the space's identity), the folder's config read without loading weights, and the torch model
    and tokenizer loaded lazily, once. Mixed in before Embedder by CLIP/SigLIP and CLAP."""

    _dim: int

    def _open_folder(self, path: str, family: str, model_type: str, model_id: str | None,
                     revision: str | None, prompt: str | None, default_prompt: str) -> None:
        self.model_id = model_id or family
        self._revision = revision or "local"
        self.prompt = default_prompt if prompt is None else prompt
        try:
            self.prompt.format("x")
        except (IndexError, KeyError, ValueError) as exc:
            raise ModelError(f"{self.model_id}: prompt must contain one '{{}}', got {self.prompt!r}") from exc
        self._dir = model_folder(path, self.model_id, family)
        self._config = read_json(self._dir / "config.json", self.model_id)
        if self._config.get("model_type") != model_type:
            raise ModelError(f"{self.model_id}: {self._dir} holds a {self._config.get('model_type')!r} model, "
                             f"not {model_type!r} (family={family})")
        self._lock = threading.Lock()
        self._model = None
        self._tokenizer = None

    @property
    def path(self) -> Path:
        return self._dir

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def revision(self) -> str:
        return self._revision

    def weights_sha256(self) -> str:
        return folder_weights_sha256(self._dir, self.model_id)  # memoized by (path, size, mtime)

    @property
    def runtime(self) -> str:
        return rt.torch_version()

    def _load_tokenizer(self):
        with self._lock:
            if self._tokenizer is None:
                _, auto = import_transformers(self.model_id, "AutoTokenizer")
                self._tokenizer = load_pretrained(self.model_id, self._dir, "tokenizer", lambda: auto.from_pretrained(
                    str(self._dir), local_files_only=True))
            return self._tokenizer


# --- the backend ------------------------------------------------------------------------------
class HFImageText(HFFolderModel, ImageEmbedder):
    """A CLIP or SigLIP checkpoint folder: image and text vectors in one space (``image+text``)."""

    inputs = frozenset({"text", "image"})
    space_modality = "image+text"
    batch_size = 32

    def __init__(self, path: str, family: str = "clip", model_id: str | None = None,
                 revision: str | None = None, prompt: str | None = None) -> None:
        if family not in FAMILIES:
            raise ModelError(f"family must be one of {', '.join(sorted(FAMILIES))}, not {family!r}")
        self.family = family
        self._class_name, model_type, default_prompt = FAMILIES[family]
        self._open_folder(path, family, model_type, model_id, revision, prompt, default_prompt)
        self._dim = self._read_dim()
        self.preprocessor = image_preprocessor(
            read_json(self._dir / "preprocessor_config.json", self.model_id), family, self.model_id)

    # --- declarations ---------------------------------------------------------------------
    def _read_dim(self) -> int:
        cfg = self._config
        if self.family == "clip":
            dim = cfg.get("projection_dim", 512)
        else:  # SigLIP: the text head maps to projection_size (default hidden_size); the vision
            # attention-pooling head keeps the vision hidden_size. Both must agree.
            text, vision = cfg.get("text_config") or {}, cfg.get("vision_config") or {}
            text_dim = text.get("projection_size") or text.get("hidden_size", 768)
            vision_dim = vision.get("hidden_size", 768)
            if text_dim != vision_dim:
                raise ModelError(f"{self.model_id}: text ({text_dim}) and image ({vision_dim}) embeddings "
                                 f"differ in size in {self._dir / 'config.json'}")
            dim = text_dim
        if not isinstance(dim, int) or dim <= 0:
            raise ModelError(f"{self.model_id}: bad embedding size {dim!r} in {self._dir / 'config.json'}")
        return dim

    def preprocessor_config(self) -> dict[str, Any]:
        text = self._config.get("text_config") or {}
        return {"family": self.family, "image": self.preprocessor.to_dict(),
                "text": {"tokenizer": "folder", "max_length": self._max_length(text),
                         "padding": "max_length" if self.family == "siglip" else "longest",
                         "attention_mask": self.family != "siglip"},
                "normalize": True}

    def _max_length(self, text_cfg: dict[str, Any]) -> int:
        return int(text_cfg.get("max_position_embeddings", 77 if self.family == "clip" else 64))

    # --- loading --------------------------------------------------------------------------
    def _load(self):
        with self._lock:
            if self._model is None:
                torch, cls = import_transformers(self.model_id, self._class_name)
                model = load_pretrained(self.model_id, self._dir, "model", lambda: cls.from_pretrained(
                    str(self._dir), local_files_only=True))
                self._model = model.to(torch.float32).eval()
            return self._model

    # --- work -----------------------------------------------------------------------------
    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, None]:
        pixels = np.asarray(pixels)
        h, w = self.preprocessor.output_hw
        if pixels.ndim != 4 or pixels.shape[1:] != (3, h, w):
            raise ModelError(f"{self.model_id}: expected pixels (N, 3, {h}, {w}), got {pixels.shape}")
        if not len(pixels):
            return np.zeros((0, self.dim), np.float32), None
        model = self._load()
        import torch  # heavy: already loaded by _load(), never at import

        out = []
        for i in range(0, len(pixels), self.batch_size):
            x = torch.from_numpy(self.preprocessor.normalize(pixels[i:i + self.batch_size]))
            with torch.inference_mode():
                out.append(pooled(model.get_image_features(pixel_values=x)).float().numpy())
        return l2_normalize(np.concatenate(out)), None

    def _embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        # `texts` already carry the prompt: Embedder.embed_texts applies self.prompt.
        tokenizer = self._load_tokenizer()
        model = self._load()
        import torch  # heavy: already loaded by _load(), never at import

        text_cfg = self._config.get("text_config") or {}
        if self.family == "siglip":
            enc = tokenizer(list(texts), padding="max_length", truncation=True,
                            max_length=self._max_length(text_cfg), return_tensors="pt")
            feeds = {"input_ids": enc["input_ids"]}
        else:
            enc = tokenizer(list(texts), padding=True, truncation=True,
                            max_length=self._max_length(text_cfg), return_tensors="pt")
            feeds = {"input_ids": enc["input_ids"], "attention_mask": enc["attention_mask"]}
        with torch.inference_mode():
            feats = pooled(model.get_text_features(**feeds)).float().numpy()
        return l2_normalize(feats)
