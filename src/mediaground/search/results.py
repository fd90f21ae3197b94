"""Results: the fused candidates as what a person or an LLM reads, read from the catalog in one
batch, not one round trip per hit.

A result is an asset (one essence) cited through one of its files: the file whose words matched
(the most votes in fusion), else — when the asset was found by its pixels or sound, or by a place —
its current file the filters admit. Its path, caption and grounding are that file's; the other
files that carry the same content are listed with it (`files`), never lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mediaground.catalog import Catalog, FileRecord
from mediaground.search.fuse import Candidate
from mediaground.search.places import Allowed

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
    file_id: int | None = None           # the file cited (its path, caption and tags)
    metadata: dict[str, Any] = field(default_factory=dict)  # that file's normalized record
    files: list[dict[str, Any]] = field(default_factory=list)  # other files with the same content

    def to_dict(self) -> dict[str, Any]:
        return {"asset_id": self.asset_id, "file_id": self.file_id, "path": self.path, "kind": self.kind,
                "score": round(self.score, 6), "start": self.start, "end": self.end, "why": self.why,
                "caption": self.caption, "labels": self.labels, "moments": self.moments, "files": self.files}


def cited_file(files: list[FileRecord], cand: Candidate, allowed: Allowed | None) -> FileRecord | None:
    """The file a result cites: the best-voted matching file, else a current one (filters honoured)."""
    admitted = [f for f in files if allowed is None or f.file_id in allowed.files] or files
    by_id = {f.file_id: f for f in admitted}
    for file_id in cand.files:
        if file_id in by_id:
            return by_id[file_id]
    return admitted[0] if admitted else None  # files come in of_asset order: the display file first


def hydrate(catalog: Catalog, best: list[tuple[str, Candidate]], allowed: Allowed | None = None) -> list[Result]:
    ids = [a for a, _ in best]
    assets = catalog.assets.get_many(ids)
    files = catalog.files.of_assets(ids)
    labels = catalog.labels.of_many(ids)
    out = []
    for asset_id, cand in best:
        asset = assets.get(asset_id)
        mine = files.get(asset_id, [])
        cited = cited_file(mine, cand, allowed)
        md = cited.metadata if cited else {}
        others = [{"file_id": f.file_id, "path": f.path} for f in mine
                  if f.current and (cited is None or f.file_id != cited.file_id)]
        out.append(Result(asset_id=asset_id, path=cited.path if cited else None, kind=asset.kind if asset else "?",
                          score=cand.score, start=cand.start, end=cand.end, why=cand.why,
                          caption=md.get("caption") or md.get("title"),
                          labels=[lab for lab, _ in labels.get(asset_id, [])[:LABELS_SHOWN]], moments=cand.moments,
                          file_id=cited.file_id if cited else None, metadata=md, files=others))
    return out
