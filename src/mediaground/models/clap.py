"""CLAP (LAION, transformers ``ClapModel``): sound and text in one space, from a local checkpoint folder
(``config.json``, weights, tokenizer and the ``ClapFeatureExtractor``'s ``preprocessor_config.json``,
as ``save_pretrained`` writes them, e.g. a snapshot of ``laion/clap-htsat-unfused`` fetched by
``mediaground models pull``). Nothing is downloaded: every load is ``local_files_only``.

Audio arrives as 16 kHz mono float32 (`media.audio.SAMPLE_RATE`) and is cut into the same windows
as Whisper's (`media.audio.windows`: ``WINDOW_S`` = 10 s every ``HOP_S`` = 5 s, the last window
moved back to end at the end, a clip shorter than a window is one window of its own length). Each
window is resampled on its own to the feature extractor's rate (48 kHz) with
``scipy.signal.resample_poly`` and featurized on its own, so a window's vector depends only on its
samples, never on its neighbours or on which windows shared a batch. Windows are at most
``max_length_s`` (10 s), so the extractor never crops at random; shorter ones are padded its
configured way (``repeatpad``: the clip repeated, then zeros).

Determinism: transformers' extractor, in ``fusion`` mode, marks one random clip of a batch as
"longer" when none is (a training-time trick); here no window is longer than ``max_length_s``, so
``is_longer`` is all False and only the global mel (channel 0, identical to the other three for a
short clip) reaches the model, fused or not.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np

from mediaground.errors import ModelError
from mediaground.models.base import Embedder, as_mono_audio, l2_normalize
from mediaground.models.hf_clip import HFFolderModel, import_transformers, load_pretrained, pooled, read_json

FAMILY = "clap"
INPUT_RATE = 16_000      # media.audio.SAMPLE_RATE
WINDOW_S = 10.0          # as whisper.py
HOP_S = 5.0
DEFAULT_PROMPT = "the sound of {}"
# The ClapFeatureExtractor settings that change the features (preprocessor_config.json keys).
FEATURE_KEYS = ("sampling_rate", "feature_size", "fft_window_size", "hop_length", "max_length_s", "truncation",
                "padding", "frequency_min", "frequency_max", "top_db")
FEATURE_DEFAULTS = {"sampling_rate": 48_000, "feature_size": 64, "fft_window_size": 1024, "hop_length": 480,
                    "max_length_s": 10, "truncation": "fusion", "padding": "repeatpad", "frequency_min": 0,
                    "frequency_max": 14_000, "top_db": None}


class CLAP(HFFolderModel, Embedder):
    """A CLAP checkpoint folder: audio windows and text queries in one space (``audio+text``)."""

    inputs = frozenset({"text", "audio"})
    space_modality = "audio+text"
    batch_size = 32          # texts per forward pass
    audio_batch_size = 8     # windows per forward pass
    window_s = WINDOW_S
    hop_s = HOP_S

    def __init__(self, path: str, model_id: str | None = None, revision: str | None = None,
                 prompt: str | None = None) -> None:
        self._open_folder(path, FAMILY, "clap", model_id, revision, prompt, DEFAULT_PROMPT)
        dim = self._config.get("projection_dim", 512)
        if not isinstance(dim, int) or dim <= 0:
            raise ModelError(f"{self.model_id}: bad projection_dim {dim!r} in {self._dir / 'config.json'}")
        self._dim = dim
        fe = read_json(self._dir / "preprocessor_config.json", self.model_id)
        self._features_cfg = {k: fe.get(k, FEATURE_DEFAULTS[k]) for k in FEATURE_KEYS}
        rate = self._features_cfg["sampling_rate"]
        if not isinstance(rate, int) or rate <= 0:
            raise ModelError(f"{self.model_id}: bad sampling_rate {rate!r} in preprocessor_config.json")
        self._extractor = None

    # --- declarations ---------------------------------------------------------------------
    @property
    def sampling_rate(self) -> int:
        """The rate the model hears (the feature extractor's), 48 kHz for the LAION checkpoints."""
        return int(self._features_cfg["sampling_rate"])

    @property
    def max_window_s(self) -> float:
        return float(self._features_cfg["max_length_s"])

    def _text_max_length(self) -> int:
        # RoBERTa positions start after the padding index: max_position_embeddings - pad - 1 usable.
        text = self._config.get("text_config") or {}
        pad = text.get("pad_token_id", 1)
        return int(text.get("max_position_embeddings", 514)) - (pad if isinstance(pad, int) else 1) - 1

    def preprocessor_config(self) -> dict[str, Any]:
        return {"family": FAMILY, "features": dict(self._features_cfg), "input_rate": INPUT_RATE,
                "resampler": "scipy.signal.resample_poly", "window_s": self.window_s, "hop_s": self.hop_s,
                "windows": "each window featurized alone; is_longer false; global mel only",
                "text": {"tokenizer": "folder", "max_length": self._text_max_length(), "padding": "longest"},
                "normalize": True}

    # --- loading --------------------------------------------------------------------------
    def _load(self):
        with self._lock:
            if self._model is None:
                torch, cls, fe_cls = import_transformers(self.model_id, "ClapModel", "ClapFeatureExtractor")
                extractor = load_pretrained(self.model_id, self._dir, "feature extractor",
                                            lambda: fe_cls.from_pretrained(str(self._dir), local_files_only=True))
                model = load_pretrained(self.model_id, self._dir, "model", lambda: cls.from_pretrained(
                    str(self._dir), local_files_only=True))
                self._extractor = extractor
                self._model = model.to(torch.float32).eval()
            return self._model

    # --- work -----------------------------------------------------------------------------
    def embed_windows(self, audio: np.ndarray, window_s: float = WINDOW_S,
                      hop_s: float = HOP_S) -> tuple[np.ndarray, list[tuple[float, float]]]:
        """(n, dim) L2-normalized vectors of fixed windows of 16 kHz audio and their (start, end) seconds."""
        from mediaground.media.audio import windows  # media.audio loads PyAV: only where audio is embedded

        if window_s > self.max_window_s:
            raise ModelError(f"{self.model_id}: window_s {window_s} is longer than the model's "
                             f"{self.max_window_s:g} s input")
        audio = as_mono_audio(audio)
        try:
            spans = windows(len(audio) / INPUT_RATE, window_s, hop_s)
        except ValueError as exc:
            raise ModelError(f"{self.model_id}: {exc}") from exc
        if not spans:
            return np.zeros((0, self.dim), np.float32), spans
        pieces = [audio[round(start * INPUT_RATE):round(end * INPUT_RATE)] for start, end in spans]
        out = []
        for i in range(0, len(pieces), self.audio_batch_size):
            out.append(self._embed_pieces(pieces[i:i + self.audio_batch_size]))
        return l2_normalize(np.concatenate(out)), spans

    def embed_audio(self, audio: np.ndarray) -> np.ndarray:
        """One (dim,) vector for a whole query clip: its single window when it is at most a window
        long, else the re-normalized mean of its window vectors."""
        vectors, _ = self.embed_windows(audio)
        if not len(vectors):
            raise ModelError(f"{self.model_id}: no audio to embed")
        return l2_normalize(vectors.astype(np.float64).mean(axis=0, keepdims=True))[0]

    def _embed_pieces(self, pieces: list[np.ndarray]) -> np.ndarray:
        from scipy.signal import resample_poly  # heavy (~0.7 s): only CLAP's resampling needs it

        model = self._load()
        import torch  # heavy: already loaded by _load(), never at import

        rate = self.sampling_rate
        g = math.gcd(rate, INPUT_RATE)
        mels = []
        for samples in pieces:
            if len(samples) == 0:  # pragma: no cover - windows() never gives an empty span
                samples = np.zeros(1, np.float32)
            if rate != INPUT_RATE:
                samples = resample_poly(samples.astype(np.float64), rate // g, INPUT_RATE // g)
            feats = self._extractor(samples.astype(np.float32), sampling_rate=rate, return_tensors="np")
            mels.append(np.asarray(feats["input_features"], np.float32)[:, :1])  # global mel only
        x = torch.from_numpy(np.concatenate(mels))
        is_longer = torch.zeros((len(pieces), 1), dtype=torch.bool)
        with torch.inference_mode():
            feats = pooled(model.get_audio_features(input_features=x, is_longer=is_longer))
        return feats.float().numpy()

    def _embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        # `texts` already carry the prompt: Embedder.embed_texts applies self.prompt.
        tokenizer = self._load_tokenizer()
        model = self._load()
        import torch  # heavy: already loaded by _load(), never at import

        enc = tokenizer(list(texts), padding=True, truncation=True, max_length=self._text_max_length(),
                        return_tensors="pt")
        with torch.inference_mode():
            feats = pooled(model.get_text_features(input_ids=enc["input_ids"],
                                                   attention_mask=enc["attention_mask"]))
        return l2_normalize(feats.float().numpy())
