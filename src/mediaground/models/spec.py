"""Model specs: a model id, optionally followed by options in URL query form.

``efficientnet-lite0?resample=bicubic`` names the backend ``efficientnet-lite0`` with the option
``resample=bicubic``; ``clip?path=/models/clip-vit-b32`` a CLIP checkpoint folder. This module only
reads and writes the text; which ids exist (and what an alias stands for) is the registry's.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode


def spec_name(spec: str) -> str:
    """The id (or alias) a spec starts with, as written."""
    return spec.partition("?")[0]


def split_spec(spec: str) -> tuple[str, dict[str, str]]:
    """``"name?k=v&k2=v2"`` → (name as written, options). The name is not resolved."""
    name, _, query = spec.strip().partition("?")
    options = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query)))
    return name, options


def format_spec(model_id: str, options: dict[str, str] | None = None) -> str:
    """The canonical spec string: id, then options sorted by key."""
    if not options:
        return model_id
    return f"{model_id}?{urlencode(sorted((str(k), str(v)) for k, v in options.items()))}"
