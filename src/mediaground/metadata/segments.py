"""JPEG and PNG metadata structures exiv2 does not handle, for the writer and the sanitizer.

* Data after the first image's EOI (the second frame of an MPO, a phone's appended "motion photo"
  video, vendor trailers): exiv2 leaves it alone, so its own metadata would leave unsanitized.
  The export refuses such files (:func:`jpeg_trailer`).
* Photoshop's Image Resource Block (APP13 "Photoshop 3.0"): exiv2 edits only the IPTC resource
  inside it; the **Photoshop thumbnail** (resources 0x0409/0x040C, which may still show what a crop
  removed) and the version-info resource (0x0421, the writing application) are dropped here
  (:func:`strip_irb`).
* PNG text chunks (tEXt/zTXt/iTXt) other than the XMP/EXIF/IPTC ones exiv2 manages
  (:func:`strip_png_text`).

Only APPn segments and PNG ancillary text chunks are ever removed; the image data, which the
asset ID is computed from, is copied byte for byte (the export verifies the ID afterwards).
The segments and chunks are found by :mod:`mediaground.media.containers`, the walk essence hashing
uses too; this module decides what to cut.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from mediaground.media.containers import EOI, SOS, ContainerError, JpegSegment, PngChunk, jpeg_segments, png_chunks

__all__ = ["jpeg_trailer", "irb_resource_ids", "strip_irb", "strip_png_text", "IRB_DROP"]

IRB_DROP = {0x0409: "Photoshop thumbnail (old)", 0x040C: "Photoshop thumbnail", 0x0421: "Photoshop version info"}
_IRB_SIGNATURES = (b"8BIM", b"PHUT", b"AgHg", b"DCSR", b"MeSa", b"8B64")
_PS = b"Photoshop 3.0\x00"


def _header_error(e: ContainerError) -> ValueError | None:
    """How this module reports a walk that failed before the first SOS; None where the file merely
    ends between segments (the header walk then just stops)."""
    if e.reason == "not-media":
        return ValueError("not a JPEG (no SOI)")
    if e.marker is not None:
        return ValueError(f"JPEG segment FF{e.marker:02X} runs past the end of the file")
    if e.reason == "corrupt":
        return ValueError(e.detail)
    return None


def _segments(data: bytes) -> Iterator[JpegSegment]:
    """The segments with a length before the first SOS: the APPn segments edited here are among them.
    Raises ValueError on a malformed header; a file that ends within it (or inside the SOS header)
    just ends the walk."""
    try:
        for seg in jpeg_segments(data):
            if seg.marker in (SOS, EOI):
                return
            if not seg.standalone:
                yield seg
    except ContainerError as e:
        err = None if e.marker == SOS else _header_error(e)
        if err is not None:
            raise err from None


def jpeg_image_end(data: bytes) -> int:
    """Offset just past the first image's EOI marker. Raises ValueError where the structure cannot be
    walked that far (essence hashing rejects such a file too)."""
    after_sos = False
    try:
        for seg in jpeg_segments(data):
            after_sos = after_sos or seg.marker == SOS
            if seg.marker == EOI:
                return seg.end
    except ContainerError as e:
        if not after_sos and e.marker != SOS:
            err = _header_error(e)
            if err is not None:
                raise err from None
        elif after_sos and e.marker is not None and e.offset + 4 > len(data):
            raise ValueError("JPEG ends inside a marker") from None
    raise ValueError("JPEG has no EOI marker")


def jpeg_trailer(data: bytes) -> int:
    """How many bytes after the first image are not padding (0x00/0xFF): an MPO's second frame, an
    appended video, a vendor trailer. 0 for an ordinary JPEG."""
    end = jpeg_image_end(data)
    rest = data[end:]
    return len(rest.strip(b"\x00\xff"))


def _irb_parse(payload: bytes) -> list[tuple[int, int, int]] | None:
    """(resource id, start, end) within an APP13 payload (after "Photoshop 3.0\\0"), or None if malformed."""
    out, pos, n = [], 0, len(payload)
    while pos + 12 <= n:
        if payload[pos:pos + 4] not in _IRB_SIGNATURES:
            return out if not payload[pos:].strip(b"\x00") else None  # zero padding ends the block
        rid = int.from_bytes(payload[pos + 4:pos + 6], "big")
        name_len = payload[pos + 6]
        p = pos + 6 + 1 + name_len
        if (1 + name_len) % 2:
            p += 1
        if p + 4 > n:
            return None
        size = int.from_bytes(payload[p:p + 4], "big")
        end = p + 4 + size + (size % 2)
        if end > n:
            return None
        out.append((rid, pos, end))
        pos = end
    return out


def _app13(data: bytes):
    for seg in _segments(data):
        if seg.marker == 0xED and data[seg.start:seg.start + len(_PS)] == _PS:
            yield seg.offset, seg.start + len(_PS), seg.end


def irb_resource_ids(data: bytes) -> list[int]:
    """Resource IDs in the file's Photoshop IRB (APP13); [] for none or a non-JPEG."""
    if data[:2] != b"\xff\xd8":
        return []
    ids: list[int] = []
    try:
        for _start, body, end in _app13(data):
            parsed = _irb_parse(data[body:end])
            ids.extend(r for r, _, _ in parsed or [])
    except ValueError:
        return []
    return ids


