"""The CI quality gate: the full set (both splits) on the embedded defaults must meet
eval/ci_thresholds.json (bounds on the overall figures).

A regression in retrieval, answering, citations or refusals fails here. When the
bot changes, reset the bounds from the run's spread: `python -m eval.spread
RESULTS_JSON --write` (eval/README.md, "CI").
"""

from __future__ import annotations

from pathlib import Path

from eval.thresholds import load_threshold_file
from tests.eval.cli_run import ARTICLES, PROJECT, run_rag_eval

THRESHOLDS = PROJECT / "eval" / "ci_thresholds.json"


def test_the_full_eval_meets_the_ci_thresholds(tmp_path: Path) -> None:
    out = tmp_path / "out"
    proc = run_rag_eval(tmp_path, "--ingest", str(ARTICLES), "--out", str(out),
                        "--thresholds", str(THRESHOLDS))
    assert proc.returncode == 0, (
        f"rag eval exited {proc.returncode}; the report is in {out}\n"
        f"{proc.stdout}\n{proc.stderr[-3000:]}")
    bounds = len(load_threshold_file(THRESHOLDS))
    assert f"thresholds: {bounds} of {bounds} met" in proc.stdout, proc.stdout
