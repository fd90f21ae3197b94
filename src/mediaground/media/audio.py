"""Decode any audio (or the sound track of a video) to 16 kHz mono float32, in bounded memory.

Whisper and the acoustic embedders want 16 kHz mono. PyAV ships its own FFmpeg codecs, so WAV,
MP3, FLAC, Ogg (Opus/Vorbis), M4A/AAC and video containers all take one path. Audio is read as
a stream of fixed-size blocks, so a three-hour recording costs the memory of one block. Damaged
files decode as far as they go and say so (``AudioInfo.truncated``, ``warnings``) rather than
losing the whole asset; headers are never trusted for the duration.

Silence rule (``AudioInfo.silent``): a file is silent when its peak is below -50 dBFS, or when no
one-second window reaches -60 dBFS RMS. Room tone, dither or a lone click is not worth
transcribing, and Whisper invents text ("Thank you.") when asked to. Levels are measured on the
16 kHz mono mix; digital silence reads as -120 dBFS.
"""

from __future__ import annotations

import itertools
import math
import mmap
import os
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np

from mediaground.errors import BadMediaError
from mediaground.media.containers import riff_chunks

SAMPLE_RATE = 16_000
SILENT_PEAK_DBFS = -50.0
SILENT_LOUDEST_SECOND_DBFS = -60.0
FLOOR_DBFS = -120.0
MAX_BAD_PACKETS = 8  # undecodable packets in a row before we call the rest of the file lost
_PROBE_BLOCK_S = 30.0  # a whole number of seconds, so one-second windows line up across blocks

# FFmpeg reports every damaged frame; a library must not print. PyAV >= 13 already drops
# FFmpeg's logs (level None); older versions pass warnings on to Python logging.
if av.logging.get_level() is not None:
    av.logging.set_level(av.logging.PANIC)


@dataclass(frozen=True)
class AudioInfo:
    """What one decoding pass found. ``duration`` is the truth; the header only claims."""

    duration: float                  # seconds actually decoded
    declared_duration: float | None  # what the container/header claims
    truncated: bool                  # declared exceeds decoded by > max(0.5 s, 2 %), or decoding broke off
    codec: str | None
    sample_rate: int | None          # of the source
    channels: int | None             # of the source
    rms_dbfs: float                  # over the whole file
    peak_dbfs: float
    silent: bool                     # see the module docstring for the rule
    warnings: list[str]
    loudest_second_dbfs: float = FLOOR_DBFS  # RMS of the loudest one-second window


def _dbfs(x: float) -> float:
    return round(20.0 * math.log10(max(x, 10 ** (FLOOR_DBFS / 20))), 2)


def _resampler() -> av.AudioResampler:
    """16 kHz mono float. The downmix is normalised (as in ``ffmpeg -ac 1`` to 16-bit, which
    Whisper reads) so a full-scale stereo file cannot exceed 1.0; unnormalised, swresample
    adds 3 dB to stereo."""
    try:
        return av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE,
                                 options={"rematrix_maxval": "1.0"})
    except TypeError:  # PyAV without resampler options
        return av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)


def _wav_declared(path: str) -> float | None:
    """Seconds a RIFF/WAVE header claims. FFmpeg clamps a WAV's duration to the file size, so a
    header that lies (says 200 s, holds 0.4 s) is only visible here."""
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None  # RF64/BW64 keep real sizes in ds64: leave those to FFmpeg
        with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            byte_rate = 0
            # the chunks up to the end of the file, whatever the RIFF size says; sizes as declared
            for chunk in itertools.islice(riff_chunks(mm, 12, len(mm)), 64):
                if chunk.fourcc == b"fmt ":
                    fmt = mm[chunk.start:chunk.start + min(chunk.end - chunk.start, 16)]
                    byte_rate = int.from_bytes(fmt[8:12], "little")
                elif chunk.fourcc == b"data":  # 0 and 0xFFFFFFFF mean "unknown" (written while streaming)
                    size = chunk.end - chunk.start
                    return size / byte_rate if byte_rate and size not in (0, 0xFFFFFFFF) else None
    return None


