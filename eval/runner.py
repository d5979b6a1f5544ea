"""Run an eval set through the service the API uses, then score and report it.

`run_eval` is the harness (usable from tests with any RagService); `run_from_cli`
is `rag eval`: set-up checks, the run, the files, the table and the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from eval import baseline as baseline_mod
from eval import report
from eval.dataset import DEFAULT_SETS, DatasetError, EvalItem, load_sets, set_fingerprint
from eval.judge import Judge, judge_unavailable
from eval.metrics import score_question, summarise, summarise_by_category, summarise_by_split
from eval.records import EvalRun, QuestionRecord
from eval.thresholds import BY_NAME, ThresholdFileError, check, load_threshold_file
from rag.schemas import Citation
from rag.service import RagService
from rag.settings import PROJECT_DIR, Settings

DEFAULT_OUT_ROOT = PROJECT_DIR / "eval" / "out"


class SetupError(Exception):
    """The run cannot start; printed as one line, exit code 2."""


def select(items: Sequence[EvalItem], limit: int | None) -> list[EvalItem]:
    """`limit` items spread evenly over the set, so each split and category keeps some."""
    if limit is None or limit >= len(items):
        return list(items)
    return [items[i * len(items) // limit] for i in range(limit)]


def run_eval(service: RagService, items: Sequence[EvalItem], top_k: int | None = None,
             mode: str | None = None, judge: Judge | None = None,
             progress: bool = False) -> EvalRun:
    k = top_k or service.settings.top_k
    answerer = service.answerer(mode).mode  # raises ValueError if that answerer is absent
    if items:
        with contextlib.suppress(Exception):  # untimed warm-up: p95 is steady state, not load
            service.ask(items[0].question, top_k=k, mode=mode)
    articles: dict[str, str | None] = {}
    records = []
    for item in tqdm(items, desc="eval", unit="question", disable=not progress):
        records.append(_run_one(service, item, k, mode, articles))
    run = EvalRun(records=records, top_k=k, answerer=answerer)
    if judge is not None:
        judge.judge_records(records, progress=progress)
        run.judge_status = f"run with {judge.name}"
    for record in records:
        record.scores = score_question(record)
    return run


def _run_one(service: RagService, item: EvalItem, k: int, mode: str | None,
             articles: dict[str, str | None]) -> QuestionRecord:
    record = QuestionRecord(
        id=item.id, split=item.split, category=item.category, question=item.question,
        key_facts=item.key_facts, expected_sources=item.sources,
        reference_answer=item.reference_answer, history=item.history)
    try:
        answer = service.ask(item.question, top_k=k, history=item.history, mode=mode)
    except Exception as exc:  # recorded and scored as a failure; the run goes on
        record.error = f"{type(exc).__name__}: {exc}"
        return record
    # Hit rate and MRR are scored on the passages the answerer itself was given: no
    # second search that could drift from the service's own query building.
    record.retrieved = answer.retrieved
    record.answer, record.refused, record.mode = answer.answer, answer.refused, answer.mode
    record.citations, record.related = answer.citations, answer.related
    record.timings_ms = answer.timings_ms
    record.offset_mismatches = sum(not _offsets_exact(c, service, articles)
                                   for c in answer.citations)
    return record


def _offsets_exact(citation: Citation, service: RagService,
                   articles: dict[str, str | None]) -> bool:
    if citation.doc_id not in articles:
        articles[citation.doc_id] = service.document_text(citation.doc_id)
    text = articles[citation.doc_id]
    return text is not None and text[citation.start:citation.end] == citation.text


# -- the command line ----------------------------------------------------------------------


def run_from_cli(args: argparse.Namespace, settings: Settings) -> int:
    if getattr(args, "from_feedback", None) is not None:  # no run: candidates from votes
        from eval.from_feedback import run_from_cli as candidates_from_feedback

        return candidates_from_feedback(args, settings)
    try:
        return _cli(args, settings)
    except (SetupError, DatasetError, ThresholdFileError, baseline_mod.BaselineError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _cli(args: argparse.Namespace, settings: Settings) -> int:
    started = time.time()
    set_paths = _set_paths(args.eval_set)
    items = load_sets(set_paths)
    limits = _limits(args)
    # Read before anything is written: --out may be the baseline's own folder.
    baseline = baseline_mod.load_baseline(Path(args.baseline)) if args.baseline else None
    out_dir = Path(args.out) if args.out else None

    if args.answerer == "llm" and settings.llm != "openai":
        raise SetupError("--answerer llm needs RAG_LLM=openai (and OPENAI_BASE_URL or "
                         "OPENAI_API_KEY)")
    judge, judge_status = _judge(args, settings)

    service = RagService(settings)
    if args.ingest:
        _ingest(service, [Path(p) for p in args.ingest], args.progress)
    documents = service.documents()
    if not documents:
        raise SetupError(f"the collection '{settings.collection}' in {_where(settings)} has no "
                         "documents; run `rag ingest data/articles` first, or pass "
                         "--ingest PATH")
    chosen = select(items, args.limit)
    run = run_eval(service, chosen, top_k=args.top_k, mode=args.answerer, judge=judge,
                   progress=args.progress)
    if judge is None:
        run.judge_status = judge_status

    indexed = {d.source for d in documents}
    absent = sorted({s for item in chosen for s in item.sources} - indexed)
    if absent:
        run.warnings.append("expected articles not in the index (their questions cannot hit): "
                            + ", ".join(absent))
    if errors := sum(r.error is not None for r in run.records):
        run.warnings.append(f"{errors} question(s) failed with an error; see results.json")
    run.meta = {
        "started_at": datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "eval_sets": [str(p.resolve()) for p in set_paths],
        "eval_set": ", ".join(str(p.resolve()) for p in set_paths),  # format 1 readers
        "set_fingerprint": set_fingerprint(set_paths),
        "questions_in_set": len(items), "questions_run": len(chosen), "limit": args.limit,
        "questions_by_split": _count_by_split(chosen),
        "top_k": run.top_k, "answerer": run.answerer,
        "llm_model": settings.llm_model if run.answerer == "llm" else None,
        "judge": run.judge_status,
        "embedding_model": settings.embedding_model_name,
        "chunk_size": settings.chunk_size, "chunk_overlap": settings.chunk_overlap,
        "reader_weights": _reader_weights(),
        "store": _where(settings), "collection": settings.collection,
        "documents": sorted(indexed),
    }
    if baseline:
        run.warnings += baseline_mod.comparability_warnings(run.meta, baseline)

    overall = summarise(run.records)
    checks = check(overall, limits)
    changes = baseline_mod.compare(overall, baseline) if baseline else None
    out_dir = out_dir or _default_out_dir(started)
    written = report.write_all(run, out_dir, checks, baseline, changes)
    if not args.out:
        _point_latest(out_dir)

    print(report.format_table(overall, summarise_by_category(run.records), run.top_k,
                              run.judge_status, by_split=summarise_by_split(run.records)))
    if changes is not None and baseline is not None:
        print()
        print(report.format_changes(changes, baseline.path))
    for warning in run.warnings:
        print(f"warning: {warning}")
    print()
    print(report.format_checks(checks))
    print(f"wrote {', '.join(p.name for p in written)} to {out_dir}")
    return 0 if all(c.passed for c in checks) else 1


def _reader_weights() -> str:
    """The fitted reader's weights file, by content: a refit makes runs incomparable."""
    import hashlib

    from rag.answering.features import WEIGHTS_FILE

    return hashlib.sha256(WEIGHTS_FILE.read_bytes()).hexdigest()[:12]


