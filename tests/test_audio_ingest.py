"""Audio through the whole pipeline with the fake speech model: moments, sound-alike search,
silence, truncation, grouping of a long recording into one result."""

from __future__ import annotations

from dataclasses import replace

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import tone, write_wav

SR = 16000


def _write_wav(path: Path, parts: list[tuple[float, float]]) -> Path:
    """parts: (frequency Hz or 0 for silence, seconds)."""
    return write_wav(path, np.concatenate([tone(f, secs) if f else np.zeros(int(secs * SR)) for f, secs in parts]))


@pytest.fixture
def audio_dir(tmp_path):
    root = tmp_path / "sounds"
    _write_wav(root / "three-tones.wav", [(440, 3), (0, 2), (880, 3), (0, 2), (1320, 3)])
    _write_wav(root / "silence.wav", [(0, 4)])
    _write_wav(root / "low.wav", [(220, 4)])
    return root


def test_transcript_segments_give_moments(fake_lib, audio_dir):
    report = fake_lib.ingest([audio_dir], workers=0)
    assert report.added == 3 and not report.quarantined
    hits = fake_lib.search("tone 880 hertz", limit=3)
    top = hits[0]
    assert top.path.endswith("three-tones.wav") and top.kind == "audio"
    assert top.start == pytest.approx(5.0) and top.end == pytest.approx(8.0)
    assert {"text:transcript", "vector:transcript"} <= set(top.why)
    assert top.moments[0]["text"] == "tone 880 hertz"
    # one result per recording, however many segments matched
    assert len({h.asset_id for h in hits}) == len(hits)
    rec = fake_lib.show(top.asset_id)
    assert [s["text"] for s in rec["transcript"]] == ["tone 440 hertz", "tone 880 hertz", "tone 1320 hertz"]
    assert rec["audio"]["duration"] == pytest.approx(13.0, abs=0.01) and not rec["audio"]["silent"]
    parts = {v["part"] for v in rec["vectors"]}
    assert parts == {"segment", "window"}
    windows = [v for v in rec["vectors"] if v["part"] == "window"]
    assert windows[0]["start"] == 0.0 and windows[0]["end"] == 2.0  # fixed 2 s windows, 1 s hop


def test_silence_is_recognised_not_transcribed(fake_lib, audio_dir):
    fake_lib.ingest([audio_dir], workers=0)
    rec = fake_lib.show(str(audio_dir / "silence.wav"))
    assert rec["audio"]["silent"] is True and rec["transcript"] == []
    assert rec["audio"]["language"] is None


def test_sounds_like_search_finds_the_recording_and_the_moment(fake_lib, audio_dir, tmp_path):
    fake_lib.ingest([audio_dir], workers=0)
    query = _write_wav(tmp_path / "q.wav", [(1320, 2)])
    top = fake_lib.search(audio=query, limit=2)[0]
    assert top.path.endswith("three-tones.wav") and top.why == ["vector:audio"]
    assert 9.0 <= top.start <= 11.0  # the window inside the 1320 Hz part (10–13 s)
    low = fake_lib.resolve(str(audio_dir / "low.wav"))
    assert low not in [r.asset_id for r in fake_lib.search(asset=low, limit=5)]  # more like this asset


def test_a_truncated_wav_indexes_what_is_there_and_says_so(fake_lib, tmp_path):
    path = _write_wav(tmp_path / "cut" / "cut.wav", [(660, 3)])
    data = bytearray(path.read_bytes())
    data[40:44] = (SR * 2 * 200).to_bytes(4, "little")  # the data chunk claims 200 s
    path.write_bytes(bytes(data))
    report = fake_lib.ingest([path.parent], workers=0)
    assert report.added == 1
    audio = fake_lib.show(str(path))["audio"]
    assert audio["truncated"] is True and audio["duration"] == pytest.approx(3.0, abs=0.01)
    assert audio["declared_duration"] > 100 and audio["warnings"]


def test_cli_search_json_carries_start_end_and_moments(fake_lib, audio_dir):
    from click.testing import CliRunner

    from mediaground.cli import main

    fake_lib.ingest([audio_dir], workers=0)
    out = CliRunner().invoke(main, ["search", "tone 440", "--library", str(fake_lib.root), "--json"])
    first = json.loads(out.output)["results"][0]
    assert first["start"] == 0.0 and first["end"] == 3.0 and first["moments"]


def _mp3(path: Path, seconds: float = 6.0) -> Path:
    import av

    t = np.arange(int(seconds * SR)) / SR
    samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    with av.open(str(path), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=SR)
        stream.layout = "mono"
        for i in range(0, len(samples), 1152):
            frame = av.AudioFrame.from_ndarray(samples[None, i:i + 1152], format="flt", layout="mono")
            frame.rate = SR
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def test_truncated_and_corrupt_mp3s(fake_lib, tmp_path):
    folder = tmp_path / "mp3s"
    folder.mkdir()
    whole = _mp3(folder / "whole.mp3").read_bytes()
    (folder / "cut.mp3").write_bytes(whole[: len(whole) // 3])       # truncated: index what is there
    (folder / "garbage.mp3").write_bytes(b"ID3\x04\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 8)
    report = fake_lib.ingest([folder], workers=0)
    assert report.added == 2
    assert [(Path(q["path"]).name, q["reason"]) for q in report.quarantined][0][0] == "garbage.mp3"
    cut = fake_lib.show(str(folder / "cut.mp3"))["audio"]
    assert 1.0 < cut["duration"] < 3.0
    assert fake_lib.show(str(folder / "whole.mp3"))["audio"]["duration"] == pytest.approx(6.0, abs=0.1)


def test_low_confidence_transcripts_count_less_and_say_so(fake_lib, audio_dir):
    fake_lib.ingest([audio_dir], workers=0)
    tones = fake_lib.resolve(str(audio_dir / "three-tones.wav"))
    low = fake_lib.resolve(str(audio_dir / "low.wav"))
    cat = fake_lib.catalog
    with cat.transaction():  # as if the speech model had not trusted this transcript
        cat.audio.set(replace(cat.audio.info(low), language=None), cat.audio.segments(low))
    hits = {h.asset_id: h for h in fake_lib.search("tone hertz", limit=5)}
    assert "transcript:low-confidence" in hits[low].why
    assert "transcript:low-confidence" not in hits[tones].why
    assert hits[low].score < hits[tones].score


def test_reindex_repins_a_changed_model_and_rebuilds_audio(fake_lib, audio_dir, monkeypatch):
    from mediaground.errors import ModelError
    from mediaground.library import Library
    from fakes import FakeAudio

    fake_lib.ingest([audio_dir], workers=0)
    root = fake_lib.root
    old_space = fake_lib.spaces.audio_space.id
    fake_lib.close()
    monkeypatch.setattr(FakeAudio, "preprocessor_config",
                        lambda self: {"sample_rate": 16000, "window_s": 2.0, "hop_s": 1.0, "v": 2})
    with Library.open(root) as lib:
        with pytest.raises(ModelError, match="no longer matches the pinned space"):
            lib.search("tone 880 hertz")
        counts = lib.reindex()
        assert counts["failed"] == 0
        assert lib.spaces.audio_space.id != old_space
        status = {s.space_id: s.status for s in lib.catalog.spaces.all()}
        assert status[old_space] == "retired" and status[lib.spaces.audio_space.id] == "active"
        top = lib.search("tone 880 hertz", limit=1)[0]
        assert top.start == pytest.approx(5.0)
        windows = lib.catalog.vectors.count(lib.spaces.audio_space.id)
        assert windows > 0 and lib.index.count(lib.spaces.audio_space.id) == windows
