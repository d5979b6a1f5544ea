"""Readers' votes on answers, kept as JSONL in the data dir (`feedback.jsonl`).

One JSON object per line, appended: a crash mid-write costs at most that line, and
`rag eval --from-feedback` (eval/from_feedback.py) reads what is there into eval-set
candidates. Each record is bounded, so a long conversation or answer cannot grow
the file without limit.
"""

from __future__ import annotations

import fcntl
import json
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from rag.schemas import Answer, Turn

FILE_NAME = "feedback.jsonl"
Vote = Literal["up", "down", "cleared"]  # cleared: the reader took the vote back
MAX_TEXT = 8_000  # characters of a question, an answer or a history turn
MAX_QUOTE = 2_000  # characters of a cited span
MAX_TURNS = 20  # the newest turns of the history
MAX_CITATIONS = 30

_lock = threading.Lock()  # the chat's handlers run in threads of one process


def record(question: str, answer: Answer, vote: Vote, history: Sequence[Turn] = (),
           top_k: int | None = None) -> dict[str, Any]:
    """The stored shape: what was asked (with the turns before it), what was answered and
    cited, with which settings, and the vote."""
    return {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "vote": vote,
        "question": _cut(question, MAX_TEXT),
        "history": [{"role": t.role, "content": _cut(t.content, MAX_TEXT)}
                    for t in list(history)[-MAX_TURNS:]],
        "answer": _cut(answer.answer, MAX_TEXT),
        "refused": answer.refused,
        "citations": [{"n": c.n, "source": c.source, "text": _cut(c.text, MAX_QUOTE),
                       "start": c.start, "end": c.end,
                       # The short answer inside the span: candidates' key facts come from it.
                       "answer_start": c.answer_start, "answer_end": c.answer_end}
                      for c in answer.citations[:MAX_CITATIONS]],
        "settings": {"answerer": answer.mode, "top_k": top_k},
    }


def append(path: Path, entry: dict[str, Any]) -> None:
    """Add one record as one line. The thread lock orders this process's writers; flock
    another process's (a second server on the same data dir)."""
    line = json.dumps(entry, ensure_ascii=False) + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    with _lock, path.open("a", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.write(line)
            f.flush()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def read(path: Path) -> tuple[list[dict[str, Any]], int]:
    """The records of a feedback file, and how many lines were not records (e.g. a line
    cut short by a crash): those are skipped, not fatal."""
    records: list[dict[str, Any]] = []
    bad = 0
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            bad += 1
            continue
        if isinstance(obj, dict) and isinstance(obj.get("question"), str) and obj["question"]:
            records.append(obj)
        else:
            bad += 1
    return records, bad


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
