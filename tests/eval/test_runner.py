"""The harness loop and `rag eval`'s set-up checks, on a stand-in service (no model load)."""

from __future__ import annotations

import ast
import json
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

import eval.runner as runner
from eval.dataset import EvalItem, set_fingerprint
from eval.metrics import summarise, summarise_by_split
from eval.runner import run_eval, select
from rag.cli import _parser
from rag.schemas import Answer, Citation, DocumentInfo, Passage, Timings, Turn
from rag.settings import load_settings

ARTICLE = "Orban met Putin in Beijing. They talked about energy."


def passage(source: str = "a.txt", score: float = 0.9) -> Passage:
    return Passage(source=source, doc_id=source, chunk_id=f"{source}:0", text=ARTICLE, start=0,
                   end=len(ARTICLE), score=score)


class FakeService:
    """Answers from one article; fails on questions containing 'boom'. Like RagService,
    `ask` searches once itself and returns what it retrieved in `Answer.retrieved`."""

    def __init__(self, settings: object = None, documents: int = 1) -> None:
        self.settings = SimpleNamespace(top_k=3)
        self.searches: list[tuple[str, int]] = []
        self.asks: list[tuple[str, int | None, list[Turn]]] = []
        self._documents = documents

    def answerer(self, mode: str | None = None) -> SimpleNamespace:
        if mode == "llm":
            raise ValueError("answerer 'llm' is not configured")
        return SimpleNamespace(mode="extractive")

    def search(self, query: str, top_k: int | None = None) -> list[Passage]:
        self.searches.append((query, top_k or 0))
        if "unknown" in query:
            return [passage("b.txt", 0.2), passage("a.txt", 0.1)][: top_k or 3]
        return [passage("a.txt")]

    def ask(self, question: str, top_k: int | None = None, history: Sequence[Turn] = (),
            mode: str | None = None) -> Answer:
        self.asks.append((question, top_k, list(history)))
        if "boom" in question:
            raise RuntimeError("the store went away")
        retrieved = self.search(question, top_k)
        if "unknown" in question:
            return Answer(answer="The articles do not contain the answer.", refused=True,
                          mode="extractive", citations=[], related=retrieved[:1],
                          retrieved=retrieved)
        text = "Orban met Putin in Beijing."
        return Answer(answer=f"{text} [1]", refused=False, mode="extractive",
                      citations=[Citation(n=1, source="a.txt", doc_id="a", chunk_id="a:0",
                                          text=text, start=0, end=len(text), score=0.9)],
                      retrieved=retrieved, timings_ms=Timings(retrieve=5, generate=10, total=15))

    def document_text(self, doc_id: str) -> str | None:
        return ARTICLE

    def documents(self) -> list[DocumentInfo]:
        return [DocumentInfo(doc_id="a", source="a.txt", title="A", content_hash="h", chars=10,
                             chunks=1, ingested_at="now")][: self._documents]


def item(i: int, question: str = "Where did they meet?", answerable: bool = True,
         history: list[Turn] | None = None, split: str = "dev") -> EvalItem:
    return EvalItem(id=f"q{i}", question=question, reference_answer="In Beijing.",
                    key_facts=[["Beijing"]] if answerable else [],
                    sources=["a.txt"] if answerable else [], category="c",
                    history=history or [], split=split)


