"""Helpers the benchmark scripts share: progress lines, clean child environments, timed
subprocesses with their peak memory, free ports, readiness polling, disk usage.

Imported as `from common import ...`: the scripts run as `python bench/<name>.py`, which puts
bench/ first on sys.path.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path

MB = 2**20
# Local only: a proxy from the environment must not see the readiness polls.
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def say(message: str) -> None:
    """A progress line on stderr, tagged with the script's name and the time."""
    tag = Path(sys.argv[0]).stem or "bench"
    print(f"[{tag} {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def du_bytes(path: Path) -> int:
    if not path.exists():
        return 0
    return int(subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True,
                              check=True).stdout.split()[0])


def clean_env(data_dir: Path | None = None) -> dict[str, str]:
    """The caller's environment without RAG_*/OPENAI_* and without an activated venv."""
    venv = os.environ.get("VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("RAG_", "OPENAI_")) and k != "VIRTUAL_ENV"}
    if venv:  # else a script's `python3.11` could be this repository's venv
        path = os.environ.get("PATH", "").split(os.pathsep)
        env["PATH"] = os.pathsep.join(p for p in path if not p.startswith(venv))
    if data_dir is not None:
        env["RAG_DATA_DIR"] = str(data_dir)
    return env


def run_measured(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one command; the RSS is this child's own (its
    largest, with any children it waited for)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # per child, unlike RUSAGE_CHILDREN
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped: Popen must not wait
        out.seek(0)
        err.seek(0)
        if proc.returncode:
            raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err.read()[-2000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()  # ru_maxrss is KiB on Linux


def cpu_ticks() -> tuple[int, int] | None:
    """(steal, all) CPU ticks since boot, from /proc/stat; None off Linux. Steal is the time
    a virtual machine's host ran something else on its CPUs: it slows a phase without
    showing in the phase's own figures."""
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    return (values[7] if len(values) > 7 else 0), sum(values)


def steal_pct(before: tuple[int, int] | None, after: tuple[int, int] | None) -> float | None:
    """The share of all CPU time between two cpu_ticks() that the host took, in %."""
    if before is None or after is None or after[1] <= before[1]:
        return None
    return round(100 * (after[0] - before[0]) / (after[1] - before[1]), 1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_ready(url: str) -> bool:
    try:
        with NO_PROXY.open(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):  # refused while starting, or 503 not ready
        return False


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while not is_ready(url):
        if proc.poll() is not None:
            raise RuntimeError(f"rag serve exited {proc.returncode} before it was ready")
        if time.perf_counter() > deadline:
            raise RuntimeError(f"rag serve not ready after {timeout:.0f} s")
        time.sleep(0.05)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate a child started by the benchmark, killing it if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:  # the thread or process ended meanwhile
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of pid, from /proc; 0 when it has gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0.0
    match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.M)
    return int(match.group(1)) / 1024 if match else 0.0


def tree_peak_mb(pid: int) -> float:
    """The sum of the peaks (VmHWM) of pid and its live descendants; read it before stopping."""
    return sum(vm_hwm_mb(p) for p in [pid, *descendants(pid)])
