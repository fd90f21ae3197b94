"""Search, top to bottom: parse the query → embed it in each active space → the vector, full-text
and geo paths → fuse → results. Each result says which paths found it and why.

Paths: the text space (metadata text, label bridges, transcripts), the document and transcript
full text, the image or audio space (query by example file or asset), every added space (e.g.
CLIP) and a primary image/audio space whose model also reads text, and places. Filters run in the
catalog first and restrict every path.
"""

from __future__ import annotations

from dataclasses import replace

from mediaground.catalog import Catalog
from mediaground.index.base import VectorIndex
from mediaground.lookup import resolve_asset
from mediaground.search.fulltext import document_path, transcript_path
from mediaground.search.fuse import Ranking, fuse
from mediaground.search.places import allowed_files, geo_path, listing
from mediaground.search.query import Query, tokens
from mediaground.search.results import Result, hydrate
from mediaground.search.vectors import added_path, audio_path, image_path, text_path
from mediaground.spaces.active import ActiveSpaces


def search(catalog: Catalog, index: VectorIndex, spaces: ActiveSpaces, q: Query) -> list[Result]:
    q.check()
    primary, added = spaces.primary(), spaces.added()  # every pin checked before any vector is compared
    kinds = [q.kind] if q.kind else None
    allowed = allowed_files(catalog, q)
    assets = allowed.assets if allowed is not None else None  # the vector index prefilters by asset
    pool = max(q.limit * 5, 50)
    asset_id = resolve_asset(catalog, q.asset) if q.asset else None
    ranked: list[Ranking | None] = []

    if q.text:
        qv = spaces.text_model.embed_texts([q.text])[0]
        ranked.append(text_path(catalog, index, spaces, qv, pool, kinds, allowed))
        words = tokens(q.text)
        if words:
            ranked.append(document_path(catalog, words, pool, kinds, allowed))
            ranked.append(transcript_path(catalog, words, pool, kinds, allowed))
    if q.image or (asset_id is not None and catalog.assets.get(asset_id).kind == "image"):
        ranked.append(image_path(catalog, index, spaces, q, asset_id, pool, kinds, assets))
    elif q.audio or asset_id is not None:
        ranked.append(audio_path(catalog, index, spaces, q, asset_id, pool, kinds, assets))
    for space in added:  # e.g. CLIP beside the bundled models: one more vote each
        ranked.append(added_path(catalog, index, spaces, space, q, asset_id, pool, kinds, assets))
    if q.text:  # a primary image/audio model that also reads text (e.g. CLIP in the image role)
        words_only = replace(q, image=None, audio=None, asset=None)
        for space in primary[1:]:
            if "text" in spaces.model_for(space).inputs:
                ranked.append(added_path(catalog, index, spaces, space, words_only, None, pool, kinds, assets))
    ranked.append(geo_path(catalog, q, allowed))
    if not q.ranks_anything and allowed is not None:
        ranked.append(listing(catalog, kinds, allowed))
    return hydrate(catalog, fuse([r for r in ranked if r], q.limit), allowed)