def test_retrieval_is_scored_on_the_answers_own_passages_and_errors_are_kept() -> None:
    service = FakeService()
    history = [Turn(role="user", content="Who met Putin?"),
               Turn(role="assistant", content="Orban.")]
    items = [item(1), item(2, "And where?", history=history), item(3, "boom?"),
             item(4, "Something unknown?", answerable=False, split="heldout")]
    run = run_eval(service, items, top_k=2)  # type: ignore[arg-type]
    assert run.top_k == 2 and run.answerer == "extractive"
    assert service.asks[0][0] == "Where did they meet?"  # the untimed warm-up
    assert service.asks[2] == ("And where?", 2, history)
    # no search of the eval's own: only the service's one per answered ask (warm-up included)
    assert len(service.searches) == len(service.asks) - 1  # "boom?" failed before searching
    first, follow_up, failed, refused = run.records
    assert [p.source for p in first.retrieved] == ["a.txt"]
    assert first.scores["correct"] and first.scores["hit"] and first.offset_mismatches == 0
    assert follow_up.scores["retrieval_rank"] == 1
    assert failed.error == "RuntimeError: the store went away" and failed.answer is None
    assert failed.retrieved == [] and failed.scores["hit"] is False
    assert failed.scores["correct"] is False
    assert refused.refused and refused.scores["refusal_correct"]
    assert [p.source for p in refused.retrieved] == ["b.txt", "a.txt"]
    # the refusal's further reading is kept, and not a citation
    assert [p.source for p in refused.related] == ["b.txt"] and refused.citations == []
    assert refused.scores["citation_problems"] == [] and "citation_hit" not in refused.scores
    assert [r.split for r in run.records] == ["dev", "dev", "dev", "heldout"]
    overall = summarise(run.records)
    assert overall["errors"] == 1 and overall["accuracy"] == pytest.approx(2 / 3)
    assert overall["refusal_recall"] == 1.0 and overall["total_p50_ms"] == 15.0
    by_split = summarise_by_split(run.records)
    assert list(by_split) == ["dev", "heldout"]
    assert by_split["dev"]["questions"] == 3 and by_split["dev"]["refusal_recall"] is None
    assert by_split["dev"]["wrong_refusal_rate"] == 0.0
    assert by_split["heldout"]["refusal_recall"] == 1.0
    assert by_split["heldout"]["wrong_refusal_rate"] is None  # no answerable question there


def test_the_runner_does_not_search_on_its_own() -> None:
    """rag.retrieval is being restructured: the eval must not depend on its query building."""
    for path in (Path(runner.__file__).parent).rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
        imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import)
                     for a in node.names}
        assert not any(m and m.startswith("rag.retrieval") for m in imported), path
        assert "service.search(" not in path.read_text(encoding="utf-8"), path


def test_limit_picks_evenly_across_the_set() -> None:
    items = [item(i) for i in range(10)]
    assert [i.id for i in select(items, 4)] == ["q0", "q2", "q5", "q7"]
    assert select(items, None) == items and select(items, 99) == items


def cli(tmp_path: Path, *argv: str, **settings: object) -> int:
    args = _parser().parse_args(["eval", "--no-progress", *argv])
    return runner.run_from_cli(args, load_settings(_env_file=None, data_dir=tmp_path,
                                                   **settings))


def test_an_empty_index_exits_2_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "RagService", lambda s: FakeService(s, documents=0))
    assert cli(tmp_path, "--out", str(tmp_path / "out")) == 2
    err = capsys.readouterr().err
    assert "has no documents" in err and "rag ingest data/articles" in err and "--ingest" in err
    assert not (tmp_path / "out").exists()


