"""The default answerer: quotes the retrieved sentences that answer the question.

No model writes anything, so it cannot invent a fact. Each sentence of the
retrieved passages is scored by meaning (embedding cosine with the question) and by
wording (the question's content words it holds, rare words weighing more, as in
BM25). Sentences that cannot hold the kind of answer asked for (a time for "when",
a duration for "how long") are left out, and a question naming someone or something
that no passage mentions loses confidence. Below `min_score` it refuses.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rag.answering.answer_types import holds_answer_type
from rag.answering.base import AnswerDraft, AnswerEvent, TextDelta, refusal
from rag.answering.text import content_terms, named_terms, sentence_spans
from rag.components.embedding import EmbeddingModel
from rag.retrieval import follow_up_context
from rag.schemas import Citation, Passage, Turn

MEANING_WEIGHT = 0.7  # the rest is wording
MAX_SENTENCES = 2
NEAR_BEST = 0.9  # a second sentence is quoted only when it scores this close to the best
DUPLICATE_COSINE = 0.92  # two articles telling the same fact: quote it once
UNKNOWN_NAME_PENALTY = 0.5  # confidence lost when no passage mentions the names asked about


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    text: str
    start: int  # in the article
    end: int


def split_sentences(passage: Passage) -> list[Candidate]:
    return [Candidate(passage, passage.text[lo:hi], passage.start + lo, passage.start + hi)
            for lo, hi in sentence_spans(passage.text)
            if len(content_terms(passage.text[lo:hi])) >= 2]


def wording_scores(terms: set[str], sentences: Sequence[str]) -> np.ndarray:
    """Share of the question's terms in each sentence, weighted by rarity among them."""
    if not terms or not sentences:
        return np.zeros(len(sentences))
    bags = [content_terms(s) for s in sentences]
    weight = {t: math.log(1 + len(bags) / (1 + sum(t in b for b in bags))) for t in terms}
    total = sum(weight.values())
    return np.array([sum(weight[t] for t in terms & b) / total for b in bags])


def name_coverage(question: str, sentences: Sequence[str]) -> float:
    names = named_terms(question)
    if not names:
        return 1.0
    seen = set().union(*(content_terms(s) for s in sentences))
    return len(names & seen) / len(names)


class ExtractiveAnswerer:
    mode: Literal["extractive", "llm"] = "extractive"

    def __init__(self, embedder: EmbeddingModel, min_score: float,
                 cache_size: int = 20_000) -> None:
        self.embedder = embedder
        self.min_score = min_score
        # Sentence vectors by text: the same passages come back for many questions, and
        # embedding their sentences is most of this answerer's time. Requests share it.
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def check(self) -> None:
        return None

    def stream(self, question: str, passages: Sequence[Passage],
               history: Sequence[Turn]) -> Iterator[AnswerEvent]:
        draft = self.answer(question, passages, history)
        for i, citation in enumerate(draft.citations):
            yield TextDelta(("" if i == 0 else " ") + f"{citation.text} [{citation.n}]")
        if draft.refused:
            yield TextDelta(draft.answer)
        yield draft

    def answer(self, question: str, passages: Sequence[Passage],
               history: Sequence[Turn]) -> AnswerDraft:
        candidates = _unique(c for p in passages for c in split_sentences(p))
        if not candidates:
            return refusal()
        context = follow_up_context(question, history)
        scores, vectors = self.score(question, context, candidates)
        order = [int(i) for i in np.argsort(-scores)
                 if holds_answer_type(candidates[i].text, question)]
        if not order or scores[order[0]] < self.min_score:
            return refusal()
        floor = max(self.min_score, scores[order[0]] * NEAR_BEST)
        chosen: list[int] = []
        for i in order:
            if len(chosen) == MAX_SENTENCES or scores[i] < floor:
                break
            if all(float(vectors[i] @ vectors[j]) < DUPLICATE_COSINE for j in chosen):
                chosen.append(i)
        chosen.sort(key=lambda i: (candidates[i].passage.source, candidates[i].start))
        citations = [
            Citation(n=n, source=c.passage.source, doc_id=c.passage.doc_id,
                     chunk_id=c.passage.chunk_id, text=c.text, start=c.start, end=c.end,
                     score=round(float(scores[i]), 4))
            for n, (i, c) in enumerate(((i, candidates[i]) for i in chosen), start=1)
        ]
        answer = " ".join(f"{c.text} [{c.n}]" for c in citations)
        return AnswerDraft(answer=answer, refused=False, citations=citations)

    def score(self, question: str, context: str,
              candidates: Sequence[Candidate]) -> tuple[np.ndarray, np.ndarray]:
        """Scores in [0, 1] for each candidate sentence, and the sentences' vectors."""
        texts = [question] + ([f"{context} {question}"] if context else [])
        queries = np.array(self.embedder.embed_texts(texts))
        vectors = self._sentence_vectors(candidates)
        meaning = (vectors @ queries.T).max(axis=1)
        terms = content_terms(question)
        if context and len(terms) < 3:  # "what did he say there?": the topic came before
            terms |= content_terms(context)
        sentences = [c.text for c in candidates]
        wording = wording_scores(terms, sentences)
        confidence = 1 - UNKNOWN_NAME_PENALTY * (1 - name_coverage(question, sentences))
        return (MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * wording) * confidence, vectors


    def _sentence_vectors(self, candidates: Sequence[Candidate]) -> np.ndarray:
        texts = [c.text for c in candidates]
        with self._lock:
            known = {t: self._vectors[t] for t in texts if t in self._vectors}
        missing = sorted({t for t in texts if t not in known})
        if missing:
            known.update(zip(missing, map(np.asarray, self.embedder.embed_texts(missing)),
                             strict=True))
        with self._lock:
            for text in texts:
                self._vectors[text] = known[text]
                self._vectors.move_to_end(text)
            while len(self._vectors) > self._cache_size:
                self._vectors.popitem(last=False)
        return np.array([known[t] for t in texts])


def _unique(candidates: Iterator[Candidate]) -> list[Candidate]:
    """Overlapping chunks repeat sentences: keep each article span once."""
    seen: dict[tuple[str, int, int], Candidate] = {}
    for c in candidates:
        seen.setdefault((c.passage.doc_id, c.start, c.end), c)
    return list(seen.values())
