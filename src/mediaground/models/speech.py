"""What a speech backend returns: a timestamped transcript (times in seconds from the audio start)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float | None = None
    no_speech_prob: float | None = None
    compression_ratio: float | None = None
    words: list[Word] = field(default_factory=list)


@dataclass
class Transcript:
    language: str | None              # None when the model is not confident the speech is its language
    language_probability: float | None
    duration: float
    segments: list[Segment] = field(default_factory=list)
