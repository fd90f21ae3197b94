"""Audio (and the sound of video) for a batch: decode in bounded blocks, transcribe, embed windows.

Long recordings stream through in blocks of BLOCK_SECONDS, so memory does not grow with length;
each block is transcribed and its acoustic windows embedded, with times offset to the recording.
BLOCK_SECONDS is a multiple of the window hop, so windows sit on one grid across blocks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from mediaground.errors import BadMediaError
from mediaground.media.audio import SAMPLE_RATE, probe_and_keep, stream_audio

BLOCK_SECONDS = 300.0


@dataclass
class SegmentRow:
    chunk_id: str
    start: float
    end: float
    text: str
    confidence: float | None
    words: list[list]


@dataclass
class AudioAnalysis:
    """Everything the catalog and the index need to know about one recording."""

    asset_id: str
    duration: float
    declared_duration: float | None
    truncated: bool
    silent: bool
    rms_dbfs: float | None
    language: str | None = None
    language_probability: float | None = None
    warnings: list[str] = field(default_factory=list)
    segments: list[SegmentRow] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)
    window_vectors: list = field(default_factory=list)

    def catalog_row(self) -> tuple:
        return (self.asset_id, self.duration, self.declared_duration, int(self.truncated), int(self.silent),
                self.rms_dbfs, self.language, self.language_probability, json.dumps(self.warnings))


def analyse(model, asset_id: str, path: str) -> AudioAnalysis | None:
    """Transcript segments and window vectors of a recording; None when it has no audio track."""
    try:
        info, samples = probe_and_keep(path, BLOCK_SECONDS)  # short files: decoded once
    except BadMediaError as exc:
        if exc.reason == "no-audio":
            return None
        raise
    out = AudioAnalysis(asset_id, info.duration, info.declared_duration, info.truncated, info.silent,
                        info.rms_dbfs, warnings=list(info.warnings))
    probs: list[tuple[float, float]] = []  # (language probability, seconds of speech) per block
    offset = 0.0
    blocks = [samples] if samples is not None else stream_audio(path, block_seconds=BLOCK_SECONDS)
    for block in blocks:
        seconds = len(block) / SAMPLE_RATE
        if not info.silent:  # silence is recognised, never transcribed into hallucinated words
            transcript = model.transcribe(block)
            speech = sum(s.end - s.start for s in transcript.segments)
            if speech:
                probs.append((transcript.language_probability or 0.0, speech))
                if transcript.language:
                    out.language = transcript.language
            for seg in transcript.segments:
                n = len(out.segments)
                words = [[round(w.start + offset, 3), round(w.end + offset, 3), w.word, round(w.probability, 4)]
                         for w in seg.words]
                out.segments.append(SegmentRow(f"{asset_id}:seg:{n:05}", round(seg.start + offset, 3),
                                               round(seg.end + offset, 3), seg.text.strip(),
                                               _confidence(seg), words))
        vectors, spans = model.embed_windows(block)
        for vec, (start, end) in zip(vectors, spans):
            out.windows.append((round(start + offset, 3), round(end + offset, 3)))
            out.window_vectors.append(vec)
        offset += seconds
    if probs:
        total = sum(w for _, w in probs)
        out.language_probability = round(sum(p * w for p, w in probs) / total, 4)
    return out


def _confidence(segment) -> float | None:
    import math

    logprob = getattr(segment, "avg_logprob", None)
    return None if logprob is None else round(math.exp(logprob), 4)
