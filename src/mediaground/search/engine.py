"""Hybrid search: vector paths (text space, image space) and a full-text path, fused by
reciprocal rank, each result saying which paths found it and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from mediaground.errors import BadMediaError, MediagroundError

RRF_K = 60
LOW_CONFIDENCE_WEIGHT = 0.5
PLACE_RADIUS_KM = 25.0  # a place named in a query boosts assets taken within this distance
MOMENTS = 3  # timestamped matches kept per recording: one result per asset, its best moments inside
# Nearest neighbours always exist; a vector hit counts only if it is close in absolute terms and
# relative to the best hit of the same query (cosine, MiniLM-scale).
MIN_SIMILARITY = 0.15
RELATIVE_FLOOR = 0.5
STOPWORDS = frozenset("""a an the and or of in on at to for with without by from into over under near
is are was were be this that these those it its photo photos image images picture pictures
show shows showing me find some any""".split())


@dataclass
class Query:
    text: str | None = None
    image: str | None = None
    audio: str | None = None
    asset: str | None = None
    kind: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    near: tuple[float, float] | None = None     # with radius_km: a filter, and ranking by distance
    radius_km: float | None = None
    bbox: tuple[float, float, float, float] | None = None  # min_lat, min_lon, max_lat, max_lon
    creator: str | None = None     # exact filters on the normalized record (case-insensitive)
    keyword: str | None = None
    license: str | None = None     # matches the license URL or the copyright notice (substring)
    has_gps: bool | None = None
    limit: int = 10


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


@dataclass
class _Candidate:
    why: list[str] = field(default_factory=list)
    score: float = 0.0
    weight: float = 1.0  # share of the query this path's hit covers (full text: words matched)
    moments: list[dict[str, Any]] = field(default_factory=list)
    start: float | None = None
    end: float | None = None


def tokens(text: str) -> list[str]:
    """Query words for the full-text path: lowercased, stopwords out, plural 's' folded."""
    out = []
    for word in re.findall(r"\w+", text.lower()):
        if word in STOPWORDS or len(word) < 2:
            continue
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word not in out:
            out.append(word)
    return out


def _match_expression(words: list[str], op: str) -> str:
    return f" {op} ".join(f'"{w}"*' for w in words)


def search(lib, q: Query) -> list[Result]:
    filters_only = q.creator or q.keyword or q.license or q.has_gps is not None
    if not (q.text or q.image or q.audio or q.asset or q.near or q.bbox or filters_only):
        raise MediagroundError("give a text query, an image or audio file, an asset ID, a place or a filter")
    if q.limit <= 0:
        raise MediagroundError("limit must be positive")
    cat = lib.catalog
    primary, added = lib.primary_spaces(), lib.added_spaces()  # every pin checked before any vector is compared
    kinds = [q.kind] if q.kind else None
    allowed = _allowed_assets(cat, q)
    pool = max(q.limit * 5, 50)
    ranked: list[list[tuple[str, _Candidate]]] = []

    if q.text:
        qv = lib.text_model.embed_texts([q.text])[0]
        ranked.append(_text_vector_path(lib, qv, pool, kinds, allowed))
        words = tokens(q.text)
        if words:
            ranked.append(_fulltext_path(lib, words, pool, kinds, allowed))
            ranked.append(_transcript_fulltext_path(lib, words, pool, kinds, allowed))
    if q.image or (q.asset and lib.catalog.asset_row(lib.resolve(q.asset))["kind"] == "image"):
        ranked.append(_image_vector_path(lib, q, pool, kinds, allowed))
    elif q.audio or q.asset:
        ranked.append(_audio_vector_path(lib, q, pool, kinds, allowed))
    for space in added:  # e.g. CLIP beside the bundled models: one more vote each
        ranked.append(_added_space_path(lib, space, q, pool, kinds, allowed))
    if q.text:  # a primary image/audio model that also reads text (e.g. CLIP in the image role)
        for space in primary[1:]:
            if "text" in lib.model_for(space).inputs:
                words_only = replace(q, image=None, audio=None, asset=None)
                ranked.append(_added_space_path(lib, space, words_only, pool, kinds, allowed))
    ranked.append(_geo_path(lib, q, kinds, allowed))
    if not (q.text or q.image or q.audio or q.asset or q.near or q.bbox) and allowed is not None:
        ranked.append(_listing(lib, kinds, allowed))  # filters alone: list what they admit, newest first
    ranked = [r for r in ranked if r]  # paths with no candidates neither vote nor scale

    fused: dict[str, _Candidate] = {}
    for ranking in ranked:
        for rank, (asset_id, cand) in enumerate(ranking):
            acc = fused.setdefault(asset_id, _Candidate())
            acc.score += cand.weight / (RRF_K + rank + 1)
            acc.why.extend(w for w in cand.why if w not in acc.why)
            if acc.start is None and cand.start is not None:
                acc.start, acc.end = cand.start, cand.end
            for m in cand.moments:
                if all(abs(m["start"] - o["start"]) > 0.5 for o in acc.moments):
                    acc.moments.append(m)
    # scale so that an asset ranked first by every path that found anything scores 1.0
    top_possible = max(1, len(ranked)) / (RRF_K + 1)
    for cand in fused.values():
        cand.score /= top_possible
    best = sorted(fused.items(), key=lambda kv: (-kv[1].score, kv[0]))[: q.limit]
    return [_result(lib, asset_id, cand) for asset_id, cand in best]


def _allowed_assets(cat, q: Query) -> list[str] | None:
    """The assets the filters admit (None: no filter). Date and place filters run in the catalog."""
    if not (q.date_from or q.date_to or q.near or q.bbox or q.creator or q.keyword or q.license
            or q.has_gps is not None):
        return None
    sql, args = "SELECT asset_id, lat, lon FROM assets WHERE 1=1", []
    if q.creator:
        sql += (" AND (EXISTS (SELECT 1 FROM json_each(metadata, '$.creator') WHERE lower(value) = lower(?))"
                " OR lower(json_extract(metadata, '$.artist')) = lower(?))")
        args += [q.creator, q.creator]
    if q.keyword:
        sql += " AND EXISTS (SELECT 1 FROM json_each(metadata, '$.keywords') WHERE lower(value) = lower(?))"
        args.append(q.keyword)
    if q.license:
        sql += (" AND (instr(lower(coalesce(json_extract(metadata, '$.license_url'), '')), lower(?)) > 0"
                " OR instr(lower(coalesce(json_extract(metadata, '$.copyright'), '')), lower(?)) > 0)")
        args += [q.license, q.license]
    if q.has_gps is not None:
        sql += " AND lat IS NOT NULL" if q.has_gps else " AND lat IS NULL"
    if q.date_from or q.date_to:
        sql += " AND date_created IS NOT NULL"
    if q.date_from:
        sql += " AND date_created >= ?"
        args.append(q.date_from)
    if q.date_to:
        sql += " AND substr(date_created, 1, ?) <= ?"
        args += [len(q.date_to), q.date_to]
    if q.kind:
        sql += " AND kind = ?"
        args.append(q.kind)
    if q.near or q.bbox:
        sql += " AND lat IS NOT NULL"
    rows = cat.db.execute(sql, args).fetchall()
    if q.bbox:
        from mediaground.geo.points import in_bbox

        rows = [r for r in rows if in_bbox((r[1], r[2]), q.bbox)]
    if q.near and q.radius_km is not None:
        from mediaground.geo.points import haversine_km

        rows = [r for r in rows if haversine_km(q.near, (r[1], r[2])) <= q.radius_km]
    return [r[0] for r in rows]


def _listing(lib, kinds, allowed) -> list[tuple[str, _Candidate]]:
    rows = lib.catalog.db.execute(
        f"SELECT asset_id, kind FROM assets WHERE asset_id IN ({', '.join('?' * len(allowed))})"
        " ORDER BY date_created DESC, asset_id", allowed).fetchall() if allowed else []
    return [(a, _Candidate(why=["filter"])) for a, kind in rows if not kinds or kind in kinds]


def _geo_path(lib, q: Query, kinds, allowed):
    """Rank located assets by distance: from --near, or from a place named in the text query
    (resolved in the offline gazetteer), within PLACE_RADIUS_KM of it."""
    from mediaground.geo.gazetteer import find_place_in_query
    from mediaground.geo.points import haversine_km

    centre, label, radius = q.near, "near", q.radius_km
    if not lib.catalog.db.execute("SELECT 1 FROM assets WHERE lat IS NOT NULL LIMIT 1").fetchone():
        return None  # nothing located: don't load the gazetteer
    if centre is None and q.text:
        found = find_place_in_query(q.text)
        if found is None:
            return None
        place, matched = found
        centre, label, radius = (place.lat, place.lon), f"place:{matched}", PLACE_RADIUS_KM
    if centre is None and q.bbox and not (q.text or q.image or q.audio or q.asset):
        lat0, lon0, lat1, lon1 = q.bbox  # a box alone: everything inside it, from its centre out
        centre, label = ((lat0 + lat1) / 2, (lon0 + lon1) / 2 if lon0 <= lon1 else ((lon0 + lon1 + 360) / 2 + 180) % 360 - 180), "in-bbox"
    if centre is None:
        return None
    sql, args = "SELECT asset_id, lat, lon FROM assets WHERE lat IS NOT NULL", []
    if kinds:
        sql += f" AND kind IN ({', '.join('?' * len(kinds))})"
        args += list(kinds)
    allowed_set = set(allowed) if allowed is not None else None
    scored = []
    for asset_id, lat, lon in lib.catalog.db.execute(sql, args):
        if allowed_set is not None and asset_id not in allowed_set:
            continue
        d = haversine_km(centre, (lat, lon))
        if radius is None or d <= radius:
            scored.append((d, asset_id))
    scored.sort()
    return [(a, _Candidate(why=[f"{label} ({d:.1f} km)"])) for d, a in scored]


def _text_vector_path(lib, qv, pool, kinds, allowed) -> list[tuple[str, _Candidate]]:
    hits = lib.index.search(lib.text_space.id, qv, pool, kinds=kinds, asset_ids=allowed)
    if hits:
        floor = max(MIN_SIMILARITY, RELATIVE_FLOOR * hits[0].score)
        hits = [h for h in hits if h.score >= floor]
    by_asset: dict[str, _Candidate] = {}
    order: list[str] = []
    names = lib.image_model.labels
    label_index = {n: i for i, n in enumerate(names)}
    for hit in hits:
        cand = by_asset.get(hit.asset_id)
        if cand is None:
            cand = by_asset[hit.asset_id] = _Candidate(score=hit.score, start=hit.start, end=hit.end)
            order.append(hit.asset_id)
        if hit.part == "segment":
            if "vector:transcript" not in cand.why:
                cand.why.append("vector:transcript")
                _trust(lib, hit.asset_id, cand)
            if len(cand.moments) < MOMENTS:
                cand.moments.append(_moment(lib, hit.chunk_id, hit.start, hit.end, hit.score, "vector:transcript"))
        elif hit.part == "labels":
            ids = [label_index[n] for n, _ in lib.catalog.labels(hit.asset_id) if n in label_index]
            for i in lib.bridge.explain(qv, ids, n=1):
                cand.why.append(f"label:{names[i]}")
        else:
            cand.why.append(f"vector:{hit.part}")
    return [(a, by_asset[a]) for a in order]


def _transcript_fulltext_path(lib, words, pool, kinds, allowed):
    """Transcript segments that say the query's words; one candidate per recording, best first."""
    cat = lib.catalog
    if not cat.db.execute("SELECT 1 FROM segments LIMIT 1").fetchone():
        return None
    hits = cat.segments_search(_match_expression(words, "AND"), pool * 3)
    if len(words) > 1:
        seen = {c for _, c, _ in hits}
        hits += [h for h in cat.segments_search(_match_expression(words, "OR"), pool * 3) if h[1] not in seen]
    allowed_set = set(allowed) if allowed is not None else None
    by_asset: dict[str, _Candidate] = {}
    for asset_id, chunk_id, _ in hits:
        if allowed_set is not None and asset_id not in allowed_set:
            continue
        seg = cat.segment(chunk_id)
        matched = len(_mentions(seg["text"], words))
        cand = by_asset.get(asset_id)
        if cand is None:
            if kinds and cat.asset_row(asset_id)["kind"] not in kinds:
                continue
            cand = by_asset[asset_id] = _Candidate(why=["text:transcript"], start=seg["start"], end=seg["end"],
                                                   weight=max(1, matched) / len(words))
            _trust(lib, asset_id, cand)
        if len(cand.moments) < MOMENTS:
            cand.moments.append({"start": seg["start"], "end": seg["end"], "text": seg["text"],
                                 "why": "text:transcript"})
    return list(by_asset.items())[:pool]


