"""Measure ingest time, `rag ask` latency and HTTP /v1/ask latency on the sample articles.

Run:  .venv/bin/python bench/latency.py [--runs 5] [--requests 40] [--out bench/out]
Prints one table, writes bench/out/latency.json and bench/out/latency.png. Figures
come from one run on whatever this machine is doing; compare ratios, not absolutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = ROOT / "data" / "articles"
RAG = Path(sys.executable).with_name("rag")
QUESTIONS = [
    "Where did Orban and Putin meet during the Belt and Road Forum?",
    "Who joined Orban and Putin in the Kremlin?",
    "What did Orban say about the purpose of his visit to Moscow?",
    "Which venue did Orban propose for a Russia-US summit?",
    "What is the capital of Australia?",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 1), "p95": round(pct(values, 0.95), 1),
            "n": len(values)}


def peak_rss_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def run_cli(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    out = subprocess.run([str(RAG), *args], env=env, capture_output=True, text=True, check=True)
    return (time.perf_counter() - t0) * 1000, out.stdout


def bench_cli(env: dict[str, str], runs: int) -> dict[str, object]:
    ingest_ms, _ = run_cli(["ingest", "-q", str(ARTICLES)], env)
    reingest_ms, _ = run_cli(["ingest", "-q", str(ARTICLES)], env)
    wall, retrieve, total = [], [], []
    for i in range(runs):
        ms, out = run_cli(["ask", QUESTIONS[i % len(QUESTIONS)], "--json"], env)
        timings = json.loads(out)["timings_ms"]
        wall.append(ms)
        retrieve.append(timings["retrieve"])
        total.append(timings["total"])
    return {"ingest_cli_wall_ms": round(ingest_ms), "reingest_unchanged_cli_wall_ms":
            round(reingest_ms), "ask_cli_wall_ms": summary(wall),
            "ask_in_process_retrieve_ms": summary(retrieve),
            "ask_in_process_total_ms": summary(total)}


def bench_http(env: dict[str, str], requests: int) -> dict[str, object]:
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([str(RAG), "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            try:
                if httpx.get(f"{base}/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if server.poll() is not None or time.perf_counter() - t0 > 180:
                raise RuntimeError("rag serve did not become ready")
            time.sleep(0.2)
        startup_ms = (time.perf_counter() - t0) * 1000
        with httpx.Client(base_url=base, timeout=60) as client:
            client.post("/v1/ask", json={"question": QUESTIONS[0]})  # warm-up
            ask, first_token, stream_total = [], [], []
            for i in range(requests):
                q = QUESTIONS[i % len(QUESTIONS)]
                t = time.perf_counter()
                client.post("/v1/ask", json={"question": q}).raise_for_status()
                ask.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                with client.stream("POST", "/v1/ask", json={"question": q, "stream": True}) as r:
                    first = None
                    for line in r.iter_lines():
                        if first is None and line.startswith("data: "):
                            first = (time.perf_counter() - t) * 1000
                    first_token.append(first or 0.0)
                stream_total.append((time.perf_counter() - t) * 1000)
        memory_mb = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=20)
    return {"serve_startup_ms": round(startup_ms), "serve_peak_rss_mb": memory_mb,
            "http_ask_ms": summary(ask),
            "http_stream_first_event_ms": summary(first_token),
            "http_stream_total_ms": summary(stream_total), "_raw_http_ask": ask}


def plot(results: dict[str, object], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = ["CLI `rag ask`\n(wall, incl. start-up)", "`rag ask` retrieve\n(cold process)",
              "`rag ask` total\n(cold process)", "HTTP /v1/ask\n(warm server)",
              "HTTP stream\nfirst event"]
    keys = ["ask_cli_wall_ms", "ask_in_process_retrieve_ms", "ask_in_process_total_ms",
            "http_ask_ms", "http_stream_first_event_ms"]
    med = [results[k]["median"] for k in keys]  # type: ignore[index]
    p95 = [results[k]["p95"] for k in keys]  # type: ignore[index]
    fig, ax = plt.subplots(figsize=(9, 4.5))
    xs = range(len(keys))
    ax.bar([x - 0.2 for x in xs], med, width=0.4, label="median")
    ax.bar([x + 0.2 for x in xs], p95, width=0.4, label="p95")
    for x, m, p in zip(xs, med, p95, strict=True):
        ax.text(x - 0.2, m, f"{m:.0f}", ha="center", va="bottom", fontsize=8)
        ax.text(x + 0.2, p, f"{p:.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.set_yscale("log")
    ax.set_ylabel("milliseconds (log scale)")
    ax.set_title("Question latency, extractive answerer, sample articles (2 cores)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="`rag ask` processes to time")
    parser.add_argument("--requests", type=int, default=40, help="HTTP requests to time")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAG_")}
        env["RAG_DATA_DIR"] = data_dir
        results = bench_cli(env, args.runs)
        results.update(bench_http(env, args.requests))
    raw = results.pop("_raw_http_ask")
    (args.out / "latency.json").write_text(json.dumps({**results, "http_ask_raw_ms": raw},
                                                      indent=2))
    plot(results, args.out / "latency.png")
    width = max(len(k) for k in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")
    print(f"wrote {args.out / 'latency.json'} and {args.out / 'latency.png'}")


if __name__ == "__main__":
    main()
