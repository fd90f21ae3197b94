"""Walk the inputs: files and folders, in a stable order, skipping hidden entries and libraries."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator

from mediaground.catalog import catalog_exists


def scan(inputs: Iterable[str | os.PathLike], exclude: Iterable[Path] = ()) -> Iterator[Path]:
    excluded = {Path(p).resolve() for p in exclude}
    seen: set[Path] = set()
    for raw in inputs:
        root = Path(raw).expanduser().resolve()
        if root.is_file():
            if root not in seen:
                seen.add(root)
                yield root
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"no such file or folder: {raw}")
        for dirpath, dirnames, filenames in os.walk(root):
            here = Path(dirpath)
            dirnames[:] = sorted(d for d in dirnames
                                 if not d.startswith(".") and (here / d).resolve() not in excluded
                                 and not catalog_exists(here / d))
            for name in sorted(filenames):
                if name.startswith("."):
                    continue
                path = here / name
                if path.is_symlink() or not path.is_file():
                    continue
                if path not in seen:
                    seen.add(path)
                    yield path
