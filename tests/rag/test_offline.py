"""A real run reaches nothing outside the machine: ingest, ask and serve, watched by Python.

Each `rag` command runs as its own process with a `sitecustomize` that installs an
audit hook before anything else is imported. The hook records, and then blocks, every
name lookup or connection to anything but loopback, so the test fails whether or not
the machine has a network. The offline and telemetry variables the code sets for
itself (HF_HUB_OFFLINE, ANONYMIZED_TELEMETRY, ...) are removed from the environment
first: the code must switch them on on its own. (A native library that opened
sockets without Python's socket module would not be seen.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from rag.offline import _OFFLINE_ENV
from tests.conftest import ARTICLES, free_port

RAG = Path(sys.executable).with_name("rag")
QUESTION = "Where did Orban and Putin meet during the Belt and Road Forum?"

SITECUSTOMIZE = '''
import ipaddress, json, os, sys

_LOG = os.environ["NETWORK_AUDIT_LOG"]


def _write(entry):
    with open(_LOG, "a", encoding="utf-8") as f:
        f.write(json.dumps(entry) + "\\n")


def _local(host):
    if isinstance(host, bytes):
        host = host.decode(errors="replace")
    if host is None or host == "localhost":
        return True
    try:
        return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
    except ValueError:
        return False  # a name other than localhost would be looked up


def _hook(event, args):
    if event in ("socket.connect", "socket.sendto"):
        address = args[1]
        if not isinstance(address, tuple):  # a Unix socket
            return
        host = address[0]
    elif event in ("socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr",
                   "socket.gethostbyname_ex"):
        host = args[0]
    else:
        return
    if not _local(host):
        _write({"event": event, "host": str(host), "argv": sys.argv})
        raise OSError(f"network access blocked by the offline test: {event} {host}")


sys.addaudithook(_hook)
_write({"event": "hook installed", "argv": sys.argv})
'''

# What the code must not rely on the environment for.
OFFLINE_VARS = {*_OFFLINE_ENV, "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE",
                "HF_HUB_DISABLE_TELEMETRY", "ANONYMIZED_TELEMETRY", "GRADIO_ANALYTICS_ENABLED",
                "DO_NOT_TRACK"}


def watched_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    hook_dir = tmp_path / "hook"
    hook_dir.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "network.jsonl"
    env = {k: v for k, v in os.environ.items()
           if k not in OFFLINE_VARS and not k.startswith("RAG_")
           and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env |= {"PYTHONPATH": os.pathsep.join(filter(None, [str(hook_dir),
                                                        env.get("PYTHONPATH")])),
            "NETWORK_AUDIT_LOG": str(log), "RAG_DATA_DIR": str(tmp_path / "data")}
    return env, log


def run(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(RAG), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600, check=False)
    assert proc.returncode == 0, f"rag {args[0]} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc


def get(url: str, body: dict | None = None) -> str:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return response.read().decode()


def serve_and_ask(env: dict[str, str], cwd: Path) -> None:
    port = free_port()
    proc = subprocess.Popen([str(RAG), "serve", "--port", str(port)], env=env, cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:  # the API first, then the chat, built in the background
            try:
                if json.loads(get(url + "/ready")).get("ui") == "ok":
                    break
            except OSError:
                assert proc.poll() is None, f"rag serve exited:\n{proc.stderr.read()[-3000:]}"
            assert time.monotonic() < deadline, "rag serve did not start, or its chat did not"
            time.sleep(0.5)
        assert "Ask the articles" in get(url + "/")  # the chat page, built by Gradio
        assert "Beijing" in json.loads(get(url + "/v1/ask", {"question": QUESTION}))["answer"]
        time.sleep(2)  # room for any background thread that would phone home at start
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_ingest_ask_and_serve_fetch_nothing(tmp_path: Path) -> None:
    env, log = watched_env(tmp_path)
    run(env, tmp_path, "ingest", "--quiet", str(ARTICLES))
    answer = json.loads(run(env, tmp_path, "ask", QUESTION, "--json").stdout)
    assert "Beijing" in answer["answer"] and answer["citations"]
    serve_and_ask(env, tmp_path)

    entries = [json.loads(line) for line in log.read_text().splitlines()]
    installed = [e["argv"][1] for e in entries if e["event"] == "hook installed"
                 and len(e["argv"]) > 1]
    assert {"ingest", "ask", "serve"} <= set(installed), "the hook did not watch every run"
    reached = [e for e in entries if e["event"] != "hook installed"]
    assert reached == [], f"tried to reach outside the machine: {reached}"
