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
import zlib
from collections.abc import Iterator
from typing import NamedTuple

from mediaground.media.containers import (
    EOI,
    SOS,
    ContainerError,
    JpegSegment,
    PngChunk,
    jpeg_segments,
    png_chunks,
    riff_form_chunks,
)

from .ifd import IFD0, Tiff

__all__ = ["jpeg_trailer", "irb_resource_ids", "strip_irb", "strip_png_text", "IRB_DROP", "IIM_UTF8",
           "iim_datasets", "iim_join", "edit_iim", "irb_get", "irb_set_iptc", "Blocks", "read_blocks", "put_blocks"]

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


# ---------------------------------------------------------------- IPTC IIM

IIM_UTF8 = b"\x1b%G"  # 1:90 CodedCharacterSet for UTF-8
_IIM_BINARY = {(1, 0), (1, 20), (1, 22), (1, 90), (2, 0), (2, 200), (2, 201), (2, 202)}  # not text


def iim_datasets(data: bytes) -> list[tuple[int, int, bytes]]:
    """(record, dataset, value) of each IIM dataset, in file order. Zero padding after the last one
    ends the block; anything else that is not a dataset raises ValueError."""
    out, pos, n = [], 0, len(data)
    while pos < n:
        if data[pos] != 0x1C:
            if not data[pos:].strip(b"\x00"):
                break
            raise ValueError(f"IPTC IIM: no dataset tag at byte {pos}")
        if pos + 5 > n:
            raise ValueError("IPTC IIM: a dataset header runs past the end of the block")
        rec, ds, size = data[pos + 1], data[pos + 2], int.from_bytes(data[pos + 3:pos + 5], "big")
        pos += 5
        if size & 0x8000:  # extended dataset: the low bits say how many bytes hold the length
            width = size & 0x7FFF
            size = int.from_bytes(data[pos:pos + width], "big")
            pos += width
        if pos + size > n:
            raise ValueError(f"IPTC IIM: dataset {rec}:{ds} runs past the end of the block")
        out.append((rec, ds, data[pos:pos + size]))
        pos += size
    return out