class _Source:
    """One open file's first audio stream, decoded once; records what went wrong on the way."""

    def __init__(self, path: str | os.PathLike):
        self.path = os.fspath(path)
        if os.path.getsize(self.path) == 0:  # raises FileNotFoundError: a missing file is not bad media
            raise BadMediaError("zero-byte", "file is empty")
        try:
            self.container = av.open(self.path, mode="r")
        except (FileNotFoundError, PermissionError, IsADirectoryError):
            raise
        except av.error.EOFError as exc:  # the file ends before its headers or first packet do
            raise BadMediaError("truncated", f"cannot open container: {exc}") from exc
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise BadMediaError("corrupt", f"cannot open container: {exc}") from exc
        if not self.container.streams.audio:
            self.container.close()
            raise BadMediaError("no-audio", "the file has no audio stream")
        self.stream = self.container.streams.audio[0]
        ctx = self.stream.codec_context
        self.codec = getattr(ctx.codec, "canonical_name", None) or ctx.name  # "mp3", not "mp3float"
        self.sample_rate = ctx.sample_rate or None
        self.channels = ctx.layout.nb_channels if ctx.layout else None
        self.samples = 0
        self.warnings: list[str] = []
        self.broken = False  # decoding stopped before the end of the file
        self.errors = 0

    def declared_duration(self) -> float | None:
        """The header's claim: RIFF sizes for WAV, else the stream's duration (Xing/LAME, Ogg
        granule, MP4 sample table). A container-wide duration only counts when the audio is the
        only stream, since a video track can outlast the sound."""
        if self.container.format.name == "wav":
            claimed = _wav_declared(self.path)
            if claimed is not None:
                return round(claimed, 3)
        s = self.stream
        if s.duration and s.time_base:
            return round(float(s.duration * s.time_base), 3)
        if len(self.container.streams) == 1 and self.container.duration:
            return round(self.container.duration / av.time_base, 3)
        return None

    def _stop(self, exc: Exception) -> None:
        self.broken = True
        self.warnings.append(f"decode stopped at {self.samples / SAMPLE_RATE:.1f} s: {exc}")

    def _frames(self) -> Iterator[av.AudioFrame]:
        """Decoded frames. A bad packet is skipped; a demux error or a run of bad packets ends the
        stream with a warning instead of an exception, keeping what decoded."""
        packets = self.container.demux(self.stream)
        bad_run = skipped = 0
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                self.errors += 1
                self._stop(exc)
                break
            try:
                frames = packet.decode()
            except (av.error.FFmpegError, ValueError) as exc:
                self.errors += 1
                bad_run, skipped = bad_run + 1, skipped + 1
                if bad_run > MAX_BAD_PACKETS:
                    self._stop(exc)
                    break
                continue
            bad_run = 0
            yield from frames
        if skipped and not self.broken:
            self.warnings.append(f"skipped {skipped} undecodable packet(s)")

    def _chunks(self) -> Iterator[np.ndarray]:
        """16 kHz mono float32 pieces, one per resampled frame. The resampler is rebuilt when the
        source changes format, layout or rate midway (chained Ogg, broadcast captures)."""
        resampler, shape = None, None
        for frame in self._frames():
            key = (frame.format.name, frame.layout.name, frame.sample_rate)
            if key != shape:
                if resampler is not None:
                    for out in resampler.resample(None):
                        yield out.to_ndarray()[0]
                elif frame.sample_rate:  # the first frame knows better than the header (HE-AAC)
                    self.sample_rate, self.channels = frame.sample_rate, frame.layout.nb_channels
                resampler, shape = _resampler(), key
            for out in resampler.resample(frame):
                yield out.to_ndarray()[0]
        if resampler is not None:
            for out in resampler.resample(None):
                yield out.to_ndarray()[0]

    def blocks(self, size: int) -> Iterator[np.ndarray]:
        """Consecutive blocks of exactly `size` samples (the last one shorter); closes the file."""
        try:
            pending: list[np.ndarray] = []
            have = 0
            for chunk in self._chunks():
                self.samples += len(chunk)
                pending.append(chunk)
                have += len(chunk)
                while have >= size:
                    joined = np.concatenate(pending)
                    rest = joined[size:].copy()
                    pending, have = [rest], len(rest)
                    yield joined[:size]
            if have:
                yield np.concatenate(pending).astype(np.float32, copy=False)
            if self.samples == 0:
                if self.errors:
                    detail = self.warnings[-1] if self.warnings else "undecodable audio"
                    raise BadMediaError("corrupt", detail)
                raise BadMediaError("truncated", "no audio data")
        finally:
            self.container.close()


