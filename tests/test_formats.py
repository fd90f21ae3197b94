"""Formats people have: type by content, essence and pixels for HEIC, UltraHDR/MPF JPEG, PSD,
JPEG 2000, JPEG XL, GIF, moov-first QuickTime, camera RAW, Monkey's Audio/WavPack/WMA, and
photos whose tag block is broken.

Fixtures are built here (Pillow, pillow-heif, PyAV, byte by byte); a few third-party test files
are in tests/data/conformance (see tests/data/README.md). Tag edits go through ExifTool, the
independent writer a user would use.
"""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from mediaground.errors import BadMediaError
from mediaground.ids import essence_hash
from mediaground.media import heif
from mediaground.media.containers import ContainerError, Tiff, jpeg_segments
from mediaground.media.image import decode_image
from mediaground.media.sniff import NOT_MEDIA, sniff, sniff_bytes

DATA = Path(__file__).parent / "data" / "conformance"


def _ident(path):
    return essence_hash(path, sniff(path).format)


def _exiftool(path, *args: str) -> None:
    subprocess.run(["exiftool", "-q", "-overwrite_original", *args, str(path)], check=True)


def _picture(seed: int = 0, size=(64, 48)) -> Image.Image:
    rng = np.random.default_rng(seed)
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([x * 3, y * 4, (x + y) * 2], axis=-1) + rng.integers(0, 40, (h, w, 3))
    return Image.fromarray(base.clip(0, 255).astype("uint8"))


def _jpeg(seed: int = 0, size=(64, 48), **kw) -> bytes:
    buf = io.BytesIO()
    _picture(seed, size).save(buf, "JPEG", quality=90, **kw)
    return buf.getvalue()


def _seg(marker: int, payload: bytes) -> bytes:
    return bytes((0xFF, marker)) + (len(payload) + 2).to_bytes(2, "big") + payload