def _trust(lib, asset_id: str, cand: _Candidate) -> None:
    """A transcript the speech model was not confident about (other language, lyrics, mumble)
    still counts, at half weight, and the result says so."""
    info = lib.catalog.audio_info(asset_id)
    if info is not None and info["language"] is None:
        cand.weight *= LOW_CONFIDENCE_WEIGHT
        if "transcript:low-confidence" not in cand.why:
            cand.why.append("transcript:low-confidence")


def _moment(lib, chunk_id, start, end, score, why) -> dict[str, Any]:
    seg = lib.catalog.segment(chunk_id)
    return {"start": start, "end": end, "text": seg["text"] if seg else None, "why": why,
            "similarity": round(float(score), 4)}


def _audio_vector_path(lib, q: Query, pool, kinds, allowed):
    """Recordings and moments that sound like the query clip (or asset), by acoustic windows."""
    from mediaground.media.audio import decode_audio

    if not lib.catalog.db.execute("SELECT 1 FROM spaces WHERE role='audio'").fetchone():
        return None
    space, exclude = lib.audio_space, None
    if q.asset:
        exclude = lib.resolve(q.asset)
        vecs = _stored_vectors(lib, space.id, exclude)
        if not vecs:
            raise MediagroundError(f"asset {exclude} has no audio vectors in {space.id}")
    else:
        try:
            vecs, _ = lib.audio_model.embed_windows(decode_audio(q.audio))
        except BadMediaError as exc:
            raise MediagroundError(f"cannot read {q.audio} as audio: {exc}") from exc
    query = np.mean(np.asarray(vecs, np.float32), axis=0)
    query /= max(float(np.linalg.norm(query)), 1e-12)
    hits = lib.index.search(space.id, query, pool * 4, kinds=kinds, asset_ids=allowed, parts=["window"])
    by_asset: dict[str, _Candidate] = {}
    for h in hits:
        if h.asset_id == exclude:
            continue
        cand = by_asset.get(h.asset_id)
        if cand is None:
            cand = by_asset[h.asset_id] = _Candidate(why=["vector:audio"], start=h.start, end=h.end)
        if len(cand.moments) < MOMENTS:
            cand.moments.append({"start": h.start, "end": h.end, "why": "vector:audio",
                                 "similarity": round(h.score, 4)})
    return list(by_asset.items())[:pool]


