"""The shared container walkers: JPEG segments, PNG chunks, RIFF chunks, on bytes and on mmap.

Fixtures are built byte by byte here; the walkers never decode, so the image data is filler."""

from __future__ import annotations

import mmap
import zlib

import pytest

from mediaground.ids import essence_hash
from mediaground.media.containers import (ENTROPY, EOI, SOS, ContainerError, jpeg_segments, png_chunks,
                                          riff_chunks)
from mediaground.metadata.jpeg import legacy_xmp_segments
from mediaground.metadata import segments

# --- builders ----------------------------------------------------------------


def _seg(marker: int, payload: bytes = b"") -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


SOI, EOI_BYTES = b"\xff\xd8", b"\xff\xd9"
APP0 = _seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
DQT = _seg(0xDB, b"\x00" + bytes(range(64)))
SOF = _seg(0xC0, b"\x08\x00\x10\x00\x10\x01\x01\x11\x00")
DHT = _seg(0xC4, b"\x00" + b"\x01" * 16 + b"\x05")
SOS_HEADER = _seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
SCAN1 = b"\x12\x34\xff\x00\x56\xff\xd3\x78\xff\x00"  # a stuffed FF00 and a restart: both stay in the scan
SCAN2 = b"\x9a\xbc"
TAIL = b"second frame"


def _jpeg(*, fill: bytes = b"\xff\xff", extra: bytes = b"") -> bytes:
    """SOI, APP0, fill bytes, DQT, TEM, SOF, DHT, SOS + scan, DHT, SOS + scan, EOI, trailer."""
    return (SOI + APP0 + extra + fill + DQT + b"\xff\x01" + SOF + DHT + SOS_HEADER + SCAN1 + DHT + SOS_HEADER + SCAN2
            + EOI_BYTES + TAIL)


