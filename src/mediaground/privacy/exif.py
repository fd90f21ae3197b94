"""What personal data a file's own tags hold: EXIF/IPTC/XMP (pyexiv2), ID3/Vorbis/MP4/RIFF (mutagen).

:func:`scan_file` returns :class:`TagItem` objects. Each says what kind of personal data it is
(the audit's finding kind), the *category* the sanitized export strips it under, which tags hold it
(exiv2 keys, ID3 frame keys, Vorbis/MP4 keys, RIFF chunk ids: the handles the sanitizer deletes)
and a redacted description.

What is personal, and why:

* **camera-serial / lens-serial**: EXIF BodySerialNumber (and DNG CameraSerialNumber), LensSerialNumber,
  XMP ``aux:SerialNumber``/``aux:LensSerialNumber``/``exifEX:*SerialNumber`` and serials inside
  maker notes (``Exif.Canon.SerialNumber``, ...). A serial ties every photo to one camera, hence
  to its owner, across sites.
* **owner-name**: EXIF CameraOwnerName, XMP ``aux:OwnerName``, maker-note OwnerName; ID3 TOWN,
  MP4 ``ownr``/``apID`` (the purchaser's Apple ID). EXIF Artist, ``dc:creator`` and IPTC By-line
  are *not* here: they are the credit a publisher wants to keep.
* **software-history**: Software, ProcessingSoftware, HostComputer (a computer's name),
  ``xmp:CreatorTool``; the editing history (``xmpMM:History``, ``photoshop:History``, digiKam's
  ImageHistory with file paths), document/instance IDs that link the copy to the master file
  (``xmpMM:*``, ImageUniqueID), original file names (``crs:RawFileName``, DocumentName); audio
  encoders (TSSE, TENC, TXXX Software, Vorbis ENCODER, MP4 ``©too``) and RIFF INFO software.
* **maker-notes**: the camera maker's private block (``Exif.Photo.MakerNote`` and the groups exiv2
  decodes from it): undocumented, and often holds serials, owner names and firmware data.
* **contact-info**: IPTC creator contact details (``Iptc4xmpCore:CreatorContactInfo`` e-mail,
  phone, street, postcode) and IIM 2:118 Contact. The contact's URL, city and country are kept.
* **private-frame**: ID3 PRIV/GEOB frames, POPM (holds an e-mail), MP4 store/account IDs, FLAC
  APPLICATION blocks, RIFF/AIFF annotation chunks: opaque data for one program or one account.
* **gps**: any EXIF GPS IFD tag or XMP ``exif:GPS*`` property (the audit reports it only on private
  assets; the export removes or coarsens it).
* **embedded-thumbnail**: the EXIF thumbnail (IFD1); it may still show what a crop removed.
* **email / phone / id-number** in tags that are not wanted credit: EXIF UserComment/XPComment,
  ``photoshop:Instructions``, JPEG comments, PNG text chunks, ID3 COMM/TXXX, Vorbis comments
  (see :mod:`mediaground.privacy.detect`).
"""

from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mutagen
import pyexiv2
from mutagen._riff import RiffFile
from mutagen.aiff import AIFFFile
from mutagen.id3 import ID3
from mutagen.mp4 import MP4Tags
from PIL import Image

from mediaground.metadata import segments
from mediaground.metadata.jpeg import legacy_xmp_segments
from mediaground.privacy.detect import find_pii, redact_name, redact_token
from mediaground.metadata.read import _redecode  # one reading of exiv2 text everywhere

pyexiv2.set_log_level(4)

__all__ = ["TagItem", "ImageTags", "scan_file", "scan_image", "scan_audio", "classify_image_key",
           "CATEGORIES", "IMAGE_SANITIZE_FORMATS", "AUDIO_SANITIZE_FORMATS", "read_image_tags",
           "riff_chunks", "KEEP_PNG_TEXT"]

# What the sanitized export strips, by category (``--keep`` names these).
CATEGORIES = ("serials", "owner", "software", "history", "maker-notes", "contact", "thumbnail", "comment",
              "private", "text-pii", "gps")

IMAGE_SANITIZE_FORMATS = frozenset({"jpeg", "png", "webp", "tiff"})
AUDIO_SANITIZE_FORMATS = frozenset({"mp3", "wav", "aiff", "flac", "ogg", "m4a"})

_STANDARD_EXIF_GROUPS = {"Image", "Photo", "Iop", "GPSInfo", "Thumbnail", "MpfInfo", "PanasonicRaw"}
_STANDARD_EXIF_GROUPS |= {f"Image{n}" for n in range(2, 10)} | {f"SubImage{n}" for n in range(1, 10)}
_STANDARD_EXIF_GROUPS |= {f"SubThumb{n}" for n in range(1, 10)}

