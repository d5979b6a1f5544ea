"""What each answering mechanism adds: the eval set run with one mechanism switched off at a
time, both splits, embedded defaults (extractive answerer, the default top-k).

    .venv/bin/python bench/ablation.py

Writes bench/out/ablation.json and ablation.md. Mechanisms:
- hybrid: BM25 fused with dense retrieval (off: dense only);
- parts: questions in several parts answered part by part (off: as one question);
- follow-ups: a follow-up read with the question it continues (off: read alone);
- refusal checks: grounding (names and topic words near the quote) and answer types
  (off: any sentence above the score floor may answer);
- in-context sentence vectors: each sentence's vector read in its chunk at ingest (off: each
  sentence embedded alone at question time).
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import rag  # noqa: F401  (offline mode)
from eval.dataset import DEFAULT_SETS, load_sets
from eval.metrics import summarise, summarise_by_category, summarise_by_split
from eval.runner import run_eval
from rag.service import RagService
from rag.settings import PROJECT_DIR, load_settings

OUT = PROJECT_DIR / "bench" / "out"
SHOWN = ("hit_rate", "mrr", "accuracy", "citation_precision", "refusal_recall",
         "wrong_refusal_rate")


def _without_hybrid(service: RagService, mp: pytest.MonkeyPatch) -> None:
    mp.setattr(service.retriever, "fusion", "dense")


def _without_parts(service: RagService, mp: pytest.MonkeyPatch) -> None:
    for module in ("rag.service", "rag.answering.extractive"):
        mp.setattr(f"{module}.split_question", lambda question: [question])


def _without_follow_ups(service: RagService, mp: pytest.MonkeyPatch) -> None:
    mp.setattr("rag.conversation.refers_back", lambda question: False)


def _without_refusal_checks(service: RagService, mp: pytest.MonkeyPatch) -> None:
    mp.setattr(service.answerers["extractive"], "grounding", None)
    mp.setattr("rag.answering.extractive.holds_answer_type", lambda sentence, question: True)


def _without_in_context(service: RagService, mp: pytest.MonkeyPatch) -> None:
    mp.setattr(service.answerers["extractive"], "_in_context", None)  # each sentence alone


ABLATIONS: dict[str, Callable[[RagService, pytest.MonkeyPatch], None] | None] = {
    "all mechanisms": None,
    "without hybrid retrieval": _without_hybrid,
    "without parts": _without_parts,
    "without follow-ups": _without_follow_ups,
    "without refusal checks": _without_refusal_checks,
    "without in-context sentence vectors": _without_in_context,
}


@contextlib.contextmanager
def switched_off(service: RagService, how: Callable | None) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        if how is not None:
            how(service, mp)
        yield


def main() -> None:
    items = load_sets(DEFAULT_SETS)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        service = RagService(load_settings(_env_file=None, data_dir=Path(tmp)))
        service.ingest_paths([PROJECT_DIR / "data" / "articles"], progress=False)
        for name, how in ABLATIONS.items():
            with switched_off(service, how):
                run = run_eval(service, items)
            splits = {r.split for r in run.records}
            results[name] = {"overall": summarise(run.records),
                             **summarise_by_split(run.records),
                             "by_category": {"overall": summarise_by_category(run.records)} | {
                                 split: summarise_by_category(
                                     [r for r in run.records if r.split == split])
                                 for split in splits}}
            print(f"{name:36}", "  ".join(f"{m} {results[name]['overall'][m]:.3f}"
                                          for m in SHOWN), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ablation.json").write_text(json.dumps(results, indent=2, default=str))
    (OUT / "ablation.md").write_text(markdown(results))
    print(markdown(results))


def markdown(results: dict[str, dict]) -> str:
    lines = []
    for split in ("overall", "dev", "heldout"):
        lines += [f"\n{split}:\n", "| | " + " | ".join(SHOWN) + " | multi-article acc | "
                  "follow-up acc |", "|---" * (len(SHOWN) + 3) + "|"]
        for name, res in results.items():
            row = res.get(split, {})
            cats = res["by_category"].get(split, {})  # this split's categories
            lines.append(f"| {name} | " + " | ".join(_fmt(row.get(m)) for m in SHOWN) + " | "
                         + _fmt(cats.get("multi_article", {}).get("accuracy")) + " | "
                         + _fmt(cats.get("follow_up", {}).get("accuracy")) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "-"


if __name__ == "__main__":
    main()
