"""Throughput of the HTTP API against the same queries run in-process.

Builds a library (real models on ../shared/samples/photos if present, else tests/data; --fake for
the fake models), serves it with uvicorn on 127.0.0.1 (a free port, in a child process so the
clients do not share its GIL), runs N client threads (httpx) issuing GET /api/search with a
rotating query set for a bounded time, then runs the same queries in-process through
Library.search for the same time (one thread). Prints requests/s, p50/p99 latency and errors
for both, ratio = served ÷ in-process throughput, and a final JSON line. Loopback only; stops
by itself.

    .venv/bin/python benchmarks/serve.py [--clients 32] [--duration 10] [--fake] [--library DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
QUERIES = ["a cat", "coffee cup", "rocket launch", "butterfly on a flower", "dog", "beach at sunset",
           "person portrait", "red car", "food on a plate", "mountain landscape", "city at night", "bird",
           "green", "flower", "computer", "boat on water"]

SERVER = """
import sys, uvicorn
from mediaground.api.http import create_app
uvicorn.run(create_app(sys.argv[1]), host="127.0.0.1", port=int(sys.argv[2]), log_level="warning",
            access_log=False)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install_fakes(root: Path) -> None:
    """The fake models are a test plugin, not shipped: this adds tests/ to sys.path to import
    tests/fakes.py, which installs them (a .dist-info in `root`, on sys.path and $PYTHONPATH) for
    this process and the server it starts, the way tests/conftest.py does."""
    sys.path.insert(0, str(REPO / "tests"))
    import fakes

    fakes.install_plugin(root)


def build_library(root: Path, media: Path, fake: bool) -> Path:
    from mediaground.library import Library

    opts = {"text_model": "fake-text", "image_model": "fake-image", "audio_model": "fake-audio"} if fake else {}
    t0 = time.perf_counter()
    with Library.create(root, **opts) as lib:
        report = lib.ingest([media], workers=0)
    print(f"built library: {report.added} assets from {media} in {time.perf_counter() - t0:.1f}s "
          f"({'fake' if fake else 'real'} models)", file=sys.stderr)
    return root


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summarize(latencies: list[float], errors: int, elapsed: float) -> dict:
    return {"requests": len(latencies), "errors": errors, "rps": round(len(latencies) / elapsed, 1),
            "p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 2)}


def run_served(base: str, clients: int, duration: float, limit: int) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(i: int) -> None:
        mine, bad = [], 0
        with httpx.Client(base_url=base, timeout=30) as http:
            start.wait()
            n = i
            while time.perf_counter() < deadline[0]:
                q = QUERIES[n % len(QUERIES)]
                n += 1
                t0 = time.perf_counter()
                try:
                    r = http.get("/api/search", params={"q": q, "limit": limit})
                    ok = r.status_code == 200 and "results" in r.json()
                except httpx.HTTPError:
                    ok = False
                if ok:
                    mine.append(time.perf_counter() - t0)
                else:
                    bad += 1
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    t0 = time.perf_counter()
    deadline[0] = t0 + duration
    start.wait()
    for t in threads:
        t.join(duration + 60)
    return summarize(latencies, errors[0], time.perf_counter() - t0)


def run_in_process(library: Path, duration: float, limit: int) -> dict:
    from mediaground.library import Library

    latencies, errors = [], 0
    with Library.open(library) as lib:
        lib.search(QUERIES[0], limit=limit)  # warm: models loaded, as in the served run
        t0 = time.perf_counter()
        n = 0
        while time.perf_counter() < t0 + duration:
            q = QUERIES[n % len(QUERIES)]
            n += 1
            s = time.perf_counter()
            try:
                [r.to_dict() for r in lib.search(q, limit=limit)]
                latencies.append(time.perf_counter() - s)
            except Exception:
                errors += 1
        return summarize(latencies, errors, time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds per phase")
    ap.add_argument("--limit", type=int, default=10)
    ap.add_argument("--fake", action="store_true", help="the fake models of tests/fakes.py (no weights needed)")
    ap.add_argument("--library", type=Path, help="an existing library (else one is built in a temp dir)")
    ap.add_argument("--media", type=Path, help="media to index (default ../shared/samples/photos or tests/data)")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="mediaground-serve-bench-") as tmp:
        if args.fake:
            install_fakes(Path(tmp) / "fakes")
        if args.library:
            library = args.library
        else:
            media = args.media or next(p for p in [REPO.parent / "shared" / "samples" / "photos", REPO / "tests" / "data"]
                                       if p.is_dir())
            library = build_library(Path(tmp) / "lib", media, args.fake)

        port = free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen([sys.executable, "-c", SERVER, str(library), str(port)],
                                  env={**os.environ, "PYTHONUNBUFFERED": "1"})
        try:
            up_by = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if server.poll() is not None or time.monotonic() > up_by:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            for q in QUERIES[:4]:  # warm: models loaded in the server process
                httpx.get(base + "/api/search", params={"q": q, "limit": args.limit}, timeout=120).raise_for_status()
            served = run_served(base, args.clients, args.duration, args.limit)
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        local = run_in_process(library, args.duration, args.limit)

    ratio = round(served["rps"] / local["rps"], 3) if local["rps"] else None
    print(f"served     ({args.clients} clients, {args.duration:g}s): {served['rps']:8.1f} req/s  "
          f"p50 {served['p50_ms']:.1f} ms  p99 {served['p99_ms']:.1f} ms  errors {served['errors']}")
    print(f"in-process (1 thread, {args.duration:g}s):    {local['rps']:8.1f} req/s  "
          f"p50 {local['p50_ms']:.1f} ms  p99 {local['p99_ms']:.1f} ms  errors {local['errors']}")
    print(f"ratio served/in-process: {ratio}")
    print(json.dumps({"benchmark": "serve", "clients": args.clients, "duration_s": args.duration,
                      "models": "fake" if args.fake else "real", "served": served, "in_process": local,
                      "ratio": ratio}))


if __name__ == "__main__":
    main()
