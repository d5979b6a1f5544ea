"""Compare this run's overall figures with an earlier run's results.json."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eval.metrics import METRICS, Summary

RESULTS_FORMAT = "rag-eval-results/1"


class BaselineError(ValueError):
    pass


@dataclass(frozen=True)
class Baseline:
    path: Path
    overall: Summary
    meta: dict[str, Any]


@dataclass(frozen=True)
class Change:
    metric: str
    before: float
    after: float

    @property
    def delta(self) -> float:
        return self.after - self.before

    @property
    def improved(self) -> bool | None:
        """None when unchanged; otherwise whether the change goes the good way."""
        if abs(self.delta) < 1e-9:
            return None
        return (self.delta > 0) == METRICS[self.metric].higher_is_better


def read_results(path: Path, error: type[Exception], what: str = "") -> dict[str, Any]:
    """A results.json written by `rag eval`, or `error` saying why it is not one."""
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise error(f"cannot read {what}{path}: {exc}") from None
    if not isinstance(obj, dict) or obj.get("format") != RESULTS_FORMAT:
        raise error(f"{path} is not a results.json written by `rag eval`")
    return obj


def load_baseline(path: Path) -> Baseline:
    obj = read_results(path, BaselineError, "the baseline ")
    return Baseline(path, obj["summary"]["overall"], obj.get("meta", {}))


def compare(current: Summary, baseline: Baseline) -> list[Change]:
    """Every metric both runs measured, in the registry's order."""
    changes = []
    for key in METRICS:
        before, after = baseline.overall.get(key), current.get(key)
        if isinstance(before, int | float) and isinstance(after, int | float):
            changes.append(Change(key, float(before), float(after)))
    return changes


def comparability_warnings(meta: dict[str, Any], baseline: Baseline) -> list[str]:
    """Differences that make a comparison misleading: another set, k, answerer or sample."""
    warnings = []
    for key, what in (("set_fingerprint", "eval set"), ("top_k", "top-k"),
                      ("answerer", "answerer"), ("questions_run", "number of questions")):
        if key in baseline.meta and baseline.meta[key] != meta.get(key):
            warnings.append(f"the baseline used another {what} "
                            f"({baseline.meta[key]} vs {meta.get(key)})")
    return warnings
