"""Reciprocal-rank fusion on its own: no library, no models — rankings in, one ranking out."""

from __future__ import annotations

import pytest

from mediaground.search.fuse import RRF_K, Candidate, fuse


def _ranking(*ids: str, why: str = "p", weight: float = 1.0):
    return [(a, Candidate(why=[why], weight=weight)) for a in ids]


def test_first_everywhere_scores_one_and_order_follows_the_votes():
    best = fuse([_ranking("a", "b", "c", why="vector:text"), _ranking("a", "c", why="text:caption")], limit=10)
    assert [a for a, _ in best] == ["a", "c", "b"]
    assert best[0][1].score == pytest.approx(1.0)
    assert best[0][1].why == ["vector:text", "text:caption"]
    # c: second and third of two paths; b: second of one path only
    assert best[1][1].score == pytest.approx(((1 / (RRF_K + 3)) + (1 / (RRF_K + 2))) / (2 / (RRF_K + 1)))


def test_empty_rankings_neither_vote_nor_scale():
    alone = fuse([_ranking("a", "b")], limit=10)
    with_empty = fuse([_ranking("a", "b"), [], []], limit=10)
    assert [(a, c.score) for a, c in alone] == [(a, c.score) for a, c in with_empty]
    assert alone[0][1].score == pytest.approx(1.0)
    assert fuse([], limit=5) == []


def test_weight_is_the_share_of_the_query_a_hit_covers():
    # x mentions one of two query words, y both: y wins though x ranked first on that path
    path = [("x", Candidate(why=["text:title"], weight=0.5)), ("y", Candidate(why=["text:title"], weight=1.0))]
    best = fuse([path], limit=2)
    assert [a for a, _ in best] == ["y", "x"]


def test_ties_break_by_asset_id_and_limit_cuts():
    best = fuse([_ranking("b"), _ranking("a")], limit=1)
    assert [a for a, _ in best] == ["a"]


def test_moments_merge_without_repeating_the_same_second():
    one = Candidate(why=["vector:transcript"], start=3.0, end=5.0,
                    moments=[{"start": 3.0, "end": 5.0, "why": "vector:transcript"}])
    two = Candidate(why=["text:transcript"], start=3.2, end=5.0,
                    moments=[{"start": 3.2, "end": 5.0, "why": "text:transcript"},
                             {"start": 40.0, "end": 42.0, "why": "text:transcript"}])
    (asset, fused), = fuse([[("r", one)], [("r", two)]], limit=5)
    assert (fused.start, fused.end) == (3.0, 5.0)  # the first path's moment leads
    assert [m["start"] for m in fused.moments] == [3.0, 40.0]  # 3.2 is the same moment as 3.0


def test_the_file_named_by_the_most_votes_is_cited_first():
    # two files of one asset: the caption of file 7 matched the full text (rank 1) and the text
    # vector (rank 1); file 9's keywords matched the full text only, further down
    vector = [("a", Candidate(why=["vector:text"], files=[7]))]
    text = [("b", Candidate(why=["text:caption"])), ("a", Candidate(why=["text:keywords"], files=[9, 7]))]
    (_, a), = [r for r in fuse([vector, text], limit=5) if r[0] == "a"]
    assert a.files == [7, 9]
    (_, b), = [r for r in fuse([vector, text], limit=5) if r[0] == "b"]
    assert b.files == []  # a path that found the asset, not a file's words (e.g. its pixels)
