"""Regenerate the spoken fixture clips (run by hand once; the tests only read the results).

Needs espeak-ng and sox on PATH and PyAV (for the Ogg/Opus encoding, which sox cannot write):

    .venv/bin/python tests/data/audio/make_clips.py

Each topic is spoken separately, trimmed to its speech with sox, and the parts are joined with
exact silences, so the start/end times in topics.json come from sample counts, not guesses.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
import wave
from pathlib import Path

import av
import numpy as np

HERE = Path(__file__).parent
RATE = 16_000
VOICE, SPEED = "en-us", "150"  # espeak-ng voice and words per minute
LEAD, GAP, TAIL = 0.5, 2.0, 0.5  # seconds of digital silence before, between and after topics
TOPICS = [
    "Welcome to the quarterly meeting. Our revenue in the third quarter grew by twelve percent.",
    "For dinner tonight I will cook pasta with crushed tomatoes, fresh basil and garlic.",
    "The weather forecast says heavy rain and strong wind along the coast tomorrow.",
]
HELLO = "Ask not what your country can do for you."


def speak(text: str, tmp: Path, name: str) -> np.ndarray:
    """espeak-ng to WAV, then sox: 16 kHz mono 16-bit, no dither (so reruns match), silence trimmed."""
    raw, out = tmp / f"{name}-raw.wav", tmp / f"{name}.wav"
    subprocess.run(["espeak-ng", "-v", VOICE, "-s", SPEED, "-w", str(raw), text], check=True)
    subprocess.run(["sox", "-D", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(out),
                    "silence", "1", "0.01", "0.1%", "reverse", "silence", "1", "0.01", "0.1%", "reverse"],
                   check=True)
    with wave.open(str(out)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), np.int16)


def write_wav(path: Path, pcm: np.ndarray) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(pcm.astype("<i2").tobytes())


def write_opus(path: Path, pcm: np.ndarray, bit_rate: int = 24_000) -> None:
    with av.open(str(path), "w", format="ogg", options={"fflags": "+bitexact"}) as c:  # fixed serial
        s = c.add_stream("libopus", rate=RATE)
        s.layout, s.bit_rate = "mono", bit_rate
        for i in range(0, len(pcm), 960):
            chunk = np.ascontiguousarray(pcm[None, i:i + 960], dtype=np.int16)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate, frame.pts = RATE, i
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def main() -> None:
    with tempfile.TemporaryDirectory() as t:
        tmp = Path(t)
        silence = lambda s: np.zeros(round(s * RATE), np.int16)  # noqa: E731
        parts, topics, pos = [silence(LEAD)], [], round(LEAD * RATE)
        for i, text in enumerate(TOPICS, 1):
            speech = speak(text, tmp, f"topic{i}")
            topics.append({"topic": i, "text": text, "start": round(pos / RATE, 3),
                           "end": round((pos + len(speech)) / RATE, 3)})
            parts.append(speech)
            pos += len(speech)
            gap = silence(GAP if i < len(TOPICS) else TAIL)
            parts.append(gap)
            pos += len(gap)
        write_opus(HERE / "topics.ogg", np.concatenate(parts))
        meta = {"file": "topics.ogg", "sample_rate": RATE, "duration": round(pos / RATE, 3),
                "voice": f"espeak-ng {VOICE} -s {SPEED}", "topics": topics}
        (HERE / "topics.json").write_text(json.dumps(meta, indent=2) + "\n")
        write_wav(HERE / "hello.wav", speak(HELLO, tmp, "hello"))


if __name__ == "__main__":
    main()
