"""Audio (and the sound of video) for a batch: decode in bounded blocks, transcribe, embed windows.

Long recordings stream through in blocks of BLOCK_SECONDS, so memory does not grow with length;
each block is transcribed and its acoustic windows embedded, with times offset to the recording.
BLOCK_SECONDS is a multiple of the window hop, so windows sit on one grid across blocks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from mediaground.catalog import AudioInfo, Segment
from mediaground.errors import BadMediaError
from mediaground.media.audio import SAMPLE_RATE, probe_and_keep, stream_audio

BLOCK_SECONDS = 300.0


@dataclass
class AudioAnalysis:
    """Everything the catalog and the index need to know about one recording."""

    info: AudioInfo                 # what decoding and transcription found
    segments: list[Segment] = field(default_factory=list)
    windows: list[tuple[float, float]] = field(default_factory=list)
    window_vectors: list = field(default_factory=list)


def analyse(model, asset_id: str, path: str) -> AudioAnalysis | None:
    """Transcript segments and window vectors of a recording; None when it has no audio track."""
    try:
        probe, samples = probe_and_keep(path, BLOCK_SECONDS)  # short files: decoded once
    except BadMediaError as exc:
        if exc.reason == "no-audio":
            return None
        raise
    out = AudioAnalysis(AudioInfo(asset_id, probe.duration, probe.declared_duration, probe.truncated, probe.silent,
                                  probe.rms_dbfs, warnings=list(probe.warnings)))
    language: str | None = None
    probs: list[tuple[float, float]] = []  # (language probability, seconds of speech) per block
    offset = 0.0
    blocks = [samples] if samples is not None else stream_audio(path, block_seconds=BLOCK_SECONDS)
    for block in blocks:
        seconds = len(block) / SAMPLE_RATE
        if not probe.silent:  # silence is recognised, never transcribed into hallucinated words
            transcript = model.transcribe(block)
            speech = sum(s.end - s.start for s in transcript.segments)
            if speech:
                probs.append((transcript.language_probability or 0.0, speech))
                if transcript.language:
                    language = transcript.language
            for seg in transcript.segments:
                n = len(out.segments)
                words = [[round(w.start + offset, 3), round(w.end + offset, 3), w.word, round(w.probability, 4)]
                         for w in seg.words]
                out.segments.append(Segment(f"{asset_id}:seg:{n:05}", asset_id, round(seg.start + offset, 3),
                                            round(seg.end + offset, 3), seg.text.strip(), _confidence(seg), words))
        vectors, spans = model.embed_windows(block)
        for vec, (start, end) in zip(vectors, spans):
            out.windows.append((round(start + offset, 3), round(end + offset, 3)))
            out.window_vectors.append(vec)
        offset += seconds
    probability = None
    if probs:
        total = sum(w for _, w in probs)
        probability = round(sum(p * w for p, w in probs) / total, 4)
    out.info = replace(out.info, language=language, language_probability=probability)
    return out


def _confidence(segment) -> float | None:
    logprob = getattr(segment, "avg_logprob", None)
    return None if logprob is None else round(math.exp(logprob), 4)
