"""The CI quality gates: the eval sets on the embedded defaults must meet their bounds
(eval/ci_thresholds.json for the sample articles, eval/ci_thresholds_bbc.json for the 200
BBC articles in ../shared/corpus-bbc, skipped where that folder is absent).

A regression in retrieval, answering, citations or refusals fails here. When the bot
changes, reset the bounds from the run's spread: `python -m eval.spread RESULTS_JSON
--thresholds FILE --write` (eval/README.md, "CI").
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eval.thresholds import load_threshold_file
from tests.eval.cli_run import ARTICLES, PROJECT, run_rag_eval

THRESHOLDS = PROJECT / "eval" / "ci_thresholds.json"
BBC_THRESHOLDS = PROJECT / "eval" / "ci_thresholds_bbc.json"
BBC = PROJECT.parent / "shared" / "corpus-bbc"
BBC_SETS = [PROJECT / "eval" / "data" / name for name in
            ("bbc_qa.jsonl", "bbc_qa_dev2.jsonl", "bbc_qa_heldout.jsonl")]


def _gate(tmp_path: Path, thresholds: Path, *args: str) -> None:
    out = tmp_path / "out"
    proc = run_rag_eval(tmp_path, *args, "--out", str(out), "--thresholds", str(thresholds))
    assert proc.returncode == 0, (
        f"rag eval exited {proc.returncode}; the report is in {out}\n"
        f"{proc.stdout}\n{proc.stderr[-3000:]}")
    bounds = len(load_threshold_file(thresholds))
    assert f"thresholds: {bounds} of {bounds} met" in proc.stdout, proc.stdout


def test_the_sample_eval_meets_the_ci_thresholds(tmp_path: Path) -> None:
    _gate(tmp_path, THRESHOLDS, "--ingest", str(ARTICLES))


def test_the_bbc_eval_meets_its_ci_thresholds(tmp_path: Path) -> None:
    if not BBC.is_dir():
        pytest.skip(f"{BBC} is absent (a clone without ../shared): the BBC gate needs it")
    _gate(tmp_path, BBC_THRESHOLDS, "--ingest", *map(str, sorted(BBC.glob("*.txt"))),
          "--set", *map(str, BBC_SETS))
