"""Whose words a question asks for, and whose a sentence gives (rag/answering/speakers.py)."""

from __future__ import annotations

import pytest

from rag.answering.speakers import asked_speaker, other_speaker, speakers
from rag.service import RagService


@pytest.mark.parametrize(("question", "speaker"), [
    ("How did Orbán describe the war in his post after the call?", {"orban"}),
    ("What did Putin tell Orban about his position?", {"putin"}),
    ("According to Josep Borrell, what does the EU position exclude?", {"josep", "borrell"}),
    ("What did he tell Putin there?", set()),  # a pronoun: the other checks judge it
    ("Where did Orban meet Putin?", set()),  # no words asked for
])
def test_the_speaker_a_question_asks_about(question: str, speaker: set[str]) -> None:
    assert asked_speaker(question) == speaker


@pytest.mark.parametrize(("sentence", "said_by"), [
    ("Such an arrangement could end the “hot phase” of the war, Zelenskyy told Sky News.",
     {"zelenskyy"}),
    ("Mr Orban’s trip was a “peace mission”, Bertalan Havasi, his press chief, told MTI.",
     {"bertalan", "havasi"}),
    ("“Orban expressed interest in a joint search,” a Kremlin press release said.",
     {"kremlin"}),
    ("Serbian President Aleksandar Vucic said on Tuesday that he met Mr Putin.",
     {"aleksandar", "vucic"}),
    ("Bilateral ties have suffered because of EU sanctions, he said.", set()),
    ("Orban met Putin in Beijing ahead of the forum.", set()),
])
def test_the_speakers_a_sentence_gives_its_words_to(sentence: str, said_by: set[str]) -> None:
    assert speakers(sentence) == said_by


def test_another_speakers_words_do_not_answer() -> None:
    question = "How did Orbán describe the current phase of the war?"
    assert other_speaker(question, "It could end the “hot phase” of the war, Zelenskyy told "
                                   "Sky News.")
    # Naming the one asked about, it may report his words through another.
    assert not other_speaker(question, "Mr Orban’s trip was a “peace mission”, his press "
                                       "chief Bertalan Havasi told MTI.")
    assert not other_speaker(question, "“These are the most dangerous weeks of the war.”")


def test_an_answer_does_not_quote_another_speaker_as_the_one_asked_about(
        corpus_service: RagService) -> None:
    answer = corpus_service.ask("How did Orbán describe the current phase of the "
                                "Russia-Ukraine war in his post after the call with Putin?")
    assert "Zelenskyy told" not in answer.answer
