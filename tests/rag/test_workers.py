"""`rag serve --workers 2` against a real `chroma run`: whichever worker answers a search
sees a document another worker ingested or deleted (each keeps its own BM25 index, rebuilt
when the store's generation changes). The server is a real subprocess, killed with its
whole process group."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import httpx
import pytest

from tests.conftest import ARTICLES, free_port

RAG = Path(sys.executable).with_name("rag")
WORD = "Zorblatquine"  # made up: only the uploaded article holds it
ARTICLE = (f"The {WORD} festival\n\nThe {WORD} festival in Tartu drew beekeepers from three "
           f"countries. Organisers said the {WORD} parade would return next spring.\n")
# Dense search alone ranks an Orban article first for this; only a BM25 index that holds
# the new article (the one place the made-up word occurs) puts that article first.
QUERY = f"Where did Orban meet {WORD}?"
SEARCHES = 20
START_TIMEOUT_S = 180  # two workers loading the model at once on a busy 2-core machine


def serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("RAG_", "OPENAI_"))}
    return {**env, "RAG_DATA_DIR": str(tmp_path / "data"), **extra}


@pytest.mark.parametrize(("env", "code", "message"), [
    ({}, 2, "needs a Chroma server (embedded Chroma is not safe across processes): run "
            "`chroma run --path DIR --port 8001` and set RAG_CHROMA_HOST and RAG_CHROMA_PORT"),
    ({"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(free_port())}, 1,
     "cannot open the Chroma server"),
])
def test_workers_need_a_reachable_chroma_server(
        tmp_path: Path, env: dict[str, str], code: int, message: str) -> None:
    result = subprocess.run([str(RAG), "serve", "--workers", "2", "--port", str(free_port())],
                            env=serve_env(tmp_path, **env), capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], result.stderr


def wait_for_workers(url: str, proc: subprocess.Popen[bytes], log: Path, workers: int) -> None:
    """Until every worker has started (uvicorn logs it once per worker) and /ready is 200."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        assert proc.poll() is None, f"rag serve exited {proc.returncode}:\n{log.read_text()}"
        assert time.monotonic() < deadline, f"rag serve did not start:\n{log.read_text()}"
        if log.read_text().count("Application startup complete") >= workers:
            try:
                if httpx.get(f"{url}/ready", timeout=10).status_code == 200:
                    return
            except httpx.TransportError:
                pass
        time.sleep(0.3)


@pytest.fixture
def two_workers(chroma_server: int, tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = tmp_path / "serve.log"
    env = serve_env(tmp_path, RAG_CHROMA_HOST="127.0.0.1", RAG_CHROMA_PORT=str(chroma_server),
                    RAG_COLLECTION=f"workers_{uuid.uuid4().hex[:8]}")
    with log.open("wb") as out:
        # A session of its own: the workers are the parent's children, killed as one group.
        proc = subprocess.Popen([str(RAG), "serve", "--workers", "2", "--port", str(port)],
                                env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_for_workers(url, proc, log, workers=2)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=30)
        deadline = time.monotonic() + 10  # multiprocessing's helper exits after its parent
        while (left := group_members(proc.pid)) and time.monotonic() < deadline:
            time.sleep(0.2)
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not left, f"rag serve left processes behind: {left}"


def group_members(pgid: int) -> list[str]:
    """The command lines of the live processes in process group pgid (zombies are gone
    already: they only wait for init to reap them)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid and fields[0] != "Z":
                found.append((stat.parent / "cmdline").read_text().replace("\0", " "))
    return found


def first_sources(url: str, query: str) -> list[str]:
    """The first result's file name of SEARCHES searches, several at once on fresh
    connections, so that both workers answer some."""

    def search(_: int) -> str:
        r = httpx.post(f"{url}/v1/search", json={"query": query, "top_k": 3}, timeout=60)
        assert r.status_code == 200, r.text
        results = r.json()["results"]
        return results[0]["source"] if results else ""

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(search, range(SEARCHES)))


def upload(url: str, files: list[tuple[str, bytes]]) -> dict[str, object]:
    parts = [("files", (name, data, "text/plain")) for name, data in files]
    r = httpx.post(f"{url}/v1/documents", files=parts, timeout=300)
    assert r.status_code == 200, r.text
    return r.json()


def test_every_worker_sees_an_upload_and_a_delete(two_workers: str) -> None:
    url = two_workers
    assert httpx.get(f"{url}/ready").json()["ui"] == "off"
    page = httpx.get(f"{url}/")  # the chat needs one process; the page says so
    assert page.status_code == 404 and "without --workers" in page.text
    # The sample articles, and searches that make each worker build its BM25 index now:
    # an index that missed the next write would then be stale, not merely late.
    samples = upload(url, [(p.name, p.read_bytes()) for p in sorted(ARTICLES.iterdir())])
    assert len(samples["added"]) == 5, samples
    assert "festival.txt" not in first_sources(url, QUERY)

    assert upload(url, [("festival.txt", ARTICLE.encode())])["added"] == ["festival.txt"]
    assert first_sources(url, QUERY) == ["festival.txt"] * SEARCHES

    doc_id = next(d["doc_id"] for d in httpx.get(f"{url}/v1/documents").json()["documents"]
                  if d["source"] == "festival.txt")
    assert httpx.delete(f"{url}/v1/documents/{doc_id}", timeout=60).status_code == 200
    assert "festival.txt" not in first_sources(url, QUERY)
