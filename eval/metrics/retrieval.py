"""Retrieval: did the top-k passages the answerer saw include an expected article?

Measured on answerable questions only; the rank is the position of the first
passage (chunk) from any expected article, 1-based.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from eval.metrics.base import Metric, mean
from eval.records import QuestionRecord

METRICS = [
    Metric("hit_rate", "hit rate@k", "retrieval", "rate"),
    Metric("mrr", "MRR@k", "retrieval", "rate"),
]


def first_relevant_rank(retrieved: Sequence[str], expected: Collection[str]) -> int | None:
    return next((i for i, source in enumerate(retrieved, start=1) if source in expected), None)


def reciprocal_rank(retrieved: Sequence[str], expected: Collection[str]) -> float:
    rank = first_relevant_rank(retrieved, expected)
    return 1.0 / rank if rank else 0.0


def score(record: QuestionRecord) -> dict[str, Any]:
    if not record.answerable:
        return {}
    sources = [p.source for p in record.retrieved]
    rank = first_relevant_rank(sources, record.expected_sources)
    return {"retrieval_rank": rank, "hit": rank is not None,
            "reciprocal_rank": reciprocal_rank(sources, record.expected_sources)}


def summarise(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    scored = [score(r) for r in records if r.answerable]
    return {"hit_rate": mean(s["hit"] for s in scored),
            "mrr": mean(s["reciprocal_rank"] for s in scored)}
