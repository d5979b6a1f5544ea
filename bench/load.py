"""A bounded load test of `rag serve --workers N` against a Chroma server, on loopback.

Run:  .venv/bin/python bench/load.py [--workers 1 2] [--clients 50] [--duration 120]

Starts `chroma run` on a temporary folder, ingests data/articles into it, then for each N
starts `rag serve --workers N` and runs --clients concurrent clients for --duration seconds
(after --warmup seconds not counted), each sending POST /v1/ask or POST /v1/search (half
each) with the eval sets' questions, one after another. Records per N: requests,
throughput, p50/p95/p99 latency and status codes; writes bench/out/load.{json,md} and
docs/bench-load.png (when matplotlib is importable). Exits 1 if any request failed with a
5xx other than a 503 with Retry-After (the LLM queue's "busy"), or got no response.
The clients share the machine with the server: on 2 cores they take CPU from it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
START_TIMEOUT_S = 300
REQUEST_TIMEOUT_S = 120
# Below uvicorn's keep-alive timeout (5 s): a connection reused just as the server closes it
# for idleness gets a reset (ReadError) that says nothing about the server under test.
KEEPALIVE_EXPIRY_S = 2.0


def say(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def questions() -> list[str]:
    """Every question of the eval sets (dev and held-out), about the sample articles."""
    found = []
    for path in sorted((ROOT / "eval" / "data").glob("*.jsonl")):
        found += [json.loads(line)["question"] for line in path.read_text().splitlines()
                  if line.strip()]
    return found


# -- processes -----------------------------------------------------------------------------


@contextmanager
def process(cmd: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A child in a session of its own, stopped with everything it started."""
    with log.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        yield proc
    finally:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_until(check: Any, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        with suppress(httpx.HTTPError):
            if check():
                return
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited {proc.returncode}: {log.read_text()[-2000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not start in {START_TIMEOUT_S} s; see {log}")
        time.sleep(0.2)


def serving(workers: int, port: int, log: Path) -> bool:
    """Every worker started (uvicorn logs each), the API ready, and a one-process server's
    chat built, so that its build does not run during the measurement."""
    if log.read_text().count("Application startup complete") < workers:
        return False
    ready = httpx.get(f"http://127.0.0.1:{port}/ready", timeout=10)
    return ready.status_code == 200 and ready.json().get("ui") != "starting"


# -- load ----------------------------------------------------------------------------------


@dataclass
class Record:
    kind: str
    status: str  # the HTTP status, "503+retry" for a 503 with Retry-After, or the error's name
    seconds: float
    detail: str = ""  # a failure's message or response body, shortened


@dataclass
class Run:
    seconds: float
    records: list[Record] = field(default_factory=list)


async def client(http: httpx.AsyncClient, pool: list[str], rng: random.Random,
                 window: tuple[float, float], run: Run) -> None:
    """Requests one after another until cancelled; records those that end in the window."""
    while True:
        kind = rng.choice(("ask", "search"))
        body = ({"question": rng.choice(pool)} if kind == "ask"
                else {"query": rng.choice(pool)})
        started, detail = time.perf_counter(), ""
        try:
            r = await http.post(f"/v1/{kind}", json=body)
            status = str(r.status_code)
            if r.status_code == 503 and "retry-after" in r.headers:
                status = "503+retry"
            if r.status_code >= 500:
                detail = r.text[:300]
        except httpx.HTTPError as exc:  # no response: a timeout, a reset connection
            status, detail = type(exc).__name__, repr(exc)[:300]
        ended = time.perf_counter()
        if window[0] <= ended <= window[1]:
            run.records.append(Record(kind, status, ended - started, detail))


async def load(url: str, clients: int, duration: float, warmup: float, seed: int) -> Run:
    """Clients for warmup + duration seconds; the window counted is the last duration.
    The requests still under way at its end (one per client) are dropped."""
    pool, run = questions(), Run(seconds=duration)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients,
                          keepalive_expiry=KEEPALIVE_EXPIRY_S)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S, limits=limits,
                                 trust_env=False) as http:
        start = time.perf_counter()
        window = (start + warmup, start + warmup + duration)
        tasks = [asyncio.create_task(client(http, pool, random.Random(seed + i), window, run))
                 for i in range(clients)]
        await asyncio.sleep(window[1] - time.perf_counter())
        for task in tasks:
            task.cancel()
        for outcome in await asyncio.gather(*tasks, return_exceptions=True):
            if isinstance(outcome, Exception):  # a bug here, not a failed request
                raise outcome
    return run


def percentile(ordered: list[float], q: float) -> float:
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else 0.0


def summarise(run: Run, workers: int) -> dict[str, Any]:
    latencies = sorted(r.seconds * 1000 for r in run.records)
    by_kind = {kind: sorted(r.seconds * 1000 for r in run.records if r.kind == kind)
               for kind in ("ask", "search")}
    return {
        "workers": workers, "requests": len(run.records), "seconds": round(run.seconds, 1),
        "throughput_rps": round(len(run.records) / run.seconds, 2) if run.seconds else 0.0,
        **{f"p{q}_ms": round(percentile(latencies, q / 100), 1) for q in (50, 95, 99)},
        "p50_ms_by_kind": {k: round(percentile(v, 0.5), 1) for k, v in by_kind.items()},
        "statuses": dict(sorted(Counter(r.status for r in run.records).items())),
        "failures": sum(not failure_free(r.status) for r in run.records),
        "failure_details": [f"{r.kind} {r.status}: {r.detail}" for r in run.records
                            if not failure_free(r.status)][:20],
    }


def failure_free(status: str) -> bool:
    """2xx-4xx, or the 503 with Retry-After that asks the client to come back."""
    return status == "503+retry" or (status.isdigit() and int(status) < 500)


# -- a whole run ---------------------------------------------------------------------------


def measure(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    chroma_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    env |= {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(chroma_port),
            "RAG_COLLECTION": "load", "RAG_DATA_DIR": str(work / "data")}
    chroma_log = work / "chroma.log"
    with process([str(BIN / "chroma"), "run", "--path", str(work / "chroma"), "--host",
                  "127.0.0.1", "--port", str(chroma_port)], env, chroma_log) as chroma:
        heartbeat = f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat"
        wait_until(lambda: httpx.get(heartbeat, timeout=5).status_code == 200, chroma,
                   "chroma run", chroma_log)
        say(f"chroma run on port {chroma_port}; ingesting data/articles ...")
        subprocess.run([str(BIN / "rag"), "ingest", "-q", str(ROOT / "data" / "articles")],
                       env=env, check=True, stdout=subprocess.DEVNULL)
        return [measure_workers(n, args, env, work) for n in args.workers]


def measure_workers(workers: int, args: argparse.Namespace, env: dict[str, str],
                    work: Path) -> dict[str, Any]:
    port, log = free_port(), work / f"serve-{workers}.log"
    cmd = [str(BIN / "rag"), "serve", "--port", str(port), "--workers", str(workers)]
    with process(cmd, env, log) as server:
        started = time.perf_counter()
        wait_until(lambda: serving(workers, port, log), server, "rag serve", log)
        say(f"{workers} worker(s) ready in {time.perf_counter() - started:.1f} s; "
            f"{args.clients} clients for {args.warmup:g} + {args.duration:g} s ...")
        run = asyncio.run(load(f"http://127.0.0.1:{port}", args.clients, args.duration,
                               args.warmup, args.seed))
    result = summarise(run, workers)
    say(f"{workers} worker(s): {result['requests']} requests, {result['throughput_rps']} req/s, "
        f"p50 {result['p50_ms']} ms, p95 {result['p95_ms']} ms, statuses {result['statuses']}")
    return result


def table(results: list[dict[str, Any]]) -> str:
    lines = ["| workers | requests | req/s | p50 (ms) | p95 (ms) | p99 (ms) | statuses |",
             "|---|---|---|---|---|---|---|"]
    for r in results:
        statuses = ", ".join(f"{k}: {v}" for k, v in r["statuses"].items())
        lines.append(f"| {r['workers']} | {r['requests']} | {r['throughput_rps']:.1f} | "
                     f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {statuses} |")
    return "\n".join(lines)


def plot(results: list[dict[str, Any]], path: Path, title: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    workers = [str(r["workers"]) for r in results]
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
    for ax, key, label, color in ((left, "throughput_rps", "throughput (req/s)", "#2b7bba"),
                                  (right, "p95_ms", "p95 latency (ms)", "#c0392b")):
        bars = ax.bar(workers, [r[key] for r in results], color=color)
        ax.bar_label(bars, fmt="%.1f" if key == "throughput_rps" else "%.0f", fontsize=9)
        ax.set_xlabel("workers")
        ax.set_title(label, fontsize=10)
        ax.set_ylim(0, max(r[key] for r in results) * 1.18 or 1)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=120, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=10, help="seconds not counted")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--chart", type=Path, default=ROOT / "docs" / "bench-load.png")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    command = " ".join(["python", "bench/load.py", *sys.argv[1:]])
    load_before = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix="bench-load-"))
    results = measure(args, work)
    meta = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "command": command,
            "cores": os.cpu_count(), "clients": args.clients, "duration_s": args.duration,
            "warmup_s": args.warmup, "load_average_start_end": [load_before, os.getloadavg()]}
    text = table(results)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load.json").write_text(json.dumps({"meta": meta, "results": results},
                                                   indent=2))
    (args.out / "load.md").write_text(f"`{command}`, {meta['cores']} cores, {args.clients} "
                                      f"clients, {args.duration:g} s each.\n\n{text}\n")
    print(text)
    title = (f"rag serve --workers N: {args.clients} clients, {args.duration:g} s, "
             f"{os.cpu_count()} cores (ask and search)")
    if plot(results, args.chart, title):
        print(f"wrote {args.chart}")
    print(f"wrote {args.out / 'load.json'}, {args.out / 'load.md'}")
    failures = sum(r["failures"] for r in results)
    if failures:
        print(f"FAIL: {failures} requests failed (a 5xx other than 503 with Retry-After, or "
              "no response)", file=sys.stderr)
    if not all(r["requests"] for r in results):
        print("FAIL: no request finished in a measured window", file=sys.stderr)
        failures = 1
    if failures:
        print(f"the servers' logs are kept in {work}", file=sys.stderr)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
