"""Deterministic fake backends for fast tests, registered through the real plugin path.

FakeText hashes words (sha256, never Python's salted hash) into a bag-of-words vector, so texts
sharing words are similar. FakeImage describes an image by a coarse colour thumbnail and labels it
with its dominant colour name, which exercises the label → text bridge without a real model.
Both count their calls so tests can assert batching and skipped work.

They are not shipped: `install_plugin` makes them a third-party backend like any other, an
installed distribution (a ``.dist-info`` folder whose ``entry_points.txt`` names `register` in the
``mediaground.models`` group) on ``sys.path`` and on ``PYTHONPATH``, so the registry finds them in
this process, after `registry.reset_for_tests()`, and in every Python process started from it
(the ``mediaground`` command, servers, ``spawn`` workers). tests/conftest.py calls it at import;
benchmarks/serve.py --fake too.
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from mediaground.models.base import Embedder, ImageEmbedder, ImagePreprocessor, l2_normalize
from mediaground.models.speech import Segment, Transcript, Word

HERE = Path(__file__).resolve().parent
DIST = "mediaground_test_fakes"

COLOURS = {
    "red": (0.9, 0.1, 0.1), "green": (0.1, 0.8, 0.1), "blue": (0.1, 0.1, 0.9),
    "yellow": (0.9, 0.9, 0.1), "white": (0.95, 0.95, 0.95), "black": (0.05, 0.05, 0.05),
    "grey": (0.5, 0.5, 0.5), "orange": (0.95, 0.55, 0.1), "purple": (0.5, 0.1, 0.6),
}


def _bucket(word: str, dim: int) -> int:
    return int.from_bytes(hashlib.sha256(word.encode()).digest()[:4], "little") % dim


class FakeText(Embedder):
    model_id = "fake-text"
    inputs = frozenset({"text"})
    batch_size = 8

    def __init__(self, dim: str = "64") -> None:
        self.calls = 0
        self.texts_seen = 0
        self._dim = int(dim)  # an option (`fake-text?dim=32`): another space

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def revision(self) -> str:
        return "1"

    def weights_sha256(self) -> str:
        return hashlib.sha256(b"fake-text-v1").hexdigest()

    @property
    def runtime(self) -> str:
        return "numpy"

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        self.texts_seen += len(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[row, _bucket(word, self.dim)] += 1.0
            out[row, _bucket("\0bias", self.dim)] += 0.01  # empty text still has a direction
        return l2_normalize(out)


class FakeImage(ImageEmbedder):
    model_id = "fake-image"
    batch_size = 4
    preprocessor = ImagePreprocessor(size=16, resize_shorter=16, mean=(0.0,) * 3, std=(1.0,) * 3)

    def __init__(self, grid: str = "4") -> None:
        self.calls = 0
        self.images_seen = 0
        self.grid = int(grid)  # an option (`fake-image?grid=2`): another space, another dimension
        if self.grid not in (1, 2, 4, 8, 16):
            raise ValueError("grid must divide 16")

    @property
    def dim(self) -> int:
        return 3 * self.grid * self.grid

    def preprocessor_config(self):
        config = super().preprocessor_config()
        if self.grid != 4:  # the default's hash (and so its space id) stays what it always was
            config["grid"] = self.grid
        return config

    @property
    def revision(self) -> str:
        return "1"

    def weights_sha256(self) -> str:
        return hashlib.sha256(b"fake-image-v1").hexdigest()

    @property
    def runtime(self) -> str:
        return "numpy"

    @property
    def labels(self) -> list[str]:
        return list(COLOURS)

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        time.sleep(float(os.environ.get("MEDIAGROUND_FAKE_DELAY", "0")))  # lets crash tests kill mid-batch
        self.calls += 1
        self.images_seen += len(pixels)
        n = len(pixels)
        pixels = self.preprocessor.normalize(pixels)
        g, c = self.grid, 16 // self.grid
        thumb = pixels.reshape(n, 3, g, c, g, c).mean(axis=(3, 5)).reshape(n, -1)  # g×g colour grid
        mean_rgb = pixels.mean(axis=(2, 3))
        palette = np.asarray(list(COLOURS.values()), np.float32)
        dist = ((mean_rgb[:, None, :] - palette[None]) ** 2).sum(-1)
        scores = np.exp(-dist * 20)
        return l2_normalize(thumb.astype(np.float32)), (scores / scores.sum(1, keepdims=True)).astype(np.float32)


class FakeJoint(ImageEmbedder):
    """A fake CLIP: texts and images land in one space of colour names. A text's vector counts the
    colour words it says; an image's vector is its closeness to each colour. For added-space tests."""

    model_id = "fake-joint"
    inputs = frozenset({"text", "image"})
    space_modality = "image+text"
    batch_size = 4
    preprocessor = ImagePreprocessor(size=16, resize_shorter=16, mean=(0.0,) * 3, std=(1.0,) * 3)
    prompt = "a photo of {}"

    @property
    def dim(self) -> int:
        return len(COLOURS)

    @property
    def revision(self) -> str:
        return "1"

    def weights_sha256(self) -> str:
        return hashlib.sha256(b"fake-joint-v1").hexdigest()

    @property
    def runtime(self) -> str:
        return "numpy"

    def _embed_texts(self, texts: list[str]) -> np.ndarray:
        out = np.full((len(texts), self.dim), 1e-3, np.float32)
        names = list(COLOURS)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                if word in COLOURS:
                    out[row, names.index(word)] += 1.0
        return l2_normalize(out)

    def run(self, pixels: np.ndarray) -> tuple[np.ndarray, None]:
        mean_rgb = self.preprocessor.normalize(pixels).mean(axis=(2, 3))
        palette = np.asarray(list(COLOURS.values()), np.float32)
        scores = np.exp(-((mean_rgb[:, None, :] - palette[None]) ** 2).sum(-1) * 20)
        return l2_normalize(scores.astype(np.float32)), None


