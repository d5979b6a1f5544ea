"""rag/feedback.py: the votes file, its records' shape and bounds, writers that share it."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from rag import feedback
from rag.schemas import Answer, Citation, Turn

SPAN = "The two leaders met in Beijing."


def answer(text: str = "They met in Beijing. [1]", span: str = SPAN) -> Answer:
    return Answer(answer=text, refused=False, mode="extractive", citations=[
        Citation(n=1, source="a.txt", doc_id="d1", chunk_id="d1:0", text=span, start=7,
                 end=7 + len(span), score=0.9, answer_start=30, answer_end=37,
                 title="Leaders meet")])


def test_a_record_holds_the_question_its_turns_the_answer_citations_settings_and_vote() -> None:
    history = [Turn(role="user", content="Who met?"), Turn(role="assistant", content="Two.")]
    rec = feedback.record("Where did they meet?", answer(), "up", history, top_k=6)
    assert rec["vote"] == "up" and rec["question"] == "Where did they meet?"
    assert rec["history"] == [{"role": "user", "content": "Who met?"},
                              {"role": "assistant", "content": "Two."}]
    assert rec["answer"] == "They met in Beijing. [1]" and rec["refused"] is False
    assert rec["citations"] == [{"n": 1, "source": "a.txt", "text": SPAN, "start": 7,
                                 "end": 7 + len(SPAN), "answer_start": 30, "answer_end": 37}]
    assert rec["settings"] == {"answerer": "extractive", "top_k": 6}
    assert rec["timestamp"].endswith("+00:00")


def test_a_record_is_bounded_however_long_the_conversation() -> None:
    long = "word " * 10_000
    history = [Turn(role="user", content=long)] * 100
    rec = feedback.record(long, answer(long, long), "down", history)
    assert len(rec["question"]) <= feedback.MAX_TEXT + 1 and rec["question"].endswith("…")
    assert len(rec["history"]) == feedback.MAX_TURNS
    assert len(rec["citations"][0]["text"]) <= feedback.MAX_QUOTE + 1
    assert len(json.dumps(rec)) < 250_000


def test_writers_in_threads_append_whole_lines_and_reading_skips_a_broken_one(
        tmp_path: Path) -> None:
    path = tmp_path / "data" / feedback.FILE_NAME  # the folder is made on first write

    def vote(i: int) -> None:
        for j in range(20):
            feedback.append(path, feedback.record(f"q{i}-{j}", answer(), "up"))

    threads = [threading.Thread(target=vote, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with path.open("a", encoding="utf-8") as f:
        f.write('{"question": "cut short by a cra\n')  # a crash mid-line
    records, bad = feedback.read(path)
    assert bad == 1
    assert sorted(r["question"] for r in records) == sorted(
        f"q{i}-{j}" for i in range(8) for j in range(20))
