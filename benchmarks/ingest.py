#!/usr/bin/env python
"""Ingest throughput: the whole pipeline against the image model alone, measured in one run.

    .venv/bin/python benchmarks/ingest.py [FOLDER] [--n 256] [--workers W] [--rounds 5]
                                          [--profile] [--cprofile] [--keep DIR]

This is a benchmark, not a test: it asserts nothing about speed. Machines are noisy, so absolute
times are never compared across runs; what counts is the *ratio* of two speeds measured
alternately in the same process on the same images:

  pipeline  wall time of `lib.ingest([folder])` into a fresh library (scan, sha256, sniff, essence
            hash, metadata, decode+preprocess in spawn workers, EfficientNet-Lite0, label bridge,
            MiniLM, content store, LanceDB, SQLite)                              -> images/s
  model     `model.run(batch)` alone over the same N images, decoded and preprocessed beforehand
            (untimed) with the model's own `decode_image` + `preprocessor`, batches of
            `model.batch_size`                                                     -> images/s
  ratio     pipeline / model (target: >= 0.8), median of the per-round ratios.

Each round runs the pipeline, then the model alone; "cores" (CPU seconds per wall second) shows
whether the machine gave us all its CPUs during a round. For context it also times
decode+preprocess alone (single process) and reports peak RSS: this process's ru_maxrss (after the
first pipeline round, before the model-alone batches exist, and at the end), the workers' own
peaks sampled from /proc, and RUSAGE_CHILDREN (see `maxrss_mib` for why that one overstates).

`--profile` makes the first pipeline round an instrumented one (phase timers patched in by this
script only, never in src/): wall time and peak-RSS growth per main-thread phase, CPU seconds by
thread and worker processes, and a per-image breakdown of the work a prepare worker does.
`--cprofile` adds a cProfile of the main process during one extra pipeline round.

Input: FOLDER of images, default ../shared/samples/{photos,meta_photos} relative to the repo root,
else images generated here. They are expanded into N distinct assets in a temp folder: each
variant gets a small mark whose position and colour encode its index and is re-saved as JPEG
quality 90 at its original size (EXIF/XMP/ICC kept), so each has its own essence and asset ID and
large originals stay large (decoding cost is the point).

Set MEDIAGROUND_CACHE to keep the ONNX exports between runs (default: $TMPDIR/mgcache-bench);
the models are warmed before anything is timed.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import pickle
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SOURCES = [REPO.parent / "shared" / "samples" / "photos", REPO.parent / "shared" / "samples" / "meta_photos"]
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".mpo", ".webp", ".bmp", ".gif"}

os.environ.setdefault("MEDIAGROUND_CACHE", str(Path(tempfile.gettempdir()) / "mgcache-bench"))


# --- inputs ---------------------------------------------------------------------------------

def source_images(folders: list[Path]) -> list[Path]:
    out = []
    for folder in folders:
        if folder.is_file():
            out.append(folder)
            continue
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            out += [Path(dirpath) / f for f in sorted(filenames)
                    if not f.startswith(".") and Path(f).suffix.lower() in IMAGE_SUFFIXES]
    return out


def _to_rgb_or_l(im):
    """8-bit L or RGB, as a camera JPEG would be (16-bit is stretched, alpha goes on white)."""
    import numpy as np
    from PIL import Image

    if im.mode in ("RGB", "L"):
        return im
    if im.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        lo, hi = np.percentile(arr, 0.5), np.percentile(arr, 99.5)
        arr = np.clip((arr - lo) / max(hi - lo, 1e-9), 0, 1) * 255
        return Image.fromarray(arr.astype(np.uint8), "L")
    if im.mode in ("RGBA", "LA", "PA", "P"):
        im = im.convert("RGBA")
        bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
        return Image.alpha_composite(bg, im).convert("RGB")
    return im.convert("RGB")


def generated_sources(tmp: Path) -> list[Path]:
    """A dozen photo-like images (smooth colour fields + grain) from 640x480 up to 4000x3000."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(0)
    sizes = [(640, 480), (800, 600), (1024, 768), (1280, 960), (1600, 1200), (1920, 1280),
             (2560, 1600), (3000, 2000), (4000, 3000), (480, 640), (1080, 1920), (512, 512)]
    out = []
    folder = tmp / "generated"
    folder.mkdir()
    for i, (w, h) in enumerate(sizes):
        small = rng.integers(0, 256, (6, 8, 3), dtype=np.uint8)
        im = Image.fromarray(small, "RGB").resize((w, h), Image.Resampling.BICUBIC)
        arr = np.asarray(im, np.int16) + rng.integers(-12, 13, (h, w, 3), dtype=np.int16)
        path = folder / f"gen_{i:02d}_{w}x{h}.jpg"
        Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB").save(path, quality=92)
        out.append(path)
    return out


