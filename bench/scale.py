"""Scale: ingest rate against the embedder's own, unchanged re-ingest, index size, search and
/v1/ask latency and peak memory, on synthetic news archives of growing size (in chunks).

Run:  .venv/bin/python bench/scale.py [--sizes 1000 10000 100000] [--queries 100] [--keep]
                                       [--merge] [--out bench/out] [--chart docs/bench-scale.png]
      .venv/bin/python bench/scale.py --serve-again WORKDIR   # serve only, on a kept index

For each size N, a deterministic synthetic corpus of about N chunks (bench/synthetic_news.py,
cached in <out>/corpus-N/) is measured in a fresh RAG_DATA_DIR (embedded Chroma, default
settings, nothing from this shell's RAG_* or .env):

- `rag ingest -q` as a subprocess: wall time, chunks/s over the ingest step the command
  reports (start-up excluded), peak RSS;
- the raw embedder in a subprocess of the same venv, before the ingest and after it:
  build_embedding_model(load_settings()) on the corpus' first min(N, --raw-chunks) chunk
  texts; batch sizes --batches swept on --sweep-chunks of them, the best one timed on all;
  then ingest rate / the mean of the two raw rates (the VM's speed drifts over a long
  ingest), with the share of CPU time the VM's host took during each (steal, /proc/stat);
- `rag ingest -q` again, nothing changed: wall time, and first / re-ingest (whole commands);
- the data dir's size on disk (du);
- `rag serve` twice, RAG_RETRIEVAL=hybrid then dense, each with the answerer's vector cache
  (RAG_DATA_DIR/vectors) emptied first: time to /ready, a warm-up, then
  --queries sequential POST /v1/search {"query", "top_k": 4} and POST /v1/ask {"question"},
  drawn from the corpus' own names, places and topics: p50/p95 over HTTP; peak RSS.

Writes <out>/scale.json (every raw figure), <out>/scale.md (one row per size, the targets) and
the chart (matplotlib: `pip install -e '.[charts]'`); prints the table; progress on stderr.
Figures come from one run on whatever the machine is doing; MB = 2**20 bytes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import synthetic_news
from common import (
    MB,
    clean_env,
    cpu_ticks,
    du_bytes,
    free_port,
    run_measured,
    say,
    steal_pct,
    stop,
    tree_peak_mb,
    vm_hwm_mb,
    wait_ready,
)

ROOT = Path(__file__).resolve().parent.parent
RAG = str(Path(sys.executable).with_name("rag"))
MODES = ("hybrid", "dense")
TOP_K = 4
WARMUP = 5
TARGET_CHUNKS = 100_000
TARGETS = {"search_p50_ms": 30.0, "ask_p50_ms": 100.0, "ingest_vs_raw": 0.85,
           "reingest_factor": 100.0}

Result = dict[str, Any]

if TYPE_CHECKING:
    from rag.components.embedding import EmbeddingModel, Tokenizer


# --- corpus -----------------------------------------------------------------------------------


def chunk_counter() -> Callable[[str, str], int]:
    """Chunks of one file as the ingest pipeline cuts them, at the default settings."""
    from ingest.chunking import chunk_text
    from ingest.loaders import load_bytes
    from rag.components.embedding import build_embedding_model
    from rag.settings import Settings, load_settings

    fields = ("chunk_size", "chunk_overlap", "embedding", "embedding_model")
    settings = load_settings(**{f: Settings.model_fields[f].default for f in fields})
    embedder = build_embedding_model(settings)

    def count(name: str, text: str) -> int:
        doc = load_bytes(name, text.encode("utf-8"))
        return len(chunk_text(doc.text, settings.chunk_size, settings.chunk_overlap,
                              embedder.tokenizer))

    return count


def ensure_corpus(chunks: int, seed: int, out: Path) -> Result:
    """The corpus of about `chunks` chunks, generated once and cached under out/corpus-N/."""
    home = out / f"corpus-{chunks}"
    manifest = home / "manifest.json"
    wanted = {"generator": synthetic_news.GENERATOR_VERSION, "seed": seed, "chunks": chunks}
    if manifest.exists():
        info = json.loads(manifest.read_text())
        if all(info.get(k) == v for k, v in wanted.items()):
            say(f"corpus-{chunks}: cached, {info['articles']} articles")
            return info
    shutil.rmtree(home, ignore_errors=True)
    started = time.perf_counter()
    articles, per_article = synthetic_news.articles_for(chunks, seed, chunk_counter())
    size = synthetic_news.write_corpus(home / "articles", seed, articles)
    info = {**wanted, "articles": articles, "chunks_per_article_sample": round(per_article, 3),
            "estimated_chunks": round(articles * per_article), "bytes": size,
            "folder": str(home / "articles"),
            "generate_s": round(time.perf_counter() - started, 1)}
    manifest.write_text(json.dumps(info, indent=2))
    say(f"corpus-{chunks}: {articles} articles ({per_article:.2f} chunks each on a sample), "
        f"{size / MB:.1f} MB in {info['generate_s']} s")
    return info


# --- ingest and the raw embedder --------------------------------------------------------------


def ingest(folder: str, env: dict[str, str], cwd: Path) -> Result:
    seconds, peak, out = run_measured([RAG, "ingest", "-q", folder], cwd, env)
    step = re.search(r" in ([\d.]+) s\s*$", out)
    summary = out.strip().splitlines()[-1] if out.strip() else ""
    return {"wall_s": round(seconds, 2), "step_s": float(step.group(1)) if step else None,
            "peak_mb": round(peak, 1), "summary": summary}


def stealing(measure: Callable[..., Result], *args: Any) -> Result:
    """measure(*args), with the share of CPU time the VM's host took meanwhile (steal_pct)."""
    before = cpu_ticks()
    result = measure(*args)
    return {**result, "steal_pct": steal_pct(before, cpu_ticks())}