def _write(tmp_path, name: str, data: bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


# --- sniffing: by content ------------------------------------------------------------------


def _ftyp(major: bytes, *compat: bytes) -> bytes:
    body = major + b"\0\0\0\0" + b"".join(compat)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body


def _atom(atype: bytes, payload: bytes = b"") -> bytes:
    return struct.pack(">I", 8 + len(payload)) + atype + payload


_ASF_HEAD = bytes.fromhex("3026b2758e66cf11a6d900aa0062ce6c") + b"\0" * 14
_ASF_AUDIO = bytes.fromhex("409e69f84d5bcf11a8fd00805f5c442b")
_ASF_VIDEO = bytes.fromhex("c0ef19bc4d5bcf11a8fd00805f5c442b")


@pytest.mark.parametrize(("head", "kind", "fmt"), [
    (b"8BPS\0\x01", "image", "psd"),
    (b"8BPS\0\x02", "image", "psd"),  # PSB
    (b"\0\0\0\x0cjP  \r\n\x87\n" + _ftyp(b"jp2 ", b"jp2 "), "image", "jp2"),
    (b"\xff\x4f\xff\x51\0\x2f", "image", "jp2"),  # a bare J2K code stream
    (b"\0\0\0\x0cJXL \r\n\x87\n" + _ftyp(b"jxl ", b"jxl "), "image", "jxl"),
    (b"\xff\x0a\xfa\x7f", "image", "jxl"),
    (_ftyp(b"crx ", b"crx ", b"isom") + _atom(b"moov"), "image", "cr3"),
    (b"FUJIFILMCCD-RAW 0201FF383501", "image", "raf"),
    (b"IIU\0\x18\0\0\0", "image", "rw2"),
    (b"IIRO\x08\0\0\0", "image", "orf"),
    (b"MMOR\0\0\0\x08", "image", "orf"),
    (b"\0MRM\0\0\x0a\x0c\0PRD", "image", "mrw"),
    (b"FOVb\x02\0\x02\0", "image", "x3f"),
    (b"MAC \x96\x0f\0\0", "audio", "ape"),
    (b"ID3\x04\0\0\0\0\0\0MAC \x96\x0f", "audio", "ape"),
    (b"wvpk\x20\0\0\0", "audio", "wv"),
    (b"MPCK", "audio", "mpc"),
    (b"MP+\x17", "audio", "mpc"),
    (b"DSD \x1c\0\0\0\0\0\0\0", "audio", "dsf"),
    (_ASF_HEAD + b"\0" * 40 + _ASF_AUDIO, "audio", "wma"),
    (_ASF_HEAD + b"\0" * 40 + _ASF_AUDIO + _ASF_VIDEO, "video", "wmv"),
    # QuickTime without ftyp: the atoms themselves
    (_atom(b"moov", _atom(b"mvhd", b"\0" * 100)) + _atom(b"mdat", b"\0" * 16), "video", "mov"),
    (_atom(b"wide") + struct.pack(">I", 50_000) + b"mdat", "video", "mov"),
    (_atom(b"free", b"\0" * 12) + _atom(b"moov", _atom(b"mvhd", b"\0" * 100)), "video", "mov"),
])
def test_sniff_by_content(head, kind, fmt):
    mt = sniff_bytes(head + b"\0" * 40)
    assert (mt.kind, mt.format) == (kind, fmt)
    assert mt.mime


@pytest.mark.parametrize("text", [
    "file\tbytes\tsource (repository@commit path)\nex_AAC.aac\t31\texiftool/exiftool@38bd t/images/AAC.aac\n",
    "abc free text that happens to read like an atom\n" * 10,
    "the mdat word again, and again\n" * 10,
    "some moov of words and no movie header\n" * 10,
])
def test_text_beside_the_photos_is_not_media(tmp_path, text):
    p = tmp_path / "MANIFEST.tsv"
    p.write_text(text)
    assert sniff(p) == NOT_MEDIA


def test_moov_atom_without_a_movie_header_is_not_media():
    assert sniff_bytes(_atom(b"moov", _atom(b"abcd", b"\0" * 20))) == NOT_MEDIA


# --- TIFF-based camera RAW, built tag by tag ------------------------------------------------

_SHORT, _LONG, _ASCII, _UNDEFINED = 3, 4, 2, 7


class _TiffBuilder:
    """A classic little-endian TIFF laid out as it is written: blobs and IFDs append, sub-IFDs
    before the IFD that points to them; `magic` lets it be an ORF or an RW2."""

    def __init__(self, magic: bytes = b"II*\0", prefix: bytes = b""):
        self.data = bytearray(magic + b"\0\0\0\0" + prefix)

    def blob(self, data: bytes) -> int:
        self.data += b"\0" * (len(self.data) & 1)
        offset = len(self.data)
        self.data += data
        return offset

    def ifd(self, entries: list[tuple[int, int, object]], next_ifd: int = 0) -> int:
        packed = []
        for tag, typ, value in sorted(entries, key=lambda e: e[0]):
            if typ in (_ASCII, _UNDEFINED):
                raw = bytes(value) + (b"\0" if typ == _ASCII else b"")
            else:
                values = value if isinstance(value, list) else [value]
                raw = b"".join(v.to_bytes(2 if typ == _SHORT else 4, "little") for v in values)
            count = len(raw) // (2 if typ == _SHORT else 4 if typ == _LONG else 1)
            field = raw.ljust(4, b"\0") if len(raw) <= 4 else self.blob(raw).to_bytes(4, "little")
            packed.append(struct.pack("<HHI", tag, typ, count) + field)
        self.data += b"\0" * (len(self.data) & 1)
        offset = len(self.data)
        self.data += struct.pack("<H", len(packed)) + b"".join(packed) + struct.pack("<I", next_ifd)
        return offset

    def finish(self, first_ifd: int) -> bytes:
        self.data[4:8] = first_ifd.to_bytes(4, "little")
        return bytes(self.data)


def _rgb_thumbnail(b: _TiffBuilder, seed: int, make: bytes, orientation: int, extra=()) -> list:
    thumb = np.asarray(_picture(seed, (16, 12))).tobytes()
    return [(0x00FE, _LONG, 1), (0x0100, _SHORT, 16), (0x0101, _SHORT, 12), (0x0102, _SHORT, [8, 8, 8]),
            (0x0103, _SHORT, 1), (0x0106, _SHORT, 2), (0x010F, _ASCII, make), (0x0110, _ASCII, b"TEST BODY"),
            (0x0111, _LONG, b.blob(thumb)), (0x0112, _SHORT, orientation), (0x0115, _SHORT, 3),
            (0x0116, _SHORT, 12), (0x0117, _LONG, len(thumb)), *extra]


def _sensor(seed: int) -> bytes:
    return np.random.default_rng(1000 + seed).integers(0, 4096, 96 * 64, dtype="<u2").tobytes()


def _nef(seed: int = 0, *, orientation: int = 1, make: bytes = b"NIKON CORPORATION", thumbnail: bool = True,
         sensor_seed: int | None = None, dng: bool = False) -> bytes:
    """IFD0: a 16x12 RGB thumbnail (or none Pillow can decode), SubIFD0: a 120x80 JPEG preview,
    SubIFD1: 96x64 CFA sensor data, as in a NEF (or a DNG with DNGVersion)."""
    b = _TiffBuilder()
    preview = _jpeg(seed, (120, 80))
    sensor = _sensor(seed if sensor_seed is None else sensor_seed)
    sub0 = b.ifd([(0x00FE, _LONG, 1), (0x0103, _SHORT, 6), (0x0201, _LONG, b.blob(preview)),
                  (0x0202, _LONG, len(preview))])
    sub1 = b.ifd([(0x00FE, _LONG, 0), (0x0100, _SHORT, 96), (0x0101, _SHORT, 64), (0x0102, _SHORT, 16),
                  (0x0103, _SHORT, 1), (0x0106, _SHORT, 32803), (0x0111, _LONG, b.blob(sensor)),
                  (0x0115, _SHORT, 1), (0x0116, _SHORT, 64), (0x0117, _LONG, len(sensor))])
    extra = [(0x014A, _LONG, [sub0, sub1])] + ([(0xC612, 1, [1, 4, 0, 0])] if dng else [])
    if thumbnail:
        entries = _rgb_thumbnail(b, seed, make, orientation, extra)
    else:  # an IFD0 with no image Pillow can read, as in a CR2 whose IFD0 is an old-style JPEG
        entries = [(0x010F, _ASCII, make), (0x0112, _SHORT, orientation), *extra]
    if dng:
        entries = [(t, 1 if t == 0xC612 else ty, v) for t, ty, v in entries]
    return b.finish(b.ifd(entries))


def _orf(seed: int = 0, magic: bytes = b"IIRO") -> bytes:
    """An ORF (or, with magic IIU, an RW2): sensor strips in IFD0, a JPEG preview in IFD1."""
    b = _TiffBuilder(magic)
    preview = _jpeg(seed, (120, 80))
    sensor = _sensor(seed)
    ifd1 = b.ifd([(0x0103, _SHORT, 6), (0x0201, _LONG, b.blob(preview)), (0x0202, _LONG, len(preview))])
    offset = b.blob(sensor)
    strips = [(0x0118, _LONG, offset)] if magic == b"IIU\0" else [(0x0111, _LONG, offset)]
    return b.finish(b.ifd([(0x0100, _SHORT, 96), (0x0101, _SHORT, 64), (0x010F, _ASCII, b"OLYMPUS"),
                           (0x0112, _SHORT, 8), (0x0117, _LONG, len(sensor)), *strips], next_ifd=ifd1))


@pytest.mark.parametrize(("make", "fmt"), [(b"NIKON CORPORATION", "nef"), (b"SONY", "arw"), (b"Canon", "tiff")])
def test_tiff_based_raw_is_told_apart_by_maker_and_layout(tmp_path, make, fmt):
    p = _write(tmp_path, "raw", _nef(make=make))
    assert sniff(p).format == fmt and sniff(p).kind == "image"


def test_plain_tiff_from_a_nikon_is_tiff_and_dng_is_dng(tmp_path):
    plain = tmp_path / "scan.tif"
    _picture().save(plain, "TIFF", tiffinfo={0x010F: "NIKON CORPORATION"})
    assert sniff(plain).format == "tiff"
    assert sniff(_write(tmp_path, "x.dng", _nef(dng=True))).format == "dng"
    assert sniff_bytes(b"II*\0\x10\0\0\0CR\x02\0" + b"\0" * 40).format == "cr2"


def test_raw_whose_thumbnail_decodes_keeps_the_tiff_id(tmp_path):
    """A NEF/DNG that sniffed as TIFF was indexed by its IFD0 pixels: that ID must not change."""
    p = _write(tmp_path, "a.nef", _nef())
    ess = _ident(p)
    assert ess.method == "tiff-pixels"
    assert ess == essence_hash(p, "tiff")


def test_raw_essence_is_the_sensor_data(tmp_path):
    a = _write(tmp_path, "a.nef", _nef(0, thumbnail=False))
    ess = _ident(a)
    assert (ess.basis, ess.method) == ("essence", "raw-sensor")
    # a different preview over the same sensor data: same asset; other sensor data: another one
    same_sensor = _write(tmp_path, "b.nef", _nef(1, thumbnail=False, sensor_seed=0))
    assert _ident(same_sensor) == ess
    other_sensor = _write(tmp_path, "c.nef", _nef(0, thumbnail=False, sensor_seed=5))
    assert _ident(other_sensor) != ess


def test_raw_id_survives_an_exiftool_tag_edit(tmp_path):
    p = _write(tmp_path, "a.nef", _nef(0, thumbnail=False))
    before = _ident(p)
    _exiftool(p, "-Artist=Someone Else", "-XMP-dc:Description=a caption long enough to move things around" * 3)
    assert b"Someone Else" in p.read_bytes()
    assert _ident(p) == before


@pytest.mark.parametrize(("orientation", "size"), [(1, (120, 80)), (6, (80, 120)), (3, (120, 80))])
def test_raw_pixels_are_the_embedded_preview_turned_by_the_raw_orientation(tmp_path, orientation, size):
    p = _write(tmp_path, "a.nef", _nef(0, orientation=orientation))
    d = decode_image(str(p))
    assert (d.width, d.height) == size
    turn = {1: None, 3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_270}[orientation]
    expected = _picture(0, (120, 80)) if turn is None else _picture(0, (120, 80)).transpose(turn)
    # the preview, turned: compare coarse colour (JPEG is lossy; the gradient tells every turn apart)
    got = np.asarray(d.image.resize((size[0] // 10, size[1] // 10)), dtype=float)
    want = np.asarray(expected.resize((size[0] // 10, size[1] // 10)), dtype=float)
    assert np.abs(got - want).mean() < 12


@pytest.mark.parametrize(("magic", "fmt"), [(b"IIRO", "orf"), (b"IIU\0", "rw2")])
def test_orf_and_rw2(tmp_path, magic, fmt):
    p = _write(tmp_path, "raw", _orf(0, magic))
    assert sniff(p).format == fmt
    ess = _ident(p)
    assert ess.method == "raw-sensor"
    assert _ident(_write(tmp_path, "other", _orf(1, magic))) != ess  # other sensor data
    d = decode_image(str(p))
    assert (d.width, d.height) == (80, 120)  # orientation 8 in IFD0


def _raf(seed: int = 0, exif_artist: bytes = b"") -> bytes:
    """RAF: the header (offsets at 84..108), a JPEG preview, a CFA header and the CFA data."""
    preview = _jpeg(seed, (120, 80))
    if exif_artist:  # give the preview an APP1 EXIF block, as a camera or exiftool would
        exif = Image.Exif()
        exif[0x013B] = exif_artist.decode()
        preview = preview[:2] + _seg(0xE1, b"Exif\0\0" + exif.tobytes()) + preview[2:]
    cfa_header, cfa = b"\0\0\0\x01" + b"\0" * 12, _sensor(seed)
    header = b"FUJIFILMCCD-RAW 0201FF383501TEST BODY".ljust(60, b"\0") + b"0100" + b"\0" * 20
    jpeg_at = len(header) + 24
    offsets = [jpeg_at, len(preview), jpeg_at + len(preview), len(cfa_header),
               jpeg_at + len(preview) + len(cfa_header), len(cfa)]
    return header + struct.pack(">6I", *offsets) + preview + cfa_header + cfa


def test_raf(tmp_path):
    p = _write(tmp_path, "a.raf", _raf(0))
    assert sniff(p).format == "raf"
    ess = _ident(p)
    assert ess.method == "raw-sensor"
    # the preview's EXIF changes (the tags exiftool writes live there): same asset
    assert _ident(_write(tmp_path, "b.raf", _raf(0, exif_artist=b"Someone"))) == ess
    d = decode_image(str(p))
    assert (d.width, d.height) == (120, 80)


def test_cr3_is_a_raw_image_not_a_video(tmp_path):
    """CR3 is ISO-BMFF with brand crx: an image; its essence stays the samples PyAV demuxes (what
    it was indexed by as an MP4), its pixels the JPEG among them."""
    mov = _movie(tmp_path / "clip.mov", frames=1)
    data = bytearray(mov.read_bytes())
    assert data[8:12] == b"qt  "
    data[8:12] = b"crx "
    p = _write(tmp_path, "a.cr3", bytes(data))
    assert (sniff(p).kind, sniff(p).format) == ("image", "cr3")
    assert _ident(p) == essence_hash(p, "mp4") == _ident(mov)
    d = decode_image(str(p))
    assert (d.width, d.height) == (64, 48)


def test_raw_without_a_preview_is_quarantined_with_a_reason(tmp_path):
    p = _write(tmp_path, "a.x3f", b"FOVb\x02\0\x02\0" + bytes(range(256)) * 8)
    ess = _ident(p)
    assert ess.basis == "file"
    with pytest.raises(BadMediaError, match="no embedded JPEG preview") as ei:
        decode_image(str(p))
    assert ei.value.reason == "corrupt"


# --- HEIC / AVIF --------------------------------------------------------------------------


def _heic(tmp_path, name: str, seed: int = 0, size=(65, 47)) -> Path:
    p = tmp_path / name
    _picture(seed, size).save(p, "HEIF", quality=90)
    return p


def test_heic_sniff_essence_and_real_dimensions(tmp_path):
    p = _heic(tmp_path, "a.heic")
    assert sniff(p).format == "heic"
    ess = _ident(p)
    assert (ess.basis, ess.method) == ("essence", "heif-items")
    d = decode_image(str(p))
    assert (d.width, d.height) == (65, 47)  # odd sizes: coded padded, cropped back by libheif
    assert _ident(_heic(tmp_path, "b.heic", seed=1)) != ess


def test_heic_id_survives_an_exiftool_tag_edit(tmp_path):
    p = _heic(tmp_path, "a.heic")
    before = _ident(p)
    _exiftool(p, "-XMP-dc:Description=a caption that moves the image data" * 4, "-EXIF:Artist=Someone")
    assert b"Someone" in p.read_bytes()
    assert _ident(p) == before


def _meta_box(items: dict[int, bytes], locations: dict[int, tuple[int, int]], primary: int,
              dimg: list[int], props: dict[int, list[int]], ipco: list[bytes]) -> bytes:
    def full(btype: bytes, payload: bytes, version: int = 0) -> bytes:
        return _atom(btype, bytes([version, 0, 0, 0]) + payload)
    infe = b"".join(full(b"infe", struct.pack(">HH", i, 0) + t + b"\0", version=2) for i, t in items.items())
    iloc = struct.pack(">BBH", 0x44, 0x00, len(locations)) + b"".join(
        struct.pack(">HHHII", i, 0, 1, off, length) for i, (off, length) in locations.items())
    iref = _atom(b"dimg", struct.pack(">HH", primary, len(dimg)) + b"".join(struct.pack(">H", d) for d in dimg))
    ipma = struct.pack(">I", len(props)) + b"".join(
        struct.pack(">HB", i, len(ix)) + bytes(0x80 | x for x in ix) for i, ix in props.items())
    return full(b"meta", full(b"hdlr", b"\0" * 4 + b"pict" + b"\0" * 13) + full(b"pitm", struct.pack(">H", primary))
                + full(b"iinf", struct.pack(">H", len(items)) + infe) + full(b"iloc", iloc) + full(b"iref", iref)
                + _atom(b"iprp", _atom(b"ipco", b"".join(ipco)) + full(b"ipma", ipma)))


def test_heif_primary_image_of_a_grid_is_its_tiles_in_order():
    """An iPhone HEIC is a grid of HEVC tiles: the primary item is the grid, its essence the tiles."""
    ipco = [_atom(b"hvcC", b"config"), _atom(b"ispe", b"\0" * 12)]
    items = {1: b"grid", 2: b"hvc1", 3: b"hvc1", 4: b"Exif", 5: b"hvc1"}
    layout = {1: (0, 8), 2: (8, 4), 3: (12, 4), 4: (16, 4), 5: (20, 4)}
    meta = _meta_box(items, {i: (0, n) for i, (o, n) in layout.items()}, 1, [3, 2],
                     {1: [2], 2: [1, 2], 3: [1, 2], 5: [1, 2]}, ipco)  # the same size, offsets to come
    head = _ftyp(b"heic", b"mif1", b"heic") + meta
    payload = b"GRIDDATA" + b"TIL2TIL3EXIFTHMB"
    base = len(head) + 8
    meta = _meta_box(items, {i: (base + o, n) for i, (o, n) in layout.items()}, 1, [3, 2],
                     {1: [2], 2: [1, 2], 3: [1, 2], 5: [1, 2]}, ipco)
    data = _ftyp(b"heic", b"mif1", b"heic") + meta + _atom(b"mdat", payload)
    items_out = heif.primary_image(data)
    assert [(i.item_id, i.item_type) for i in items_out] == [(1, b"grid"), (3, b"hvc1"), (2, b"hvc1")]
    assert [data[s:e] for s, e in items_out[1].extents] == [b"TIL3"]
    assert [p.btype for p in items_out[1].properties] == [b"hvcC", b"ispe"]


def test_heif_structure_that_runs_past_the_end_is_truncated():
    data = _ftyp(b"heic", b"mif1") + _atom(b"meta", b"\0\0\0\0" + _atom(b"pitm", b"\0\0\0\0\0"))[:-1]
    with pytest.raises(ContainerError):
        heif.primary_image(data)


def test_avif_keeps_its_pixel_essence(tmp_path):
    p = tmp_path / "a.avif"
    _picture().save(p, "AVIF")
    assert sniff(p).format == "avif" and _ident(p).method == "avif-pixels"


# --- UltraHDR / MPF JPEG ------------------------------------------------------------------

_HDRGM_XMP = (b'http://ns.adobe.com/xap/1.0/\0<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
              b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
              b'xmlns:hdrgm="http://ns.adobe.com/hdr-gain-map/1.0/" hdrgm:Version="1.0"/></rdf:RDF></x:xmpmeta>')


def _mpf_jpeg(primary: bytes, secondary: bytes) -> bytes:
    """An UltraHDR-style file: the primary JPEG with an XMP (hdrgm) APP1 and an MPF APP2 indexing
    the secondary image (a gain map) appended after the primary's EOI."""
    def mpf(primary_size: int, secondary_offset: int) -> bytes:
        ifd = struct.pack(">H", 3) + struct.pack(">HHI4s", 0xB000, 7, 4, b"0100")  # version
        ifd += struct.pack(">HHII", 0xB001, 4, 1, 2)  # number of images
        ifd += struct.pack(">HHII", 0xB002, 7, 32, 8 + 2 + 36 + 4) + b"\0\0\0\0"  # the entries, after this IFD
        entries = struct.pack(">IIIHH", 0x20030000, primary_size, 0, 0, 0)
        entries += struct.pack(">IIIHH", 0, len(secondary), secondary_offset, 0, 0)
        return b"MPF\0MM\0*\0\0\0\x08" + ifd + entries
    xmp = _seg(0xE1, _HDRGM_XMP)
    size = len(primary) + len(xmp) + len(_seg(0xE2, mpf(0, 0)))
    tiff_header_at = 2 + len(xmp) + 4 + 4
    return primary[:2] + xmp + _seg(0xE2, mpf(size, size - tiff_header_at)) + primary[2:] + secondary


def test_ultrahdr_gain_map_is_kept_out_of_the_essence(tmp_path):
    primary = _jpeg(0, (64, 48))
    gain_a = _jpeg(7, (16, 12))
    gain_b = _jpeg(8, (32, 24))
    a = _write(tmp_path, "a.jpg", _mpf_jpeg(primary, gain_a))
    assert sniff(a).format == "jpeg"
    ess = _ident(a)
    assert ess.method == "jpeg-scan"
    assert _ident(_write(tmp_path, "b.jpg", _mpf_jpeg(primary, gain_b))) == ess  # another gain map
    assert _ident(_write(tmp_path, "plain.jpg", primary)) == ess  # XMP and MPF are APPn: metadata
    assert _ident(_write(tmp_path, "c.jpg", _mpf_jpeg(_jpeg(1), gain_a))) != ess  # other pixels
    d = decode_image(str(a))
    assert (d.width, d.height) == (64, 48)


def test_mpo_with_a_second_frame_decodes_the_first(tmp_path):
    data = _mpf_jpeg(_jpeg(0, (64, 48)), _jpeg(1, (64, 48)))
    data = data.replace(b'hdrgm:Version="1.0"', b'hdrgm:Other__="1.0"')  # no gain map: Pillow reads MPO
    p = _write(tmp_path, "stereo.jpg", data)
    assert Image.open(p).format == "MPO"
    assert _ident(p) == _ident(_write(tmp_path, "plain.jpg", _jpeg(0, (64, 48))))
    assert (decode_image(str(p)).width, decode_image(str(p)).height) == (64, 48)


# --- a decodable photo with a broken tag block ---------------------------------------------


def test_garbage_exif_does_not_stop_essence_or_pixels(tmp_path):
    clean = _jpeg(0)
    garbage = _seg(0xE1, b"Exif\0\0" + b"\x7fI*\0\x08\0\0\0" + bytes(range(200)))  # not a TIFF header
    p = _write(tmp_path, "a.jpg", clean[:2] + garbage + clean[2:])
    assert _ident(p) == _ident(_write(tmp_path, "clean.jpg", clean))
    d = decode_image(str(p))
    assert (d.width, d.height) == (64, 48)


def test_app1_whose_length_is_short_is_skipped_as_a_decoder_does(tmp_path):
    clean = _jpeg(0)
    payload = b"Exif\0\0II*\0\x08\0\0\0" + b"\x01" * 60
    broken = b"\xff\xe1" + (len(payload) + 2 - 9).to_bytes(2, "big") + payload  # 9 bytes too short
    p = _write(tmp_path, "a.jpg", clean[:2] + broken + clean[2:])
    with pytest.raises(ContainerError):
        list(jpeg_segments(p.read_bytes()))  # the strict walk (the sanitizer's) still says no
    assert _ident(p) == _ident(_write(tmp_path, "clean.jpg", clean))
    assert decode_image(str(p)).width == 64


# --- PSD, JPEG 2000, JPEG XL, GIF ------------------------------------------------------------


def _psd(seed: int = 0, caption: bytes = b"", size=(8, 6)) -> bytes:
    """A 3-channel 8-bit RGB PSD: header, no colour data, an IPTC image resource, no layers, and
    the raw composite image."""
    w, h = size
    planes = np.asarray(_picture(seed, size)).transpose(2, 0, 1).tobytes()
    iptc = b"\x1c\x02\x78" + len(caption).to_bytes(2, "big") + caption
    resource = (b"8BIM" + (0x0404).to_bytes(2, "big") + b"\0\0" + len(iptc).to_bytes(4, "big") + iptc
                + b"\0" * (len(iptc) & 1))
    return (b"8BPS\0\x01" + b"\0" * 6 + struct.pack(">HIIHH", 3, h, w, 8, 3) + struct.pack(">I", 0)
            + struct.pack(">I", len(resource)) + resource + struct.pack(">I", 0) + b"\0\0" + planes)


def test_psd_essence_leaves_the_image_resources_out(tmp_path):
    p = _write(tmp_path, "a.psd", _psd(0, b"first caption"))
    assert sniff(p).format == "psd"
    ess = _ident(p)
    assert ess.method == "psd-sections"
    assert _ident(_write(tmp_path, "b.psd", _psd(0, b"a much longer second caption"))) == ess
    assert _ident(_write(tmp_path, "c.psd", _psd(1, b"first caption"))) != ess
    d = decode_image(str(p))
    assert (d.width, d.height) == (8, 6)
    assert np.abs(np.asarray(d.image, dtype=int) - np.asarray(_picture(0, (8, 6)), dtype=int)).max() == 0


def test_psd_cut_short_is_truncated(tmp_path):
    data = _psd(0, b"caption")
    p = _write(tmp_path, "a.psd", data[:40])
    with pytest.raises(BadMediaError) as ei:
        _ident(p)
    assert ei.value.reason == "truncated"


def test_jpeg2000_boxed_and_bare_code_stream_are_one_asset(tmp_path):
    jp2, j2k = tmp_path / "a.jp2", tmp_path / "a.j2k"
    _picture(0).save(jp2, "JPEG2000")
    _picture(0).save(j2k, "JPEG2000")
    assert sniff(jp2).format == sniff(j2k).format == "jp2"
    ess = _ident(jp2)
    assert ess.method == "j2k-codestream"
    assert _ident(j2k) == ess
    _exiftool(jp2, "-XMP-dc:Description=a caption", "-EXIF:Artist=Someone")
    assert b"Someone" in jp2.read_bytes()
    assert _ident(jp2) == ess
    other = tmp_path / "b.jp2"
    _picture(1).save(other, "JPEG2000")
    assert _ident(other) != ess
    d = decode_image(str(jp2))
    assert (d.width, d.height) == (64, 48)


def test_jpeg_xl_is_sniffed_and_hashed_but_has_no_decoder(tmp_path):
    codestream = b"\xff\x0a" + bytes(range(40))
    bare = _write(tmp_path, "a.jxl", codestream)
    boxed = _write(tmp_path, "b.jxl", b"\0\0\0\x0cJXL \r\n\x87\n" + _ftyp(b"jxl ", b"jxl ")
                   + _atom(b"Exif", b"\0\0\0\0II*\0") + _atom(b"jxlp", b"\0\0\0\0" + codestream[:10])
                   + _atom(b"jxlp", b"\x80\0\0\x01" + codestream[10:]))
    assert sniff(bare).format == sniff(boxed).format == "jxl"
    assert _ident(bare) == _ident(boxed)
    assert _ident(bare).method == "jxl-codestream"
    if "JXL" not in Image.OPEN:
        with pytest.raises(BadMediaError) as ei:
            decode_image(str(bare))
        assert ei.value.reason == "unsupported"


def test_animated_gif_decodes_its_first_frame(tmp_path):
    p = tmp_path / "anim.gif"
    frames = [Image.new("RGB", (40, 30), c) for c in ((250, 10, 10), (10, 250, 10), (10, 10, 250))]
    frames[0].save(p, save_all=True, append_images=frames[1:], duration=100, loop=0)
    assert sniff(p).format == "gif" and _ident(p).method == "gif-pixels"
    d = decode_image(str(p))
    assert (d.width, d.height) == (40, 30)
    r, g, b = np.asarray(d.image).reshape(-1, 3).mean(axis=0)
    assert r > 200 and g < 50 and b < 50


# --- QuickTime without ftyp, audio formats ------------------------------------------------


def _movie(path: Path, fmt: str = "mov", frames: int = 3, faststart: bool = False) -> Path:
    with av.open(str(path), "w", format=fmt, options={"movflags": "+faststart"} if faststart else {}) as out:
        stream = out.add_stream("mjpeg", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuvj420p"
        for i in range(frames):
            frame = av.VideoFrame.from_ndarray(np.asarray(_picture(i)), format="rgb24")
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def test_moov_first_quicktime_is_a_movie(tmp_path):
    """An older .mov starts with its moov atom: no ftyp. Built by moving the ftyp of a faststart
    file behind the moov as a free atom, so every sample keeps its offset."""
    fast = _movie(tmp_path / "fast.mov", faststart=True)
    data = fast.read_bytes()
    ftyp_size = int.from_bytes(data[:4], "big")
    moov_size = int.from_bytes(data[ftyp_size:ftyp_size + 4], "big")
    assert data[ftyp_size + 4:ftyp_size + 8] == b"moov"
    moov_first = (data[ftyp_size:ftyp_size + moov_size] + _atom(b"free", b"\0" * (ftyp_size - 8))
                  + data[ftyp_size + moov_size:])
    p = _write(tmp_path, "old.mov", moov_first)
    assert sniff(p) == sniff_bytes(b"\0\0\0\x10moov\0\0\0\x08mvhd") == sniff(fast)
    assert (sniff(p).kind, sniff(p).format) == ("video", "mov")
    assert _ident(p) == _ident(fast)


def _tone(path: Path, fmt: str, codec: str, video: bool = False) -> Path:
    with av.open(str(path), "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=44100)
        stream.bit_rate = 64000
        pictures = out.add_stream("wmv2", rate=10) if video else None
        if pictures is not None:
            pictures.width, pictures.height, pictures.pix_fmt = 64, 48, "yuv420p"
        samples = (0.3 * np.sin(2 * np.pi * 440 * np.arange(22050) / 44100)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="fltp", layout="mono")
        frame.sample_rate = 44100
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
        if pictures is not None:
            for i in range(3):
                for packet in pictures.encode(av.VideoFrame.from_ndarray(np.asarray(_picture(i)), format="rgb24")):
                    out.mux(packet)
            for packet in pictures.encode(None):
                out.mux(packet)
    return path


def test_wavpack_id_survives_an_apev2_tag(tmp_path):
    import mutagen.wavpack
    p = _tone(tmp_path / "a.wv", "wv", "wavpack")
    assert sniff(p).format == "wv"
    before = _ident(p)
    assert before.method == "av-packets"
    tagged = mutagen.wavpack.WavPack(p)
    if tagged.tags is None:
        tagged.add_tags()
    tagged.tags["Title"] = "a title long enough " * 20
    tagged.save()
    assert _ident(p) == before


def test_wma_and_wmv(tmp_path):
    import mutagen.asf
    wma = _tone(tmp_path / "a.wma", "asf", "wmav2")
    wmv = _tone(tmp_path / "a.wmv", "asf", "wmav2", video=True)
    assert (sniff(wma).kind, sniff(wma).format) == ("audio", "wma")
    assert (sniff(wmv).kind, sniff(wmv).format) == ("video", "wmv")
    before = _ident(wma)
    tagged = mutagen.asf.ASF(wma)
    tagged["Title"] = ["a title long enough " * 20]
    tagged.save()
    assert _ident(wma) == before


# --- third-party test files (tests/data/conformance) ---------------------------------------------


def test_conformance_files_keep_the_ids_they_were_indexed_by():
    """ExifTool's DNG indexed as a TIFF and its CR3 as an MP4 video before RAW formats had names:
    both keep those asset IDs (the hashes below are what the previous release computed)."""
    dng, cr3 = DATA / "ex_DNG.dng", DATA / "ex_CanonRaw.cr3"
    assert (sniff(dng).format, sniff(cr3).format, sniff(cr3).kind) == ("dng", "cr3", "image")
    assert _ident(dng).sha256 == "75877321928d29688324246444ae057fc71ae8914a08df9fd08c86cbc330b6f3"
    assert _ident(cr3).sha256 == "894412f363b7dfa8684395d2e9aa4fa8cf427ecc90156b3a6b37635a60a796bc"
    assert (decode_image(str(dng)).width, decode_image(str(dng)).height) == (8, 8)


def test_conformance_raf_psd_jp2(tmp_path):
    raf = DATA / "ex_FujiFilm.raf"
    assert sniff(raf).format == "raf" and _ident(raf).method == "raw-sensor"
    assert decode_image(str(raf)).width == 160  # its EXIF thumbnail outsizes the 8x8 stub preview
    psd = shutil.copy(DATA / "ex_Photoshop.psd", tmp_path / "a.psd")
    before = _ident(psd)
    _exiftool(psd, "-IPTC:Caption-Abstract=x", "-XMP-dc:Title=another title")
    assert _ident(psd) == before
    assert decode_image(str(psd)).width == 8
    jp2 = DATA / "ex_Jpeg2000.jp2"
    assert _ident(jp2).method == "j2k-codestream" and decode_image(str(jp2)).width == 16


@pytest.mark.parametrize(("name", "orientation", "size"), [("ex_DNG.dng", None, (3516, 2328)),
                                                     ("ex_DNG.dng", 6, (2328, 3516)),
                                                     ("ex_FujiFilm.raf", None, (4256, 1424))])
def test_a_raw_asset_has_the_size_it_develops_to_not_its_previews(fake_lib, tmp_path, name, orientation, size):
    """Its pixels come from the embedded preview (8x8, 160x120), its width and height from the RAW
    as the metadata reads it, turned by the orientation as any other image's size is."""
    raw = shutil.copy(DATA / name, tmp_path / name)
    if orientation:
        _exiftool(raw, f"-IFD0:Orientation#={orientation}")
    assert fake_lib.ingest([raw], workers=0).added == 1
    shown = fake_lib.show(str(raw))
    assert (shown["width"], shown["height"]) == size
    assert decode_image(str(raw)).width == {"ex_DNG.dng": 8, "ex_FujiFilm.raf": 160}[name]  # the preview


def test_tiff_walker_reads_an_ifd_chain_with_sub_ifds():
    data = _nef()
    tiff = Tiff(data)
    ifds = list(tiff.ifds())
    assert len(ifds) == 3  # IFD0, then its two SubIFDs
    assert tiff.text(ifds[0][0x010F]) == "NIKON CORPORATION"
    assert tiff.ints(ifds[2][0x0106]) == [32803]
