#!/usr/bin/env python
"""Migration throughput: filling a shadow space from the store against the model alone, one run.

    .venv/bin/python benchmarks/migrate.py [FOLDER] [--n 256] [--rounds 3]
                                           [--to 'efficientnet-lite0?resample=bicubic']

A benchmark, not a test: it asserts nothing about speed. Absolute times are never compared across
runs; what counts is the *ratio* of two speeds measured alternately in the same process:

  migrate  wall time of `lib.migrate(SPEC)` on a library that already holds the N
           images: decode the stored originals, preprocess, run the new model, write LanceDB and
           the catalog batch by batch (resumable), then the drift report              -> images/s
  model    `model.run(batch)` alone over the same N images, decoded and preprocessed beforehand
           (untimed), batches of `model.batch_size`                                    -> images/s
  ratio    migrate / model, median of the per-round ratios.

Each round retires the shadow space first, so every round re-embeds all N images.
Input: FOLDER of images, default ../shared/samples/{photos,meta_photos}; N JPEG variants are
written to a temp folder (the same expansion as benchmarks/ingest.py).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import choose_sources, cpu_s, expand, run_model  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path)
    ap.add_argument("--n", type=int, default=256)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--to", dest="spec", default="efficientnet-lite0?resample=bicubic")
    args = ap.parse_args(argv)

    import numpy as np

    from mediaground.library import Library
    from mediaground.media.image import decode_image
    from mediaground.models.registry import get_model

    work = Path(tempfile.mkdtemp(prefix="mg-bench-migrate-"))
    try:
        sources, origin = choose_sources(args.folder, work)
        paths = expand(sources, args.n, work / "assets")
        print(f"inputs: {args.n} JPEG variants of {len(sources)} images ({origin})")
        lib = Library.create(work / "lib")
        t0 = time.perf_counter()
        lib.ingest([work / "assets"])
        print(f"library built (ingest with the default models): {time.perf_counter() - t0:.1f}s")

        model = get_model(args.spec)
        pre = model.preprocessor
        images = [pre(decode_image(str(p), pre.resize_shorter).image) for p in paths]
        batches = [np.stack(images[i:i + model.batch_size]) for i in range(0, len(images), model.batch_size)]
        run_model(model, batches[:1])  # load and warm the session

        rows, report = [], None
        print("round migrate s  img/s cores   model s  img/s cores   ratio")
        for r in range(args.rounds):
            shadow = [s for s in lib.catalog.spaces.all() if s.spec == args.spec and s.status != "active"]
            if shadow and shadow[0].status != "retired":
                lib.retire(shadow[0].space_id)
            c0, t0 = cpu_s(), time.perf_counter()
            report = lib.migrate(args.spec)
            mig_s, mig_cpu = time.perf_counter() - t0, cpu_s() - c0
            assert report["filled"]["assets"] == args.n, report["filled"]
            model_s, model_cpu = run_model(model, batches)
            rows.append({"migrate_s": mig_s, "migrate_ips": args.n / mig_s, "migrate_cores": mig_cpu / mig_s,
                         "model_s": model_s, "model_ips": args.n / model_s, "model_cores": model_cpu / model_s,
                         "ratio": model_s / mig_s})
            x = rows[-1]
            print(f"{r:5} {x['migrate_s']:9.2f} {x['migrate_ips']:6.1f} {x['migrate_cores']:5.2f}"
                  f" {x['model_s']:9.2f} {x['model_ips']:6.1f} {x['model_cores']:5.2f} {x['ratio']:7.3f}")
        ratio = statistics.median(x["ratio"] for x in rows)
        print(f"  med {statistics.median(x['migrate_ips'] for x in rows):15.1f}"
              f" {statistics.median(x['model_ips'] for x in rows):22.1f} {ratio:13.3f}")
        print(f"drift (last round): overlap@10 mean {report['overlap']['mean']}, same-chunk cosine mean "
              f"{(report.get('agreement') or {}).get('mean_cosine')}")
        lib.close()
        print(json.dumps({"benchmark": "migrate", "n": args.n, "origin": origin, "spec": args.spec,
                          "ratio": round(ratio, 3), "rounds": rows}))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
