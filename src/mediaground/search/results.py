"""Results: the fused candidates as what a person or an LLM reads — path, kind, caption, labels,
the best moments — read from the catalog in one batch, not one round trip per hit."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediaground.catalog import Catalog
from mediaground.search.fuse import Candidate

LABELS_SHOWN = 3


@dataclass
class Result:
    asset_id: str
    path: str | None
    kind: str
    score: float
    start: float | None = None
    end: float | None = None
    why: list[str] = field(default_factory=list)
    caption: str | None = None
    labels: list[str] = field(default_factory=list)
    moments: list[dict[str, Any]] = field(default_factory=list)  # best timestamped matches, best first

    def to_dict(self) -> dict[str, Any]:
        return {"asset_id": self.asset_id, "path": self.path, "kind": self.kind, "score": round(self.score, 6),
                "start": self.start, "end": self.end, "why": self.why, "caption": self.caption,
                "labels": self.labels, "moments": self.moments}


def hydrate(catalog: Catalog, best: list[tuple[str, Candidate]]) -> list[Result]:
    ids = [a for a, _ in best]
    assets = catalog.assets.get_many(ids)
    paths = catalog.files.display_paths(ids)
    labels = catalog.labels.of_many(ids)
    out = []
    for asset_id, cand in best:
        asset = assets.get(asset_id)
        md = asset.metadata if asset else {}
        out.append(Result(asset_id=asset_id, path=paths.get(asset_id), kind=asset.kind if asset else "?",
                          score=cand.score, start=cand.start, end=cand.end, why=cand.why,
                          caption=md.get("caption") or md.get("title"),
                          labels=[lab for lab, _ in labels.get(asset_id, [])[:LABELS_SHOWN]], moments=cand.moments))
    return out