def stored_chunks(env: dict[str, str], cwd: Path) -> int | None:
    """Chunks in the store, from `rag documents`; None when its listing cannot be read."""
    _, _, listing = run_measured([RAG, "documents"], cwd, env)
    counts = re.findall(r"\s(\d+) chunks\s", listing)
    return sum(map(int, counts)) if counts else None


def raw_embedder(folder: str, chunks: int, args: argparse.Namespace, env: dict[str, str],
                 cwd: Path) -> Result:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--raw-embed", folder,
           "--raw-chunks", str(min(chunks, args.raw_chunks)),
           "--sweep-chunks", str(args.sweep_chunks), "--batches", *map(str, args.batches)]
    seconds, peak, out = run_measured(cmd, cwd, env)
    return {**json.loads(out), "wall_s": round(seconds, 2), "peak_mb": round(peak, 1)}


def raw_embed_worker(args: argparse.Namespace) -> None:
    """(In the subprocess.) Embedding rates of the corpus' first chunks; JSON on stdout."""
    from rag.components.embedding import build_embedding_model
    from rag.settings import load_settings

    embedder = build_embedding_model(load_settings())
    texts = first_chunks(Path(args.raw_embed), args.raw_chunks, embedder.tokenizer)
    embedder.embed_texts(texts[:8])  # loads the model (lazily, in some versions) and warms up
    sweep, peaks = {}, {}
    for batch in sorted(args.batches):  # ascending: the peak after each is what it needed
        sweep[batch] = embed_rate(embedder, texts[:args.sweep_chunks], batch)
        peaks[batch] = round(vm_hwm_mb(os.getpid()), 1)
    best = max(sweep, key=lambda b: sweep[b])
    result = {"chunks": len(texts), "sweep_chunks": len(texts[:args.sweep_chunks]),
              "sweep_chunks_per_s": sweep, "sweep_peak_mb": peaks, "best_batch": best,
              "chunks_per_s": embed_rate(embedder, texts, best)}
    print(json.dumps(result))


def first_chunks(folder: Path, count: int, tokenizer: Tokenizer | None) -> list[str]:
    from ingest.chunking import chunk_text
    from ingest.loaders import load_bytes
    from rag.settings import load_settings

    settings = load_settings()
    texts: list[str] = []
    for path in sorted(folder.glob("*.txt")):
        doc = load_bytes(path.name, path.read_bytes())
        texts += [c.text for c in chunk_text(doc.text, settings.chunk_size,
                                             settings.chunk_overlap, tokenizer)]
        if len(texts) >= count:
            break
    return texts[:count]


def embed_rate(embedder: EmbeddingModel, texts: list[str], batch: int) -> float:
    if hasattr(embedder, "batch_size"):
        embedder.batch_size = batch
    started = time.perf_counter()
    embedder.embed_texts(texts)
    return round(len(texts) / (time.perf_counter() - started), 2)


