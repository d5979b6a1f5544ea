"""Citation metrics: expected articles cited, precision of cited passages, [n] bookkeeping."""

from __future__ import annotations

import pytest

from eval.metrics import citations
from tests.eval.helpers import record


def test_contract_problems_are_named() -> None:
    problems = citations.citation_problems
    assert problems("Beijing [1]. Moscow [2].", False, [1, 2]) == []
    assert problems("Beijing [1]. Moscow [3].", False, [1, 2]) == [
        "markers without a citation: [3]", "citations the answer does not use: [2]"]
    assert problems("Beijing.", False, []) == []
    assert problems("No answer.", True, [1]) == ["a refusal lists citations",
                                                 "citations the answer does not use: [1]"]
    assert problems("Beijing [1] [1].", False, [1, 1]) == ["a citation number is listed twice"]


def test_hit_rate_precision_and_validity() -> None:
    records = [
        record("A [1]. B [2].", sources=("a.txt",), cited=("a.txt", "x.txt")),  # hit, 1 of 2
        record("C [1].", sources=("a.txt", "b.txt"), cited=("b.txt",)),  # hit, 1 of 1
        record("D [1].", sources=("a.txt",), cited=("x.txt",)),  # miss, 0 of 1
        record("E, uncited.", sources=("a.txt",), cited=()),  # miss, nothing cited
        record("Refused.", refused=True, cited=()),  # refusal: not in hit rate
        record("F [1] [7].", sources=(), cited=("x.txt",)),  # unanswerable; marker [7] invalid
        record(None, error="boom", cited=()),  # no answer: not counted
    ]
    summary = citations.summarise(records)
    assert summary["citation_hit_rate"] == pytest.approx(2 / 4)
    assert summary["citation_precision"] == pytest.approx(2 / 4)
    assert summary["citation_validity"] == pytest.approx(5 / 6)
    assert summary["offsets_exact"] is None  # no record was checked


def test_empty_citations_everywhere_mean_not_measured_not_zero() -> None:
    summary = citations.summarise([record("Refused.", refused=True, cited=())])
    assert summary["citation_hit_rate"] is None
    assert summary["citation_precision"] is None
    assert summary["citation_validity"] == 1.0


def test_offsets_exact_pools_citations() -> None:
    ok = record("A [1]. B [2].", cited=("a.txt", "a.txt"), offset_mismatches=0)
    off = record("C [1].", cited=("a.txt",), offset_mismatches=1)
    assert citations.summarise([ok, off])["offsets_exact"] == pytest.approx(2 / 3)
