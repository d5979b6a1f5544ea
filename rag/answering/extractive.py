"""The default answerer: quotes the retrieved sentences that answer the question.

No model writes anything, so it cannot invent a fact. Each sentence of the retrieved
passages is scored by meaning (embedding cosine with the question) and by wording (the
question's content words it holds, rare words weighing more, as in BM25). A sentence may
answer only if it holds the kind of answer asked for (a time for "when", a duration for
"how long": answer_types.py) and is about what the question asks (grounding.py: the
question's informative words are in it or its neighbours). A question in several parts
is answered part by part (parts.py); a fact two articles both report is quoted once and
cites both. When nothing qualifies it refuses, and the closest passages go along as
related reading, not as support.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from rag.answering.answer_types import holds_answer_type
from rag.answering.base import REFUSAL, AnswerDraft, AnswerEvent, TextDelta, refusal
from rag.answering.besides import aside_of, restates
from rag.answering.grounding import Grounding
from rag.answering.parts import asking_clause, split_question, wants_list
from rag.answering.speakers import other_speaker
from rag.components.embedding import EmbeddingModel
from rag.components.sentence_vectors import SentenceVectors
from rag.components.store import adjacent_chunk_ids
from rag.components.vector_cache import VectorCache
from rag.conversation import standalone
from rag.schemas import Citation, Passage, Turn
from rag.text import content_terms, named_terms, sentence_spans

MEANING_WEIGHT = 0.7  # the rest is wording
MAX_SENTENCES = 2  # per part of a question
MAX_LIST_SENTENCES = 6  # for a list: room for the best of each of the five passages, and one more
NEAR_BEST = 0.8  # a second sentence is quoted only when it scores this close to the best
NEAR_BEST_LIST = 0.75
DUPLICATE_COSINE = 0.92  # two sentences this close say the same: quote one
SAME_FACT_COSINE = 0.65  # another article's sentence this close, naming the same rare things
SAME_NAMES = 0.5  # (Jaccard of their rare names), reports the same fact: cite it too
FULLER_SCORE = 0.9  # a fuller telling of the fact is quoted if it scores this near the best
UNKNOWN_NAME_PENALTY = 0.5  # confidence lost when no passage mentions the names asked about
SENTENCE_VECTORS = 20_000  # kept in memory
RELATED = 3  # passages shown with a refusal
ASKING_WEIGHT = 2.0  # words of the clause that asks, against those that set the scene
MIN_COVERAGE = 0.34  # of the question's informative words, near the quoted sentence
NEIGHBOUR_SENTENCES = 2  # read past each end of a retrieved chunk


_PRONOUN_OPENING = re.compile(r"(?:He|She|They|His|Her|Their)\b")


@dataclass(frozen=True)
class Candidate:
    passage: Passage
    text: str
    start: int  # in the article
    end: int
    window: str  # the sentence with its neighbours: where its subject is named
    article: str  # what was retrieved of its article: where the event may be named
    lead: int = 0  # chars before `start` shown with it: "He added: ..." after who "he" is
    sentence: int = 0  # its index among the passage's sentences (rows of SentenceVectors)
    scope: str = ""  # where the rest of its topic may stand, if not its passage (see beside)


@dataclass
class Quote:
    index: int  # into the candidates
    score: float
    also: list[int] = field(default_factory=list)  # the same fact in other articles


def split_sentences(passage: Passage, article: str = "") -> list[Candidate]:
    spans = list(sentence_spans(passage.text))
    out = []
    for i, (lo, hi) in enumerate(spans):
        if len(content_terms(passage.text[lo:hi])) < 2:
            continue
        window = passage.text[spans[max(0, i - 1)][0]:spans[min(len(spans) - 1, i + 1)][1]]
        lead = lo - spans[i - 1][0] if i and _PRONOUN_OPENING.match(passage.text, lo) else 0
        out.append(Candidate(passage, passage.text[lo:hi], passage.start + lo,
                             passage.start + hi, window, article or passage.text, lead, i))
    return out


def beside(anchor: Passage, neighbour: Passage, article: str) -> list[Candidate]:
    """The NEIGHBOUR_SENTENCES sentences of `neighbour` (the chunk before or after the
    retrieved `anchor`) that stand next to `anchor` in the article and outside it. A chunk
    boundary can fall between a topic and what is said of it ("In a post on his Facebook
    page ..." ends one chunk, "... Mr Orban wrote" opens the next), so those sentences are
    read as if retrieved with `anchor`: its text is where the rest of their topic may stand."""
    after = neighbour.start > anchor.start
    outside = [c for c in split_sentences(neighbour, article)
               if (c.start >= anchor.end if after else c.end <= anchor.start)]
    near = outside[:NEIGHBOUR_SENTENCES] if after else outside[-NEIGHBOUR_SENTENCES:]
    return [replace(c, scope=f"{anchor.text}\n{c.text}" if after else f"{c.text}\n{anchor.text}")
            for c in near]


def wording_scores(terms: set[str], sentences: Sequence[str],
                   asking: set[str] = frozenset()) -> np.ndarray:  # type: ignore[assignment]
    """Share of the question's terms in each sentence, weighted by rarity among them; the
    terms of the clause that asks (`asking`) weigh ASKING_WEIGHT times more."""
    if not terms or not sentences:
        return np.zeros(len(sentences))
    bags = [content_terms(s) for s in sentences]
    weight = {t: math.log(1 + len(bags) / (1 + sum(t in b for b in bags)))
              * (ASKING_WEIGHT if t in asking else 1.0) for t in terms}
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
                 grounding: Grounding | None = None,
                 vectors: VectorCache | None = None,
                 in_context: SentenceVectors | None = None,
                 chunks: Callable[[list[str]], list[Passage]] | None = None) -> None:
        """`chunks`: chunk ids -> passages (the store's), to read past a retrieved chunk's
        ends; None reads the retrieved passages only."""
        self.embedder = embedder
        self._chunks = chunks
        self.min_score = min_score
        self.grounding = grounding  # None: no aboutness check (used by ablations)
        # The questions' vectors, and the sentences' where no `in_context` ones exist.
        self._vectors = vectors or VectorCache(embedder, SENTENCE_VECTORS)
        self._in_context = in_context  # each sentence read in its chunk, from ingest

    def check(self) -> None:
        return None

    def stream(self, question: str, passages: Sequence[Passage],
               history: Sequence[Turn]) -> Iterator[AnswerEvent]:
        draft = self.answer(question, passages, history)
        # One delta per quoted sentence (with its markers), as a reader sees them arrive.
        for i, piece in enumerate(re.split(r"(?<=\]) (?=[^\[])", draft.answer)):
            yield TextDelta(("" if i == 0 else " ") + piece)
        yield draft

    def answer(self, question: str, passages: Sequence[Passage],
               history: Sequence[Turn]) -> AnswerDraft:
        related = list(passages[:RELATED])
        articles = {p.doc_id: "\n".join(q.text for q in passages if q.doc_id == p.doc_id)
                    for p in passages}
        read = [c for p in passages for c in split_sentences(p, articles[p.doc_id])]
        candidates = _unique([*read, *self._beside(passages, articles)])
        if not candidates:
            return refusal(related)
        asked = standalone(question, history)
        # The answer before says where the conversation is ("he noted the expansion ..."):
        # what the follow-up asks is likely told near it.
        context = " ".join(x for x in (asked.context, asked.answered) if x)
        parts = split_question(question)
        # Later parts lean on the first ("..., and what did they discuss?").
        contexts = [" ".join(x for x in (context, parts[0] if i else "") if x)
                    for i in range(len(parts))]
        # Embedding sentences is most of the time: only those that pass the checks needing
        # no vectors (the kind of answer, the names asked about) can be quoted, so only
        # they are embedded. A question no sentence can answer embeds none.
        eligible = {part: {i for i, c in enumerate(candidates) if self._may_answer(part, c)}
                    for part in parts}
        wanted = set().union(*eligible.values())
        # The questions go with the sentences, in one call: each model run has a fixed cost.
        queries = [q for part, ctx in zip(parts, contexts, strict=True) if eligible[part]
                   for q in _query_texts(part, ctx)]
        vectors = self._sentence_vectors(candidates, wanted, queries)
        answered: list[tuple[str, list[Quote]]] = []
        for part, part_context in zip(parts, contexts, strict=True):
            quotes = (self.answer_part(part, part_context, candidates, vectors, eligible[part])
                      if eligible[part] else [])
            answered.append((part, quotes))
        if not any(quotes for _, quotes in answered):
            return refusal(related)
        return _compose(answered, candidates)

    def _beside(self, passages: Sequence[Passage], articles: dict[str, str]) -> list[Candidate]:
        """The sentences just past each retrieved chunk's ends, in the chunks next to it."""
        if self._chunks is None:
            return []
        retrieved = {p.chunk_id for p in passages}
        wanted = {cid: p for p in passages for cid in adjacent_chunk_ids(p.chunk_id)
                  if cid not in retrieved}
        if not wanted:
            return []
        return [c for n in self._chunks(list(wanted))
                for c in beside(wanted[n.chunk_id], n, articles[n.doc_id])]

    def answer_part(self, part: str, context: str, candidates: Sequence[Candidate],
                    vectors: np.ndarray, eligible: set[int]) -> list[Quote]:
        """Quotes for one part from the `eligible` candidates (those passing `_may_answer`,
        the only ones whose rows of `vectors` are filled)."""
        scores = self.score(part, context, candidates, vectors)
        ranked = [int(i) for i in np.argsort(-scores)
                  if scores[i] >= self.min_score and int(i) in eligible]
        checked: dict[int, bool] = {}  # grounding embeds words: check only what is looked at

        def answers(i: int) -> bool:
            if i not in checked:
                checked[i] = self._answers_too(part, candidates[i])
            return checked[i]

        best = next((i for i in ranked if answers(i)), None)
        if best is None:
            return []
        listing = wants_list(part)
        floor = scores[best] * (NEAR_BEST_LIST if listing else NEAR_BEST)
        limit = MAX_LIST_SENTENCES if listing else MAX_SENTENCES
        quotes: list[Quote] = []
        cited: list[int] = []
        asked = content_terms(part)
        order = ranked[ranked.index(best):]
        if listing:  # the best of each article first: a list gathers what each one tells
            docs = {i: candidates[i].passage.doc_id for i in order}
            firsts = list({docs[i]: i for i in reversed(order)}.values())[::-1]
            order = sorted(firsts, key=order.index) + [i for i in order if i not in firsts]
        listed: set[str] = set()  # the items a list has named so far ("Moscow", ...)
        for i in order:
            if len(quotes) == limit or scores[i] < floor:
                break
            if not answers(i) or any(float(vectors[i] @ vectors[j]) >= DUPLICATE_COSINE
                                     for j in cited):
                continue
            items = self._items(part, candidates[i].text) if listing else None
            if items is not None and quotes and not items - listed:
                continue  # names nothing the list has not named: room for one that does
            same = [j for j in ranked if j not in cited and j != i
                    and candidates[j].passage.doc_id != candidates[i].passage.doc_id
                    and self._same_fact(candidates[i].text, candidates[j].text,
                                        float(vectors[i] @ vectors[j])) and answers(j)]
            same = list({candidates[j].passage.doc_id: j for j in reversed(same)}.values())
            told = _fullest(i, same, candidates, scores, asked)
            quotes.append(Quote(told, float(scores[i]), [j for j in [i, *same] if j != told]))
            cited += [i, *same]
            listed |= items or set()
        return quotes

    def _items(self, part: str, sentence: str) -> frozenset[str] | None:
        return None if self.grounding is None else self.grounding.answer_items(part, sentence)

    def _same_fact(self, a: str, b: str, cosine: float) -> bool:
        """Two articles report one fact: close in meaning and naming the same rare things
        (meaning alone cannot tell "met Putin in Moscow" in 2024 from 2025)."""
        if cosine >= DUPLICATE_COSINE:
            return True
        if cosine < SAME_FACT_COSINE or self.grounding is None:
            return False
        names_a, names_b = self.grounding.names(a), self.grounding.names(b)
        shared = names_a & names_b
        return len(shared) >= 2 and len(shared) / len(names_a | names_b) >= SAME_NAMES

    def _may_answer(self, part: str, candidate: Candidate) -> bool:
        """The checks that need no vectors: the kind of answer asked for, something beside
        what the question sets aside ("besides gas and oil"), the speaker asked about (not
        another one's words), and the names asked about
        standing by the sentence (or, for names placing the event, in its article)."""
        if not holds_answer_type(candidate.text, part):
            return False
        if self.grounding is None:
            return True
        aside = aside_of(part)
        return (not restates(candidate.text, part, aside)
                and not other_speaker(part, candidate.text)
                and not self.grounding.unnamed(part, candidate.window, candidate.article,
                                               aside.stems))

    def _answers_too(self, part: str, candidate: Candidate) -> bool:
        """For a candidate that passed `_may_answer`, the checks that embed words: the rest
        of the topic in its passage, the kind of thing and the verb asked about in the
        sentence."""
        if self.grounding is None:
            return True
        aside = aside_of(part).stems
        return (self.grounding.missing_kind(part, candidate.text, candidate.window, aside)
                is None
                and self.grounding.missing_verb(part, candidate.text, candidate.window) is None
                and self.grounding.unmeasured(part, candidate.text) is None
                and self.grounding.coverage(part, candidate.scope or candidate.passage.text)
                >= MIN_COVERAGE)

    def score(self, question: str, context: str, candidates: Sequence[Candidate],
              vectors: np.ndarray) -> np.ndarray:
        """Scores in [0, 1] for each candidate sentence."""
        texts = _query_texts(question, context)
        known = self._vectors(texts)
        queries = np.array([known[t] for t in texts])
        meaning = (vectors @ queries.T).max(axis=1)
        terms = content_terms(question)
        if context and len(terms) < 3:  # "what did he say there?": the topic came before
            terms |= content_terms(context)
        sentences = [c.text for c in candidates]
        # "At the Moscow meeting ..., what did Putin thank Orban for?": a sentence restating
        # the meeting must not outscore the one saying what he was thanked for.
        wording = wording_scores(terms, sentences, content_terms(asking_clause(question)))
        confidence = 1 - UNKNOWN_NAME_PENALTY * (1 - name_coverage(question, sentences))
        return (MEANING_WEIGHT * meaning + (1 - MEANING_WEIGHT) * wording) * confidence

    def _sentence_vectors(self, candidates: Sequence[Candidate], wanted: set[int],
                          queries: Sequence[str] = ()) -> np.ndarray:
        """One row per candidate: its vector where `wanted`, zeros elsewhere. The `queries`
        are embedded in the same call, for `score` to find in the cache."""
        if not wanted:
            return np.zeros((len(candidates), 0))
        if self._in_context is not None:
            self._vectors(queries)  # cached for `score`
            chunks = self._in_context({candidates[i].passage.text for i in wanted})
            rows = {i: chunks[candidates[i].passage.text][candidates[i].sentence] for i in wanted}
            vectors = np.zeros((len(candidates), len(next(iter(rows.values())))))
            for i, row in rows.items():
                vectors[i] = row
            return vectors
        known = self._vectors([*(candidates[i].text for i in sorted(wanted)), *queries])
        width = len(next(iter(known.values())))
        vectors = np.zeros((len(candidates), width))
        for i in wanted:
            vectors[i] = known[candidates[i].text]
        return vectors


def _fullest(best: int, same: Sequence[int], candidates: Sequence[Candidate],
             scores: np.ndarray, asked: set[str]) -> int:
    """Of the tellings of one fact, the one to quote: the fullest (what it adds to the
    question is the answer: 001's letter adds the frozen assets), among those scoring
    nearly as well as the best; one scoring clearly lower may tell the fact without what
    was asked ("were present" for "representing Russia's negotiating team")."""
    near = [j for j in [best, *same] if scores[j] >= FULLER_SCORE * scores[best]]
    return max(near, key=lambda j: len(content_terms(candidates[j].text) - asked))


def _query_texts(question: str, context: str) -> list[str]:
    """What a question part is compared with: itself, and with the conversation before."""
    return [question] + ([f"{context} {question}"] if context else [])


def _compose(answered: Sequence[tuple[str, list[Quote]]],
             candidates: Sequence[Candidate]) -> AnswerDraft:
    """One sentence per quote with its markers; a part the articles don't answer says so."""
    numbers: dict[int, int] = {}  # candidate index -> its [n]
    citations: list[Citation] = []
    shown: dict[str, list[tuple[int, int]]] = {}  # doc_id -> spans quoted so far

    def span(i: int) -> tuple[int, int]:
        """The quoted span: with the sentence before, where this one opens with a pronoun
        and that one is not quoted already."""
        c = candidates[i]
        lead = (c.start - c.lead, c.start)
        quoted = any(lo < lead[1] and lead[0] < hi for lo, hi in shown.get(c.passage.doc_id, []))
        return (c.start if quoted or not c.lead else lead[0], c.end)

    def marker(i: int, score: float) -> str:
        if i not in numbers:
            c = candidates[i]
            start, end = span(i)
            text = c.passage.text[start - c.passage.start:end - c.passage.start]
            numbers[i] = len(numbers) + 1
            shown.setdefault(c.passage.doc_id, []).append((start, end))
            citations.append(Citation(n=numbers[i], source=c.passage.source,
                                      doc_id=c.passage.doc_id, chunk_id=c.passage.chunk_id,
                                      text=text, start=start, end=end, score=round(score, 4)))
        return f"[{numbers[i]}]"

    pieces = []
    for part, quotes in answered:
        if not quotes:
            pieces.append(f"{REFUSAL.removesuffix(' to this question.')} to “{part}”")
            continue
        ordered = sorted(quotes, key=lambda q: (candidates[q.index].passage.source,
                                                candidates[q.index].start))
        for q in ordered:
            c = candidates[q.index]
            if q.index in numbers or any(lo <= c.start and c.end <= hi
                                         for lo, hi in shown.get(c.passage.doc_id, [])):
                continue  # quoted already (for an earlier part, or as a lead): once is enough
            marks = marker(q.index, q.score) + "".join(marker(j, q.score) for j in q.also)
            pieces.append(f"{citations[numbers[q.index] - 1].text} {marks}")
    return AnswerDraft(answer=" ".join(pieces), refused=False, citations=citations)


def _unique(candidates: Iterator[Candidate]) -> list[Candidate]:
    """Overlapping chunks repeat sentences: keep each article span once."""
    seen: dict[tuple[str, int, int], Candidate] = {}
    for c in candidates:
        seen.setdefault((c.passage.doc_id, c.start, c.end), c)
    return list(seen.values())