def iim_join(datasets: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray()
    for rec, ds, value in datasets:
        out += bytes((0x1C, rec, ds))
        if len(value) < 0x8000:
            out += len(value).to_bytes(2, "big")
        else:
            out += (0x8004).to_bytes(2, "big") + len(value).to_bytes(4, "big")
        out += value
    return bytes(out)


def _utf8(value: bytes) -> bytes:
    """Legacy IIM text (no character set declared) as UTF-8: kept when it already is, else read as cp1252."""
    try:
        value.decode("utf-8")
        return value
    except UnicodeDecodeError:
        return value.decode("cp1252", errors="replace").encode("utf-8")


def edit_iim(original: bytes | None, changes: dict[tuple[int, int], list[bytes] | None]) -> bytes:
    """The IIM block with `changes` made: (record, dataset) -> its values (repeated datasets in order),
    or None to remove it. Every other dataset keeps its bytes; a changed one keeps the place of its
    first occurrence, a new one goes in dataset order within its record. 1:90 is set to UTF-8; text
    of a block that did not declare UTF-8 is re-encoded (UTF-8 if it is, else cp1252), so the new
    declaration does not turn it into mojibake. 2:00 RecordVersion (mandatory) is added if missing."""
    datasets = iim_datasets(original or b"")
    legacy = not any((r, d) == (1, 90) and v == IIM_UTF8 for r, d, v in datasets)
    wanted: dict[tuple[int, int], list[bytes] | None] = {(1, 90): [IIM_UTF8], **changes}
    if not any(r == 2 and d == 0 for r, d, _ in datasets) and any(r == 2 and v for (r, _), v in wanted.items()):
        wanted[(2, 0)] = [b"\x00\x04"]
    out: list[tuple[int, int, bytes]] = []
    placed: set[tuple[int, int]] = set()
    for rec, ds, value in datasets:
        key = (rec, ds)
        if key not in wanted:
            out.append((rec, ds, _utf8(value) if legacy and key not in _IIM_BINARY else value))
        elif key not in placed:
            placed.add(key)
            out.extend((rec, ds, v) for v in wanted[key] or [])
    for key in sorted(k for k in wanted if k not in placed):
        rec, ds = key
        at = next((i for i, (r, d, _) in enumerate(out) if (r, d) > key), len(out))
        out[at:at] = [(rec, ds, v) for v in wanted[key] or []]
    return iim_join(out)


# ---------------------------------------------------------------- Photoshop image resources

def _irb_entry(rid: int, data: bytes, head: bytes | None = None) -> bytes:
    """One resource: `head` (signature, id and name up to the size field) or 8BIM with an empty name."""
    head = head if head is not None else b"8BIM" + rid.to_bytes(2, "big") + b"\x00\x00"
    return head + len(data).to_bytes(4, "big") + data + (b"\x00" if len(data) % 2 else b"")


def irb_get(irb: bytes, rid: int) -> bytes | None:
    """The data of the first resource `rid` in image resources (no "Photoshop 3.0" header), or None."""
    for r, a, b in _irb_parse(irb) or []:
        if r == rid:
            return _resource_data(irb, a, b)[1]
    return None


def irb_set_iptc(irb: bytes, iim: bytes, *, old: bytes | None = None, add: bool = True) -> bytes:
    """Image resources with the IPTC block (0x0404) replaced by `iim` (added if missing and `add`).
    Photoshop's MD5 of the IPTC (0x0425) is recomputed when it matched the old block (`old`, by
    default the resources' own 0x0404), as ExifTool does; a digest that was already stale is left
    stale (Photoshop then prefers XMP, which we also wrote). A TIFF keeps its IPTC in tag 33723 and
    the resources only hold the digest: there `old` is that tag's value and nothing is added.
    Raises ValueError for resources that cannot be walked."""
    parsed = _irb_parse(irb)
    if parsed is None:
        raise ValueError("the Photoshop image resource block is malformed")
    old = old if old is not None else irb_get(irb, 0x0404)
    refresh = old is not None and irb_get(irb, 0x0425) == hashlib.md5(old).digest()
    out, seen = bytearray(), False
    for rid, a, b in parsed:
        head, _data = _resource_data(irb, a, b)
        if rid == 0x0404 and not seen:
            seen = True
            out += _irb_entry(rid, iim, head)
        elif rid == 0x0425 and refresh:
            out += _irb_entry(rid, hashlib.md5(iim).digest(), head)
        else:
            out += irb[a:b]
    if not seen and add:
        out += _irb_entry(0x0404, iim)
    return bytes(out)


# ---------------------------------------------------------------- metadata blocks of an image

_EXIF_SIG = b"Exif\x00\x00"
_XMP_SIG = b"http://ns.adobe.com/xap/1.0/\x00"
_PNG_XMP = b"XML:com.adobe.xmp"
_PNG_IPTC = b"Raw profile type iptc"
_PNG_EXIF = (b"Raw profile type exif", b"Raw profile type APP1")
_MAX_SEGMENT = 0xFFFF - 2  # a JPEG segment's payload


class Blocks(NamedTuple):
    """The metadata blocks of an image file as stored (None where absent)."""

    exif: bytes | None  # the TIFF structure of the EXIF block (for a TIFF file: the whole file)
    xmp: bytes | None  # the XMP packet
    irb: bytes | None  # Photoshop image resources, without the "Photoshop 3.0" header
    iim: bytes | None  # the IPTC IIM datasets (the IRB's 0x0404; TIFF: tag 33723)


def read_blocks(fmt: str, data: bytes) -> Blocks:
    """Where exiv2 reads each block from, read the same way. Raises ValueError for a structure that
    cannot be walked."""
    if fmt == "jpeg":
        exif = xmp = None
        irb = bytearray()
        found_irb = False
        for seg in _segments(data):
            payload = data[seg.start:seg.end]
            if seg.marker == 0xE1 and exif is None and payload.startswith(_EXIF_SIG):
                exif = payload[len(_EXIF_SIG):]
            elif seg.marker == 0xE1 and xmp is None and payload.startswith(_XMP_SIG):
                xmp = payload[len(_XMP_SIG):]
            elif seg.marker == 0xED and payload.startswith(_PS):
                found_irb = True
                irb += payload[len(_PS):]
        irb_bytes = bytes(irb) if found_irb else None
        return Blocks(exif, xmp, irb_bytes, irb_get(irb_bytes, 0x0404) if irb_bytes else None)
    if fmt == "png":
        exif = xmp = irb = iim = None
        for chunk in _png_chunks(data):
            body = data[chunk.start:chunk.stop]
            if chunk.ctype == b"eXIf" and exif is None:
                exif = body
            elif chunk.ctype in (b"tEXt", b"zTXt", b"iTXt"):
                keyword, text = _png_text(chunk.ctype, body)
                if keyword == _PNG_XMP and xmp is None:
                    xmp = text
                elif keyword in _PNG_EXIF and exif is None:
                    raw = _from_raw_profile(text)
                    exif = raw[len(_EXIF_SIG):] if raw.startswith(_EXIF_SIG) else raw
                elif keyword == _PNG_IPTC and irb is None:
                    raw = _from_raw_profile(text)
                    raw = raw[len(_PS):] if raw.startswith(_PS) else raw
                    irb = raw if raw[:4] in _IRB_SIGNATURES else _irb_entry(0x0404, raw)
                    iim = irb_get(irb, 0x0404)
        return Blocks(exif, xmp, irb, iim)
    if fmt == "webp":
        exif = xmp = None
        for chunk in riff_form_chunks(data, b"WEBP"):
            body = data[chunk.start:chunk.end]
            if chunk.fourcc == b"EXIF" and exif is None:
                exif = body[len(_EXIF_SIG):] if body.startswith(_EXIF_SIG) else body
            elif chunk.fourcc == b"XMP " and xmp is None:
                xmp = body
        return Blocks(exif, xmp, None, None)
    if fmt == "tiff":
        tiff = Tiff(data)
        irb = tiff.value(IFD0, 34377)
        iim = tiff.value(IFD0, 33723)
        return Blocks(data, tiff.value(IFD0, 700), irb, iim if iim is not None else irb_get(irb or b"", 0x0404))
    raise ValueError(f"no metadata blocks for {fmt}")


def put_blocks(fmt: str, data: bytes, *, exif: bytes | None = None, xmp: bytes | None = None,
               irb: bytes | None = None) -> bytes:
    """`data` (JPEG, PNG or WebP) with the given blocks put in place of the ones it holds. Each given
    block must be there already (exiv2 lays a new one out); ValueError otherwise, or where a block
    does not fit its container (a JPEG segment holds 65533 bytes)."""
    wanted = {"exif": exif, "xmp": xmp, "irb": irb}
    wanted = {k: v for k, v in wanted.items() if v is not None}
    if fmt == "jpeg":
        out, done = _put_jpeg(data, wanted)
    elif fmt == "png":
        out, done = _put_png(data, wanted)
    elif fmt == "webp":
        out, done = _put_webp(data, wanted)
    else:
        raise ValueError(f"cannot put metadata blocks into {fmt}")
    missing = set(wanted) - done
    if missing:
        raise ValueError(f"the {fmt} file has no {', '.join(sorted(missing))} block to replace")
    return out


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) > _MAX_SEGMENT:
        raise ValueError(f"a {len(payload)}-byte block does not fit a JPEG segment (at most {_MAX_SEGMENT})")
    return b"\xff" + bytes((marker,)) + (len(payload) + 2).to_bytes(2, "big") + payload


