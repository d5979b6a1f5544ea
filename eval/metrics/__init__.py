"""Metric families, one module each; every one is a pure function of question records.

Each family module exposes METRICS (their descriptions), score(record) (the
per-question values kept in results.json) and summarise(records).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics import answers, citations, faithfulness, refusals, retrieval, speed
from eval.metrics.base import Metric
from eval.records import QuestionRecord

FAMILIES = (retrieval, answers, citations, refusals, speed, faithfulness)
METRICS: dict[str, Metric] = {m.key: m for family in FAMILIES for m in family.METRICS}
COUNTS = ("questions", "answerable", "unanswerable", "errors")

Summary = dict[str, float | int | None]


def score_question(record: QuestionRecord) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for family in FAMILIES:
        out |= family.score(record)
    return out


def summarise(records: Sequence[QuestionRecord]) -> Summary:
    out: Summary = {
        "questions": len(records),
        "answerable": sum(r.answerable for r in records),
        "unanswerable": sum(not r.answerable for r in records),
        "errors": sum(r.error is not None for r in records),
    }
    for family in FAMILIES:
        out |= family.summarise(records)
    return out


def summarise_by_category(records: Sequence[QuestionRecord]) -> dict[str, Summary]:
    """Categories in the order they first appear in the set."""
    categories = list(dict.fromkeys(r.category for r in records))
    return {c: summarise([r for r in records if r.category == c]) for c in categories}


def summarise_by_split(records: Sequence[QuestionRecord]) -> dict[str, Summary]:
    """Splits (dev, heldout) in the order they first appear in the set."""
    splits = list(dict.fromkeys(r.split for r in records))
    return {s: summarise([r for r in records if r.split == s]) for s in splits}


__all__ = ["COUNTS", "METRICS", "Metric", "Summary", "score_question", "summarise",
           "summarise_by_category", "summarise_by_split"]