def stream_audio(path: str | os.PathLike, block_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Yield float32 mono 16 kHz blocks of ``block_seconds`` (the last one shorter).

    Only the first audio stream is decoded (a video's sound track too), and memory stays at about
    one block whatever the file's length. Opening errors raise here; a file with no decodable
    samples raises BadMediaError when the iteration ends.
    """
    size = round(block_seconds * SAMPLE_RATE)
    if size <= 0:
        raise ValueError("block_seconds must be positive")
    return _Source(path).blocks(size)


def decode_audio(path: str | os.PathLike, max_seconds: float | None = None) -> np.ndarray:
    """The whole file (or its first ``max_seconds``) as one float32 mono 16 kHz array."""
    limit = None if max_seconds is None else max(0, round(max_seconds * SAMPLE_RATE))
    block_s = 30.0 if not limit else min(30.0, limit / SAMPLE_RATE)
    gen = stream_audio(path, block_s)
    parts, n = [], 0
    try:
        for block in gen:
            if limit is not None and n + len(block) >= limit:
                parts.append(block[:limit - n])
                break
            parts.append(block)
            n += len(block)
    finally:
        gen.close()
    return np.concatenate(parts) if parts else np.zeros(0, np.float32)


def probe_audio(path: str | os.PathLike) -> AudioInfo:
    """Decode the file once: the real duration, levels, silence, and the header's claim beside it."""
    return probe_and_keep(path, 0.0)[0]


def probe_and_keep(path: str | os.PathLike, keep_seconds: float) -> tuple[AudioInfo, np.ndarray | None]:
    """`probe_audio`, also returning the decoded samples when the recording is no longer than
    `keep_seconds`, so short files (most of a library) are decoded once, not twice. Memory stays
    bounded by `keep_seconds`: past it the samples are dropped and the caller streams instead."""
    src = _Source(path)
    declared = src.declared_duration()
    sumsq, peak, loudest = 0.0, 0.0, 0.0
    kept: list[np.ndarray] | None = [] if keep_seconds > 0 else None
    limit = round(keep_seconds * SAMPLE_RATE)
    for block in src.blocks(round(_PROBE_BLOCK_S * SAMPLE_RATE)):
        if kept is not None:
            kept.append(block)
            if src.samples > limit:
                kept = None
        sq = np.square(block, dtype=np.float64)
        sumsq += float(sq.sum())
        peak = max(peak, float(np.abs(block).max()))
        whole = len(sq) // SAMPLE_RATE * SAMPLE_RATE
        if whole:
            loudest = max(loudest, float(sq[:whole].reshape(-1, SAMPLE_RATE).mean(axis=1).max()))
        tail = sq[whole:]
        # a last partial second counts if it is long enough to mean anything, or is the whole clip
        if len(tail) >= SAMPLE_RATE // 4 or (len(tail) and src.samples == len(tail)):
            loudest = max(loudest, float(tail.mean()))
    duration = src.samples / SAMPLE_RATE
    warnings = list(src.warnings)
    truncated = src.broken
    if declared is not None:
        gap = declared - duration
        if gap > max(0.5, 0.02 * declared):
            truncated = True
            warnings.append(f"header says {declared:.1f} s, audio holds {duration:.1f} s")
        elif -gap > max(0.5, 0.02 * duration):
            warnings.append(f"decoded {duration:.1f} s, longer than the {declared:.1f} s the header declares")
    rms_dbfs, peak_dbfs = _dbfs(math.sqrt(sumsq / src.samples)), _dbfs(peak)
    loudest_dbfs = _dbfs(math.sqrt(loudest))
    info = AudioInfo(
        duration=round(duration, 3), declared_duration=declared, truncated=truncated, codec=src.codec,
        sample_rate=src.sample_rate, channels=src.channels, rms_dbfs=rms_dbfs, peak_dbfs=peak_dbfs,
        silent=peak_dbfs < SILENT_PEAK_DBFS or loudest_dbfs < SILENT_LOUDEST_SECOND_DBFS,
        warnings=warnings, loudest_second_dbfs=loudest_dbfs,
    )
    return info, (np.concatenate(kept) if kept else None)


def windows(duration: float, window_s: float, hop_s: float) -> list[tuple[float, float]]:
    """Fixed windows covering ``[0, duration)``: ``[0, w), [h, h + w), ...``.

    The last window is moved back to end exactly at ``duration`` so the tail is embedded with a
    full window's context rather than a sliver; a clip shorter than one window gives the single
    window ``(0, duration)``; no audio gives no windows.
    """
    if window_s <= 0 or hop_s <= 0:
        raise ValueError("window_s and hop_s must be positive")
    if hop_s > window_s:
        raise ValueError("hop_s larger than window_s would leave gaps")
    if duration <= 0:
        return []
    if duration <= window_s:
        return [(0.0, float(duration))]
    eps = 1e-9
    out = []
    i = 0
    while i * hop_s + window_s <= duration + eps:
        start = round(i * hop_s, 6)
        out.append((start, round(start + window_s, 6)))
        i += 1
    if out[-1][1] < duration - eps:
        out.append((round(duration - window_s, 6), float(duration)))
    return out