# --- serving ----------------------------------------------------------------------------------


def pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency(values: list[float]) -> Result:
    return {"p50_ms": round(pct(values, 0.5), 1), "p95_ms": round(pct(values, 0.95), 1),
            "max_ms": round(max(values), 1), "n": len(values)}


def timed_posts(client: httpx.Client, path: str,
                bodies: list[Result]) -> list[tuple[float, Result]]:
    """(milliseconds, JSON reply) of each POST, one after the other."""
    replies = []
    for body in bodies:
        started = time.perf_counter()
        response = client.post(path, json=body)
        ms = (time.perf_counter() - started) * 1000
        response.raise_for_status()
        replies.append((ms, response.json()))
    return replies


def exercise(base: str, searches: list[str], questions: list[str], warmup: list[str]) -> Result:
    with httpx.Client(base_url=base, timeout=300, trust_env=False) as client:
        timed_posts(client, "/v1/search", [{"query": q, "top_k": TOP_K} for q in warmup])
        timed_posts(client, "/v1/ask", [{"question": q} for q in warmup])
        search = timed_posts(client, "/v1/search", [{"query": q, "top_k": TOP_K}
                                                    for q in searches])
        ask = timed_posts(client, "/v1/ask", [{"question": q} for q in questions])
    retrieve = [r["timings_ms"]["retrieve"] for _, r in ask
                if isinstance(r.get("timings_ms"), dict) and "retrieve" in r["timings_ms"]]
    return {"search": latency([ms for ms, _ in search]), "ask": latency([ms for ms, _ in ask]),
            "search_empty": sum(not r.get("results") for _, r in search),
            "ask_refused": sum(bool(r.get("refused")) for _, r in ask),
            "ask_retrieve_in_server_p50_ms": round(pct(retrieve, 0.5), 1) if retrieve else None,
            "search_ms": [round(ms, 2) for ms, _ in search],
            "ask_ms": [round(ms, 2) for ms, _ in ask]}


