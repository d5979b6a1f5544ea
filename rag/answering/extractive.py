"""The default answerer: finds the answer in the retrieved sentences and quotes it.

No model writes anything, so it cannot invent a fact. Every sentence of the retrieved
passages is read by spaCy and described by a few features (features.py): its meaning
against the question's, the question's words and names in it, an entity of the kind asked
for that the question does not name and how close it stands to what is asked in the parse,
the noun and verb asked about, the speaker. Models fitted on the dev questions
(eval/fit_reader.py) rank the sentences and tell whether the articles answer at all. Each
part of the question is answered by its best sentence, starting with the short answer
found in it (a name, a sum, a date); a part the articles do not seem to answer says so,
and a question with no part answered is refused, with the closest passages as related
reading, never as support. Time (timeline.py): relative dates resolved, "the latest"
answered as of the newest article, "what happened from A to B" as a timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np

from rag.answering.base import REFUSAL, AnswerDraft, AnswerEvent, TextDelta, refusal
from rag.answering.candidates import Candidate, gather
from rag.answering.features import (
    Annotated,
    Weights,
    answer_entity,
    content_lemmas,
    eligible,
    feature_rows,
    focus_words,
    words_of,
)
from rag.answering.question import Part, Question
from rag.answering.timeline import as_of, day_of, resolve
from rag.components.embedding import EmbeddingModel
from rag.components.language import LanguagePipeline
from rag.components.sentence_vectors import SentenceVectors
from rag.components.vector_cache import VectorCache
from rag.schemas import Citation, Passage

SENTENCE_VECTORS = 20_000  # kept in memory
RELATED = 3  # passages shown with a refusal
MAX_SENTENCES = 2  # quoted for a part
MAX_LIST = 4  # for a part asking for a list, one per article
MAX_TIMELINE = 8  # events (articles) a timeline lists
MORE_LIKELY_THAN_NOT = 0.5  # a further sentence is quoted when it holds the answer this likely


@dataclass(frozen=True)
class Switches:
    """Mechanisms the ablation turns off (bench/ablation.py)."""

    fitted_weights: bool = True  # False: every feature weighs alike
    short_answer: bool = True  # start with the entity found
    gates: bool = True  # only a sentence holding what is asked may answer (features.eligible)
    parts: bool = True  # answer a question in several parts part by part
    follow_ups: bool = True  # read a follow-up with the question it continues


@dataclass
class Quote:
    index: int  # into the candidates
    score: float
    value: tuple[int, int] | None = None  # the short answer's span in the article
    dated: bool = False  # the short answer is a date (it may be relative: "on Wednesday")
    also: list[int] = field(default_factory=list)  # the same answer in other articles


@dataclass
class Reading:
    """What the reader made of the candidates for one question (for answers and fitting)."""

    candidates: list[Candidate]
    annotated: list[Annotated]
    rows: list[np.ndarray]  # per part: one feature row per candidate


class ExtractiveAnswerer:
    mode: Literal["extractive", "llm"] = "extractive"

    def __init__(self, embedder: EmbeddingModel, language: LanguagePipeline,
                 vectors: VectorCache | None = None, in_context: SentenceVectors | None = None,
                 weights: Weights | None = None, switches: Switches | None = None) -> None:
        self.embedder = embedder
        self.language = language
        self.switches = switches = switches or Switches()
        self.weights = weights or (Weights.load() if switches.fitted_weights
                                   else Weights.uniform())
        self._vectors = vectors or VectorCache(embedder, SENTENCE_VECTORS)
        self._in_context = in_context  # each sentence read in its chunk, from ingest

    def check(self) -> None:
        self.language.load()

    def stream(self, question: Question, passages: Sequence[Passage]) -> Iterator[AnswerEvent]:
        draft = self.answer(question, passages)
        # One delta per quoted sentence (with its markers), as a reader sees them arrive.
        for i, piece in enumerate(re.split(r"(?<=\]) (?=[^\[])", draft.answer)):
            yield TextDelta(("" if i == 0 else " ") + piece)
        yield draft

    def answer(self, question: Question, passages: Sequence[Passage]) -> AnswerDraft:
        related = list(passages[:RELATED])
        reading = self.read(question, passages)
        if reading is None:
            return refusal(related)
        if question.timeline:
            return self._timeline(question.parts[0], reading) or refusal(related)
        answered = [(part, self._quotes(part, reading, rows, question.recent))
                    for part, rows in zip(question.parts, reading.rows, strict=True)]
        if not any(quotes for _, quotes in answered):
            return refusal(related)
        draft = _compose(answered, reading.candidates)
        if question.recent:  # say which day the answer rests on, where the article says
            newest = max((c.published for c in draft.citations if c.published), default=None)
            if newest:
                draft = replace(draft, answer=f"{as_of(newest)}: {draft.answer}")
        return draft

    def _timeline(self, part: Part, reading: Reading) -> AnswerDraft | None:
        """One line per article: its best sentence for the question, in date order (articles
        without a date last, in the ranker's order)."""
        rows = reading.rows[0]
        allowed = eligible(part, rows) if self.switches.gates else np.ones(len(rows), bool)
        if not allowed.any():
            return None
        ranked = np.where(allowed, self.weights.rank_scores(rows), -np.inf)
        best: dict[str, int] = {}
        for i in np.argsort(-ranked):
            if allowed[i]:
                best.setdefault(reading.candidates[i].passage.doc_id, int(i))
        events = list(best.values())[:MAX_TIMELINE]
        events.sort(key=lambda i: (day_of(reading.candidates[i].passage.published) is None,
                                   reading.candidates[i].passage.published or "",
                                   -ranked[i]))
        lines, citations = [], []
        for n, i in enumerate(events, 1):
            c = reading.candidates[i]
            day = day_of(c.passage.published)
            citations.append(_citation(c, n, (c.start, c.end), float(ranked[i])))
            lines.append(f"- {f'{day:%-d %B %Y}' if day else 'Undated'}: {c.text} [{n}]")
        return AnswerDraft(answer="\n".join(lines), refused=False, citations=citations)

    def read(self, question: Question, passages: Sequence[Passage]) -> Reading | None:
        """The candidates, parsed, with a row of features for each part of the question."""
        candidates = gather(passages)
        if not candidates:
            return None
        texts = list(dict.fromkeys(c.passage.text for c in candidates))
        docs = dict(zip(texts, self.language.parse(texts), strict=True))
        annotated = []
        for c in candidates:
            doc = docs[c.passage.text]
            lo, hi = c.local
            annotated.append(Annotated(c, doc.char_span(lo, hi, alignment_mode="expand"),
                                       doc.char_span(*c.window, alignment_mode="expand")))
        retrieved: dict[str, set[str]] = {}
        for p in passages:
            if p.text in docs:
                retrieved.setdefault(p.doc_id, set()).update(words_of(docs[p.text]))
        cosines = self._cosines(question, candidates)
        words = {w for a in annotated for w in content_lemmas(a.sentence)}
        words |= {w for part in question.parts for w in focus_words(part)}
        word_vectors = self._vectors(sorted(words))  # cached: words recur across questions
        rows = [feature_rows(part, question, annotated, cosines[:, k], retrieved, word_vectors)
                for k, part in enumerate(question.parts)]
        return Reading(candidates, annotated, rows)

    def _quotes(self, part: Part, reading: Reading, rows: np.ndarray,
                recent: bool = False) -> list[Quote]:
        """The part's best sentence, if the part looks answered; then, in the ranker's order,
        those more likely than not to hold the answer too (a list's answers from further
        articles, or a second telling). For the latest state of things (`recent`), the
        newest article's likely answer comes first."""
        allowed = eligible(part, rows) if self.switches.gates else np.ones(len(rows), bool)
        if not allowed.any():
            return []
        ranked = self.weights.rank_scores(rows[allowed])
        top = int(np.argmax(ranked))
        answered = self.weights.answerability(rows[allowed], ranked)
        if answered < self.weights.threshold:
            return []
        holds = self.weights.holds_answer(rows[allowed], ranked)
        index = np.flatnonzero(allowed)
        if recent:
            likely = [j for j in range(len(ranked))
                      if j == top or holds[j] >= MORE_LIKELY_THAN_NOT]
            top = max(likely, key=lambda j: (
                reading.candidates[index[j]].passage.published or "", j == top, ranked[j]))
        picked = [top]
        docs = {reading.candidates[index[top]].passage.doc_id}
        for j in np.argsort(-ranked)[1:]:
            doc = reading.candidates[index[j]].passage.doc_id
            # A list's further answers need only be half as likely as its best one.
            floor = MORE_LIKELY_THAN_NOT * (holds[top] if part.wants_list else 1.0)
            if len(picked) == (MAX_LIST if part.wants_list else MAX_SENTENCES) or \
                    holds[j] < floor:
                break
            if not (part.wants_list and doc in docs):
                picked.append(int(j))
                docs.add(doc)
        # Other articles' tellings of an answer are cited only if likely answers themselves.
        order = [int(index[j]) for j in np.argsort(-ranked) if holds[j] >= MORE_LIKELY_THAN_NOT]
        quotes = []
        for j in picked:
            i = int(index[j])
            value, label = self._value(part, reading, i)
            also = self._same_answer(reading, i, value, order)
            quotes.append(Quote(i, answered, value, dated=label in ("DATE", "TIME"), also=also))
        return quotes

    def _value(self, part: Part, reading: Reading,
               i: int) -> tuple[tuple[int, int] | None, str]:
        """The short answer's span in the article, and its entity label."""
        if not self.switches.short_answer or part.open:
            return None, ""
        a = reading.annotated[i]
        entity = answer_entity(part, a.sentence, frozenset())
        if entity is None:
            return None, ""
        base = a.candidate.passage.start
        return (base + entity.start_char, base + entity.end_char), entity.label_

    def _same_answer(self, reading: Reading, i: int, value: tuple[int, int] | None,
                     order: list[int]) -> list[int]:
        """Other articles' sentences among `order` that hold the same short answer: the fact
        is cited in each article that reports it."""
        c = reading.candidates[i]
        if value is None:
            return []
        said = c.passage.text[value[0] - c.passage.start:value[1] - c.passage.start].lower()
        also: dict[str, int] = {}
        for j in order:
            other = reading.candidates[j]
            if j != i and other.passage.doc_id != c.passage.doc_id and \
                    re.search(rf"\b{re.escape(said)}\b", other.text.lower()):
                also.setdefault(other.passage.doc_id, j)
        return list(also.values())

    def _cosines(self, question: Question, candidates: Sequence[Candidate]) -> np.ndarray:
        """(candidates, parts): each sentence against each part (and, for a follow-up, the
        part read with the question it continues), the larger of the two."""
        queries = [[p.text] + ([f"{question.context} {p.text}"] if question.context else [])
                   for p in question.parts]
        flat = [q for qs in queries for q in qs]
        known = self._vectors(flat)
        sentences = self._sentence_vectors(candidates)
        out = np.zeros((len(candidates), len(question.parts)))
        for k, qs in enumerate(queries):
            q = np.array([known[t] for t in qs])
            out[:, k] = (sentences @ q.T).max(axis=1)
        return out

    def _sentence_vectors(self, candidates: Sequence[Candidate]) -> np.ndarray:
        if self._in_context is not None:
            chunks = self._in_context({c.passage.text for c in candidates})
            return np.array([chunks[c.passage.text][c.sentence] for c in candidates])
        known = self._vectors([c.text for c in candidates])
        return np.array([known[c.text] for c in candidates])


def _compose(answered: Sequence[tuple[Part, list[Quote]]],
             candidates: Sequence[Candidate]) -> AnswerDraft:
    """Per part: the short answer, then the quoted sentence with its markers; a part the
    articles don't answer says so."""
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

    def marker(i: int, score: float, value: tuple[int, int] | None) -> str:
        if i not in numbers:
            c = candidates[i]
            start, end = span(i)
            numbers[i] = len(numbers) + 1
            shown.setdefault(c.passage.doc_id, []).append((start, end))
            citations.append(_citation(c, numbers[i], (start, end), score, value))
        return f"[{numbers[i]}]"

    pieces = []
    for part, quotes in answered:
        if not quotes:
            pieces.append(f"{REFUSAL.removesuffix(' to this question.')} to “{part.text}”")
            continue
        for q in quotes:
            c = candidates[q.index]
            if q.index in numbers:
                continue  # quoted already for an earlier part: once is enough
            marks = marker(q.index, q.score, q.value) + "".join(
                marker(j, q.score, None) for j in q.also)
            quote = citations[numbers[q.index] - 1].text
            short = (c.passage.text[q.value[0] - c.passage.start:q.value[1] - c.passage.start]
                     if q.value else "")
            day = resolve(short, c.passage.published) if q.dated else None
            if day:  # "on Wednesday" in an article of 5 July 2024 is 3 July 2024
                short = f"{short} ({day})"
            pieces.append(f"{short}: {quote} {marks}" if short else f"{quote} {marks}")
    return AnswerDraft(answer=" ".join(pieces), refused=False, citations=citations)


def _citation(c: Candidate, n: int, span: tuple[int, int], score: float,
              value: tuple[int, int] | None = None) -> Citation:
    """Citation [n] of the article span `span` (offsets in the article) read in candidate
    `c`'s passage; `value`, the short answer, is marked where it lies inside the span."""
    start, end = span
    inside = value if value and start <= value[0] and value[1] <= end else None
    return Citation(n=n, source=c.passage.source, doc_id=c.passage.doc_id,
                    chunk_id=c.passage.chunk_id,
                    text=c.passage.text[start - c.passage.start:end - c.passage.start],
                    start=start, end=end, score=round(score, 4),
                    answer_start=inside[0] if inside else None,
                    answer_end=inside[1] if inside else None, **c.passage.article())
