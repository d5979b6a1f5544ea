"""Install time, venv size, start-up time and peak memory, before and after, in one run.

Run:  .venv/bin/python bench/startup.py [--only before|after] [--dev] [--reuse] [--runs 5]

"before" is `git archive` of --before (default 260229a, torch embeddings); "after" is a copy
of this working tree, uncommitted and untracked (not ignored) files included. Each side gets a
fresh .venv from its own `bash scripts/setup.sh`, in --workdir; this repository's .venv is not
touched. Prints one markdown table and writes bench/out/startup.{json,md} (and startup.png when
matplotlib is importable). MB = 2**20 bytes. Figures come from one run on whatever the machine
is doing; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import (
    MB,
    clean_env,
    du_bytes,
    free_port,
    run_measured,
    say,
    stop,
    tree_peak_mb,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "Where did Orban and Putin meet during the Belt and Road Forum?"
SIDES = ("before", "after")

Result = dict[str, Any]


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout


# --- checkouts and installs -------------------------------------------------------------------


def export_ref(ref: str, dest: Path) -> None:
    """The committed tree at ref; `git archive` leaves this repository's worktree list alone."""
    dest.mkdir(parents=True)
    tar = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref],
                         capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=tar, check=True)


def snapshot_tree(dest: Path) -> None:
    """Tracked and untracked files as they are on disk now; ignored ones (.venv) stay out."""
    for rel in filter(None, git("ls-files", "-co", "--exclude-standard", "-z").split("\0")):
        src = ROOT / rel
        if not src.is_file() and not src.is_symlink():
            continue  # deleted in the working tree, or a submodule
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target, follow_symlinks=False)


def pip_cache_bytes() -> int | None:
    """Size of pip's cache, to tell a warm install from a cold one; None when disabled."""
    out = subprocess.run([sys.executable, "-m", "pip", "cache", "dir"], capture_output=True,
                         text=True, env=clean_env())
    return du_bytes(Path(out.stdout.strip())) if out.returncode == 0 else None


def timed_setup(checkout: Path, extras: str, log: Path) -> float:
    cmd = ["bash", "scripts/setup.sh", *([extras] if extras else [])]
    started = time.perf_counter()
    with log.open("w") as fh:
        code = subprocess.run(cmd, cwd=checkout, env=clean_env(), stdout=fh,
                              stderr=subprocess.STDOUT).returncode
    if code:
        raise RuntimeError(f"{' '.join(cmd)} failed in {checkout} (exit {code}); see {log}")
    return time.perf_counter() - started


def install(side: str, checkout: Path, extras: str, args: argparse.Namespace) -> Result:
    """A fresh copy of side in checkout, installed; with --reuse, an existing venv is kept."""
    record = checkout / ".bench-install.json"
    if args.reuse and (checkout / ".venv" / "bin" / "rag").exists():
        say(f"{side}: reusing {checkout}/.venv")
        return json.loads(record.read_text()) if record.exists() else {"seconds": None}
    if checkout.exists():
        shutil.rmtree(checkout)
    if side == "before":
        export_ref(args.before, checkout)
    else:
        snapshot_tree(checkout)
    cache = pip_cache_bytes()
    cache_text = "disabled" if cache is None else f"{cache / MB:.0f} MB"
    say(f"{side}: setup.sh {extras or 'base'} in {checkout} (pip cache now {cache_text}) ...")
    seconds = timed_setup(checkout, extras, args.workdir / f"install-{checkout.name}.log")
    say(f"{side}: installed {extras or 'base'} in {seconds:.0f} s")
    result = {"seconds": round(seconds, 1), "pip_cache_bytes_before": cache}
    record.write_text(json.dumps(result))
    return result


# --- measurements ---------------------------------------------------------------------------


def measure_ingest(rag: str, checkout: Path, env: dict[str, str]) -> Result:
    seconds, _, out = run_measured([rag, "ingest", "-q", "data/articles"], checkout, env)
    step = re.search(r" in ([\d.]+) s\s*$", out)
    _, _, listing = run_measured([rag, "documents"], checkout, env)
    chunks = sum(int(n) for n in re.findall(r"\s(\d+) chunks\s", listing))
    return {"ingest_command_s": round(seconds, 2),
            "ingest_step_s": float(step.group(1)) if step else None, "chunks": chunks}


def measure_ask(rag: str, checkout: Path, env: dict[str, str], runs: int) -> Result:
    wall, peak, answer = [], [], ""
    for i in range(runs):
        seconds, mb, answer = run_measured([rag, "ask", QUESTION], checkout, env)
        wall.append(round(seconds, 3))
        peak.append(round(mb, 1))
        say(f"  ask {i + 1}/{runs}: {seconds:.2f} s, {mb:.0f} MB")
    return {"ask_s": wall, "ask_peak_mb": peak, "ask_answer": answer.strip().splitlines()[:1]}


