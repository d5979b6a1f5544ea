"""What the reader knows of a candidate sentence, as a few interpretable numbers.

Each feature is one reason a sentence answers a part of a question (or does not); their
weights are fitted on the dev questions by eval/fit_reader.py, not chosen by hand, and kept
in reader_weights.json beside this module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from rag.answering.candidates import Candidate
from rag.answering.lexicon import NAMES, SAYING
from rag.answering.lexicon import UNITS as _UNITS
from rag.answering.question import Part, Question
from rag.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

WEIGHTS_FILE = Path(__file__).with_name("reader_weights.json")

FEATURES = (
    "cosine",  # the sentence's vector (read in its chunk) against the question's
    "cosine_gap",  # how far below the best candidate's cosine (0 for the best)
    "coverage",  # the question's content lemmas in the sentence, rarer ones weighing more
    "focus_coverage",  # the same for the words the question word asks about
    "window_coverage",  # the same over the sentence and its neighbours
    "names_near",  # share of the names asked about in the sentence or its neighbours
    "names_retrieved",  # share of them anywhere in what was retrieved of its article
    "typed",  # holds an entity of the kind asked for that the question does not name
    "typed_near",  # that entity's closeness in the parse to the question's words
    "specific",  # that entity is specific: holds a figure or a proper noun ("5 November",
    #              not "a later date"; "Mr Caruana", not "the minister")
    "local_coverage",  # the question's words within LOCAL tokens of that entity (by rarity)
    "tied",  # that entity is tied to what the question asks (TIE_EDGES of its focus words)
    "tie_meaning",  # the same by meaning: the closest word to a focus word near that entity
    "focus_meaning",  # each focus word's closest word in the sentence by meaning, averaged
    "kind_near",  # the noun asked for ("which FIRM") stands by an entity of the sentence
    "verb",  # the question's main verb (by lemma) is in the sentence
    "verb_missing",  # the question has a main verb and the sentence lacks it
    "open",  # the question asks for no kind of entity (what did he say, why, how)
    "rank",  # 1 / (1 + rank of the passage it was read in)
    "headline",  # the article's first line
    "early",  # in the article's first 300 characters (the headline and the lede)
    "novelty",  # share of its content lemmas the question does not hold
    "agreement",  # another article's sentence holds the same answer entity
    "speaker",  # a say-question: +1 the person asked about speaks here, -1 someone else
    "aside",  # its only new entities are what the question sets aside
    "values_missing",  # a sum or year the question names is not in what was retrieved of
    #                    the article (a year only where the article gives other years)
)
PREFIX = 6  # words sharing their first 6 letters match: "disclose" and "disclosure"
EVIDENCE = 3  # best-ranked candidates a part's answerability is read from
TIE_EDGES = 3  # an answer entity this close in the parse to a focus word is tied to it
LOCAL = 8  # tokens either side of an answer entity where the question's words count


@dataclass(frozen=True)
class Weights:
    """Three models fitted on the dev questions (eval/fit_reader.py), each on FEATURES and a
    candidate's rank-score margin over the best other one:
    - `rank` orders a part's candidates (a conditional logit: which of them is the answer);
    - `holds`, the probability that a candidate sentence holds the answer (a logistic
      regression): a sentence beside the best is quoted when it is more likely than not;
    - `answerable`, the probability that the articles answer the part at all, from its best
      candidate (a logistic regression telling answerable dev questions from unanswerable
      ones): under `threshold` the part is not answered.
    """

    rank: np.ndarray
    holds: np.ndarray  # len(FEATURES) + 1: the margin's weight last; bias apart
    holds_bias: float
    answerable: np.ndarray
    answerable_bias: float
    threshold: float

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> Weights:
        data = json.loads(path.read_text())
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path.name} was fitted for other features: refit with "
                             "eval/fit_reader.py")
        return cls(np.array(data["rank"], dtype=float),
                   np.array(data["holds"], dtype=float), float(data["holds_bias"]),
                   np.array(data["answerable"], dtype=float), float(data["answerable_bias"]),
                   float(data["threshold"]))

    @classmethod
    def uniform(cls) -> Weights:
        """No fitting: every feature counts alike (the ablation's baseline, and the start of
        fitting)."""
        n = len(FEATURES)
        return cls(np.ones(n), np.r_[np.ones(n), 1.0], -n / 2, np.r_[np.ones(n), 1.0], -n / 2,
                   0.5)

    def rank_scores(self, rows: np.ndarray) -> np.ndarray:
        return rows @ self.rank

    def holds_answer(self, rows: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        return _sigmoid(answer_inputs(rows, ranked) @ self.holds + self.holds_bias)

    def answered(self, rows: np.ndarray, ranked: np.ndarray) -> np.ndarray:
        return _sigmoid(answer_inputs(rows, ranked) @ self.answerable + self.answerable_bias)

    def answerability(self, rows: np.ndarray, ranked: np.ndarray) -> float:
        """Whether the articles answer the part: its best-ranked EVIDENCE candidates, the
        most answer-like of them (the ranker's best need not be the one that shows it)."""
        best = np.argsort(-ranked)[:EVIDENCE]
        return float(self.answered(rows, ranked)[best].max())


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -50, 50)))


