"""The verified cache of pulled weights (`mediaground models pull`): local mirror folders and an
injected fetch stand in for the hub; a catalogue override (MEDIAGROUND_MODEL_CATALOGUE) pins the
hashes. Nothing here touches the network."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from mediaground.errors import ModelError
from mediaground.models.base import Embedder, ImageEmbedder, ImagePreprocessor, l2_normalize

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


FILES = {
    "config.json": json.dumps({"dim": 8}).encode(),
    "weights.bin": bytes(range(256)) * 40,
    "tokenizer/vocab.txt": b"hello\nworld\n",
}


class FolderText(Embedder):
    """A test backend in the shape of the real ones: path, model_id, revision (+ prompt) options."""

    inputs = frozenset({"text"})

    def __init__(self, path: str, model_id: str | None = None, revision: str | None = None, prompt: str = "{}"):
        self.path = Path(path)
        self.model_id = model_id or "folder-text"
        self._revision = revision or "local"
        self.prompt = prompt
        self._dim = json.loads((self.path / "config.json").read_text())["dim"]

    @property
    def dim(self) -> int:
        return self._dim

    @property
    def revision(self) -> str:
        return self._revision

    def weights_sha256(self) -> str:
        return sha((self.path / "weights.bin").read_bytes())

    def _embed_texts(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            out[i, len(t) % self.dim] = 1.0
        return out


class FolderImage(ImageEmbedder):
    inputs = frozenset({"image", "text"})
    preprocessor = ImagePreprocessor(size=8, resize_shorter=8)

    def __init__(self, path: str, model_id: str | None = None, revision: str | None = None):
        self.path, self.model_id, self._revision = Path(path), model_id or "folder-image", revision or "local"

    dim = 4
    revision = property(lambda self: self._revision)

    def weights_sha256(self) -> str:
        return sha((self.path / "weights.bin").read_bytes())

    def run(self, pixels):
        return l2_normalize(np.ones((len(pixels), 4), np.float32)), None


@functools.lru_cache(maxsize=1)
def bundled_hashes() -> dict[str, str]:
    from mediaground.models.whisper import _model_dir

    return {n: sha((_model_dir() / n).read_bytes())
            for n in ("config.json", "model.bin", "tokenizer.json", "vocabulary.txt")}


@pytest.fixture
def mirror(tmp_path) -> Path:
    root = tmp_path / "mirror"
    for name, data in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture
def env(tmp_path, monkeypatch):
    """A catalogue override with pullable test models, an empty model cache, and a registry that
    sees both (reset before and after)."""
    from mediaground.models import registry
    from mediaground.models.whisper import _model_dir

    bundled = _model_dir()
    catalogue = {
        "test-pull": {"description": "pull test", "modalities": ["text"], "status": "pull",
                      "source": {"hub": "example/test-pull", "revision": "v1", "backend": "folder-text",
                                 "files": {name: sha(data) for name, data in FILES.items()}}},
        "test-tofu": {"description": "unpinned", "modalities": ["text"],
                      "source": {"hub": "example/test-tofu", "revision": "main", "backend": "folder-text",
                                 "files": {"config.json": sha(FILES["config.json"]), "weights.bin": None,
                                           "tokenizer/vocab.txt": None}}},
        "test-image": {"modalities": ["image", "text"],
                       "source": {"hub": "example/test-image", "revision": "v1", "backend": "folder-image",
                                  "files": {"weights.bin": sha(FILES["weights.bin"])}}},
        "whisper-mirror": {"description": "tiny.en as a pulled model", "modalities": ["audio"],
                           "source": {"hub": "example/whisper", "revision": "r1", "backend": "whisper-ct2",
                                      "files": bundled_hashes()}},
    }
    path = tmp_path / "catalogue.json"
    path.write_text(json.dumps(catalogue))
    monkeypatch.setenv("MEDIAGROUND_MODEL_CATALOGUE", str(path))
    monkeypatch.setenv("MEDIAGROUND_MODEL_CACHE", str(tmp_path / "model-cache"))
    registry.reset_for_tests()
    registry.available()  # load built-ins (pulled ids from the override) and entry points
    registry.register("folder-text", FolderText)
    registry.register("folder-image", FolderImage)
    yield {"catalogue_path": path, "catalogue": catalogue, "cache": tmp_path / "model-cache", "bundled": bundled}
    registry.reset_for_tests()


def write_catalogue(env) -> None:
    env["catalogue_path"].write_text(json.dumps(env["catalogue"]))


def leftovers(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*")) if root.exists() else []


# --- pull -------------------------------------------------------------------------------------
def test_pull_copies_verifies_and_is_found(env, mirror):
    from mediaground.models import cache

    seen = []
    folder = cache.pull("test-pull", source_dir=mirror, progress=lambda *a: seen.append(a))
    assert folder == env["cache"] / "test-pull" / "v1"
    for name, data in FILES.items():
        assert (folder / name).read_bytes() == data
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["files"]["weights.bin"] == {"sha256": sha(FILES["weights.bin"]),
                                                "size": len(FILES["weights.bin"]), "status": "verified"}
    assert manifest["revision"] == "v1" and manifest["backend"] == "folder-text"
    assert [(n, s) for n, s, _ in seen] == [(n, "verified") for n in FILES]
    assert cache.pulled_path("test-pull") == folder and cache.is_cached("test-pull")
    [row] = cache.list_cached()
    assert row["model_id"] == "test-pull" and row["files"] == 3 and row["path"] == str(folder)
    # pulled again: the intact copy is kept, nothing is fetched (the mirror may be gone)
    for f in mirror.rglob("*.bin"):
        f.unlink()
    assert cache.pull("test-pull", source_dir=mirror) == folder
    assert [p.name for p in folder.parent.iterdir()] == ["v1"]  # no temp folders left


def test_a_tampered_file_is_refused_and_nothing_lands(env, mirror):
    from mediaground.models import cache

    (mirror / "weights.bin").write_bytes(FILES["weights.bin"][:-1] + b"X")
    bad = sha((mirror / "weights.bin").read_bytes())
    with pytest.raises(ModelError) as err:
        cache.pull("test-pull", source_dir=mirror)
    msg = str(err.value)
    assert "weights.bin" in msg and sha(FILES["weights.bin"]) in msg and bad in msg
    assert not (env["cache"] / "test-pull" / "v1").exists()
    assert not [p for p in leftovers(env["cache"]) if "pull-" in p or p.endswith(".bin")]
    with pytest.raises(ModelError, match="not in the local cache"):
        cache.pulled_path("test-pull")


def test_a_missing_file_is_an_error(env, mirror):
    from mediaground.models import cache

    (mirror / "tokenizer" / "vocab.txt").unlink()
    with pytest.raises(ModelError, match="vocab.txt .*missing"):
        cache.pull("test-pull", source_dir=mirror)
    assert not (env["cache"] / "test-pull" / "v1").exists()


def test_unpinned_files_need_trust_on_first_use(env, mirror):
    from mediaground.models import cache

    with pytest.raises(ModelError, match="trust-on-first-use") as err:
        cache.pull("test-tofu", source_dir=mirror)
    assert "weights.bin" in str(err.value)
    assert leftovers(env["cache"]) == [] or not (env["cache"] / "test-tofu" / "main").exists()

    folder = cache.pull("test-tofu", source_dir=mirror, trust_on_first_use=True)
    files = json.loads((folder / "manifest.json").read_text())["files"]
    assert files["weights.bin"] == {"sha256": sha(FILES["weights.bin"]), "size": len(FILES["weights.bin"]),
                                    "status": "trusted-on-first-use"}
    assert files["config.json"]["status"] == "verified"  # pinned files are still checked
    assert cache.pulled_path("test-tofu") == folder
    # what was recorded is now the pin: a change after the pull is caught
    (folder / "weights.bin").write_bytes(FILES["weights.bin"][::-1])
    with pytest.raises(ModelError, match="changed in the model cache"):
        cache.pulled_path("test-tofu")


def test_pulled_path_re_verifies_every_time(env, mirror):
    from mediaground.models import cache

    folder = cache.pull("test-pull", source_dir=mirror)
    target = folder / "tokenizer" / "vocab.txt"
    target.write_bytes(b"hellO\nworld\n")  # same size, other bytes
    with pytest.raises(ModelError, match="vocab.txt changed in the model cache.*models pull test-pull"):
        cache.pulled_path("test-pull")
    target.write_bytes(b"hello\n")
    with pytest.raises(ModelError, match="size"):
        cache.pulled_path("test-pull")
    target.unlink()
    with pytest.raises(ModelError, match="gone"):
        cache.pulled_path("test-pull")
    assert not cache.is_cached("test-pull")
    # an explicit pull replaces the damaged copy with a verified one
    assert cache.pull("test-pull", source_dir=mirror) == folder
    assert cache.pulled_path("test-pull") == folder and target.read_bytes() == FILES["tokenizer/vocab.txt"]
    (folder / "manifest.json").unlink()
    with pytest.raises(ModelError, match=r"model test-pull is not in the local cache; run `mediaground models pull "
                                         r"test-pull`"):
        cache.pulled_path("test-pull")


def test_a_new_pin_in_the_catalogue_invalidates_the_cached_copy(env, mirror):
    from mediaground.models import cache

    cache.pull("test-pull", source_dir=mirror)
    env["catalogue"]["test-pull"]["source"]["files"]["config.json"] = "ab" * 32
    write_catalogue(env)
    with pytest.raises(ModelError, match="catalogue pins " + "ab" * 32):
        cache.pulled_path("test-pull")


def test_fetch_is_injectable_and_records_the_resolved_commit(env, tmp_path):
    from mediaground.models import cache

    snapshot = tmp_path / "hf" / "models--example--test-pull" / "snapshots" / COMMIT
    for name, data in FILES.items():
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / name).write_bytes(data)
    calls = []

    def fetch(repo, filename, revision):
        calls.append((repo, filename, revision))
        return snapshot / filename

    folder = cache.pull("test-pull", fetch=fetch)
    assert calls == [("example/test-pull", name, "v1") for name in FILES]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["resolved_revision"] == COMMIT and manifest["origin"] == "fetch"

    # a download that does not match is an error, not a retry
    other = tmp_path / "evil"
    other.mkdir()
    (other / "weights.bin").write_bytes(b"evil")
    calls.clear()
    (folder / "manifest.json").unlink()
    with pytest.raises(ModelError, match="weights.bin .*does not match"):
        cache.pull("test-pull", fetch=lambda repo, name, rev: calls.append(name) or (
            other / name if name == "weights.bin" else snapshot / name))
    assert calls.count("weights.bin") == 1


def test_a_failed_fetch_leaves_nothing(env, mirror):
    from mediaground.models import cache

    def flaky(repo, filename, revision):
        if filename == "weights.bin":
            raise ModelError("cannot download weights.bin: offline")
        return mirror / filename

    with pytest.raises(ModelError, match="offline"):
        cache.pull("test-pull", fetch=flaky)
    assert not (env["cache"] / "test-pull" / "v1").exists()
    assert not [p for p in leftovers(env["cache"]) if "pull-" in p]


def test_models_without_a_source_and_bad_entries(env, mirror):
    from mediaground.models import cache

    with pytest.raises(ModelError, match="no \"source\""):
        cache.pull("minilm-l6-v2", source_dir=mirror)
    with pytest.raises(ModelError, match="not in the model catalogue"):
        cache.pulled_path("no-such-model")
    env["catalogue"]["test-pull"]["source"]["files"] = {"../escape": None}
    write_catalogue(env)
    with pytest.raises(ModelError, match="bad file name"):
        cache.pull("test-pull", source_dir=mirror, trust_on_first_use=True)
    env["catalogue"]["test-pull"]["source"]["files"] = {"config.json": "not-a-hash"}
    write_catalogue(env)
    with pytest.raises(ModelError, match="64-hex"):
        cache.pull("test-pull", source_dir=mirror)


def test_cache_root_default(monkeypatch, tmp_path):
    from mediaground.models import cache

    monkeypatch.delenv("MEDIAGROUND_MODEL_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_root() == tmp_path / "xdg" / "mediaground" / "models"
    monkeypatch.setenv("MEDIAGROUND_MODEL_CACHE", "~/models")
    assert cache.cache_root() == Path.home() / "models"


# --- pulled models through the registry ---------------------------------------------------------
def test_an_unpulled_model_constructs_but_refuses_use(env, mirror):
    from mediaground.models.registry import available, get_model

    assert {"test-pull", "test-tofu", "whisper-mirror", "clip-vit-base-patch32", "whisper-base"} <= set(available())
    model = get_model("test-pull")  # listing (spaces, doctor) must not fail
    assert model.model_id == "test-pull" and model.inputs == frozenset({"text"})
    hint = r"model test-pull is not in the local cache; run `mediaground models pull test-pull`"
    with pytest.raises(ModelError, match=hint):
        model.weights_sha256()
    with pytest.raises(ModelError, match=hint):
        model.space()
    with pytest.raises(ModelError, match=hint):
        model.embed_texts(["hello"])

    from mediaground.models import cache

    folder = cache.pull("test-pull", source_dir=mirror)
    vectors = model.embed_texts(["hello", "hi"])  # the same instance works once pulled
    assert vectors.shape == (2, 8)
    assert model.backend.path == folder and model.backend.model_id == "test-pull"
    space = model.space()
    assert space.model_id == "test-pull" and space.revision == "v1" and space.dim == 8
    assert space.weights_sha256 == sha(FILES["weights.bin"])
    # options reach the backend
    assert get_model("test-pull?prompt=query: {}").prompt == "query: {}"


def test_a_pulled_image_model_is_an_image_embedder(env, mirror):
    from mediaground.models import cache
    from mediaground.models.registry import get_model

    model = get_model("test-image")
    assert isinstance(model, ImageEmbedder) and model.inputs == frozenset({"image", "text"})
    cache.pull("test-image", source_dir=mirror)
    feats, probs = model.run(np.zeros((2, 3, 8, 8), np.uint8))
    assert feats.shape == (2, 4) and probs is None
    assert model.preprocessor.size == 8 and model.labels == []


def test_a_pulled_whisper_runs_through_whisper_ct2(env):
    from mediaground.models import cache
    from mediaground.models.registry import get_model
    from mediaground.models.whisper import Whisper

    model = get_model("whisper-mirror")
    with pytest.raises(ModelError, match="models pull whisper-mirror"):
        model.dim
    folder = cache.pull("whisper-mirror", source_dir=env["bundled"])
    assert isinstance(model.backend, Whisper) and model.backend.path == folder
    assert model.dim == 384 and model.space().model_id == "whisper-mirror" and model.revision == "r1"
    assert model.weights_sha256() == get_model("whisper-tiny.en").weights_sha256()
    assert callable(model.transcribe) and callable(model.embed_windows)


# --- CLI ---------------------------------------------------------------------------------------
def test_cli_pull_and_list(env, mirror):
    from mediaground.cli import main

    runner = CliRunner()
    result = runner.invoke(main, ["models", "pull", "test-pull", "--from", str(mirror)])
    assert result.exit_code == 0, result.output
    assert "3 files verified" in result.output

    again = runner.invoke(main, ["models", "pull", "test-pull", "--from", str(mirror), "--json"])
    assert again.exit_code == 0, again.output
    data = json.loads(again.stdout)
    assert data["already_cached"] is True and data["path"].endswith("test-pull/v1")
    assert {f["name"]: f["status"] for f in data["files"]} == {n: "verified" for n in FILES}

    listed = runner.invoke(main, ["models", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["id"]: r for r in json.loads(listed.stdout)}
    assert rows["test-pull"]["cached"] is True and rows["test-pull"]["registered"] is True
    assert rows["test-tofu"]["cached"] is False and rows["test-tofu"]["pullable"] is True
    assert rows["whisper-tiny.en"]["pullable"] is False and rows["whisper-tiny.en"]["status"] == "bundled"
    assert rows["clip-vit-base-patch32"]["backend"] == "clip"
    plain = runner.invoke(main, ["models", "list"])
    assert plain.exit_code == 0 and "test-pull" in plain.output


def test_cli_refuses_unpinned_files_unless_trusted(env, mirror):
    from mediaground.cli import main

    runner = CliRunner()
    refused = runner.invoke(main, ["models", "pull", "test-tofu", "--from", str(mirror)])
    assert refused.exit_code == 1 and "--trust-on-first-use" in refused.output

    trusted = runner.invoke(main, ["models", "pull", "test-tofu", "--from", str(mirror), "--trust-on-first-use",
                                   "--json"])
    assert trusted.exit_code == 0, trusted.output
    data = json.loads(trusted.stdout)
    assert data["trusted_on_first_use"] == ["tokenizer/vocab.txt", "weights.bin"]
    pinned = data["pin"]["test-tofu"]["source"]["files"]
    assert pinned == {name: sha(d) for name, d in FILES.items()}  # ready to paste into an override

    text = runner.invoke(main, ["models", "pull", "test-tofu", "--from", str(mirror), "--trust-on-first-use"])
    assert text.exit_code == 0 and "already in the cache" in text.output

    bad = runner.invoke(main, ["models", "pull", "minilm-l6-v2"])
    assert bad.exit_code == 1 and "cannot be pulled" in bad.output


def test_a_pulled_clip_checkpoint_runs_through_the_clip_backend(env, tmp_path):
    """End to end with a real (tiny, random) transformers CLIP folder as the local mirror."""
    import hf_tiny
    from PIL import Image

    from mediaground.models import cache
    from mediaground.models.registry import get_model

    mirror = hf_tiny.make_tiny_clip(tmp_path / "tiny-clip")
    files = {str(p.relative_to(mirror)): sha(p.read_bytes()) for p in sorted(mirror.rglob("*")) if p.is_file()}
    env["catalogue"]["test-clip"] = {"modalities": ["image", "text"],
                                     "source": {"hub": "example/tiny-clip", "revision": "v1", "backend": "clip",
                                                "files": files}}
    write_catalogue(env)
    from mediaground.models import registry

    registry.reset_for_tests()  # the registry reads pullable ids from the catalogue when it loads
    model = get_model("test-clip")
    assert isinstance(model, ImageEmbedder)
    with pytest.raises(ModelError, match="models pull test-clip"):
        model.space()
    cache.pull("test-clip", source_dir=mirror)
    space = model.space()
    assert space.model_id == "test-clip" and space.revision == "v1" and space.dim == model.dim
    texts = model.embed_texts(["a cat", "a dog"])
    feats, _ = model.run(model.preprocessor(Image.new("RGB", (64, 48), "red"))[None])
    assert texts.shape == (2, model.dim) and feats.shape == (1, model.dim)
