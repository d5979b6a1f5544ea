"""How much the overall figures depend on which questions were asked, and gates set from it.

An eval set is a sample of the questions people could ask: on another sample of the
same size every figure would come out a little different. The bootstrap standard
error measures that spread from one run: draw the questions again with replacement,
recompute the figure exactly as `rag eval` does (pooled ratios and all), repeat, and
take the standard deviation of the results.

A quality gate set one question under the measured figure fails a correct change
that merely trades one answered question for another. Floors of measured − 2·SE
(ceilings of measured + 2·SE for `max_` bounds) leave room for that reshuffling and
still fail a real regression:

    rag eval --ingest data/articles --out /tmp/ev     # on the defaults CI uses
    python -m eval.spread /tmp/ev/results.json         # measured, SE, suggested, current
    python -m eval.spread /tmp/ev/results.json --write # updates eval/ci_thresholds.json

Floors are rounded down and ceilings up to 0.01. Citation validity and exact offsets
are contracts, so their floor stays 1.0; the latency bound depends on the machine,
not on the questions, so it is left as it is in the file.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from eval.baseline import read_results
from eval.metrics import summarise
from eval.records import QuestionRecord
from eval.thresholds import THRESHOLDS, Threshold, ThresholdFileError, load_threshold_file

CI_THRESHOLDS = Path(__file__).resolve().parent / "ci_thresholds.json"
CONTRACTS = ("min_citation_validity", "min_offsets_exact")  # always 1.0
BY_MACHINE = ("max_p95_ms",)  # set by hand: CI machines vary, questions do not explain it
DEFAULT_RESAMPLES = 1000
MARGIN_SE = 2.0


class SpreadError(ValueError):
    pass


@dataclass(frozen=True)
class Suggestion:
    threshold: Threshold
    measured: float | None  # None: a contract this run did not measure
    se: float | None  # None for contracts
    bound: float


def load_records(path: Path) -> list[QuestionRecord]:
    """The per-question records of a results.json written by `rag eval`."""
    obj = read_results(path, SpreadError)
    records = [QuestionRecord.from_json(q) for q in obj.get("questions", [])]
    if not records:
        raise SpreadError(f"{path} holds no questions")
    return records


def bootstrap_se(records: Sequence[QuestionRecord], metrics: Sequence[str],
                 resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> dict[str, float | None]:
    """Per metric, the standard deviation of the overall figure over resampled question sets.

    A resample where the metric is undefined (e.g. refusal precision with no refusal
    drawn) is left out for that metric; None when fewer than two resamples define it.
    """
    rng = random.Random(seed)
    n = len(records)
    draws: dict[str, list[float]] = {m: [] for m in metrics}
    for _ in range(resamples):
        summary = summarise([records[rng.randrange(n)] for _ in range(n)])
        for metric in metrics:
            value = summary.get(metric)
            if isinstance(value, int | float):
                draws[metric].append(float(value))
    return {m: statistics.stdev(v) if len(v) > 1 else None for m, v in draws.items()}


def suggest(records: Sequence[QuestionRecord], resamples: int = DEFAULT_RESAMPLES,
            seed: int = 0) -> list[Suggestion]:
    """Contracts at 1.0, and a bound for every other measured metric with a threshold
    except the machine-bound latency."""
    overall = summarise(records)
    measured = {t.name: float(v) for t in THRESHOLDS
                if isinstance(v := overall.get(t.metric), int | float)}
    wanted = [t for t in THRESHOLDS if t.name not in BY_MACHINE + CONTRACTS
              and t.name in measured]
    spread = bootstrap_se(records, [t.metric for t in wanted], resamples, seed)
    out = [Suggestion(t, measured.get(t.name), None, 1.0)
           for t in THRESHOLDS if t.name in CONTRACTS]
    # A rate measured at 0 or 1 has no spread in resamples, yet one question can move it:
    # never allow less than one question's worth.
    one_question = 1 / max(1, len(records))
    for t in wanted:
        value, se = measured[t.name], max(spread[t.metric] or 0.0, one_question)
        if t.bound == "min":
            bound = max(0.0, _round_down(value - MARGIN_SE * se))
        else:
            bound = min(1.0, _round_up(value + MARGIN_SE * se))
        out.append(Suggestion(t, value, spread[t.metric], bound))
    order = [t.name for t in THRESHOLDS]
    return sorted(out, key=lambda s: order.index(s.threshold.name))


def _round_down(x: float) -> float:
    return math.floor(x * 100 + 1e-9) / 100  # the epsilon keeps 0.57 from becoming 0.56


def _round_up(x: float) -> float:
    return math.ceil(x * 100 - 1e-9) / 100


def write_thresholds(path: Path, suggestions: Sequence[Suggestion]) -> None:
    """Update the bounds in a thresholds file; its comments and other bounds stay."""
    obj = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for s in suggestions:
        obj[s.threshold.name] = s.bound
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def format_table(suggestions: Sequence[Suggestion], current: dict[str, float]) -> str:
    rows = [f"{'bound':<26} {'measured':>9} {'SE':>7} {'suggested':>10} {'current':>8}"]
    for s in suggestions:
        value = "-" if s.measured is None else f"{s.measured:.3f}"
        se = "-" if s.se is None else f"{s.se:.3f}"
        now = current.get(s.threshold.name)
        rows.append(f"{s.threshold.name:<26} {value:>9} {se:>7} {s.bound:>10.2f} "
                    f"{'-' if now is None else f'{now:g}':>8}")
    return "\n".join(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m eval.spread",
        description="Suggest quality-gate bounds from a results.json: measured - 2 bootstrap "
                    "standard errors over questions (+ for max_ bounds), rounded outward to "
                    "0.01; contracts stay 1.0, the latency bound is left alone.")
    parser.add_argument("results", type=Path, help="a results.json written by `rag eval`")
    parser.add_argument("--thresholds", type=Path, default=CI_THRESHOLDS, metavar="JSON",
                        help="the thresholds file to compare with and update "
                             "(default: eval/ci_thresholds.json)")
    parser.add_argument("--write", action="store_true",
                        help="write the suggested bounds into that file")
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES, metavar="N")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        records = load_records(args.results)
        current = _current(args.thresholds)
    except SpreadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    suggestions = suggest(records, args.resamples, args.seed)
    print(f"{len(records)} questions, {args.resamples} resamples")
    print(format_table(suggestions, current))
    if args.write:
        write_thresholds(args.thresholds, suggestions)
        print(f"wrote {len(suggestions)} bounds to {args.thresholds}")
    return 0


def _current(path: Path) -> dict[str, float]:
    if not path.exists():
        return {}
    try:
        return load_threshold_file(path)
    except ThresholdFileError as exc:
        raise SpreadError(str(exc)) from None


if __name__ == "__main__":
    sys.exit(main())