def answer_inputs(rows: np.ndarray, ranked: np.ndarray) -> np.ndarray:
    """FEATURES with each candidate's rank-score margin over the best other one."""
    if len(ranked) < 2:
        margins = np.ones(len(ranked))
    else:
        top2 = np.sort(ranked)[-2:]
        margins = np.where(ranked >= top2[1], ranked - top2[0], ranked - top2[1])
    return np.hstack([rows, margins[:, None]])


@dataclass(frozen=True)
class Annotated:
    """A candidate with its spaCy spans."""

    candidate: Candidate
    sentence: Span
    window: Span


def focus_words(part: Part) -> frozenset[str]:
    """What the question asks about: its focus, main verb and the kind it asks for."""
    return (part.focus | {part.verb, part.kind}) - {""} or part.lemmas


def content_lemmas(span: Span) -> set[str]:
    return _words(_lemmas(span))


def feature_rows(part: Part, question: Question, items: Sequence[Annotated],
                 cosines: np.ndarray, retrieved_words: dict[str, set[str]],
                 word_vectors: dict[str, np.ndarray]) -> np.ndarray:
    """One row of FEATURES per candidate. `retrieved_words`: doc_id -> the lower-case words
    of what was retrieved of that article; `word_vectors`: a unit vector for each of the
    focus words and each content lemma of the candidates."""
    lemmas = part.lemmas | (question.lemmas if question.is_follow_up and
                            len(part.lemmas) < 3 else frozenset())
    bags = [_lemmas(a.sentence) for a in items]
    idf = {w: math.log(1 + len(bags) / (1 + sum(_has(b, w) for b in bags))) for w in lemmas}
    total = sum(idf.values()) or 1.0
    focus_total = sum(idf.get(w, 0.0) for w in part.focus) or 1.0
    values = [_new_entities(part, a.sentence) for a in items]
    best_cos = float(cosines.max()) if len(cosines) else 0.0
    meaning = _Meaning(focus_words(part), word_vectors)
    rows = np.zeros((len(items), len(FEATURES)))
    for i, (a, bag) in enumerate(zip(items, bags, strict=True)):
        window_bag = _lemmas(a.window)
        window_words = words_of(a.window)
        typed = [e for e in values[i] if e.label_ in part.expected]
        others = {v.text.lower() for j, vs in enumerate(values) if j != i and
                  items[j].candidate.passage.doc_id != a.candidate.passage.doc_id for v in vs}
        rows[i] = (
            cosines[i],
            cosines[i] - best_cos,
            sum(idf[w] for w in lemmas if _has(bag, w)) / total,
            sum(idf.get(w, 0.0) for w in part.focus if _has(bag, w)) / focus_total,
            sum(idf[w] for w in lemmas if _has(window_bag, w)) / total,
            _share(part.names, window_words),
            _share(part.names, retrieved_words.get(a.candidate.passage.doc_id, set())),
            1.0 if typed else 0.0,
            max((_closeness(e, a.sentence, lemmas, part.names) for e in typed), default=0.0),
            1.0 if any(_specific(e) for e in typed) else 0.0,
            max((_local(e, a.sentence, lemmas, idf) / total for e in typed), default=0.0),
            1.0 if any(_tied(part, e, a.sentence) for e in typed) else 0.0,
            max((meaning.best([t.lemma_.lower() for t in a.sentence
                               if not e.start <= t.i < e.end
                               and _distance(e.root, t) <= TIE_EDGES]) for e in typed),
                default=0.0),
            meaning.average(content_lemmas(a.sentence)),
            _kind_near(part, a.sentence, values[i]),
            1.0 if part.verb and _has(bag, part.verb) else 0.0,
            1.0 if part.verb and not _has(window_bag, part.verb) else 0.0,
            1.0 if part.open else 0.0,
            1 / (1 + a.candidate.rank),
            1.0 if a.candidate.start == 0 else 0.0,
            1.0 if a.candidate.start < 300 else 0.0,
            _novelty(bag, lemmas),
            1.0 if any(e.text.lower() in others for e in typed) else 0.0,
            _speaker(part, a.window, window_words),
            1.0 if values[i] and all(_words(_lemmas(e)) <= part.aside for e in values[i])
            else 0.0,
            1.0 if _contradicted(part.values, retrieved_words.get(a.candidate.passage.doc_id,
                                                                  set())) else 0.0,
        )
    return rows