def _fulltext_path(lib, words, pool, kinds, allowed) -> list[tuple[str, _Candidate]]:
    cat = lib.catalog
    # assets that mention every word rank before those that mention some
    hits = cat.fts_search(_match_expression(words, "AND"), pool * 2)
    if len(words) > 1:
        seen = {a for a, _ in hits}
        hits += [h for h in cat.fts_search(_match_expression(words, "OR"), pool * 2) if h[0] not in seen]
    allowed_set = set(allowed) if allowed is not None else None
    out = []
    for asset_id, _ in hits:
        if allowed_set is not None and asset_id not in allowed_set:
            continue
        if kinds:
            row = cat.asset_row(asset_id)
            if row is None or row["kind"] not in kinds:
                continue
        why, matched = _fts_why(lib, asset_id, words)
        out.append((asset_id, _Candidate(why=why, weight=matched / len(words))))
        if len(out) >= pool:
            break
    return out


def _fts_why(lib, asset_id: str, words: list[str]) -> tuple[list[str], int]:
    """Which fields mention the query words, and how many distinct words are mentioned at all."""
    why, matched = [], set()
    for column, text in lib.catalog.fts_fields(asset_id).items():
        if not text:
            continue
        if column == "labels":
            for label in text.split("; "):
                if hits := _mentions(label, words):
                    why.append(f"label:{label.split(',')[0]}")
                    matched |= hits
        elif hits := _mentions(text, words):
            why.append(f"text:{column}")
            matched |= hits
    return why, max(1, len(matched))


