"""Audio tags for a metadata write: ID3v2 (MP3, WAV, AIFF; an MP3's existing ID3v1 tag changed only
in the edited fields), Vorbis comments (FLAC, Ogg), MP4 ilst atoms (M4A) and a WAV's RIFF INFO
list, written into the copy that :mod:`.write` then verifies and puts in place.

Kept apart from the image blocks (:mod:`.write_image`): the two share nothing but the edits. Audio
is written with mutagen; a WAV's INFO list by :mod:`.riff_info`. A caption is written as the
comment (`_audio_field`), which :mod:`.write` also uses to know what must read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import mutagen
from mutagen.aiff import AIFF
from mutagen.flac import FLAC
from mutagen.id3 import COMM, TALB, TBPM, TCON, TCOP, TDRC, TIT2, TPE1, TSRC, TYER
from mutagen.mp3 import MP3
from mutagen.mp4 import MP4, AtomDataType, MP4FreeForm
from mutagen.oggflac import OggFLAC
from mutagen.oggopus import OggOpus
from mutagen.oggspeex import OggSpeex
from mutagen.oggvorbis import OggVorbis
from mutagen.wave import WAVE

from .edits import MetadataWriteError
from .riff_info import INFO_IDS, copy_with_info


def _joined(value: Any) -> str:
    """People as one "A; B" string. ID3v2.4 allows NUL-separated values and MP4 several data atoms,
    but ffmpeg and ExifTool each show only one of them; the reader splits "; " back into a list."""
    return "; ".join(value) if isinstance(value, list) else str(value)


def _audio_field(name: str) -> str:
    """Audio formats have one free-text description, the comment: a caption is written there."""
    return "comment" if name == "caption" else name


def _write_id3(tags: Any, edits: Mapping[str, Any], version: int) -> None:
    """`edits` into an ID3v2 tag that will be saved as v2.`version` (3 or 4)."""
    text_frames = {"title": TIT2, "album": TALB, "genre": TCON, "copyright": TCOP, "isrc": TSRC}
    for field_name, value in edits.items():
        name = _audio_field(field_name)
        if name in text_frames:
            cls = text_frames[name]
            tags.setall(cls.__name__, [cls(encoding=3, text=[value])])
        elif name in ("artist", "creator"):
            tags.setall("TPE1", [TPE1(encoding=3, text=[_joined(value)])])
        elif name == "year":
            # The whole recording date is replaced: v2.3 keeps it in TYER (+ TDAT day, TIME time),
            # v2.4 in TDRC. The day and time of the old date would be wrong for the new year.
            for frame_id in ("TYER", "TDAT", "TIME", "TDRC"):
                tags.delall(frame_id)
            if version == 3:
                tags.setall("TYER", [TYER(encoding=3, text=[str(value)])])
            else:
                tags.setall("TDRC", [TDRC(encoding=3, text=[str(value)])])
        elif name == "bpm":
            tags.setall("TBPM", [TBPM(encoding=3, text=[str(value)])])
        elif name == "comment":
            # The comment is the COMM frame without a description (in any language); named ones
            # (iTunNORM, iTunes_CDDB_*, other programs' fields) are other data and stay.
            for key in [k for k in tags.keys() if k.startswith("COMM:") and tags[k].desc == ""]:
                del tags[key]
            tags.add(COMM(encoding=3, lang="eng", desc="", text=[value]))


# ID3v1 field -> its bytes in the 128-byte tag (the comment's last two bytes may hold a v1.1 track)
_ID3V1_SLOTS = {"title": (3, 33), "artist": (33, 63), "creator": (33, 63), "album": (63, 93), "year": (93, 97),
                "comment": (97, 125), "genre": (127, 128)}


def _id3v1(path: str) -> bytes | None:
    with open(path, "rb") as f:
        f.seek(0, 2)
        if f.tell() < 128:
            return None
        f.seek(-128, 2)
        tail = f.read(128)
    return tail if tail.startswith(b"TAG") else None


def _keep_id3v1(path: str, old: bytes, edits: Mapping[str, Any]) -> None:
    """mutagen rebuilds an existing ID3v1 tag from the ID3v2 frames; keep the old bytes of every
    field that was not edited (a v1 value that differs from v2 is not ours to overwrite)."""
    new = _id3v1(path)
    if new is None:
        return
    merged = bytearray(old)
    for name in {_audio_field(n) for n in edits}:
        if name in _ID3V1_SLOTS:
            a, b = _ID3V1_SLOTS[name]
            merged[a:b] = new[a:b]
            if name == "comment" and old[125] != 0:  # ID3v1.0: a 30-byte comment, no track to keep
                merged[125:127] = b"\x00\x00"
    with open(path, "r+b") as f:
        f.seek(-128, 2)
        f.write(merged)


_VORBIS_KEYS = {"title": "TITLE", "artist": "ARTIST", "creator": "ARTIST", "album": "ALBUM", "genre": "GENRE",
                "year": "DATE", "comment": "COMMENT", "bpm": "BPM", "isrc": "ISRC", "copyright": "COPYRIGHT"}
_MP4_KEYS = {"title": "©nam", "artist": "©ART", "creator": "©ART", "album": "©alb", "genre": "©gen",
             "year": "©day", "comment": "©cmt", "copyright": "cprt"}


def _write_audio(tmp: str, fmt: str, edits: Mapping[str, Any]) -> None:
    """Write `edits` into the audio file at `tmp` (a copy) with mutagen."""
    if fmt in ("mp3", "wav", "aiff"):
        # translate=False keeps the frames as stored, so an ID3v2.3 tag is saved as v2.3 again (its
        # frames unconverted, frames mutagen does not know kept); a new tag, or a v2.2 one (which
        # cannot be written), is saved as v2.4.
        audio = {"mp3": MP3, "wav": WAVE, "aiff": AIFF}[fmt](tmp, translate=False)
        if audio.tags is None:
            audio.add_tags()
        version = 3 if audio.tags.version[:2] == (2, 3) else 4
        if version == 4:
            audio.tags.update_to_v24()
        _write_id3(audio.tags, edits, version)
        # v23_sep=None: several values of a v2.3 frame stay NUL-separated as read, not joined with "/"
        if fmt == "mp3":
            v1 = _id3v1(tmp)
            audio.save(v2_version=version, v23_sep=None, v1=1)  # v1=1: update an existing ID3v1 tag, add none
            if v1 is not None:
                _keep_id3v1(tmp, v1, edits)
        else:
            audio.save(v2_version=version, v23_sep=None)
    elif fmt in ("flac", "ogg"):
        options = [FLAC] if fmt == "flac" else [OggVorbis, OggOpus, OggFLAC, OggSpeex]
        audio = mutagen.File(tmp, options=options)
        if audio is None:
            raise MetadataWriteError(f"mutagen cannot open this {fmt} file for writing")
        if audio.tags is None:
            audio.add_tags()
        present = {k.upper() for k in audio.tags.keys()}
        for field_name, value in edits.items():
            name = _audio_field(field_name)
            values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
            audio.tags[_VORBIS_KEYS[name]] = values
            if name == "comment" and "DESCRIPTION" in present:
                audio.tags["DESCRIPTION"] = values  # the reader falls back to it: keep it in step
        audio.save()
    elif fmt == "m4a":
        audio = MP4(tmp)
        if audio.tags is None:
            audio.add_tags()
        tags = audio.tags
        for field_name, value in edits.items():
            name = _audio_field(field_name)
            if name == "bpm":
                tags["tmpo"] = [value]
            elif name == "isrc":
                tags["----:com.apple.iTunes:ISRC"] = [MP4FreeForm(value.encode("utf-8"), AtomDataType.UTF8)]
            else:
                tags[_MP4_KEYS[name]] = [_joined(value)]
                if name == "genre":
                    tags.pop("gnre", None)  # the numeric ID3v1 genre would contradict ©gen
                if name == "comment" and "desc" in tags:
                    tags["desc"] = [value]  # the description atom, read as the caption: keep it in step
        audio.save()
    else:  # pragma: no cover - _resolve lets only the formats above through
        raise MetadataWriteError(f"cannot write tags to {fmt} files")


def _copy_with_info(src: Any, out: Any, edits: Mapping[str, Any], what: str) -> bool:
    """Copy a WAV file with its RIFF INFO list saying what the ID3 chunk will say; False (nothing
    copied) when it has no INFO list or the edits have no INFO entry."""
    info = _info_changes(edits)
    if not info:
        return False
    try:
        return copy_with_info(src, out, info)
    except ValueError as exc:
        raise MetadataWriteError(f"{what}: its RIFF INFO cannot be rewritten safely ({exc}); nothing was "
                                 "changed") from None


def _info_changes(edits: Mapping[str, Any]) -> dict[bytes, str]:
    """The RIFF INFO entries a WAV write sets (bpm and isrc have none)."""
    out = {}
    for field_name, value in edits.items():
        name = _audio_field(field_name)
        if name in ("artist", "creator"):
            out[INFO_IDS["artist"]] = _joined(value)
        elif name in INFO_IDS:
            out[INFO_IDS[name]] = str(value)
    return out