class FakeAudio(Embedder):
    """A fake speech backend: "transcribes" each second of sound as the tone it hears
    ("tone 440 hertz") and embeds 2 s windows (1 s hop) by their energy in 16 frequency bands."""

    model_id = "fake-audio"
    inputs = frozenset({"audio"})
    window_s = 2.0
    hop_s = 1.0

    def __init__(self) -> None:
        self.calls = 0

    @property
    def dim(self) -> int:
        return 16

    @property
    def revision(self) -> str:
        return "1"

    def weights_sha256(self) -> str:
        return hashlib.sha256(b"fake-audio-v1").hexdigest()

    def preprocessor_config(self):
        return {"sample_rate": 16000, "window_s": self.window_s, "hop_s": self.hop_s}

    @property
    def runtime(self) -> str:
        return "numpy"

    def transcribe(self, audio: np.ndarray):
        self.calls += 1
        sr, segments = 16000, []
        for i in range(0, len(audio) // sr):
            block = audio[i * sr:(i + 1) * sr]
            if np.sqrt(np.mean(block ** 2)) < 0.01:
                continue
            freq = int(round(np.argmax(np.abs(np.fft.rfft(block))) / 10) * 10)
            text = f"tone {freq} hertz"
            if segments and segments[-1].text == text and segments[-1].end == i:
                segments[-1].end = i + 1.0
                segments[-1].words[-1].end = i + 1.0
            else:
                segments.append(Segment(float(i), i + 1.0, text, avg_logprob=-0.1,
                                        words=[Word(float(i), i + 1.0, text, 0.9)]))
        return Transcript("en" if segments else None, 0.9 if segments else None, len(audio) / sr, segments)

    def embed_windows(self, audio: np.ndarray):
        from mediaground.media.audio import windows  # PyAV loads only where audio is embedded

        sr = 16000
        spans = windows(len(audio) / sr, self.window_s, self.hop_s)
        out = np.zeros((len(spans), self.dim), np.float32)
        edges = np.geomspace(50, 8000, self.dim + 1)
        for row, (start, end) in enumerate(spans):
            block = audio[int(start * sr):int(end * sr)]
            spectrum = np.abs(np.fft.rfft(block)) ** 2
            freqs = np.fft.rfftfreq(len(block), 1 / sr)
            for b in range(self.dim):
                out[row, b] = spectrum[(freqs >= edges[b]) & (freqs < edges[b + 1])].sum()
            out[row] = np.log1p(out[row])
        return l2_normalize(out + 1e-6), spans


FAKES = (FakeText, FakeImage, FakeAudio, FakeJoint)


def register(register_model) -> None:
    """The ``mediaground.models`` entry point: what a third-party plugin provides."""
    for cls in FAKES:
        register_model(cls.model_id, cls)


def install_plugin(root: Path | None = None) -> Path:
    """Install the fakes as a plugin for this process and the processes it starts: a
    ``.dist-info`` in `root` (a new temp folder by default), and `root` and this module's folder
    appended to ``sys.path`` and ``$PYTHONPATH``. Returns `root`."""
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="mediaground-test-fakes-"))
    info = root / f"{DIST}-0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0\n")
    (info / "entry_points.txt").write_text("[mediaground.models]\nfakes = fakes:register\n")
    paths = [str(HERE), str(root)]  # this module (imported as `fakes`), and its distribution
    sys.path.extend(p for p in paths if p not in sys.path)
    inherited = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p not in paths]
    os.environ["PYTHONPATH"] = os.pathsep.join(inherited + paths)
    return root
