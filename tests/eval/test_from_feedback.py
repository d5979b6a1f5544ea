"""`rag eval --from-feedback`: votes on real answers become eval-set candidates that
eval.dataset loads (once a person has filled what a thumbs-down cannot say), and a liked
answer's candidate passes when the same system answers it again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DatasetError, load_dataset
from eval.runner import run_eval
from rag import feedback
from rag.answering.markers import strip_markers
from rag.schemas import Turn
from rag.service import RagService
from tests.eval.cli_run import run_rag_eval

LIKED = "Where did Orban and Putin meet during the Belt and Road Forum?"
FOLLOW_UP = "Was he the first EU leader to meet Putin since the war began?"
REFUSED = "What is the capital of Australia?"


def test_votes_become_candidates_a_person_completes(corpus_service: RagService,
                                                    tmp_path: Path) -> None:
    votes = tmp_path / "data" / feedback.FILE_NAME  # where RAG_DATA_DIR's chat writes them
    liked = corpus_service.ask(LIKED)
    history = [Turn(role="user", content=LIKED), Turn(role="assistant", content=liked.answer)]
    disliked = corpus_service.ask(FOLLOW_UP, history=history)
    refusal = corpus_service.ask(REFUSED)
    assert not liked.refused and liked.citations and refusal.refused
    for question, answer, vote, turns in [
            (LIKED, liked, "down", []), (LIKED, liked, "up", []),  # a mind changed: up counts
            (FOLLOW_UP, disliked, "down", history), (REFUSED, refusal, "up", []),
            (REFUSED, refusal, "down", []), (REFUSED, refusal, "cleared", [])]:  # taken back
        feedback.append(votes, feedback.record(question, answer, vote, turns, top_k=5))

    out = tmp_path / "candidates.jsonl"
    proc = run_rag_eval(tmp_path, "--from-feedback", "--out", str(out), timeout=120)
    report = f"exit {proc.returncode}\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    assert proc.returncode == 0, report
    assert "wrote 2 candidates" in proc.stdout and "Review every candidate" in proc.stdout
    assert "Lines 2 (thumbs-down) need a person" in proc.stdout, report

    up, down = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert up["question"] == LIKED and up["history"] == []
    assert up["reference_answer"] == strip_markers(liked.answer)
    assert up["sources"] == list(dict.fromkeys(c.source for c in liked.citations))
    assert up["key_facts"] and all(f[0] in liked.answer for f in up["key_facts"])
    assert up["category"] == down["category"] == "from_feedback" and up["split"] == "dev"
    assert down["question"] == FOLLOW_UP and down["history"] == [t.model_dump() for t in history]
    assert (down["reference_answer"], down["key_facts"], down["sources"]) == ("", [], [])

    with pytest.raises(DatasetError, match=r"candidates.jsonl:2: 'reference_answer'"):
        load_dataset(out)  # a thumbs-down is not an eval item until a person says what is right
    down |= {"reference_answer": "Yes: the first EU leader to meet Putin since the invasion.",
             "key_facts": [["first"]], "sources": [c.source for c in disliked.citations[:1]]}
    out.write_text(json.dumps(up) + "\n" + json.dumps(down) + "\n", encoding="utf-8")
    items = load_dataset(out)
    assert [i.id for i in items] == [up["id"], down["id"]]
    assert items[1].history == history

    # The liked answer's candidate passes on the system that gave it.
    run = run_eval(corpus_service, items[:1], top_k=5)
    assert run.records[0].scores["correct"], run.records[0]

    # A file that may hold a person's review is never written over.
    again = run_rag_eval(tmp_path, "--from-feedback", str(votes), "--out", str(out), timeout=120)
    assert again.returncode == 2 and "already exists" in again.stderr
