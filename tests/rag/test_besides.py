"""Questions that set something aside ("besides gas and oil"): asked without it, and not
answered by a sentence naming only it."""

from __future__ import annotations

import pytest

from rag.answering.besides import aside_of, restates
from rag.service import RagService


@pytest.mark.parametrize(("question", "aside", "names"), [
    ("What does Hungary rely on Moscow for besides gas and oil?", {"gas", "oil"}, False),
    ("Besides Moscow, where did Orban travel?", {"moscow"}, True),
    ("Who other than the minister joined him?", {"minister"}, False),
    ("Which leader apart from Orban has met Putin?", {"orban"}, True),
    ("Which topic besides Ukraine did they discuss?", {"ukraine"}, False),  # not a name
    ("Besides further EU funding for Ukraine, what did he oppose?",
     {"eu", "funding", "ukraine"}, False),
    # the names are set aside, not the trips; the kind asked for is, where it is there
    ("Apart from his trips to Moscow and Beijing, which places did he visit?",
     {"moscow", "beijing"}, True),
    ("Besides the leaders who came to the Belt and Road Forum, which leader did he meet?",
     {"leaders", "belt", "road", "forum"}, False),
    ("What did Orban say in Moscow?", set(), False),
])
def test_what_the_question_sets_aside(question: str, aside: set[str], names: bool) -> None:
    from rag.text import stem

    what = aside_of(question)
    assert (set(what.stems), what.names) == ({stem(w) for w in aside}, names)


@pytest.mark.parametrize(("sentence", "restating"), [
    ("The country gets 80% of its oil and gas from Russia, and the minister must choose.", True),
    ("It kept buying Russian gas and oil, arguing that they are essential.", True),
    ("Hungary depends on Moscow for natural gas, oil and nuclear fuel.", False),
    ("It buys coal, gas and oil from Russia.", False),
    ("Besides oil and gas, Russia sells it nuclear fuel.", False),
    ("The talks touched on grain exports.", False),  # names no aside: other checks judge it
])
def test_a_sentence_naming_only_the_aside_restates(sentence: str, restating: bool) -> None:
    assert restates(sentence, "What does it import besides oil and gas?",
                    aside_of("What does it import besides oil and gas?")) \
        is restating


def test_a_list_item_may_follow_its_determiner() -> None:
    question = "Besides EU funding for Ukraine, what did he oppose?"
    assert not restates("He opposed EU funding for Ukraine and the use of frozen assets.",
                        question, aside_of(question))
    assert restates("He opposed EU funding for Ukraine, and the talks ended.",
                    question, aside_of(question))


@pytest.mark.parametrize(("sentence", "restating"), [
    ("Orban went to Moscow in July.", True),
    ("After Moscow, Orban flew to Beijing.", False),
    ("Orban visited Moscow and Kyiv.", False),
])
def test_a_named_aside_needs_another_place(sentence: str, restating: bool) -> None:
    assert restates(sentence, "Besides Moscow, where did Orban travel?",
                    aside_of("Besides Moscow, where did Orban travel?")) \
        is restating


def test_the_answer_names_what_was_not_set_aside(corpus_service: RagService) -> None:
    answer = corpus_service.ask("What does Hungary rely on Moscow for besides gas and oil?")
    assert not answer.refused
    first = answer.answer.split("[")[0]
    assert "nuclear fuel" in first, answer.answer


@pytest.mark.parametrize(("sentence", "restating"), [
    ("Foreign minister Peter Szijjarto also joined the trip, according to Facebook.", True),
    ("Szijjarto and his deputy Levente Magyar joined the trip.", False),
])
def test_a_named_aside_needs_another_person(sentence: str, restating: bool) -> None:
    question = "Besides Szijjarto, who joined Orban in Moscow?"
    assert restates(sentence, question, aside_of(question)) is restating


def test_a_telling_of_only_the_aside_is_not_cited(corpus_service: RagService) -> None:
    """000 and 001 both report the letter opposing EU funding; only 001 tells more."""
    answer = corpus_service.ask("Besides further EU funding for Ukraine, what did Orban "
                                "oppose in his letter to Ursula von der Leyen?")
    assert "frozen Russian assets" in answer.answer, answer.answer
    assert {c.source for c in answer.citations} == {"001_0d759d72c1af06c9.txt"}
