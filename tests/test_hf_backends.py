"""transformers backends (CLIP, SigLIP, CLAP) on tiny random checkpoints built offline (hf_tiny)."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from hf_tiny import make_tiny_clap, make_tiny_clip, make_tiny_siglip, tiny_copy
from mediaground.errors import ModelError


RATE = 16_000


@pytest.fixture(scope="session")
def tiny_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hf-tiny")
    make_tiny_clip(root / "clip")
    make_tiny_siglip(root / "siglip")
    make_tiny_clap(root / "clap")
    return root


@pytest.fixture(scope="module")
def clip(tiny_root):
    from mediaground.models.hf_clip import HFImageText

    return HFImageText(str(tiny_root / "clip"), family="clip")


@pytest.fixture(scope="module")
def siglip(tiny_root):
    from mediaground.models.hf_clip import HFImageText

    return HFImageText(str(tiny_root / "siglip"), family="siglip")


@pytest.fixture(scope="module")
def clap(tiny_root):
    from mediaground.models.clap import CLAP

    return CLAP(str(tiny_root / "clap"))


def _image(w: int, h: int, seed: int = 0) -> Image.Image:
    rng = np.random.RandomState(seed)
    return Image.fromarray(rng.randint(0, 256, (h, w, 3), dtype=np.uint8), "RGB")


def _noise(seconds: float, seed: int = 0) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    rng = np.random.RandomState(seed)
    return (0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.randn(len(t))).astype(np.float32)


def _unit(x: np.ndarray) -> None:
    np.testing.assert_allclose(np.linalg.norm(x, axis=-1), 1.0, atol=1e-5)


# --- (a) declarations come from files, before any weights load ------------------------------------
@pytest.mark.parametrize("family", ["clip", "siglip"])
def test_image_text_declares_dim_from_config_without_loading(tiny_root, family):
    from mediaground.models.hf_clip import HFImageText

    cfg = json.loads((tiny_root / family / "config.json").read_text())
    m = HFImageText(str(tiny_root / family), family=family)
    expected = cfg["projection_dim"] if family == "clip" else cfg["text_config"]["projection_size"]
    assert m.dim == expected
    if family == "siglip":
        assert m.dim == cfg["vision_config"]["hidden_size"]
    space = m.space()
    assert space.dim == expected and space.modality == "image+text" and space.model_id == family
    assert space.revision == "local"
    assert m.inputs == frozenset({"text", "image"}) and m.labels == []
    assert m.runtime.startswith("torch-")
    assert m._model is None and m._tokenizer is None  # nothing heavy loaded to answer all that


def test_clap_declares_dim_from_config_without_loading(tiny_root):
    from mediaground.models.clap import CLAP

    cfg = json.loads((tiny_root / "clap" / "config.json").read_text())
    m = CLAP(str(tiny_root / "clap"))
    assert m.dim == cfg["projection_dim"] == 16
    space = m.space()
    assert space.modality == "audio+text" and space.dim == 16 and space.prompt == "the sound of {}"
    assert m.inputs == frozenset({"text", "audio"})
    assert m.sampling_rate == 48_000
    pre = m.preprocessor_config()
    assert pre["features"]["sampling_rate"] == 48_000 and pre["window_s"] == 10.0 and pre["hop_s"] == 5.0
    assert pre["input_rate"] == RATE
    assert m._model is None and m._extractor is None and m._tokenizer is None


def test_existing_spaces_keep_their_modality():
    from fakes import FakeAudio, FakeImage, FakeText

    assert FakeText().space().modality == "text"
    assert FakeImage().space().modality == "image"
    assert FakeAudio().space().modality == "audio"


# --- (b) image and text vectors -------------------------------------------------------------------
@pytest.mark.parametrize("name", ["clip", "siglip"])
def test_image_and_text_embeddings(request, name):
    m = request.getfixturevalue(name)
    pixels = np.stack([m.preprocessor(_image(64, 48, s)) for s in range(3)])
    assert pixels.dtype == np.uint8 and pixels.shape == (3, 3, 32, 32)
    feats, labels = m.run(pixels)
    assert labels is None
    assert feats.shape == (3, m.dim) and feats.dtype == np.float32
    _unit(feats)
    again, _ = m.run(pixels)
    np.testing.assert_array_equal(feats, again)                       # deterministic
    np.testing.assert_allclose(m.run(pixels[1:2])[0][0], feats[1], atol=1e-5)  # not batch dependent
    assert np.array_equal(m.embed_images(pixels), feats)
    assert m.run(pixels[:0])[0].shape == (0, m.dim)

    texts = m.embed_texts(["cat", "a dog of the sea", "red"])
    assert texts.shape == (3, m.dim) and texts.dtype == np.float32
    _unit(texts)
    np.testing.assert_array_equal(texts, m.embed_texts(["cat", "a dog of the sea", "red"]))
    assert not np.allclose(texts[0], texts[1])
    # the prompt is applied once, by Embedder.embed_texts
    np.testing.assert_allclose(texts[:1], m._embed_texts([m.prompt.format("cat")]), atol=1e-6)
    assert m.embed_texts([]).shape == (0, m.dim)


def test_run_rejects_wrong_pixel_shape(clip):
    with pytest.raises(ModelError, match="expected pixels"):
        clip.run(np.zeros((1, 3, 16, 16), np.uint8))


def test_siglip_pads_texts_to_max_length(siglip):
    # SigLIP pools the last position, so a text's vector must not depend on the batch's longest text
    alone = siglip.embed_texts(["cat"])
    mixed = siglip.embed_texts(["cat", "this is a photo of a red dog of the sea"])
    np.testing.assert_allclose(alone[0], mixed[0], atol=1e-5)


def test_prompt_option(tiny_root):
    from mediaground.models.hf_clip import HFImageText

    a = HFImageText(str(tiny_root / "clip"), prompt="{}")
    assert a.space().prompt == "{}"
    with pytest.raises(ModelError, match="prompt"):
        HFImageText(str(tiny_root / "clip"), prompt="a photo of {0} and {1}")


# --- (c) our PIL preprocessing = transformers' image processors --------------------------------------
# transformers 5 ships PIL backends (CLIPImageProcessorPil, SiglipImageProcessorPil) that need no
# torchvision; the default classes would need it, so these are the ones to compare with.
@pytest.mark.parametrize("size", [(64, 48), (48, 64), (200, 33), (20, 30), (32, 32)])
def test_clip_preprocessing_matches_transformers(clip, tiny_root, size):
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    hf = CLIPImageProcessorPil.from_pretrained(str(tiny_root / "clip"))
    im = _image(*size, seed=sum(size))
    ours = clip.preprocessor(im)
    raw = hf(images=im, do_rescale=False, do_normalize=False, return_tensors="np")["pixel_values"][0]
    np.testing.assert_array_equal(ours, raw.astype(np.uint8))  # same resize and crop, bit for bit
    expected = hf(images=im, return_tensors="np")["pixel_values"]
    np.testing.assert_allclose(clip.preprocessor.normalize(ours[None]), expected, atol=1e-5)


@pytest.mark.parametrize("size", [(64, 48), (17, 90), (32, 32)])
def test_siglip_preprocessing_matches_transformers(siglip, tiny_root, size):
    from transformers.models.siglip.image_processing_pil_siglip import SiglipImageProcessorPil

    hf = SiglipImageProcessorPil.from_pretrained(str(tiny_root / "siglip"))
    im = _image(*size, seed=sum(size))
    ours = siglip.preprocessor(im)
    raw = hf(images=im, do_rescale=False, do_normalize=False, return_tensors="np")["pixel_values"][0]
    np.testing.assert_array_equal(ours, raw.astype(np.uint8))
    expected = hf(images=im, return_tensors="np")["pixel_values"]
    np.testing.assert_allclose(siglip.preprocessor.normalize(ours[None]), expected, atol=1e-5)


@pytest.mark.parametrize("hw", [(40, 50), (31, 32), (20, 45), (10, 10), (33, 9)])
def test_center_crop_matches_transformers_including_padding(hw):
    from transformers.image_transforms import center_crop

    from mediaground.models.hf_clip import _center_crop

    pixels = np.random.RandomState(sum(hw)).randint(1, 256, (3, *hw), dtype=np.uint8)
    expected = center_crop(pixels, (32, 32), input_data_format="channels_first")
    np.testing.assert_array_equal(_center_crop(pixels, (32, 32)), expected)


def test_image_features_match_transformers_end_to_end(clip, tiny_root):
    import torch
    from transformers import CLIPModel
    from transformers.models.clip.image_processing_pil_clip import CLIPImageProcessorPil

    im = _image(70, 50, seed=3)
    hf = CLIPImageProcessorPil.from_pretrained(str(tiny_root / "clip"))
    model = CLIPModel.from_pretrained(str(tiny_root / "clip")).eval()
    with torch.inference_mode():
        pixel_values = torch.from_numpy(hf(images=im, return_tensors="np")["pixel_values"])
        out = model.get_image_features(pixel_values=pixel_values)
    ref = getattr(out, "pooler_output", out).numpy()[0]
    ref /= np.linalg.norm(ref)
    np.testing.assert_allclose(clip.run(clip.preprocessor(im)[None])[0][0], ref, atol=1e-5)


def test_preprocessor_config_captures_preprocessing(clip, siglip):
    cfg = clip.preprocessor_config()["image"]
    assert cfg["shortest_edge"] == 40 and cfg["crop_hw"] == (32, 32) and cfg["resample"] == "bicubic"
    assert cfg["mean"] == pytest.approx((0.48145466, 0.4578275, 0.40821073))
    assert clip.preprocessor.resize_shorter == 40
    scfg = siglip.preprocessor_config()
    assert scfg["image"]["resize_hw"] == (32, 32) and scfg["image"]["crop_hw"] is None
    assert scfg["text"]["padding"] == "max_length" and scfg["text"]["max_length"] == 16
    assert siglip.preprocessor.resize_shorter == 32


def test_draft_decoded_jpeg_goes_through(clip, tmp_path):
    from mediaground.media.image import decode_image

    path = tmp_path / "big.jpg"
    _image(640, 480, seed=1).save(path, quality=90)
    decoded = decode_image(str(path), clip.preprocessor.resize_shorter)
    assert min(decoded.image.size) >= clip.preprocessor.resize_shorter
    pixels = clip.preprocessor(decoded.image)
    assert pixels.shape == (3, 32, 32)
    _unit(clip.run(pixels[None])[0])


# --- (d) CLAP ----------------------------------------------------------------------------------------
def test_clap_windows_follow_the_whisper_contract(clap):
    from mediaground.media.audio import windows

    signal = _noise(23.0)
    vecs, spans = clap.embed_windows(signal)
    assert spans == [(0.0, 10.0), (5.0, 15.0), (10.0, 20.0), (13.0, 23.0)] == windows(23.0, 10.0, 5.0)
    assert vecs.shape == (4, clap.dim) and vecs.dtype == np.float32
    _unit(vecs)
    again, _ = clap.embed_windows(signal)
    np.testing.assert_array_equal(vecs, again)
    # a window's vector depends only on its own samples (not on neighbours or batch)
    first, first_spans = clap.embed_windows(signal[: 10 * RATE])
    assert first_spans == [(0.0, 10.0)]
    np.testing.assert_allclose(first[0], vecs[0], atol=1e-5)
    last, _ = clap.embed_windows(signal[13 * RATE:])
    np.testing.assert_allclose(last[0], vecs[3], atol=1e-5)


def test_clap_short_and_empty_clips(clap):
    short = _noise(3.2, seed=1)
    vecs, spans = clap.embed_windows(short)
    assert spans == [(0.0, 3.2)] and vecs.shape == (1, clap.dim)
    _unit(vecs)
    query = clap.embed_audio(short)
    assert query.shape == (clap.dim,)
    np.testing.assert_allclose(query, vecs[0], atol=1e-6)
    long_query = clap.embed_audio(_noise(23.0))
    assert long_query.shape == (clap.dim,)
    _unit(long_query)
    empty, none = clap.embed_windows(np.zeros(0, np.float32))
    assert empty.shape == (0, clap.dim) and none == []
    with pytest.raises(ModelError):
        clap.embed_audio(np.zeros(0, np.float32))


def test_clap_rejects_bad_input(clap):
    with pytest.raises(ModelError, match="longer than"):
        clap.embed_windows(_noise(30.0), window_s=20.0, hop_s=5.0)
    with pytest.raises(ModelError, match="mono"):
        clap.embed_windows(np.zeros((2, 100), np.float32))
    with pytest.raises(ModelError, match="NaN"):
        clap.embed_windows(np.full(RATE, np.nan, np.float32))


def test_clap_texts(clap):
    vecs = clap.embed_texts(["dog", "bar", "a dog barking"])
    assert vecs.shape == (3, clap.dim)
    _unit(vecs)
    np.testing.assert_array_equal(vecs, clap.embed_texts(["dog", "bar", "a dog barking"]))
    np.testing.assert_allclose(vecs[:1], clap._embed_texts(["the sound of dog"]), atol=1e-6)


# --- (e) pinning ---------------------------------------------------------------------------------
def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF  # inside the tensor data, after the safetensors header
    st = path.stat()
    path.write_bytes(bytes(data))
    # the sha256 memo is keyed by (path, size, mtime): make sure the rewrite shows a new mtime
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


@pytest.mark.parametrize("family", ["clip", "siglip"])
def test_pinning_image_text(tiny_root, tmp_path, family):
    from mediaground.models.hf_clip import HFImageText

    folder = tiny_copy(family, tiny_root, tmp_path / family)
    a, b = HFImageText(str(folder), family=family), HFImageText(str(folder), family=family)
    assert a.space() == b.space() and a.space().id == b.space().id
    before = a.space()

    _flip_byte(folder / "model.safetensors")
    flipped = HFImageText(str(folder), family=family).space()
    assert flipped.weights_sha256 != before.weights_sha256 and flipped.id != before.id

    builder = {"clip": make_tiny_clip, "siglip": make_tiny_siglip}[family]
    builder(tmp_path / "reseeded", seed=1)
    reseeded = HFImageText(str(tmp_path / "reseeded"), family=family).space()
    assert reseeded.weights_sha256 != before.weights_sha256 and reseeded.id != before.id

    # preprocessing, prompt, model id and revision are part of the space too
    assert HFImageText(str(folder), family=family, prompt="{}").space().id != flipped.id
    assert HFImageText(str(folder), family=family, revision="abc123").space().id != flipped.id
    cfg_path = folder / "preprocessor_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["image_mean"] = [0.4, 0.4, 0.4]
    cfg_path.write_text(json.dumps(cfg))
    assert HFImageText(str(folder), family=family).space().id != flipped.id


def test_pinning_clap(tiny_root, tmp_path):
    from mediaground.models.clap import CLAP

    folder = tiny_copy("clap", tiny_root, tmp_path / "clap")
    before = CLAP(str(folder)).space()
    assert CLAP(str(folder)).space().id == before.id
    _flip_byte(folder / "model.safetensors")
    after = CLAP(str(folder)).space()
    assert after.weights_sha256 != before.weights_sha256 and after.id != before.id


def test_sharded_weights_are_hashed_together(tiny_root, tmp_path):
    from mediaground.models.hf_clip import HFImageText, folder_weights_sha256

    folder = tiny_copy("clip", tiny_root, tmp_path / "clip")
    (folder / "model.safetensors").unlink()
    (folder / "model-00001-of-00002.safetensors").write_bytes(b"one")
    (folder / "model-00002-of-00002.safetensors").write_bytes(b"two")
    first = folder_weights_sha256(folder, "clip")
    assert len(first) == 64
    (folder / "model-00002-of-00002.safetensors").write_bytes(b"TWO")
    os.utime(folder / "model-00002-of-00002.safetensors", ns=(0, 10**18))
    assert folder_weights_sha256(folder, "clip") != first
    assert HFImageText(str(folder)).dim == 16  # declarations still need no weights


# --- (f) registry ---------------------------------------------------------------------------------
def test_registry_resolves_specs(tiny_root):
    from mediaground.models.clap import CLAP
    from mediaground.models.hf_clip import HFImageText
    from mediaground.models.registry import canonical_spec, get_model

    c = get_model(f"clip?path={tiny_root / 'clip'}")
    s = get_model(f"siglip?path={tiny_root / 'siglip'}")
    a = get_model(f"clap?path={tiny_root / 'clap'}")
    assert isinstance(c, HFImageText) and c.family == "clip" and c.model_id == "clip"
    assert isinstance(s, HFImageText) and s.family == "siglip" and s.model_id == "siglip"
    assert isinstance(a, CLAP) and a.model_id == "clap"
    assert get_model(f"clip?path={tiny_root / 'clip'}") is c
    named = get_model(f"clip?path={tiny_root / 'clip'}&model_id=clip-tiny&revision=abc")
    assert named.space().model_id == "clip-tiny" and named.space().revision == "abc"
    assert canonical_spec(f"clip?revision=abc&path={tiny_root / 'clip'}").startswith("clip?path=")


def test_registry_without_path_says_how_to_get_weights():
    from mediaground.models.registry import get_model

    for family in ("clip", "siglip", "clap"):
        with pytest.raises(ModelError, match=rf"mediaground models pull {family}.*{family}\?path=DIR"):
            get_model(family)
    with pytest.raises(ModelError, match="bad options"):
        get_model("clip?path=/nowhere&family=siglip")


# --- (g) clear errors ----------------------------------------------------------------------------
def test_missing_folder_is_a_clear_model_error(tmp_path):
    from mediaground.models.clap import CLAP
    from mediaground.models.hf_clip import HFImageText

    missing = tmp_path / "no-such-model"
    with pytest.raises(ModelError) as err:
        HFImageText(str(missing))
    assert str(missing) in str(err.value) and "mediaground models pull" in str(err.value)
    assert "path=" in str(err.value)
    with pytest.raises(ModelError, match="mediaground models pull"):
        CLAP(str(missing))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="config.json"):
        HFImageText(str(tmp_path / "empty"), family="siglip")
    with pytest.raises(ModelError, match="family"):
        HFImageText(str(tmp_path / "empty"), family="blip")


def test_wrong_family_and_missing_files(tiny_root, tmp_path):
    from mediaground.models.clap import CLAP
    from mediaground.models.hf_clip import HFImageText

    with pytest.raises(ModelError, match="'siglip' model"):
        HFImageText(str(tiny_root / "siglip"), family="clip")
    with pytest.raises(ModelError, match="not 'clap'"):
        CLAP(str(tiny_root / "clip"))

    folder = tiny_copy("clip", tiny_root, tmp_path / "clip")
    (folder / "model.safetensors").unlink()
    m = HFImageText(str(folder))
    assert m.dim == 16
    with pytest.raises(ModelError, match="no weights"):
        m.space()

    folder = tiny_copy("siglip", tiny_root, tmp_path / "siglip")
    for name in ("tokenizer.json", "tokenizer_config.json"):
        (folder / name).unlink()
    m = HFImageText(str(folder), family="siglip")
    _unit(m.run(np.stack([m.preprocessor(_image(40, 40))]))[0])  # images need no tokenizer
    with pytest.raises(ModelError, match="tokenizer"):
        m.embed_texts(["cat"])

    folder = tiny_copy("clap", tiny_root, tmp_path / "clap")
    (folder / "preprocessor_config.json").unlink()
    with pytest.raises(ModelError, match="preprocessor_config.json"):
        CLAP(str(folder))


def test_missing_transformers_is_a_clear_model_error(tiny_root, monkeypatch):
    from mediaground.models.hf_clip import HFImageText

    m = HFImageText(str(tiny_root / "clip"))
    monkeypatch.setitem(sys.modules, "transformers", None)  # import transformers → ImportError
    with pytest.raises(ModelError, match="pip install"):
        m.run(np.zeros((1, 3, 32, 32), np.uint8))


def test_unsupported_preprocessing_is_refused(tiny_root, tmp_path):
    from mediaground.models.hf_clip import HFImageText

    folder = tiny_copy("clip", tiny_root, tmp_path / "clip")
    cfg_path = folder / "preprocessor_config.json"
    cfg = json.loads(cfg_path.read_text())
    cfg["do_center_crop"] = False  # shortest-edge resize alone: every image a different size
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelError, match="varying size"):
        HFImageText(str(folder))
    shutil.rmtree(folder)
