"""The test LLM server's harness reports a dead server clearly (exit code or signal, log)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.llm_server import LlamaServer


def _server(tmp_path: Path, code: str) -> LlamaServer:
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen([sys.executable, "-c", code], stdout=out,
                                   stderr=subprocess.STDOUT)
    process.wait(timeout=30)
    return LlamaServer(base_url="http://127.0.0.1:1/v1", model="m", port=1, log=log,
                       process=process)


def test_a_crashed_server_reports_its_signal_and_log(tmp_path: Path) -> None:
    server = _server(tmp_path, "import os, signal; print('ggml_amx_init', flush=True); "
                               "os.kill(os.getpid(), signal.SIGSEGV)")
    report = server.exit_report()
    assert report is not None
    assert "exited with signal 11" in report
    assert report.rstrip().endswith("ggml_amx_init")


def test_an_exit_code_is_reported(tmp_path: Path) -> None:
    report = _server(tmp_path, "raise SystemExit(3)").exit_report()
    assert report is not None and "exited with code 3" in report


def test_a_running_server_reports_nothing(tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        server = LlamaServer(base_url="", model="m", port=1, log=tmp_path / "x.log",
                             process=process)
        assert server.exit_report() is None
    finally:
        process.kill()
        process.wait()
