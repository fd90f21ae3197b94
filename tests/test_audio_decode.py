"""Audio decoding: every container to 16 kHz mono, damaged files keep what decodes, silence is
recognised, long files stream in bounded memory. Fixtures are synthesised here with PyAV/numpy;
the spoken clips in data/audio were made once with espeak-ng (see its README)."""

from __future__ import annotations

import json
import struct
import tracemalloc
from pathlib import Path

import av
import numpy as np
import pytest

from conftest import write_wav

from mediaground.errors import BadMediaError
from mediaground.media.audio import SAMPLE_RATE, decode_audio, probe_audio, stream_audio, windows

AUDIO_DATA = Path(__file__).parent / "data" / "audio"


def tone(seconds: float, rate: int, freq: float = 440.0, dbfs: float = -6.0) -> np.ndarray:
    """A sine whose peak sits at `dbfs`."""
    t = np.arange(round(seconds * rate)) / rate
    return (10 ** (dbfs / 20) * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def encode(path: Path, fmt: str, codec: str, signal: np.ndarray, rate: int = 44_100, layout: str = "stereo",
           bit_rate: int | None = None, video: bool = False, options: dict | None = None) -> Path:
    """Write `signal` (mono float) with PyAV, copied to every channel; optionally with a video track."""
    channels = 2 if layout == "stereo" else 1
    with av.open(str(path), "w", format=fmt, options=options or {}) as c:
        vs = c.add_stream("mpeg4", rate=10) if video else None
        s = c.add_stream(codec, rate=48_000 if codec == "libopus" else rate)
        s.layout = layout
        if bit_rate:
            s.bit_rate = bit_rate
        if vs is not None:
            vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
            for i in range(int(len(signal) / rate * 10)):
                frame = av.VideoFrame.from_ndarray(np.full((48, 64, 3), i % 255, np.uint8), format="rgb24")
                frame.pts = i
                for p in vs.encode(frame):
                    c.mux(p)
            for p in vs.encode(None):
                c.mux(p)
        hop = 4096
        for i in range(0, len(signal), hop):
            chunk = np.ascontiguousarray(np.tile(signal[i:i + hop], (channels, 1)))
            frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
            frame.sample_rate, frame.pts = rate, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    return path


def dominant_hz(x: np.ndarray) -> float:
    return float(np.argmax(np.abs(np.fft.rfft(x))) * SAMPLE_RATE / len(x))


# --- formats --------------------------------------------------------------------------------

FORMATS = [  # (suffix, container, codec, source rate as stored)
    ("wav", "wav", "pcm_s16le", 44_100),
    ("mp3", "mp3", "libmp3lame", 44_100),
    ("flac", "flac", "flac", 44_100),
    ("ogg", "ogg", "libopus", 48_000),  # Opus only runs at 48 kHz; the 44.1 kHz input is resampled
    ("m4a", "ipod", "aac", 44_100),
]


@pytest.mark.parametrize("suffix,fmt,codec,stored_rate", FORMATS, ids=[f[0] for f in FORMATS])
def test_stereo_44k_decodes_to_16k_mono(tmp_path, suffix, fmt, codec, stored_rate):
    path = encode(tmp_path / f"tone.{suffix}", fmt, codec, tone(2.0, 44_100))
    audio = decode_audio(path)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) / SAMPLE_RATE - 2.0) < 0.03
    assert abs(dominant_hz(audio[SAMPLE_RATE // 2:SAMPLE_RATE // 2 + SAMPLE_RATE]) - 440) < 2
    # the downmix is normalised: both channels at -6 dBFS give a -6 dBFS mono signal, not -3
    assert 0.4 < float(np.abs(audio[1000:-1000]).max()) < 0.6
    info = probe_audio(path)
    assert (info.sample_rate, info.channels) == (stored_rate, 2)
    assert info.codec == {"libmp3lame": "mp3", "libopus": "opus"}.get(codec, codec)
    assert abs(info.duration - 2.0) < 0.03 and abs(info.declared_duration - 2.0) < 0.03
    assert not info.truncated and not info.silent and info.warnings == []
    assert info.peak_dbfs == pytest.approx(-6.0, abs=1.0)


def test_video_file_gives_its_audio_track(tmp_path):
    path = encode(tmp_path / "clip.mp4", "mp4", "aac", tone(3.0, 44_100, freq=1000), video=True)
    assert len(av.open(str(path)).streams.video) == 1
    audio = decode_audio(path)
    assert abs(len(audio) / SAMPLE_RATE - 3.0) < 0.03
    assert abs(dominant_hz(audio[SAMPLE_RATE:2 * SAMPLE_RATE]) - 1000) < 2
    info = probe_audio(path)
    assert info.codec == "aac" and not info.truncated


def test_video_without_audio_is_no_audio(tmp_path):
    path = tmp_path / "mute.mp4"
    with av.open(str(path), "w") as c:
        vs = c.add_stream("mpeg4", rate=10)
        vs.width, vs.height, vs.pix_fmt = 64, 48, "yuv420p"
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            frame.pts = i
            for p in vs.encode(frame):
                c.mux(p)
        for p in vs.encode(None):
            c.mux(p)
    with pytest.raises(BadMediaError) as e:
        probe_audio(path)
    assert e.value.reason == "no-audio"


# --- levels and silence -----------------------------------------------------------------------


def test_digital_silence_is_silent(tmp_path):
    info = probe_audio(write_wav(tmp_path / "silence.wav", np.zeros(3 * SAMPLE_RATE, np.float32)))
    assert info.silent and info.rms_dbfs == -120.0 and info.peak_dbfs == -120.0
    assert info.duration == 3.0 and not info.truncated


def test_room_noise_is_silent(tmp_path):
    noise = np.random.default_rng(0).normal(0, 10 ** (-70 / 20), 5 * SAMPLE_RATE).astype(np.float32)
    info = probe_audio(encode(tmp_path / "hiss.flac", "flac", "flac", noise, rate=SAMPLE_RATE, layout="mono"))
    assert info.silent and info.rms_dbfs < -60


def test_quiet_tone_is_not_silent(tmp_path):
    info = probe_audio(encode(tmp_path / "quiet.flac", "flac", "flac", tone(2.0, 44_100, dbfs=-30.0)))
    assert not info.silent
    assert info.peak_dbfs == pytest.approx(-30.0, abs=0.5)
    assert info.rms_dbfs == pytest.approx(-33.0, abs=0.5)  # a sine's RMS is 3 dB under its peak


def test_one_loud_second_in_a_long_quiet_file_is_not_silent(tmp_path):
    """Whole-file RMS would call this silent (about -63 dBFS); the loudest second says speech."""
    signal = np.zeros(120 * SAMPLE_RATE, np.float32)
    signal[60 * SAMPLE_RATE:61 * SAMPLE_RATE] = tone(1.0, SAMPLE_RATE, dbfs=-40.0)
    path = encode(tmp_path / "blip.flac", "flac", "flac", signal, rate=SAMPLE_RATE, layout="mono")
    info = probe_audio(path)
    assert info.rms_dbfs < -60 and info.loudest_second_dbfs == pytest.approx(-43.0, abs=0.5)
    assert not info.silent


# --- damaged files ------------------------------------------------------------------------------


def test_mp3_cut_to_a_tenth_keeps_what_is_there(tmp_path, capfd):
    full = encode(tmp_path / "full.mp3", "mp3", "libmp3lame", tone(10.0, 44_100), bit_rate=64_000)
    data = full.read_bytes()
    cut = tmp_path / "cut.mp3"
    cut.write_bytes(data[:len(data) // 10])
    info = probe_audio(cut)
    assert info.truncated
    assert info.declared_duration == pytest.approx(10.0, abs=0.05)  # the Xing header still says 10 s
    assert info.duration == pytest.approx(1.0, abs=0.3)
    assert any("header says 10.0 s" in w for w in info.warnings)
    assert len(decode_audio(cut)) / SAMPLE_RATE == pytest.approx(info.duration, abs=0.001)
    assert capfd.readouterr() == ("", "")  # FFmpeg's complaints never reach the terminal


def test_wav_header_that_lies(tmp_path):
    """RIFF and data sizes claim 200 s; the file holds 0.4 s. FFmpeg clamps its duration to the
    file size, so the claim is read from the header itself."""
    good = write_wav(tmp_path / "good.wav", tone(0.4, SAMPLE_RATE))
    data = bytearray(good.read_bytes())
    at = data.find(b"data")
    claim = 200 * SAMPLE_RATE * 2
    data[4:8] = struct.pack("<I", claim + at)
    data[at + 4:at + 8] = struct.pack("<I", claim)
    liar = tmp_path / "liar.wav"
    liar.write_bytes(bytes(data))
    info = probe_audio(liar)
    assert info.declared_duration == 200.0
    assert info.duration == pytest.approx(0.4, abs=0.001)
    assert info.truncated and info.warnings


def test_corrupt_tail_stops_with_a_warning(tmp_path):
    """A faststart M4A whose second half is noise: the sample table points into garbage, the
    decoder fails packet after packet, and we keep the first half."""
    path = encode(tmp_path / "fs.m4a", "ipod", "aac", tone(4.0, 44_100), options={"movflags": "+faststart"})
    data = bytearray(path.read_bytes())
    half = len(data) // 2
    data[half:] = np.random.default_rng(1).integers(0, 256, len(data) - half, dtype=np.uint8).tobytes()
    path.write_bytes(bytes(data))
    info = probe_audio(path)
    assert info.truncated and 1.0 < info.duration < 3.0
    assert any(w.startswith("decode stopped at ") for w in info.warnings)
    assert len(decode_audio(path)) > SAMPLE_RATE


def test_not_audio(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("just some text, not a recording\n" * 50)
    with pytest.raises(BadMediaError):
        probe_audio(text)
    with pytest.raises(BadMediaError):
        decode_audio(text)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    with pytest.raises(BadMediaError) as e:
        stream_audio(empty)
    assert e.value.reason == "zero-byte"
    with pytest.raises(FileNotFoundError):
        probe_audio(tmp_path / "missing.wav")


def test_header_without_samples_is_truncated(tmp_path):
    path = write_wav(tmp_path / "header-only.wav", np.zeros(0, np.float32))
    with pytest.raises(BadMediaError) as e:
        probe_audio(path)
    assert (e.value.reason, e.value.detail) == ("truncated", "no audio data")


# --- streaming ----------------------------------------------------------------------------------


def test_ten_minutes_stream_in_bounded_memory(tmp_path):
    rate, minutes = 8_000, 10
    path = tmp_path / "long.mp3"
    with av.open(str(path), "w", format="mp3") as c:  # 8 kHz, 8 kbit/s: ~0.6 MB, encoded in ~1 s
        s = c.add_stream("libmp3lame", rate=rate)
        s.layout, s.bit_rate = "mono", 8_000
        ten_s = tone(10.0, rate)[None]
        for i in range(0, minutes * 60 * rate, len(ten_s[0])):
            frame = av.AudioFrame.from_ndarray(ten_s, format="fltp", layout="mono")
            frame.sample_rate, frame.pts = rate, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)
    tracemalloc.start()
    try:
        sizes = [len(block) for block in stream_audio(path, block_seconds=30.0)]
        _, stream_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        info = probe_audio(path)
        _, probe_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sizes == [30 * SAMPLE_RATE] * 20  # 600 s in exact 30 s blocks
    whole_file = minutes * 60 * SAMPLE_RATE * 4  # 38 MB as one float32 array
    assert stream_peak < 20e6 < whole_file and probe_peak < 20e6
    assert info.duration == 600.0 and not info.truncated


def test_blocks_are_exact_and_the_last_is_shorter(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(2.5, 22_050), rate=22_050)
    blocks = list(stream_audio(path, block_seconds=1.0))
    assert [len(b) for b in blocks] == [SAMPLE_RATE, SAMPLE_RATE, SAMPLE_RATE // 2]
    assert all(b.dtype == np.float32 for b in blocks)
    assert np.array_equal(np.concatenate(blocks), decode_audio(path))


def test_decode_max_seconds(tmp_path):
    path = write_wav(tmp_path / "t.wav", tone(5.0, SAMPLE_RATE))
    assert len(decode_audio(path, max_seconds=1.25)) == 20_000
    assert len(decode_audio(path, max_seconds=0)) == 0
    assert len(decode_audio(path, max_seconds=60)) == 5 * SAMPLE_RATE


# --- windows ------------------------------------------------------------------------------------


def test_windows_cover_the_audio():
    assert windows(10.0, 4.0, 2.0) == [(0.0, 4.0), (2.0, 6.0), (4.0, 8.0), (6.0, 10.0)]
    assert windows(9.0, 4.0, 2.0) == [(0.0, 4.0), (2.0, 6.0), (4.0, 8.0), (5.0, 9.0)]  # last one ends at 9
    assert windows(8.0, 4.0, 4.0) == [(0.0, 4.0), (4.0, 8.0)]
    assert windows(0.3, 1.0, 0.5) == [(0.0, 0.3)]  # shorter than a window
    assert windows(1.0, 1.0, 0.5) == [(0.0, 1.0)]
    assert windows(0.0, 1.0, 0.5) == []
    assert windows(3.0, 1.0, 0.3)[-1] == (2.0, 3.0)
    spans = windows(100.0, 0.96, 0.48)
    assert all(b - a == pytest.approx(0.96) for a, b in spans)
    assert all(b0 >= a1 for (_, b0), (a1, _) in zip(spans, spans[1:]))  # no gaps
    for bad in [(10.0, 0.0, 1.0), (10.0, 1.0, 0.0), (10.0, 1.0, 2.0)]:
        with pytest.raises(ValueError):
            windows(*bad)


# --- the spoken fixtures ------------------------------------------------------------------------


def test_topics_fixture_matches_its_timings():
    meta = json.loads((AUDIO_DATA / "topics.json").read_text())
    audio = decode_audio(AUDIO_DATA / meta["file"])
    assert abs(len(audio) / SAMPLE_RATE - meta["duration"]) < 0.1

    def level(a: float, b: float) -> float:
        part = audio[int(a * SAMPLE_RATE):int(b * SAMPLE_RATE)]
        return 20 * np.log10(np.sqrt(np.mean(part ** 2)) + 1e-9)

    topics = meta["topics"]
    assert len(topics) == 3 and all(t["text"] for t in topics)
    for t, nxt in zip(topics, topics[1:]):
        assert level(t["start"], t["end"]) > -30  # speech
        assert nxt["start"] - t["end"] == pytest.approx(2.0, abs=0.001)
        assert level(t["end"] + 0.1, nxt["start"] - 0.1) < -55  # the gap between topics
    info = probe_audio(AUDIO_DATA / meta["file"])
    assert not info.silent and not info.truncated and info.codec == "opus"


def test_hello_fixture():
    info = probe_audio(AUDIO_DATA / "hello.wav")
    assert (info.sample_rate, info.channels, info.codec) == (16_000, 1, "pcm_s16le")
    assert 1.5 < info.duration < 4.0 and not info.silent


def test_probe_and_keep_decodes_short_files_once(tmp_path):
    from mediaground.media.audio import decode_audio, probe_and_keep

    path = write_wav(tmp_path / "t.wav", 0.3 * np.sin(2 * np.pi * 440 * np.arange(48000) / 16000))
    info, samples = probe_and_keep(path, 10.0)
    assert info.duration == 3.0 and samples is not None
    assert np.array_equal(samples, decode_audio(path))
    info, samples = probe_and_keep(path, 1.0)  # longer than we may keep: stream it instead
    assert info.duration == 3.0 and samples is None
