"""Run `rag eval` as a real subprocess: the installed console script, a fresh index."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
RAG = PROJECT / ".venv" / "bin" / "rag"
ARTICLES = PROJECT / "data" / "articles"


def run_rag_eval(tmp_path: Path, *args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    """Settings come only from the test: no .env (cwd is a temp dir), no RAG_*/OPENAI_* vars."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("RAG_") and k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    env["RAG_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run([str(RAG), "eval", "--no-progress", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=timeout, check=False)
