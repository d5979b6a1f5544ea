"""The default answerer: quotes the retrieved sentences that answer the question.

No model writes anything, so it cannot invent a fact. A sentence is scored by
meaning (embedding cosine with the question) and by wording (how many of the
question's content words it holds); sentences that cannot carry the kind of
answer the question asks for (a time for "when", a number for "how many") are
left out. When no sentence clears `min_answer_score`, it refuses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from rag.answering.base import AnswerDraft, AnswerEvent, TextDelta, refusal
from rag.components.embedding import EmbeddingModel
from rag.schemas import Citation, Passage, Turn

MAX_SENTENCES = 3
NEAR_BEST = 0.85  # a further sentence is quoted when it scores this close to the best
DUPLICATE_COSINE = 0.92  # two articles telling the same fact: quote it once
MEANING_WEIGHT = 0.6

_STOPWORDS = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been being "
    "do does did done has have had having what which who whom whose when where why how this "
    "that these those it its he she they them his her their him i you we our your not no "
    "yes than then there here about into over after before during while if so can could "
    "would should will shall may might must also just very more most much many any some "
    "each other such only own same too again further once all both few one tell said say "
    "says according article articles".split()
)
_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_MONTHS = ("january february march april may june july august september october november "
           "december monday tuesday wednesday thursday friday saturday sunday")
_TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d|" + "|".join(_MONTHS.split()) +
    r"|yesterday|today|tomorrow|ago|last|next|earlier|later|previously|recently|since|"
    r"week|month|year|day|morning|evening|night|spring|summer|autumn|winter)\b",
    re.IGNORECASE)
_NUMBER = re.compile(
    r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|"
    r"hundred|hundreds|thousand|thousands|million|millions|billion|billions|half)\b",
    re.IGNORECASE)
# A sentence ends at . ! or ? (plus closing quotes/brackets) before whitespace and a capital,
# digit or opening quote, unless the word before is a known abbreviation. (nltk's Punkt does
# the same, but importing nltk costs seconds on every `rag ask`.)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gov gen col lt st jr sr inc ltd co corp vs etc jan feb "
    "mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m".split())


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    text: str
    start: int  # in the article
    end: int


def stem(word: str) -> str:
    """A crude English stem, enough to match 'meeting'/'meet' and 'talks'/'talk'."""
    word = word.lower().replace("’", "'").removesuffix("'s")
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def content_terms(text: str) -> set[str]:
    return {stem(w) for w in _WORD.findall(text) if w.lower() not in _STOPWORDS}


def expected_answer_type(question: str) -> Literal["time", "number"] | None:
    q = question.lower().strip()
    if re.match(r"(when|what (date|day|year|month|time)|in which (year|month)|on which day)\b", q):
        return "time"
    if re.match(r"(how (many|much|long|old|often)|what (number|percentage|share|amount))\b", q):
        return "number"
    return None


def has_answer_type(sentence: str, kind: str | None, question: str) -> bool:
    """Does the sentence hold a time/number that the question does not already state?"""
    if kind is None:
        return True
    pattern = _TIME if kind == "time" else _NUMBER
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in asked for m in pattern.finditer(sentence))


def split_sentences(passage: Passage) -> list[Candidate]:
    out = []
    for lo, hi in sentence_spans(passage.text):
        for piece_lo, piece_hi in _lines(passage.text, lo, hi):
            text = passage.text[piece_lo:piece_hi]
            if len(content_terms(text)) >= 2:
                out.append(Candidate(passage, text, passage.start + piece_lo,
                                     passage.start + piece_hi))
    return out


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    lo = 0
    for m in _SENTENCE_END.finditer(text):
        word = re.search(r"([\w.]+)$", text[lo:m.start()])
        if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
            continue  # "Mr. Orban", "U.S. officials", an initial
        yield lo, m.end()
        lo = m.end()
    if text[lo:].strip():
        yield lo, len(text)


def _lines(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Headlines and list items have no full stop: split a sentence span at line breaks too."""
    for m in re.finditer(r"[^\n]+", text[lo:hi]):
        a, b = lo + m.start(), lo + m.end()
        stripped = text[a:b].strip()
        if stripped:
            a += text[a:b].index(stripped)
            yield a, a + len(stripped)


class ExtractiveAnswerer:
    mode: Literal["extractive", "llm"] = "extractive"

    def __init__(self, embedder: EmbeddingModel, min_score: float) -> None:
        self.embedder = embedder
        self.min_score = min_score

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
        context = _last_user_turn(history)
        scores, vectors = self._score(question, context, candidates)
        kind = expected_answer_type(question)
        order = [i for i in np.argsort(-scores)
                 if has_answer_type(candidates[i].text, kind, question)]
        if not order or scores[order[0]] < self.min_score:
            return refusal()
        best = scores[order[0]]
        chosen: list[int] = []
        for i in order:
            if len(chosen) == MAX_SENTENCES or scores[i] < max(self.min_score, best * NEAR_BEST):
                break
            if all(float(vectors[i] @ vectors[j]) < DUPLICATE_COSINE for j in chosen):
                chosen.append(int(i))
        chosen.sort(key=lambda i: (candidates[i].passage.source, candidates[i].start))
        citations = [
            Citation(n=n, source=c.passage.source, doc_id=c.passage.doc_id,
                     chunk_id=c.passage.chunk_id, text=c.text, start=c.start, end=c.end,
                     score=round(float(scores[i]), 4))
            for n, (i, c) in enumerate(((i, candidates[i]) for i in chosen), start=1)
        ]
        answer = " ".join(f"{c.text} [{c.n}]" for c in citations)
        return AnswerDraft(answer=answer, refused=False, citations=citations)

    def _score(self, question: str, context: str,
               candidates: list[Candidate]) -> tuple[np.ndarray, np.ndarray]:
        texts = [question] + ([f"{context} {question}"] if context else [])
        queries = np.array(self.embedder.embed_texts(texts + [c.text for c in candidates]))
        q_vecs, vectors = queries[: len(texts)], queries[len(texts):]
        meaning = (vectors @ q_vecs.T).max(axis=1)
        terms = content_terms(question) or content_terms(context)
        if context and len(terms) < 3:  # "what did he say then?": the topic is in the history
            terms |= content_terms(context)
        wording = np.array([len(terms & content_terms(c.text)) / max(1, len(terms))
                            for c in candidates])
        return MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * wording, vectors


def _unique(candidates: Iterator[Candidate]) -> list[Candidate]:
    """Overlapping chunks repeat sentences: keep each article span once."""
    seen: dict[tuple[str, int, int], Candidate] = {}
    for c in candidates:
        seen.setdefault((c.passage.doc_id, c.start, c.end), c)
    return list(seen.values())


def _last_user_turn(history: Sequence[Turn]) -> str:
    return next((t.content for t in reversed(history) if t.role == "user"), "")