# Tags holding wanted credit/description: PII inside them is reported but never stripped.
_WANTED_IMAGE_KEY = re.compile(
    r"^(?:Xmp\.dc\.|Xmp\.xmpRights\.|Xmp\.plus\.|Xmp\.cc\.|Xmp\.iptcExt\.|Xmp\.Iptc4xmpExt\."
    r"|Xmp\.(?:iptc|Iptc4xmpCore)\.(?!CreatorContactInfo)"
    r"|Xmp\.photoshop\.(?:Credit|City|State|Country|Headline|DateCreated|Source|AuthorsPosition)$"
    r"|Iptc\.Application2\.(?:ObjectName|Caption|Keywords|Byline|BylineTitle|Credit|Copyright|City|ProvinceState"
    r"|CountryName|CountryCode|SubLocation|Headline|DateCreated|TimeCreated|Source)$"
    r"|Exif\.Image\.(?:ImageDescription|Artist|Copyright|XPTitle|XPKeywords|XPAuthor|XPSubject)$)")
# Free-text tags where phone numbers are looked for too (elsewhere only e-mails and strict IDs:
# numeric tags are full of digit runs that are not phones).
_FREE_TEXT_KEYS = {"Exif.Photo.UserComment", "Exif.Image.XPComment", "Xmp.photoshop.Instructions",
                   "Iptc.Application2.SpecialInstructions", "Xmp.exif.UserComment", "Xmp.xmp.Label"}
_NUMERIC = re.compile(r"[\d\s/.,+\-]*")
_BINARY_KEYS = {"Exif.Image.XMLPacket", "Exif.Image.InterColorProfile", "Exif.Image.IPTCNAA", "Exif.Image.ImageResources",
                "Exif.Photo.MakerNote", "Exif.Image.PrintImageMatching", "Exif.Image.DNGPrivateData"}
# PNG text keywords kept by the export (PNG's own credit fields, and the blocks exiv2 manages).
KEEP_PNG_TEXT = {"Title", "Author", "Description", "Copyright", "Disclaimer", "Source", "Creation Time",
                 "XML:com.adobe.xmp", "Raw profile type exif", "Raw profile type APP1", "Raw profile type iptc",
                 "Raw profile type xmp"}


@dataclass
class TagItem:
    kind: str  # the audit finding kind
    category: str  # what the sanitized export strips it as (see CATEGORIES)
    source: str  # exif | xmp | iptc | makernote | jpeg-comment | png-text | id3 | vorbis | mp4 | riff | flac
    keys: list[str]  # tags/frames/chunks that hold it
    detail: str  # redacted, safe to show
    severity: float
    value_key: str = ""  # what makes two items "the same" (e.g. the serial), never shown
    key_categories: dict[str, str] = field(default_factory=dict)  # per-key category where it differs
    report: bool = True  # False: nothing worth an audit finding (placeholder values), still stripped

    def category_of(self, key: str) -> str:
        return self.key_categories.get(key, self.category)

    def keys_in(self, categories: set[str] | frozenset[str]) -> list[str]:
        """The keys of this item whose category is in `categories` (what the sanitizer deletes)."""
        return [k for k in self.keys if self.category_of(k) in categories]

    def fields_text(self) -> str:
        return ", ".join(dict.fromkeys(_human_key(k) for k in self.keys))


@dataclass
class ImageTags:
    """Raw tags of one image, as exiv2 reads them (values decoded as UTF-8 where they are)."""

    exif: dict[str, Any] = field(default_factory=dict)
    iptc: dict[str, Any] = field(default_factory=dict)
    xmp: dict[str, Any] = field(default_factory=dict)
    raw_xmp: str = ""
    comment: str = ""
    thumbnail: bytes = b""
    png_text: dict[str, str] = field(default_factory=dict)
    legacy_xmp: bool = False  # the XMP was found under the legacy "XMP\0" JPEG signature
    irb_ids: list[int] = field(default_factory=list)  # Photoshop image resources (JPEG APP13)
    irb_thumbnail: bytes = b""  # the JPEG inside Photoshop's thumbnail resource
    error: str | None = None

    @property
    def xmp_unparsed(self) -> bool:
        """XMP is there but exiv2 rejected the packet (digiKam's duplicate properties, ...)."""
        return not self.xmp and bool(self.raw_xmp.strip(" \x00\n"))