def answer_entity(part: Part, sentence: Span, question_lemmas: frozenset[str]) -> Span | None:
    """The short answer in a sentence: its entity of the kind asked for that the question does
    not name, the one closest in the parse to the question's words."""
    typed = [e for e in _new_entities(part, sentence) if e.label_ in part.expected]
    if not typed:
        return None
    lemmas = part.lemmas | question_lemmas
    best = max(typed, key=lambda e: _closeness(e, sentence, lemmas, part.names))
    if len(best) > 1 and best[-1].tag_ == "POS":  # "Jack Straw's" answers "Jack Straw"
        return best[:-1]
    return best


def eligible(part: Part, rows: np.ndarray) -> np.ndarray:
    """The candidates that may answer at all, whatever they score: for a question asking for
    a kind of entity, one holding such an entity that the question does not name ("a
    concert to raise money" does not tell how much it raised); one whose neighbourhood
    holds every date and sum the question names (not "lost 330m euros in 2003" for "how
    much did Alitalia lose in 2004"); and one from an article that names at least half of
    whom and what the question names (not Hungary's prime minister for Slovakia's)."""
    col = {name: i for i, name in enumerate(FEATURES)}
    ok = (rows[:, col["values_missing"]] == 0) & (rows[:, col["names_retrieved"]] >= 0.5)
    if part.expected:
        ok &= rows[:, col["typed"]] == 1
    return ok


def _tied(part: Part, entity: Span, sentence: Span) -> bool:
    focus = (part.focus | {part.verb}) - {""} or part.lemmas
    for t in sentence:
        if entity.start <= t.i < entity.end:
            continue
        bag = _lemmas(t.doc[t.i:t.i + 1])
        if any(_has(bag, f) for f in focus) and _distance(entity.root, t) <= TIE_EDGES:
            return True
    return False


def _contradicted(values: frozenset[str], words: set[str]) -> bool:
    """The article does not give a figure the question names: a sum, or a year where the
    article names other years (one that names none may still tell of that year's events)."""
    years = {w for w in words if _is_year(w)}
    return any(v not in words and (not _is_year(v) or years) for v in values)


def _is_year(word: str) -> bool:
    return len(word) == 4 and word.isdigit() and word[:2] in ("19", "20")


def _specific(entity: Span) -> bool:
    return any(t.pos_ == "PROPN" or any(c.isdigit() for c in t.text) for t in entity)


def _local(entity: Span, sentence: Span, lemmas: frozenset[str],
           idf: dict[str, float]) -> float:
    """The rarity-weighted question words within LOCAL tokens of the entity (outside it)."""
    lo, hi = max(sentence.start, entity.start - LOCAL), min(sentence.end, entity.end + LOCAL)
    near = _lemmas(sentence.doc[lo:entity.start]) | _lemmas(sentence.doc[entity.end:hi])
    return sum(idf[w] for w in lemmas if _has(near, w))


class _Meaning:
    """Closeness in meaning of a sentence's words to the focus words (MiniLM cosines)."""

    def __init__(self, focus: frozenset[str], vectors: dict[str, np.ndarray]) -> None:
        self.focus = np.array([vectors[f] for f in sorted(focus) if f in vectors])
        self.vectors = vectors

    def _sims(self, words: Sequence[str]) -> np.ndarray:
        rows = [self.vectors[w] for w in words if w in self.vectors]
        if not rows or not len(self.focus):
            return np.zeros((0, len(self.focus)))
        return np.array(rows) @ self.focus.T

    def best(self, words: Sequence[str]) -> float:
        sims = self._sims(words)
        return float(sims.max()) if sims.size else 0.0

    def average(self, words: set[str]) -> float:
        sims = self._sims(sorted(words))
        return float(sims.max(axis=0).mean()) if sims.size else 0.0


def _new_entities(part: Part, sentence: Span) -> list[Span]:
    """The sentence's entities the question does not already name ("2004" is named by a
    question holding "2004"; "the Royal Mail" by one holding "Royal Mail"), or set aside
    ("besides Hungary")."""
    asked = part.text.lower()
    out = []
    for e in _entities(sentence):
        words = {fold(t.text) for t in e if t.is_alpha and not t.is_stop}
        if not words:
            known = e.text.lower() in asked
        elif e.label_ in NAMES:  # "Viktor Orban" is the Orban a question names
            known = bool(words & part.names) or words <= part.lemmas | part.aside
        else:
            known = words <= part.names | part.lemmas | part.aside
        if not known:
            out.append(_with_units(e))
    return out


