"""TIFF IFD editing that moves nothing: the EXIF block of a JPEG, PNG or WebP, and TIFF files themselves.

exiv2 rewrites a whole EXIF block when one tag changes. Doing so it drops IFD0 tags the EXIF
standard says a compressed image should not record (PhotometricInterpretation, StripOffsets, ...)
and moves maker notes whose internal offsets count from the TIFF header, so vendor data it does
not parse (FLIR, Nintendo, parts of Canon's) then points at the wrong bytes. ExifTool reads both
as lost or changed.

:class:`Tiff` edits in place instead: a changed value that fits where the old one was is written
there, anything larger is appended after the end of the block, and an IFD that gains entries is
written again after the end, its parent pointer (the TIFF header, the ExifIFD or GPS pointer in
IFD0) updated. Every other byte keeps its offset, so maker notes, thumbnails and image strips stay
valid. Bytes that no entry refers to any more (an old value, an old copy of an IFD) are zeroed, so
an old value (a position, say) does not linger in the file.

Only IFD0, its ExifIFD and its GPS IFD are edited. Classic TIFF only (not BigTIFF).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping
from typing import NamedTuple

from mediaground.media.containers import TIFF_TYPE_SIZES

__all__ = ["IfdError", "Tiff", "Value", "IFD0", "EXIF", "GPS", "BYTE", "ASCII", "SHORT", "LONG", "RATIONAL",
           "UNDEFINED"]

BYTE, ASCII, SHORT, LONG, RATIONAL, UNDEFINED = 1, 2, 3, 4, 5, 7

IFD0, EXIF, GPS = "IFD0", "ExifIFD", "GPS"
_INTEROP, _IFD1 = "InteropIFD", "IFD1"
_POINTER = {EXIF: 0x8769, GPS: 0x8825}  # the IFD0 tags that point at each sub-IFD
_INTEROP_POINTER = 0xA005


class IfdError(ValueError):
    """The TIFF structure cannot be walked or edited."""


class Value(NamedTuple):
    """A tag's value to write: its TIFF type, count and bytes (already in the block's byte order)."""

    type: int
    count: int
    data: bytes


class _Entry(NamedTuple):
    tag: int
    type: int
    count: int
    field: bytes  # the 4-byte value/offset field as stored

    def size(self) -> int:
        return TIFF_TYPE_SIZES.get(self.type, 1) * self.count


class _Ifd(NamedTuple):
    offset: int
    entries: dict[int, _Entry]
    next: int  # offset of the next IFD in the chain, 0 for none


class Tiff:
    """One TIFF structure (a whole TIFF file, or the TIFF block inside an EXIF segment or chunk)."""

    def __init__(self, data: bytes):
        if data[:4] == b"II*\x00":
            self.order = "<"
        elif data[:4] == b"MM\x00*":
            self.order = ">"
        elif data[:4] in (b"II+\x00", b"MM\x00+"):
            raise IfdError("BigTIFF is not supported")
        else:
            raise IfdError("not a TIFF structure (bad header)")
        self.data = data
        self.ifds: dict[str, _Ifd] = {}
        self.ifds[IFD0] = self._read_ifd(self._u32(4), IFD0)
        for name, tag in _POINTER.items():
            entry = self.ifds[IFD0].entries.get(tag)
            if entry is not None:
                self.ifds[name] = self._read_ifd(self._field_u32(entry), name)
        exif = self.ifds.get(EXIF)
        # Read only to know which bytes they own (see _owners); never edited.
        if exif and _INTEROP_POINTER in exif.entries:
            self._try_read(_INTEROP, self._field_u32(exif.entries[_INTEROP_POINTER]))
        if self.ifds[IFD0].next:
            self._try_read(_IFD1, self.ifds[IFD0].next)

    # ------------------------------------------------------------ reading

    def _u16(self, pos: int) -> int:
        return struct.unpack_from(self.order + "H", self.data, pos)[0]

    def _u32(self, pos: int) -> int:
        return struct.unpack_from(self.order + "I", self.data, pos)[0]

    def _field_u32(self, entry: _Entry) -> int:
        if entry.type == SHORT:
            return struct.unpack(self.order + "H", entry.field[:2])[0]
        return struct.unpack(self.order + "I", entry.field)[0]

    def _read_ifd(self, offset: int, name: str) -> _Ifd:
        n = len(self.data)
        if offset < 8 or offset + 2 > n:
            raise IfdError(f"{name} offset {offset} lies outside the block ({n} bytes)")
        count = self._u16(offset)
        end = offset + 2 + 12 * count
        if end + 4 > n:
            raise IfdError(f"{name} ({count} entries) runs past the end of the block")
        entries: dict[int, _Entry] = {}
        for i in range(count):
            pos = offset + 2 + 12 * i
            tag, typ, cnt = struct.unpack_from(self.order + "HHI", self.data, pos)
            entry = _Entry(tag, typ, cnt, self.data[pos + 8:pos + 12])
            if tag in entries:
                raise IfdError(f"{name} holds tag 0x{tag:04x} twice")
            entries[tag] = entry
        return _Ifd(offset, entries, self._u32(end))

    def _try_read(self, name: str, offset: int) -> None:
        try:
            self.ifds[name] = self._read_ifd(offset, name)
        except (IfdError, struct.error):
            pass  # only used to protect its bytes; a broken one is left as it is

    def value(self, ifd: str, tag: int) -> bytes | None:
        """The stored bytes of a tag's value, or None when the IFD or the tag is absent."""
        entry = self.ifds.get(ifd, _Ifd(0, {}, 0)).entries.get(tag)
        if entry is None:
            return None
        start, end = self._region(entry)
        if end > len(self.data):
            raise IfdError(f"the value of {ifd} tag 0x{tag:04x} runs past the end of the block")
        return entry.field[:entry.size()] if start < 0 else self.data[start:end]

    def type_of(self, ifd: str, tag: int) -> int | None:
        """The TIFF type a tag is stored with, or None when it is absent."""
        entry = self.ifds.get(ifd, _Ifd(0, {}, 0)).entries.get(tag)
        return entry.type if entry is not None else None

    def _region(self, entry: _Entry) -> tuple[int, int]:
        """(start, end) of an entry's value outside its IFD; (-1, -1) for a value held in the entry."""
        size = entry.size()
        if size <= 4:
            return -1, -1
        start = self._field_u32(entry)
        return start, start + size

    def _owners(self) -> Iterator[tuple[int, int]]:
        """Every byte range some entry or IFD table of the known IFDs refers to."""
        for ifd in self.ifds.values():
            yield ifd.offset, ifd.offset + 2 + 12 * len(ifd.entries) + 4
            for entry in ifd.entries.values():
                start, end = self._region(entry)
                if start >= 0:
                    yield start, end

    # ------------------------------------------------------------ editing

    def make(self, typ: int, value: str | bytes | list[int] | list[tuple[int, int]]) -> Value:
        """A Value in this block's byte order: ASCII from text (UTF-8, NUL-terminated, as ExifTool
        writes it); BYTE/UNDEFINED from bytes; SHORT/LONG from ints; RATIONAL from (num, den) pairs."""
        if typ == ASCII:
            data = str(value).encode("utf-8") + b"\x00"
            return Value(ASCII, len(data), data)
        if typ in (BYTE, UNDEFINED):
            data = bytes(value)  # type: ignore[arg-type]
            return Value(typ, len(data), data)
        items = list(value)  # type: ignore[arg-type]
        if typ in (SHORT, LONG):
            return Value(typ, len(items), struct.pack(self.order + ("H" if typ == SHORT else "I") * len(items), *items))
        if typ == RATIONAL:
            flat = [n for pair in items for n in pair]  # type: ignore[union-attr]
            return Value(typ, len(items), struct.pack(self.order + "I" * len(flat), *flat))
        raise IfdError(f"cannot encode TIFF type {typ}")

    def edit(self, changes: Mapping[tuple[str, int], Value | None]) -> bytes:
        """The block with `changes` made: (ifd, tag) -> Value sets a tag, -> None deletes it.
        Creating the ExifIFD or GPS IFD adds its pointer to IFD0."""
        for ifd, _tag in changes:
            if ifd not in (IFD0, EXIF, GPS):
                raise IfdError(f"cannot edit {ifd}")
        buf = bytearray(self.data)
        owners = list(self._owners())
        freed: list[tuple[int, int]] = []

        def exclusive(start: int, end: int) -> bool:
            return sum(1 for a, b in owners if a < end and start < b) == 1

        def append(data: bytes) -> int:
            if len(buf) % 2:
                buf.append(0)
            offset = len(buf)
            buf.extend(data)
            return offset

        def field_for(old: _Entry | None, value: Value) -> bytes:
            size = TIFF_TYPE_SIZES[value.type] * value.count
            if size != len(value.data):
                raise IfdError(f"value of {size} bytes expected, got {len(value.data)}")
            if size <= 4:
                if old is not None:
                    release(old)
                return value.data.ljust(4, b"\x00")
            if old is not None:
                start, end = self._region(old)
                if start >= 0 and exclusive(start, end):
                    if end + end % 2 >= len(buf):  # the last thing in the block: it may grow or shrink there
                        del buf[start:]
                        buf.extend(value.data)
                        return old.field
                    if size <= end - start:
                        buf[start:start + size] = value.data
                        buf[start + size:end] = bytes(end - start - size)
                        return old.field
                release(old)
            return struct.pack(self.order + "I", append(value.data))

        def release(old: _Entry) -> None:
            start, end = self._region(old)
            if start >= 0 and exclusive(start, end):
                freed.append((start, end))

        pointers: dict[int, Value] = {}
        for name in (EXIF, GPS, IFD0):
            mine = {tag: v for (ifd, tag), v in changes.items() if ifd == name}
            if name == IFD0:
                mine.update(pointers)
            if not mine:
                continue
            old = self.ifds.get(name)
            entries = dict(old.entries) if old else {}
            for tag, value in mine.items():
                if value is None:
                    if tag in entries:
                        release(entries.pop(tag))
                    continue
                entries[tag] = _Entry(tag, value.type, value.count, field_for(entries.get(tag), value))
            table = self._table(entries, old.next if old else 0)
            if old is not None:
                start = old.offset
                old_end = start + 2 + 12 * len(old.entries) + 4
                if len(entries) <= len(old.entries):
                    buf[start:old_end] = table.ljust(old_end - start, b"\x00")
                    continue
                if old_end + old_end % 2 >= len(buf):  # the last thing in the block: it grows there
                    del buf[start:]
                    buf.extend(table)
                    continue
            offset = append(table)
            if old is not None:
                freed.append((old.offset, old.offset + 2 + 12 * len(old.entries) + 4))
            if name == IFD0:
                struct.pack_into(self.order + "I", buf, 4, offset)
            else:
                pointer_type = old_type if (old_type := self._pointer_type(name)) else LONG
                pointers[_POINTER[name]] = Value(pointer_type, 1, struct.pack(self.order + "I", offset))
        for start, end in freed:
            buf[start:end] = bytes(end - start)
        return bytes(buf)

    def _pointer_type(self, name: str) -> int | None:
        entry = self.ifds[IFD0].entries.get(_POINTER[name])
        return entry.type if entry is not None and entry.type in (LONG, 13) else None

    def _table(self, entries: dict[int, _Entry], next_ifd: int) -> bytes:
        out = bytearray(struct.pack(self.order + "H", len(entries)))
        for tag in sorted(entries):
            e = entries[tag]
            out += struct.pack(self.order + "HHI", e.tag, e.type, e.count) + e.field
        out += struct.pack(self.order + "I", next_ifd)
        return bytes(out)