def _resource_data(payload: bytes, start: int, end: int) -> tuple[bytes, bytes]:
    """(header: signature, id and name, up to the size field; data) of one IRB resource."""
    name_len = payload[start + 6]
    p = start + 6 + 1 + name_len + ((1 + name_len) % 2)
    size = int.from_bytes(payload[p:p + 4], "big")
    return payload[start:p], payload[p + 4:p + 4 + size]


def irb_resource(data: bytes, rid: int) -> bytes | None:
    """The data of one IRB resource (the first with this id), or None."""
    if data[:2] != b"\xff\xd8":
        return None
    try:
        for _start, body, end in _app13(data):
            payload = data[body:end]
            for r, a, b in _irb_parse(payload) or []:
                if r == rid:
                    return _resource_data(payload, a, b)[1]
    except ValueError:
        return None
    return None


def iptc_digest_current(data: bytes) -> bool | None:
    """Whether Photoshop's IPTC digest (0x0425) matches the IPTC block (0x0404); None without both."""
    iptc, digest = irb_resource(data, 0x0404), irb_resource(data, 0x0425)
    if iptc is None or digest is None:
        return None
    return hashlib.md5(iptc).digest() == digest


def refresh_iptc_digest(data: bytes) -> tuple[bytes, bool]:
    """Photoshop keeps an MD5 of the IPTC block (resource 0x0425) to notice edits made by other
    programs; after exiv2 rewrote the IPTC it no longer matches, and Photoshop and ExifTool then
    distrust the IPTC ("IPTCDigest is not current"). Recompute it, as ExifTool does when it writes
    IPTC. Returns (bytes, changed)."""
    segs = list(_app13(data)) if data[:2] == b"\xff\xd8" else []
    if len(segs) != 1:
        return data, False
    start, body, end = segs[0]
    payload = data[body:end]
    parsed = _irb_parse(payload)
    if not parsed:
        return data, False
    by_id = {rid: (a, b) for rid, a, b in parsed}
    if 0x0404 not in by_id or 0x0425 not in by_id:
        return data, False
    iptc = _resource_data(payload, *by_id[0x0404])[1]
    head, old = _resource_data(payload, *by_id[0x0425])
    digest = hashlib.md5(iptc).digest()
    if old == digest:
        return data, False
    a, b = by_id[0x0425]
    new_payload = _PS + payload[:a] + head + len(digest).to_bytes(4, "big") + digest + payload[b:]
    segment = b"\xff\xed" + (len(new_payload) + 2).to_bytes(2, "big") + new_payload
    return data[:start] + segment + data[end:], True


