"""Content-addressed store of originals: `store/objects/ab/<sha256>` inside the library, written
once, never modified.

Objects are copied by default (an atomic temp-file + fsync + rename). Hard links are opt-in
(`link="hardlink"`): they cost no space, but a program that later edits the user's file *in place*
would change the stored original too, so copying is the safe default.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from mediaground.util import fsync_dir


class ContentStore:
    def __init__(self, library_root: Path, link: str = "copy") -> None:
        if link not in {"copy", "hardlink"}:
            raise ValueError("link must be 'copy' or 'hardlink'")
        self.root = Path(library_root)  # paths we hand out are relative to the library root
        self.objects = self.root / "store" / "objects"
        self.link = link
        self.objects.mkdir(parents=True, exist_ok=True)

    def relpath(self, sha256: str) -> str:
        return f"store/objects/{sha256[:2]}/{sha256}"

    def path(self, sha256: str) -> Path:
        return self.root / self.relpath(sha256)

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put(self, src: str | os.PathLike, sha256: str) -> str:
        """Store `src` under its (already computed) sha256; returns the relative store path."""
        dest = self.path(sha256)
        if dest.exists():
            return self.relpath(sha256)
        dest.parent.mkdir(parents=True, exist_ok=True)
        if self.link == "hardlink":
            try:
                os.link(src, dest)
                return self.relpath(sha256)
            except OSError:
                pass  # other filesystem: copy instead
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".incoming.")
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
                while block := inp.read(1 << 20):
                    digest.update(block)  # hash what we write: the stored bytes are the hashed bytes
                    out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise OSError(f"{src} changed while it was being stored")
            os.chmod(tmp, 0o444)
            os.replace(tmp, dest)
        finally:
            Path(tmp).unlink(missing_ok=True)
        fsync_dir(dest.parent)
        return self.relpath(sha256)

    def all_shas(self) -> set[str]:
        return {p.name for p in self.objects.glob("*/*") if not p.name.startswith(".")}

    def remove(self, sha256: str) -> None:
        self.path(sha256).unlink(missing_ok=True)

    def sweep_incoming(self) -> int:
        """Delete half-written temp files a crash left behind."""
        n = 0
        for p in self.objects.glob("*/.incoming.*"):
            p.unlink(missing_ok=True)
            n += 1
        return n
