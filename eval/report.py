"""What a run leaves behind: the printed table, report.md, results.json and the charts."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import charts
from eval.baseline import RESULTS_FORMAT, Baseline, Change
from eval.metrics import (
    COUNTS,
    METRICS,
    Metric,
    Summary,
    summarise,
    summarise_by_category,
    summarise_by_split,
)
from eval.records import EvalRun, QuestionRecord
from eval.thresholds import Check

LABEL_WIDTH = 28
FAMILY_TITLES = {"retrieval": "retrieval", "answers": "answers", "citations": "citations",
                 "refusals": "refusals", "speed": "speed", "faithfulness": "faithfulness (judge)"}
ANSWER_PREVIEW = 500


# -- values ------------------------------------------------------------------------------


def label(metric: Metric, k: int) -> str:
    return metric.label.replace("@k", f"@{k}")


def fmt(value: float | int | None, kind: str = "rate") -> str:
    if value is None:
        return "-"
    if kind == "count":
        return str(int(value))
    if kind == "ms":
        return f"{value:.1f}"
    return f"{value:.3f}"


def _rows(judged: bool) -> list[tuple[str, Metric | None]]:
    """(family title, None) headings, then (key, metric) rows; judge rows only when it ran."""
    rows: list[tuple[str, Metric | None]] = []
    family = ""
    for metric in METRICS.values():
        if metric.family == "faithfulness" and not judged:
            continue
        if metric.family != family:
            family = metric.family
            rows.append((FAMILY_TITLES[family], None))
        rows.append((metric.key, metric))
    return rows


def columns(overall: Summary, by_category: dict[str, Summary],
            by_split: dict[str, Summary] | None = None) -> list[tuple[str, Summary]]:
    """overall, then each split (dev, heldout) side by side, then each category.

    A run of one split shows no split column: it would repeat `overall`."""
    splits = list(by_split.items()) if by_split and len(by_split) > 1 else []
    return [("overall", overall), *splits, *by_category.items()]


# -- the printed table ---------------------------------------------------------------------


def format_table(overall: Summary, by_category: dict[str, Summary], k: int,
                 judge_status: str, max_width: int | None = None,
                 by_split: dict[str, Summary] | None = None) -> str:
    """Metrics down; overall, each split and each category across; split into blocks if
    too wide (each block repeats `overall`)."""
    width = max_width or max(80, shutil.get_terminal_size((120, 24)).columns)
    judged = overall.get("faithfulness") is not None or overall.get("judge_errors") is not None
    blocks: list[list[tuple[str, Summary]]] = [[]]
    used = LABEL_WIDTH
    for name, summary in columns(overall, by_category, by_split):
        col = _column_width(name) + 2
        if blocks[-1] and used + col > width:
            blocks.append([("overall", overall)])
            used = LABEL_WIDTH + _column_width("overall") + 2
        blocks[-1].append((name, summary))
        used += col
    text = "\n\n".join(_block(block, k, judged) for block in blocks)
    if not judged:
        text += f"\nfaithfulness (judge): {judge_status}"
    return text


def _header_lines(name: str) -> list[str]:
    """Long category names wrap at an underscore, space or hyphen near their middle."""
    if len(name) <= 10:
        return [name]
    cuts = [i for i, ch in enumerate(name) if ch in "_ -"]
    if not cuts:
        return [name]
    cut = min(cuts, key=lambda i: abs(i - len(name) / 2))
    return [name[: cut + (name[cut] == "-")], name[cut + 1:]]


def _column_width(name: str) -> int:
    return max(7, *(len(part) for part in _header_lines(name)))


def _block(columns: list[tuple[str, Summary]], k: int, judged: bool) -> str:
    widths = [_column_width(name) for name, _ in columns]
    heads = [_header_lines(name) for name, _ in columns]
    lines = []
    for i in range(max(len(h) for h in heads)):
        cells = [(h[i] if i < len(h) else "").rjust(w) for h, w in zip(heads, widths, strict=True)]
        lines.append(" " * LABEL_WIDTH + "  ".join(cells))
    for key in COUNTS:
        cells = [fmt(s.get(key), "count").rjust(w) for (_, s), w in zip(columns, widths,
                                                                         strict=True)]
        lines.append(key.ljust(LABEL_WIDTH) + "  ".join(cells))
    for key, metric in _rows(judged):
        if metric is None:
            lines.append(key)
            continue
        name = "  " + label(metric, k)
        cells = [fmt(s.get(key), metric.kind).rjust(w)
                 for (_, s), w in zip(columns, widths, strict=True)]
        lines.append(name.ljust(LABEL_WIDTH) + "  ".join(cells))
    return "\n".join(lines)


def format_checks(checks: Sequence[Check]) -> str:
    if not checks:
        return "thresholds: none given"
    failed = [c for c in checks if not c.passed]
    head = f"thresholds: {len(checks) - len(failed)} of {len(checks)} met"
    if not failed:
        return head
    return "\n".join([head + "; FAILED:", *(f"  - {c.describe()}" for c in failed)])


def format_changes(changes: Sequence[Change], path: Path) -> str:
    lines = [f"change against {path}:"]
    for c in changes:
        metric = METRICS[c.metric]
        arrow = {True: "better", False: "worse", None: "same"}[c.improved]
        lines.append(f"  {metric.label:<{LABEL_WIDTH - 2}} {fmt(c.before, metric.kind):>9} -> "
                     f"{fmt(c.after, metric.kind):>9}  ({c.delta:+.3f}, {arrow})")
    return "\n".join(lines)


# -- files -------------------------------------------------------------------------------


def write_all(run: EvalRun, out_dir: Path, checks: Sequence[Check],
              baseline: Baseline | None, changes: Sequence[Change] | None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    overall = summarise(run.records)
    by_category, by_split = summarise_by_category(run.records), summarise_by_split(run.records)
    results = out_dir / "results.json"
    results.write_text(json.dumps(results_json(run, overall, by_category, by_split, checks,
                                               baseline, changes), indent=2, ensure_ascii=False),
                       encoding="utf-8")
    pngs = [charts.metrics_by_category(overall, by_category, run.top_k, run.answerer,
                                       out_dir / "metrics_by_category.png",
                                       by_split=by_split),
            charts.latency(run.records, out_dir / "latency.png")]
    if changes is not None and baseline is not None:
        pngs.append(charts.baseline_change(changes, baseline.path, run.top_k,
                                            out_dir / "baseline_change.png"))
    md = out_dir / "report.md"
    md.write_text(markdown(run, overall, by_category, by_split, checks, baseline, changes,
                           pngs), encoding="utf-8")
    return [results, md, *pngs]


def results_json(run: EvalRun, overall: Summary, by_category: dict[str, Summary],
                 by_split: dict[str, Summary], checks: Sequence[Check],
                 baseline: Baseline | None, changes: Sequence[Change] | None) -> dict[str, Any]:
    return {
        "format": RESULTS_FORMAT,
        "meta": run.meta | {"judge": run.judge_status},
        "warnings": run.warnings,
        "summary": {"overall": overall, "by_split": by_split, "by_category": by_category},
        "metrics": {key: {"label": m.label, "family": m.family, "kind": m.kind,
                          "higher_is_better": m.higher_is_better}
                    for key, m in METRICS.items()},
        "thresholds": [c.to_json() for c in checks],
        "baseline": None if baseline is None or changes is None else {
            "path": str(baseline.path),
            "changes": [{"metric": c.metric, "before": c.before, "after": c.after,
                         "delta": round(c.delta, 6), "improved": c.improved}
                        for c in changes]},
        "questions": [r.to_json() for r in run.records],
    }


def markdown(run: EvalRun, overall: Summary, by_category: dict[str, Summary],
             by_split: dict[str, Summary], checks: Sequence[Check], baseline: Baseline | None,
             changes: Sequence[Change] | None, pngs: Sequence[Path]) -> str:
    meta = run.meta
    judged = overall.get("faithfulness") is not None or overall.get("judge_errors") is not None
    out = ["# Eval report", ""]
    if meta:
        sets = meta.get("eval_sets") or [meta.get("eval_set")]
        counts = meta.get("questions_by_split") or {}
        out += [f"- started {meta.get('started_at')}, took {meta.get('duration_s')} s",
                f"- set: {', '.join(f'`{s}`' for s in sets)} ({meta.get('questions_run')} of "
                f"{meta.get('questions_in_set')} questions"
                + "".join(f"; {n} {split}" for split, n in counts.items()) + ")",
                f"- answerer: {run.answerer}"
                + (f" ({meta['llm_model']})" if meta.get("llm_model") else "")
                + f", top-k {run.top_k}, embeddings {meta.get('embedding_model')}, "
                f"chunks {meta.get('chunk_size')}/{meta.get('chunk_overlap')} tokens",
                f"- index: {len(meta.get('documents', []))} documents in {meta.get('store')}"]
    out += [f"- faithfulness judge: {run.judge_status}", ""]

    out += ["## Results", ""]
    shown = columns(overall, by_category, by_split)
    names = [name for name, _ in shown]
    summaries = [summary for _, summary in shown]
    out.append("| metric | " + " | ".join(names) + " |")
    out.append("|---|" + "---:|" * len(names))
    for key in COUNTS:
        out.append(f"| {key} | " + " | ".join(fmt(s.get(key), "count") for s in summaries) + " |")
    for key, metric in _rows(judged):
        if metric is None:
            out.append(f"| **{key}** |" + " |" * len(names))
        else:
            out.append(f"| {label(metric, run.top_k)} | "
                       + " | ".join(fmt(s.get(key), metric.kind) for s in summaries) + " |")
    out += ["", "Rates are 0-1; times are milliseconds; '-' means not measured for that group "
            "(e.g. hit rate on unanswerable questions). Definitions: eval/README.md.", ""]
    if len(by_split) > 1:
        out += ["`dev` and `heldout` are the two splits of the set: tuning reads dev only, "
                "heldout checks that what was tuned carries over. Thresholds apply to "
                "`overall`.", ""]

    out += ["## Thresholds", ""]
    if checks:
        out += [f"- {'PASS' if c.passed else '**FAIL**'} {c.describe()}" for c in checks]
    else:
        out.append("None given.")
    out.append("")

    if baseline is not None and changes is not None:
        out += [f"## Change against `{baseline.path}`", "",
                "| metric | baseline | this run | change |", "|---|---:|---:|---:|"]
        for c in changes:
            m = METRICS[c.metric]
            mark = {True: " (better)", False: " (worse)", None: ""}[c.improved]
            out.append(f"| {label(m, run.top_k)} | {fmt(c.before, m.kind)} | "
                       f"{fmt(c.after, m.kind)} | {c.delta:+.3f}{mark} |")
        out.append("")

    out += ["## Charts", ""] + [f"![{p.stem}]({p.name})" for p in pngs] + [""]
    if run.warnings:
        out += ["## Warnings", ""] + [f"- {w}" for w in run.warnings] + [""]
    out += _failures(run.records, run.top_k, show_split=len(by_split) > 1)
    return "\n".join(out)


# -- the questions worth reading -----------------------------------------------------------


def problems(record: QuestionRecord) -> list[str]:
    s = record.scores
    found: list[str] = []
    if record.error:
        found.append(f"error: {record.error}")
    if record.answerable:
        if s.get("hit") is False:
            found.append("no expected article retrieved")
        if record.refused:
            found.append("refused an answerable question")
        elif s.get("missing_facts"):
            found.append(f"missing key facts: {', '.join(s['missing_facts'])}")
        if s.get("citation_hit") is False:
            found.append("no citation from an expected article")
    elif record.refused is False:
        found.append("answered an unanswerable question")
    found += s.get("citation_problems", [])
    if record.offset_mismatches:
        found.append(f"{record.offset_mismatches} citation(s) not at their article offsets")
    for v in record.judge or []:
        if v.verdict != "supported":
            found.append(f"judge: {v.verdict}: \"{_short(v.sentence, 120)}\""
                         + (f" (reply: {_short(v.reply, 80)!r})" if v.reply else ""))
    return found


def _failures(records: Sequence[QuestionRecord], k: int, show_split: bool = False) -> list[str]:
    failing = [(r, p) for r in records if (p := problems(r))]
    out = [f"## Questions to read ({len(failing)} of {len(records)})", ""]
    if not failing:
        return [*out, "Every question passed every check.", ""]
    for record, found in failing:
        where = f"{record.category}, {record.split}" if show_split else record.category
        out += [f"### {record.id} ({where})", "",
                f"**Q:** {record.question}", ""]
        if record.history:
            out += ["History: " + " / ".join(f"*{t.role}*: {_short(t.content, 120)}"
                                             for t in record.history), ""]
        out += [*(f"- {p}" for p in found), ""]
        if record.answer is not None:
            out += ["**Answer:**", "", textwrap.indent(_short(record.answer, ANSWER_PREVIEW),
                                                      "> "), ""]
        if record.citations:
            out += ["Cited: " + ", ".join(f"[{c.n}] {c.source} chars {c.start}-{c.end}"
                                          for c in record.citations) + "  "]
        if record.answerable:
            facts = "; ".join(" / ".join(v) for v in record.key_facts)
            out += [f"Expected facts: {facts}  ", f"Reference: {record.reference_answer}  ",
                    f"Expected articles: {', '.join(record.expected_sources)}  "]
        retrieved = ", ".join(f"{p.source} ({p.score:.2f})" for p in record.retrieved)
        out += [f"Retrieved top {k}: {retrieved or 'nothing'}  "]
        if record.related:  # a refusal's further reading: shown, never scored as citations
            out += ["Related (offered with the refusal): "
                    + ", ".join(f"{p.source} ({p.score:.2f})" for p in record.related) + "  "]
        out.append("")
    return out


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
