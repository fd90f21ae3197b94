"""``mediaground export sanitized DEST``: publishable copies without the personal data.

For each asset the current file (or, when it is gone or no longer matches, the stored original)
is *copied* to ``DEST/<stem>_<asset_id[:8]><ext>`` and only the copy is changed; the user's files
and the content store are only ever read.

What a copy loses (each is a ``--keep`` category; :mod:`mediaground.privacy.exif` says which tags):

* ``serials``      camera and lens serial numbers (EXIF, XMP)
* ``owner``        camera owner names, ID3 TOWN, MP4 owner/Apple ID
* ``software``     Software, ProcessingSoftware, HostComputer, CreatorTool; audio encoder tags
* ``history``      XMP editing history, document/instance IDs, original file names, ImageUniqueID
* ``maker-notes``  the maker-note block and every tag exiv2 decoded from it
* ``contact``      IPTC creator contact e-mail/phone/street/postcode, IIM Contact
* ``thumbnail``    the EXIF thumbnail and Photoshop's thumbnail (they may show what a crop removed)
* ``comment``      the JPEG comment segment
* ``private``      ID3 PRIV/GEOB/POPM, MP4 store IDs, FLAC APPLICATION blocks, RIFF INFO/bext/iXML
                   chunks (wanted RIFF INFO title/artist/copyright/album/genre/date move into ID3)
* ``text-pii``     other tags (not the wanted ones below) whose text holds an e-mail, phone or ID
                   number: EXIF UserComment, ``photoshop:Instructions``, ID3 COMM/TXXX, ...

Always dropped: data after the first image's end in a JPEG (an MPO's second frame, an appended
motion-photo video, upload junk) with the MPF index pointing to it.

GPS (``--gps``): ``coarse`` (the default) rounds latitude and longitude to ``--precision`` decimals
(2 ≈ 1.1 km) and drops altitude, time, direction and every other GPS tag; ``remove`` drops all
GPS; ``keep`` leaves it. **Private assets** (:mod:`mediaground.privacy.flags`) never carry GPS,
whatever ``--gps`` says.

Kept as they are: title, caption/description, alt text and extended description, keywords,
creator/artist, credit, copyright/rights, license and licensor, place names, dates, camera make
and model, lens model, ICC profile. Text in those fields is not rewritten even when it holds an
e-mail or phone number; such finds are listed as ``warnings`` in the manifest (and in the PII
audit), to be fixed at the source with ``mediaground meta set``.

Every copy is written to a temp file in DEST, fsynced, then **verified** by reading it back:
nothing of a stripped category is left (the same scanner the audit uses), every kept field of the
normalized record reads back equal, GPS is as the policy says, and the essence hash (so the asset
ID) equals the asset's. Only then is it renamed into place; otherwise the temp file is deleted and
the asset is reported as failed, and the batch goes on. Formats that cannot be sanitized (video,
HEIC/AVIF, GIF, BMP, RAW, ...) are skipped with the reason: nothing is ever copied unsanitized.

``DEST/manifest.json`` lists each exported file (asset id, source path, file, sha256, what was
removed, GPS treatment, warnings) plus the skipped and failed assets of the last run. A file in
DEST is only replaced when the manifest says it is this asset's earlier export and its bytes
are unchanged since; a re-run with the same options rewrites nothing ("unchanged").
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Iterable

import mutagen
import pyexiv2
from mutagen._riff import RiffFile
from mutagen.aiff import AIFFFile
from mutagen.id3 import ID3, Frames

from mediaground.catalog import Asset, Catalog
from mediaground.errors import BadMediaError, MediagroundError
from mediaground.ids import essence_hash, file_sha256
from mediaground.metadata import segments
from mediaground.metadata.jpeg import legacy_xmp_segments
from mediaground.metadata.read import read_metadata
from mediaground.metadata.record import MetadataRecord
from mediaground.privacy.detect import find_pii
from mediaground.privacy.exif import (AUDIO_SANITIZE_FORMATS, CATEGORIES, IMAGE_SANITIZE_FORMATS, classify_image_key,
                                      read_image_tags, riff_info, scan_audio, scan_image)
from mediaground.privacy.flags import private_reason
from mediaground.store.content import ContentStore
from mediaground.util import atomic_write_bytes, fsync_dir, now

pyexiv2.set_log_level(4)

__all__ = ["export_sanitized", "SanitizeError", "GPS_MODES", "KEEP_CHOICES", "MANIFEST", "DEFAULT_GPS",
           "DEFAULT_PRECISION"]

GPS_MODES = ("keep", "coarse", "remove")
DEFAULT_GPS = "coarse"
DEFAULT_PRECISION = 2
KEEP_CHOICES = tuple(c for c in CATEGORIES if c != "gps")
MANIFEST = "manifest.json"
GENERATOR = "mediaground export sanitized"
_TMP_PREFIX = ".mediaground-export-"
_FORMAT_ALIASES = {"jpg": "jpeg", "tif": "tiff", "oga": "ogg", "opus": "ogg", "wave": "wav", "aif": "aiff"}
# Record fields that must read back unchanged (GPS is checked by its own rule; comment may lose PII).
_NOT_COMPARED = {"sources", "warnings", "gps_lat", "gps_lon", "gps_alt"}
_RIFF_TO_ID3 = {"title": "TIT2", "artist": "TPE1", "copyright": "TCOP", "album": "TALB", "genre": "TCON",
                "date": "TDRC"}


class SanitizeError(MediagroundError):
    """One asset could not be sanitized; the message says why (the batch goes on)."""


class Skip(Exception):
    """An asset this exporter does not handle (format, basis): reported as skipped, never copied."""


@dataclass
class Plan:
    removed: list[str] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)  # record fields allowed to change
    warnings: list[str] = field(default_factory=list)
    gps: str = "none"


# ---------------------------------------------------------------- images


def _coarse_gps_exif(lat: float, lon: float, precision: int) -> dict[str, str]:
    scale = 10 ** precision

    def deg(v: float) -> str:
        return f"{round(abs(v) * scale)}/{scale} 0/1 0/1"

    return {"Exif.GPSInfo.GPSVersionID": "2 3 0 0",
            "Exif.GPSInfo.GPSLatitudeRef": "N" if round(lat, precision) >= 0 else "S",
            "Exif.GPSInfo.GPSLatitude": deg(lat),
            "Exif.GPSInfo.GPSLongitudeRef": "E" if round(lon, precision) >= 0 else "W",
            "Exif.GPSInfo.GPSLongitude": deg(lon)}


def _sanitize_image(data: bytes, fmt: str, before: MetadataRecord, strip: set[str], gps_mode: str,
                    precision: int) -> tuple[bytes, Plan]:
    plan = Plan()
    if fmt == "jpeg":
        data, cut = segments.cut_jpeg_trailer(data)
        if cut:
            plan.removed.append(f"{cut} bytes after the image (second frame, appended video or trailer)")
        data, legacy = legacy_xmp_segments(data)
        if legacy is not None:
            # adopt XMP stored under the old "XMP\0" signature as the standard packet (as `meta set` does)
            img = pyexiv2.ImageData(data)
            try:
                if (img.read_raw_xmp(encoding="utf-8") or "").strip(" \x00\n"):
                    raise Skip("the file holds two XMP packets (a standard one and one under the old 'XMP' "
                               "signature); merge them first")
                img.modify_raw_xmp(legacy)
                data = img.get_bytes()
            finally:
                img.close()
            plan.removed.append("legacy-xmp: the XMP packet under the old 'XMP' signature became the standard one")
    digest_was_current = segments.iptc_digest_current(data) if fmt == "jpeg" else None
    tags = read_image_tags(data, fmt)
    if tags.error and not (tags.exif or tags.xmp or tags.iptc):
        raise SanitizeError(tags.error)
    if tags.xmp_unparsed:
        raise Skip("the file's XMP packet is invalid (exiv2 cannot parse it), so it cannot be edited safely; "
                   "repair it first (e.g. exiftool -xmp:all= ... after saving what you need)")
    items = scan_image(tags)
    exif_del, xmp_del, iptc_del = set(), set(), set()
    png_drop: set[str] = set()
    clear_comment = clear_thumb = False
    for item in items:
        keys = item.keys_in(strip)
        if not keys or item.kind == "gps":
            continue
        for key in keys:
            if key.startswith("Exif.Thumbnail") or key == "Exif.Thumbnail":
                clear_thumb = True
            elif key.startswith("Exif."):
                exif_del.add(key)
            elif key.startswith("Xmp."):
                xmp_del.add(key)
            elif key.startswith("Iptc."):
                iptc_del.add(key)
            elif key == "JPEG comment":
                clear_comment = True
            elif key.startswith("PNG "):
                png_drop.add(key[4:])
        plan.removed.append(f"{item.kind}: {item.detail}" + ("" if len(keys) == len(item.keys) else
                                                               f" (only {', '.join(keys)})"))
        if item.category in ("text-pii",) and any(k in ("Exif.Photo.UserComment", "Exif.Image.XPComment")
                                                  for k in item.keys):
            plan.changed_fields.add("comment")
    if "thumbnail" in strip and tags.thumbnail:
        clear_thumb = True
    if fmt == "jpeg" and "comment" in strip and tags.comment:
        clear_comment = True
        if not any(r.startswith("comment") for r in plan.removed):
            plan.removed.append("comment: JPEG comment segment")
    gps_keys = [k for k in {**tags.exif, **tags.xmp} if (classify_image_key(k) or ("",))[0] == "gps"]
    new_gps: dict[str, str] = {}
    if gps_keys or before.gps_lat is not None:
        if gps_mode == "keep":
            plan.gps = "kept"
        else:
            exif_del.update(k for k in gps_keys if k.startswith("Exif."))
            xmp_del.update(k for k in gps_keys if k.startswith("Xmp."))
            if gps_mode == "coarse" and before.gps_lat is not None and before.gps_lon is not None:
                new_gps = _coarse_gps_exif(before.gps_lat, before.gps_lon, precision)
                plan.gps = f"coarse ({precision} decimals)"
                plan.removed.append(f"gps: position rounded to {precision} decimals; altitude and other GPS tags removed")
            else:
                plan.gps = "removed"
                plan.removed.append("gps: all GPS tags removed")
    img = pyexiv2.ImageData(data)
    try:
        if exif_del or new_gps:
            changes: dict[str, Any] = {k: None for k in sorted(exif_del, key=lambda k: -len(k))}
            for k in new_gps:
                changes.pop(k, None)
            img.modify_exif(changes)
            if new_gps:
                img.modify_exif(new_gps)
        if xmp_del:
            img.modify_xmp({k: None for k in sorted(xmp_del, key=lambda k: -len(k))})
        if iptc_del:
            img.modify_iptc({k: None for k in iptc_del})
        if clear_thumb:
            img.clear_thumbnail()
            if not any(r.startswith("embedded-thumbnail") for r in plan.removed):
                plan.removed.append("embedded-thumbnail: EXIF thumbnail")
        if clear_comment:
            img.clear_comment()
        out = img.get_bytes()
    finally:
        img.close()
    if fmt == "jpeg" and {"thumbnail", "software"} & strip and segments.irb_resource_ids(out):
        drop = set()
        if "thumbnail" in strip:
            drop |= {0x0409, 0x040C}
        if "software" in strip:
            drop.add(0x0421)
        try:
            out, dropped = segments.strip_irb(out, drop)
        except ValueError as exc:
            raise SanitizeError(str(exc)) from exc
        for rid in dropped:
            plan.removed.append(f"photoshop: {segments.IRB_DROP[rid]} (IRB resource 0x{rid:04X})")
    if digest_was_current:  # exiv2 rewrote the IPTC: keep Photoshop's digest of it current, as ExifTool does
        out, _ = segments.refresh_iptc_digest(out)
    if fmt == "png" and png_drop:
        out, gone = segments.strip_png_text(out, set(tags.png_text) - png_drop)
        if gone:
            plan.removed.append("png-text: text chunks " + ", ".join(repr(g) for g in gone))
    # wanted fields holding PII stay, with a warning
    for name in ("title", "caption", "alt_text", "extended_description", "keywords", "creator", "credit", "copyright",
                 "location"):
        value = getattr(before, name)
        for text in value if isinstance(value, list) else [value]:
            for m in find_pii(text or ""):
                plan.warnings.append(f"kept {name} holds {m.describe()}")
    return out, plan


_COARSE_GPS_KEYS = {"Exif.GPSInfo.GPSVersionID", "Exif.GPSInfo.GPSLatitudeRef", "Exif.GPSInfo.GPSLatitude",
                    "Exif.GPSInfo.GPSLongitudeRef", "Exif.GPSInfo.GPSLongitude"}


def _verify_image(out: bytes, fmt: str, strip: set[str], gps_mode: str = "keep") -> list[str]:
    problems = []
    tags = read_image_tags(out, fmt)
    for item in scan_image(tags):
        if item.kind == "gps":
            allowed = set() if gps_mode == "remove" else _COARSE_GPS_KEYS if gps_mode == "coarse" else None
            left = [k for k in item.keys if allowed is not None and k not in allowed]
            if left:
                problems.append(f"still holds GPS tags ({', '.join(left[:6])})")
            continue
        left = item.keys_in(strip)
        if left:
            problems.append(f"still holds {item.kind} ({', '.join(left[:6])})")
    if "thumbnail" in strip and tags.thumbnail:
        problems.append("still holds an EXIF thumbnail")
    if fmt == "jpeg":
        if "thumbnail" in strip and set(segments.irb_resource_ids(out)) & {0x0409, 0x040C}:
            problems.append("still holds a Photoshop thumbnail")
        if segments.jpeg_trailer(out):
            problems.append("still has data after the image")
    return problems


# ---------------------------------------------------------------- audio


def _sanitize_audio(tmp: str, fmt: str, before: MetadataRecord, strip: set[str], gps_mode: str,
                    precision: int) -> Plan:
    """Edit the copy at `tmp` in place with mutagen."""

    plan = Plan()
    items = [i for i in scan_audio(tmp, fmt) if i.category in strip]
    riff_drop = [k[5:] for i in items for k in i.keys if k.startswith("riff:") and not k.startswith("riff:INFO:")]
    aiff_drop = [k[5:] for i in items for k in i.keys if k.startswith("aiff:")]
    carry: dict[str, str] = {}
    if fmt == "wav" and riff_drop and "LIST" in riff_drop:
        # wanted RIFF INFO fields move into ID3 so the copy keeps its title, artist, copyright

        info = riff_info(tmp)
        carry = {k: v for k, v in info.items() if k in _RIFF_TO_ID3 and v.strip()}
    audio = mutagen.File(tmp)
    if audio is None:
        raise SanitizeError(f"mutagen cannot open this {fmt} file")
    tags = audio.tags
    dropped_comment = False
    changed = False
    for item in items:
        for key in item.keys:
            if key.startswith(("riff:", "aiff:", "flac:")):
                continue
            if isinstance(tags, ID3) or fmt == "m4a":
                if key in tags:
                    del tags[key]
                    changed = True
                    dropped_comment |= key.startswith("COMM") or key == "©cmt"
            elif key.startswith("vorbis:"):
                name = key[7:]
                for k in [k for k in tags.keys() if k.lower() == name]:
                    del tags[k]
                    changed = True
                    dropped_comment |= name in ("comment", "description")
        if not item.keys[0].startswith(("riff:", "aiff:")):
            plan.removed.append(f"{item.kind}: {item.detail}")
    if fmt == "flac" and any(k.startswith("flac:APPLICATION") for i in items for k in i.keys):
        audio.metadata_blocks = [b for b in audio.metadata_blocks if getattr(b, "code", None) != 2]
        changed = True
    if carry:

        if audio.tags is None:
            audio.add_tags()
            tags = audio.tags
        for key, value in carry.items():
            fid = _RIFF_TO_ID3[key]
            if not audio.tags.getall(fid):  # an ID3 value already there wins when read, so it stays
                audio.tags.add(Frames[fid](encoding=3, text=[value]))
        changed = True
    # GPS: only MP4 carries it in tags (©xyz)
    if fmt == "m4a" and tags is not None and "©xyz" in tags and gps_mode != "keep":
        if gps_mode == "coarse" and before.gps_lat is not None:
            tags["©xyz"] = [f"{before.gps_lat:+.{precision}f}{before.gps_lon:+.{precision}f}/"]
            plan.gps = f"coarse ({precision} decimals)"
        else:
            del tags["©xyz"]
            plan.gps = "removed"
        changed = True
    elif before.gps_lat is not None and gps_mode == "keep":
        plan.gps = "kept"
    if changed:
        if fmt == "mp3":
            audio.save(v2_version=4, v1=1)
        elif fmt in ("wav", "aiff"):
            audio.save(v2_version=4)
        else:
            audio.save()
    if fmt == "wav" and riff_drop:

        with open(tmp, "r+b") as fh:
            riff = RiffFile(fh)
            for chunk in list(riff.root.subchunks()):
                if chunk.id.strip() in riff_drop:
                    chunk.delete()
        plan.removed.extend(f"{i.kind}: {i.detail}" for i in items if i.keys[0].startswith("riff:"))
        if carry:
            plan.removed.append("riff: INFO " + ", ".join(sorted(carry)) + " moved into ID3")
        dropped_comment = True  # an ICMT comment, read through ffmpeg, goes with the chunk
    if fmt == "aiff" and aiff_drop:
        with open(tmp, "r+b") as fh:
            iff = AIFFFile(fh)
            for chunk in list(iff.root.subchunks()):
                if chunk.id in aiff_drop:
                    chunk.delete()
        plan.removed.extend(f"{i.kind}: {i.detail}" for i in items if i.keys[0].startswith("aiff:"))
        dropped_comment = True
    if dropped_comment:
        plan.changed_fields.add("comment")
    for name in ("title", "artist", "album", "copyright", "caption"):
        for m in find_pii(getattr(before, name) or ""):
            plan.warnings.append(f"kept {name} holds {m.describe()}")
    return plan


def _verify_audio(path: str, fmt: str, strip: set[str]) -> list[str]:
    problems = []
    for item in scan_audio(path, fmt):
        if item.category in strip:
            problems.append(f"still holds {item.kind} ({item.fields_text()})")
    return problems


def _ffmpeg_gps(path: str) -> bool:
    import av  # PyAV (FFmpeg) loads for audio exports only

    try:
        with av.open(path, metadata_errors="replace") as c:
            md = {k.lower() for k in c.metadata}
    except Exception:
        return False
    return bool(md & {"location", "com.apple.quicktime.location.iso6709", "location-eng"})


# ---------------------------------------------------------------- verification


def _check_record(before: MetadataRecord, after: MetadataRecord, plan: Plan, gps_mode: str, precision: int,
                  kind: str) -> list[str]:
    problems = []
    for f in fields(MetadataRecord):
        name = f.name
        if name in _NOT_COMPARED or name in plan.changed_fields:
            continue
        if kind == "audio" and name in ("duration",):
            continue  # mutagen's and ffmpeg's durations differ by a frame; the essence check covers the audio
        old, new = getattr(before, name), getattr(after, name)
        if old != new and not (old in (None, [], "") and new in (None, [], "")):
            problems.append(f"{name} changed: was {old!r}, reads back {new!r}")
    if gps_mode == "remove":
        if after.gps_lat is not None or after.gps_lon is not None:
            problems.append("GPS still present")
    elif gps_mode == "coarse":
        if before.gps_lat is not None and before.gps_lon is not None:
            want = (round(before.gps_lat, precision), round(before.gps_lon, precision))
            got = (after.gps_lat, after.gps_lon)
            if got[0] is None or abs(got[0] - want[0]) > 1e-7 or abs(got[1] - want[1]) > 1e-7:
                problems.append(f"GPS reads back {got}, expected {want}")
            if after.gps_alt is not None:
                problems.append("GPS altitude still present")
        elif after.gps_lat is not None:
            problems.append("GPS appeared")
    else:
        if (before.gps_lat, before.gps_lon, before.gps_alt) != (after.gps_lat, after.gps_lon, after.gps_alt):
            problems.append("GPS changed although it was to be kept")
    return problems


# ---------------------------------------------------------------- the batch


def _load_manifest(dest: Path) -> dict[str, Any]:
    path = dest / MANIFEST
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise MediagroundError(f"{path} exists but is not a manifest this exporter wrote ({exc}); "
                               "choose an empty folder") from exc
    if not isinstance(data, dict) or data.get("generator") != GENERATOR:
        raise MediagroundError(f"{path} was not written by `{GENERATOR}`; choose another folder")
    return data


def _target_name(display: str | None, asset_id: str, fmt: str) -> str:
    base = os.path.basename(display or "") or f"asset.{fmt}"
    stem, ext = os.path.splitext(base)
    ext = ext or f".{fmt}"
    stem = stem.replace(os.sep, "_").strip() or "asset"
    return f"{stem}_{asset_id[:8]}{ext}"


def _pick_source(catalog: Catalog, store: ContentStore, asset: Asset) -> str:
    """A readable copy whose essence is the asset's: a current file, else the stored original."""
    fmt = asset.format
    candidates = [p for p in catalog.files.current_paths(asset.asset_id) if os.path.isfile(p)]
    stored = store.path(asset.current_sha256)
    if stored.exists():
        candidates.append(str(stored))
    for p in candidates:
        try:
            if essence_hash(p, fmt).sha256 == asset.essence_sha256:
                return p
        except (BadMediaError, OSError):
            continue
    raise SanitizeError("no readable file whose media data matches the asset (current files changed or gone, "
                        "stored original missing)")


