"""The full-text paths: assets whose document mentions the query's words (assets that mention
every word before those that mention some), and recordings whose transcript says them — each
candidate saying which fields or moments matched."""

from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from mediaground.catalog import Catalog
from mediaground.search.fuse import Candidate, Ranking
from mediaground.search.places import Allowed
from mediaground.search.vectors import MOMENTS, trust_less, unsure_transcripts


def document_path(catalog: Catalog, words: list[str], pool: int, kinds: Sequence[str] | None,
                  allowed: Allowed | None) -> Ranking:
    """Files whose document mentions the words, one candidate per asset (its best file first; other
    files of the asset that matched too are named after it). The filters and kinds restrict the
    full-text query itself, so a file they admit is never cut by the hits they do not."""
    files_in = allowed.files if allowed is not None else None
    hits = _all_then_any(lambda all_words: catalog.fulltext.search(words, all_words, pool * 2, files_in, kinds),
                         words, key=0)
    order = list(dict.fromkeys(h[1] for h in hits))[:pool]
    files: dict[str, list[int]] = {}
    for file_id, asset_id, _ in hits:
        files.setdefault(asset_id, []).append(file_id)
    fields = catalog.fulltext.fields_of_many([files[a][0] for a in order])
    out = []
    for asset_id in order:
        why, matched = _why(fields.get(files[asset_id][0], {}), words)
        out.append((asset_id, Candidate(why=why, weight=matched / len(words), files=files[asset_id])))
    return out


def transcript_path(catalog: Catalog, words: list[str], pool: int, kinds: Sequence[str] | None,
                    allowed: Allowed | None) -> Ranking | None:
    """Transcript segments that say the query's words; one candidate per recording, best first."""
    if not catalog.audio.has_segments():
        return None
    assets_in = allowed.assets if allowed is not None else None
    hits = _all_then_any(lambda all_words: catalog.audio.search(words, all_words, pool * 3, assets_in, kinds),
                         words, key=1)
    segments = catalog.audio.segments_by_id([c for _, c, _ in hits])
    unsure = unsure_transcripts(catalog, list(dict.fromkeys(h[0] for h in hits)))
    by_asset: dict[str, Candidate] = {}
    for asset_id, chunk_id, _ in hits:
        seg = segments.get(chunk_id)
        if seg is None:
            continue
        cand = by_asset.get(asset_id)
        if cand is None:
            matched = len(mentions(seg.text, words))
            cand = by_asset[asset_id] = Candidate(why=["text:transcript"], start=seg.start, end=seg.end,
                                                  weight=max(1, matched) / len(words))
            if asset_id in unsure:
                trust_less(cand)
        if len(cand.moments) < MOMENTS:
            cand.moments.append({"start": seg.start, "end": seg.end, "text": seg.text, "why": "text:transcript"})
    return list(by_asset.items())[:pool]


def _all_then_any(search, words: list[str], key: int) -> list:
    """Hits that mention every word, then those that mention some (each hit once)."""
    hits = search(True)
    if len(words) > 1:
        seen = {h[key] for h in hits}
        hits += [h for h in search(False) if h[key] not in seen]
    return hits


def _why(fields: dict[str, str], words: list[str]) -> tuple[list[str], int]:
    """Which fields mention the query words, and how many distinct words are mentioned at all."""
    why, matched = [], set()
    for column, text in fields.items():
        if not text:
            continue
        if column == "labels":
            for label in text.split("; "):
                if hits := mentions(label, words):
                    why.append(f"label:{label.split(',')[0]}")
                    matched |= hits
        elif hits := mentions(text, words):
            why.append(f"text:{column}")
            matched |= hits
    return why, max(1, len(matched))


def mentions(text: str, words: list[str]) -> set[str]:
    """The query words some word of `text` starts with (case and accents folded)."""
    have = re.findall(r"\w+", _fold(text))
    return {w for w in map(_fold, words) if any(h.startswith(w) for h in have)}


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text.lower()) if not unicodedata.combining(c))
