"""Search quality on the sample photos: is the right photo in the top 5 for each query?

Indexes ../shared/samples/{photos,meta_photos} twice into fresh libraries: once with the real file
names, once with names that say nothing (IMG_0001.jpg ...), so the second run measures what the
models and embedded metadata find on their own. Prints hit@1, hit@5 and the rank per query.

    .venv/bin/python benchmarks/search_quality.py [SAMPLES_DIR]
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from mediaground.library import Library  # noqa: E402

QUERIES = [
    ("a cup of coffee", "skimage_coffee.png"),
    ("a cat with green eyes", "skimage_chelsea_cat.png"),
    ("rocket on a launch pad", "skimage_rocket.jpg"),
    ("red motorcycle in a garage", "skimage_motorcycle.png"),
    ("a city bus in the street", "ultralytics_bus.jpg"),
    ("butterfly resting on a leaf", "opencv_butterfly.jpg"),
    ("orange flower in bloom", "sklearn_flower.jpg"),
    ("a ladybird on a grass stem", "mate_LadyBird.jpg"),
    ("small dog with its tongue out", "opencv_chicky_512.png"),
    ("a raccoon peering through leaves", "scipy_face_raccoon.png"),
    ("colourful candies", "opencv_smarties.png"),
    ("green computer circuit board", "opencv_board.jpg"),
    ("photos taken in Budapest", "pillow_iptc_budapest.jpg"),
    ("portrait of the president by Pete Souza", "facerec_obama.jpg"),
]


def run(samples: Path, anonymize: bool) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="mg-quality-"))
    media = work / "media"
    names: dict[str, str] = {}
    for i, src in enumerate(sorted(p for d in ("photos", "meta_photos") for p in (samples / d).iterdir())):
        name = f"IMG_{i + 1:04}{src.suffix}" if anonymize else src.name
        dest = media / name
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
        names[str(dest.resolve())] = src.name
    rows = []
    with Library.create(work / "lib") as lib:
        lib.ingest([media])
        for query, expected in QUERIES:
            results = lib.search(query, limit=5)
            found = [names.get(r.path, r.path) for r in results]
            rank = found.index(expected) + 1 if expected in found else None
            rows.append({"query": query, "expected": expected, "rank": rank, "top": found[:3],
                         "why": results[found.index(expected)].why if rank else []})
    shutil.rmtree(work)
    return rows


def main() -> None:
    samples = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "samples"
    summary = {}
    for anonymize in (False, True):
        label = "anonymized names" if anonymize else "original names"
        rows = run(samples, anonymize)
        print(f"\n== {label}")
        for r in rows:
            mark = f"#{r['rank']}" if r["rank"] else "miss"
            print(f"  {mark:>4}  {r['query']:<42} {r['expected']:<26} why={','.join(r['why'][:3])}")
        at1 = sum(r["rank"] == 1 for r in rows)
        at5 = sum(r["rank"] is not None for r in rows)
        print(f"  hit@1 {at1}/{len(rows)}   hit@5 {at5}/{len(rows)}")
        summary[label] = {"hit@1": at1, "hit@5": at5, "queries": len(rows)}
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