def _export_one(catalog: Catalog, store: ContentStore, asset: Asset, dest: Path, strip: set[str], gps: str,
                precision: int, earlier: dict[str, Any]) -> dict[str, Any]:
    asset_id, kind = asset.asset_id, asset.kind
    fmt = _FORMAT_ALIASES.get((asset.format or "").lower(), (asset.format or "").lower())
    display = catalog.files.display_path(asset_id)
    entry: dict[str, Any] = {"asset_id": asset_id, "source": display}
    if kind == "video":
        raise Skip("video files are not sanitized (their container tags cannot be rewritten safely here)")
    if not ((kind == "image" and fmt in IMAGE_SANITIZE_FORMATS) or (kind == "audio" and fmt in AUDIO_SANITIZE_FORMATS)):
        raise Skip(f"no sanitizer for {fmt or 'unknown'} {kind} files")
    if asset.id_basis != "essence":
        raise Skip("its media data cannot be isolated from its tags, so a sanitized copy could not be verified")
    source = _pick_source(catalog, store, asset)
    entry["source"] = source
    reason = private_reason(catalog, asset_id)  # any of its files saying "private" is enough
    gps_mode = "remove" if reason else gps
    name = _target_name(display, asset_id, fmt)
    target = dest / name
    entry["file"] = name
    prior = earlier.get(asset_id)
    if target.exists():
        ours = prior is not None and prior.get("file") == name and prior.get("sha256") == file_sha256(target)
        if not ours:
            raise SanitizeError(f"{target} exists and is not this asset's earlier export; not overwritten")
    before = read_metadata(source, fmt, kind)
    fd, tmp = tempfile.mkstemp(dir=dest, prefix=_TMP_PREFIX, suffix=Path(name).suffix)
    try:
        with os.fdopen(fd, "wb") as out:
            if kind == "image":
                data, plan = _sanitize_image(Path(source).read_bytes(), fmt, before, strip, gps_mode, precision)
                out.write(data)
            else:
                with open(source, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
                plan = None
            out.flush()
            os.fsync(out.fileno())
        if plan is None:
            plan = _sanitize_audio(tmp, fmt, before, strip, gps_mode, precision)
            with open(tmp, "rb+") as fh:
                os.fsync(fh.fileno())
        if kind == "image":
            problems = _verify_image(Path(tmp).read_bytes(), fmt, strip, gps_mode)
        else:
            problems = _verify_audio(tmp, fmt, strip)
        after = read_metadata(tmp, fmt, kind)
        problems += _check_record(before, after, plan, gps_mode, precision, kind)
        if kind == "audio" and gps_mode != "keep" and _ffmpeg_gps(tmp):
            problems.append("a location tag is still visible to ffmpeg")
        try:
            ess = essence_hash(tmp, fmt)
        except BadMediaError as exc:
            problems.append(f"the copy's media data cannot be read: {exc}")
        else:
            if ess.sha256 != asset.essence_sha256:
                problems.append("the copy's media data differs from the asset's (its asset ID would change)")
        if problems:
            raise SanitizeError("the sanitized copy could not be verified: " + "; ".join(problems))
        new_sha = file_sha256(tmp)
        unchanged = target.exists() and file_sha256(target) == new_sha
        if unchanged:
            Path(tmp).unlink()
        else:
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
            fsync_dir(dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    entry.update({"sha256": new_sha, "removed": plan.removed, "gps": plan.gps,
                  "private": reason, "warnings": plan.warnings, "status": "unchanged" if unchanged else "exported"})
    return entry


def export_sanitized(catalog: Catalog, store: ContentStore, dest: str | os.PathLike,
                     asset_ids: Iterable[str] | None = None, gps: str = DEFAULT_GPS, precision: int = DEFAULT_PRECISION,
                     keep: Iterable[str] = (), progress=None) -> dict[str, Any]:
    """Write sanitized copies of `asset_ids` (default: every asset) into `dest` (see the module
    docstring), from the library whose originals `store` keeps. Returns {"dest", "exported",
    "unchanged", "files", "skipped", "failed", "manifest"}."""
    if gps not in GPS_MODES:
        raise MediagroundError(f"--gps must be one of {', '.join(GPS_MODES)}, not {gps!r}")
    if not 0 <= int(precision) <= 6:
        raise MediagroundError("--precision must be between 0 and 6 decimals")
    keep = {k.strip() for k in keep if k and k.strip()}
    unknown = sorted(keep - set(KEEP_CHOICES))
    if unknown:
        raise MediagroundError(f"unknown --keep categories {', '.join(unknown)}; choose from {', '.join(KEEP_CHOICES)}")
    strip = set(KEEP_CHOICES) - keep
    dest = Path(dest).expanduser().resolve()
    library_root = store.root.resolve()
    if dest == library_root or library_root in dest.parents:
        raise MediagroundError("the export folder must not be inside the library")
    dest.mkdir(parents=True, exist_ok=True)
    manifest = _load_manifest(dest)
    earlier = {e["asset_id"]: e for e in manifest.get("exported", []) if isinstance(e, dict) and "asset_id" in e}
    for stale in dest.glob(f"{_TMP_PREFIX}*"):
        stale.unlink(missing_ok=True)  # a crash mid-export leaves only these behind
    ids = catalog.assets.ids() if asset_ids is None else list(dict.fromkeys(asset_ids))
    exported, skipped, failed = [], [], []
    for n, asset_id in enumerate(ids, 1):
        asset = catalog.assets.get(asset_id)
        display = catalog.files.display_path(asset_id) if asset is not None else None
        try:
            if asset is None:
                raise SanitizeError("no such asset")
            exported.append(_export_one(catalog, store, asset, dest, strip, gps, int(precision), earlier))
        except Skip as exc:
            skipped.append({"asset_id": asset_id, "source": display, "reason": str(exc)})
        except (SanitizeError, MediagroundError, BadMediaError, OSError, RuntimeError, ValueError) as exc:
            failed.append({"asset_id": asset_id, "source": display, "reason": str(exc)})
        if progress is not None:
            progress(n, len(ids), display or asset_id)
    files = {e["asset_id"]: e for e in earlier.values() if (dest / e.get("file", "")).is_file()}
    for e in exported:
        files[e["asset_id"]] = e
    out_manifest = {
        "generator": GENERATOR,
        "updated_at": now(),
        "options": {"gps": gps, "precision": int(precision), "keep": sorted(keep), "stripped": sorted(strip)},
        "exported": sorted(files.values(), key=lambda e: e["file"]),
        "skipped": skipped,
        "failed": failed,
    }
    atomic_write_bytes(dest / MANIFEST, (json.dumps(out_manifest, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))
    return {
        "dest": str(dest),
        "exported": sum(1 for e in exported if e["status"] == "exported"),
        "unchanged": sum(1 for e in exported if e["status"] == "unchanged"),
        "files": exported,
        "skipped": skipped,
        "failed": failed,
        "manifest": str(dest / MANIFEST),
    }
