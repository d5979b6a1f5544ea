"""Quality gates: minimums and maximums on the overall figures, from flags or a JSON file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import METRICS, Summary


@dataclass(frozen=True)
class Threshold:
    name: str  # the flag without dashes, e.g. "min_hit_rate"; also the JSON key
    metric: str
    bound: str  # "min" or "max"


THRESHOLDS = [
    Threshold("min_hit_rate", "hit_rate", "min"),
    Threshold("min_mrr", "mrr", "min"),
    Threshold("min_accuracy", "accuracy", "min"),
    Threshold("min_f1", "f1", "min"),
    Threshold("min_citation_hit_rate", "citation_hit_rate", "min"),
    Threshold("min_citation_precision", "citation_precision", "min"),
    Threshold("min_citation_validity", "citation_validity", "min"),
    Threshold("min_offsets_exact", "offsets_exact", "min"),
    Threshold("min_refusal_recall", "refusal_recall", "min"),
    Threshold("min_refusal_precision", "refusal_precision", "min"),
    Threshold("max_wrong_refusal_rate", "wrong_refusal_rate", "max"),
    Threshold("min_faithfulness", "faithfulness", "min"),
    Threshold("max_p95_ms", "total_p95_ms", "max"),
]
BY_NAME = {t.name: t for t in THRESHOLDS}


@dataclass(frozen=True)
class Check:
    threshold: Threshold
    limit: float
    value: float | None

    @property
    def passed(self) -> bool:
        if self.value is None:  # a gate on something not measured cannot pass
            return False
        if self.threshold.bound == "min":
            return self.value >= self.limit
        return self.value <= self.limit

    def describe(self) -> str:
        flag = "--" + self.threshold.name.replace("_", "-")
        label = METRICS[self.threshold.metric].label
        op = ">=" if self.threshold.bound == "min" else "<="
        shown = "not measured" if self.value is None else f"{self.value:.4g}"
        return f"{label}: {shown} (needs {op} {self.limit:g}, {flag})"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.threshold.name, "metric": self.threshold.metric,
                "bound": self.threshold.bound, "limit": self.limit, "value": self.value,
                "passed": self.passed}


class ThresholdFileError(ValueError):
    pass


def load_threshold_file(path: Path) -> dict[str, float]:
    """A JSON object of {"min_hit_rate": 0.9, ...}; keys starting with '_' are comments."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ThresholdFileError(f"cannot read thresholds from {path}: {exc}") from None
    if not isinstance(obj, dict):
        raise ThresholdFileError(f"{path}: expected a JSON object of thresholds")
    limits: dict[str, float] = {}
    for key, value in obj.items():
        if key.startswith("_"):
            continue
        if key not in BY_NAME:
            raise ThresholdFileError(f"{path}: unknown threshold '{key}'; "
                                     f"known: {', '.join(BY_NAME)}")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ThresholdFileError(f"{path}: '{key}' must be a number")
        limits[key] = float(value)
    return limits


def check(summary: Summary, limits: dict[str, float]) -> list[Check]:
    return [Check(BY_NAME[name], limit, _number(summary.get(BY_NAME[name].metric)))
            for name, limit in limits.items()]


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None
