"""Bootstrap spread of the overall figures, and quality-gate bounds set from it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from eval.baseline import RESULTS_FORMAT
from eval.metrics import summarise
from eval.records import QuestionRecord
from eval.spread import bootstrap_se, load_records, main, suggest
from tests.eval.helpers import record


def sample_set() -> list[QuestionRecord]:
    """60 answerable questions, half retrieved right; 10 unanswerable, 4 of them refused."""
    hits = [record(id=f"h{i}") for i in range(30)]
    misses = [record(id=f"m{i}", retrieved=("b.txt",)) for i in range(29)]
    wrongly_refused = [record("The articles do not say.", id="w", refused=True, cited=(),
                              retrieved=("b.txt",))]
    refused = [record("The articles do not say.", id=f"r{i}", sources=(), refused=True,
                      cited=()) for i in range(4)]
    answered = [record(id=f"u{i}", sources=()) for i in range(6)]
    return hits + misses + wrongly_refused + refused + answered


def test_bootstrap_se_of_a_rate_is_the_binomial_standard_error() -> None:
    records = sample_set()
    se = bootstrap_se(records, ["hit_rate", "citation_validity"], resamples=600)
    # 30 of 60 answerable questions hit: sqrt(p (1 - p) / n) = 0.0645
    assert math.isclose(se["hit_rate"] or 0, math.sqrt(0.25 / 60), rel_tol=0.1), se
    assert se["citation_validity"] == 0.0  # every answer is valid: no spread at all
    assert bootstrap_se(records, ["hit_rate"], resamples=50, seed=1) == \
        bootstrap_se(records, ["hit_rate"], resamples=50, seed=1)  # reproducible


def test_suggested_bounds_sit_two_standard_errors_out_rounded_outward() -> None:
    records = sample_set()
    overall = summarise(records)
    by_name = {s.threshold.name: s for s in suggest(records, resamples=200)}
    se = bootstrap_se(records, ["hit_rate", "wrong_refusal_rate"], resamples=200)

    floor = by_name["min_hit_rate"]
    assert floor.measured == overall["hit_rate"] == 0.5 and floor.se == se["hit_rate"]
    assert 0.5 - 2 * floor.se - 0.01 < floor.bound <= 0.5 - 2 * floor.se
    assert floor.bound == round(floor.bound, 2)
    assert floor.bound < 0.5 - 2 / 60  # two questions' worth of room, not one

    ceiling = by_name["max_wrong_refusal_rate"]
    assert ceiling.measured == 1 / 60 and ceiling.se == se["wrong_refusal_rate"]
    assert 1 / 60 + 2 * ceiling.se <= ceiling.bound < 1 / 60 + 2 * ceiling.se + 0.01

    assert by_name["min_citation_validity"].bound == by_name["min_offsets_exact"].bound == 1.0
    assert "max_p95_ms" not in by_name  # machine speed, not question spread
    assert "min_faithfulness" not in by_name  # not measured (no judge)


def test_command_reads_results_json_and_updates_only_the_bounds(tmp_path: Path) -> None:
    records = sample_set()
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"format": RESULTS_FORMAT,
                                   "questions": [r.to_json() for r in records]}))
    assert summarise(load_records(results)) == summarise(records)
    gates = tmp_path / "gates.json"
    gates.write_text(json.dumps({"_about": "keep me", "min_hit_rate": 0.49,
                                 "max_p95_ms": 15000}))

    assert main([str(results), "--thresholds", str(gates), "--resamples", "200"]) == 0
    assert json.loads(gates.read_text())["min_hit_rate"] == 0.49  # printed, not written
    assert main([str(results), "--thresholds", str(gates), "--resamples", "200",
                 "--write"]) == 0
    written = json.loads(gates.read_text())
    expected = {s.threshold.name: s.bound for s in suggest(records, resamples=200)}
    assert written == {"_about": "keep me", "max_p95_ms": 15000} | expected

    assert main([str(gates), "--thresholds", str(gates)]) == 2  # not a results.json