def serve_once(rag: str, checkout: Path, env: dict[str, str], log: Path) -> tuple[float, float]:
    port = free_port()
    with log.open("a") as fh:
        started = time.perf_counter()
        proc = subprocess.Popen([rag, "serve", "--port", str(port)], cwd=checkout, env=env,
                                stdout=fh, stderr=subprocess.STDOUT)
        try:
            wait_ready(f"http://127.0.0.1:{port}/ready", proc, timeout=120)
            seconds = time.perf_counter() - started
            peak = tree_peak_mb(proc.pid)
        finally:
            stop(proc)
    return seconds, peak


def measure_serve(rag: str, checkout: Path, env: dict[str, str], runs: int, log: Path) -> Result:
    ready, peak = [], []
    for i in range(runs):
        seconds, mb = serve_once(rag, checkout, env, log)
        ready.append(round(seconds, 3))
        peak.append(round(mb, 1))
        say(f"  serve {i + 1}/{runs}: ready in {seconds:.2f} s, {mb:.0f} MB")
    return {"serve_ready_s": ready, "serve_peak_mb": peak}


def measure(side: str, checkout: Path, args: argparse.Namespace) -> Result:
    """Everything but the install, against a fresh RAG_DATA_DIR."""
    data_dir = args.workdir / f"{side}-data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    env = clean_env(data_dir)
    rag = str(checkout / ".venv" / "bin" / "rag")
    result: Result = {"venv_bytes": du_bytes(checkout / ".venv")}
    say(f"{side}: .venv is {result['venv_bytes'] / MB:.0f} MB; ingesting ...")
    result.update(measure_ingest(rag, checkout, env))
    say(f"{side}: ingest {result['ingest_command_s']:.1f} s; {args.runs} x rag ask ...")
    result.update(measure_ask(rag, checkout, env, args.runs))
    say(f"{side}: {args.serve_runs} x rag serve ...")
    log = args.workdir / f"serve-{side}.log"
    log.unlink(missing_ok=True)
    result.update(measure_serve(rag, checkout, env, args.serve_runs, log))
    return result


# --- report ---------------------------------------------------------------------------------


def summarise(raw: Result) -> dict[str, float | None]:
    step = raw["ingest_step_s"]
    return {
        "install_base_s": raw["install_base"]["seconds"],
        "install_dev_s": raw.get("install_dev", {}).get("seconds"),
        "venv_mb": raw["venv_bytes"] / MB,
        "ingest_command_s": raw["ingest_command_s"],
        "ingest_chunks_per_s": raw["chunks"] / step if step else None,
        "ask_median_s": statistics.median(raw["ask_s"]),
        "ask_max_s": max(raw["ask_s"]),
        "ask_peak_mb": max(raw["ask_peak_mb"]),
        "serve_ready_median_s": statistics.median(raw["serve_ready_s"]),
        "serve_peak_mb": max(raw["serve_peak_mb"]),
    }


# (label, keys shown as "a / b", number format, target drawn on the chart)
ROWS: list[tuple[str, tuple[str, ...], str, float | None]] = [
    ("install, base (s)", ("install_base_s",), "{:.0f}", None),
    ("install, dev (s)", ("install_dev_s",), "{:.0f}", None),
    ("base .venv (MB), target ≤ 1024", ("venv_mb",), "{:.0f}", 1024),
    ("`rag ingest data/articles`, whole command (s)", ("ingest_command_s",), "{:.1f}", None),
    ("ingest rate (chunks/s, ingest step)", ("ingest_chunks_per_s",), "{:.1f}", None),
    ("`rag ask`, whole command (s), median / max; target ≤ 2",
     ("ask_median_s", "ask_max_s"), "{:.2f}", 2),
    ("`rag ask` peak RSS (MB)", ("ask_peak_mb",), "{:.0f}", None),
    ("`rag serve` ready (s), median; target ≤ 5", ("serve_ready_median_s",), "{:.2f}", 5),
    ("`rag serve` peak RSS (MB)", ("serve_peak_mb",), "{:.0f}", None),
]


def shown_rows(summary: dict[str, dict[str, float | None]]) -> list[tuple[Any, ...]]:
    """ROWS, less install dev when no side has that figure (run without --dev)."""
    dev = any(s["install_dev_s"] is not None for s in summary.values())
    return [row for row in ROWS if dev or row[1] != ("install_dev_s",)]


def cell(values: Sequence[float | None], fmt: str) -> str:
    return " / ".join("n/a" if v is None else fmt.format(v) for v in values)


def ratio(before: float | None, after: float | None) -> float | None:
    return after / before if before and after is not None else None


