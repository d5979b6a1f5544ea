"""Citation bookkeeping shared by both answerers: markers and the passages they list."""

from __future__ import annotations

from rag.answering.base import cite, cited_numbers, keep_valid_markers
from rag.answering.generative import _split_safe
from rag.schemas import Passage


def passage(i: int) -> Passage:
    return Passage(source=f"{i}.txt", doc_id=f"d{i}", chunk_id=f"c{i}", text=f"text {i}",
                   start=0, end=6, score=0.5)


def test_markers_to_missing_passages_are_removed() -> None:
    cleaned = keep_valid_markers("Beijing [1][7]. Moscow [2, 9].", {1, 2})
    assert cleaned == "Beijing [1]. Moscow [2]."
    assert keep_valid_markers("Nothing [4] here.", {1}) == "Nothing here."


def test_cite_lists_exactly_the_cited_passages_with_their_numbers() -> None:
    draft = cite("They met in Beijing [2]. Then Moscow [3][2]. Bogus [12].", [passage(i)
                                                                           for i in (1, 2, 3)])
    assert [c.n for c in draft.citations] == [2, 3]
    assert [c.source for c in draft.citations] == ["2.txt", "3.txt"]
    assert set(cited_numbers(draft.answer)) == {c.n for c in draft.citations}
    assert "[12]" not in draft.answer and not draft.refused


def test_stream_holds_back_an_unfinished_marker() -> None:
    assert _split_safe("Beijing [1") == ("Beijing ", "[1")
    assert _split_safe("Beijing [1]") == ("Beijing [1]", "")
    assert _split_safe("a [ b " + "x" * 20) == ("a [ b " + "x" * 20, "")


def test_uncited_answers_are_attributed_by_their_words() -> None:
    from rag.answering.generative import attribute

    passages = [
        Passage(source="a.txt", doc_id="a", chunk_id="a:1", text="Orban met Putin in Beijing "
                "at the Belt and Road forum.", start=0, end=50, score=0.9),
        Passage(source="b.txt", doc_id="b", chunk_id="b:1", text="Energy supplies for Hungary, "
                "Slovakia and Serbia this winter.", start=0, end=50, score=0.8)]
    assert attribute("They met in Beijing at the Belt and Road forum.", passages) == [1]
    assert attribute("1) Hungary\n2) Slovakia\n3) Serbia", passages) == [2]  # short lines
    assert attribute("The capital of France is Paris.", passages) == []
