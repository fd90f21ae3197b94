"""`make demo`: index sample media with the bundled offline models, then search it.

Uses ../shared/samples when it exists, else the small real photos the tests ship. It runs the
installed `mediaground` command, so what it prints is exactly what a user would type and see.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).with_name("mediaground"))
LIBRARY = ROOT / "demo-library"


def run(*args: str) -> None:
    shown = " ".join(shlex.quote(a) for a in ["mediaground", *args])
    print(f"\n$ {shown}", flush=True)
    subprocess.run([EXE, *args, "--library", str(LIBRARY)], check=True)


def main() -> None:
    shared = ROOT.parent / "shared" / "samples"
    source = shared if shared.is_dir() else ROOT / "tests" / "data"
    print(f"indexing {source} into {LIBRARY} (first run exports the bundled models to ONNX)")
    run("index", str(source))
    photo_queries = ["a cup of coffee", "a cat with green eyes", "rocket launch at dusk", "butterfly on a leaf"]
    audio_queries = ["ask what you can do for your country"]
    if source == shared:  # what the shared samples hold beyond the shipped test media
        photo_queries += ["red motorcycle", "photos taken in Leuven", "photos by Pete Souza"]
        audio_queries += ["the call where someone says they are from Chicago", "a man who was not ill disposed"]
    else:
        audio_queries += ["a recipe with garlic and tomatoes"]
    for query in photo_queries:
        run("search", query, "-n", "3")
    for query in audio_queries:
        run("search", query, "--kind", "audio", "-n", "2")
    photos = sorted((source / "photos").glob("*cat*")) if (source / "photos").is_dir() else sorted(source.glob("cat*"))
    if photos:
        run("search", "--image", str(photos[0]), "-n", "3")
    clips = sorted(source.glob("**/*jfk*.mp3")) or sorted(source.glob("**/hello.wav"))
    if clips:
        run("search", "--audio", str(clips[0]), "-n", "3")
    run("status")


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    main()
