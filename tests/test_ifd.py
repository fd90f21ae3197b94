"""metadata/ifd.py: TIFF IFD edits that move nothing, leave no old value behind, and do not grow a
block without bound."""

from __future__ import annotations

import struct

import pytest

from mediaground.metadata.ifd import ASCII, EXIF, GPS, IFD0, RATIONAL, IfdError, Tiff

EMPTY = b"II*\x00\x08\x00\x00\x00" + b"\x00\x00" + b"\x00\x00\x00\x00"
MAKER = b"MAKERNOTE-WITH-ABSOLUTE-OFFSETS"


def _block(order: str = "<") -> bytes:
    """IFD0 (ImageDescription, Make, ExifIFD pointer) + ExifIFD (MakerNote) + the maker note bytes."""
    tiff = Tiff(EMPTY if order == "<" else b"MM\x00*\x00\x00\x00\x08" + bytes(6))
    data = tiff.edit({(IFD0, 0x010E): tiff.make(ASCII, "an old description"),
                      (IFD0, 0x010F): tiff.make(ASCII, "Canon"),
                      (EXIF, 0x927C): tiff.make(7, MAKER)})
    return data


@pytest.mark.parametrize("order", ["<", ">"])
def test_edits_keep_every_other_byte_where_it_was(order: str) -> None:
    data = _block(order)
    tiff = Tiff(data)
    maker_at = data.index(MAKER)
    new = tiff.edit({(IFD0, 0x010E): tiff.make(ASCII, "a much longer description than the old one was"),
                     (GPS, 0x0002): tiff.make(RATIONAL, [(36, 1), (46, 1), (12345, 1000)]),
                     (GPS, 0x0001): tiff.make(ASCII, "N")})
    assert new.index(MAKER) == maker_at  # the maker note did not move
    after = Tiff(new)
    assert after.value(IFD0, 0x010E) == b"a much longer description than the old one was\x00"
    assert after.value(IFD0, 0x010F) == b"Canon\x00"
    assert after.value(EXIF, 0x927C) == MAKER
    lat = after.value(GPS, 0x0002)
    assert struct.unpack(order + "6I", lat) == (36, 1, 46, 1, 12345, 1000)
    assert b"an old description" not in new  # a moved value leaves zeros behind, not the old text


def test_a_shorter_value_is_written_in_place_and_the_rest_zeroed() -> None:
    data = _block()
    tiff = Tiff(data)
    new = tiff.edit({(IFD0, 0x010E): tiff.make(ASCII, "short")})
    assert len(new) == len(data) and b"an old description" not in new and b"short\x00" in new


def test_deleting_a_tag_zeroes_its_value() -> None:
    tiff = Tiff(_block())
    new = tiff.edit({(IFD0, 0x010E): None})
    assert Tiff(new).value(IFD0, 0x010E) is None and b"an old description" not in new


def test_repeated_edits_do_not_grow_the_block_without_bound() -> None:
    data = _block()
    sizes = []
    for i in range(40):
        tiff = Tiff(data)
        data = tiff.edit({(IFD0, 0x010E): tiff.make(ASCII, "x" * (5 + (i * 7) % 60)),
                          (GPS, 0x0006): tiff.make(RATIONAL, [(i, 1)])})
        sizes.append(len(data))
    assert max(sizes[20:]) <= max(sizes[:20])  # settled once the largest value was seen


def test_structures_that_cannot_be_walked_are_refused() -> None:
    with pytest.raises(IfdError, match="BigTIFF"):
        Tiff(b"II+\x00" + bytes(12))
    with pytest.raises(IfdError, match="bad header"):
        Tiff(b"JUNKJUNK")
    with pytest.raises(IfdError, match="outside the block"):
        Tiff(b"II*\x00\xff\x00\x00\x00")
    with pytest.raises(IfdError, match="cannot edit"):
        Tiff(EMPTY).edit({("IFD1", 0x0100): None})
