"""Refusal metrics: "refused" is the positive class, unanswerable questions its truth."""

from __future__ import annotations

import pytest

from eval.metrics import refusals
from tests.eval.helpers import record


def test_precision_recall_and_wrong_refusals() -> None:
    records = [
        record("No.", sources=(), refused=True, cited=()),  # right refusal
        record("No.", sources=(), refused=True, cited=()),  # right refusal
        record("Made up [1].", sources=(), refused=False),  # missed refusal
        record("No.", refused=True, cited=()),  # wrong refusal
        record("Right [1]."),
        record("Right [1]."),
        record(None, error="boom"),  # an error is not a refusal
    ]
    summary = refusals.summarise(records)
    assert summary["refusal_precision"] == pytest.approx(2 / 3)
    assert summary["refusal_recall"] == pytest.approx(2 / 3)
    assert summary["wrong_refusal_rate"] == pytest.approx(1 / 4)
    assert [refusals.score(r)["refusal_correct"] for r in records] == [
        True, True, False, False, True, True, True]


def test_undefined_rates_are_none() -> None:
    answered = [record("Right [1].")]
    assert refusals.summarise(answered) == {"refusal_precision": None, "refusal_recall": None,
                                            "wrong_refusal_rate": 0.0}
    assert refusals.summarise([record("No.", sources=(), refused=True, cited=())]) == {
        "refusal_precision": 1.0, "refusal_recall": 1.0, "wrong_refusal_rate": None}
