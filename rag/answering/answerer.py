"""The one interface both answerers implement: a Question and its passages in, an answer
stream out.

Kept apart from base.py (what an answer is made of), which question.py imports for the
refusal's wording: the protocol names the Question, so base.py must not (an import cycle).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Literal, Protocol

from rag.answering.base import AnswerEvent
from rag.answering.question import Question
from rag.schemas import Passage


class Answerer(Protocol):
    mode: Literal["extractive", "llm"]

    def stream(self, question: Question, passages: Sequence[Passage]) -> Iterator[AnswerEvent]:
        """Yield TextDelta events, then exactly one AnswerDraft."""
        ...

    def check(self) -> None:
        """Raise if the answerer cannot work (e.g. its LLM is unreachable)."""
        ...