def expand(sources: list[Path], n: int, dest: Path) -> list[Path]:
    """N distinct JPEG variants of the sources, round-robin, each at its source's size."""
    from PIL import Image, ImageDraw

    opened = []
    for src in sources:
        try:
            im = Image.open(src)
            im.load()
        except Exception as exc:  # noqa: BLE001 - an unreadable sample is skipped, not fatal
            print(f"  skip {src.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        extra = {}
        exif = im.getexif()
        if len(exif):
            extra["exif"] = exif.tobytes()
        for key in ("icc_profile", "xmp"):
            if im.info.get(key):
                extra[key] = im.info[key]
        opened.append((src, _to_rgb_or_l(im), extra))
    if not opened:
        raise SystemExit("no readable source images")
    dest.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        src, im, extra = opened[i % len(opened)]
        k = i // len(opened)
        im = im.copy()
        w, h = im.size
        side = max(4, min(w, h) // 64)
        x, y = (k * 97) % max(1, w - side), (k * 61) % max(1, h - side)
        colour = ((k * 53) % 256, (k * 149 + 80) % 256, (k * 211 + 160) % 256)
        ImageDraw.Draw(im).rectangle((x, y, x + side - 1, y + side - 1),
                                     fill=colour if im.mode == "RGB" else colour[0])
        path = dest / f"{i:05d}_{src.stem}.jpg"
        im.save(path, "JPEG", quality=90, **extra)
        paths.append(path)
    return paths


# --- measurements ---------------------------------------------------------------------------

def choose_sources(folder: Path | None, work: Path) -> tuple[list[Path], str]:
    """The benchmark's source images and where they came from: FOLDER, else the shared samples,
    else images generated into `work`."""
    if folder is not None:
        return source_images([folder]), str(folder)
    sources = source_images([d for d in DEFAULT_SOURCES if d.is_dir()])
    if sources:
        return sources, "shared samples"
    return generated_sources(work), "generated"


def maxrss_mib(who: int) -> float:
    """ru_maxrss in MiB (Linux reports KiB).

    Caveat for RUSAGE_CHILDREN: a spawn worker is fork+exec'd, and Linux records the RSS the
    forked child shared with its parent before exec as that child's high-water mark, so this is
    max(largest worker, main's RSS at the moment it started the pool). `WorkerRss` gives the
    workers' own peaks."""
    return resource.getrusage(who).ru_maxrss / 1024


class WorkerRss:
    """Samples the prepare workers (children running multiprocessing.spawn) from /proc:
    each one's own peak (VmHWM, reset by exec) and the largest total RSS of main + workers."""

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.worker_hwm_kib = 0
        self.total_rss_kib = 0
        self._stop = self._thread = None

    @staticmethod
    def _status(pid: str | int) -> dict[str, int]:
        out = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(("VmHWM:", "VmRSS:")):
                    out[line.split(":")[0]] = int(line.split()[1])
        return out

    def _workers(self) -> list[str]:
        pids = []
        for task in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{task}/children") as f:
                    pids += f.read().split()
            except OSError:
                pass
        out = []
        for pid in pids:
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    if b"spawn_main" in f.read():
                        out.append(pid)
            except OSError:
                pass
        return out

    def sample(self) -> None:
        total = self._status("self").get("VmRSS", 0)
        for pid in self._workers():
            try:
                st = self._status(pid)
            except OSError:
                continue
            self.worker_hwm_kib = max(self.worker_hwm_kib, st.get("VmHWM", 0))
            total += st.get("VmRSS", 0)
        self.total_rss_kib = max(self.total_rss_kib, total)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sample()
            except OSError:
                pass

    def __enter__(self) -> "WorkerRss":
        import threading

        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        if os.path.exists("/proc/self/task"):
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def cpu_split() -> tuple[float, float]:
    """CPU seconds of this process, and of its reaped children (the ingest workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def cpu_s() -> float:
    return sum(cpu_split())


def thread_cpu() -> dict[str, float]:
    """CPU seconds of this process's live threads, grouped: the Python main thread, LanceDB's
    runtime, and the rest (ONNX Runtime's intra-op pools, which inherit the name "python")."""
    out: dict[str, float] = defaultdict(float)
    tick = os.sysconf("SC_CLK_TCK")
    main_tid = str(os.getpid())
    try:
        tids = os.listdir("/proc/self/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2:].split()
        sec = (int(fields[11]) + int(fields[12])) / tick  # utime, stime
        group = ("python main thread" if tid == main_tid else "lancedb threads" if comm.startswith("lancedb")
                 else f"{comm} threads" if comm != "python" else "other threads (ONNX Runtime pools)")
        out[group] += sec
    return out


def run_pipeline(folder: Path, n: int, workers: int | None, work: Path, tag: str,
                 rss: WorkerRss | None = None) -> tuple[float, float]:
    """(wall s, CPU s) of lib.ingest([folder]) into a fresh library."""
    from mediaground.library import Library

    root = work / f"lib-{tag}"
    lib = Library.create(root)
    try:
        c0, t0 = cpu_s(), time.perf_counter()
        with rss or contextlib.nullcontext():
            report = lib.ingest([folder], workers=workers)
        dt, cpu = time.perf_counter() - t0, cpu_s() - c0
    finally:
        lib.close()
        shutil.rmtree(root, ignore_errors=True)
    if report.added != n or report.quarantined:
        raise SystemExit(f"pipeline round {tag}: expected {n} added, got {report.to_dict()}")
    return dt, cpu


def run_model(model, batches) -> tuple[float, float]:
    """(wall s, CPU s) of model.run over the prepared batches."""
    c0, t0 = cpu_s(), time.perf_counter()
    for batch in batches:
        model.run(batch)
    return time.perf_counter() - t0, cpu_s() - c0


WARM_CACHE = """
import sys
from mediaground.library import Library
lib = Library.create(sys.argv[1])
lib.spaces.image_model.runtime, lib.spaces.text_model.runtime, lib.spaces.bridge.vectors
lib.close()
"""


def warm(paths: list[Path], work: Path, workers: int | None) -> int:
    """Export/load both ONNX models, the label vectors and the worker imports before timing.

    The first-run ONNX export (torch) happens in a child process so it never counts in this
    process's peak RSS. Returns the number of workers the pipeline will use."""
    import subprocess

    from mediaground.library import Library
    from mediaground.ingest.run import Ingestor

    subprocess.run([sys.executable, "-c", WARM_CACHE, str(work / "lib-cache")], check=True, cwd=work)
    shutil.rmtree(work / "lib-cache", ignore_errors=True)

    lib = Library.create(work / "lib-warm")
    try:
        sub = work / "warm"
        sub.mkdir()
        for p in paths[:8]:
            shutil.copy(p, sub / p.name)
        lib.ingest([sub], workers=workers)
        _ = lib.spaces.bridge.vectors
        return Ingestor(lib.catalog, lib.index, lib.store, lib.spaces, lib.root, workers=workers).workers
    finally:
        lib.close()
        shutil.rmtree(work / "lib-warm", ignore_errors=True)
        shutil.rmtree(work / "warm", ignore_errors=True)


# --- profiling (patches live only in this process, only while profiling) ---------------------

class PhaseTimer:
    """Wall time, calls and growth of this process's peak RSS, per labelled function."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self.rss_growth_mib: dict[str, float] = defaultdict(float)
        self._undo: list[tuple[object, str, object]] = []

    def _record(self, label: str, t0: float, rss0: float) -> None:
        self.seconds[label] += time.perf_counter() - t0
        self.calls[label] += 1
        self.rss_growth_mib[label] += maxrss_mib(resource.RUSAGE_SELF) - rss0

    def _patch(self, owner, name: str, make) -> None:
        original = owner.__dict__[name] if isinstance(owner, type) else getattr(owner, name)
        self._undo.append((owner, name, original))
        if isinstance(original, staticmethod):  # wrap the function, and keep it static
            setattr(owner, name, staticmethod(functools.wraps(original.__func__)(make(original.__func__))))
            return
        setattr(owner, name, functools.wraps(original)(make(original)))

    def wrap(self, owner, name: str, label: str) -> None:
        def make(original):
            def timed(*args, **kwargs):
                t0, rss0 = time.perf_counter(), maxrss_mib(resource.RUSAGE_SELF)
                try:
                    return original(*args, **kwargs)
                finally:
                    self._record(label, t0, rss0)
            return timed
        self._patch(owner, name, make)

    def wrap_generator(self, owner, name: str, label: str, first_label: str) -> None:
        """Time spent inside next() of a generator method; the first item separately."""
        def make(original):
            def timed(*args, **kwargs):
                gen = original(*args, **kwargs)
                first = True
                while True:
                    t0, rss0 = time.perf_counter(), maxrss_mib(resource.RUSAGE_SELF)
                    try:
                        item = next(gen)
                    except StopIteration:
                        self._record(label, t0, rss0)
                        return
                    self._record(first_label if first else label, t0, rss0)
                    first = False
                    yield item
            return timed
        self._patch(owner, name, make)

    def wrap_context(self, owner, name: str, label: str) -> None:
        def make(original):
            @contextlib.contextmanager
            def timed(*args, **kwargs):
                t0, rss0 = time.perf_counter(), maxrss_mib(resource.RUSAGE_SELF)
                try:
                    with original(*args, **kwargs) as value:
                        yield value
                finally:
                    self._record(label, t0, rss0)
            return timed
        self._patch(owner, name, make)

    def undo(self) -> None:
        for owner, name, original in reversed(self._undo):
            setattr(owner, name, original)
        self._undo.clear()


# Main-thread phases. Top-level ones do not nest in each other; the indented ones run inside
# _flush and are subtracted from it.
TOP_PHASES = ["reconcile (start)", "scan (walk)", "sha256 of each file (main, serial)",
              "first prepared file (pool spawn + imports)", "waiting on prepare workers",
              "_flush total", "lance optimize (end)"]


def profile_pipeline(folder: Path, n: int, workers: int | None, work: Path, model,
                     rss: WorkerRss | None = None) -> dict:
    """One instrumented pipeline round: wall time and peak-RSS growth per main-thread phase."""
    import mediaground.ingest.identify as identify_mod
    import mediaground.ingest.run as ingest_mod
    from mediaground.catalog.sqlite import SqliteCatalog
    from mediaground.index.lance import LanceIndex
    from mediaground.library import Library
    from mediaground.models.base import Embedder
    from mediaground.models.bridge import LabelBridge
    from mediaground.store.content import ContentStore

    pt = PhaseTimer()
    pt.wrap(Library, "reconcile", "reconcile (start)")
    pt.wrap(ingest_mod, "scan", "scan (walk)")
    pt.wrap(identify_mod, "file_sha256", "sha256 of each file (main, serial)")
    pt.wrap_generator(ingest_mod, "extracted", "waiting on prepare workers",
                      "first prepared file (pool spawn + imports)")
    pt.wrap(ingest_mod.Ingestor, "_flush", "_flush total")
    pt.wrap(type(model), "run", "  image model.run")
    pt.wrap(LabelBridge, "top_labels", "  bridge.top_labels")
    pt.wrap(LabelBridge, "bridge", "  bridge.bridge")
    pt.wrap(Embedder, "embed_texts", "  text model embed_texts")
    pt.wrap(ContentStore, "put", "  store.put (copy+fsync+rehash)")
    pt.wrap(LanceIndex, "upsert", "  lance upsert")
    pt.wrap(LanceIndex, "delete", "  lance delete")
    pt.wrap_context(SqliteCatalog, "transaction", "  sqlite transactions")
    pt.wrap(LanceIndex, "optimize", "lance optimize (end)")
    threads0, (main0, kids0) = thread_cpu(), cpu_split()
    try:
        wall, cpu = run_pipeline(folder, n, workers, work, "profile", rss)
    finally:
        pt.undo()
    threads1, (main1, kids1) = thread_cpu(), cpu_split()
    by_thread = {k: threads1[k] - threads0.get(k, 0.0) for k in threads1}
    by_thread["worker processes"] = kids1 - kids0
    by_thread["threads that exited during the round"] = (main1 - main0) - sum(
        v for k, v in by_thread.items() if k != "worker processes")
    return {"wall_s": wall, "cpu_s": cpu, "seconds": dict(pt.seconds), "calls": dict(pt.calls),
            "rss_growth_mib": dict(pt.rss_growth_mib), "cpu_by_thread_s": by_thread}


def print_profile(prof: dict, n: int) -> None:
    sec, calls, grow, wall = prof["seconds"], prof["calls"], prof["rss_growth_mib"], prof["wall_s"]
    inner = sorted((k for k in sec if k.startswith("  ")), key=lambda k: -sec[k])
    print(f"\nphases of one instrumented pipeline round: wall {wall:.2f}s ({n / wall:.1f} img/s), "
          f"CPU {prof['cpu_s']:.2f}s main+workers ({prof['cpu_s'] / wall:.2f} cores busy on average)")
    print(f"  {'phase (main thread)':<46} {'s':>7} {'%wall':>6} {'calls':>6} {'+peak RSS MiB':>14}")

    def line(label: str, s: float, c: int | str = "", g: float | None = None) -> None:
        g_txt = f"{g:>14.0f}" if g is not None else ""
        print(f"  {label:<46} {s:>7.2f} {100 * s / wall:>6.1f} {c:>6} {g_txt}")

    for label in TOP_PHASES:
        if label not in sec:
            continue
        line(label, sec[label], calls[label], grow[label])
        if label == "_flush total":
            for k in inner:
                line(k, sec[k], calls[k], grow[k])
            line("    rest of _flush (row building, np.stack)", sec[label] - sum(sec[k] for k in inner))
    accounted = sum(v for k, v in sec.items() if not k.startswith("  "))
    line("other (per-file loop, catalog lookups)", wall - accounted)
    print(f"  model.run inside the pipeline: {sec.get('  image model.run', 0):.2f}s; the same images through the "
          f"model alone, right after: {prof['model_alone_s']:.2f}s")
    print("  (+peak RSS: growth of main's ru_maxrss during the phase; this round ran first, right after warm-up)")
    print(f"  CPU seconds by thread/process (model alone: {prof['model_alone_cpu_s']:.2f} CPU s for the same images):")
    for k, v in sorted(prof["cpu_by_thread_s"].items(), key=lambda kv: -kv[1]):
        print(f"    {k:<44} {v:>7.2f}")


def profile_prepare(paths: list[Path], preprocessor) -> dict[str, float]:
    """Per-file cost of each step a worker does, single process, in seconds per image.

    The preprocessor's sub-steps mirror ImagePreprocessor.__call__ (resize, crop, normalize);
    "preprocessor (whole)" is the real thing."""
    import numpy as np
    from PIL import Image

    from mediaground.ids import essence_hash, file_sha256
    from mediaground.media.image import decode_image
    from mediaground.media.sniff import sniff
    from mediaground.metadata.read import read_metadata
    from mediaground.ingest.extract import prepare

    pre = preprocessor
    filt = {"bilinear": Image.Resampling.BILINEAR, "bicubic": Image.Resampling.BICUBIC}[pre.resample]
    mean, std = np.asarray(pre.mean, np.float32), np.asarray(pre.std, np.float32)
    acc: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    for p in paths:
        s = str(p)
        t = [clock()]
        sha = file_sha256(s); t.append(clock())
        mt = sniff(s); t.append(clock())
        essence_hash(s, mt.format); t.append(clock())
        read_metadata(s, mt.format, mt.kind).to_dict(); t.append(clock())
        img = decode_image(s, pre.resize_shorter).image; t.append(clock())
        pre(img); t.append(clock())
        w, h = img.size
        scale = pre.resize_shorter / min(w, h)
        nw, nh = max(pre.size, round(w * scale)), max(pre.size, round(h * scale))
        r = img.resize((nw, nh), filt, reducing_gap=3.0); t.append(clock())
        left, top = (nw - pre.size) // 2, (nh - pre.size) // 2
        c = r.crop((left, top, left + pre.size, top + pre.size)); t.append(clock())
        a = np.asarray(c, dtype=np.float32) * np.float32(1 / 255)
        np.ascontiguousarray(((a - mean) / std).transpose(2, 0, 1)); t.append(clock())
        st = os.stat(s)
        prep = prepare(s, sha, st.st_size, st.st_mtime_ns, pre); t.append(clock())
        blob = pickle.dumps(prep, protocol=pickle.HIGHEST_PROTOCOL)
        pickle.loads(blob); t.append(clock())
        d = [b - a for a, b in zip(t, t[1:])]
        for label, v in zip(["sha256 (main process)", "sniff", "essence_hash", "read_metadata",
                             "decode_image (draft + exif + RGB)", "preprocessor (whole)",
                             "  resize to shorter=256", "  center crop 224", "  float32 normalize + CHW",
                             "prepare() whole (= one worker job)", "pickle round-trip of Prepared"], d):
            acc[label] += v
        acc["pickled Prepared size (KiB)"] += len(blob) / 1024
    return {k: v / len(paths) for k, v in acc.items()}


# --- main -----------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", nargs="?", type=Path, help="folder of source images (default: shared samples)")
    ap.add_argument("--n", type=int, default=256, help="number of distinct assets to ingest (default 256)")
    ap.add_argument("--workers", type=int, default=None, help="ingest workers (default: the library's)")
    ap.add_argument("--rounds", type=int, default=5, help="alternating pipeline/model rounds (default 5)")
    ap.add_argument("--profile", action="store_true", help="instrument the first pipeline round (phases, CPU)")
    ap.add_argument("--cprofile", action="store_true", help="add a cProfile of an extra pipeline round")
    ap.add_argument("--keep", type=Path, help="write the expanded assets here and keep them")
    args = ap.parse_args(argv)

    import numpy as np

    from mediaground.media.image import decode_image
    from mediaground.models.registry import get_model

    work = Path(tempfile.mkdtemp(prefix="mg-bench-ingest-"))
    try:
        sources, origin = choose_sources(args.folder, work)
        assets = (args.keep or work / "assets").resolve()
        if args.keep and args.keep.exists() and any(args.keep.iterdir()):
            raise SystemExit(f"--keep {args.keep}: the folder must be new or empty")
        t0 = time.perf_counter()
        paths = expand(sources, args.n, assets)
        total_mb = sum(p.stat().st_size for p in paths) / 1e6
        print(f"inputs: {args.n} JPEG variants of {len(sources)} images ({origin}), {total_mb:.0f} MB, "
              f"written in {time.perf_counter() - t0:.1f}s to {assets}")

        model = get_model("efficientnet-lite0")
        pre = model.preprocessor
        t0 = time.perf_counter()
        workers = warm(paths, work, args.workers)
        print(f"warm-up (ONNX export/load, label vectors, worker imports): {time.perf_counter() - t0:.1f}s")
        rss_warm = maxrss_mib(resource.RUSAGE_SELF)

        # The first pipeline round (the instrumented one with --profile) runs before the
        # model-alone batches exist, so main's peak RSS after it is the pipeline's own.
        rss, rss_later = WorkerRss(), WorkerRss()  # the first pipeline round; the others
        prof = first = None
        if args.profile:
            prof = profile_pipeline(assets, args.n, args.workers, work, model, rss)
        else:
            first = run_pipeline(assets, args.n, args.workers, work, "0", rss)
        rss_after_first_pipeline = maxrss_mib(resource.RUSAGE_SELF)

        # Decode+preprocess alone, one process: the context figure, and the model-alone input.
        t0 = time.perf_counter()
        batches, pending = [], []
        for p in paths:
            pending.append(pre(decode_image(str(p), pre.resize_shorter).image))
            if len(pending) == model.batch_size:
                batches.append(np.ascontiguousarray(np.stack(pending), dtype=np.float32))
                pending = []
        if pending:
            batches.append(np.ascontiguousarray(np.stack(pending), dtype=np.float32))
        decode_s = time.perf_counter() - t0
        run_model(model, batches[:1])  # first-call allocations out of the way
        if prof is not None:
            prof["model_alone_s"], prof["model_alone_cpu_s"] = run_model(model, batches)

        rounds = []
        for r in range(args.rounds):
            if r == 0 and first is not None:
                p_s, p_cpu = first
            else:
                p_s, p_cpu = run_pipeline(assets, args.n, args.workers, work, str(r), rss_later)
            m_s, m_cpu = run_model(model, batches)
            rounds.append({"pipeline_s": p_s, "pipeline_ips": args.n / p_s, "pipeline_cores": p_cpu / p_s,
                           "model_s": m_s, "model_ips": args.n / m_s, "model_cores": m_cpu / m_s,
                           "ratio": m_s / p_s})

        med = lambda key: statistics.median(rd[key] for rd in rounds)  # noqa: E731
        result = {
            "benchmark": "ingest",
            "n": args.n,
            "sources": len(sources),
            "origin": origin,
            "input_mb": round(total_mb, 1),
            "workers": workers,
            "cpus": os.cpu_count(),
            "threads_env": os.environ.get("MEDIAGROUND_THREADS"),
            "python": platform.python_version(),
            "model_batch": model.batch_size,
            "model_runtime": model.runtime,
            "rounds": [{k: round(v, 4) for k, v in rd.items()} for rd in rounds],
            "pipeline_ips": round(med("pipeline_ips"), 2),
            "model_ips": round(med("model_ips"), 2),
            "ratio": round(med("ratio"), 3),
            "ratio_best": round(max(rd["pipeline_ips"] for rd in rounds) / max(rd["model_ips"] for rd in rounds), 3),
            "target_ratio": 0.8,
            "decode_preprocess_ips_1proc": round(args.n / decode_s, 2),
            "peak_rss_mib_main_after_warmup": round(rss_warm, 1),
            "peak_rss_mib_main_after_pipeline": round(rss_after_first_pipeline or 0, 1),
            "peak_rss_mib_main": round(maxrss_mib(resource.RUSAGE_SELF), 1),
            "peak_rss_mib_children_rusage": round(maxrss_mib(resource.RUSAGE_CHILDREN), 1),
            "peak_rss_mib_worker_own": round(max(rss.worker_hwm_kib, rss_later.worker_hwm_kib) / 1024, 1),
            "peak_rss_mib_main_plus_workers": round(rss.total_rss_kib / 1024, 1),
        }

        print()
        print(f"{'round':>5} {'pipeline s':>10} {'img/s':>7} {'cores':>5}   {'model s':>7} {'img/s':>7} "
              f"{'cores':>5}   {'ratio':>5}")
        for i, rd in enumerate(rounds):
            print(f"{i:>5} {rd['pipeline_s']:>10.2f} {rd['pipeline_ips']:>7.1f} {rd['pipeline_cores']:>5.2f}   "
                  f"{rd['model_s']:>7.2f} {rd['model_ips']:>7.1f} {rd['model_cores']:>5.2f}   {rd['ratio']:>5.3f}")
        print(f"{'med':>5} {'':>10} {result['pipeline_ips']:>7.1f} {med('pipeline_cores'):>5.2f}   {'':>7} "
              f"{result['model_ips']:>7.1f} {med('model_cores'):>5.2f}   {result['ratio']:>5.3f}  (target >= 0.8; "
              f"best/best {result['ratio_best']:.3f})")
        print(f"('cores' = CPU seconds of main + workers per wall second; workers={workers}, cpus={os.cpu_count()})")
        print(f"decode+preprocess alone, 1 process: {result['decode_preprocess_ips_1proc']:.1f} img/s")
        print(f"peak RSS, main (ru_maxrss): {rss_warm:.0f} MiB after warm-up, "
              f"{result['peak_rss_mib_main_after_pipeline']:.0f} MiB after the first pipeline round, "
              f"{result['peak_rss_mib_main']:.0f} MiB at the end (with the model-alone batches)")
        print(f"peak RSS, workers: {result['peak_rss_mib_worker_own']:.0f} MiB each at most (/proc VmHWM); "
              f"main + workers together {result['peak_rss_mib_main_plus_workers']:.0f} MiB in the first pipeline "
              f"round; RUSAGE_CHILDREN says "
              f"{result['peak_rss_mib_children_rusage']:.0f} MiB, which counts main's RSS a fork+exec'd child "
              f"briefly shares")

        if prof is not None:
            print_profile(prof, args.n)
            per = profile_prepare(paths, pre)
            print("\nper image, each worker-side step in one process (ms):")
            for k, v in per.items():
                print(f"  {k:<46} {(v if 'KiB' in k else 1000 * v):>7.2f}")
            result["profile"] = {
                "wall_s": round(prof["wall_s"], 3), "cpu_s": round(prof["cpu_s"], 3),
                "model_alone_right_after_s": round(prof["model_alone_s"], 3),
                "model_alone_right_after_cpu_s": round(prof["model_alone_cpu_s"], 3),
                "cpu_by_thread_s": {k: round(v, 3) for k, v in prof["cpu_by_thread_s"].items()},
                "phases_s": {k.strip(): round(v, 3) for k, v in prof["seconds"].items()},
                "phases_rss_growth_mib": {k.strip(): round(v, 1) for k, v in prof["rss_growth_mib"].items() if v},
                "prepare_ms_per_img": {k: round(v if "KiB" in k else 1000 * v, 3) for k, v in per.items()},
            }

        if args.cprofile:
            import cProfile
            import io
            import pstats

            cp = cProfile.Profile()
            cp.enable()
            run_pipeline(assets, args.n, args.workers, work, "cprofile")
            cp.disable()
            buf = io.StringIO()
            pstats.Stats(cp, stream=buf).sort_stats("tottime").print_stats(25)
            print("\ncProfile of one pipeline round, main process, by own time:")
            print("\n".join(buf.getvalue().splitlines()[:60]))

        print(json.dumps(result, sort_keys=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
