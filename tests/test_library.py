"""Library-level guarantees: crash safety, pinned spaces, schema versions, rebuild, search paths."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from conftest import make_image, set_caption
from mediaground.errors import LibraryNotFoundError, ModelError
from mediaground.library import Library

COLOURS = ["red", "green", "blue", "yellow", "white", "black", "orange", "purple"]


def _consistency(lib: Library) -> None:
    """The invariants a crash must never break."""
    cat = lib.catalog
    for space in lib.spaces.in_use():
        in_catalog = cat.vectors.chunk_ids(space.id)
        assert lib.index.chunk_ids(space.id) == in_catalog
        assert lib.index.count(space.id) == len(in_catalog)  # no duplicate rows
    image_assets = set(cat.assets.ids(["image"]))
    with_vectors = {c.split(":")[0] for c in cat.vectors.chunk_ids(lib.spaces.image_space.id) if c.endswith(":image")}
    assert image_assets == with_vectors
    assert lib.store.all_shas() == cat.versions.shas()
    assert all(cat.files.of_asset(a) for a in cat.assets.ids())
    assert cat.check() == "ok"


def test_kill_9_mid_ingest_then_resume_gives_a_consistent_library(tmp_path):
    media = tmp_path / "media"
    for i in range(40):
        make_image(media / f"img{i:02}.jpg", COLOURS[i % len(COLOURS)], seed=i)
    lib_dir = tmp_path / "lib"
    Library.create(lib_dir, text_model="fake-text", image_model="fake-image", audio_model="fake-audio").close()
    env = {**os.environ, "MEDIAGROUND_FAKE_DELAY": "0.15"}
    code = ("import sys; from mediaground.library import Library;"
            "lib = Library.open(sys.argv[1]); lib.ingest([sys.argv[2]], workers=0)")
    proc = subprocess.Popen([sys.executable, "-c", code, str(lib_dir), str(media)], env=env)
    deadline = time.time() + 60
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        try:
            con = sqlite3.connect(lib_dir / "catalog.sqlite", timeout=1)
            committed = con.execute("SELECT COUNT(*) FROM assets").fetchone()[0]
            con.close()
        except sqlite3.OperationalError:
            committed = 0
        if committed >= 8:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "ingest finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert 8 <= committed < 40

    with Library.open(lib_dir) as lib:
        report = lib.ingest([media], workers=0)
        assert report.added + report.unchanged == 40 and report.updated == 0 and not report.quarantined
        assert lib.catalog.assets.count() == 40
        assert sum(len(lib.catalog.files.of_asset(a)) for a in lib.catalog.assets.ids()) == 40
        _consistency(lib)


def _leave_orphans(lib: Library) -> Path:
    """What a batch killed between its store/vector writes and its catalog commit leaves behind."""
    from mediaground.index.base import VectorRow
    from mediaground.maintenance import IN_FLIGHT

    with lib.catalog.transaction():
        lib.catalog.settings.set(IN_FLIGHT, "1")  # the batch had marked its writes in flight
    space = lib.spaces.image_space
    lib.index.upsert(space.id, space.dim, [VectorRow("ghost:image", "ghost", "image", "image",
                                                     np.ones(space.dim, np.float32), "numpy")])
    stray = lib.store.objects / "ab" / ("ab" + "0" * 62)
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"half")
    (stray.parent / ".incoming.xyz").write_bytes(b"partial")
    return stray


def test_orphans_from_a_crash_are_reconciled(fake_lib, media_dir):
    from mediaground.maintenance import IN_FLIGHT

    fake_lib.ingest([media_dir], workers=0)
    _leave_orphans(fake_lib)
    removed = fake_lib.reconcile()
    assert removed == {"vectors": 1, "objects": 1, "temp_files": 1}
    assert fake_lib.catalog.settings.get(IN_FLIGHT) == "0"  # nothing left in flight
    _consistency(fake_lib)


def _count_reconciles(monkeypatch) -> list[int]:
    """Each full reconcile from here on appends to the list (whichever way it is reached)."""
    from mediaground import maintenance

    calls: list[int] = []
    real, real_method = maintenance.reconcile, Library.reconcile
    monkeypatch.setattr(maintenance, "reconcile", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(Library, "reconcile", lambda self: calls.append(1) or real_method(self))
    return calls


def test_an_interrupted_batch_is_cleaned_by_the_next_ingest(fake_lib, media_dir):
    from mediaground.maintenance import IN_FLIGHT

    fake_lib.ingest([media_dir], workers=0)
    stray = _leave_orphans(fake_lib)
    fake_lib.ingest([media_dir], workers=0)
    assert "ghost:image" not in fake_lib.index.chunk_ids(fake_lib.spaces.image_space.id)
    assert not stray.exists() and not (stray.parent / ".incoming.xyz").exists()
    assert fake_lib.catalog.settings.get(IN_FLIGHT) == "0"
    _consistency(fake_lib)


def test_work_that_raises_leaves_the_marker_for_the_next_run(fake_lib, media_dir, monkeypatch):
    from mediaground import maintenance
    from mediaground.ingest.run import Ingestor

    def fail(*args, **kwargs):
        raise RuntimeError("interrupted")

    monkeypatch.setattr(Ingestor, "run", fail)
    with pytest.raises(RuntimeError):
        fake_lib.ingest([media_dir], workers=0)
    assert fake_lib.catalog.settings.get(maintenance.IN_FLIGHT) == "1"
    monkeypatch.undo()
    calls = _count_reconciles(monkeypatch)
    fake_lib.ingest([media_dir], workers=0)
    assert calls == [1] and fake_lib.catalog.settings.get(maintenance.IN_FLIGHT) == "0"


def test_an_ingest_after_one_that_finished_does_not_reconcile(fake_lib, media_dir, monkeypatch):
    calls = _count_reconciles(monkeypatch)
    fake_lib.ingest([media_dir], workers=0)
    make_image(media_dir / "orange.jpg", "orange", seed=40)
    assert fake_lib.ingest([media_dir], workers=0).added == 1
    assert fake_lib.edit_metadata(str(media_dir / "red.jpg"), {"title": "Red"})["changes"]  # re-ingests it
    fake_lib.reindex()
    assert calls == []


def test_a_library_from_before_the_marker_is_reconciled_once(fake_lib, media_dir, monkeypatch):
    from mediaground import maintenance

    fake_lib.ingest([media_dir], workers=0)
    with fake_lib.catalog.transaction():
        fake_lib.catalog.settings.delete(maintenance.IN_FLIGHT)
    calls = _count_reconciles(monkeypatch)
    fake_lib.ingest([media_dir], workers=0)
    fake_lib.ingest([media_dir], workers=0)
    assert calls == [1]


def test_spaces_are_pinned_and_a_changed_model_is_refused(fake_lib, media_dir, monkeypatch):
    fake_lib.ingest([media_dir], workers=0)
    spaces = {s["role"]: s for s in fake_lib.stats()["spaces"]}
    assert spaces["image"]["model_id"] == "fake-image" and spaces["image"]["dim"] == 48
    assert len(spaces["image"]["weights_sha256"]) == 64 and spaces["image"]["preprocessor_hash"]
    assert spaces["image"]["vectors"] == 6 and spaces["text"]["vectors"] == 6
    root = fake_lib.root
    fake_lib.close()
    from fakes import FakeImage

    monkeypatch.setattr(FakeImage, "weights_sha256", lambda self: "0" * 64)
    with Library.open(root) as lib:
        with pytest.raises(ModelError, match="no longer matches the pinned space"):
            lib.search("red")


def test_missing_library_is_a_clear_error(tmp_path):
    with pytest.raises(LibraryNotFoundError):
        Library.open(tmp_path / "nowhere")


def test_reindex_rebuilds_lost_vectors(fake_lib, media_dir):
    fake_lib.ingest([media_dir], workers=0)
    set_caption(media_dir / "red.jpg", "sunset over the harbour")
    fake_lib.ingest([media_dir], workers=0)
    before = fake_lib.search("harbour", limit=2)[0].asset_id
    root = fake_lib.root
    fake_lib.close()
    import shutil

    shutil.rmtree(root / "vectors")  # the derived index is gone
    with Library.open(root) as lib:
        counts = lib.reindex()
        assert counts == {"assets": 6, "vectors": 13, "failed": 0}
        assert lib.search("harbour", limit=2)[0].asset_id == before
        red = lib.search(image=media_dir / "red.jpg", limit=1)[0]
        assert red.asset_id == lib.resolve(str(media_dir / "red.jpg")) and red.why == ["vector:image"]
        _consistency(lib)


def test_search_paths_filters_and_why(fake_lib, media_dir):
    set_caption(media_dir / "green.jpg", "Team photo at the harbour", ["harbour", "team"])
    fake_lib.ingest([media_dir], workers=0)
    green = fake_lib.resolve(str(media_dir / "green.jpg"))
    # the label bridge: the fake image model labels by dominant colour
    top = fake_lib.search("purple", limit=3)
    assert top[0].path.endswith("purple.png")
    assert "label:purple" in top[0].why
    # full text + vector text on the caption and keywords
    hit = fake_lib.search("harbour", limit=3)[0]
    assert hit.asset_id == green
    assert {"text:caption", "text:keywords", "vector:text"} <= set(hit.why)
    # more like this, by asset ID: never returns the asset itself
    similar = fake_lib.search(asset=green, limit=5)
    assert green not in [r.asset_id for r in similar] and len(similar) == 5
    # kind filter
    assert fake_lib.search("purple", kind="audio") == []
    # date filter (none of the generated images has a date)
    assert fake_lib.search("purple", date_from="2000-01-01") == []


def test_a_second_writer_is_refused(fake_lib, media_dir):
    from mediaground.errors import MediagroundError

    with fake_lib.writing():
        with Library.open(fake_lib.root) as other:
            with pytest.raises(MediagroundError, match="another mediaground process is writing"):
                other.ingest([media_dir], workers=0)
    assert fake_lib.ingest([media_dir], workers=0).added == 6


def test_ctrl_c_stops_cleanly_and_the_next_run_resumes(tmp_path):
    media = tmp_path / "media"
    for i in range(24):
        make_image(media / f"img{i:02}.png", COLOURS[i % len(COLOURS)], seed=100 + i)
    lib_dir = tmp_path / "lib"
    Library.create(lib_dir, text_model="fake-text", image_model="fake-image", audio_model="fake-audio").close()
    exe = Path(sys.executable).with_name("mediaground")
    env = {**os.environ, "MEDIAGROUND_FAKE_DELAY": "0.15"}
    proc = subprocess.Popen([str(exe), "index", str(media), "--library", str(lib_dir), "--workers", "0"],
                            env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline:
        con = sqlite3.connect(lib_dir / "catalog.sqlite", timeout=1)
        n = con.execute("SELECT COUNT(*) FROM assets").fetchone()[0]
        con.close()
        if n >= 4:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130 and "run the same command again to resume" in err
    assert "Traceback" not in err
    with Library.open(lib_dir) as lib:
        report = lib.ingest([media], workers=0)
        assert report.added + report.unchanged == 24 and lib.catalog.assets.count() == 24
        _consistency(lib)