def strip_irb(data: bytes, drop: set[int] | None = None) -> tuple[bytes, list[int]]:
    """The JPEG without the IRB resources in `drop` (default: thumbnails and version info).
    Returns (bytes, dropped ids). Raises ValueError when the IRB is split over several APP13
    segments or malformed and holds a resource to drop: the caller must not publish the file."""
    drop = set(IRB_DROP) if drop is None else drop
    segs = list(_app13(data))
    if not segs:
        return data, []
    found = []
    for _start, body, end in segs:
        parsed = _irb_parse(data[body:end])
        if parsed is None:
            if any(rid.to_bytes(2, "big") in data[body:end] for rid in drop):
                raise ValueError("the Photoshop resource block is malformed; it cannot be cleaned safely")
            continue
        found.append((_start, body, end, parsed))
    if not any(rid in drop for *_, parsed in found for rid, _, _ in parsed):
        return data, []
    if len(segs) > 1:
        raise ValueError("the Photoshop resource block spans several APP13 segments; it cannot be cleaned safely")
    start, body, end, parsed = found[0]
    payload = data[body:end]
    kept = b"".join(payload[a:b] for rid, a, b in parsed if rid not in drop)
    dropped = [rid for rid, _, _ in parsed if rid in drop]
    new_payload = _PS + kept
    if len(new_payload) + 2 > 0xFFFF:
        raise ValueError("the cleaned Photoshop resource block does not fit one segment")
    segment = b"\xff\xed" + (len(new_payload) + 2).to_bytes(2, "big") + new_payload
    if not kept:
        segment = b""  # nothing left: drop the whole APP13
    return data[:start] + segment + data[end:], dropped


# ---------------------------------------------------------------- PNG

def png_text_keywords(data: bytes) -> list[tuple[str, bytes]]:
    """(keyword, chunk type) of every PNG text chunk."""
    out = []
    for chunk in _png_chunks(data):
        if chunk.ctype in (b"tEXt", b"zTXt", b"iTXt"):
            out.append((_keyword(data, chunk), chunk.ctype))
    return out


def _keyword(data: bytes, chunk: PngChunk) -> str:
    """The keyword a text chunk's data starts with."""
    return data[chunk.start:chunk.stop].split(b"\x00", 1)[0].decode("latin-1")


def _png_chunks(data: bytes) -> Iterator[PngChunk]:
    """The chunks up to IEND. Raises ValueError for a non-PNG or a chunk that runs past the end of the
    file; a file that ends before a whole chunk header and CRC (12 bytes) just ends the walk."""
    try:
        yield from png_chunks(data)
    except ContainerError as e:
        if e.reason == "not-media":
            raise ValueError("not a PNG") from None
        if e.offset + 12 <= len(data):
            raise ValueError("PNG chunk runs past the end of the file") from None


def strip_png_text(data: bytes, keep: set[str]) -> tuple[bytes, list[str]]:
    """The PNG without text chunks whose keyword is not in `keep`; (bytes, removed keywords).
    Kept chunks are copied with their CRC; nothing else changes."""
    out = bytearray(data[:8])
    removed = []
    last = 8
    for chunk in _png_chunks(data):
        if chunk.ctype in (b"tEXt", b"zTXt", b"iTXt"):
            keyword = _keyword(data, chunk)
            if keyword not in keep:
                removed.append(keyword)
                last = chunk.end
                continue
        out += data[chunk.offset:chunk.end]
        last = chunk.end
    out += data[last:]
    return bytes(out), removed


def cut_jpeg_trailer(data: bytes) -> tuple[bytes, int]:
    """(the JPEG ending at its first image's EOI, bytes removed); an APP2 "MPF" index, which points
    into the removed frames, goes too."""
    end = jpeg_image_end(data)
    removed = len(data) - end
    if not data[end:].strip(b"\x00\xff"):
        return data, 0
    out = data[:end]
    for seg in list(_segments(out)):
        if seg.marker == 0xE2 and out[seg.start:seg.start + 4] == b"MPF\x00":
            out = out[:seg.offset] + out[seg.end:]
            break
    return out, removed
