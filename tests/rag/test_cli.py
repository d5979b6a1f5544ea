"""The `rag` command, run as a real subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.schemas import Citation
from tests.conftest import ARTICLES, free_port

RAG = Path(sys.executable).with_name("rag")


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items()
               if not k.startswith("RAG_") and not k.startswith("OPENAI_")}
    environ.update({"RAG_DATA_DIR": str(data_dir), **env})
    return subprocess.run([str(RAG), *args], capture_output=True, text=True, env=environ,
                          cwd=data_dir.parent, timeout=300)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("cli") / "data"
    result = run(["ingest", str(ARTICLES)], data_dir)
    assert result.returncode == 0, result.stderr
    assert "5 added, 0 updated, 0 unchanged, 0 removed, 0 skipped" in result.stdout
    assert "21 chunks at " in result.stdout, "the summary ends with the rate"
    assert "5/5" in result.stderr and "chunks, " in result.stderr, "progress: files, chunks/s"
    return data_dir


def test_ingest_again_reports_unchanged_and_skips_with_reasons(
        indexed: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")  # a picture named .txt: not UTF-8
    result = run(["ingest", str(ARTICLES), str(bad)], indexed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("unchanged") >= 5
    assert "skipped   " in result.stdout and "bad.txt" in result.stdout
    assert "0 added, 0 updated, 5 unchanged, 0 removed, 1 skipped" in result.stdout


def test_ask_prints_answer_and_cited_passages(indexed: Path) -> None:
    result = run(["ask", "Where did Orban and Putin meet during the Belt and Road Forum?"],
                 indexed)
    assert result.returncode == 0, result.stderr
    assert "Beijing" in result.stdout
    assert "003_374a4539e936311e.txt" in result.stdout and "[1]" in result.stdout


def test_ask_json_follows_the_api_shape(indexed: Path) -> None:
    result = run(["ask", "Where did Orban and Putin meet during the Belt and Road Forum?",
                  "--json", "--top-k", "2"], indexed)
    body = json.loads(result.stdout)
    assert set(body) == {"answer", "refused", "mode", "citations", "related", "unsupported",
                         "timings_ms"}
    assert body["mode"] == "extractive" and body["citations"]
    # Every field of the API's Citation (the article's metadata, the short answer's offsets).
    assert set(body["citations"][0]) == set(Citation.model_fields)
    assert {"n", "source", "doc_id", "chunk_id", "text", "start", "end", "answer_start",
            "answer_end"} <= set(Citation.model_fields)


def test_documents_lists_and_removes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run(["ingest", str(ARTICLES)], data_dir)
    listed = run(["documents"], data_dir)
    assert "5 documents" in listed.stdout
    removed = run(["documents", "--remove", "000_81b70a0ba4ae34a8.txt"], data_dir)
    assert removed.returncode == 0, removed.stderr
    assert "4 documents" in run(["documents"], data_dir).stdout
    missing = run(["documents", "--remove", "nope"], data_dir)
    assert missing.returncode == 2 and "no document" in missing.stderr


# Exit 2: the command line or the settings need fixing; 1: anything else failed.
@pytest.mark.parametrize(("args", "env", "message", "code"), [
    (["ask", "  "], {}, "error: the question is empty", 2),
    (["ask", "hi"], {"RAG_TOP_K": "-1"}, "RAG_TOP_K", 2),
    (["ask", "hi"], {"RAG_EMBEDDING": "openai"}, "OPENAI_API_KEY or OPENAI_BASE_URL", 2),
    (["ask", "hi", "--answerer", "llm"], {}, "error: answerer 'llm' is not configured", 2),
    (["ask", "hi"], {"RAG_CHROMA_HOST": "127.0.0.1", "RAG_CHROMA_PORT": str(free_port())},
     "error: cannot open the Chroma server", 1),
    (["ingest", "/no/such/folder"], {}, "no such file or folder", 1),
])
def test_errors_are_one_line_never_a_traceback(
        tmp_path: Path, args: list[str], env: dict[str, str], message: str, code: int) -> None:
    result = run(args, tmp_path / "data", **env)
    assert result.returncode == code, result.stderr
    output = result.stdout + result.stderr
    assert message in output and "Traceback" not in output
