"""`rag eval --ingest data/articles --limit 12` end to end, as a user runs it."""

from __future__ import annotations

import json
from pathlib import Path

from tests.eval.cli_run import ARTICLES, run_rag_eval

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def test_rag_eval_writes_a_readable_report(tmp_path: Path) -> None:
    # A hand-written earlier run, so the comparison chart is drawn too.
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"format": "rag-eval-results/1", "meta": {"top_k": 5},
                                    "summary": {"overall": {"hit_rate": 0.5, "accuracy": 0.5,
                                                            "total_p95_ms": 100.0}}}))
    out = tmp_path / "out"
    proc = run_rag_eval(tmp_path, "--ingest", str(ARTICLES), "--limit", "12", "--out", str(out),
                        "--baseline", str(baseline), "--min-hit-rate", "0",
                        "--max-p95-ms", "0.001")
    report = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 1, report  # the impossible latency bound, and only it, fails
    assert "thresholds: 1 of 2 met; FAILED:\n  - total p95 (ms)" in proc.stdout, report
    assert "ingest: 5 added" in proc.stdout, report
    assert "hit rate@5" in proc.stdout and "change against" in proc.stdout, report

    for name in ("metrics_by_category.png", "latency.png", "baseline_change.png"):
        data = (out / name).read_bytes()
        assert data[:8] == PNG_MAGIC and len(data) > 10_000, name
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["format"] == "rag-eval-results/1"
    assert results["meta"]["questions_run"] == 12 and results["meta"]["top_k"] == 5
    overall = results["summary"]["overall"]
    assert overall["questions"] == 12 and overall["errors"] == 0
    for key in ("hit_rate", "mrr", "accuracy", "f1", "citation_validity", "refusal_recall",
                "wrong_refusal_rate", "retrieve_p50_ms", "generate_p95_ms", "total_p95_ms"):
        assert isinstance(overall[key], float), key
    # Defined only when an answerable question got an answer: a smoke test of the pipeline
    # should not hinge on the answerer's quality (the quality gate does that).
    for key in ("citation_hit_rate", "citation_precision"):
        assert overall[key] is None or isinstance(overall[key], float), key
    assert len(results["summary"]["by_category"]) >= 4  # --limit spreads over the set
    # no --set: both packaged splits, and --limit keeps some of each
    assert list(results["summary"]["by_split"]) == ["dev", "heldout"]
    assert results["meta"]["questions_in_set"] == 203
    question = results["questions"][0]
    assert {"id", "question", "answer", "refused", "citations", "retrieved", "timings_ms",
            "scores", "error"} <= set(question)
    assert 5 <= len(question["retrieved"]) <= 6  # top 5, and BM25's best hit left out
    for c in question["citations"]:
        assert {"n", "source", "doc_id", "chunk_id", "text", "start", "end", "score"} <= set(c)
    assert [t["name"] for t in results["thresholds"]] == ["min_hit_rate", "max_p95_ms"]

    md = (out / "report.md").read_text(encoding="utf-8")
    for part in ("# Eval report", "## Results", "| metric | overall | dev | heldout |",
                 "| hit rate@5 |", "## Thresholds",
                 "## Change against", "![latency](latency.png)", "faithfulness judge: not run"):
        assert part in md, part

