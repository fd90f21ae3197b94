"""Third-party backends through the `mediaground.models` entry point group: a minimal installed
distribution (a dist-info folder with entry_points.txt, plus its module) is put on sys.path, and
the real registry loads it after `reset_for_tests()`."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from mediaground.errors import MediagroundError

PLUGIN_MODULE = '''
import numpy as np

from mediaground.models.base import Embedder, l2_normalize


class PluginText(Embedder):
    """A third-party text backend: vectors from character counts."""

    model_id = "plugin-text"
    inputs = frozenset({"text"})
    dim = 3
    revision = "0.1"

    def __init__(self, scale="1"):
        self.scale = float(scale)

    def weights_sha256(self):
        return "0" * 64

    def _embed_texts(self, texts):
        rows = [[len(t), t.count(" ") + 1, self.scale] for t in texts]
        return l2_normalize(np.asarray(rows, np.float32))


def register_models(register):
    register("plugin-text", PluginText, aliases=("ptext",))
'''


def install_plugin(root: Path, name: str, module: str, body: str, entry: str) -> None:
    """What pip leaves in site-packages: the module and <name>-0.1.dist-info/{METADATA,entry_points.txt}."""
    (root / f"{module}.py").write_text(body)
    info = root / f"{name}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(f"[mediaground.models]\n{entry}\n")


@pytest.fixture
def plugin_env(tmp_path, monkeypatch):
    """tmp_path on sys.path and a registry that reloads; restored (reset again) afterwards."""
    from mediaground.models import registry

    monkeypatch.syspath_prepend(str(tmp_path))
    registry.reset_for_tests()
    yield tmp_path
    registry.reset_for_tests()
    for name in ("myplugin_mod", "dupplugin_mod"):
        sys.modules.pop(name, None)


def test_a_plugin_backend_is_loaded_from_its_entry_point(plugin_env):
    from mediaground.models.registry import available, canonical_spec, get_model

    install_plugin(plugin_env, "myplugin", "myplugin_mod", PLUGIN_MODULE, "myplugin = myplugin_mod:register_models")
    assert "plugin-text" in available()
    assert "whisper-ct2" in available()  # built-ins still there
    assert "fake-text" in available()  # and the test fakes, another plugin (see tests/fakes.py)
    model = get_model("plugin-text")
    assert type(model).__module__ == "myplugin_mod"
    vectors = model.embed_texts(["hello world", "x"])
    assert vectors.shape == (2, 3) and np.allclose(np.linalg.norm(vectors, axis=1), 1)
    assert get_model("ptext") is model  # the alias names the same instance
    scaled = get_model("plugin-text?scale=2")  # options reach the plugin's factory
    assert scaled is not model and scaled.scale == 2.0
    assert canonical_spec("ptext?scale=2") == "plugin-text?scale=2"
    assert model.space().id.startswith("plugin-text-")


def test_a_plugin_cannot_replace_a_registered_id(plugin_env):
    from mediaground.models.registry import available

    body = textwrap.dedent('''
        from fakes import FakeText


        def register_models(register):
            register("minilm-l6-v2", FakeText)  # already a built-in
    ''')
    install_plugin(plugin_env, "dupplugin", "dupplugin_mod", body, "dup = dupplugin_mod:register_models")
    with pytest.raises(MediagroundError, match="'minilm-l6-v2' is already registered"):
        available()


def test_the_registry_is_clean_again_without_the_plugin(plugin_env):
    from mediaground.errors import UnknownModelError
    from mediaground.models.registry import get_model

    with pytest.raises(UnknownModelError):
        get_model("plugin-text")


def test_the_fakes_come_from_the_test_plugin():
    from importlib.metadata import entry_points

    from mediaground.models.registry import get_model

    (ep,) = [ep for ep in entry_points(group="mediaground.models") if ep.name == "fakes"]
    assert ep.value == "fakes:register" and ep.dist.name == "mediaground_test_fakes"
    assert {type(get_model(f"fake-{kind}")).__module__ for kind in ("text", "image", "audio", "joint")} == {"fakes"}


def test_users_see_no_fake_models(tmp_path):
    """Without the test plugin on the path (only mediaground's own source), no fake-* id is
    registered, and `mediaground models list` shows none."""
    import json
    import os
    import subprocess

    import mediaground

    src = str(Path(mediaground.__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": src, "MEDIAGROUND_CACHE": str(tmp_path / "cache")}
    env.pop("MEDIAGROUND_MODEL_CATALOGUE", None)
    code = "import json; from mediaground.models.registry import available; print(json.dumps(available()))"
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    ids = json.loads(out.stdout)
    assert "minilm-l6-v2" in ids and not [i for i in ids if i.startswith("fake-")]

    exe = Path(sys.executable).with_name("mediaground")
    out = subprocess.run([str(exe), "models", "list", "--json"], env=env, cwd=tmp_path, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    listed = [row["id"] for row in json.loads(out.stdout)]
    assert "minilm-l6-v2" in listed and not [i for i in listed if i.startswith("fake-")]
