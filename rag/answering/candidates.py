"""The sentences an extractive answer may quote: those of the retrieved passages."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rag.schemas import Passage
from rag.text import sentence_spans

MIN_WORDS = 3  # shorter lines ("Photo: AP") answer nothing
_PRONOUN_OPENING = re.compile(r"(?:He|She|They|His|Her|Their|It)\b")


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    start: int  # in the article
    end: int
    sentence: int  # its index among the passage's sentences (rows of SentenceVectors)
    window: tuple[int, int]  # the sentence with its neighbours, in the passage's text
    rank: int  # of the retrieved passage it was read with (0: the best)
    lead: int = 0  # chars before `start` shown with it: "He added: ..." after who "he" is

    @property
    def text(self) -> str:
        return self.passage.text[self.start - self.passage.start:self.end - self.passage.start]

    @property
    def local(self) -> tuple[int, int]:
        """The sentence's span in its passage's text."""
        return self.start - self.passage.start, self.end - self.passage.start


def sentences(passage: Passage, rank: int) -> list[Candidate]:
    spans = list(sentence_spans(passage.text))
    out = []
    for i, (lo, hi) in enumerate(spans):
        if len(passage.text[lo:hi].split()) < MIN_WORDS:
            continue
        window = (spans[max(0, i - 1)][0], spans[min(len(spans) - 1, i + 1)][1])
        lead = lo - spans[i - 1][0] if i and _PRONOUN_OPENING.match(passage.text, lo) else 0
        out.append(Candidate(passage, passage.start + lo, passage.start + hi, i, window, rank,
                             lead))
    return out


def gather(passages: Sequence[Passage]) -> list[Candidate]:
    """Every sentence of the passages; a sentence two overlapping chunks share, once."""
    return _unique(c for rank, p in enumerate(passages) for c in sentences(p, rank))


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Overlapping chunks repeat sentences: keep each article span once (its best rank)."""
    seen: dict[tuple[str, int, int], Candidate] = {}
    for c in candidates:
        seen.setdefault((c.passage.doc_id, c.start, c.end), c)
    return list(seen.values())
