"""What every metric family shares: how a metric is described, and safe averaging."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Metric:
    key: str  # the key in summaries and results.json
    label: str  # for tables and charts
    family: str
    kind: Literal["rate", "ms", "count"]
    higher_is_better: bool = True


def mean(values: Iterable[float | bool]) -> float | None:
    """The average, or None when nothing was measured (shown as '-', never as 0)."""
    items = [float(v) for v in values]
    return sum(items) / len(items) if items else None


def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None
