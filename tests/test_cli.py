"""The command line as a user runs it: exit codes, messages, JSON shapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from conftest import set_caption
from mediaground.cli import main
from mediaground.library import Library


def _run(*args, env=None):
    result = CliRunner().invoke(main, list(map(str, args)), env=env, catch_exceptions=False)
    return result


def test_index_search_show_json(tmp_path, media_dir):
    lib = tmp_path / "lib"
    Library.create(lib, text_model="fake-text", image_model="fake-image", audio_model="fake-audio").close()
    set_caption(media_dir / "red.jpg", "Lighthouse at dawn", ["coast"])
    (media_dir / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0garbage")

    r = _run("index", media_dir, "--library", lib, "--json", "--workers", "0")
    assert r.exit_code == 0, r.output
    summary = json.loads(r.output)
    assert set(summary) == {"added", "updated", "unchanged", "renamed", "quarantined", "skipped", "missing"}
    assert summary["added"] == 6
    assert [(q["path"].rsplit("/", 1)[-1], q["reason"]) for q in summary["quarantined"]] == [("broken.jpg", "truncated")]

    r = _run("search", "lighthouse", "--json", env={"MEDIAGROUND_LIBRARY": str(lib)})
    assert r.exit_code == 0, r.output
    results = json.loads(r.output)["results"]
    first = results[0]
    assert {"asset_id", "path", "kind", "score", "start", "end", "why"} <= set(first)
    assert first["path"].endswith("red.jpg") and first["start"] is None and first["end"] is None
    assert "text:caption" in first["why"]

    r = _run("show", first["asset_id"][:10], "--library", lib, "--json")
    rec = json.loads(r.output)
    assert rec["asset_id"] == first["asset_id"] and rec["id_basis"] == "essence"
    assert rec["kind"] == "image" and rec["paths"][0].endswith("red.jpg")
    assert rec["metadata"]["caption"] == "Lighthouse at dawn"

    r = _run("show", media_dir / "red.jpg", "--library", lib)  # human output, by path
    assert r.exit_code == 0 and "id basis: essence" in r.output

    r = _run("search", "--image", media_dir / "blue.jpg", "--library", lib, "--json")
    assert json.loads(r.output)["results"][0]["why"] == ["vector:image"]

    r = _run("status", "--library", lib, "--json")
    assert json.loads(r.output)["assets"] == 6


def test_errors_are_messages_not_tracebacks(tmp_path):
    r = _run("search", "cat", "--library", tmp_path / "none")
    assert r.exit_code == 1 and "no library at" in r.output
    lib = tmp_path / "lib"
    Library.create(lib, text_model="fake-text", image_model="fake-image", audio_model="fake-audio").close()
    r = _run("show", "0123456789abcdef", "--library", lib)
    assert r.exit_code == 1 and "no asset with ID or path" in r.output
    r = _run("search", "--library", lib)
    assert r.exit_code == 2 and "give a TEXT query" in r.output


def test_file_id_basis_is_reported(tmp_path, media_dir, monkeypatch):
    """Where the essence can't be isolated the whole file is hashed, and `show` says so."""
    import mediaground.ingest.extract as prepare_mod
    from mediaground.ids import Essence, essence_hash, file_sha256

    heic = tmp_path / "x.heic"
    heic.write_bytes(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic" + b"\0" * 64)
    assert essence_hash(heic, "heic").basis == "file"  # no HEIC decoder: whole-file basis

    monkeypatch.setattr(prepare_mod, "essence_hash", lambda path, fmt: Essence(file_sha256(path), "file", "file"))
    lib = tmp_path / "lib"
    with Library.create(lib, text_model="fake-text", image_model="fake-image", audio_model="fake-audio") as library:
        library.ingest([media_dir / "red.jpg"], workers=0)
    r = _run("show", media_dir / "red.jpg", "--library", lib)
    assert "id basis: file (file)" in r.output and "whole-file hash used" in r.output
    rec = json.loads(_run("show", media_dir / "red.jpg", "--library", lib, "--json").output)
    assert rec["id_basis"] == "file" and rec["asset_id"] == file_sha256(media_dir / "red.jpg")[:24]


def test_spaces_doctor_and_audit_commands(fake_lib, media_dir, tmp_path):
    fake_lib.ingest([media_dir], workers=0)
    lib = fake_lib.root
    rows = json.loads(_run("spaces", "--library", lib, "--json").output)
    assert {"id", "model", "revision", "weights_sha256", "preprocessor_hash", "prompt", "dim", "vectors",
            "status"} <= set(rows[0])
    r = _run("doctor", "--library", lib)
    assert r.exit_code == 0 and "ok" in r.output
    report = json.loads(_run("audit", "alt-text", "--library", lib, "--json").output)
    assert {f["kind"] for f in report["findings"]} == {"missing-alt-text"} and len(report["findings"]) == 6
    assert {"asset_id", "path", "kind", "detail"} <= set(report["findings"][0])
    html = tmp_path / "geo.html"
    r = _run("audit", "geo", "--library", lib, "--html", html)
    assert r.exit_code == 0 and "missing-gps" in r.output and "data:image/jpeg;base64," in html.read_text()


def test_every_command_module_is_registered():
    """`main` holds exactly the commands of the modules in `COMMAND_MODULES`, and every module of the
    cli package (but the shared ones) is one of them: a new command module cannot be forgotten."""
    import pkgutil

    import mediaground.cli as cli

    assert set(main.commands) == {"index", "search", "show", "meta", "status", "mark", "spaces", "migrate", "doctor",
                                  "reindex", "audit", "export", "taxonomy", "tag", "models", "serve", "mcp"}
    registered = [c for m in cli.COMMAND_MODULES for c in m.COMMANDS]
    assert all(main.commands[c.name] is c for c in registered) and len(registered) == len(main.commands)
    modules = {m.name for m in pkgutil.iter_modules(cli.__path__)} - {"common", "__main__"}
    assert modules == {m.__name__.rsplit(".", 1)[-1] for m in cli.COMMAND_MODULES}
    assert set(main.commands["audit"].commands) == {"alt-text", "geo", "labels", "pii"}
    assert set(main.commands["export"].commands) == {"jsonld", "sanitized"}


def test_command_modules_never_import_the_cli_package():
    """Command modules import `mediaground.cli.common`, never `mediaground.cli` (no import cycles)."""
    import ast

    import mediaground.cli as cli

    for path in Path(cli.__file__).parent.glob("*.py"):
        if path.name in ("__init__.py", "__main__.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert name != "mediaground.cli" and (not name.startswith("mediaground.cli.")
                                                      or name == "mediaground.cli.common"), (path.name, name)


def test_help_does_not_load_the_library():
    """Heavy imports wait until a command runs, so `mediaground --help` stays fast."""
    code = "import sys, mediaground.cli; print(' '.join(sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert not {"mediaground.library", "torch", "lancedb", "rich", "uvicorn"} & set(loaded)


def test_a_library_error_in_a_command_is_a_message(tmp_path, monkeypatch):
    """A MediagroundError raised inside any command (by the library or not) becomes `Error: <message>`,
    exit code 1, no traceback."""
    import click

    from mediaground.errors import MediagroundError

    @click.command("raise-it")
    def raise_it():
        raise MediagroundError("the library said no")

    main.add_command(raise_it)
    try:
        r = _run("raise-it")
    finally:
        del main.commands["raise-it"]
    assert (r.exit_code, r.output) == (1, "Error: the library said no\n")

    lib = tmp_path / "lib"
    Library.create(lib, text_model="fake-text", image_model="fake-image", audio_model="fake-audio").close()

    def fail(self):
        raise MediagroundError("stats are broken")

    monkeypatch.setattr(Library, "stats", fail)
    r = _run("status", "--library", lib)
    assert (r.exit_code, r.output) == (1, "Error: stats are broken\n") and "Traceback" not in r.output