def _mentions(text: str, words: list[str]) -> set[str]:
    have = re.findall(r"\w+", _fold(text))
    return {w for w in map(_fold, words) if any(h.startswith(w) for h in have)}


def _fold(text: str) -> str:
    import unicodedata

    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))


def _image_vector_path(lib, q: Query, pool, kinds, allowed) -> list[tuple[str, _Candidate]]:
    space = lib.image_space
    exclude = None
    if q.asset:
        asset_id = lib.resolve(q.asset)
        vector = lib.index.get(space.id, f"{asset_id}:image")
        if vector is None:
            raise MediagroundError(f"asset {asset_id} has no image vector in {space.id}")
        exclude = asset_id
    else:
        vector = embed_image_file(lib, q.image)
    hits = lib.index.search(space.id, vector, pool + 1, kinds=kinds, asset_ids=allowed, parts=["image"])
    return [(h.asset_id, _Candidate(why=["vector:image"], score=h.score)) for h in hits if h.asset_id != exclude]


def _added_space_path(lib, space, q: Query, pool, kinds, allowed):
    """An added space answers the query modalities its model takes; its hits group by asset."""
    model = lib.model_for(space)
    exclude, why = None, f"vector:{space.model_id}"
    if q.text and "text" in model.inputs:
        vector = model.embed_texts([q.text])[0]
    elif q.image and "image" in model.inputs:
        vector = embed_image_file(lib, q.image, model)
    elif q.audio and "audio" in model.inputs:
        from mediaground.media.audio import decode_audio

        try:
            vecs, _ = model.embed_windows(decode_audio(q.audio))
        except BadMediaError as exc:
            raise MediagroundError(f"cannot read {q.audio} as audio: {exc}") from exc
        vector = _mean_unit(vecs)
    elif q.asset:
        exclude = lib.resolve(q.asset)
        vecs = _stored_vectors(lib, space.id, exclude)
        if not vecs:
            return None
        vector = _mean_unit(vecs)
    else:
        return None
    by_asset: dict[str, _Candidate] = {}
    for h in lib.index.search(space.id, vector, pool * 4, kinds=kinds, asset_ids=allowed):
        if h.asset_id == exclude:
            continue
        cand = by_asset.get(h.asset_id)
        if cand is None:
            cand = by_asset[h.asset_id] = _Candidate(why=[why], score=h.score, start=h.start, end=h.end)
        if h.part == "window" and len(cand.moments) < MOMENTS:
            cand.moments.append({"start": h.start, "end": h.end, "why": why, "similarity": round(h.score, 4)})
    return list(by_asset.items())[:pool]


