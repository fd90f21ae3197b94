"""Rebuild every vector from the truth (stored originals + catalog records).

The vector index is derived data: each active space is dropped and refilled by `Filler.fill` (the
same code `migrate` and `reindex --space` run), so a lost or damaged `vectors/` folder is never a
loss. Image spaces go first: they remake the labels that the text space's label bridges embed.
Transcripts are catalog data and are not remade. Models whose pins no longer match are accepted
first (`ActiveSpaces.repin`): their old spaces are retired, never mixed with the new vectors.
"""

from __future__ import annotations

from mediaground.progress import ProgressFn
from mediaground.spaces.fill import Filler

ORDER = {"image": 0, "audio": 1, "text": 3}  # added roles (2) between: they depend on nothing


def reindex(filler: Filler, progress: ProgressFn | None = None) -> dict[str, int]:
    catalog, spaces = filler.catalog, filler.spaces
    for retired in spaces.repin():
        filler.index.drop(retired)
    roles = {r.space_id: r.role for r in catalog.spaces.all()}
    in_use = sorted(spaces.in_use(), key=lambda s: ORDER.get(roles[s.id], 2))
    vectors = sum(filler.fill(space.id, progress, rebuild=True)["vectors"] for space in in_use)
    ids = [s.id for s in in_use]
    failed = catalog.fills.failed_assets(ids)
    assets = catalog.assets.ids()
    with catalog.transaction():
        catalog.history.log_many(assets, "reembedded", spaces=ids)
    return {"assets": len(assets), "vectors": vectors, "failed": failed}
