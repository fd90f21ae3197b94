"""The RIFF INFO list of a WAV file, kept saying what its ID3 chunk says.

A WAV file can carry its tags twice: the RIFF ``LIST``/``INFO`` chunk (``INAM`` title, ``IART``
artist, ``ICMT`` comment, ...), which Windows, ffmpeg and most DAWs read, and an ``id3 `` chunk,
which mutagen writes. A write that updated only the ID3 chunk would leave the INFO values stale,
and a reader that prefers INFO (ffmpeg reads INFO and ignores ID3 whenever a WAV has both) would
show the old title. :func:`copy_with_info` copies a WAV file with its INFO entries changed (every
other chunk byte for byte), into the temp copy the writer then hands to mutagen, so both are
replaced together or not at all. A file without an INFO list does not get one: ffmpeg would then
stop reading the ID3 chunk, and with it the fields INFO has no entry for (BPM, ISRC).

INFO text has no standard encoding; readers assume the system code page unless a ``CSET`` chunk
names one. ffmpeg reads UTF-8 and ExifTool honours ``CSET``, so non-ASCII text is written as
UTF-8 under a ``CSET`` chunk saying code page 65001 (placed before the INFO list, where ExifTool
needs it), and existing entries in another code page are re-encoded so they keep reading the same.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Mapping
from typing import BinaryIO

from mediaground.media.containers import riff_form_chunks

__all__ = ["INFO_IDS", "copy_with_info", "read_info"]

# field -> INFO id, as ffmpeg maps them (IPRD, the "product", is the album)
INFO_IDS = {"title": b"INAM", "artist": b"IART", "album": b"IPRD", "genre": b"IGNR", "year": b"ICRD",
            "comment": b"ICMT", "copyright": b"ICOP"}
_UTF8_CODE_PAGE = 65001
_COPY_BLOCK = 1 << 20


def _chunks(mm: mmap.mmap | bytes) -> list[tuple[bytes, int, int, int]]:
    """(fourcc, offset, payload start, end incl. pad) of each top-level chunk of a RIFF/WAVE file
    (RF64 and other variants are not written)."""
    return [(c.fourcc, c.offset, c.start, min(c.end + (c.end - c.start) % 2, len(mm)))
            for c in riff_form_chunks(mm, b"WAVE")]


def _entries(payload: bytes) -> list[tuple[bytes, bytes]]:
    """(id, value bytes without the trailing NULs) of each entry of an INFO list payload."""
    out, pos = [], 4
    while pos + 8 <= len(payload):
        cid, size = payload[pos:pos + 4], int.from_bytes(payload[pos + 4:pos + 8], "little")
        value = payload[pos + 8:pos + 8 + size]
        out.append((cid, value.rstrip(b"\x00")))
        pos += 8 + size + size % 2
    return out


def _code_page(mm: mmap.mmap | bytes, chunks: list[tuple[bytes, int, int, int]]) -> int | None:
    for fourcc, _offset, start, _end in chunks:
        if fourcc == b"CSET":
            return int.from_bytes(mm[start:start + 2], "little")
    return None


def _decode(value: bytes, code_page: int | None) -> str:
    """INFO text as its CSET says; without one, UTF-8 where it is valid (ffmpeg writes UTF-8 without
    a CSET), else the Windows Latin code page."""
    if code_page is None:
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return value.decode("cp1252", "replace")
    if code_page in (0, 1252):
        return value.decode("cp1252", "replace")
    try:
        return value.decode("utf-8" if code_page == _UTF8_CODE_PAGE else f"cp{code_page}", "replace")
    except LookupError:
        return value.decode("latin-1")


def read_info(data: mmap.mmap | bytes) -> dict[bytes, str]:
    """The first INFO list's entries as text."""
    chunks = _chunks(data)
    code_page = _code_page(data, chunks)
    for fourcc, _offset, start, end in chunks:
        if fourcc == b"LIST" and data[start:start + 4] == b"INFO":
            return {cid: _decode(value, code_page) for cid, value in _entries(bytes(data[start:end]))}
    return {}


def _entry(cid: bytes, value: bytes) -> bytes:
    value += b"\x00"
    return cid + len(value).to_bytes(4, "little") + value + b"\x00" * (len(value) % 2)


def copy_with_info(src: BinaryIO, dst: BinaryIO, changes: Mapping[bytes, str]) -> bool:
    """Copy the WAV file `src` to `dst` with the INFO entries in `changes` (id -> text) set in its
    INFO list; False (and nothing written) when it has none. Raises ValueError for a file whose
    chunks cannot be walked (nothing is guessed)."""
    mm = mmap.mmap(src.fileno(), 0, access=mmap.ACCESS_READ)
    try:
        chunks = _chunks(mm)
        code_page = _code_page(mm, chunks)
        info = next(((o, s, e) for f, o, s, e in chunks if f == b"LIST" and mm[s:s + 4] == b"INFO"), None)
        if info is None:
            return False
        entries = _entries(bytes(mm[info[1]:info[2]]))
        texts: list[tuple[bytes, str]] = [(cid, _decode(value, code_page)) for cid, value in entries]
        for cid, text in changes.items():
            at = next((i for i, (c, _) in enumerate(texts) if c == cid), None)
            if at is None:
                texts.append((cid, text))
            else:
                texts[at] = (cid, text)
                texts = [(c, t) for i, (c, t) in enumerate(texts) if c != cid or i == at]
        unicode = any(not t.isascii() for _, t in texts)
        block = b"".join(_entry(cid, text.encode("utf-8")) for cid, text in texts)
        new_list = b"LIST" + (len(block) + 4).to_bytes(4, "little") + b"INFO" + block
        if unicode:
            new_list = (b"CSET" + (8).to_bytes(4, "little")
                        + struct.pack("<HHHH", _UTF8_CODE_PAGE, 0, 0, 0) + new_list)
        dst.write(mm[:12])
        for fourcc, offset, _start, end in chunks:
            if fourcc == b"CSET" and unicode:
                continue  # replaced by the one written before the INFO list
            if offset == info[0]:
                dst.write(new_list)
                continue
            for pos in range(offset, end, _COPY_BLOCK):
                dst.write(mm[pos:min(pos + _COPY_BLOCK, end)])
        riff_size = dst.tell() - 8
        tail = chunks[-1][3] if chunks else 12
        for pos in range(tail, len(mm), _COPY_BLOCK):  # bytes after the RIFF chunk: kept, not counted
            dst.write(mm[pos:min(pos + _COPY_BLOCK, len(mm))])
        dst.seek(4)
        dst.write(riff_size.to_bytes(4, "little"))
        dst.seek(0, 2)
        return True
    finally:
        mm.close()
