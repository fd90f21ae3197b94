"""The staged migration end to end between two real offline spaces (EfficientNet-Lite0 with
bilinear vs bicubic resampling), and `reindex --space` reproducing real-model vectors bit for bit."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from mediaground.library import Library

pytestmark = pytest.mark.slow
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def real_lib(tmp_path_factory):
    root = tmp_path_factory.mktemp("migrate-real")
    media = root / "media"
    shutil.copytree(DATA, media, ignore=shutil.ignore_patterns("README.md"))
    lib = Library.create(root / "lib")
    lib.ingest([media], workers=0)
    yield lib
    lib.close()


def _vectors(lib, space_id):
    ids, _, vecs = lib.index.vectors(space_id)
    return dict(zip(ids, vecs))


def test_reindex_space_reproduces_real_vectors_bit_for_bit(real_lib, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    real_lib.catalog.backup(copy / "catalog.sqlite")
    shutil.copytree(real_lib.root / "store", copy / "store")
    fresh = Library.open(copy)
    try:
        for role in ("text", "image", "audio"):
            space = real_lib.spaces.resolve(role)
            assert fresh.reindex(space=role)["failed"] == 0
            original, rebuilt = _vectors(real_lib, space), _vectors(fresh, space)
            assert original.keys() == rebuilt.keys() and original, role
            differ = [c for c, v in original.items() if not np.array_equal(v, rebuilt[c])]
            assert differ == [], f"{role}: {len(differ)} of {len(original)} vectors differ"
    finally:
        fresh.close()


def test_migration_to_bicubic_preprocessing_end_to_end(real_lib):
    before = [r.asset_id for r in real_lib.search("a cat", limit=3)]
    report = real_lib.migrate("efficientnet-lite0?resample=bicubic")
    assert report["role"] == "image" and report["coverage"]["missing"] == 0 and not report["failures"]
    assert report["agreement"]["mean_cosine"] > 0.9  # same model, slightly different pixels
    assert report["agreement"]["min_cosine"] < 1.0
    assert report["overlap"]["queries"] >= 4
    assert [r.asset_id for r in real_lib.search("a cat", limit=3)] == before
    real_lib.activate(report["space"])
    assert real_lib.spaces.image_model.preprocessor.resample == "bicubic"
    cat = next(r for r in real_lib.search("a cat", limit=3))
    assert cat.path.endswith("cat.jpg")
    real_lib.rollback("image")
    assert real_lib.spaces.image_model.preprocessor.resample == "bilinear"
    assert [r.asset_id for r in real_lib.search("a cat", limit=3)] == before
