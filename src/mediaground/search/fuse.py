"""Fuse: one ranking from the rankings of several paths, by reciprocal rank.

Each path (a vector space, the full text, transcripts, a place) ranks the assets it found; an
asset's score is the sum over paths of weight / (RRF_K + rank), scaled so that an asset ranked
first by every path that found anything scores 1.0. A path's `weight` is the share of the query
its hit covers (e.g. how many of the query's words a full-text hit mentions). The reasons (`why`)
and timestamped moments of every path that found an asset are kept, and so are the files whose
words matched: each file gets the votes of the paths that named it, and the result cites the file
with the most.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

RRF_K = 60
SAME_MOMENT_S = 0.5  # moments closer than this are one moment


@dataclass
class Candidate:
    """What one path says about one asset."""

    why: list[str] = field(default_factory=list)
    score: float = 0.0
    weight: float = 1.0  # share of the query this path's hit covers (full text: words matched)
    moments: list[dict[str, Any]] = field(default_factory=list)
    start: float | None = None
    end: float | None = None
    files: list[int] = field(default_factory=list)  # the files whose words matched, best first
    votes: dict[int, float] = field(default_factory=dict)  # (fused) file → its share of the score


Ranking = Sequence[tuple[str, Candidate]]  # (asset_id, candidate), best first


def fuse(rankings: Sequence[Ranking], limit: int) -> list[tuple[str, Candidate]]:
    """The best `limit` assets over all rankings, best first (ties by asset ID). Empty rankings
    neither vote nor scale."""
    rankings = [r for r in rankings if r]
    fused: dict[str, Candidate] = {}
    for ranking in rankings:
        for rank, (asset_id, cand) in enumerate(ranking):
            acc = fused.setdefault(asset_id, Candidate())
            share = cand.weight / (RRF_K + rank + 1)
            acc.score += share
            for file_id in cand.files:
                acc.votes[file_id] = acc.votes.get(file_id, 0.0) + share
            acc.why.extend(w for w in cand.why if w not in acc.why)
            if acc.start is None and cand.start is not None:
                acc.start, acc.end = cand.start, cand.end
            for m in cand.moments:
                if all(abs(m["start"] - o["start"]) > SAME_MOMENT_S for o in acc.moments):
                    acc.moments.append(m)
    top_possible = max(1, len(rankings)) / (RRF_K + 1)
    for cand in fused.values():
        cand.score /= top_possible
        cand.files = sorted(cand.votes, key=lambda f: (-cand.votes[f], f))
    return sorted(fused.items(), key=lambda kv: (-kv[1].score, kv[0]))[:limit]
