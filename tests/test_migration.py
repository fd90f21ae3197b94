"""Staged migration between spaces: shadow, drift report, activate, rollback, retire, resume, added
spaces searched and fused, and `reindex --space` reproducing the same vectors from a fresh copy."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3

import numpy as np
import pytest
from click.testing import CliRunner

from conftest import COLOURS, make_image, set_caption
from mediaground.cli import main
from mediaground.errors import MediagroundError
from mediaground.library import Library
from mediaground.models.registry import get_model
from mediaground.spaces.drift import drift_report

GRID2 = "fake-image?grid=2"


@pytest.fixture
def lib(tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    for i, colour in enumerate(COLOURS):
        p = make_image(media / f"{colour}_{i}.jpg", colour, seed=i)
        set_caption(p, f"a {colour} square", keywords=[colour, "square"])
        make_image(media / f"{colour}_b{i}.png", colour, seed=100 + i, size=(40, 60))
    library = Library.create(tmp_path / "lib", text_model="fake-text", image_model="fake-image",
                             audio_model="fake-audio")
    library.ingest([media], workers=0)
    yield library
    library.close()


def _image_results(lib, path):
    return [(r.asset_id, round(r.score, 6)) for r in lib.search(image=path, limit=5)]


def _all_vectors(lib, space_id):
    ids, _, vecs = lib.index.vectors(space_id)
    return {c: v for c, v in zip(ids, vecs)}


def test_migrate_builds_a_shadow_the_active_space_keeps_serving(lib, tmp_path):
    query = next((tmp_path / "media").glob("red_0.jpg"))
    before = _image_results(lib, query)
    old = lib.spaces.image_space
    report = lib.migrate(GRID2)
    new_id = report["space"]
    assert new_id != old.id and report["replaces"] == old.id and report["role"] == "image"
    assert lib.catalog.spaces.get(new_id).status == "shadow" and lib.catalog.spaces.get(old.id).status == "active"
    # the dimension changed (48 → 12): a separate table, nothing of the old space touched
    assert report["norms"]["new"]["dim"] == 12 and report["norms"]["old"]["dim"] == 48
    assert report["norms"]["new"]["vectors"] == 16 and abs(report["norms"]["new"]["mean"] - 1) < 1e-5
    assert report["coverage"] == {"assets": 16, "done": 16, "missing": 0}
    assert report["failures"] == [] and report["agreement"] is None  # dims differ: not comparable
    assert report["query_mode"] == "example" and report["overlap"]["queries"] == 16
    assert 0 <= report["overlap"]["mean"] <= 1
    assert json.loads((lib.root / "migrations" / f"{new_id}.json").read_text())["space"] == new_id
    assert _image_results(lib, query) == before  # search still uses the active space only


def test_activate_rollback_retire(lib, tmp_path):
    query = next((tmp_path / "media").glob("red_0.jpg"))
    before = _image_results(lib, query)
    old_id = lib.spaces.image_space.id
    new_id = lib.migrate(GRID2)["space"]
    result = lib.activate("image")  # a role with one shadow
    assert result == {"role": "image", "active": new_id, "was_active": old_id, "demoted_to": "previous"}
    assert lib.spaces.image_space.id == new_id and lib.spaces.image_model.dim == 12
    reopened = Library.open(lib.root)
    assert reopened.spaces.image_space.id == new_id  # the switch is in the catalog, not in memory
    after = _image_results(reopened, query)
    assert after[0][0] == before[0][0]  # the red image is still its own best match
    reopened.close()
    assert lib.index.count(old_id) == 16  # previous: vectors kept for rollback

    back = lib.rollback("image")
    assert back["active"] == old_id and back["demoted_to"] == "shadow"
    assert _image_results(lib, query) == before  # bit-for-bit the old behaviour
    lib.activate(new_id)
    with pytest.raises(MediagroundError, match="is active"):
        lib.retire(new_id)
    assert lib.retire() == [old_id]
    assert lib.index.count(old_id) == 0 and lib.catalog.spaces.get(old_id).status == "retired"
    assert lib.catalog.vectors.count(old_id) == 0
    with pytest.raises(MediagroundError, match="no previous space"):
        lib.rollback("image")
    statuses = {r["id"]: r["status"] for r in lib.spaces_report()}
    assert statuses[old_id] == "retired" and statuses[new_id] == "active"


def test_interrupted_migration_resumes_and_active_space_serves_meanwhile(lib, tmp_path, monkeypatch):
    query = next((tmp_path / "media").glob("blue_2.jpg"))
    before = _image_results(lib, query)
    model = get_model(GRID2)
    real_run, calls = model.run, {"n": 0}

    def flaky(pixels):
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the third batch
        return real_run(pixels)

    monkeypatch.setattr(model, "run", flaky)
    with pytest.raises(KeyboardInterrupt):
        lib.migrate(GRID2)
    shadow = lib.catalog.spaces.with_status("shadow")[0].space_id
    assert lib.catalog.fills.count_pending(shadow, ["image"]) == 8  # two batches of 4 recorded, the third never
    #                                                                 half-written
    assert lib.index.count(shadow) == 8
    assert _image_results(lib, query) == before
    with pytest.raises(MediagroundError, match="lacks 8 assets"):
        lib.activate(shadow)

    monkeypatch.setattr(model, "run", real_run)
    seen_before = model.images_seen
    report = lib.migrate(GRID2)
    assert report["space"] == shadow and report["filled"]["assets"] == 8  # only what was missing
    assert model.images_seen - seen_before == 8
    assert report["coverage"]["missing"] == 0 and lib.index.count(shadow) == 16
    # the resumed space equals one built in a single run
    resumed = _all_vectors(lib, shadow)
    lib.reindex(space=shadow)
    assert resumed.keys() == _all_vectors(lib, shadow).keys()
    for chunk, vec in _all_vectors(lib, shadow).items():
        assert np.array_equal(vec, resumed[chunk])


def test_added_space_is_searched_and_fused_and_follows_ingest(lib, tmp_path):
    report = lib.migrate("fake-joint")
    assert report["role"] == "fake-joint" and report["replaces"] is None and report["overlap"] is None
    assert report["coverage"]["done"] == 16
    lib.activate(report["space"])
    active = [r for r in lib.spaces_report() if r["status"] == "active"]
    assert {r["role"] for r in active} == {"text", "image", "fake-joint"}
    results = lib.search("purple", limit=3)
    assert results[0].path.split("/")[-1].startswith("purple")
    assert any("vector:fake-joint" in r.why for r in results)
    # text query through the added space alone: images without any text still found
    png = [r for r in lib.search("something purple", limit=5) if r.path.endswith(".png")]
    assert png and png[0].path.split("/")[-1].startswith("purple")
    assert "vector:fake-joint" in png[0].why

    new = make_image(tmp_path / "media" / "later_green.png", "green", seed=7)
    lib.ingest([new], workers=0)
    asset = lib.resolve(str(new))
    assert len(lib.catalog.vectors.of_asset(asset, report["space"])) == 1
    assert lib.catalog.fills.count_pending(report["space"], ["image"]) == 0
    assert lib.index.get(report["space"], f"{asset}:image") is not None


def test_shadow_keeps_up_with_ingest_and_updates(lib, tmp_path):
    shadow = lib.migrate(GRID2)["space"]
    new = make_image(tmp_path / "media" / "new_white.jpg", "white", seed=9)
    lib.ingest([new], workers=0)
    assert drift_report(lib.catalog, lib.index, lib.spaces, shadow)["coverage"]["missing"] == 0
    lib.activate(shadow)  # complete: no --force needed


def test_reindex_space_on_a_fresh_copy_reproduces_the_vectors(lib, tmp_path):
    copy = tmp_path / "copy"
    copy.mkdir()
    lib.catalog.backup(copy / "catalog.sqlite")  # a consistent copy while the library is open
    shutil.copytree(lib.root / "store", copy / "store")  # originals + catalog only: no vectors/
    fresh = Library.open(copy)
    for role in ("text", "image"):
        space = lib.spaces.resolve(role)
        counts = fresh.reindex(space=role)
        assert counts["failed"] == 0
        original, rebuilt = _all_vectors(lib, space), _all_vectors(fresh, space)
        assert original.keys() == rebuilt.keys() and original
        for chunk, vec in original.items():
            assert np.array_equal(vec, rebuilt[chunk]), chunk
    fresh.close()


def test_a_changed_weight_file_stops_migration_and_activation(lib, monkeypatch):
    shadow = lib.migrate(GRID2)["space"]
    model = get_model(GRID2)
    monkeypatch.setattr(type(model), "weights_sha256", lambda self: "0" * 64)
    with pytest.raises(MediagroundError, match="no longer matches"):
        lib.activate(shadow)
    assert lib.catalog.spaces.get(shadow).status == "shadow"


def test_cli_migrate_spaces_activate_rollback_retire(lib):
    runner = CliRunner()
    args = ["--library", str(lib.root)]
    out = runner.invoke(main, ["migrate", "--to", GRID2, *args])
    assert out.exit_code == 0, out.output
    assert "overlap@10" in out.output and "mediaground spaces activate" in out.output
    listed = json.loads(runner.invoke(main, ["spaces", "--json", *args]).output)
    for key in ("id", "model", "revision", "weights_sha256", "preprocessor_hash", "prompt", "dim", "vectors",
                "status", "coverage", "deprecated_on", "spec"):
        assert key in listed[0]
    shadow = next(r for r in listed if r["status"] == "shadow")
    assert shadow["spec"] == GRID2 and shadow["dim"] == 12 and shadow["coverage"] == 1.0
    out = runner.invoke(main, ["spaces", "activate", shadow["id"][:14], *args])
    assert out.exit_code == 0 and f"{shadow['id']} is active" in out.output
    doctor = runner.invoke(main, ["doctor", *args])
    assert "kept for rollback" in doctor.output
    out = runner.invoke(main, ["spaces", "rollback", "image", *args])
    assert out.exit_code == 0 and "is now shadow" in out.output
    out = runner.invoke(main, ["spaces", "retire", shadow["id"], "--json", *args])
    assert json.loads(out.output) == {"retired": [shadow["id"]]}
    out = runner.invoke(main, ["spaces", "activate", shadow["id"], *args])
    assert out.exit_code != 0 and "retired" in out.output


def test_tiny_clip_and_clap_as_added_spaces_through_the_library(lib, tmp_path):
    """Real CLIP and CLAP architectures (tiny, random, saved locally) as spaces beside the bundled
    ones: migrate fills them from the store, activation makes search query them and fuse."""
    from conftest import tone, write_wav
    from hf_tiny import make_tiny_clap, make_tiny_clip

    clip_dir = make_tiny_clip(tmp_path / "clip")
    clap_dir = make_tiny_clap(tmp_path / "clap")
    media = tmp_path / "media"
    write_wav(media / "beep.wav", tone(880, 12.0))
    write_wav(media / "hum.wav", tone(110, 6.0))
    lib.ingest([media], workers=0)

    clip = lib.migrate(f"clip?path={clip_dir}")
    assert clip["role"] == "clip" and clip["replaces"] is None
    assert clip["coverage"] == {"assets": 16, "done": 16, "missing": 0}
    clap = lib.migrate(f"clap?path={clap_dir}")
    assert clap["role"] == "clap" and clap["coverage"] == {"assets": 2, "done": 2, "missing": 0}
    spans = sorted((v.start, v.end) for a in lib.catalog.assets.ids(["audio"])
                   for v in lib.catalog.vectors.of_asset(a, clap["space"]) if v.part == "window")
    assert (0.0, 10.0) in spans and (2.0, 12.0) in spans and (0.0, 6.0) in spans  # the window contract
    for report in (clip, clap):
        lib.activate(report["space"])
    listed = {r["role"]: r for r in lib.spaces_report() if r["status"] == "active"}
    assert listed["clip"]["modality"] == "image+text" and listed["clap"]["modality"] == "audio+text"

    results = lib.search("a red square", limit=20)
    assert any("vector:clip" in r.why for r in results)
    assert any("vector:clap" in r.why for r in results)  # CLAP takes text queries too
    like = lib.search(image=next(media.glob("red_0.jpg")), limit=3)
    assert like[0].path.endswith("red_0.jpg") and "vector:clip" in like[0].why
    sounds = lib.search(audio=media / "beep.wav", kind="audio", limit=2)
    assert sounds[0].path.endswith("beep.wav") and "vector:clap" in sounds[0].why

    # a changed weight file in the pinned folder is caught before anything is searched
    weights = next(clip_dir.glob("*.safetensors"))
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    from mediaground.models import registry
    registry._instances.clear()
    with pytest.raises(MediagroundError, match="no longer matches"):
        Library.open(lib.root).search("red")


def test_a_new_library_keeps_the_model_options_it_was_created_with(tmp_path):
    media = tmp_path / "m"
    media.mkdir()
    make_image(media / "a.png", "red")
    lib = Library.create(tmp_path / "lib", text_model="fake-text", image_model=GRID2, audio_model="fake-audio")
    lib.ingest([media], workers=0)
    lib.close()
    lib = Library.open(tmp_path / "lib")
    assert lib.spaces.image_model.dim == 12 and lib.catalog.spaces.get(lib.spaces.image_space.id).spec == GRID2
    lib.close()


def test_an_image_text_model_can_replace_the_image_role(lib, tmp_path):
    """The deprecation path doctor suggests: `migrate --to NEW --role image`, then activate. The
    new image model reads text too, so text queries reach images through it; labels stay."""
    report = lib.migrate("fake-joint", role="image")
    assert report["role"] == "image" and report["replaces"] == lib.spaces.image_space.id
    assert report["agreement"] is None and report["query_mode"] == "example"
    lib.activate("image")
    results = lib.search("something purple", limit=3)
    assert results[0].path.split("/")[-1].startswith("purple")
    assert "vector:fake-joint" in results[0].why
    assert lib.show(results[0].asset_id)["labels"]  # the old space's labels are kept as words
    new = make_image(tmp_path / "media" / "later.png", "orange", seed=3)
    lib.ingest([new], workers=0)  # a model without labels in the image role: no bridge, no crash
    found = [r for r in lib.search("orange", limit=5) if r.path.endswith("later.png")]
    assert found and "vector:fake-joint" in found[0].why


def test_detached_migration_runs_in_the_background(lib):
    import time

    out = CliRunner().invoke(main, ["migrate", "--to", GRID2, "--detach", "--json", "--library", str(lib.root)])
    assert out.exit_code == 0, out.output
    info = json.loads(out.output)
    assert info["spec"] == GRID2 and info["log"].startswith(str(lib.root / "migrations"))
    deadline = time.time() + 120
    while time.time() < deadline:
        reports = list((lib.root / "migrations").glob("fake-image-*.json"))
        if reports:
            break
        time.sleep(0.2)
    assert reports, open(info["log"]).read()
    report = json.loads(reports[0].read_text())
    assert report["coverage"]["missing"] == 0 and report["spec"] == GRID2
    os.waitpid(info["pid"], 0)  # our child: reap it
    assert "overlap@10" in open(info["log"]).read()


def test_kill_9_mid_migration_keeps_the_active_space_serving_and_resumes(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    media = tmp_path / "media"
    media.mkdir()
    for i in range(40):
        make_image(media / f"img{i:02}.jpg", list(COLOURS)[i % len(COLOURS)], seed=i)
    lib = Library.create(tmp_path / "lib", text_model="fake-text", image_model="fake-image",
                         audio_model="fake-audio")
    lib.ingest([media], workers=0)
    query = media / "img03.jpg"
    before = _image_results(lib, query)
    lib.close()

    env = {**os.environ, "MEDIAGROUND_FAKE_DELAY": "0.15"}
    code = ("import sys; from mediaground.library import Library;"
            "Library.open(sys.argv[1]).migrate(sys.argv[2])")
    proc = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "lib"), GRID2], env=env)
    done, deadline = 0, time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        try:
            con = sqlite3.connect(tmp_path / "lib" / "catalog.sqlite", timeout=1)
            done = con.execute("SELECT COUNT(*) FROM space_assets").fetchone()[0]
            con.close()
        except sqlite3.OperationalError:
            done = 0
        if done >= 8:
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the migration finished before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()

    lib = Library.open(tmp_path / "lib")
    assert _image_results(lib, query) == before  # the active space serves as if nothing happened
    shadow = lib.catalog.spaces.with_status("shadow")[0].space_id
    recorded = lib.catalog.vectors.chunk_ids(shadow)
    assert 8 <= len(recorded) < 40 and recorded <= lib.index.chunk_ids(shadow)
    with pytest.raises(MediagroundError, match="still lacks"):
        lib.activate(shadow)
    report = lib.migrate(GRID2)  # resumes
    assert report["space"] == shadow and report["filled"]["assets"] == 40 - len(recorded)
    recorded = lib.catalog.vectors.chunk_ids(shadow)
    assert len(recorded) == 40 and lib.index.chunk_ids(shadow) == recorded and lib.index.count(shadow) == 40
    lib.activate(shadow)
    assert _image_results(lib, query)[0][0] == before[0][0]
    lib.close()


def test_ingest_commits_and_reports_when_an_added_space_cannot_be_filled(lib, tmp_path, monkeypatch):
    report = lib.migrate("fake-joint")
    lib.activate(report["space"])
    model = get_model("fake-joint")
    monkeypatch.setattr(type(model), "weights_sha256", lambda self: "1" * 64)  # its weights changed
    new = make_image(tmp_path / "media" / "late.png", "blue", seed=11)
    result = lib.ingest([new], workers=0)
    assert result.added == 1 and lib.resolve(str(new))  # the asset is in the library
    assert result.spaces_behind and "no longer matches" in result.spaces_behind[0]
    assert "spaces_behind" in result.to_dict()


def test_a_tag_edit_refreshes_text_spaces_only(lib, tmp_path):
    """Same essence, new words: an image space keeps its vectors, a text space re-embeds the asset."""
    image_shadow = lib.migrate(GRID2)["space"]
    text_shadow = lib.migrate("fake-text?dim=32", role="words")["space"]  # a text model beside
    path = next((tmp_path / "media").glob("red_0.jpg"))
    asset = lib.resolve(str(path))
    model = get_model(GRID2)
    seen = model.images_seen
    set_caption(path, "a crimson square at dusk", keywords=["red"])
    lib.ingest([path], workers=0)
    assert model.images_seen == seen  # nothing re-decoded for the image shadow
    assert asset not in {a.asset_id for a in lib.catalog.fills.pending(image_shadow, ["image"])}
    from mediaground.index.base import text_chunk_id
    from mediaground.ingest.embed import text_sha
    from mediaground.metadata.document import embedded_text

    doc = lib.catalog.vectors.source(text_chunk_id(asset, lib.show(str(path))["file_sha256"]), text_shadow)

    assert doc == text_sha(embedded_text(lib.show(asset)["metadata"]))  # the new words
