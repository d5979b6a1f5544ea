"""The one interface both answerers implement, and the citation bookkeeping they share."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from rag.schemas import Citation, Passage, Turn

REFUSAL = "The articles do not contain the answer to this question."

MARKER = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")


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


AnswerEvent = TextDelta | AnswerDraft


class Answerer(Protocol):
    mode: Literal["extractive", "llm"]

    def stream(self, question: str, passages: Sequence[Passage],
               history: Sequence[Turn]) -> Iterator[AnswerEvent]:
        """Yield TextDelta events, then exactly one AnswerDraft."""
        ...

    def check(self) -> None:
        """Raise if the answerer cannot work (e.g. its LLM is unreachable)."""
        ...


def refusal() -> AnswerDraft:
    return AnswerDraft(answer=REFUSAL, refused=True, citations=[])


def keep_valid_markers(text: str, valid: set[int]) -> str:
    """Drop [n] markers that point at no passage; '[1, 9]' with 9 invalid becomes '[1]'."""

    def fix(match: re.Match[str]) -> str:
        kept = [n for n in (int(x) for x in match.group(1).split(",")) if n in valid]
        return "".join(f"[{n}]" for n in kept)

    cleaned = MARKER.sub(fix, text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


def cited_numbers(text: str) -> list[int]:
    """The [n] numbers used in `text`, in order of first use."""
    seen: dict[int, None] = {}
    for match in MARKER.finditer(text):
        for x in match.group(1).split(","):
            seen.setdefault(int(x), None)
    return list(seen)


def cite(text: str, numbered: Sequence[Passage]) -> AnswerDraft:
    """Keep markers that point at a passage (1-based) and list exactly those passages."""
    valid = set(range(1, len(numbered) + 1))
    answer = keep_valid_markers(text, valid)
    citations = [Citation(n=n, **numbered[n - 1].model_dump()) for n in cited_numbers(answer)]
    return AnswerDraft(answer=answer, refused=False, citations=citations)
