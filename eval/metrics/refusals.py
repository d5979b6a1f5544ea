"""Refusals, with "refused" as the positive class and unanswerable questions as its truth.

precision: refusals that were on unanswerable questions; recall: unanswerable
questions that were refused; wrong refusal rate: answerable questions refused.
A question that failed with an error did not refuse.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics.base import Metric, ratio
from eval.records import QuestionRecord

METRICS = [
    Metric("refusal_precision", "refusal precision", "refusals", "rate"),
    Metric("refusal_recall", "refusal recall", "refusals", "rate"),
    Metric("wrong_refusal_rate", "wrong refusal rate", "refusals", "rate",
           higher_is_better=False),
]


def score(record: QuestionRecord) -> dict[str, Any]:
    refused = record.refused is True
    return {"refusal_correct": refused != record.answerable}


def summarise(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    refused_unanswerable = sum(r.refused is True and not r.answerable for r in records)
    refused = sum(r.refused is True for r in records)
    refused_answerable = refused - refused_unanswerable
    unanswerable = sum(not r.answerable for r in records)
    return {"refusal_precision": ratio(refused_unanswerable, refused),
            "refusal_recall": ratio(refused_unanswerable, unanswerable),
            "wrong_refusal_rate": ratio(refused_answerable, len(records) - unanswerable)}
