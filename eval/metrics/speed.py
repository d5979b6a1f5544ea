"""Speed: median and 95th percentile of each stage, from the service's own timings."""

from __future__ import annotations

import math
from collections.abc import Sequence

from eval.metrics.base import Metric
from eval.records import QuestionRecord

STAGES = ("retrieve", "generate", "total")
METRICS = [Metric(f"{stage}_{q}_ms", f"{stage} {q} (ms)", "speed", "ms", higher_is_better=False)
           for stage in STAGES for q in ("p50", "p95")]


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default), q in [0, 100]."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def stage_times(records: Sequence[QuestionRecord], stage: str) -> list[float]:
    """Only questions that completed: an error's time says nothing about speed."""
    return [getattr(r.timings_ms, stage) for r in records
            if r.timings_ms is not None and r.error is None]


def summarise(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for stage in STAGES:
        times = stage_times(records, stage)
        for q in (50, 95):
            value = percentile(times, q)
            out[f"{stage}_p{q}_ms"] = None if value is None else round(value, 2)
    return out


def score(record: QuestionRecord) -> dict[str, float]:
    return {}  # the timings themselves are kept in the record
