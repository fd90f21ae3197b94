"""The ingest pipeline with the fake models: IDs, renames, edits, quarantine, no-op re-index."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import make_image, set_caption


def test_ingest_adds_every_image_and_records_provenance(fake_lib, media_dir, fake_models):
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.to_dict() == {"added": 6, "updated": 0, "unchanged": 0, "renamed": 0, "quarantined": [], "skipped": [], "missing": 0}
    assert fake_lib.catalog.assets.count() == 6
    rec = fake_lib.show(str(media_dir / "red.jpg"))
    assert rec["kind"] == "image" and rec["format"] == "jpeg" and rec["id_basis"] == "essence"
    assert rec["paths"] == [str((media_dir / "red.jpg").resolve())]
    assert (rec["width"], rec["height"]) == (64, 48)
    assert rec["provenance"][0]["event"] == "added"
    assert {v["part"] for v in rec["vectors"]} == {"image", "labels"}
    assert all(v["runtime"] == "numpy" for v in rec["vectors"])
    assert rec["labels"][0]["label"] == "red"
    # the original is in the content store, byte-identical
    stored = fake_lib.root / rec["versions"][0]["store_path"]
    assert stored.read_bytes() == (media_dir / "red.jpg").read_bytes()
    # batching: 6 images at fake batch size 4 → 2 model calls
    assert fake_models[1].calls == 2


def test_reindex_of_unchanged_folder_is_a_no_op(fake_lib, media_dir, fake_models):
    fake_lib.ingest([media_dir], workers=0)
    text, image = fake_models
    before = (text.calls, image.calls, fake_lib.catalog.vectors.counts())
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.to_dict() == {"added": 0, "updated": 0, "unchanged": 6, "renamed": 0, "quarantined": [], "skipped": [], "missing": 0}
    assert (text.calls, image.calls, fake_lib.catalog.vectors.counts()) == before


def test_rename_keeps_id_and_records_the_old_path(fake_lib, media_dir, fake_models):
    fake_lib.ingest([media_dir], workers=0)
    old_id = fake_lib.resolve(str(media_dir / "green.jpg"))
    calls = fake_models[1].calls
    new = media_dir / "renamed" / "field.jpg"
    new.parent.mkdir()
    (media_dir / "green.jpg").rename(new)
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.renamed == 1 and report.added == 0 and report.unchanged == 5
    assert fake_lib.resolve(str(new)) == old_id
    rec = fake_lib.show(old_id)
    assert rec["paths"] == rec["current_paths"] == [str(new.resolve())]  # the file's record followed it
    (renamed,) = [e for e in rec["provenance"] if e["event"] == "renamed"]
    assert renamed["from"] == str((media_dir / "green.jpg").resolve()) and renamed["to"] == str(new.resolve())
    assert renamed["file_id"] == rec["file_id"] == fake_lib.show(str(new))["file_id"]
    assert fake_models[1].calls == calls  # a rename re-embeds nothing
    assert fake_lib.search("field", limit=1)[0].path == str(new.resolve())  # its full text names the new file


def test_metadata_edit_keeps_id_updates_record_and_text(fake_lib, media_dir, fake_models):
    fake_lib.ingest([media_dir], workers=0)
    path = media_dir / "blue.jpg"
    asset = fake_lib.resolve(str(path))
    image_calls = fake_models[1].calls
    set_caption(path, "Ana Núñez walking her dog on the beach", ["beach", "dog"])
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.updated == 1 and report.added == 0
    assert fake_lib.resolve(str(path)) == asset
    rec = fake_lib.show(asset)
    assert rec["metadata"]["caption"] == "Ana Núñez walking her dog on the beach"
    assert len(rec["versions"]) == 2  # both file versions kept in the store
    assert {v["part"] for v in rec["vectors"]} == {"image", "labels", "text"}
    assert fake_models[1].calls == image_calls  # same pixels: no image re-embed
    hits = fake_lib.search("beach dog", limit=3)
    assert hits[0].asset_id == asset
    assert "text:caption" in hits[0].why and "vector:text" in hits[0].why
    # accents fold in full text: "nunez" finds "Núñez"
    assert fake_lib.search("nunez", limit=1)[0].asset_id == asset


def test_pixel_edit_changes_id(fake_lib, media_dir):
    fake_lib.ingest([media_dir], workers=0)
    path = media_dir / "more" / "white.png"
    old = fake_lib.resolve(str(path))
    im = Image.open(path)
    im.putpixel((0, 0), (0, 0, 0))
    im.save(path)
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.added == 1
    new = fake_lib.resolve(str(path))
    assert new != old
    assert fake_lib.show(old)["current_paths"] == []  # the old asset keeps its history, no current path


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb by declaration."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 16)) + chunk(b"IEND", b"")


def test_bad_files_are_quarantined_and_the_batch_goes_on(fake_lib, media_dir, tmp_path):
    bad = media_dir / "bad"
    bad.mkdir()
    full = (media_dir / "red.jpg").read_bytes()
    (bad / "truncated.jpg").write_bytes(full[: len(full) // 2])
    (bad / "empty.jpg").write_bytes(b"")
    (bad / "notes.jpg").write_text("this is not a picture\n")
    (bad / "bomb.png").write_bytes(_png_claiming(30000, 30000))
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.added == 6
    reasons = {Path(q["path"]).name: q["reason"] for q in report.quarantined}
    assert reasons == {"truncated.jpg": "truncated", "empty.jpg": "zero-byte", "notes.jpg": "not-media",
                       "bomb.png": "decompression-bomb"}
    assert fake_lib.catalog.quarantine.count() == 4
    # unchanged bad files are reported again without re-reading; a fixed file leaves quarantine
    again = fake_lib.ingest([media_dir], workers=0)
    assert len(again.quarantined) == 4 and again.added == 0
    make_image(bad / "truncated.jpg", "orange", seed=99)
    fixed = fake_lib.ingest([media_dir], workers=0)
    assert fixed.added == 1 and len(fixed.quarantined) == 3


def test_a_file_named_as_any_format_sniff_reads_is_quarantined_not_skipped(fake_lib, tmp_path):
    """Text is "not-media": skipped under a name of its own, quarantined (mislabelled or broken)
    under the name of a format we read, Windows Media and the rarer audio formats included."""
    from mediaground.media.sniff import FORMATS

    bad = tmp_path / "bad"
    bad.mkdir()
    names = {f"broken.{fmt}" for fmt in FORMATS} | {"broken.jpg", "broken.tif", "broken.opus"}
    assert {"broken.wma", "broken.wmv", "broken.wv", "broken.mpc", "broken.dsf"} <= names
    for name in names | {"notes.txt"}:
        (bad / name).write_text("this is not media\n")
    report = fake_lib.ingest([bad], workers=0)
    assert {Path(s["path"]).name: s["reason"] for s in report.skipped} == {"notes.txt": "not-media"}
    assert {Path(q["path"]).name: q["reason"] for q in report.quarantined} == dict.fromkeys(names, "not-media")


def test_worker_processes_give_the_same_library(tmp_path, media_dir):
    from mediaground.library import Library

    with Library.create(tmp_path / "a", text_model="fake-text", image_model="fake-image", audio_model="fake-audio") as a, \
         Library.create(tmp_path / "b", text_model="fake-text", image_model="fake-image", audio_model="fake-audio") as b:
        ra = a.ingest([media_dir], workers=0)
        rb = b.ingest([media_dir], workers=2)
        assert ra.to_dict() == rb.to_dict()
        ids = lambda lib: lib.catalog.assets.ids()
        assert ids(a) == ids(b)
        for asset in ids(a):
            va = a.index.get(a.spaces.image_space.id, f"{asset}:image")
            vb = b.index.get(b.spaces.image_space.id, f"{asset}:image")
            assert np.array_equal(va, vb)  # deterministic preprocessing across processes


def test_copy_of_a_file_is_one_asset_with_two_paths(fake_lib, media_dir):
    shutil.copy(media_dir / "red.jpg", media_dir / "red-copy.jpg")
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.added == 6 and report.unchanged == 1
    rec = fake_lib.show(str(media_dir / "red-copy.jpg"))
    assert len(rec["current_paths"]) == 2


def test_a_file_that_changes_while_it_is_stored_is_quarantined(fake_lib, media_dir, monkeypatch):
    real_put = fake_lib.store.put

    def flaky_put(src, sha):
        if str(src).endswith("blue.jpg"):
            raise OSError(f"{src} changed while it was being stored")
        return real_put(src, sha)

    monkeypatch.setattr(fake_lib.store, "put", flaky_put)
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.added == 5
    assert [(Path(q["path"]).name, q["reason"]) for q in report.quarantined] == [("blue.jpg", "changed-during-ingest")]
    monkeypatch.setattr(fake_lib.store, "put", real_put)
    assert fake_lib.ingest([media_dir], workers=0).added == 1  # the next run picks it up


def test_a_file_that_crashes_the_decoder_is_quarantined(tmp_path, media_dir, monkeypatch):
    """A worker process dying mid-file (as a decoder crashing on hostile input would) costs only
    that file: the others in flight are retried alone and indexed."""
    from mediaground.library import Library
    from mediaground.ingest.extract import CRASH_ENV

    monkeypatch.setenv(CRASH_ENV, "green.jpg")
    with Library.create(tmp_path / "lib", text_model="fake-text", image_model="fake-image", audio_model="fake-audio") as lib:
        report = lib.ingest([media_dir], workers=2)
        assert report.added == 5
        assert [(Path(q["path"]).name, q["reason"]) for q in report.quarantined] == [("green.jpg", "crashed-decoder")]
        assert lib.catalog.assets.count() == 5


def test_a_script_without_a_main_guard_gets_an_error_not_a_quarantine(tmp_path, media_dir):
    """Under `spawn`, workers re-import the caller's script; one that ingests at import time kills
    every worker before it starts. That is the caller's mistake to report, not six decoder crashes."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "from mediaground.library import Library\n"
        "from mediaground.errors import MediagroundError\n"
        f"lib = Library.create({str(tmp_path / 'lib')!r}, text_model='fake-text', image_model='fake-image', audio_model='fake-audio')\n"
        "try:\n"
        f"    report = lib.ingest([{str(media_dir)!r}], workers=2)\n"
        "    print('REPORT', report.to_dict())\n"
        "except MediagroundError as exc:\n"
        "    print('ERROR', exc)\n"
        "    print('ASSETS', lib.catalog.assets.count())\n"
    )
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    main_lines = [line for line in out.stdout.splitlines() if line.startswith(("REPORT", "ERROR", "ASSETS"))]
    assert main_lines and main_lines[0].startswith("ERROR worker processes could not start"), out.stdout + out.stderr
    assert "ASSETS 0" in main_lines


def test_deleted_files_stop_being_current_but_nothing_is_lost(fake_lib, media_dir):
    fake_lib.ingest([media_dir], workers=0)
    asset = fake_lib.resolve(str(media_dir / "blue.jpg"))
    (media_dir / "blue.jpg").unlink()
    report = fake_lib.ingest([media_dir], workers=0)
    assert report.missing == 1 and report.unchanged == 5
    rec = fake_lib.show(asset)
    assert rec["current_paths"] == [] and rec["paths"] == [str((media_dir / "blue.jpg").resolve())]
    assert (fake_lib.root / rec["versions"][0]["store_path"]).exists()  # the original is kept
    assert rec["provenance"][-1]["event"] == "missing"
    assert fake_lib.search(asset=fake_lib.resolve(str(media_dir / "red.jpg")), limit=10)  # search still works
