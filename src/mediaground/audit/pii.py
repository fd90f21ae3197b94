"""PII audit: personal data that should not leave the building.

For every asset it looks at

* the file's own tags (:mod:`mediaground.privacy.exif`): camera and lens serial numbers, owner
  names, software and editing history, document IDs, maker notes, creator contact details,
  private ID3/MP4 frames, an embedded EXIF thumbnail that no longer matches the picture;
* GPS, when the asset is private (:mod:`mediaground.privacy.flags`: the ``private`` flag, or a
  ``private`` keyword not overridden by ``public``);
* text: the normalized metadata record in the catalog (title, caption, alt text, keywords,
  comment, ...), transcript segments (with their time) and text read inside images by Tesseract
  (:mod:`mediaground.privacy.ocr`, cached in the catalog), through the e-mail/phone/ID detectors
  of :mod:`mediaground.privacy.detect`;
* faces (:mod:`mediaground.privacy.faces`, OpenCV's bundled Haar cascade).

Files are read from the content store (the stored original of the asset's current version), or
from the current path when the store lacks it. Nothing is written to any file; the only write is
the OCR cache in the catalog.

Every finding's detail shows a *redacted* preview (``j***@example.com``), never the value: a
report may itself be shared. ``extra`` carries ``source`` (exif, xmp, iptc, makernote, id3, ...,
a record field name such as ``caption``, ``transcript`` or ``ocr``) and ``field`` (the tag, the
record field's origin, or the segment).
"""

from __future__ import annotations

import io
import os
from itertools import groupby
from typing import Any, Callable

from PIL import Image, ImageChops, ImageStat

from mediaground.audit.findings import Finding, Report, count_by_kind
from mediaground.catalog import Asset, Catalog, FileRecord
from mediaground.ids import file_sha256
from mediaground.privacy.detect import find_pii
from mediaground.privacy.exif import TagItem, read_image_tags, scan_file, scan_image
from mediaground.privacy import faces as face_mod  # OpenCV loads when a face is looked for
from mediaground.privacy import ocr as ocr_mod  # Tesseract runs when text is read
from mediaground.privacy.flags import private_assets
from mediaground.store.content import ContentStore

__all__ = ["audit_pii", "TEXT_FIELDS"]

# Record fields whose text is searched for e-mails, phones and ID numbers.
TEXT_FIELDS = ("title", "caption", "alt_text", "extended_description", "keywords", "creator", "credit", "copyright",
               "licensor_name", "location", "city", "comment", "artist", "album", "genre")
SEVERITY_GPS_PRIVATE = 0.95
SEVERITY_FACE = 0.5
SEVERITY_THUMBNAIL = 0.6


def _source_path(catalog: Catalog, store: ContentStore, asset: Asset) -> tuple[str | None, str | None]:
    """(path to read, its file sha256) for the asset's current version."""
    sha = asset.current_sha256
    stored = store.path(sha)
    if stored.exists():
        return str(stored), sha
    for p in catalog.files.current_paths(asset.asset_id):
        if os.path.exists(p):
            return p, file_sha256(p)
    return None, None


def _record_texts(md: dict[str, Any]):
    for name in TEXT_FIELDS:
        value = md.get(name)
        if isinstance(value, str) and value.strip():
            yield name, value
        elif isinstance(value, list):
            for v in value:
                if isinstance(v, str) and v.strip():
                    yield name, v


def _thumbnail_differs(thumb: bytes, path: str) -> str | None:
    """Why the EXIF thumbnail does not show the same picture as the image, or None."""
    try:
        with Image.open(io.BytesIO(thumb)) as t:
            t = t.convert("RGB")
        with Image.open(path) as im:
            im.draft("RGB", (256, 256))
            main = im.convert("RGB")  # the thumbnail is stored unrotated, like the main image
    except Exception:
        return None
    ra, rb = t.width / max(t.height, 1), main.width / max(main.height, 1)
    if abs(ra - rb) / rb > 0.1:
        # cameras letterbox 16:9 or 3:2 thumbnails into 160x120 with black bars: compare what is inside
        bbox = t.convert("L").point(lambda v: 255 if v > 8 else 0).getbbox()
        if bbox:
            t = t.crop(bbox)
            ra = t.width / max(t.height, 1)
        if abs(ra - rb) / rb > 0.1:
            return f"its shape ({t.width}x{t.height}) differs from the image's ({main.width}x{main.height})"
    size = (32, 32)
    a = t.resize(size, Image.BILINEAR)
    b = main.resize(size, Image.BILINEAR)
    diff = sum(ImageStat.Stat(ImageChops.difference(a, b)).mean) / 3
    if diff > 40:
        return f"its content differs from the image (mean difference {diff:.0f}/255)"
    return None


