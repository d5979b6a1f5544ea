"""The printed table, report.md, results.json and the charts, from hand-made records."""

from __future__ import annotations

import json
from pathlib import Path

from eval import report
from eval.baseline import Baseline, compare, load_baseline
from eval.metrics import score_question, summarise, summarise_by_category, summarise_by_split
from eval.records import EvalRun, QuestionRecord, SentenceVerdict
from eval.thresholds import check
from tests.eval.helpers import passage, record

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def sample_run() -> EvalRun:
    records = [
        record("Beijing [1].", id="q1", category="single_article", facts=[["Beijing"]]),
        record("Moscow [1].", id="q2", category="single_article", facts=[["Beijing"]],
               cited=("x.txt",), retrieved=("x.txt",), timings=(12.0, 40.0, 52.0)),
        record("No.", id="q3", category="unanswerable", sources=(), refused=True, cited=(),
               timings=(9.0, 30.0, 39.0), split="heldout", related=[passage("a.txt")]),
        record(None, id="q4", category="event_disambiguation", error="RuntimeError: boom",
               retrieved=(),
               timings=None),
    ]
    records[0].judge = [SentenceVerdict("Beijing.", [1], "supported", "SUPPORTED")]
    records[1].judge = [SentenceVerdict("Moscow.", [1], "unparseable", "Maybe?")]
    for r in records:
        r.scores = score_question(r)
    return EvalRun(records=records, top_k=4, answerer="extractive",
                   judge_status="run with scripted", meta={"questions_run": 4})


def test_table_lists_every_metric_per_split_and_category_and_splits_when_narrow() -> None:
    run = sample_run()
    overall, by_category = summarise(run.records), summarise_by_category(run.records)
    by_split = summarise_by_split(run.records)
    table = report.format_table(overall, by_category, 4, run.judge_status,
                                max_width=200, by_split=by_split)
    lines = table.splitlines()
    assert lines[0].split() == ["overall", "dev", "heldout", "single", "unanswerable", "event"]
    assert lines[1].split() == ["article", "disambiguation"]
    assert "hit rate@4" in table and "judge replies unparseable" in table
    hit = next(line for line in lines if "hit rate@4" in line).split()
    # the errored question is a miss; heldout holds only the unanswerable one
    assert hit[2:] == ["0.333", "0.333", "-", "0.500", "-", "0.000"]
    recall = next(line for line in lines if "refusal recall" in line).split()
    assert recall[2:] == ["1.000", "-", "1.000", "-", "1.000", "-"]
    wrong = next(line for line in lines if "wrong refusal rate" in line).split()
    assert wrong[3:] == ["0.000", "0.000", "-", "0.000", "-", "0.000"]
    narrow = report.format_table(overall, by_category, 4, run.judge_status,
                                 max_width=60, by_split=by_split)
    assert narrow.count("overall") == 3  # more blocks, overall repeated for reference
    assert all(len(line) <= 60 for line in narrow.splitlines())
    # one split only: its column would repeat overall, so there is none
    single = report.format_table(overall, by_category, 4, run.judge_status,
                                 max_width=200, by_split={"dev": overall})
    assert single.splitlines()[0].split() == ["overall", "single", "unanswerable", "event"]


def test_a_run_without_judge_says_so() -> None:
    run = sample_run()
    for r in run.records:
        r.judge = None
    table = report.format_table(summarise(run.records), summarise_by_category(run.records), 4,
                                "not run (pass --judge)")
    assert "faithfulness (judge): not run (pass --judge)" in table
    assert "faithful answers" not in table


def test_files_are_written_and_well_formed(tmp_path: Path) -> None:
    run = sample_run()
    checks = check(summarise(run.records), {"min_hit_rate": 0.9, "min_refusal_recall": 1.0})
    first = report.write_all(run, tmp_path / "first", checks, None, None)
    assert [p.name for p in first] == ["results.json", "report.md", "metrics_by_category.png",
                                       "latency.png"]
    baseline = load_baseline(tmp_path / "first" / "results.json")
    run.records[1].answer = "Beijing [1]."  # this run got one more right
    changes = compare(summarise(run.records), baseline)
    written = report.write_all(run, tmp_path / "second", checks, baseline, changes)
    assert (tmp_path / "second" / "baseline_change.png") in written
    for png in (tmp_path / "second").glob("*.png"):
        assert png.read_bytes()[:8] == PNG_MAGIC, png
        assert png.stat().st_size > 10_000, png

    results = json.loads((tmp_path / "second" / "results.json").read_text())
    assert results["format"] == "rag-eval-results/1"
    assert results["summary"]["overall"]["questions"] == 4
    by_split = results["summary"]["by_split"]
    assert list(by_split) == ["dev", "heldout"]
    assert by_split["dev"]["questions"] == 3 and by_split["heldout"]["refusal_recall"] == 1.0
    q3 = next(q for q in results["questions"] if q["id"] == "q3")
    assert q3["split"] == "heldout" and q3["citations"] == []
    assert [p["source"] for p in q3["related"]] == ["a.txt"]
    assert set(results["summary"]["by_category"]) == {"single_article", "unanswerable",
                                                      "event_disambiguation"}
    q4 = next(q for q in results["questions"] if q["id"] == "q4")
    assert q4["error"] == "RuntimeError: boom" and q4["answer"] is None
    assert results["thresholds"][0] == {"name": "min_hit_rate", "metric": "hit_rate",
                                        "bound": "min", "limit": 0.9,
                                        "value": 1 / 3, "passed": False}
    accuracy = next(c for c in results["baseline"]["changes"] if c["metric"] == "accuracy")
    assert accuracy["improved"] is True

    md = (tmp_path / "second" / "report.md").read_text()
    assert "**FAIL** hit rate@k: 0.3333 (needs >= 0.9, --min-hit-rate)" in md
    assert "![baseline_change](baseline_change.png)" in md
    assert "### q4 (event_disambiguation, dev)" in md and "error: RuntimeError: boom" in md
    assert "| metric | overall | dev | heldout | single_article |" in md
    assert "tuning reads dev only" in md
    assert "judge: unparseable" in md and "Maybe?" in md


def test_changes_know_which_way_is_better(tmp_path: Path) -> None:
    before = {"accuracy": 0.5, "wrong_refusal_rate": 0.1, "total_p95_ms": 100.0, "mrr": None}
    after = {"accuracy": 0.6, "wrong_refusal_rate": 0.2, "total_p95_ms": 90.0, "mrr": 0.5}
    changes = {c.metric: c for c in compare(after, Baseline(tmp_path, before, {}))}
    assert set(changes) == {"accuracy", "wrong_refusal_rate", "total_p95_ms"}
    assert changes["accuracy"].improved is True
    assert changes["wrong_refusal_rate"].improved is False
    assert changes["total_p95_ms"].improved is True
    assert summarise_by_category([]) == {}


def test_results_read_back_including_files_from_before_the_splits() -> None:
    run = sample_run()
    again = [QuestionRecord.from_json(r.to_json()) for r in run.records]
    assert [r.to_json() for r in again] == [r.to_json() for r in run.records]
    old = run.records[0].to_json()
    del old["split"], old["related"]
    old["search_query"] = "A question?"  # kept by older runs; no longer read
    back = QuestionRecord.from_json(old)
    assert back.split == "dev" and back.related == [] and back.answer == "Beijing [1]."
    assert summarise_by_split([back]).keys() == {"dev"}
