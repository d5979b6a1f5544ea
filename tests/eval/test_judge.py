"""The faithfulness judge, with a scripted stand-in for the LLM (no endpoint needed)."""

from __future__ import annotations

import pytest

from eval.judge import Judge, judge_unavailable, parse_verdict, split_sentences
from eval.metrics import faithfulness
from rag.settings import load_settings
from tests.eval.helpers import record


def test_sentences_keep_the_markers_that_follow_their_full_stop() -> None:
    # The extractive answerer writes "Sentence. [1] Next one. [2]".
    assert split_sentences("They met in Beijing. [1] Mr. Orban spoke of energy. [2]") == [
        ("They met in Beijing.", [1]), ("Mr. Orban spoke of energy.", [2])]
    # An LLM writes "Sentence [1]. Next [2][3]."
    assert split_sentences("They met in Beijing [1]. It was about energy [2][3]. Thanks.") == [
        ("They met in Beijing.", [1]), ("It was about energy.", [2, 3]), ("Thanks.", [])]
    assert split_sentences("") == []


@pytest.mark.parametrize(("reply", "verdict"), [
    ("SUPPORTED", True), ("Supported.", True), ("**UNSUPPORTED**", False),
    ("Not supported", False), ("NOT_SUPPORTED", False), ("yes", True), ("No, it is not", False),
    ('{"supported": false}', False), ('{"verdict": "SUPPORTED"}', True),
    ("", None), ("I think so", None), ("SUPPORTED, though partly UNSUPPORTED", None),
    ("The sentence is supported by passage 1.", True),
])
def test_replies_are_parsed_or_declared_unparseable(reply: str, verdict: bool | None) -> None:
    assert parse_verdict(reply) is verdict


def test_every_verdict_kind_is_recorded_and_counted() -> None:
    replies = iter(["SUPPORTED", "Hmm, hard to say", "UNSUPPORTED"])

    def complete(system: str, user: str) -> str:
        if "Sentence: Boom" in user:
            raise ConnectionError("endpoint down")
        assert "Reply SUPPORTED or UNSUPPORTED" in user and "[1] (from a.txt)" in user
        return next(replies)

    records = [
        record("Fine. [1] Odd. [1] Wrong. [1] No citation here.", cited=("a.txt",)),
        record("Boom [1].", cited=("a.txt",)),
        record("Refused.", refused=True, cited=()),  # refusals are not judged
    ]
    Judge(complete, "scripted").judge_records(records, progress=False)
    assert [v.verdict for v in records[0].judge or []] == [
        "supported", "unparseable", "unsupported", "uncited"]
    assert records[0].judge[1].reply == "Hmm, hard to say"  # type: ignore[index]
    assert [v.verdict for v in records[1].judge or []] == ["error"]
    assert records[2].judge is None
    summary = faithfulness.summarise(records)
    # supported / (supported + unsupported + uncited); unparseable and errors counted apart
    assert summary == {"faithfulness": pytest.approx(1 / 3), "faithful_answers": 0.0,
                       "judge_unparseable": 1, "judge_errors": 1}


def test_not_judged_means_not_measured() -> None:
    assert faithfulness.summarise([record()]) == {
        "faithfulness": None, "faithful_answers": None, "judge_unparseable": None,
        "judge_errors": None}


def test_the_judge_needs_a_configured_llm() -> None:
    assert "no LLM configured" in str(judge_unavailable(load_settings(_env_file=None)))
    assert judge_unavailable(load_settings(_env_file=None,
                                           openai_base_url="http://127.0.0.1:9/v1")) is None
