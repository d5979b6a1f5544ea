"""Arguments of `rag eval` (kept beside the harness, read by the CLI's parser)."""

from __future__ import annotations

import argparse

from eval.dataset import DEFAULT_SET
from eval.metrics import METRICS
from eval.thresholds import THRESHOLDS
from rag.cli_types import positive_int


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = ("Exit codes: 0 done (and every threshold met), 1 a threshold failed, "
                     "2 the run could not start (bad set, empty index, ...).")
    parser.add_argument("--set", dest="eval_set", nargs="+", default=None, metavar="FILE",
                        help=f"JSONL eval set(s) (default: the packaged {DEFAULT_SET.name} "
                             "and its held-out split; format: eval/data/FORMAT.md)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="where to write results.json, report.md and the charts "
                             "(default: eval/out/<timestamp>/ in the project, with "
                             "eval/out/latest pointing at the newest run); with "
                             "--from-feedback: the candidates' JSONL file")
    parser.add_argument("--top-k", type=positive_int, default=None, metavar="N",
                        help="passages retrieved per question (default: RAG_TOP_K)")
    parser.add_argument("--baseline", default=None, metavar="RESULTS_JSON",
                        help="an earlier run's results.json to compare against")
    parser.add_argument("--answerer", choices=["extractive", "llm"], default=None,
                        help="answerer to evaluate (default: the one RAG_LLM selects)")
    parser.add_argument("--judge", action="store_true",
                        help="judge faithfulness with the configured LLM (needs RAG_LLM=openai "
                             "or OPENAI_BASE_URL; otherwise reported as not run)")
    parser.add_argument("--judge-model", default=None, metavar="NAME",
                        help="model name for the judge (default: RAG_LLM_MODEL)")
    parser.add_argument("--limit", type=positive_int, default=None, metavar="N",
                        help="run only N questions, picked evenly across the set so every "
                             "part of it stays represented (a quick check)")
    parser.add_argument("--ingest", nargs="+", default=None, metavar="PATH",
                        help="ingest these files or folders first (idempotent); without it "
                             "the index must already hold documents")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="no progress bars")
    parser.add_argument("--from-feedback", nargs="?", const="", default=None, metavar="FILE",
                        help="instead of a run: turn the chat's votes (FILE, default "
                             "RAG_DATA_DIR/feedback.jsonl) into eval-set candidates for a "
                             "person to review, written to --out CANDIDATES.jsonl")
    gates = parser.add_argument_group(
        "thresholds", "Exit 1, listing what failed, when an overall figure misses its bound. "
                      "A bound on a metric that was not measured fails.")
    gates.add_argument("--thresholds", default=None, metavar="JSON",
                       help='a JSON file of bounds, e.g. {"min_hit_rate": 0.9}; flags given '
                            "on the command line override it (see eval/ci_thresholds.json)")
    for t in THRESHOLDS:
        metric = METRICS[t.metric]
        word = "below" if t.bound == "min" else "above"
        unit = "milliseconds" if metric.kind == "ms" else "0-1"
        gates.add_argument("--" + t.name.replace("_", "-"), dest=t.name, default=None,
                           type=_non_negative_float, metavar="X",
                           help=f"fail when {metric.label} is {word} X ({unit})")


def _non_negative_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{value}'") from None
    if not x >= 0:  # also rejects nan
        raise argparse.ArgumentTypeError("must be a number >= 0")
    return x
