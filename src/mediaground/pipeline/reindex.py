"""Rebuild every vector from the truth (stored originals + catalog metadata).

The vector index is derived data: each active space is dropped and refilled from the stored
originals and the catalog by `fill_space` (the same code `migrate` and `reindex --space` run), so a
lost or damaged `vectors/` folder is never a loss. Image spaces go first: they remake the labels
that the text space's label bridges embed. Transcripts are catalog data and are not remade.
"""

from __future__ import annotations

from mediaground.pipeline.fill import fill_space

ORDER = {"image": 0, "audio": 1, "text": 3}  # added roles (2) between: they depend on nothing


def reindex(lib, progress=None) -> dict[str, int]:
    cat = lib.catalog
    roles = dict(cat.db.execute("SELECT space_id, role FROM spaces").fetchall())
    spaces = sorted(lib.spaces_in_use(), key=lambda s: ORDER.get(roles[s.id], 2))
    vectors = 0
    for space in spaces:
        vectors += fill_space(lib, space.id, progress, rebuild=True)["vectors"]
    ids = [s.id for s in spaces]
    marks = ",".join("?" * len(ids))
    failed = cat.db.execute(f"SELECT COUNT(DISTINCT asset_id) FROM space_assets WHERE space_id IN ({marks})"
                            " AND error IS NOT NULL", ids).fetchone()[0]
    assets = [r[0] for r in cat.db.execute("SELECT asset_id FROM assets ORDER BY asset_id")]
    with cat.transaction():
        for asset_id in assets:
            cat.log(asset_id, "reembedded", spaces=ids)
    return {"assets": len(assets), "vectors": vectors, "failed": failed}
