"""The sentences an extractive answer may quote: those of the retrieved passages, and the
few just past each passage's ends (a chunk boundary can fall between a topic and what is
said of it)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rag.components.store import adjacent_chunk_ids
from rag.schemas import Passage
from rag.text import sentence_spans

NEIGHBOUR_SENTENCES = 2  # read past each end of a retrieved chunk
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


def gather(passages: Sequence[Passage],
           chunks: Callable[[list[str]], list[Passage]] | None) -> list[Candidate]:
    """Every sentence of the passages, then those just past their ends; each span once."""
    read = [c for rank, p in enumerate(passages) for c in sentences(p, rank)]
    return _unique([*read, *_beside(passages, chunks)])


def _beside(passages: Sequence[Passage],
            chunks: Callable[[list[str]], list[Passage]] | None) -> list[Candidate]:
    if chunks is None:
        return []
    retrieved = {p.chunk_id for p in passages}
    anchors = {cid: (rank, p) for rank, p in enumerate(passages)
               for cid in adjacent_chunk_ids(p.chunk_id) if cid not in retrieved}
    out: list[Candidate] = []
    for neighbour in chunks(list(anchors)) if anchors else []:
        rank, anchor = anchors[neighbour.chunk_id]
        after = neighbour.start > anchor.start
        outside = [c for c in sentences(neighbour, rank)
                   if (c.start >= anchor.end if after else c.end <= anchor.start)]
        out += outside[:NEIGHBOUR_SENTENCES] if after else outside[-NEIGHBOUR_SENTENCES:]
    return out


def _unique(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Overlapping chunks repeat sentences: keep each article span once (its best rank)."""
    seen: dict[tuple[str, int, int], Candidate] = {}
    for c in candidates:
        seen.setdefault((c.passage.doc_id, c.start, c.end), c)
    return list(seen.values())