def test_a_bad_set_exits_2_naming_the_line(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q1"}\n')
    assert cli(tmp_path, "--set", str(bad)) == 2
    assert f"{bad}:1: missing field(s)" in capsys.readouterr().err


def test_llm_answerer_without_llm_exits_2(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(tmp_path, "--answerer", "llm") == 2
    assert "--answerer llm needs RAG_LLM=openai" in capsys.readouterr().err


def test_a_full_cli_run_on_a_stand_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Judge asked for without an LLM: reported as not run; thresholds decide the exit code."""
    monkeypatch.setattr(runner, "RagService", FakeService)
    qa = tmp_path / "set.jsonl"
    qa.write_text("\n".join(json.dumps({
        "id": f"q{i}", "question": "Where did they meet?", "reference_answer": "In Beijing.",
        "key_facts": [["Beijing"]], "sources": ["a.txt", "missing.txt"], "category": "c",
        "history": []}) for i in range(3)))
    out = tmp_path / "out"
    code = cli(tmp_path, "--set", str(qa), "--out", str(out), "--judge",
               "--min-accuracy", "0.5", "--max-p95-ms", "1")
    printed = capsys.readouterr()
    assert code == 1
    assert "faithfulness judge not run: no LLM configured" in printed.err
    assert "FAILED:\n  - total p95 (ms): 15 (needs <= 1, --max-p95-ms)" in printed.out
    assert "key-fact accuracy" not in printed.out.split("FAILED:")[1]
    assert "expected articles not in the index (their questions cannot hit): missing.txt" in (
        printed.out)
    results = json.loads((out / "results.json").read_text())
    assert results["meta"]["judge"].startswith("not run: no LLM configured")
    assert results["meta"]["questions_run"] == 3
    assert "faithfulness judge: not run: no LLM configured" in (out / "report.md").read_text()


def test_default_out_is_timestamped_with_a_latest_link(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "RagService", FakeService)
    monkeypatch.setattr(runner, "DEFAULT_OUT_ROOT", tmp_path / "eval-out")
    qa = tmp_path / "set.jsonl"
    qa.write_text(json.dumps({
        "id": "q1", "question": "Where did they meet?", "reference_answer": "In Beijing.",
        "key_facts": [["Beijing"]], "sources": ["a.txt"], "category": "c", "history": []}))
    assert cli(tmp_path, "--set", str(qa)) == 0
    assert cli(tmp_path, "--set", str(qa), "--baseline",
               str(tmp_path / "eval-out" / "latest" / "results.json")) == 0
    runs = sorted(p for p in (tmp_path / "eval-out").iterdir() if not p.is_symlink())
    assert len(runs) == 2
    latest = tmp_path / "eval-out" / "latest"
    assert latest.resolve() == runs[-1].resolve()
    assert (latest / "baseline_change.png").exists()


def write_set(path: Path, ids: Sequence[str], split: str | None = None,
              answerable: bool = True) -> Path:
    rows = [{"id": i, "question": "Where did they meet?" if answerable else "Anything unknown?",
             "reference_answer": "In Beijing.", "key_facts": [["Beijing"]] if answerable else [],
             "sources": ["a.txt"] if answerable else [], "category": "c", "history": []}
            | ({"split": split} if split else {}) for i in ids]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_without_set_both_splits_run_and_are_reported_side_by_side(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(runner, "RagService", FakeService)
    dev = write_set(tmp_path / "dev.jsonl", ["q1", "q2"])
    heldout = write_set(tmp_path / "heldout.jsonl", ["h1"], "heldout", answerable=False)
    monkeypatch.setattr(runner, "DEFAULT_SETS", (dev, heldout))
    out = tmp_path / "out"
    # bounds read the overall figures (heldout alone has no hit rate: it would fail)
    assert cli(tmp_path, "--out", str(out), "--min-hit-rate", "1",
               "--max-wrong-refusal-rate", "0") == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].split() == ["overall", "dev", "heldout", "c"]
    recall = next(line for line in printed.splitlines() if "refusal recall" in line).split()
    assert recall[-4:] == ["1.000", "-", "1.000", "1.000"]

    results = json.loads((out / "results.json").read_text())
    meta, summary = results["meta"], results["summary"]
    assert meta["eval_sets"] == [str(dev.resolve()), str(heldout.resolve())]
    assert meta["set_fingerprint"] == set_fingerprint([dev, heldout])
    assert meta["questions_by_split"] == {"dev": 2, "heldout": 1}
    assert meta["questions_in_set"] == meta["questions_run"] == 3
    assert list(summary["by_split"]) == ["dev", "heldout"]
    assert summary["by_split"]["dev"]["questions"] == 2
    assert summary["by_split"]["heldout"]["refusal_recall"] == 1.0
    assert summary["overall"]["questions"] == 3 and list(summary["by_category"]) == ["c"]
    assert [q["split"] for q in results["questions"]] == ["dev", "dev", "heldout"]
    assert all("search_query" not in q for q in results["questions"])

    md = (out / "report.md").read_text()
    assert "| metric | overall | dev | heldout | c |" in md
    assert "tuning reads dev only" in md and "2 dev; 1 heldout" in md

    # --set FILE runs that file alone: no split columns, its own fingerprint
    assert cli(tmp_path, "--set", str(heldout), "--out", str(tmp_path / "one")) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["overall", "c"]
    one = json.loads((tmp_path / "one" / "results.json").read_text())
    assert list(one["summary"]["by_split"]) == ["heldout"]
    assert one["meta"]["set_fingerprint"] == set_fingerprint(heldout)
