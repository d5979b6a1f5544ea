"""The citation-marker grammar, and the streaming cleaner that applies it chunk by chunk."""

from __future__ import annotations

import itertools

import pytest

from rag.answering.generative import MarkerStream, _split_safe
from rag.answering.markers import (
    MARKER,
    MAX_RANGE,
    cited_numbers,
    keep_valid_markers,
    numbers,
    strip_markers,
)


def marker_numbers(text: str) -> list[list[int]]:
    return [numbers(m) for m in MARKER.finditer(text)]


@pytest.mark.parametrize(("text", "expected"), [
    ("[1]", [1]),
    ("[1, 2]", [1, 2]),
    ("[1-2]", [1, 2]),
    ("[2-4]", [2, 3, 4]),
    ("[1–3]", [1, 2, 3]),  # an en dash, as models often write ranges
    ("[1; 2]", [1, 2]),
    ("[1;2]", [1, 2]),
    ("[ 1 ]", [1]),
    ("[ 1 , 3 - 4 ]", [1, 3, 4]),
])
def test_each_marker_form_names_its_numbers(text: str, expected: list[int]) -> None:
    assert marker_numbers(f"They met in Beijing {text}.") == [expected]


def test_text_in_brackets_is_not_a_marker() -> None:
    assert marker_numbers("[a] [1a] [1,] [-1] [] [1.5] (1) [see 1]") == []


def test_a_range_past_max_range_is_two_numbers_not_thousands() -> None:
    assert marker_numbers(f"[1-{MAX_RANGE + 1}]") == [list(range(1, MAX_RANGE + 2))]
    assert marker_numbers(f"[1-{MAX_RANGE + 2}]") == [[1, MAX_RANGE + 2]]
    assert marker_numbers("[1-9999]") == [[1, 9999]]
    assert marker_numbers("[5-2]") == [[5, 2]]  # backwards: read as the two numbers


def test_keep_valid_markers_rewrites_every_form_to_the_canonical_one() -> None:
    valid = {1, 2, 3}
    assert keep_valid_markers("A [1-2]. B [1; 3]. C [ 2 ].", valid) == "A [1][2]. B [1][3]. C [2]."
    assert keep_valid_markers("Both [1,9].", valid) == "Both [1]."  # 9 points at no passage
    assert keep_valid_markers("Only bad [9] here [7-8].", valid) == "Only bad here."
    assert keep_valid_markers("Range [2-9].", valid) == "Range [2][3]."
    assert keep_valid_markers("Repeat [1, 1-2].", valid) == "Repeat [1][2]."
    assert keep_valid_markers("Far [1-9999].", valid) == "Far [1]."


def test_cited_numbers_in_order_of_first_use_and_words_without_markers() -> None:
    assert cited_numbers("A [3]. B [1-2; 3]. C [ 2 ].") == [3, 1, 2]
    assert strip_markers("They met [1-2] in Beijing [ 3 ].") == "They met in Beijing."


# -- streaming: markers cleaned chunk by chunk --------------------------------------------------


def streamed(chunks: list[str], valid: set[int]) -> list[str]:
    stream = MarkerStream(valid)
    return [*(stream.feed(c) for c in chunks), stream.close()]


def test_a_marker_split_across_chunks_is_held_until_it_closes() -> None:
    pieces = streamed(["They met in Beijing [1", "-2", "]. Then", " Moscow [9", "]."], {1, 2})
    assert pieces[0] == "They met in Beijing"  # neither the "[1" nor the space before it
    assert pieces[1] == ""
    assert pieces[2] == " [1][2]. Then"
    assert "".join(pieces) == "They met in Beijing [1][2]. Then Moscow."
    assert "[9" not in "".join(pieces[:-1])  # an invalid marker never reaches the reader


def test_a_bracket_that_cannot_be_a_marker_is_sent_at_once() -> None:
    stream = MarkerStream({1})
    assert stream.feed("The deal [") == "The deal"
    assert stream.feed("in principle] was") == " [in principle] was"


def test_split_safe_holds_only_a_tail_that_may_still_become_a_marker() -> None:
    assert _split_safe("Beijing [1") == ("Beijing ", "[1")
    assert _split_safe("Beijing [ 1, 2 -") == ("Beijing ", "[ 1, 2 -")
    assert _split_safe("Beijing [1]") == ("Beijing [1]", "")
    assert _split_safe("a [ b") == ("a [ b", "")
    assert _split_safe("[1] and [2") == ("[1] and ", "[2")


TRICKY = [
    "They met in Beijing [1-2]. Talks [ 3 ] lasted; hours [9] .",
    "[2] Opening marker, then [1;2] and [1, 9] and [4–5] and [1-9999].",
    "Spaces  before [7] , punctuation [1] ! And\nnew [ 2 ]\nlines [8]",
    "Unclosed [1 at the end [2",
    "Brackets [in text] and [1]] and [[2] and [",
]


@pytest.mark.parametrize("text", TRICKY)
def test_streamed_pieces_always_add_up_to_the_cleaned_answer(text: str) -> None:
    valid = {1, 2, 3}
    final = keep_valid_markers(text, valid)
    for cuts in itertools.combinations(range(1, len(text)), 2):  # every 3-chunk split
        chunks = [text[a:b] for a, b in itertools.pairwise((0, *cuts, len(text)))]
        pieces = streamed(chunks, valid)
        assert "".join(pieces) == final, chunks
    one_by_one = streamed(list(text), valid)  # a character per chunk
    assert "".join(one_by_one) == final
