"""Quality gates from flags and from a JSON file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.thresholds import ThresholdFileError, check, load_threshold_file

PROJECT = Path(__file__).resolve().parents[2]


def test_min_max_and_unmeasured_bounds() -> None:
    summary = {"hit_rate": 0.9, "total_p95_ms": 120.0, "refusal_precision": None}
    checks = {c.threshold.name: c for c in check(summary, {
        "min_hit_rate": 0.9, "max_p95_ms": 100.0, "min_refusal_precision": 0.5})}
    assert checks["min_hit_rate"].passed
    assert not checks["max_p95_ms"].passed
    assert checks["max_p95_ms"].describe() == "total p95 (ms): 120 (needs <= 100, --max-p95-ms)"
    assert not checks["min_refusal_precision"].passed  # not measured cannot pass
    assert "not measured" in checks["min_refusal_precision"].describe()


def test_threshold_file(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"_about": "comment", "min_mrr": 0.5, "max_p95_ms": 900}))
    assert load_threshold_file(path) == {"min_mrr": 0.5, "max_p95_ms": 900.0}
    path.write_text(json.dumps({"min_mrrr": 0.5}))
    with pytest.raises(ThresholdFileError, match="unknown threshold 'min_mrrr'"):
        load_threshold_file(path)
    path.write_text("{")
    with pytest.raises(ThresholdFileError, match="cannot read"):
        load_threshold_file(path)


def test_the_ci_thresholds_file_is_valid() -> None:
    limits = load_threshold_file(PROJECT / "eval" / "ci_thresholds.json")
    assert {"min_hit_rate", "min_accuracy", "min_refusal_recall"} <= set(limits)
