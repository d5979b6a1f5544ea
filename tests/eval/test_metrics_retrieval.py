"""Retrieval metrics: hit rate and MRR at k, over answerable questions only."""

from __future__ import annotations

import pytest

from eval.metrics import retrieval
from tests.eval.helpers import record


def test_rank_is_the_first_passage_from_any_expected_article() -> None:
    assert retrieval.first_relevant_rank(["x", "b", "a"], {"a", "b"}) == 2
    assert retrieval.first_relevant_rank(["x", "y"], {"a"}) is None
    assert retrieval.reciprocal_rank(["x", "y", "a"], {"a"}) == pytest.approx(1 / 3)
    assert retrieval.reciprocal_rank([], {"a"}) == 0.0


def test_hit_rate_and_mrr_over_answerable_questions() -> None:
    records = [
        record(retrieved=("a.txt", "x.txt")),  # rank 1
        record(retrieved=("x.txt", "y.txt", "a.txt")),  # rank 3
        record(retrieved=("x.txt",)),  # miss
        record(retrieved=(), answer=None, error="boom"),  # failed: a miss, not skipped
        record(sources=(), retrieved=("x.txt",)),  # unanswerable: not counted
    ]
    summary = retrieval.summarise(records)
    assert summary["hit_rate"] == pytest.approx(2 / 4)
    assert summary["mrr"] == pytest.approx((1 + 1 / 3) / 4)
    assert retrieval.score(records[1]) == {"retrieval_rank": 3, "hit": True,
                                           "reciprocal_rank": pytest.approx(1 / 3)}
    assert retrieval.score(records[4]) == {}


def test_nothing_answerable_means_not_measured() -> None:
    assert retrieval.summarise([record(sources=())]) == {"hit_rate": None, "mrr": None}