def _fmt_time(seconds: float) -> str:
    m, s = divmod(float(seconds), 60)
    return f"{int(m)}:{s:04.1f}"


def audit_pii(catalog: Catalog, store: ContentStore, ocr: bool = True, faces: bool = True) -> Report:
    """Personal data in the library (see the module docstring). Severities: gps-on-private 0.95,
    payment cards 0.95, IBANs/SSNs 0.9, e-mails 0.8, phones 0.75, owner names 0.7, camera serials
    0.65, contact details 0.6, a thumbnail that differs from the image 0.6, faces and lens serials
    and private frames 0.5, maker notes 0.4, long ID-like numbers 0.35, software history 0.3 (0.5
    when it names a computer or original file names)."""
    private = private_assets(catalog)
    findings: list[Finding] = []
    warnings: list[str] = []
    ocr_state: dict[str, Any] = {"status": "off", "engine": None, "read": 0, "from_cache": 0, "failed": 0}
    if ocr:
        try:
            ocr_state.update(status="ok", engine=ocr_mod.engine())
        except ocr_mod.OcrUnavailable as exc:
            ocr_state.update(status="ocr-unavailable", reason=str(exc))
            warnings.append(f"ocr-unavailable: {exc}")
    face_state: dict[str, Any] = {"status": "off", "detector": None, "images": 0, "failed": 0}
    if faces:
        try:
            face_state.update(status="ok", detector=face_mod.detector_name())
        except Exception as exc:  # OpenCV missing or broken: say so, audit the rest
            face_state.update(status="unavailable", reason=f"{type(exc).__name__}: {exc}")
            warnings.append(f"faces-unavailable: {exc}")
    scanned = transcripts = segments_seen = assets = 0
    for asset_id, group in groupby(catalog.files.iter(), key=lambda f: f.asset_id):
        files = list(group)
        asset = catalog.assets.get(asset_id)
        assets += 1
        kind, fmt = asset.kind, asset.format
        display = catalog.files.display_path(asset_id)  # findings about the pixels or sound point there
        seen: set[str] = set()

        def add(kind_: str, detail: str, severity: float, source: str, field: str | None, key: str | None = None,
                path: str | None = None, file_id: int | None = None, **more: Any) -> None:
            if key is not None:
                if key in seen:
                    return
                seen.add(key)
            extra = {"source": source, "field": field}
            extra.update(more)
            findings.append(Finding(asset_id, path or display, kind_, detail, severity, extra=extra, file_id=file_id))

        for file in files:  # what each file's tags say
            scanned += _audit_file_tags(catalog, store, asset, file, private.get(asset_id), add, warnings)
        # the sound: transcripts
        segs = catalog.audio.segments(asset_id)
        if segs:
            transcripts += 1
            segments_seen += len(segs)
        for seg in segs:
            for m in find_pii(seg.text):
                add(m.kind, f"{m.describe()} said at {_fmt_time(seg.start)}–{_fmt_time(seg.end)}",
                    m.severity, "transcript", seg.chunk_id, key=f"{m.kind}:{seg.chunk_id}:{m.start}",
                    subtype=m.subtype, start=seg.start, end=seg.end)
        path, sha = _source_path(catalog, store, asset)
        if kind != "image" or path is None or fmt == "gif":
            continue
        # the pixels: text inside the image
        if ocr_state["status"] == "ok":
            try:
                text, cached = ocr_mod.ocr_asset(catalog, sha, path)
                ocr_state["from_cache" if cached else "read"] += 1
            except Exception as exc:
                ocr_state["failed"] += 1
                warnings.append(f"{asset_id}: OCR failed: {type(exc).__name__}: {exc}")
                text = ""
            for m in find_pii(text):
                add(m.kind, f"{m.describe()} in text read from the image (OCR)", m.severity, "ocr",
                    ocr_state["engine"], key=f"{m.kind}:{text[m.start:m.end]}", subtype=m.subtype)
        # the pixels: faces
        if face_state["status"] == "ok":
            try:
                boxes = face_mod.detect_faces(path)
                face_state["images"] += 1
            except Exception as exc:
                face_state["failed"] += 1
                warnings.append(f"{asset_id}: face detection failed: {type(exc).__name__}: {exc}")
                boxes = []
            if boxes:
                w, h = boxes[0][2], boxes[0][3]
                add("face", f"{len(boxes)} face(s) detected, the largest {w}x{h} px: check consent or a "
                    "model release before publishing", SEVERITY_FACE, "image", face_state["detector"],
                    boxes=[list(b) for b in boxes[:20]])
    counts = count_by_kind(findings)
    summary: dict[str, Any] = {
        "assets": assets,
        "files_scanned": scanned,
        "private_assets": len(private),
        "findings_by_kind": dict(sorted(counts.items())),
        "ocr": ocr_state,
        "faces": face_state,
        "transcripts": {"assets": transcripts, "segments": segments_seen},
    }
    if warnings:
        summary["warnings"] = {"count": len(warnings), "first": warnings[0]}
    return Report("pii", findings, summary)