def serve(mode: str, env: dict[str, str], cwd: Path, queries: Result, timeout: float) -> Result:
    port = free_port()
    log = cwd / f"serve-{mode}.log"
    with log.open("w") as fh:
        started = time.perf_counter()
        proc = subprocess.Popen([RAG, "serve", "--port", str(port)], cwd=cwd,
                                env={**env, "RAG_RETRIEVAL": mode}, stdout=fh,
                                stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{port}"
            wait_ready(f"{base}/ready", proc, timeout)
            ready = time.perf_counter() - started
            result = exercise(base, queries["search"], queries["ask"], queries["warmup"])
            result.update(ready_s=round(ready, 2), peak_mb=round(tree_peak_mb(proc.pid), 1),
                          wall_s=round(time.perf_counter() - started, 1))
        finally:
            stop(proc)
    return result


def serve_safely(mode: str, env: dict[str, str], cwd: Path, queries: Result,
                 timeout: float) -> Result:
    """serve(), or the error: a failed server must not lose the hours of ingest before it."""
    try:
        return serve(mode, env, cwd, queries, timeout)
    except (RuntimeError, httpx.HTTPError, OSError) as exc:
        say(f"  serve {mode} failed: {exc} (log: {cwd / f'serve-{mode}.log'})")
        return {"error": f"{type(exc).__name__}: {exc}"}


# --- one size ---------------------------------------------------------------------------------


def measure_size(chunks: int, args: argparse.Namespace) -> Result:
    corpus = ensure_corpus(chunks, args.seed, args.out)
    workdir = Path(tempfile.mkdtemp(prefix=f"rag-scale-{chunks}-", dir=args.workdir))
    env = clean_env(workdir / "data")
    try:
        result = measure_in(workdir, env, corpus, args)
    finally:
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return {"size": chunks, "corpus": corpus, "workdir": str(workdir), **result}


def serve_again(workdir: Path, args: argparse.Namespace) -> Result:
    """`rag serve` measured again on a kept index; ingest, raw and re-ingest figures are the
    earlier run's (its row in <out>/scale.json names this workdir)."""
    rows = json.loads((args.out / "scale.json").read_text())["sizes"]
    row = next((r for r in rows if Path(r["workdir"]) == workdir), None)
    if row is None:
        raise SystemExit(f"{workdir} is no kept workdir of {args.out / 'scale.json'}")
    served = serve_modes(row["size"], clean_env(workdir / "data"), workdir,
                         timed_queries(row["corpus"]["articles"], args), args)
    return {**row, "serve": served, "serve_measured_again": time.strftime("%Y-%m-%d %H:%M")}


def timed_queries(articles: int, args: argparse.Namespace) -> dict[str, list[str]]:
    return {"search": synthetic_news.search_queries(args.seed, articles, args.queries),
            "ask": synthetic_news.ask_questions(args.seed, articles, args.queries),
            "warmup": synthetic_news.ask_questions(args.seed + 1, articles, WARMUP)}


def serve_modes(n: int, env: dict[str, str], workdir: Path, queries: Result,
                args: argparse.Namespace) -> Result:
    served = {}
    for mode in MODES:
        # Each mode starts with the answerer's vector cache empty: the questions repeat.
        shutil.rmtree(workdir / "data" / "vectors", ignore_errors=True)
        say(f"{n}: rag serve, RAG_RETRIEVAL={mode}, {args.queries} searches and asks ...")
        served[mode] = serve_safely(mode, env, workdir, queries, args.ready_timeout)
        say(f"{n}: {mode}: {brief(served[mode])}")
    return served


def measure_in(workdir: Path, env: dict[str, str], corpus: Result,
               args: argparse.Namespace) -> Result:
    n, folder = corpus["chunks"], corpus["folder"]
    # The raw embedder runs before and after the ingest, and its rate is their mean: on a
    # shared VM the machine's speed drifts over an ingest of an hour or more.
    say(f"{n}: raw embedder, before the ingest ...")
    raw_before = stealing(raw_embedder, folder, corpus["estimated_chunks"], args, env, workdir)
    say(f"{n}: raw {raw_before['chunks_per_s']:.1f} chunks/s; rag ingest "
        f"({corpus['articles']} articles) ...")
    first = stealing(ingest, folder, env, workdir)
    stored = stored_chunks(env, workdir)
    chunks = stored or corpus["estimated_chunks"]
    say(f"{n}: {chunks} chunks in {first['wall_s']:.1f} s (step {first['step_s']} s, "
        f"{first['peak_mb']:.0f} MB, steal {first['steal_pct']} %); raw embedder again ...")
    raw_after = stealing(raw_embedder, folder, chunks, args, env, workdir)
    raw = {**raw_after, "before": raw_before, "after_chunks_per_s": raw_after["chunks_per_s"],
           "chunks_per_s": round((raw_before["chunks_per_s"] + raw_after["chunks_per_s"]) / 2,
                                 2)}
    say(f"{n}: raw {raw_before['chunks_per_s']:.1f} before, {raw_after['chunks_per_s']:.1f} "
        f"after, at batch {raw['best_batch']} (sweep {raw['sweep_chunks_per_s']}); "
        f"re-ingest ...")
    index_bytes = du_bytes(workdir / "data")
    again = ingest(folder, env, workdir)
    say(f"{n}: re-ingest {again['wall_s']:.1f} s; index {index_bytes / MB:.1f} MB")
    queries = timed_queries(corpus["articles"], args)
    served = serve_modes(n, env, workdir, queries, args)
    return {"chunks": chunks, "stored_chunks": stored, "ingest": first, "raw": raw,
            "reingest": again, "index_bytes": index_bytes,
            "index_bytes_after_reingest": du_bytes(workdir / "data"), "serve": served,
            "queries_sample": {k: v[:5] for k, v in queries.items()}}


def brief(served: Result) -> str:
    if "error" in served:
        return served["error"]
    return (f"ready {served['ready_s']:.1f} s, search p50 {served['search']['p50_ms']:.0f} ms, "
            f"ask p50 {served['ask']['p50_ms']:.0f} ms, {served['peak_mb']:.0f} MB")


# --- summary, table, targets ------------------------------------------------------------------


def served_figure(raw: Result, mode: str, *keys: str) -> float | None:
    value: Any = raw["serve"].get(mode, {})
    for key in keys:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def summarise(raw: Result) -> Result:
    step = raw["ingest"]["step_s"]
    rate = raw["chunks"] / step if step else None
    row: Result = {
        "size": raw["size"], "chunks": raw["chunks"], "articles": raw["corpus"]["articles"],
        "ingest_s": raw["ingest"]["wall_s"], "ingest_chunks_per_s": rate,
        "raw_chunks_per_s": raw["raw"]["chunks_per_s"], "raw_batch": raw["raw"]["best_batch"],
        "ingest_vs_raw": ratio(rate, raw["raw"]["chunks_per_s"]),
        "reingest_s": raw["reingest"]["wall_s"],
        "reingest_factor": ratio(raw["ingest"]["wall_s"], raw["reingest"]["wall_s"]),
        "index_mb": raw["index_bytes"] / MB, "ingest_peak_mb": raw["ingest"]["peak_mb"],
        # Older runs (before session 8) timed the raw embedder once, after the ingest.
        "raw_before_chunks_per_s": raw["raw"].get("before", {}).get("chunks_per_s"),
        "raw_after_chunks_per_s": raw["raw"].get("after_chunks_per_s"),
        "steal_pct_ingest": raw["ingest"].get("steal_pct"),
        "steal_pct_raw": [raw["raw"].get("before", {}).get("steal_pct"),
                          raw["raw"].get("steal_pct")],
    }
    for mode in MODES:
        for what in ("search", "ask"):
            for p in ("p50_ms", "p95_ms"):
                row[f"{what}_{p}_{mode}"] = served_figure(raw, mode, what, p)
        row[f"serve_peak_mb_{mode}"] = served_figure(raw, mode, "peak_mb")
        row[f"serve_ready_s_{mode}"] = served_figure(raw, mode, "ready_s")
    return row


def fmt(value: float | None, spec: str = "{:.0f}") -> str:
    return "n/a" if value is None else spec.format(value)


def pair(row: Result, what: str, mode: str) -> str:
    return f"{fmt(row[f'{what}_p50_ms_{mode}'])} / {fmt(row[f'{what}_p95_ms_{mode}'])}"


COLUMNS = ["chunks", "articles", "ingest s", "ingest chunks/s", "raw chunks/s (batch)",
           "ingest/raw (≥ 0.85)", "re-ingest s", "first/re-ingest (≥ 100)", "index MB",
           "search p50/p95 ms hybrid (p50 ≤ 30)", "search dense", "ask p50/p95 ms hybrid "
           "(p50 ≤ 100)", "ask dense", "peak MB ingest / serve hybrid / dense"]


def table_row(row: Result) -> list[str]:
    return [f"{row['chunks']:,}", f"{row['articles']:,}", fmt(row["ingest_s"], "{:.1f}"),
            fmt(row["ingest_chunks_per_s"], "{:.1f}"),
            f"{fmt(row['raw_chunks_per_s'], '{:.1f}')} ({row['raw_batch']})",
            fmt(row["ingest_vs_raw"], "{:.2f}"), fmt(row["reingest_s"], "{:.1f}"),
            fmt(row["reingest_factor"], "{:.1f}"), fmt(row["index_mb"], "{:.1f}"),
            pair(row, "search", "hybrid"), pair(row, "search", "dense"),
            pair(row, "ask", "hybrid"), pair(row, "ask", "dense"),
            " / ".join(fmt(row[k]) for k in ("ingest_peak_mb", "serve_peak_mb_hybrid",
                                             "serve_peak_mb_dense"))]


def table(rows: list[Result]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(table_row(r)) + " |" for r in rows]
    return "\n".join(lines)


def check(value: float | None, target: float, at_most: bool) -> str:
    if value is None:
        return "n/a"
    ok = value <= target if at_most else value >= target
    return "met" if ok else "NOT met"


def memory_growth(rows: list[Result]) -> str:
    if len(rows) < 2:
        return "memory growth: needs two sizes"
    small, large = rows[0], rows[-1]
    corpus = large["chunks"] / small["chunks"]
    parts = []
    for key, label in (("ingest_peak_mb", "ingest"), ("serve_peak_mb_hybrid", "serve hybrid"),
                       ("serve_peak_mb_dense", "serve dense")):
        grew = ratio(large[key], small[key])
        parts.append(f"{label} peak ×{fmt(grew, '{:.2f}')} ({check(grew, corpus, at_most=True)})")
    return (f"memory growth {small['chunks']:,} → {large['chunks']:,} chunks (corpus ×"
            f"{corpus:.1f}; target: no faster than the corpus): " + ", ".join(parts))


def targets(rows: list[Result]) -> str:
    row = rows[-1]
    where = (f"at {row['chunks']:,} chunks" + ("" if row["chunks"] >= 0.95 * TARGET_CHUNKS else
             f"; the targets hold at {TARGET_CHUNKS:,}, so this only indicates"))
    lines = [f"Targets, {where}:"]
    for mode in MODES:
        for what in ("search", "ask"):
            value, target = row[f"{what}_p50_ms_{mode}"], TARGETS[f"{what}_p50_ms"]
            lines.append(f"- {what} p50 ({mode}) {fmt(value, '{:.1f}')} ms, target ≤ "
                         f"{target:g} ms: {check(value, target, at_most=True)}")
    for key, label in (("ingest_vs_raw", "ingest/raw"), ("reingest_factor", "first/re-ingest")):
        lines.append(f"- {label} {fmt(row[key], '{:.2f}')}, target ≥ {TARGETS[key]:g}: "
                     f"{check(row[key], TARGETS[key], at_most=False)}")
    if row.get("raw_before_chunks_per_s") is not None:
        before, after = row["steal_pct_raw"]
        lines.append(f"  - raw embedder {fmt(row['raw_before_chunks_per_s'], '{:.1f}')} chunks/s "
                     f"before the ingest, {fmt(row['raw_after_chunks_per_s'], '{:.1f}')} after "
                     f"(their mean is the raw rate); the VM's host took {fmt(before)} % / "
                     f"{fmt(after)} % of CPU time during them (steal), "
                     f"{fmt(row['steal_pct_ingest'])} % during the ingest")
    lines.append(f"- {memory_growth(rows)}")
    return "\n".join(lines)


# --- chart ------------------------------------------------------------------------------------

Line = tuple[str, str, str, str]  # row key, label, line style, colour
GREY, BLUE, GREEN = "#555555", "#2b7bba", "#2e9e5b"


def plot(rows: list[Result], path: Path) -> bool:
    """Six panels over corpus size (log x): rates, re-ingest, latencies, memory, index size."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(2, 3, figsize=(13, 7.5))
    xs = [r["chunks"] for r in rows]
    panels: list[tuple[str, list[Line], float | None]] = [
        ("ingest rate (chunks/s)", [("ingest_chunks_per_s", "rag ingest", "-", GREY),
                                    ("raw_chunks_per_s", "raw embedder", "--", BLUE)], None),
        ("unchanged re-ingest (s, whole command)", [("reingest_s", "re-ingest", "-", GREY)],
         None),
        ("POST /v1/search (ms)", latency_lines("search"), TARGETS["search_p50_ms"]),
        ("POST /v1/ask (ms)", latency_lines("ask"), TARGETS["ask_p50_ms"]),
        ("peak memory (MB)", [("ingest_peak_mb", "rag ingest", "-", GREY),
                              ("serve_peak_mb_hybrid", "serve hybrid", "-", BLUE),
                              ("serve_peak_mb_dense", "serve dense", "--", GREEN)], None),
        ("index on disk (MB)", [("index_mb", "data dir", "-", GREY)], None),
    ]
    for ax, (title, lines, target) in zip(axes.flat, panels, strict=True):
        draw_panel(ax, xs, rows, title, lines, target)
    fig.suptitle(f"Scale: synthetic news archive, {os.cpu_count()} cores (one run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def latency_lines(what: str) -> list[Line]:
    return [(f"{what}_{p}_ms_{mode}", f"{mode} {p}", "-" if p == "p50" else ":",
             BLUE if mode == "hybrid" else GREEN) for mode in MODES for p in ("p50", "p95")]


def draw_panel(ax: Any, xs: list[int], rows: list[Result], title: str, lines: list[Line],
               target: float | None) -> None:
    for key, label, style, color in lines:
        points = [(x, r[key]) for x, r in zip(xs, rows, strict=True) if r[key] is not None]
        if points:
            ax.plot(*zip(*points, strict=True), style, color=color, marker="o", label=label)
    if target is not None:
        ax.axhline(target, color="#c0392b", linestyle="--", linewidth=1)
        ax.annotate(f"p50 target {target:g} at {TARGET_CHUNKS:,}", (0.02, target),
                    xycoords=("axes fraction", "data"), va="bottom", fontsize=8,
                    color="#c0392b")
    ax.set_xscale("log")
    ax.set_xticks(xs, [f"{r['size'] / 1000:g}k" if r["size"] >= 1000 else str(r["size"])
                       for r in rows])
    ax.minorticks_off()
    ax.set_xlabel("chunks")
    ax.set_title(title, fontsize=10)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


# --- main -------------------------------------------------------------------------------------


def meta(args: argparse.Namespace, load: tuple[float, ...], seconds: float) -> Result:
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True,
                              text=True).stdout.strip()

    return {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "commit": git("rev-parse", "--short", "HEAD") + (" + working tree" if
                                                              git("status", "--porcelain")
                                                              else ""),
            "cores": os.cpu_count(), "platform": platform.platform(),
            "load_average_start_end": [load, os.getloadavg()], "seconds": round(seconds),
            "seed": args.seed, "queries": args.queries, "top_k": TOP_K, "targets": TARGETS}


def merged(args: argparse.Namespace, measured: list[Result]) -> list[Result]:
    """This run's sizes, with --merge also the other sizes of the previous scale.json."""
    path = args.out / "scale.json"
    earlier = json.loads(path.read_text())["sizes"] if args.merge and path.exists() else []
    mine = {r["size"] for r in measured}
    return sorted([r for r in earlier if r["size"] not in mine] + measured,
                  key=lambda r: r["size"])


def write_outputs(args: argparse.Namespace, sizes: list[Result], info: Result,
                  final: bool) -> None:
    rows = [summarise(r) for r in sizes]
    text = table(rows) + "\n\n" + targets(rows)
    (args.out / "scale.json").write_text(json.dumps(
        {"meta": info, "summary": rows, "sizes": sizes}, indent=2, default=str))
    start, end = (load[0] for load in info["load_average_start_end"])
    note = (f"`{info['command']}` at {info['commit']}, {info['cores']} cores, 1-min load "
            f"average {start:.1f} at the start, {end:.1f} at the end; {info['seconds']} s.\n\n")
    (args.out / "scale.md").write_text(note + text + "\n")
    charted = plot(rows, args.chart)
    if final:
        print(text)
        written = [args.out / "scale.json", args.out / "scale.md"]
        print(f"wrote {', '.join(map(str, [*written, *([args.chart] if charted else [])]))}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10_000, 100_000],
                        help="corpus sizes in chunks")
    parser.add_argument("--queries", type=int, default=100,
                        help="timed searches and asks per retrieval mode")
    parser.add_argument("--keep", action="store_true", help="keep each size's data dir")
    parser.add_argument("--merge", action="store_true",
                        help="keep the other sizes already in <out>/scale.json")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--chart", type=Path, default=ROOT / "docs" / "bench-scale.png")
    parser.add_argument("--workdir", type=Path, help="where data dirs go (default: $TMPDIR)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--raw-chunks", type=int, default=2000,
                        help="chunk texts the raw embedder rate is timed on (at most N)")
    parser.add_argument("--sweep-chunks", type=int, default=256,
                        help="chunk texts each batch size is tried on")
    parser.add_argument("--batches", type=int, nargs="+", default=[16, 32, 64, 128])
    parser.add_argument("--ready-timeout", type=float, default=1800,
                        help="seconds `rag serve` may take to be ready")
    parser.add_argument("--serve-again", type=Path, metavar="WORKDIR",
                        help="measure `rag serve` again on a data dir kept by --keep (after a "
                             "change to search or answering); the other figures of its size "
                             "stay those of <out>/scale.json (implies --merge)")
    parser.add_argument("--raw-embed", metavar="FOLDER", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.raw_embed:
        raw_embed_worker(args)
        return
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    args.chart = args.chart.resolve()
    load, started = os.getloadavg(), time.perf_counter()
    measured: list[Result] = []
    if args.serve_again:
        args.merge = True
        measured.append(serve_again(args.serve_again.resolve(), args))
        write_outputs(args, merged(args, measured), meta(args, load, time.perf_counter()
                                                            - started), final=True)
        return
    sizes = sorted(args.sizes)
    for size in sizes:
        measured.append(measure_size(size, args))
        info = meta(args, load, time.perf_counter() - started)
        # after each size, so a failure later loses nothing measured
        write_outputs(args, merged(args, measured), info, final=size == sizes[-1])
    say(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