def _human_key(key: str) -> str:
    parts = key.split(".", 2)
    if len(parts) == 3 and parts[0] == "Exif":
        group, name = parts[1], parts[2]
        if group in _STANDARD_EXIF_GROUPS:
            return f"EXIF {name}"
        return f"{group} maker note {name}" if group != "MakerNote" else f"maker note {name}"
    if len(parts) == 3 and parts[0] == "Xmp":
        return f"XMP {parts[1]}:{parts[2]}"
    if len(parts) == 3 and parts[0] == "Iptc":
        return f"IPTC {parts[2]}"
    return key


def _as_text(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(_as_text(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return " ".join(_as_text(v) for v in value)
    return "" if value is None else str(value)


def read_image_tags(data: bytes | str | os.PathLike, fmt: str | None = None) -> ImageTags:
    """All tags exiv2 sees in an image (bytes or a path), plus the JPEG comment, the EXIF thumbnail
    and (PNG) the text chunks exiv2 does not manage. Never raises: `error` says what failed."""
    out = ImageTags()
    blob = data if isinstance(data, bytes) else Path(data).read_bytes()
    try:
        img = pyexiv2.ImageData(blob)
    except Exception as exc:
        out.error = f"exiv2 cannot read the file: {exc}"
        return out
    try:
        if blob[:2] == b"\xff\xd8":
            _, legacy = legacy_xmp_segments(blob)
            if legacy is not None and not (img.read_raw_xmp(encoding="utf-8") or "").strip(" \x00\n"):
                # XMP under the old "XMP\0" APP1 signature: exiv2 ignores it, ExifTool reads it
                img.modify_raw_xmp(legacy)
                out.legacy_xmp = True
        for name, read in (("exif", lambda: img.read_exif(encoding="latin-1")),
                           ("iptc", lambda: img.read_iptc(encoding="latin-1")),
                           ("xmp", lambda: img.read_xmp(encoding="latin-1"))):
            try:
                setattr(out, name, _redecode(read()))
            except Exception as exc:
                out.error = f"{name} unreadable: {exc}"
        try:
            out.raw_xmp = img.read_raw_xmp(encoding="utf-8") or ""
        except Exception:
            out.raw_xmp = ""
        if fmt in (None, "jpeg"):
            try:
                out.comment = (img.read_comment(encoding="latin-1") or "").strip("\x00 \n")
                out.comment = _redecode(out.comment)
            except Exception:
                out.comment = ""
        try:
            out.thumbnail = img.read_thumbnail() or b""
        except Exception:
            out.thumbnail = b""
    finally:
        img.close()
    if blob[:8] == b"\x89PNG\r\n\x1a\n":
        out.png_text = png_text_chunks(blob)
    if blob[:2] == b"\xff\xd8":
        out.irb_ids = segments.irb_resource_ids(blob)
        for rid in (0x040C, 0x0409):
            res = segments.irb_resource(blob, rid)
            if res and len(res) > 28:
                out.irb_thumbnail = res[28:]  # after Photoshop's 28-byte thumbnail header
                break
    return out


def png_text_chunks(blob: bytes) -> dict[str, str]:
    """PNG tEXt/zTXt/iTXt keyword -> text, as Pillow reads them (exiv2 manages only XMP/EXIF/IPTC)."""

    try:
        with Image.open(io.BytesIO(blob)) as im:
            im.load()
            return {str(k): str(v) for k, v in getattr(im, "text", {}).items()}
    except Exception:
        return {}


# ---------------------------------------------------------------- images


def classify_image_key(key: str) -> tuple[str, str] | None:
    """(finding kind, export category) for an exiv2 key that holds personal data, else None."""
    parts = key.split(".", 2)
    if len(parts) < 3:
        return None
    family, group, name = parts
    if family == "Exif":
        if group == "GPSInfo":
            return "gps", "gps"
        if group == "Thumbnail":
            return "embedded-thumbnail", "thumbnail"
        if group not in _STANDARD_EXIF_GROUPS or (group == "Photo" and name == "MakerNote"):
            if "Serial" in name and "Format" not in name:
                return ("lens-serial" if "Lens" in name else "camera-serial"), "maker-notes"
            if "Owner" in name:
                return "owner-name", "maker-notes"
            return "maker-notes", "maker-notes"
        if "SerialNumber" in name:
            return ("lens-serial" if "Lens" in name else "camera-serial"), "serials"
        if name in ("CameraOwnerName", "OwnerName"):
            return "owner-name", "owner"
        if name in ("Software", "ProcessingSoftware", "HostComputer"):
            return "software-history", "software"
        if name in ("ImageUniqueID", "DocumentName", "OriginalRawFileName", "RawDataUniqueID", "ImageID"):
            return "software-history", "history"
        return None
    if family == "Xmp":
        base = name.split("/")[0].split("[")[0]
        if base.startswith("GPS"):  # exif:GPS*, and vendor copies (FLIR's Camera:GPSXYAccuracy, ...)
            return "gps", "gps"
        if "SerialNumber" in base:
            return ("lens-serial" if "Lens" in base else "camera-serial"), "serials"
        if base in ("OwnerName", "CameraOwnerName"):
            return "owner-name", "owner"
        if group == "xmpMM":
            return "software-history", "history"
        if (group, base) in {("photoshop", "History"), ("photoshop", "DocumentAncestors"), ("crs", "RawFileName"),
                             ("digiKam", "ImageHistory"), ("xmp", "Nickname")}:
            return "software-history", "history"
        if (group, base) in {("xmp", "CreatorTool"), ("tiff", "Software"), ("pdf", "Producer"),
                             ("exif", "Software")}:
            return "software-history", "software"
        if group in ("iptc", "Iptc4xmpCore") and base == "CreatorContactInfo":
            sub = name.split(":")[-1] if "/" in name else ""
            if sub in ("CiEmailWork", "CiTelWork", "CiAdrExtadr", "CiAdrPcode"):
                return "contact-info", "contact"
        return None
    if family == "Iptc":
        if name == "Contact":
            return "contact-info", "contact"
        if name in ("Program", "ProgramVersion"):
            return "software-history", "software"
    return None


_KIND_WORDS = {"camera-serial": "camera serial number", "lens-serial": "lens serial number",
               "owner-name": "owner name", "contact-info": "contact details"}
_SEVERITY = {"camera-serial": 0.65, "lens-serial": 0.5, "owner-name": 0.7, "contact-info": 0.6,
             "maker-notes": 0.4, "software-history": 0.3, "embedded-thumbnail": 0.2, "private-frame": 0.5}


def _placeholder(value: str) -> bool:
    v = value.strip().strip("\x00").lower()
    return not v or v in {"unknown", "none", "n/a", "0"} or set(v) <= {"0", " "}


def _text_items(key: str, text: str, source: str, category: str, phones: bool) -> list[TagItem]:
    items = []
    for m in find_pii(text):
        if m.subtype == "long-number" or (m.kind == "phone" and not phones):
            continue
        items.append(TagItem(m.kind, category, source, [key], f"{m.describe()} in {_human_key(key)}",
                             m.severity, value_key=f"{m.kind}:{text[m.start:m.end]}"))
    return items


def scan_image(tags: ImageTags) -> list[TagItem]:
    """Personal data in an image's tags (see the module docstring), grouped: one item per serial or
    name value, one software/history item, one maker-note item, one GPS item, one thumbnail item."""
    items: list[TagItem] = []
    values: dict[tuple[str, str], TagItem] = {}
    history_keys: list[str] = []
    history_cats: dict[str, str] = {}
    sensitive_history = False
    maker_keys: list[str] = []
    maker_groups: set[str] = set()
    gps_keys: list[str] = []
    thumb_keys: list[str] = []
    contact_keys: list[str] = []
    software: dict[str, str] = {}
    all_tags = {**tags.exif, **tags.iptc, **tags.xmp}
    for key, value in all_tags.items():
        cls = classify_image_key(key)
        text = _as_text(value).strip()
        if cls is None:
            if key not in _FREE_TEXT_KEYS and (_NUMERIC.fullmatch(text) or key in _BINARY_KEYS):
                continue  # number arrays, rationals and embedded blobs: digit runs there are not IDs
            if text and not _WANTED_IMAGE_KEY.match(key) and not key.startswith("Xmp.crs."):
                items.extend(_text_items(key, text, key.split(".")[0].lower(), "text-pii", key in _FREE_TEXT_KEYS))
            continue
        kind, category = cls
        if kind == "gps":
            gps_keys.append(key)
        elif kind == "embedded-thumbnail":
            thumb_keys.append(key)
        elif kind == "maker-notes":
            maker_keys.append(key)
            group = key.split(".")[1]
            if group not in ("Photo", "MakerNote"):
                maker_groups.add(group)
        elif kind in ("camera-serial", "lens-serial", "owner-name"):
            if category == "maker-notes":
                maker_keys.append(key)
                maker_groups.add(key.split(".")[1])
            norm = text.strip().upper()
            if _placeholder(text):  # "0000000000", "unknown": nothing to report, but the export drops the tag
                item = values.get((kind, "\0placeholder"))
                if item is None:
                    item = TagItem(kind, category, key.split(".")[0].lower(), [], f"placeholder {_KIND_WORDS[kind]}",
                                   0.0, value_key=f"placeholder:{kind}", report=False)
                    values[(kind, "\0placeholder")] = item
                    items.append(item)
                item.keys.append(key)
                continue
            item = values.get((kind, norm))
            if item is None:
                shown = redact_name(text) if kind == "owner-name" else redact_token(text)
                source = "makernote" if category == "maker-notes" else key.split(".")[0].lower()
                item = TagItem(kind, category, source, [], "", _SEVERITY[kind], value_key=f"{kind}:{norm}")
                item.detail = f"{_KIND_WORDS[kind]} {shown}"
                values[(kind, norm)] = item
                items.append(item)
            item.keys.append(key)
        elif kind == "contact-info":
            contact_keys.append(key)
        elif kind == "software-history":
            history_keys.append(key)
            history_cats[key] = category
            if category == "software":
                if key.endswith("HostComputer"):
                    sensitive_history = True
                    software.setdefault("host computer", redact_token(text, 1, 0))
                elif text:
                    software.setdefault(text[:60], "")
            else:
                sensitive_history = sensitive_history or any(
                    w in key for w in ("RawFileName", "DocumentName", "ImageHistory", "PreservedFileName"))
    # one description per group of items
    for item in items:
        if item.kind in _KIND_WORDS and item.kind != "contact-info" and item.keys and item.report:
            item.detail += f" in {item.fields_text()}"
    if contact_keys:
        items.append(TagItem("contact-info", "contact", "xmp" if contact_keys[0].startswith("Xmp") else "iptc",
                             contact_keys, f"creator contact details ({', '.join(_human_key(k) for k in contact_keys)})",
                             _SEVERITY["contact-info"], value_key="contact"))
    if 0x0421 in tags.irb_ids:
        history_keys.append("Photoshop:VersionInfo")
        history_cats["Photoshop:VersionInfo"] = "software"
        software.setdefault("Photoshop (version info resource)", "")
    if history_keys:
        steps = sum(1 for k in history_keys if re.fullmatch(r"Xmp\.xmpMM\.History\[\d+\]", k))
        parts = []
        names = [s for s, v in software.items() if not v]
        if names:
            parts.append("software " + ", ".join(repr(n) for n in names[:3]))
        if "host computer" in software:
            parts.append(f"host computer name {software['host computer']}")
        if steps:
            parts.append(f"an editing history of {steps} step(s)")
        if any(k.startswith("Xmp.photoshop.History") for k in history_keys):
            parts.append("Photoshop's history log")
        if any(k.startswith("Xmp.digiKam.ImageHistory") for k in history_keys):
            parts.append("digiKam's image history (with file paths)")
        if any(re.search(r"DocumentID|InstanceID|DerivedFrom|ImageUniqueID|RawDataUniqueID|DocumentAncestors", k)
               for k in history_keys):
            parts.append("document/instance IDs that link this copy to its master file")
        if any(re.search(r"RawFileName|DocumentName|PreservedFileName", k) for k in history_keys):
            parts.append("the original file name")
        if not parts:
            parts.append(", ".join(dict.fromkeys(_human_key(k) for k in history_keys[:4])))
        items.append(TagItem("software-history", "history", history_keys[0].split(".")[0].lower(), history_keys,
                             "software and editing history: " + "; ".join(parts),
                             0.5 if sensitive_history else _SEVERITY["software-history"], value_key="history",
                             key_categories=history_cats))
    if maker_keys:
        makers = ", ".join(sorted(maker_groups)) or "undecoded"
        items.append(TagItem("maker-notes", "maker-notes", "exif", maker_keys,
                             f"camera maker notes ({makers}): the maker's private, undocumented data block",
                             _SEVERITY["maker-notes"], value_key="maker-notes"))
    if gps_keys:
        items.append(TagItem("gps", "gps", "exif" if any(k.startswith("Exif") for k in gps_keys) else "xmp",
                             gps_keys, "GPS position", 0.0, value_key="gps"))
    if {0x0409, 0x040C} & set(tags.irb_ids):
        thumb_keys.append("Photoshop:Thumbnail")
    if thumb_keys or tags.thumbnail:
        items.append(TagItem("embedded-thumbnail", "thumbnail", "exif" if tags.thumbnail else "photoshop",
                             thumb_keys or ["Exif.Thumbnail"], "embedded thumbnail", _SEVERITY["embedded-thumbnail"],
                             value_key="thumbnail"))
    if tags.comment:
        items.extend(_text_items("JPEG comment", tags.comment, "jpeg-comment", "comment", True))
    history_png = []
    for keyword, text in tags.png_text.items():
        if keyword in KEEP_PNG_TEXT:
            if keyword in ("Title", "Author", "Description", "Copyright", "Disclaimer", "Source"):
                items.extend(i for i in _text_items(f"PNG {keyword}", text, "png-text", "text-pii", True)
                             if i.kind == "email")
            continue
        found = _text_items(f"PNG {keyword}", text, "png-text", "text-pii", True)
        items.extend(found)
        if keyword.lower() == "software":
            items.append(TagItem("software-history", "software", "png-text", [f"PNG {keyword}"],
                                 f"software {text[:60]!r} in the PNG text chunk {keyword!r}",
                                 _SEVERITY["software-history"], value_key="png-software"))
        elif not found:
            history_png.append(keyword)
    if history_png:
        items.append(TagItem("software-history", "history", "png-text", [f"PNG {k}" for k in history_png],
                             "PNG text chunks " + ", ".join(repr(k) for k in history_png[:6]) + " (tool notes, dates)",
                             _SEVERITY["software-history"], value_key="png-history"))
    if tags.xmp_unparsed:
        items.extend(_scan_unparsed_xmp(tags.raw_xmp))
    return items


_RAW_XMP_PROPS = [
    (r"(?:aux|exifEX):(?:Body)?SerialNumber", "camera-serial", "serials"),
    (r"(?:aux|exifEX):LensSerialNumber", "lens-serial", "serials"),
    (r"(?:aux:OwnerName|exifEX:CameraOwnerName)", "owner-name", "owner"),
    (r"xmpMM:(?:History|DocumentID|InstanceID|OriginalDocumentID|DerivedFrom)|photoshop:History"
     r"|digiKam:ImageHistory|crs:RawFileName", "software-history", "history"),
    (r"xmp:CreatorTool|tiff:Software", "software-history", "software"),
    (r"exif:GPSLatitude|exif:GPSLongitude", "gps", "gps"),
]


def _scan_unparsed_xmp(raw: str) -> list[TagItem]:
    """Property names in an XMP packet exiv2 rejected: enough to say what is there (and that the
    export cannot edit it)."""
    items = []
    for pattern, kind, category in _RAW_XMP_PROPS:
        names = sorted(set(re.findall(rf"(?<![\w:])({pattern})(?=[\s=>/])", raw)))
        if names:
            detail = "GPS position" if kind == "gps" else (
                f"{kind.replace('-', ' ')} ({', '.join(names)}) in an XMP packet exiv2 cannot parse")
            items.append(TagItem(kind, category, "xmp", [f"Xmp.raw.{n}" for n in names], detail,
                                 0.0 if kind == "gps" else _SEVERITY.get(kind, 0.5), value_key=f"raw-xmp:{kind}"))
    return items


# ---------------------------------------------------------------- audio

_SOFTWARE_DESCS = {"software", "encoder", "encoded by", "encodedby", "encoded_by", "encoder settings",
                   "encoder_settings", "encodersettings", "encoding", "tool", "encoder_options", "encoding_tool",
                   "handler_name", "major_brand"}
_VORBIS_SOFTWARE = {"encoder", "encoded_by", "encoded-by", "encodedby", "encoding", "encodersettings",
                    "encoder_settings", "encoder_options", "software", "tool", "encoding_tool"}
_VORBIS_WANTED = {"title", "artist", "album", "genre", "date", "copyright", "isrc", "bpm", "tracknumber", "tracktotal",
                  "discnumber", "disctotal", "albumartist", "album artist", "performer", "composer", "license",
                  "organization", "metadata_block_picture", "coverart", "coverartmime", "year", "label"}
_MP4_PRIVATE = {"purd", "atID", "cnID", "plID", "geID", "sfID", "cmID", "xid ", "akID"}
_MP4_SOFTWARE = {"©too", "©enc"}
# RIFF (WAV) chunks that are the audio itself or harmless structure; anything else is metadata.
# (mutagen gives chunk ids without their trailing spaces: "fmt ", "id3 " read as "fmt", "id3")
_RIFF_KEEP = {"fmt", "data", "fact", "cue", "smpl", "inst", "PEAK", "JUNK", "junk", "PAD", "ds64",
              "id3", "ID3", "plst", "labl", "ltxt"}
_AIFF_DROP = {"ANNO", "COMT", "APPL"}


def _looks_like_software(value: str) -> bool:
    return bool(re.search(r"\d|itunes|lame|ffmpeg|lavf|lavc|libav|sox|audacity|encoder|libvorbis|libopus|"
                          r"reaper|logic|garageband|pro tools|adobe|windows|apple|quicktime", value, re.I))


def riff_chunks(path: str | os.PathLike) -> list[tuple[str, int]]:
    """(chunk id, size) of the top-level chunks of a RIFF (WAV) file, through mutagen's RIFF reader."""

    with open(path, "rb") as fh:
        return [(c.id.strip(), c.data_size) for c in RiffFile(fh).root.subchunks()]


def riff_info(path: str | os.PathLike) -> dict[str, str]:
    """RIFF LIST/INFO entries as ffmpeg maps them (comment, encoder, title, artist, ...)."""
    import av  # PyAV (FFmpeg) loads for audio files only

    try:
        with av.open(os.fspath(path), metadata_errors="replace") as c:
            return {str(k).lower(): str(v) for k, v in c.metadata.items()}
    except Exception:
        return {}


def scan_audio(path: str | os.PathLike, fmt: str) -> list[TagItem]:
    """Personal data in an audio file's own tags (ID3, Vorbis comments, MP4 atoms, RIFF/AIFF chunks)."""

    items: list[TagItem] = []
    try:
        audio = mutagen.File(path)
    except Exception:
        audio = None
    tags = getattr(audio, "tags", None)
    if isinstance(tags, ID3):
        items.extend(_scan_id3(tags))
    elif isinstance(tags, MP4Tags):
        items.extend(_scan_mp4(tags))
    elif tags is not None and hasattr(tags, "as_dict"):
        items.extend(_scan_vorbis(tags))
    if fmt == "flac" and audio is not None:
        apps = [i for i, b in enumerate(getattr(audio, "metadata_blocks", [])) if getattr(b, "code", None) == 2]
        if apps:
            items.append(TagItem("private-frame", "private", "flac", [f"flac:APPLICATION[{i}]" for i in apps],
                                 f"{len(apps)} FLAC APPLICATION block(s): data for one program (may embed foreign "
                                 "metadata)", _SEVERITY["private-frame"], value_key="flac-app"))
    if fmt == "wav":
        try:
            chunks = riff_chunks(path)
        except Exception:
            chunks = []
        extra = [cid for cid, _ in chunks if cid not in _RIFF_KEEP]
        if extra:
            info = riff_info(path)
            software = [v for k, v in info.items() if k in ("encoder", "encoded_by", "software")]
            comment = info.get("comment", "")
            if software or comment:
                what = ", ".join(repr(s[:40]) for s in software + ([comment[:40]] if comment else []))
                items.append(TagItem("software-history", "software", "riff", [f"riff:{c}" for c in extra],
                                     f"RIFF INFO software/processing notes: {what}",
                                     _SEVERITY["software-history"], value_key="riff-info"))
            for key, value in info.items():
                for item in _text_items(f"riff:INFO:{key}", value, "riff", "private", True):
                    item.keys = ["riff:LIST"]  # the sanitizer drops the whole INFO list
                    items.append(item)
            others = [c for c in extra if c != "LIST"]
            if others:
                items.append(TagItem("private-frame", "private", "riff", [f"riff:{c}" for c in others],
                                     f"RIFF chunks {', '.join(repr(c) for c in others)} (broadcast/recorder metadata)",
                                     _SEVERITY["private-frame"], value_key="riff-chunks"))
    if fmt == "aiff" and audio is not None:
        try:
            with open(path, "rb") as fh:
                ids = [c.id for c in AIFFFile(fh).root.subchunks()]
        except Exception:
            ids = []
        drop = [c for c in ids if c in _AIFF_DROP]
        if drop:
            items.append(TagItem("private-frame", "private", "aiff", [f"aiff:{c}" for c in drop],
                                 f"AIFF annotation chunks {', '.join(drop)}", _SEVERITY["private-frame"],
                                 value_key="aiff-chunks"))
    return items


def _frame_text(frame: Any) -> str:
    text = getattr(frame, "text", None)
    if text is not None:
        return " ".join(str(t) for t in text)
    url = getattr(frame, "url", None)
    return str(url) if url else ""


def _scan_id3(tags: Any) -> list[TagItem]:
    items: list[TagItem] = []
    software, private = [], []
    for key, frame in tags.items():
        fid = key[:4]
        if fid in ("PRIV", "GEOB"):
            private.append(key)
        elif fid == "POPM":
            email = getattr(frame, "email", "") or ""
            private.append(key)
            for m in find_pii(email):
                if m.kind == "email":
                    items.append(TagItem("email", "private", "id3", [key], f"{m.describe()} in ID3 POPM (rating)",
                                         m.severity, value_key=f"email:{email[m.start:m.end]}"))
        elif fid == "TOWN":
            value = _frame_text(frame)
            items.append(TagItem("owner-name", "owner", "id3", [key], f"file owner {redact_name(value)} in ID3 TOWN",
                                 _SEVERITY["owner-name"], value_key=f"owner:{value}"))
        elif fid in ("TSSE", "TENC") or (fid == "TXXX" and frame.desc.strip().lower() in _SOFTWARE_DESCS):
            value = _frame_text(frame)
            shown = value[:40] if _looks_like_software(value) else redact_name(value)
            software.append((key, shown))
        elif fid in ("COMM", "TXXX", "WXXX", "USER") or fid.startswith("W"):
            if fid == "COMM" and frame.desc.startswith("iTun"):
                continue
            items.extend(_text_items(key, _frame_text(frame), "id3", "text-pii", True))
    if software:
        items.append(TagItem("software-history", "software", "id3", [k for k, _ in software],
                             "encoder/software tags: " + ", ".join(f"{k.split(':')[0] if not k.startswith('TXXX') else k} {v!r}"
                                                                  for k, v in software),
                             _SEVERITY["software-history"], value_key="id3-software"))
    if private:
        items.append(TagItem("private-frame", "private", "id3", private,
                             f"{len(private)} private/rating frame(s) ({', '.join(sorted({k[:4] for k in private}))}): "
                             "data for one program or one listener", _SEVERITY["private-frame"], value_key="id3-private"))
    return items


def _scan_vorbis(tags: Any) -> list[TagItem]:
    items: list[TagItem] = []
    software = []
    for key, values in tags.as_dict().items():
        low = key.lower()
        text = " ".join(str(v) for v in values)
        if low in _VORBIS_SOFTWARE:
            software.append((low, text[:40] if _looks_like_software(text) else redact_name(text)))
        elif low not in _VORBIS_WANTED:
            items.extend(_text_items(f"vorbis:{low}", text, "vorbis", "text-pii", True))
    if software:
        items.append(TagItem("software-history", "software", "vorbis", [f"vorbis:{k}" for k, _ in software],
                             "encoder/software tags: " + ", ".join(f"{k.upper()} {v!r}" for k, v in software),
                             _SEVERITY["software-history"], value_key="vorbis-software"))
    return items


def _scan_mp4(tags: Any) -> list[TagItem]:
    items: list[TagItem] = []
    software, private = [], []
    for key, values in tags.items():
        text = " ".join(v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v) for v in values)
        if key in ("apID", "ownr"):
            emails = [m.preview for m in find_pii(text) if m.kind == "email"]
            shown = emails[0] if emails else redact_name(text)
            items.append(TagItem("owner-name", "owner", "mp4", [key], f"purchaser/owner {shown} in MP4 {key}",
                                 _SEVERITY["owner-name"], value_key=f"owner:{text}"))
        elif key in _MP4_PRIVATE:
            private.append(key)
        elif key in _MP4_SOFTWARE:
            software.append((key, text[:40] if _looks_like_software(text) else redact_name(text)))
        elif key.startswith("----") or key in ("©cmt",):
            items.extend(_text_items(f"mp4:{key}", text, "mp4", "text-pii", True))
    if software:
        items.append(TagItem("software-history", "software", "mp4", [k for k, _ in software],
                             "encoder/software tags: " + ", ".join(f"{k} {v!r}" for k, v in software),
                             _SEVERITY["software-history"], value_key="mp4-software"))
    if private:
        items.append(TagItem("private-frame", "private", "mp4", private,
                             f"store/account identifiers ({', '.join(private)})", _SEVERITY["private-frame"],
                             value_key="mp4-private"))
    return items


# ---------------------------------------------------------------- dispatch


def scan_file(path: str | os.PathLike, fmt: str | None, kind: str | None) -> tuple[list[TagItem], list[str]]:
    """(items, warnings) for one file; never raises."""
    warnings: list[str] = []
    try:
        if kind == "image":
            if fmt == "gif":
                return [], []
            tags = read_image_tags(path, fmt)
            if tags.error:
                warnings.append(tags.error)
            return scan_image(tags), warnings
        if kind in ("audio", "video"):
            return scan_audio(path, fmt or ""), warnings
    except Exception as exc:  # a broken file must not break the audit
        warnings.append(f"tags unreadable: {type(exc).__name__}: {exc}")
    return [], warnings

