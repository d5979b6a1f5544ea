"""What an answerer produces (text deltas, then one draft), the refusal, and the citation
bookkeeping both answerers share. Their interface, which names the Question, is answerer.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from rag.answering.markers import MARKER, cited_numbers, keep_valid_markers
from rag.schemas import Citation, Passage

__all__ = ["MARKER", "REFUSAL", "AnswerDraft", "AnswerEvent", "TextDelta", "cite",
           "cited_numbers", "keep_valid_markers", "refusal"]

REFUSAL = "The articles do not contain the answer to this question."


@dataclass(frozen=True)
class TextDelta:
    """A piece of answer text as it is produced."""

    text: str


@dataclass(frozen=True)
class AnswerDraft:
    """The finished answer: the last event of every answer stream."""

    answer: str
    refused: bool
    citations: list[Citation]
    related: list[Passage] = field(default_factory=list)  # a refusal's further reading
    unsupported: list[str] = field(default_factory=list)  # LLM sentences their passages lack


AnswerEvent = TextDelta | AnswerDraft


def refusal(related: Sequence[Passage] = ()) -> AnswerDraft:
    """The articles do not hold the answer; the closest passages go along as related reading."""
    return AnswerDraft(answer=REFUSAL, refused=True, citations=[], related=list(related))


def cite(text: str, numbered: Sequence[Passage]) -> AnswerDraft:
    """Keep markers that point at a passage (1-based) and list exactly those passages."""
    valid = set(range(1, len(numbered) + 1))
    answer = keep_valid_markers(text, valid)
    citations = [Citation(n=n, **numbered[n - 1].model_dump()) for n in cited_numbers(answer)]
    return AnswerDraft(answer=answer, refused=False, citations=citations)