def table(summary: dict[str, dict[str, float | None]]) -> str:
    sides = list(summary)
    both = sides == list(SIDES)
    head = ["what", *sides, *(["after/before"] if both else [])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for label, keys, fmt, _ in shown_rows(summary):
        cells = [cell([summary[s][k] for k in keys], fmt) for s in sides]
        if both:
            b, a = summary["before"], summary["after"]
            cells.append(cell([ratio(b[k], a[k]) for k in keys], "{:.2f}×"))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(summary: dict[str, dict[str, float | None]], path: Path) -> bool:
    """Small multiples, one per metric: its own scale, bars labelled with their values."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = shown_rows(summary)
    height = -(-len(rows) // 3)  # ceil
    fig, axes = plt.subplots(height, 3, figsize=(11, 3.1 * height), squeeze=False)
    for ax, (label, keys, fmt, target) in zip(axes.flat, rows, strict=False):
        draw_metric(ax, label, [summary[s][keys[0]] for s in summary], list(summary), fmt, target)
    for ax in list(axes.flat)[len(rows):]:
        ax.set_visible(False)
    fig.suptitle(f"Start-up, install and memory, one run on {os.cpu_count()} cores")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def draw_metric(ax: Any, label: str, values: list[float | None], sides: list[str], fmt: str,
                target: float | None) -> None:
    heights = [v or 0.0 for v in values]
    bars = ax.bar(sides, heights, color=["#9a9a9a" if s == "before" else "#2b7bba" for s in sides])
    for bar, value in zip(bars, values, strict=True):
        text = "n/a" if value is None else fmt.format(value)
        ax.annotate(text, (bar.get_x() + bar.get_width() / 2, bar.get_height()), ha="center",
                    va="bottom", fontsize=9, xytext=(0, 2), textcoords="offset points")
    if target is not None:
        ax.axhline(target, color="#c0392b", linestyle="--", linewidth=1)
        ax.annotate(f"target {target:g}", (1, target), xycoords=("axes fraction", "data"),
                    ha="right", va="bottom", fontsize=8, color="#c0392b")
    ax.set_title(label.replace("`", "").replace(", target", "\ntarget").replace("; target",
                                                                                "\ntarget"),
                 fontsize=9)
    ax.set_ylim(0, max([*heights, target or 0]) * 1.18 or 1)
    ax.tick_params(labelsize=8)


def meta(args: argparse.Namespace, load_before: tuple[float, ...]) -> Result:
    dirty = bool(git("status", "--porcelain").strip())
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "before": git("rev-parse", "--short", args.before).strip(),
        "after": git("rev-parse", "--short", "HEAD").strip() + (" + working tree" if dirty else ""),
        "cores": os.cpu_count(), "platform": platform.platform(),
        "load_average_start_end": [load_before, os.getloadavg()],
        "ask_runs": args.runs, "serve_runs": args.serve_runs, "question": QUESTION,
    }


def write_outputs(args: argparse.Namespace, raw: dict[str, Result], info: Result) -> None:
    summary = {side: summarise(r) for side, r in raw.items()}
    text = table(summary)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "startup.json").write_text(json.dumps(
        {"meta": info, "summary": summary, "raw": raw}, indent=2, default=str))
    note = (f"`{info['command']}`: before = {info['before']}, after = {info['after']}; "
            f"{info['cores']} cores, load average {info['load_average_start_end']}.\n\n")
    (args.out / "startup.md").write_text(note + text + "\n")
    print(text)
    chart = plot(summary, args.out / "startup.png")
    written = ["startup.json", "startup.md", *(["startup.png"] if chart else [])]
    print(f"wrote {', '.join(str(args.out / name) for name in written)}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default="260229a", help="git ref measured as 'before'")
    parser.add_argument("--only", choices=SIDES, help="measure one side")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/bench-startup"))
    parser.add_argument("--dev", action="store_true",
                        help="also time `setup.sh dev` in a second copy (test tools, local LLM)")
    parser.add_argument("--reuse", action="store_true",
                        help="keep an installed copy as it is (no re-copy, no re-install)")
    parser.add_argument("--runs", type=int, default=5, help="`rag ask` processes per side")
    parser.add_argument("--serve-runs", type=int, default=3, help="`rag serve` starts per side")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    load = os.getloadavg()
    sides = [args.only] if args.only else list(SIDES)
    # Installs first, all of them, so the measurements run back to back on a quieter machine.
    raw: dict[str, Result] = {s: {"install_base": install(s, args.workdir / s, "", args)}
                              for s in sides}
    for side in sides if args.dev else []:
        raw[side]["install_dev"] = install(side, args.workdir / f"{side}-dev", "dev", args)
    for side in sides:
        raw[side].update(measure(side, args.workdir / side, args))
    write_outputs(args, raw, meta(args, load))


if __name__ == "__main__":
    main()
