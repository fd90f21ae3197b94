"""`mediaground serve` (HTTP API and web UI) and `mediaground mcp` (the MCP server)."""

from __future__ import annotations

from pathlib import Path

import click

from mediaground.cli.common import library_option, open_library
from mediaground.config import default_library_path

# Imports inside the commands are deferred so that `mediaground --help` stays fast.


@click.command()
@library_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind (localhost by default).")
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--read-token", envvar="MEDIAGROUND_READ_TOKEN", help="Require this bearer token for reads.")
@click.option("--write-token", envvar="MEDIAGROUND_WRITE_TOKEN",
              help="Bearer token for ingest and metadata edits (writes are disabled without one).")
def serve(library_path, host, port, read_token, write_token):
    """Serve the HTTP API (OpenAPI at /openapi.json) and the web UI."""
    import uvicorn

    from mediaground.api.http import create_app

    path = _existing_library(library_path)
    app = create_app(path, read_token=read_token, write_token=write_token)
    click.echo(f"serving {Path(path).resolve()} on http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")


@click.command()
@library_option
@click.option("--http", "http_port", type=int, default=None, help="Serve streamable HTTP on this port instead of stdio.")
@click.option("--host", default="127.0.0.1", show_default=True)
def mcp(library_path, http_port, host):
    """Run the MCP server (stdio by default) so an LLM can search and cite the library."""
    from mediaground.api.mcp_server import run_http, run_stdio

    path = _existing_library(library_path)
    if http_port:
        run_http(path, host=host, port=http_port)
    else:
        run_stdio(path)


def _existing_library(library_path: Path | None) -> Path:
    """The library's path, after opening it once: fail early, with a message, if there is none."""
    path = library_path or default_library_path()
    with open_library(path):
        pass
    return path


COMMANDS = [serve, mcp]
