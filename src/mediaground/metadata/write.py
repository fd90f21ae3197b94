"""Write edited metadata back into a media file: verified, atomic, never in place, and losing nothing.

One edit touches every tag `read.py` would read for that field, so the reader's precedence (XMP,
then IPTC IIM, then EXIF) cannot bring an old value back, and it touches nothing else:

* JPEG, TIFF: XMP + IPTC IIM (with CodedCharacterSet 1:90 = ESC % G, i.e. UTF-8) + EXIF.
* PNG, WebP: XMP + EXIF. IIM has no standard home there; a PNG that already carries an IIM block
  (ImageMagick's "Raw profile type iptc") gets it updated too, so stale keywords cannot merge back.
* MP3: ID3v2 (v2.3 stays v2.3, else v2.4); WAV/AIFF: their ID3 chunk, and a WAV's RIFF INFO list;
  FLAC and Ogg (Vorbis/Opus/Speex/FLAC): Vorbis comments; M4A: MP4 ilst atoms. A caption is
  written to audio as the comment.

This module is the write and its verification: format resolution and refusals, the plan (the diff
against what is read now), the temp copy checked and put in place, and `apply_csv` for batches.
The parts live beside it: the values (`parse_edits`, `Change`, `WriteResult`, the writable fields,
`MetadataWriteError`) in :mod:`.edits`; the image blocks (EXIF in place, IIM dataset by dataset,
XMP serialized by exiv2 and repaired first where it rejects a packet) in :mod:`.write_image`; the
audio tags (mutagen; a WAV's INFO list by :mod:`.riff_info`) in :mod:`.write_audio`. Every public
name is still importable from here. `docs/metadata-mapping.md` has the field → tag tables.

Every write (`write_metadata`):

1. validates the edits and the format (nothing is touched when they are bad; a format that cannot
   hold a field, RAW originals among them, is refused naming the fields and why);
2. computes the diff against what `read_metadata` reads now; no difference means no write at all;
3. writes the tags into a temp copy in the same folder and fsyncs it;
4. re-reads the copy with `read_metadata` and compares every field (edited ones must read back as
   written, the others as they were); for images also every EXIF/IPTC/XMP tag exiv2 reads; and
   checks that the essence hash (hence the asset ID) of the copy equals the original's;
5. only then renames the copy over the original (`os.replace`) and fsyncs the folder.

When a check fails the copy is deleted and `MetadataWriteError` names the field and the values;
the original keeps its bytes. Because the original is replaced, not rewritten, a copy of it that
shares its inode (a hard-linked content-store object) keeps the old bytes too. Nothing here needs
a library: a path is all a write takes.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, NamedTuple

from mediaground.errors import BadMediaError
from mediaground.ids import essence_hash
from mediaground.media.sniff import sniff
from mediaground.util import fsync_dir

from .edits import (
    _INT_FIELDS, _LIST_FIELDS, AUDIO_FIELDS, IMAGE_FIELDS, WRITABLE, Change, MetadataWriteError, WriteResult,
    parse_edits,
)
from .read import read_metadata
from .record import MetadataRecord
from .riff_info import read_info
from .write_audio import _audio_field, _copy_with_info, _info_changes, _write_audio
from .write_image import _image_guard, _repairs_needed, _write_image

__all__ = [
    "WRITABLE", "IMAGE_FIELDS", "AUDIO_FIELDS", "IMAGE_WRITE_FORMATS", "AUDIO_WRITE_FORMATS",
    "MetadataWriteError", "Change", "WriteResult", "CsvRow", "parse_edits", "plan", "write_metadata", "apply_csv",
]


_FORMAT_ALIASES = {"jpg": "jpeg", "tif": "tiff", "oga": "ogg", "opus": "ogg", "wave": "wav", "aif": "aiff"}
IMAGE_WRITE_FORMATS = frozenset({"jpeg", "png", "webp", "tiff"})
AUDIO_WRITE_FORMATS = frozenset({"mp3", "wav", "aiff", "flac", "ogg", "m4a"})

_GPS_TOL = 1e-6
_ALT_TOL = 1e-3
_TMP_PREFIX = ".mediaground-write-"


# ---------------------------------------------------------------- format and diff


_WRITTEN = "mediaground writes tags to JPEG, PNG, WebP and TIFF images and MP3, WAV, AIFF, FLAC, Ogg and M4A audio"
_EXIV2_READ_ONLY = "exiv2, which mediaground writes image tags with, can read {0} but not write it"
# Formats mediaground reads but does not write, and why.
_NOT_WRITTEN = {
    "gif": "exiv2, which mediaground writes image tags with, cannot write GIF",
    "bmp": "BMP has no place for EXIF, IPTC or XMP",
    "heic": _EXIV2_READ_ONLY.format("HEIF/HEIC"),
    "heif": _EXIV2_READ_ONLY.format("HEIF/HEIC"),
    "avif": _EXIV2_READ_ONLY.format("AVIF"),
    "aac": "a raw ADTS AAC stream has no tag container (an M4A has one)",
    "psd": "its tags are read (Photoshop image resources), not written: edit the exported JPEG or TIFF",
    "jp2": "its tags are read, not written",
    "jxl": "its tags are read, not written",
    "ape": "its APEv2 tags are read, not written", "wv": "its APEv2 tags are read, not written",
    "mpc": "its APEv2 tags are read, not written", "wma": "its ASF tags are read, not written",
}
_NO_CONTAINER = frozenset({"bmp", "aac"})  # the file has nowhere to put a tag, whoever writes it
# Camera RAW originals are never written: by extension, then by their signatures (most are TIFF inside).
_RAW_EXTENSIONS = {
    ".3fr": "Hasselblad 3FR", ".arw": "Sony ARW", ".cr2": "Canon CR2", ".cr3": "Canon CR3", ".crw": "Canon CRW",
    ".dcr": "Kodak DCR", ".dng": "DNG", ".erf": "Epson ERF", ".fff": "Hasselblad FFF", ".gpr": "GoPro GPR",
    ".iiq": "Phase One IIQ", ".kdc": "Kodak KDC", ".mef": "Mamiya MEF", ".mos": "Leaf MOS", ".mrw": "Minolta MRW",
    ".nef": "Nikon NEF", ".nrw": "Nikon NRW", ".orf": "Olympus ORF", ".pef": "Pentax PEF", ".raf": "Fujifilm RAF",
    ".raw": "camera RAW", ".rw2": "Panasonic RW2", ".rwl": "Leica RWL", ".sr2": "Sony SR2", ".srf": "Sony SRF",
    ".srw": "Samsung SRW", ".x3f": "Sigma X3F",
}
_RAW_NAMES = {"cr2": "Canon CR2", "cr3": "Canon CR3", "nef": "Nikon NEF", "arw": "Sony ARW", "dng": "DNG",
              "raf": "Fujifilm RAF", "rw2": "Panasonic RW2", "orf": "Olympus ORF", "mrw": "Minolta MRW",
              "x3f": "Sigma X3F"}


def _camera_raw(path: str | os.PathLike[str], sniffed: str | None) -> str | None:
    """The kind of camera RAW file at `path` (by its extension, else by what `sniff` found in its
    bytes: a DNG named .tif is still a DNG), or None for anything else."""
    return _RAW_EXTENSIONS.get(Path(path).suffix.lower()) or _RAW_NAMES.get(sniffed or "")


def _resolve(path: str | os.PathLike[str], fmt: str | None, kind: str | None,
             edits: Mapping[str, Any]) -> tuple[str, str]:
    """The canonical (fmt, kind) if this module can write it, else MetadataWriteError naming the
    fields asked for and why the file cannot hold them."""
    if not os.path.isfile(path):
        raise MetadataWriteError(f"{os.fspath(path)}: no such file")
    try:
        mt = sniff(path)  # also when the caller names the format: a RAW is refused by its bytes
    except (OSError, BadMediaError) as exc:
        raise MetadataWriteError(f"cannot read {os.fspath(path)}: {exc}") from exc
    fmt = fmt or mt.format
    kind = kind or mt.kind
    fmt = (fmt or "").lower()
    fmt = _FORMAT_ALIASES.get(fmt, fmt)
    asked = ", ".join(sorted(edits)) or "tags"
    raw = _camera_raw(path, mt.format)
    if raw:
        ext = Path(path).suffix.lower().lstrip(".") or fmt
        raise MetadataWriteError(f"{ext} files ({raw} camera RAW) are not written ({asked} asked): RAW originals "
                                 "are read-only for mediaground, it never writes into them")
    if kind == "image" and fmt in IMAGE_WRITE_FORMATS:
        return fmt, kind
    if kind == "audio" and fmt in AUDIO_WRITE_FORMATS:
        return fmt, kind
    if not fmt:
        raise MetadataWriteError(f"{os.fspath(path)}: unrecognized format, so {asked} cannot be written; {_WRITTEN}")
    reason = _NOT_WRITTEN.get(fmt) or (f"video is not written; {_WRITTEN}" if kind == "video" else _WRITTEN)
    if fmt in _NO_CONTAINER:
        raise MetadataWriteError(f"{fmt} files cannot hold {asked}: {reason}")
    raise MetadataWriteError(f"{fmt} files are not written ({asked} asked): {reason}")


def _check_fields(fmt: str, kind: str, edits: Mapping[str, Any]) -> None:
    if not edits:
        raise MetadataWriteError("no edits given")
    allowed = IMAGE_FIELDS if kind == "image" else AUDIO_FIELDS
    bad = sorted(set(edits) - allowed)
    if bad:
        raise MetadataWriteError(
            f"{fmt} files cannot hold {', '.join(bad)} (fields it can hold: {', '.join(sorted(allowed))})")
    if kind == "audio" and "creator" in edits and "artist" in edits:
        raise MetadataWriteError("give creator or artist for audio, not both (creator is written as the artist)")
    if kind == "audio" and "caption" in edits and "comment" in edits:
        raise MetadataWriteError("give caption or comment for audio, not both (audio has one comment, which a "
                                 "caption is written to)")
    # parse_edits output is what we expect; a caller passing raw strings gets a clear error.
    for name, value in edits.items():
        if name in _LIST_FIELDS and not (isinstance(value, list) and value and all(isinstance(v, str) for v in value)):
            raise MetadataWriteError(f"{name}: expected a non-empty list of strings (use parse_edits)")
        if name == "gps" and not (isinstance(value, tuple) and len(value) in (2, 3)):
            raise MetadataWriteError("gps: expected a (lat, lon[, alt]) tuple (use parse_edits)")
        if name in _INT_FIELDS and not isinstance(value, int):
            raise MetadataWriteError(f"{name}: expected an int (use parse_edits)")


def _current(rec: MetadataRecord, name: str, kind: str = "image") -> Any:
    if kind == "audio":
        name = _audio_field(name)
    if name == "gps":
        if rec.gps_lat is None or rec.gps_lon is None:
            return None
        return (rec.gps_lat, rec.gps_lon) + ((rec.gps_alt,) if rec.gps_alt is not None else ())
    value = getattr(rec, name)
    return list(value) if isinstance(value, list) else value


def _same(name: str, old: Any, new: Any) -> bool:
    if old is None:
        return False
    if name == "gps":
        if len(new) == 2:  # a position without an altitude leaves the altitude alone
            old = old[:2]
        if len(old) != len(new):
            return False
        tols = (_GPS_TOL, _GPS_TOL, _ALT_TOL)
        return all(abs(a - b) <= tol + 1e-12 for a, b, tol in zip(old, new, tols))
    if name == "keywords":
        return sorted(old) == sorted(new)
    return old == new


def plan(path: str | os.PathLike[str], fmt: str | None, kind: str | None, edits: Mapping[str, Any]) -> WriteResult:
    """The changes `write_metadata` would make (for --dry-run); fields already as asked are left out.
    `repaired` lists what the write would have to repair first (see WriteResult)."""
    fmt, kind = _resolve(path, fmt, kind, edits)
    _check_fields(fmt, kind, edits)
    changes = _diff(read_metadata(path, fmt, kind), edits, kind)
    repaired = _repairs_needed(Path(path).read_bytes(), fmt) if changes and kind == "image" else []
    return WriteResult(changes, repaired)


def _diff(rec: MetadataRecord, edits: Mapping[str, Any], kind: str) -> list[Change]:
    changes = []
    for name, new in edits.items():
        old = _current(rec, name, kind)
        if not _same(name, old, new):
            changes.append(Change(name, old, new))
    return changes


# ---------------------------------------------------------------- the write


def _expected(kind: str, edits: Mapping[str, Any]) -> dict[str, Any]:
    """What read_metadata must read back for each edited field."""
    if kind != "audio":
        return dict(edits)
    want = {_audio_field(name): value for name, value in edits.items()}
    if "creator" in want:
        want["artist"] = "; ".join(want["creator"])
    return want


# Record fields an edit may change besides its own (the reader derives them from the same tag).
_TOUCHES = {"gps": {"gps_lat", "gps_lon", "gps_alt"}, "creator": {"creator", "artist"}, "artist": {"artist", "creator"},
            "year": {"year", "date_created"}}
# Audio: a caption is the comment; an MP4 description atom kept in step is read as the caption.
_AUDIO_TOUCHES = {**_TOUCHES, "comment": {"comment", "caption"}, "caption": {"comment", "caption"}}
_NOT_COMPARED = {"sources", "warnings"}
_AUDIO_TAG_SOURCES = ("id3:", "vorbis:", "mp4:")


def _verify(path: str, fmt: str, kind: str, edits: Mapping[str, Any], before: MetadataRecord) -> list[str]:
    """Every edited field reads back as written, and every other field reads back as it was."""
    rec = read_metadata(path, fmt, kind)
    problems = []
    for name, new in _expected(kind, edits).items():
        got = _current(rec, name)
        if not _same(name, got, new):
            problems.append(f"{name}: wrote {new!r}, read back {got!r}")
    touches = _AUDIO_TOUCHES if kind == "audio" else _TOUCHES
    touched = set().union(*(touches.get(name, {name}) for name in edits))
    if "gps" in edits and len(edits["gps"]) == 2:
        touched.discard("gps_alt")  # kept, so it must read back as it was
    for f in fields(MetadataRecord):
        name = f.name
        if name in touched or name in _NOT_COMPARED:
            continue
        # Audio: only what came from the tags we rewrote; ffmpeg's fallback view depends on which tags exist.
        if kind == "audio" and not before.sources.get(name, "").startswith(_AUDIO_TAG_SOURCES):
            continue
        old, got = getattr(before, name), getattr(rec, name)
        if old != got:
            problems.append(f"{name} (not edited): was {old!r}, read back {got!r}")
    if fmt == "wav":
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            info = read_info(mm)
        for cid, text in _info_changes(edits).items() if info else ():
            if info.get(cid) != text:
                problems.append(f"RIFF INFO {cid.decode()}: wrote {text!r}, read back {info.get(cid)!r}")
    return problems


def _fsync_file(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _essence(path: str | os.PathLike[str], fmt: str, what: str) -> str:
    try:
        ess = essence_hash(path, fmt)
    except BadMediaError as exc:
        raise MetadataWriteError(f"cannot hash the media data of {what}: {exc}") from exc
    if ess.basis != "essence":
        raise MetadataWriteError(f"cannot isolate the media data of this {fmt} file, so tags cannot be written "
                                 "without changing its asset ID")
    return ess.sha256


def write_metadata(path: str | os.PathLike[str], fmt: str | None, kind: str | None,
                   edits: Mapping[str, Any], force: bool = False) -> WriteResult:
    """Apply `edits` (from parse_edits) to the file at `path`, any file (no library is involved);
    returns the changes made (== [] when all was already so) and, in `.repaired`, what had to be
    repaired first (an XMP packet exiv2 rejected), for the caller to record with the change.
    `force` writes even when the merged reading already agrees, to bring every standard in line
    (e.g. IPTC keywords that differ from XMP dc:subject, which the merged record hides).

    The original is never opened for writing: a verified temp copy replaces it atomically, or
    nothing happens and MetadataWriteError says why. Symlinks are followed (the target is replaced).
    """
    target = os.path.realpath(path)
    fmt, kind = _resolve(target, fmt, kind, edits)
    _check_fields(fmt, kind, edits)
    before = os.stat(target)
    # No write bit at all (content-store objects are 0444) counts as read-only even for root.
    if not os.access(target, os.W_OK) or not before.st_mode & 0o222:
        raise MetadataWriteError(f"{os.fspath(path)} is read-only; not writing tags to it")
    before_rec = read_metadata(target, fmt, kind)
    changes = _diff(before_rec, edits, kind)
    if not changes and force:
        changes = [Change(name, value, value) for name, value in edits.items()]
    if not changes:
        return WriteResult()
    essence = _essence(target, fmt, os.fspath(path))
    folder = os.path.dirname(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=_TMP_PREFIX, suffix=".tmp")
    except OSError as exc:
        raise MetadataWriteError(f"cannot create a temporary file in {folder} ({exc.strerror}): tags are written "
                                 "to a copy beside the file, which then replaces it, so its folder must be "
                                 "writable") from None
    written = None
    try:
        with os.fdopen(fd, "wb") as out, open(target, "rb") as src:
            if kind == "image":
                written = _write_image(src.read(), fmt, edits)
                out.write(written.data)
            elif not (fmt == "wav" and _copy_with_info(src, out, edits, os.fspath(path))):
                while block := src.read(1 << 20):
                    out.write(block)
        if kind == "audio":
            _write_audio(tmp, fmt, edits)
        _fsync_file(tmp)
        problems = _verify(tmp, fmt, kind, edits, before_rec)
        if written is not None:
            problems += _image_guard(tmp, written)
        if problems:
            raise MetadataWriteError(f"{os.fspath(path)}: the write could not be verified, nothing was changed: "
                                     + "; ".join(problems))
        if _essence(tmp, fmt, "the rewritten file") != essence:
            raise MetadataWriteError(f"{os.fspath(path)}: writing the tags changed the media data (the asset ID "
                                     "would change), nothing was changed")
        now = os.stat(target)
        if (now.st_ino, now.st_size, now.st_mtime_ns) != (before.st_ino, before.st_size, before.st_mtime_ns):
            raise MetadataWriteError(f"{os.fspath(path)} changed while its tags were being written; "
                                     "nothing was changed")
        os.chmod(tmp, stat.S_IMODE(before.st_mode))
        os.replace(tmp, target)
    except MetadataWriteError:
        Path(tmp).unlink(missing_ok=True)
        raise
    except Exception as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MetadataWriteError(f"{os.fspath(path)}: writing tags failed, nothing was changed: "
                                 f"{type(exc).__name__}: {exc}") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(folder)
    return WriteResult(changes, written.repaired if written is not None else ())


# ---------------------------------------------------------------- batch


class CsvRow(NamedTuple):
    """One CSV row: `target` is a Path (from a `path` column) or an asset ID string (`asset_id`)."""

    target: Path | str
    edits: dict[str, Any]

    @property
    def path(self) -> Path | None:
        return self.target if isinstance(self.target, Path) else None

    @property
    def asset_id(self) -> str | None:
        return self.target if isinstance(self.target, str) else None


def apply_csv(csv_path: str | os.PathLike[str]) -> Iterator[CsvRow]:
    """Parse an edits CSV into (target, edits) rows; the whole file is validated before anything is yielded.

    Columns: `path` and/or `asset_id` (one per row), then one column per field (names as in
    WRITABLE). Empty cells leave a field unchanged; rows without edits are skipped. Relative paths
    are resolved against the CSV's folder. Asset IDs are left for the caller to resolve.
    """
    csv_path = Path(csv_path)
    try:
        text = csv_path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MetadataWriteError(f"{csv_path}: not UTF-8 text ({exc})") from exc
    except OSError as exc:
        raise MetadataWriteError(f"cannot read {csv_path}: {exc}") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        raise MetadataWriteError(f"{csv_path}: empty file, expected a header row")
    columns = [h.strip().lower().replace("-", "_") for h in header]
    if "path" not in columns and "asset_id" not in columns:
        raise MetadataWriteError(f"{csv_path}: needs a 'path' or 'asset_id' column")
    unknown = [c for c in columns if c not in WRITABLE and c not in ("path", "asset_id")]
    if unknown:
        raise MetadataWriteError(f"{csv_path}: unknown column(s) {', '.join(map(repr, unknown))}; "
                                 f"writable fields: {', '.join(sorted(WRITABLE))}")
    if len(set(columns)) != len(columns):
        raise MetadataWriteError(f"{csv_path}: a column appears twice")
    rows: list[CsvRow] = []
    for line_no, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(columns):
            raise MetadataWriteError(f"{csv_path}:{line_no}: {len(cells)} cells but {len(columns)} columns")
        row = dict(zip(columns, cells))
        path_cell, id_cell = row.pop("path", "").strip(), row.pop("asset_id", "").strip()
        if bool(path_cell) == bool(id_cell):
            raise MetadataWriteError(f"{csv_path}:{line_no}: give exactly one of path or asset_id")
        try:
            edits = parse_edits({k: v for k, v in row.items() if v.strip()})
        except MetadataWriteError as exc:
            raise MetadataWriteError(f"{csv_path}:{line_no}: {exc}") from None
        if not edits:
            continue
        target: Path | str = (csv_path.parent / path_cell) if path_cell else id_cell  # absolute paths stay absolute
        rows.append(CsvRow(target, edits))
    return iter(rows)