def _put_jpeg(data: bytes, wanted: dict[str, bytes]) -> tuple[bytes, set[str]]:
    def replacement(seg: JpegSegment) -> bytes | None:
        head = data[seg.start:seg.start + 64]
        if seg.marker == 0xE1:
            for name, sig in (("exif", _EXIF_SIG), ("xmp", _XMP_SIG)):
                if head.startswith(sig) and name in wanted and name not in done:
                    done.add(name)
                    return _segment(0xE1, sig + wanted[name])
        if seg.marker == 0xED and head.startswith(_PS) and "irb" in wanted:
            if "irb" in done:
                return b""  # resources split over several segments all go into the first ones
            done.add("irb")
            body, step = wanted["irb"], _MAX_SEGMENT - len(_PS)
            return b"".join(_segment(0xED, _PS + body[i:i + step]) for i in range(0, max(len(body), 1), step))
        return None

    done: set[str] = set()
    return _splice(data, ((seg.offset, seg.end, replacement(seg)) for seg in list(_segments(data)))), done


def _splice(data: bytes, parts: Iterator[tuple[int, int, bytes | None]], start: int = 0) -> bytes:
    """`data` with each (offset, end, new bytes) range replaced; None leaves a range as it is."""
    out, last = bytearray(data[:start]), start
    for offset, end, new in parts:
        if new is not None:
            out += data[last:offset] + new
            last = end
    out += data[last:]
    return bytes(out)


