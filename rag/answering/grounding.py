"""Is a quoted sentence about what the question asks? The check behind honest refusals.

A sentence can score well by meaning and still answer another question: "How long did
Orban's visit to Kyiv last?" is close to "an hour-long phone call with Putin". What gives
it away is the question's informative words: "Kyiv" and "visit" are nowhere near that
sentence. So every informative word of the question (one that is rare in the corpus, or
absent from it) must be found in the sentence or its neighbours, as the same word or as a
word of close meaning ("talks" for "negotiations"); otherwise the sentence does not answer.
Words common across the corpus ("Orban", "Putin" in these articles) carry no such weight.
The verb a question asks about ("what does the EU position EXCLUDE?") must be in the quoted
sentence itself: one restating the rest of the question ("the EU position ... is reflected
in Council conclusions") does not answer it. What the question asks (its kind of answer,
its verb, its scene) is read in asked.py; this module holds the quote up against it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping

import numpy as np

from rag.answering.answer_types import expected_type, measured, places
from rag.answering.asked import (
    ABSTRACT,
    ASKS_NAME,
    ASKS_WHO,
    GENERIC,
    NAME_KINDS,
    OPEN_KINDS,
    PERSON_KINDS,
    PLACE_KINDS,
    STANCES,
    answer_kinds,
    asked_verb,
    described,
    kind_modifiers,
    kind_phrase,
    length_asked_of,
    object_of,
    question_words,
    scene_words,
    thing_asked,
)
from rag.answering.near_words import near
from rag.components.vector_cache import VectorCache
from rag.text import CALENDAR, STOPWORDS, WORD, stem

COMMON_SHARE = 0.3  # a word in more than this share of chunks says little about the topic
SYNONYM_COSINE = 0.55  # two single words this close in MiniLM's space mean nearly the same
# The kind of thing asked for ("the name of his WIFE") is held to closer words: a related
# one ("partner", 0.57) is another kind of thing.
KIND_COSINE = 0.65

_TITLES = frozenset(stem(w) for w in (
    "president prime minister chancellor foreign secretary chief mr mrs ms dr sir general "
    "spokesperson spokesman aide adviser advisor envoy official leader state".split()))
NAME_GAP = 5  # words from a kind to its name: "officials, including Putin aide Yuri Ushakov"
_ASIDE = re.compile(r"\([^()]*\)")
_QUOTED = re.compile(r"\s*[“\"‘']")
_SAYING = frozenset(near(stem("say")) | near(stem("write")))
# Two capitalised words, maybe joined by particles ("Ursula von der Leyen"); overlapping
# (a lookahead), so that "President Ursula" being a title does not hide "Ursula von ...".
_PERSON_NAME = re.compile(r"(?=\b([A-Z][^\W\d_]+)\s+(?:(?:von|van|der|den|de|del|della|da|di|"
                          r"du|la|le|bin|ibn|al)\s+)*([A-Z][^\W\d_]+)\b)")
_INSTITUTIONS = frozenset(stem(w) for w in (  # "European Commission" names no person
    "commission union council parliament forum initiative ministry party bank agency office "
    "committee court government organisation organization nations republic federation house "
    "kingdom states news times post press tv television radio".split()))
# "a Hungarian bank", "the American president" describe; they do not name (and the text
# may say "US" or "Washington").
_DEMONYM = re.compile(r"(?<=\w\w\w)(ian|ican|ean|ese|ish)$")


def new_person(sentence: str, asked: set[str], kind: str = "") -> bool:
    """Does the sentence name a person the question does not ("Dmitry Peskov"): two
    capitalised words, neither a title nor asked about? Where it holds the kind's word, the
    name must stand by it ("Kremlin SPOKESPERSON Dmitry Peskov", "Peskov, the spokesperson"),
    not elsewhere ("Orban met Putin, a spokesperson said")."""
    sentence = _ASIDE.sub(" ", sentence)  # "(Sputnik, Kremlin Pool Photo via AP)" credits
    names = _people(sentence, asked)
    tokens = list(WORD.finditer(sentence))
    kinds = [i for i, w in enumerate(tokens) if stem(w.group()) == kind]
    if not names or not kinds:
        return bool(names)
    starts = [w.start() for w in tokens]

    def index(char: int) -> int:  # the word at a character offset
        return bisect_right(starts, char) - 1

    return any(-NAME_GAP <= index(m.start(1)) - k <= NAME_GAP
               or -NAME_GAP <= index(m.end(2) - 1) - k <= NAME_GAP
               for m in names for k in kinds)


_HONORIFICS = frozenset("mr mrs ms dr sir".split())


def _people(sentence: str, asked: set[str]) -> list[re.Match[str]]:
    """The persons' names in the sentence that are not asked about (nor titles). "Mr Xi"
    names a person by the word after the honorific."""
    return [m for m in _PERSON_NAME.finditer(sentence)
            if not {stem(w) for w in m.groups() if w.lower() not in _HONORIFICS}
            & (_TITLES | _INSTITUTIONS | asked)
            and not (m.group(1).lower() in _HONORIFICS and m.group(2).lower() in _HONORIFICS)
            and not any(w.lower() in STOPWORDS or _DEMONYM.search(w) for w in m.groups())]



def _called(demonym: str, window: str, article: str) -> bool:
    """"Which CHINESE leader ...?": the sentence names "Mr Xi", and its article calls him
    "Chinese President Xi Jinping": a name in the text stands within three words after the
    demonym somewhere in the article."""
    names = {w for w in WORD.findall(window)[1:] if w[:1].isupper() and w.lower() not in
             STOPWORDS | _HONORIFICS and stem(w) not in _TITLES and not _DEMONYM.search(w)}
    return any(re.search(rf"\b{re.escape(demonym)}\s+(?:[\w’'-]+\s+){{0,2}}{re.escape(n)}\b",
                         article) for n in names)


class Grounding:
    """Which informative words of a question a piece of text leaves unsupported."""

    def __init__(self, vectors: VectorCache, share: Callable[[str], float]) -> None:
        self._vectors = vectors  # of single lower-cased words
        self._share = share  # stem -> share of chunks holding it (0 when absent)

    def informative(self, question: str) -> dict[str, str]:
        # Numbers (years, counts) place the event; the articles often state them otherwise
        # ("in July", "last month"), so they are left to the answer-type check.
        return {s: w for s, w in question_words(question).items()
                if s not in GENERIC and not w.isdigit() and w.lower() not in CALENDAR
                and self._share(s) <= COMMON_SHARE}

    def coverage(self, question: str, text: str) -> float:
        """The share of the question's informative words that `text` holds or paraphrases.
        A word naming the kind of answer ("which state-owned atomic FIRM") counts only where
        it stands as written ("Russian officials, including ..."): the answer ("Rosatom")
        may stand for it and the words describing it."""
        have = question_words(text)
        kind = set(answer_kinds(question)) | kind_modifiers(question) | STANCES
        wanted = {s: w for s, w in self.informative(question).items()
                  if s not in kind or s in have}
        if not wanted:
            return 1.0
        return 1 - len(self._unmatched(wanted, text)) / len(wanted)

    def names(self, text: str) -> set[str]:
        """Stems of the rare names and numbers in `text` (past its first word): what tells
        one event from another ("Ushakov", "Kremlin", "2027"); common ones ("Orban") don't."""
        return {stem(w) for w in WORD.findall(text)[1:]
                if (w[:1].isupper() or w.isdigit()) and w.lower() not in STOPWORDS
                and self._share(stem(w)) <= COMMON_SHARE}

    def missing_kind(self, question: str, sentence: str, window: str,
                     aside: frozenset[str] = frozenset()) -> str | None:
        """The kind of answer asked for ("which HOTEL", "what GIFT") when the sentence gives
        none: no new name for a kind of name, nor the kind's word (or a near one) nearby.
        `aside`: the stems the question sets aside ("besides the LEADERS who came"); where
        they hold the kind's word, the sentence's "leaders" may be those, so the name
        need not stand by it."""
        asked = set(question_words(question))
        for s, word in (answer_kinds(question) | thing_asked(question)).items():
            if s in OPEN_KINDS or word[:1].isupper():
                continue
            if s in PERSON_KINDS:
                if not new_person(sentence, asked, "" if s in aside else s):
                    return word
            elif s in PLACE_KINDS:
                if not places(sentence) - asked:
                    return word
            elif s in NAME_KINDS or ASKS_NAME.search(question):
                if not self._names_kind(sentence, s, self.names(question) | asked):
                    return word
                if s not in NAME_KINDS and self._unmatched({s: word}, window, KIND_COSINE):
                    return word  # "the name of the INTERPRETER": a name, of one
            elif ABSTRACT.search(word.lower()):
                continue
            elif self._unmatched({s: word}, window, KIND_COSINE):
                return word
        if ASKS_WHO.search(question) and not (new_person(sentence, asked) or any(
                not n.isdigit() and n not in CALENDAR for n in self.names(sentence) - asked)):
            return "who"  # "Who went with him?": someone (or something) not asked about
        return None

    def answer_items(self, question: str, sentence: str) -> frozenset[str] | None:
        """What the sentence names of the kind asked for ("which CITIES": Moscow, Beijing;
        "which LEADERS": Karl Nehammer): a list quotes a further sentence only for a new
        item. None where the kind is not one of names."""
        asked = set(question_words(question))
        kinds = set(answer_kinds(question))
        if kinds & PLACE_KINDS or expected_type(question)[0] == "place":
            return frozenset(p for p in places(sentence) - asked if p not in CALENDAR)
        if kinds & PERSON_KINDS:
            return frozenset(f"{stem(m.group(1))} {stem(m.group(2))}"
                             for m in _people(_ASIDE.sub(" ", sentence), asked))
        if kinds & NAME_KINDS:
            return frozenset(self.names(sentence) - asked - self.names(question))
        return None

    def unmeasured(self, question: str, sentence: str) -> str | None:
        """"How long did the MEETING in Moscow last?": the event whose length is asked, when
        no duration in the sentence measures it ("an hour-long phone CALL" measures a call,
        not a meeting; "nearly 20 months in which ..." what that clause tells)."""
        event = length_asked_of(question)
        if not event:
            return None  # none asked, or "how long did it last?"
        if any(what is None or len(self._unmatched(event, what)) < len(event)
               for what in measured(sentence)):
            return None
        return next(iter(event.values()))

    def missing_verb(self, question: str, sentence: str, window: str = "") -> str | None:
        """The verb the question asks about ("what does it EXCLUDE?") when the sentence
        holds neither it nor a word of close meaning. A quote that goes on past its first
        sentence names its speaker's verb once ("“In Europe today, ...,” Mr Orban WROTE.
        “For us Hungarians, ...”"): for a sentence inside quotation marks, a verb of saying
        may stand in its neighbours (`window`)."""
        verb = asked_verb(question)
        if verb and window and _QUOTED.match(sentence) and set(verb) <= _SAYING:
            sentence = window
        missing = self._unmatched(verb, sentence) if verb else []
        # "did Orban SEND a LETTER": "in a letter to ..." tells the sending too.
        held = question_words(sentence).keys()  # (cached: read for every check)
        missing = [w for w in missing if not object_of(w, question) & held]
        return missing[0] if missing else None

    def _names_kind(self, sentence: str, kind: str, known: set[str]) -> bool:
        """Does the sentence give a new name for the kind? Where it holds the kind's word,
        the name must stand by it ("the Paks plant", "bank OTP"), not anywhere ("a
        Hungarian bank ... Kyiv"), and name, not describe ("a Hungarian bank")."""
        new = self.names(sentence) - known
        said = WORD.findall(sentence)
        at = [i for i, w in enumerate(said) if stem(w) == kind]
        if not at:
            return bool(new)
        return any(stem(said[j]) in new and not _DEMONYM.search(said[j])
                   and (j == 0 or said[j - 1].lower() not in ("a", "an"))
                   for i in at for j in range(max(0, i - 1), min(len(said), i + 2)) if j != i)

    def unnamed(self, question: str, window: str, article: str,
                aside: frozenset[str] = frozenset()) -> list[str]:
        """The question's rare names that the text does not hold: "Kyiv" asked, not there.
        Names of what is asked about must stand near the sentence (`window`); names that
        only say which event is meant ("... during Hungary's EU COUNCIL presidency", "at
        the visit about a BUDAPEST summit") may stand anywhere in its `article`."""
        by = question_words(window)  # names are not paraphrased: the same word or nothing
        anywhere = question_words(article)
        scene, names, kinds = scene_words(question), self.names(question), kind_phrase(question)
        describing = described(question)  # "Budapest's LEADER": whom; it does not name
        return [w for s, w in self.informative(question).items() if s in names
                and s not in by and (s not in scene or s not in anywhere)
                and s not in aside  # "besides MOSCOW, where ...?": need not be there
                and not ((_DEMONYM.search(w) or s in describing) and s not in kinds)
                and not (_DEMONYM.search(w) and _called(w, window, article))]

    def _unmatched(self, wanted: Mapping[str, str], text: str,
                   cosine: float = SYNONYM_COSINE) -> list[str]:
        """The words of `wanted` that `text` neither holds nor paraphrases."""
        have = question_words(text)
        missing = [w for s, w in wanted.items() if not near(s) & have.keys()]
        if not missing or not have:
            return missing
        vectors = self._vectors(w.lower() for w in [*missing, *have.values()])
        pool = np.array([vectors[w.lower()] for w in have.values()])
        return [w for w in missing
                if float((pool @ vectors[w.lower()]).max()) < cosine]