def _set_paths(eval_set: str | Sequence[str] | None) -> list[Path]:
    """--set FILE runs that file; without it, both packaged splits (dev, then heldout).
    A list is accepted too, should --set ever be allowed more than once."""
    if not eval_set:
        return list(DEFAULT_SETS)
    return [Path(eval_set)] if isinstance(eval_set, str) else [Path(p) for p in eval_set]


def _count_by_split(items: Sequence[EvalItem]) -> dict[str, int]:
    return dict(Counter(item.split for item in items))


def _limits(args: argparse.Namespace) -> dict[str, float]:
    limits = load_threshold_file(Path(args.thresholds)) if args.thresholds else {}
    for name in BY_NAME:
        if getattr(args, name, None) is not None:
            limits[name] = float(getattr(args, name))
    return limits


def _judge(args: argparse.Namespace, settings: Settings) -> tuple[Judge | None, str]:
    if not args.judge:
        return None, "not run (pass --judge)"
    reason = judge_unavailable(settings)
    if reason:
        print(f"warning: faithfulness judge not run: {reason}", file=sys.stderr)
        return None, f"not run: {reason}"
    try:
        return Judge.from_settings(settings, args.judge_model), ""
    except Exception as exc:
        reason = f"the LLM endpoint did not answer ({type(exc).__name__}: {exc})"
        print(f"warning: faithfulness judge not run: {reason}", file=sys.stderr)
        return None, f"not run: {reason}"


def _ingest(service: RagService, paths: list[Path], progress: bool) -> None:
    result = service.ingest_paths(paths, progress=progress)
    for name, reason in result.skipped:
        print(f"skipped   {name}: {reason}", file=sys.stderr)
    print(f"ingest: {result.summary()}")
    if result.skipped and not (result.added or result.updated or result.unchanged):
        raise SetupError("--ingest found nothing to ingest")


def _where(settings: Settings) -> str:
    if settings.chroma_host:
        return f"the Chroma server at {settings.chroma_host}:{settings.chroma_port}"
    return str(settings.data_dir)


def _default_out_dir(started: float) -> Path:
    stamp = datetime.fromtimestamp(started).strftime("%Y%m%d-%H%M%S")
    path = DEFAULT_OUT_ROOT / stamp
    n = 1
    while path.exists():  # two runs in the same second
        n += 1
        path = DEFAULT_OUT_ROOT / f"{stamp}-{n}"
    return path


def _point_latest(out_dir: Path) -> None:
    """eval/out/latest -> the newest run, so `--baseline eval/out/latest/results.json` works."""
    latest = DEFAULT_OUT_ROOT / "latest"
    with contextlib.suppress(OSError):  # a convenience only (e.g. no symlinks on this FS)
        if latest.is_symlink():
            latest.unlink()
        if not latest.exists():
            latest.symlink_to(out_dir.name, target_is_directory=True)