def _stored_vectors(lib, space_id: str, asset_id: str) -> list[np.ndarray]:
    rows = lib.catalog.db.execute("SELECT chunk_id FROM vectors WHERE asset_id=? AND space_id=?",
                                  (asset_id, space_id)).fetchall()
    return [v for v in (lib.index.get(space_id, r[0]) for r in rows) if v is not None]


def _mean_unit(vecs) -> np.ndarray:
    v = np.mean(np.asarray(vecs, np.float32), axis=0)
    return v / max(float(np.linalg.norm(v)), 1e-12)


def embed_image_file(lib, path: str, model=None) -> np.ndarray:
    from mediaground.media.image import decode_image

    model = model or lib.image_model
    pre = model.preprocessor
    try:
        decoded = decode_image(path, pre.resize_shorter)
    except FileNotFoundError as exc:
        raise MediagroundError(f"no such file: {path}") from exc
    except BadMediaError as exc:
        raise MediagroundError(f"cannot read {path} as an image: {exc}") from exc
    feats, _ = model.run(pre(decoded.image)[None])
    return feats[0]


def _result(lib, asset_id: str, cand: _Candidate) -> Result:
    import json

    row = lib.catalog.asset_row(asset_id)
    path = lib.catalog.display_path(asset_id)
    md = json.loads(row["metadata"]) if row else {}
    return Result(asset_id=asset_id, path=path, kind=row["kind"] if row else "?",
                  score=cand.score, start=cand.start, end=cand.end, why=cand.why,
                  caption=md.get("caption") or md.get("title"),
                  labels=[lab for lab, _ in lib.catalog.labels(asset_id)[:3]], moments=cand.moments)