def _audit_file_tags(catalog: Catalog, store: ContentStore, asset: Asset, file: FileRecord, private: str | None,
                     add: Callable[..., None], warnings: list[str]) -> int:
    """One file's tags: text in its record, personal data in its own tags, GPS on a private asset.
    Returns 1 when a file (current, else its stored version) could be read."""
    asset_id, kind, fmt, md = asset.asset_id, asset.kind, asset.format, file.metadata
    here = {"path": file.path, "file_id": file.file_id}
    sources = md.get("sources") or {}
    for name, text in _record_texts(md):
        for m in find_pii(text):
            add(m.kind, f"{m.describe()} in the {name.replace('_', ' ')}", m.severity, name,
                sources.get(name) or name, key=f"{file.file_id}:{m.kind}:{text[m.start:m.end]}", subtype=m.subtype,
                **here)
    path = file.path if file.current and os.path.exists(file.path) else None
    if path is None and store.has(file.file_sha256):
        path = str(store.path(file.file_sha256))
    items: list[TagItem] = []
    image_tags = None
    if path is not None:
        if kind == "image" and fmt != "gif":
            image_tags = read_image_tags(path, fmt)
            items = scan_image(image_tags)
            if image_tags.error:
                warnings.append(f"{asset_id}: {image_tags.error}")
        else:
            items, warns = scan_file(path, fmt, kind)
            warnings.extend(f"{asset_id}: {w}" for w in warns)
    else:
        warnings.append(f"{asset_id}: no file to read for {file.path} (neither the file nor its stored version)")
    has_raw_gps = False
    for item in items:
        if not item.report:
            continue
        if item.kind == "gps":
            has_raw_gps = True
            continue
        if item.kind == "embedded-thumbnail":
            if image_tags is not None and path is not None:
                for label, thumb, source, field in (
                        ("the EXIF thumbnail", image_tags.thumbnail, "exif", "Exif.Thumbnail"),
                        ("Photoshop's thumbnail", image_tags.irb_thumbnail, "photoshop", "Photoshop:Thumbnail")):
                    why = _thumbnail_differs(thumb, path) if thumb else None
                    if why:
                        add("embedded-thumbnail", f"{label} does not match the image: {why}; it may show what "
                            "an edit or crop removed", SEVERITY_THUMBNAIL, source, field,
                            key=f"{file.file_id}:thumbnail", **here)
                        break
            continue
        add(item.kind, item.detail, item.severity, item.source, item.keys[0] if item.keys else None,
            key=f"{file.file_id}:{item.value_key}" if item.value_key else None, fields=item.keys[:12], **here)
    if private:
        lat, lon = md.get("gps_lat"), md.get("gps_lon")
        why = "the private flag" if private == "flag" else "a 'private' keyword"
        if isinstance(lat, (int, float)) and isinstance(lon, (int, float)):
            add("gps-on-private", f"GPS position (about {lat:.1f}, {lon:.1f}) on an asset marked private "
                f"({why}); exports drop it", SEVERITY_GPS_PRIVATE, sources.get("gps_lat", "gps").split(":")[0],
                sources.get("gps_lat"), private=private, **here)
        elif has_raw_gps:
            add("gps-on-private", f"GPS tags on an asset marked private ({why}); exports drop them",
                SEVERITY_GPS_PRIVATE, "exif", "GPS", private=private, **here)
    return 1 if path is not None else 0
