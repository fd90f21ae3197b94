"""Walk the inputs: files and folders, in a stable order, skipping hidden entries and libraries.

What cannot be indexed as a file is reported, never fatal: a folder that cannot be read, a name
that is not valid UTF-8 (the catalog stores names as text), a FIFO or device, a symbolic link (not
followed: a link could lead out of the folders a person chose) or a link loop given as an input.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from mediaground.catalog import catalog_exists


@dataclass(frozen=True)
class Skipped:
    path: str       # printable (bytes that are not UTF-8 shown as \xNN escapes)
    reason: str     # name-not-utf8 | unreadable-folder | not-a-regular-file | symlink | symlink-loop | ...
    detail: str = ""

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason, "detail": self.detail}


def printable(path: str | os.PathLike) -> str:
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def _utf8(path: str) -> bool:
    try:
        os.fsencode(path).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def scan(inputs: Iterable[str | os.PathLike], exclude: Iterable[Path] = (),
         skipped: list[Skipped] | None = None) -> Iterator[str]:
    """The regular files under `inputs`, each once; what is left out is appended to `skipped`."""
    skipped = skipped if skipped is not None else []
    excluded = {Path(p).resolve() for p in exclude}
    seen: set[str] = set()

    def skip(path, reason: str, detail: str = "") -> None:
        skipped.append(Skipped(printable(path), reason, detail))

    def walk_error(exc: OSError) -> None:
        skip(exc.filename or "", "unreadable-folder", exc.strerror or str(exc))

    def consider(path: str) -> Iterator[str]:
        if not _utf8(path):
            skip(path, "name-not-utf8", "rename the file: its name is not valid UTF-8")
            return
        try:
            st = os.lstat(path)
        except OSError as exc:
            skip(path, "vanished" if isinstance(exc, FileNotFoundError) else "unreadable", str(exc))
            return
        if stat.S_ISLNK(st.st_mode):
            skip(path, "symlink", "symbolic links are not followed")
        elif not stat.S_ISREG(st.st_mode):
            skip(path, "not-a-regular-file", "a FIFO, socket or device")
        elif path not in seen:
            seen.add(path)
            yield path

    for raw in inputs:
        try:
            root = Path(raw).expanduser().resolve(strict=True)
        except FileNotFoundError:
            raise FileNotFoundError(f"no such file or folder: {raw}") from None
        except (RuntimeError, OSError) as exc:  # a symlink loop (RuntimeError in 3.11, OSError ELOOP after)
            skip(raw, "symlink-loop", str(exc))
            continue
        if not root.is_dir():
            yield from consider(str(root))
            continue
        for dirpath, dirnames, filenames in os.walk(root, onerror=walk_error):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames
                                 if not d.startswith(".") and (here / d).resolve() not in excluded
                                 and not catalog_exists(here / d))
            for name in sorted(filenames):
                if not name.startswith("."):
                    yield from consider(str(here / name))