def _png_chunk(ctype: bytes, body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + ctype + body + zlib.crc32(ctype + body).to_bytes(4, "big")


def _put_png(data: bytes, wanted: dict[str, bytes]) -> tuple[bytes, set[str]]:
    def replacement(chunk: PngChunk) -> bytes | None:
        if chunk.ctype == b"eXIf" and "exif" in wanted and "exif" not in done:
            done.add("exif")
            return _png_chunk(b"eXIf", wanted["exif"])
        if chunk.ctype not in (b"tEXt", b"zTXt", b"iTXt"):
            return None
        keyword = _keyword(data, chunk).encode("latin-1")
        if keyword in _PNG_EXIF and "exif" in wanted and "exif" not in done:
            done.add("exif")  # ImageMagick's older home for EXIF: kept, in the same form
            text = _to_raw_profile(keyword.rsplit(b" ", 1)[-1].lower(), _EXIF_SIG + wanted["exif"])
            return _png_chunk(b"zTXt", keyword + b"\x00\x00" + zlib.compress(text))
        if keyword == _PNG_XMP and "xmp" in wanted and "xmp" not in done:
            done.add("xmp")  # iTXt, uncompressed, no language: what exiv2 and ExifTool write
            return _png_chunk(b"iTXt", _PNG_XMP + b"\x00\x00\x00\x00\x00" + wanted["xmp"])
        if keyword == _PNG_IPTC and "irb" in wanted and "irb" not in done:
            done.add("irb")
            return _png_chunk(b"zTXt", _PNG_IPTC + b"\x00\x00" + zlib.compress(_to_raw_profile(b"iptc", wanted["irb"])))
        return None

    done: set[str] = set()
    return _splice(data, ((c.offset, c.end, replacement(c)) for c in list(_png_chunks(data)))), done


def _png_text(ctype: bytes, body: bytes) -> tuple[bytes, bytes]:
    """(keyword, text bytes) of a tEXt/zTXt/iTXt chunk; compressed text is inflated."""
    keyword, _, rest = body.partition(b"\x00")
    if ctype == b"tEXt":
        return keyword, rest
    if ctype == b"zTXt":
        return keyword, _inflate(rest[1:])
    compressed = rest[:1] == b"\x01"
    _lang, _, rest = rest[2:].partition(b"\x00")
    _translated, _, text = rest.partition(b"\x00")
    return keyword, _inflate(text) if compressed else text


def _inflate(data: bytes) -> bytes:
    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise ValueError(f"a compressed PNG text chunk cannot be inflated: {exc}") from None


def _from_raw_profile(text: bytes) -> bytes:
    """ImageMagick's "Raw profile type X" text: a newline, the name, the length, then hex digits."""
    lines = text.strip(b"\x00").split(b"\n")
    try:
        length = int(lines[2])
        raw = bytes.fromhex(b"".join(line.strip() for line in lines[3:]).decode("ascii"))
    except (IndexError, ValueError):
        raise ValueError("a PNG raw profile chunk is malformed") from None
    return raw[:length]


def _to_raw_profile(name: bytes, raw: bytes) -> bytes:
    digits = raw.hex().encode("ascii")
    rows = b"\n".join(digits[i:i + 72] for i in range(0, len(digits), 72))
    return b"\n" + name + b"\n" + str(len(raw)).rjust(8).encode("ascii") + b"\n" + rows + b"\n"


def _put_webp(data: bytes, wanted: dict[str, bytes]) -> tuple[bytes, set[str]]:
    def replacement(chunk) -> bytes | None:
        name = {b"EXIF": "exif", b"XMP ": "xmp"}.get(chunk.fourcc)
        if name not in wanted or name in done:
            return None
        done.add(name)
        # a writer that kept JPEG's "Exif\0\0" in front of the TIFF header keeps it
        prefix = _EXIF_SIG if name == "exif" and data[chunk.start:chunk.end].startswith(_EXIF_SIG) else b""
        body = prefix + wanted[name]
        return chunk.fourcc + len(body).to_bytes(4, "little") + body + b"\x00" * (len(body) % 2)

    done: set[str] = set()
    parts = ((c.offset, c.end + (c.end - c.start) % 2, replacement(c)) for c in list(riff_form_chunks(data, b"WEBP")))
    out = bytearray(_splice(data, parts, start=12))
    out[4:8] = (len(out) - 8).to_bytes(4, "little")
    return bytes(out), done
