"""PNG charts of a run (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after use("Agg"): the backend is chosen first

from eval.baseline import Change
from eval.metrics import METRICS, Summary
from eval.metrics.speed import STAGES, percentile, stage_times
from eval.records import QuestionRecord

# The quality figures worth comparing across categories (rates, 0-1).
CATEGORY_METRICS = ("hit_rate", "mrr", "accuracy", "f1", "citation_hit_rate",
                    "citation_precision", "refusal_recall", "wrong_refusal_rate", "faithfulness")
DPI = 120
BETTER, WORSE, SAME = "#2e7d32", "#c62828", "#9e9e9e"
SPLIT_COLOURS = ("#78909c", "#b0bec5")


def metrics_by_category(overall: Summary, by_category: dict[str, Summary], k: int,
                        answerer: str, path: Path,
                        by_split: dict[str, Summary] | None = None) -> Path:
    """One panel per metric; one bar for overall, each split (when there are several) and
    each category: readable whatever the category count."""
    splits = [(f"{name} split", s) for name, s in by_split.items()] if (
        by_split and len(by_split) > 1) else []
    groups = [("overall", overall), *splits, *by_category.items()]
    shown = [m for m in CATEGORY_METRICS if any(s.get(m) is not None for _, s in groups)]
    cols = min(4, max(1, len(shown)))
    rows = -(-len(shown) // cols)
    fig, axes = plt.subplots(rows, cols, squeeze=False, sharey=True,
                             figsize=(4.2 * cols + 1.5, 0.42 * len(groups) * rows + 1.6 * rows))
    names = [f"{name} (n={s.get('questions')})" for name, s in groups]
    # overall dark, splits in greys (they pool the categories below them), categories coloured
    colours = (["#37474f"] + [SPLIT_COLOURS[i % len(SPLIT_COLOURS)] for i in range(len(splits))]
               + [plt.get_cmap("tab10")(i % 10) for i in range(len(by_category))])
    for ax, key in zip(axes.flat, shown, strict=False):
        metric = METRICS[key]
        values = [s.get(key) for _, s in groups]
        ys = range(len(groups))
        bars = ax.barh(ys, [v if isinstance(v, int | float) else 0 for v in values],
                       color=colours, height=0.7)
        ax.bar_label(bars, labels=[f"{v:.2f}" if isinstance(v, int | float) else "n/a"
                                   for v in values], padding=3, fontsize=8)
        ax.set_yticks(list(ys), names, fontsize=9)
        ax.set_ylim(len(groups) - 0.5, -0.5)  # overall on top (not invert_yaxis: axes share y)
        if splits:  # a rule between the pooled rows and the categories
            ax.axhline(len(splits) + 0.5, color="black", linewidth=0.6, alpha=0.5)
        ax.set_xlim(0, 1.18)
        ax.set_title(metric.label.replace("@k", f"@{k}")
                     + ("" if metric.higher_is_better else " (lower is better)"), fontsize=10)
        ax.set_xlabel("rate (0-1)", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in list(axes.flat)[len(shown):]:
        ax.set_visible(False)
    fig.suptitle(f"Quality per {'split and ' if splits else ''}category ({answerer} answerer, "
                 f"top-{k}; n/a: the metric does not apply to that group)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def latency(records: Sequence[QuestionRecord], path: Path) -> Path:
    fig, axes = plt.subplots(1, len(STAGES), figsize=(14, 4.6))
    for ax, stage in zip(axes, STAGES, strict=True):
        times = stage_times(records, stage)
        ax.set_title(f"{stage} (n={len(times)})")
        ax.set_xlabel("milliseconds")
        ax.set_ylabel("questions")
        if not times:
            ax.text(0.5, 0.5, "no timings", ha="center", va="center", transform=ax.transAxes)
            continue
        ax.hist(times, bins=min(30, max(5, len(times) // 2)), color="#5c6bc0", alpha=0.85)
        for q, style in ((50, "--"), (95, ":")):
            value = percentile(times, q)
            assert value is not None
            ax.axvline(value, color="#d84315", linestyle=style, linewidth=1.6,
                       label=f"p{q} = {value:.1f} ms")
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Latency per stage (the service's own timings)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path


def baseline_change(changes: Sequence[Change], baseline: Path, k: int, path: Path) -> Path:
    rates = [c for c in changes if METRICS[c.metric].kind == "rate"]
    times = [c for c in changes if METRICS[c.metric].kind == "ms"]
    panels = [(rates, "change (points of a 0-1 rate)"), (times, "change (ms)")]
    panels = [(group, unit) for group, unit in panels if group]
    fig, axes = plt.subplots(len(panels) or 1, 1, squeeze=False,
                             figsize=(10, 1.2 + 0.42 * max(1, len(changes))))
    for ax, (group, unit) in zip(axes[:, 0], panels, strict=False):
        names = [METRICS[c.metric].label.replace("@k", f"@{k}") for c in group]
        deltas = [c.delta for c in group]
        colours = [{True: BETTER, False: WORSE, None: SAME}[c.improved] for c in group]
        bars = ax.barh(names, deltas, color=colours)
        digits = 3 if group is rates else 1
        ax.bar_label(bars, labels=[f"{c.delta:+.{digits}f} ({c.before:.{digits}f} -> "
                                   f"{c.after:.{digits}f})" for c in group],
                     padding=3, fontsize=8)
        ax.axvline(0, color="black", linewidth=0.8)
        ax.invert_yaxis()
        ax.set_xlabel(unit)
        span = max((abs(d) for d in deltas), default=0) or 1.0
        ax.set_xlim(-span * 2.2, span * 2.2)  # room for the labels on either side
        ax.grid(axis="x", alpha=0.3)
    if not panels:
        axes[0, 0].text(0.5, 0.5, "no metric in common", ha="center", va="center")
    axes[0, 0].set_title(f"Change against {baseline.parent.name}/{baseline.name} "
                         "(green: better, red: worse)")
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)
    return path
