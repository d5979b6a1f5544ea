"""The support check of LLM answers: real MiniLM embeddings, real passages from data/articles."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.answering.support import (
    MIN_TERM_SHARE,
    claims,
    makes_claim,
    term_share,
    unsupported_sentences,
)
from rag.components.embedding import EmbeddingModel, build_embedding_model
from rag.schemas import Passage
from rag.settings import Settings

ARTICLES = Path(__file__).resolve().parents[2] / "data" / "articles"
BEIJING = "003_374a4539e936311e.txt"
MOSCOW = "001_0d759d72c1af06c9.txt"


def article_passage(source: str, first: str, last: str) -> Passage:
    """The span of an article from the paragraph starting `first` to the one starting `last`."""
    text = (ARTICLES / source).read_text(encoding="utf-8")
    start = text.index(first)
    end = text.index("\n", text.index(last))
    return Passage(source=source, doc_id=source[:3], chunk_id=f"{source[:3]}:0",
                   text=text[start:end], start=start, end=end, score=0.8)


@pytest.fixture(scope="module")
def embedder() -> EmbeddingModel:
    return build_embedding_model(Settings(_env_file=None))


@pytest.fixture(scope="module")
def passages() -> list[Passage]:
    """[1]: Orban meets Putin in Beijing, on energy. [2]: Putin thanks Orban in Moscow."""
    return [article_passage(BEIJING, "Hungarian Prime Minister Viktor Orban has held",
                            "Their meeting, which focused"),
            article_passage(MOSCOW, "During their meeting, Putin acknowledged",
                            "During their meeting, Putin acknowledged")]


def test_a_faithful_paraphrase_is_supported(embedder: EmbeddingModel,
                                            passages: list[Passage]) -> None:
    answer = ("Orban and Putin held their meeting in Beijing, before a forum on China's Belt "
              "and Road Initiative [1]. Putin thanked Orban for offering to host a Russia-US "
              "summit in Budapest [2].")
    assert unsupported_sentences(answer, passages, embedder) == []


def test_meaning_vouches_for_a_reworded_sentence_when_words_do_not(
        embedder: EmbeddingModel, passages: list[Passage]) -> None:
    answer = "Putin said he appreciated Orban's even-handed stance on the Ukraine conflict [2]."
    assert term_share(answer, [passages[1].text]) < MIN_TERM_SHARE  # new words, same fact
    assert unsupported_sentences(answer, passages, embedder) == []
    assert unsupported_sentences(answer, passages, None) == [answer]  # words alone: flagged


def test_an_invented_claim_citing_a_real_passage_is_unsupported(
        embedder: EmbeddingModel, passages: list[Passage]) -> None:
    invented = "The meeting lasted three hours and ended with a joint press conference [1]."
    answer = f"They met in Beijing [1]. {invented}"
    assert unsupported_sentences(answer, passages, embedder) == [invented]


def test_a_claim_citing_nothing_is_unsupported_even_when_true(
        embedder: EmbeddingModel, passages: list[Passage]) -> None:
    uncited = "Their meeting focused on Hungary's access to Russian energy."
    answer = f"Orban and Putin met in Beijing [1]. {uncited}"
    assert unsupported_sentences(answer, passages, embedder) == [uncited]


def test_a_sentence_is_judged_against_its_own_passages_only(
        embedder: EmbeddingModel, passages: list[Passage]) -> None:
    wrong_source = "Their meeting focused on Hungary's access to Russian energy [2]."
    assert unsupported_sentences(wrong_source, passages, embedder) == [wrong_source]
    right_source = wrong_source.replace("[2]", "[1]")
    assert unsupported_sentences(right_source, passages, embedder) == []
    both = wrong_source.replace("[2]", "[1][2]")
    assert unsupported_sentences(both, passages, embedder) == []


def test_a_marker_after_the_full_stop_belongs_to_the_sentence_before_it() -> None:
    found = claims("They met in Beijing. [1] It was about energy. [1-2] Done.")
    assert [(c.text, c.cites) for c in found] == [
        ("They met in Beijing. [1]", (1,)), ("It was about energy. [1-2]", (1, 2)),
        ("Done.", ())]


def test_markers_only_at_the_end_cite_the_whole_answer(
        embedder: EmbeddingModel, passages: list[Passage]) -> None:
    # The shape of an uncited answer the answerer attributed: its markers go at the end.
    answer = ("Orban met Putin in Beijing. Their meeting focused on Hungary's access to "
              "Russian energy. [1]")
    assert [c.cites for c in claims(answer)] == [(1,), (1,)]
    assert unsupported_sentences(answer, passages, embedder) == []


def test_sentences_that_claim_nothing_are_not_judged(embedder: EmbeddingModel,
                                                     passages: list[Passage]) -> None:
    assert not makes_claim("Sure.") and not makes_claim("Yes [1].")
    assert not makes_claim("The passages do not mention how long they met.")
    answer = "Sure. They met in Beijing [1]. The passages do not say for how long."
    assert unsupported_sentences(answer, passages, embedder) == []


def test_listed_sentences_are_verbatim_pieces_of_the_answer(
        embedder: EmbeddingModel, passages: list[Passage]) -> None:
    answer = ("Orban met Putin in Beijing [1].\nThe two leaders signed a gas deal in Paris [ 1 ]."
              "\n1) Hungary would leave NATO next year")
    flagged = unsupported_sentences(answer, passages, embedder)
    assert flagged == ["The two leaders signed a gas deal in Paris [ 1 ].",
                       "1) Hungary would leave NATO next year"]
    assert all(s in answer for s in flagged)


def test_an_invented_date_or_name_is_unsupported_even_in_familiar_words() -> None:
    from rag.answering.support import unknown_details

    source = ["Mr Orban visited Moscow in July, days after a trip to Kyiv where he met "
              "Volodymyr Zelensky."]
    assert unknown_details("Orbán visited Moscow in July 2023 and met Zelensky.",
                           source) == ["2023"]
    assert unknown_details("He met Zelensky in Kyiv in July.", source) == []
    assert unknown_details("He met Zelensky in Kyiv.", ["He met Mr Zelensky in Kyiv."]) == []
