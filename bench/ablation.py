"""What each answering mechanism adds: every eval question of both corpora run with one
mechanism switched off at a time, embedded defaults (extractive answerer, the default top-k).

    .venv/bin/python bench/ablation.py

Corpora: the sample articles (data/articles; eval/data/articles_qa.jsonl and
articles_qa_heldout.jsonl) and the BBC articles (../shared/corpus-bbc/*.txt;
eval/data/bbc_qa.jsonl, bbc_qa_dev2.jsonl where present, and bbc_qa_heldout.jsonl), skipped
with a message where absent. Each is
ingested once, into an index of its own in a temporary folder; every row opens a service on
that index. Mechanisms are turned off through the service, never by patching module globals:
the reader's switches (RagService(settings, reader=Switches(...)), rag/answering/extractive.py)
and the retrieval setting (RAG_RETRIEVAL=dense):

- fitted weights: features weighed by the weights fitted on dev (off: every feature alike);
- gates: only a sentence holding what is asked may answer (off: any sentence may);
- short answer: the answer starts with the entity found (off: the quoted sentences alone);
- parts: a question in several parts answered part by part (off: as one question);
- follow-ups: a follow-up read with the question it continues (off: read alone);
- hybrid retrieval: BM25 fused with dense retrieval (off: dense only);
- in-context sentence vectors: each sentence's vector read in its chunk at ingest (off: each
  sentence embedded alone at question time). There is no switch for it: the row sets the
  extractive answerer's `_in_context` to None on its own service.

Writes bench/out/ablation.json (every summary, per corpus, row and split, with categories)
and bench/out/ablation.md (the tables). Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from common import say

import rag  # noqa: F401  (offline mode)
from eval.dataset import load_sets
from eval.metrics import summarise, summarise_by_category, summarise_by_split
from eval.records import QuestionRecord
from eval.runner import run_eval, select
from rag.answering.extractive import Switches
from rag.service import RagService
from rag.settings import PROJECT_DIR, load_settings

OUT = PROJECT_DIR / "bench" / "out"
DATA = PROJECT_DIR / "eval" / "data"
BBC_DIR = PROJECT_DIR.parent / "shared" / "corpus-bbc"
SHOWN = ("accuracy", "citation_precision", "refusal_recall", "wrong_refusal_rate")
HEADERS = ("accuracy", "citation precision", "refusal recall", "wrong refusals",
           "parts acc", "follow-up acc")
PART_CATEGORIES = ("multi_article", "two_part")  # a question in several parts
SPLITS = ("overall", "dev", "heldout")


@dataclass(frozen=True)
class Corpus:
    name: str
    paths: Callable[[], list[Path]]  # the files or folders to ingest
    sets: tuple[Path, ...]  # dev, then held-out
    where: Path  # what must exist
    extra_sets: tuple[Path, ...] = ()  # run where present


@dataclass(frozen=True)
class Row:
    reader: Switches = field(default_factory=Switches)
    retrieval: str = "hybrid"
    in_context: bool = True


CORPORA = (
    Corpus("sample articles", lambda: [PROJECT_DIR / "data" / "articles"],
           (DATA / "articles_qa.jsonl", DATA / "articles_qa_heldout.jsonl"),
           PROJECT_DIR / "data" / "articles"),
    Corpus("BBC", lambda: sorted(BBC_DIR.glob("*.txt")),
           (DATA / "bbc_qa.jsonl", DATA / "bbc_qa_heldout.jsonl"), BBC_DIR,
           (DATA / "bbc_qa_dev2.jsonl",)),  # a second dev batch
)

ROWS: dict[str, Row] = {
    "all mechanisms": Row(),
    "without fitted weights": Row(Switches(fitted_weights=False)),
    "without gates": Row(Switches(gates=False)),
    "without short answer": Row(Switches(short_answer=False)),
    "without parts": Row(Switches(parts=False)),
    "without follow-ups": Row(Switches(follow_ups=False)),
    "without hybrid retrieval": Row(retrieval="dense"),
    "without in-context sentence vectors": Row(in_context=False),
}


def service_for(data_dir: Path, row: Row) -> RagService:
    settings = load_settings(_env_file=None, data_dir=data_dir, retrieval=row.retrieval)
    service = RagService(settings, reader=row.reader)
    if not row.in_context:
        service.answerers["extractive"]._in_context = None  # type: ignore[attr-defined]
    return service


def run_corpus(corpus: Corpus, tmp: Path, limit: int | None = None) -> dict[str, Any] | None:
    absent = [p for p in (corpus.where, *corpus.sets) if not p.exists()]
    if absent:
        say(f"skipping the {corpus.name}: {', '.join(map(str, absent))} absent")
        return None
    sets = [*corpus.sets, *(p for p in corpus.extra_sets if p.exists())]
    items = select(load_sets(sets), limit)
    data_dir = tmp / corpus.name.replace(" ", "-")
    rows: dict[str, Any] = {}
    for n, (name, row) in enumerate(ROWS.items(), 1):
        service = service_for(data_dir, row)
        if n == 1:  # one ingest per corpus: every row reads this index
            started = time.perf_counter()
            say(f"{corpus.name}: ingesting into {data_dir}")
            report = service.ingest_paths(corpus.paths(), progress=True)
            say(f"{corpus.name}: {report.summary()} ({time.perf_counter() - started:.0f} s)")
        say(f"{corpus.name}: {name} ({n}/{len(ROWS)}, {len(items)} questions)")
        started = time.perf_counter()
        run = run_eval(service, items, mode="extractive", progress=True)
        rows[name] = summaries(run.records) | {"seconds": round(time.perf_counter() - started)}
        say(f"{corpus.name}: {name}: " + "  ".join(
            f"{m} {_fmt(rows[name]['overall'][m])}" for m in SHOWN))
        del service, run
    return {"questions": len(items), "sets": [str(p.relative_to(PROJECT_DIR)) for p in sets],
            "rows": rows}


def summaries(records: list[QuestionRecord]) -> dict[str, Any]:
    splits = {"overall": records} | {s: [r for r in records if r.split == s]
                                     for s in dict.fromkeys(r.split for r in records)}
    return {"overall": summarise(records), **summarise_by_split(records),
            "by_category": {split: summarise_by_category(rs) for split, rs in splits.items()},
            "parts": {split: _accuracy(rs, PART_CATEGORIES) for split, rs in splits.items()},
            "follow_ups": {split: _accuracy(rs, ("follow_up",))
                           for split, rs in splits.items()}}


def _accuracy(records: list[QuestionRecord], categories: tuple[str, ...]) -> float | None:
    chosen = [r for r in records if r.category in categories]
    return summarise(chosen)["accuracy"] if chosen else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, default=None, metavar="N",
                        help="N questions of each corpus, spread over its splits (a smoke run)")
    args = parser.parse_args()
    started = time.time()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="ablation-") as tmp:
        for corpus in CORPORA:
            if (found := run_corpus(corpus, Path(tmp), args.limit)) is not None:
                results[corpus.name] = found
    out = {"meta": meta(started) | {"limit": args.limit}, "corpora": results}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "ablation.json").write_text(json.dumps(out, indent=2, default=str))
    (OUT / "ablation.md").write_text(markdown(out))
    print(markdown(out))


def meta(started: float) -> dict[str, Any]:
    from rag.answering.features import WEIGHTS_FILE

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_DIR,
                            capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "rag", "ingest", "eval"],
                           cwd=PROJECT_DIR, capture_output=True, text=True).stdout.strip()
    settings = load_settings(_env_file=None)
    return {"started_at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "duration_s": round(time.time() - started),
            "commit": commit + (" (with uncommitted changes)" if dirty else ""),
            "reader_weights": hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest()[:12],
            "top_k": settings.top_k, "embedding_model": settings.embedding_model_name}


def markdown(out: dict[str, Any]) -> str:
    m = out["meta"]
    lines = [f"Ablation at {m['commit']}, reader weights {m['reader_weights']}, top-k "
             f"{m['top_k']}, {m['started_at']} ({m['duration_s']} s). Each row turns one "
             "mechanism off; 'parts acc' is the accuracy on questions in several parts "
             "(multi_article, two_part), '-' where a split has none."]
    for name, corpus in out["corpora"].items():
        lines.append(f"\n## {name}: {', '.join(Path(p).name for p in corpus['sets'])}")
        for split in SPLITS:
            count = corpus["rows"]["all mechanisms"].get(split, {}).get("questions")
            lines += [f"\n{name}, {split} ({count} questions):\n",
                      "| | " + " | ".join(HEADERS) + " |", "|---" + "|---:" * len(HEADERS) + "|"]
            for row_name, res in corpus["rows"].items():
                row = res.get(split, {})
                cells = [*(row.get(key) for key in SHOWN), res["parts"].get(split),
                         res["follow_ups"].get(split)]
                lines.append(f"| {row_name} | " + " | ".join(map(_fmt, cells)) + " |")
    return "\n".join(lines) + "\n"


def _fmt(value: object) -> str:
    return f"{value:.3f}" if isinstance(value, int | float) else "-"


if __name__ == "__main__":
    main()