def _chunk(ctype: bytes, data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + ctype + data + zlib.crc32(ctype + data).to_bytes(4, "big")


PNG_SIG = b"\x89PNG\r\n\x1a\n"
IHDR = _chunk(b"IHDR", b"\x00\x00\x00\x01\x00\x00\x00\x01\x08\x00\x00\x00\x00")
TEXT = _chunk(b"tEXt", b"Software\x00some editor 1.0")
IDAT = _chunk(b"IDAT", zlib.compress(b"\x00\x00"))
IEND = _chunk(b"IEND", b"")


def _png(*chunks: bytes) -> bytes:
    return PNG_SIG + b"".join(chunks or (IHDR, TEXT, IDAT, IEND))


def _riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    return fourcc + len(payload).to_bytes(4, "little") + payload + (b"\x00" if len(payload) % 2 else b"")


def _mapped(tmp_path, data: bytes):
    path = tmp_path / "blob"
    path.write_bytes(data)
    f = open(path, "rb")
    return f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


# --- JPEG --------------------------------------------------------------------


def test_jpeg_segments_walk_fill_bytes_standalone_markers_and_scans():
    data = _jpeg()
    segs = list(jpeg_segments(data))
    assert [s.marker for s in segs] == [0xE0, 0xDB, 0x01, 0xC0, 0xC4, SOS, ENTROPY, 0xC4, SOS, ENTROPY, EOI]
    dqt = segs[1]
    assert dqt.offset == data.index(DQT)  # the last fill byte is the marker's own 0xFF
    assert (dqt.start, dqt.end) == (dqt.offset + 4, dqt.offset + len(DQT))
    tem = segs[2]
    assert tem.standalone and tem.start == tem.end == tem.offset + 2
    assert not dqt.standalone
    scans = [data[s.start:s.end] for s in segs if s.marker == ENTROPY]
    assert scans == [SCAN1, SCAN2]  # FF00 and RSTn do not end a scan; the DHT between scans does
    assert segs[-1].end == len(data) - len(TAIL)  # stops at the first EOI, before the trailer


def test_jpeg_segments_on_mmap_match_bytes(tmp_path):
    data = _jpeg()
    f, mm = _mapped(tmp_path, data)
    with f, mm:
        assert list(jpeg_segments(mm)) == list(jpeg_segments(data))


@pytest.mark.parametrize("cut, reason, detail, marker", [
    (len(SOI + APP0) + 3, "truncated", "JPEG segment length past end of file", 0xDB),
    (len(SOI + APP0) + 10, "truncated", "JPEG segment FFDB runs past end of file", 0xDB),
    (len(SOI + APP0), "truncated", "JPEG ends before EOI", None),
    (len(SOI + APP0) + 1, "truncated", "JPEG ends inside a marker", None),
])
def test_jpeg_truncation_says_where(cut, reason, detail, marker):
    data = _jpeg(fill=b"")[:cut]
    with pytest.raises(ContainerError) as ei:
        list(jpeg_segments(data))
    assert (ei.value.reason, ei.value.detail, ei.value.marker) == (reason, detail, marker)
    if marker is not None:
        assert ei.value.offset == len(SOI + APP0)


def test_jpeg_segment_length_below_two_is_rejected():
    with pytest.raises(ContainerError, match="FFE1 runs past"):
        list(jpeg_segments(SOI + b"\xff\xe1\x00\x01" + DQT))


def test_jpeg_garbage_between_segments_is_corrupt():
    data = SOI + APP0 + b"\x00" + DQT
    with pytest.raises(ContainerError) as ei:
        list(jpeg_segments(data))
    assert ei.value.reason == "corrupt" and ei.value.offset == len(SOI + APP0)


def test_jpeg_without_soi_is_not_media():
    with pytest.raises(ContainerError) as ei:
        list(jpeg_segments(PNG_SIG))
    assert ei.value.reason == "not-media"


def test_jpeg_walk_is_lazy_a_header_reader_never_walks_a_broken_scan():
    data = SOI + APP0 + SOS_HEADER + b"\x01\x02\x03"  # scan data with no end marker
    header = []
    for seg in jpeg_segments(data):
        header.append(seg.marker)
        if seg.marker == SOS:
            break
    assert header == [0xE0, SOS]
    with pytest.raises(ContainerError, match="scan data has no end marker"):
        list(jpeg_segments(data))


def test_callers_agree_on_the_image_end():
    data = _jpeg()
    assert segments.jpeg_image_end(data) == len(data) - len(TAIL)
    assert segments.jpeg_trailer(data) == len(TAIL)
    cut, removed = segments.cut_jpeg_trailer(data)
    assert cut == data[:-len(TAIL)] and removed == len(TAIL)


def test_legacy_xmp_behind_fill_bytes_is_found():
    packet = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'/>"
    legacy = _seg(0xE1, b"XMP\x00" + packet)
    data = _jpeg(extra=b"\xff\xff" + legacy)
    out, found = legacy_xmp_segments(data)
    assert found == packet.decode()
    assert out == _jpeg(extra=b"\xff\xff")  # the segment goes, the fill bytes before it stay


def test_essence_ignores_fill_bytes_and_app_segments(tmp_path):
    plain, padded = tmp_path / "a.jpg", tmp_path / "b.jpg"
    plain.write_bytes(_jpeg(fill=b""))
    padded.write_bytes(_jpeg(fill=b"\xff\xff\xff", extra=_seg(0xE1, b"Exif\x00\x00 edited")))
    assert essence_hash(plain, "jpeg") == essence_hash(padded, "jpeg")
    changed = tmp_path / "c.jpg"
    changed.write_bytes(_jpeg(fill=b"").replace(SCAN2, b"\x9a\xbd"))
    assert essence_hash(changed, "jpeg") != essence_hash(plain, "jpeg")


# --- PNG ---------------------------------------------------------------------


def test_png_chunks_positions_and_stop_at_iend():
    data = _png() + b"appended junk"
    chunks = list(png_chunks(data))
    assert [c.ctype for c in chunks] == [b"IHDR", b"tEXt", b"IDAT", b"IEND"]
    text = chunks[1]
    assert text.offset == len(PNG_SIG + IHDR)
    assert data[text.start:text.stop] == b"Software\x00some editor 1.0"
    assert data[text.offset:text.end] == TEXT and text.end - text.stop == 4  # the CRC
    assert chunks[-1].end == len(data) - len(b"appended junk")


def test_png_chunk_past_eof():
    data = _png()[:len(PNG_SIG + IHDR + TEXT) + 14]  # IDAT's header is there, its data is not
    with pytest.raises(ContainerError) as ei:
        list(png_chunks(data))
    assert ei.value.reason == "truncated" and ei.value.offset == len(PNG_SIG + IHDR + TEXT)
    assert "IDAT" in ei.value.detail
    with pytest.raises(ValueError, match="PNG chunk runs past the end of the file"):
        segments.strip_png_text(data, set())


def test_png_ending_before_a_chunk_header():
    data = _png(IHDR, TEXT, IDAT) + b"\x00\x00\x00"
    with pytest.raises(ContainerError, match="PNG ends before IEND") as ei:
        list(png_chunks(data))
    assert ei.value.offset == len(data) - 3
    # the sanitizer's reading: fewer than 12 bytes left just end the walk
    out, removed = segments.strip_png_text(data, set())
    assert removed == ["Software"] and out == _png(IHDR, IDAT) + b"\x00\x00\x00"


def test_png_signature():
    with pytest.raises(ContainerError) as ei:
        list(png_chunks(b"\x89PNG\r\n\x1a\x0b" + IHDR))
    assert ei.value.reason == "not-media"


def test_png_chunks_on_mmap(tmp_path):
    data = _png()
    f, mm = _mapped(tmp_path, data)
    with f, mm:
        assert list(png_chunks(mm)) == list(png_chunks(data))


# --- RIFF --------------------------------------------------------------------


def test_riff_odd_sized_chunk_is_followed_by_a_pad_byte(tmp_path):
    body = b"WAVE" + _riff_chunk(b"odd ", b"abc") + _riff_chunk(b"data", b"\x01\x02\x03\x04")
    data = b"RIFF" + len(body).to_bytes(4, "little") + body
    chunks = list(riff_chunks(data, 12, len(data)))
    assert [c.fourcc for c in chunks] == [b"odd ", b"data"]
    odd, pcm = chunks
    assert data[odd.start:odd.end] == b"abc"
    assert pcm.offset == odd.end + 1 and data[pcm.start:pcm.end] == b"\x01\x02\x03\x04"
    f, mm = _mapped(tmp_path, data)
    with f, mm:
        assert list(riff_chunks(mm, 12, len(mm))) == chunks


def test_riff_sizes_are_reported_as_declared():
    claimed = _riff_chunk(b"fmt ", b"0123456789abcdef")
    data = b"RIFF\x00\x00\x00\x00WAVE" + claimed + b"data" + (1000).to_bytes(4, "little") + b"\x00" * 10
    chunks = list(riff_chunks(data, 12, len(data)))
    assert [c.fourcc for c in chunks] == [b"fmt ", b"data"]
    assert chunks[-1].end - chunks[-1].start == 1000 and chunks[-1].end > len(data)


def test_riff_stop_bounds_the_headers():
    data = b"RIFF\x00\x00\x00\x00WEBP" + _riff_chunk(b"VP8L", b"\x00" * 4) + b"EXIF\x04\x00\x00\x00abcd"
    assert [c.fourcc for c in riff_chunks(data, 12, 12 + 12 + 7)] == [b"VP8L"]  # next header not whole
    assert [c.fourcc for c in riff_chunks(data, 12, len(data))] == [b"VP8L", b"EXIF"]