def _with_units(entity: Span) -> Span:
    """A sum or quantity with its currency sign and unit: spaCy's MONEY is "520" in "520m
    euros" and "3.4bn" in "$3.4bn"."""
    if entity.label_ not in ("MONEY", "QUANTITY", "CARDINAL", "PERCENT"):
        return entity
    doc, start, end = entity.doc, entity.start, entity.end
    if start > 0 and doc[start - 1].is_currency:
        start -= 1
    while end < len(doc) and (doc[end].lower_ in _UNITS or doc[end].is_currency or (
            doc[end].pos_ == "NOUN" and doc[end] == entity.root.head)):
        end += 1
    if (start, end) == (entity.start, entity.end):
        return entity
    from spacy.tokens import Span

    return Span(doc, start, end, label=entity.label_)


def _entities(sentence: Span) -> list[Span]:
    """spaCy's entities, and each run of proper nouns its NER left untagged (label NAME):
    the small model misses names ("the East Anglian Daily Times") a reader would not."""
    from spacy.tokens import Span  # spaCy is imported by the pipeline's first use, not here

    ents = list(sentence.ents)
    tagged = {t.i for e in ents for t in e}
    run: list[Token] = []
    for tok in [*sentence, None]:
        if tok is not None and tok.pos_ == "PROPN" and tok.i not in tagged:
            run.append(tok)
            continue
        # A lone short word ("Mr", "Dr") is a title, and a lone capital opening the sentence
        # ("Talk show host ...") may be any word: neither is taken for a name; nor is a run
        # right before a name ("Prime Minister Viktor Orban": his title).
        before_name = tok is not None and tok.ent_type_ in ("PERSON", "ORG")
        if run and not before_name and (
                len(run) > 1 or (len(run[0].text) > 3 and run[0].i != sentence.start)):
            ents.append(Span(sentence.doc, run[0].i, run[-1].i + 1, label="NAME"))
        run = []
    return ents


def words_of(span: Span | Doc) -> set[str]:
    """Lower-case words without accents: "Orbán" is "orban"."""
    return {fold(t.text) for t in span}


def _lemmas(span: Span) -> set[str]:
    """Content lemmas, and the first PREFIX letters of the long ones (marked with '~')."""
    out = {t.lemma_.lower() for t in span
           if not (t.is_stop or t.is_punct or t.is_space) and any(c.isalnum() for c in t.text)}
    return out | {"~" + w[:PREFIX] for w in out if len(w) >= PREFIX}


def _words(bag: set[str]) -> set[str]:
    return {w for w in bag if not w.startswith("~")}


def _novelty(bag: set[str], lemmas: frozenset[str]) -> float:
    words = _words(bag)
    return sum(w not in lemmas for w in words) / len(words) if words else 0.0


def _has(bag: set[str], lemma: str) -> bool:
    return lemma in bag or (len(lemma) >= PREFIX and "~" + lemma[:PREFIX] in bag)


def _share(wanted: frozenset[str], have: set[str]) -> float:
    return len(wanted & have) / len(wanted) if wanted else 1.0


def _closeness(entity: Span, sentence: Span, lemmas: frozenset[str],
               names: frozenset[str]) -> float:
    """1 / (1 + the fewest parse edges from the entity to a word of the question)."""
    anchors = [t for t in sentence if t.lemma_.lower() in lemmas or t.lower_ in names]
    anchors = [t for t in anchors if not (entity.start <= t.i < entity.end)]
    if not anchors:
        return 0.0
    return 1 / (1 + min(_distance(entity.root, t) for t in anchors))


def _distance(a: Token, b: Token) -> int:
    up = {a.i: 0}
    for depth, t in enumerate(a.ancestors, start=1):
        up[t.i] = depth
    for depth, t in enumerate([b, *b.ancestors]):
        if t.i in up:
            return up[t.i] + depth
    return 12  # in different sentences of a span


def _kind_near(part: Part, sentence: Span, entities: list[Span]) -> float:
    """1 when the noun asked for is next to (or in the parse beside) a new entity ("the
    striker Thierry Henry", "Henry, the striker"); 0.5 when it is only in the sentence."""
    if not part.kind:
        return 0.0
    kind = [t for t in sentence if t.lemma_.lower() == part.kind]
    if not kind:
        return 0.0
    for e in entities:
        for t in kind:
            if abs(t.i - e.start) <= 3 or abs(t.i - (e.end - 1)) <= 3 or t.head == e.root \
                    or e.root.head == t:
                return 1.0
    return 0.5


def _speaker(part: Part, window: Span, words: set[str]) -> float:
    if not part.says or not part.names:
        return 0.0
    if not any(t.lemma_.lower() in SAYING for t in window):
        return 0.0
    return 1.0 if part.names & words else -1.0
