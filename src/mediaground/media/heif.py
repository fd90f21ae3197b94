"""HEIF (HEIC, and the item structure AVIF shares): which items make up the primary image and
where their coded data lies.

A HEIF file keeps each image, thumbnail, depth or gain map, and each Exif or XMP block as an
*item* in its ``meta`` box: ``pitm`` names the primary item, ``iinf`` gives each item's type,
``iloc`` where its bytes are (in the file or in ``idat``), ``iref`` how items refer to each other
(a ``grid`` image to its tiles by ``dimg``), and ``iprp`` the properties each item has (codec
configuration ``hvcC``/``av1C``, size, rotation, colour). Nothing is decoded here: the functions
take the whole file as ``bytes`` or a read-only ``mmap.mmap`` and return offsets.
"""

from __future__ import annotations

from typing import NamedTuple

from mediaground.media.containers import Box, Buffer, ContainerError, bmff_boxes, find_box

_DERIVED = (b"grid", b"iovl")  # images made of other items, listed by their dimg references


class Item(NamedTuple):
    """One HEIF item: its type, its data as absolute (start, end) ranges, its property boxes."""

    item_id: int
    item_type: bytes
    extents: list[tuple[int, int]]
    properties: list[Box]


class _Reader:
    """Big-endian integers read from a box payload, in order."""

    def __init__(self, buf: Buffer, start: int, end: int):
        self.buf, self.pos, self.end = buf, start, min(end, len(buf))

    def int(self, size: int) -> int:
        if size == 0:
            return 0
        if self.pos + size > self.end:
            raise ContainerError("truncated", "HEIF box runs past its end", self.pos)
        value = int.from_bytes(self.buf[self.pos:self.pos + size], "big")
        self.pos += size
        return value

    def full_box(self) -> tuple[int, int]:
        """A FullBox's version and flags."""
        v = self.int(4)
        return v >> 24, v & 0xFFFFFF


def primary_image(buf: Buffer) -> list[Item] | None:
    """The items the primary image is coded in: the primary item and, for a grid or overlay, the
    items it is derived from in reference order. None without a ``meta`` box or a primary item
    (an image sequence). Thumbnails, auxiliary images (alpha, depth, gain map) and metadata items
    are not part of it. Raises ContainerError for a structure that cannot be walked.
    """
    meta = find_box(buf, b"meta")
    if meta is None:
        return None
    if meta.end > len(buf):
        raise ContainerError("truncated", "HEIF meta box runs past the end of the file", meta.offset)
    children = {box.btype: box for box in bmff_boxes(buf, meta.start + 4, meta.end)}  # meta is a FullBox
    if b"pitm" not in children or b"iloc" not in children:
        return None
    r = _Reader(buf, children[b"pitm"].start, children[b"pitm"].end)
    version, _ = r.full_box()
    primary = r.int(2 if version == 0 else 4)
    types = _item_types(buf, children.get(b"iinf"))
    locations = _locations(buf, children[b"iloc"], children.get(b"idat"))
    properties = _properties(buf, children.get(b"iprp"))
    ids = [primary]
    if types.get(primary) in _DERIVED:
        ids += _references(buf, children.get(b"iref"), b"dimg").get(primary, [])
    items = []
    for item_id in ids:
        if item_id not in locations:
            raise ContainerError("corrupt", f"HEIF item {item_id} has no location", meta.offset)
        items.append(Item(item_id, types.get(item_id, b""), locations[item_id], properties.get(item_id, [])))
    return items


def _item_types(buf: Buffer, iinf: Box | None) -> dict[int, bytes]:
    if iinf is None:
        return {}
    r = _Reader(buf, iinf.start, iinf.end)
    version, _ = r.full_box()
    r.int(2 if version == 0 else 4)  # entry count: the boxes say it too
    types = {}
    for infe in bmff_boxes(buf, r.pos, iinf.end):
        if infe.btype != b"infe":
            continue
        e = _Reader(buf, infe.start, infe.end)
        v, _ = e.full_box()
        if v < 2:  # versions 0 and 1 predate item types
            continue
        item_id = e.int(2 if v == 2 else 4)
        e.int(2)  # protection index
        types[item_id] = bytes(buf[e.pos:e.pos + 4])
    return types


def _locations(buf: Buffer, iloc: Box, idat: Box | None) -> dict[int, list[tuple[int, int]]]:
    """Each item's data as absolute ranges: file offsets (construction method 0) or offsets into
    idat (method 1). Items located in other items (method 2) are left out."""
    r = _Reader(buf, iloc.start, iloc.end)
    version, _ = r.full_box()
    sizes = r.int(2)
    offset_size, length_size, base_size = sizes >> 12, (sizes >> 8) & 15, (sizes >> 4) & 15
    index_size = sizes & 15 if version in (1, 2) else 0
    out: dict[int, list[tuple[int, int]]] = {}
    for _ in range(r.int(2 if version < 2 else 4)):
        item_id = r.int(2 if version < 2 else 4)
        method = r.int(2) & 15 if version in (1, 2) else 0
        r.int(2)  # data reference index: 0 is this file
        base = r.int(base_size)
        extents = []
        for _ in range(r.int(2)):
            r.int(index_size)
            offset, length = r.int(offset_size), r.int(length_size)
            if method == 0:
                start, limit = base + offset, len(buf)
            elif method == 1 and idat is not None:
                start, limit = idat.start + base + offset, idat.end
            else:
                break
            extents.append((start, start + length if length else limit))
        else:
            out[item_id] = extents
    return out


def _references(buf: Buffer, iref: Box | None, ref_type: bytes) -> dict[int, list[int]]:
    if iref is None:
        return {}
    r = _Reader(buf, iref.start, iref.end)
    version, _ = r.full_box()
    width = 2 if version == 0 else 4
    refs: dict[int, list[int]] = {}
    for box in bmff_boxes(buf, r.pos, iref.end):
        if box.btype != ref_type:
            continue
        b = _Reader(buf, box.start, box.end)
        source = b.int(width)
        refs.setdefault(source, []).extend(b.int(width) for _ in range(b.int(2)))
    return refs


def _properties(buf: Buffer, iprp: Box | None) -> dict[int, list[Box]]:
    """Each item's property boxes, in the order its ipma entry associates them."""
    if iprp is None:
        return {}
    ipco = find_box(buf, b"ipco", iprp.start, iprp.end)
    boxes = list(bmff_boxes(buf, ipco.start, ipco.end)) if ipco else []
    out: dict[int, list[Box]] = {}
    for ipma in bmff_boxes(buf, iprp.start, iprp.end):
        if ipma.btype != b"ipma":
            continue
        r = _Reader(buf, ipma.start, ipma.end)
        version, flags = r.full_box()
        for _ in range(r.int(4)):
            item_id = r.int(2 if version < 1 else 4)
            for _ in range(r.int(1)):
                index = r.int(2) & 0x7FFF if flags & 1 else r.int(1) & 0x7F  # the top bit: "essential"
                if 0 < index <= len(boxes):  # 1-based; 0 means no property
                    out.setdefault(item_id, []).append(boxes[index - 1])
    return out
