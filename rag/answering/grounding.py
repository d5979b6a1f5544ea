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
in Council conclusions") does not answer it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from rag.answering.answer_types import expected_type, measured, places
from rag.answering.near_words import PHRASAL, near
from rag.components.vector_cache import VectorCache
from rag.text import CALENDAR, STOPWORDS, WORD, content_words, stem

COMMON_SHARE = 0.3  # a word in more than this share of chunks says little about the topic
SYNONYM_COSINE = 0.55  # two single words this close in MiniLM's space mean nearly the same
# Words that name the kind of answer, not its topic ("what happened", "which country").
GENERIC = frozenset(stem(w) for w in (
    "happen happened take took place make made give given get got go went come came "
    "thing things time person people kind way country countries name named leader leaders "
    "mention mentioned describe described call called last lasted late early contain "
    "contains include includes involve involves consist use used see show shown want "
    "going put set bring brought turn".split()))  # light verbs: "put forward" proposes


@lru_cache(maxsize=4096)  # the same passages and articles are read for every candidate
def question_words(text: str) -> Mapping[str, str]:
    """stem -> the word as written, for the content words of `text` (read-only: shared)."""
    out: dict[str, str] = {}
    for word in content_words(text):
        out.setdefault(stem(word), word)
    return MappingProxyType(out)


# "which Russian state CORPORATION is ...", "name the Putin AIDE who ...", "which two CITIES":
# the noun phrase after the asking words, up to a verb, a preposition or a relative word;
# its last word is the kind of answer asked for.
# (A lookahead, so that "what is the NAME OF THE bank" is seen from both places.)
_FOCUS = re.compile(r"(?=\b(?:which|what|whose|how many|how much|name(?: of)? the|name of|"
                    r"who (?:is|was|are|were) the)\s+(?:of\s+the\s+|kind of\s+)?"
                    r"((?:[^\W_]+(?:['’-][^\W_]+)*\s+){0,5}[^\W_]+))", re.IGNORECASE)
_PHRASE_END = frozenset(
    "did does do was were is are has have had will would can could should to of in on at by "
    "for from with about after before during between who whom that which and or as than "
    "when where besides except apart other".split())
_NUMBER_WORDS = frozenset("two three four five six seven eight nine ten both".split())
# Kinds whose instances are names ("which CITY" -> Beijing): a new name can answer them.
NAME_KINDS = frozenset(stem(w) for w in (
    "city town capital country nation state region place platform network outlet agency "
    "website newspaper broadcaster channel party company corporation firm bank organisation "
    "organization group official leader minister president chancellor spokesperson "
    "spokesman aide diplomat politician person people reporter journalist head figure "
    "premier ruler representative ambassador".split()))
# Of those, kinds answered by a place's name: common ones too ("Moscow" in most articles).
PLACE_KINDS = frozenset(stem(w) for w in "city town capital place venue".split())
# Of those, kinds answered by a person's name ("Yuri Ushakov"), not just any new name.
PERSON_KINDS = frozenset(stem(w) for w in (
    "official leader minister president chancellor spokesperson spokesman aide diplomat "
    "politician person people reporter journalist envoy adviser advisor chief head figure "
    "premier ruler representative ambassador".split()))
_TITLES = frozenset(stem(w) for w in (
    "president prime minister chancellor foreign secretary chief mr mrs ms dr sir general "
    "spokesperson spokesman aide adviser advisor envoy official leader state".split()))
NAME_GAP = 5  # words from a kind to its name: "officials, including Putin aide Yuri Ushakov"
_ASIDE = re.compile(r"\([^()]*\)")
# Two capitalised words, maybe joined by particles ("Ursula von der Leyen"); overlapping
# (a lookahead), so that "President Ursula" being a title does not hide "Ursula von ...".
_PERSON_NAME = re.compile(r"(?=\b([A-Z][^\W\d_]+)\s+(?:(?:von|van|der|den|de|del|della|da|di|"
                          r"du|la|le|bin|ibn|al)\s+)*([A-Z][^\W\d_]+)\b)")
_INSTITUTIONS = frozenset(stem(w) for w in (  # "European Commission" names no person
    "commission union council parliament forum initiative ministry party bank agency office "
    "committee court government organisation organization nations republic federation house "
    "kingdom states news times post press tv television radio".split()))
# Kinds the answer-type checks judge, or that say nothing of their own ("which things").
OPEN_KINDS = frozenset(stem(w) for w in (
    "thing things topic topics issue issues way kind sort one ones other others time year "
    "length duration period "
    "month day date share percentage proportion number amount value sum role reason "
    "purpose goal stance view response reaction demand message point answer".split()))
# Phrases that place the event the question is about, up to the next comma or the end.
_SCENE = re.compile(r"\b(?:during|ahead of|before|after|at the time of|around the time of|"
                    r"according to|"
                    r"at (?:the|his|her|their) (?:\w+ ){0,3}(?:visit|meeting|talks|summit|trip)|"
                    r"in (?:(?:the|his|her|their|its|a|an) )?(?=[A-Z])|"  # "in Beijing", "in
                    r"in (?:his|her|their|its|a|an) |"  # his Facebook post": where it was said
                    r"about (?:a|the)|when)\b[^,?]*", re.IGNORECASE)
# "a Hungarian bank", "the American president" describe; they do not name (and the text
# may say "US" or "Washington").
_DEMONYM = re.compile(r"(?<=\w\w\w)(ian|ican|ean|ese|ish)$")
_ASKS_WHO = re.compile(r"(?:^|,\s*)whom?\s+(?!is\b|was\b|are\b|were\b)[a-z]+", re.IGNORECASE)
_ASKS_NAME = re.compile(r"\bname of\b|\bwhat is .{0,40}\bcalled\b", re.IGNORECASE)
_KNOWN_KINDS = NAME_KINDS | PERSON_KINDS | OPEN_KINDS
# Abstract nouns ("what CONDITION", "in what CAPACITY") are answered by a clause, not by
# their own word: a suffix tells most of them.
_ABSTRACT = re.compile(r"(tion|sion|ity|ment|ness|ance|ence|ship|ism|ure|acy)s?$")
# "What did he say about Hungary's ATTITUDE towards Russia?": the answer states the stance
# ("Hungary never wanted to confront Russia"); it need not name it.
_STANCES = frozenset(stem(w) for w in "attitude position stance view opinion approach "
                     "stand feeling thinking".split())
# Irregular past participles, which end a noun phrase as "-ed" ones do.
_PARTICIPLES = frozenset("put made given taken held sent set brought shown known seen told led "
                         "won chosen written drawn paid said sold built kept left met found "
                         "spent struck begun run cut hit".split())
_NOT_FOCUS = STOPWORDS | {"did", "does", "do", "was", "were", "is", "are", "has", "have"}


# The event whose length is asked: "how long did THE MEETING with Putin last?".
_LENGTH_OF = re.compile(r"\bhow long (?:did|does|do|was|were|is|will|would) (.+?)\s*(?:\?|$|,)|"
                        r"\bwhat (?:is|was) the (?:length|duration) of (.+?)(?:\?|$|,| compared)",
                        re.IGNORECASE)
_PHRASE_TAIL = re.compile(r"\b(?:with|in|at|between|to|from|on|of|by|that|which)\b")


# The verb a question asks about: "what does the EU position EXCLUDE?", "how did Zelensky
# RESPOND to ...", "what was SERVED at dinner?".
_ENDS_ON_VERB = re.compile(r"^(?:[^,?]*,\s*)?(?i:what|which|who|whom)\b[^?]*\b(?:did|does|do)\b"
                           r"[^?]*?\b([a-z]+)(?:\s+(?:for|to|about|with|on|of|in))?\s*\?*$")
_VERB_AFTER_NAME = re.compile(r"\b(?i:what|which|who|whom|how|why)\b[^?]*?\b(?:did|does|do|had|"
                              r"has|have)\s+(?:(?:[A-Z][\w’'-]*\s+(?:and\s+)?)+|"
                              r"(?:he|she|they)\s+)"
                              r"(?:(?:later|also|first|then|ever|still|just|\w+ly)\s+)?"
                              r"([a-z]+)\b")
_WHO_DID = re.compile(r"(?:^|,\s*)(?i:who)\s+([a-z]+(?:ed|en)|won|went|led|met|sent|told|"
                      r"wrote|said|made|held|gave|took|brought|chose|paid|sold|built|ran|sat)\b")
_PASSIVE = re.compile(r"\b(?i:what|who)\s+(?:was|were)\s+([a-z]+(?:ed|en))\b")
# A determiner or a preposition before the word: a noun ("during his TRIP", "heads of STATE").
_DETERMINER_BEFORE = re.compile(r"\b(?:the|a|an|his|her|their|its|this|that|our|my|of|in|on|"
                                r"at|with|from|between|by)\s+$", re.IGNORECASE)


def asked_verb(question: str) -> dict[str, str]:
    """The verb the question asks about, where its form shows it (stem -> word): the answer
    holds it or a word of close meaning; a sentence restating the rest does not answer.
    Empty when no form shows it, and for verbs that say little ("say", "describe")."""
    question = question.strip()
    # The verb right after a named subject first: "what did Putin TELL Orban ... before the
    # talks on the US peace PUSH?" ends on a noun.
    after_name = _VERB_AFTER_NAME.search(question)
    if after_name:  # "did Putin TELL": a verb, though one saying little ("tell") is no check
        if phrasal := _phrasal(question, after_name):
            return {stem(phrasal): phrasal}
        return {stem(w): w for w in content_words(after_name.group(1)) if stem(w) not in GENERIC}
    for m in (_ENDS_ON_VERB.match(question), _PASSIVE.search(question),
              _WHO_DID.search(question)):
        if m is None or _DETERMINER_BEFORE.search(question, 0, m.start(1)):
            continue  # "... during his TRIP?": a noun
        if phrasal := _phrasal(question, m):
            return {stem(phrasal): phrasal}
        words = content_words(m.group(1))  # none for "... thank Orban FOR?"
        if words:
            return {stem(w): w for w in words if stem(w) not in GENERIC}
    return {}


def _phrasal(question: str, verb: re.Match[str]) -> str | None:
    """The single verb a phrasal one means ("who WENT WITH him": accompanied), if listed."""
    after = re.match(r"\s+(\w+)", question[verb.end(1):])
    return PHRASAL.get(f"{verb.group(1).lower()} {after.group(1).lower()}") if after else None


def _object_of(verb: str, question: str) -> set[str]:
    """The stem of the common noun right after `verb` ("send a LETTER"), if any."""
    m = re.search(rf"\b{re.escape(verb)}\s+(?:(?:a|an|the|his|her|their|its)\s+)?([a-z]+)\b",
                  question)
    noun = m.group(1) if m else ""
    return {stem(noun)} if noun and noun not in STOPWORDS and noun not in _PHRASE_END else set()


def answer_kinds(question: str) -> dict[str, str]:
    """The nouns naming the kind of answer ("which PLATFORM", "what SHARE"): the answer
    itself may stand for them ("on X", "80%"), so their absence proves nothing."""
    kinds = {}
    for i, m in enumerate(_FOCUS.finditer(question)):
        if i and question[:m.start()].endswith(", "):
            continue  # "What is the name of X, which Rosatom plans ...": a relative clause
        head = _phrase_head(m.group(1).split())
        if head and head.lower() not in _NOT_FOCUS:
            kinds[stem(head)] = head
    return kinds


_WHAT_IS_THE = re.compile(r"\bwhat (?:is|was|are|were) the ((?:[a-z]+ ){0,2}?[a-z]+) of\b",
                          re.IGNORECASE)


def _thing_asked(question: str) -> dict[str, str]:
    """"What was the main FOCUS of the talks?": the thing asked for, which the quote must
    name (or a word of close meaning); abstract and open ones ("the purpose", "the value")
    are left to the other checks."""
    m = _WHAT_IS_THE.search(question)
    word = m.group(1).split()[-1] if m else ""
    if not word or stem(word) in _KNOWN_KINDS | GENERIC or _ABSTRACT.search(word):
        return {}
    return {stem(word): word}


def _phrase_head(words: list[str]) -> str | None:
    """The noun of a phrase that may run on into the rest of the question: its last known
    kind ("Hungarian MINISTER went", "state CORPORATION is"), else its last lower-case
    word before a verb, a preposition or a past participle ("interim SOLUTION did");
    numbers ("which TWO cities") and names ("which RUSSIAN state corporation") only
    qualify it."""
    first = stem(words[0].lower()) if words else ""
    if first and first not in _KNOWN_KINDS and (first in GENERIC or first.endswith("ed")):
        return None  # "what MADE that meeting a first", "what happened": a verb, no noun
    head = known = None
    for i, word in enumerate(words):
        low = word.lower()
        if low == "other" and words[i + 1:i + 2] != ["than"]:
            continue  # "which two OTHER leaders" qualifies; "leaders other than X" ends
        if low in _PHRASE_END or (head and (low.endswith("ed") or low in _PARTICIPLES)):
            break  # "what peace PLAN put forward by ...": the participle ends the phrase
        if stem(low) in _KNOWN_KINDS:
            known = word  # the last one: "state CORPORATION"
        elif known:
            break  # "minister WENT"
        if not low.isdigit() and low not in _NUMBER_WORDS and not word[:1].isupper():
            head = word
    return known or head


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


def _people(sentence: str, asked: set[str]) -> list[re.Match[str]]:
    """The persons' names in the sentence that are not asked about (nor titles)."""
    return [m for m in _PERSON_NAME.finditer(sentence)
            if not {stem(w) for w in m.groups()} & (_TITLES | _INSTITUTIONS | asked)
            and not any(w.lower() in STOPWORDS or _DEMONYM.search(w) for w in m.groups())]


def _kind_modifiers(question: str) -> set[str]:
    """Stems of the words describing the kind of answer, up to it: "which Russian
    STATE-OWNED ATOMIC ENERGY firm"."""
    out: set[str] = set()
    for m in _FOCUS.finditer(question):
        words = m.group(1).split()
        head = _phrase_head(words)
        if head in words:
            out |= {stem(w) for word in words[:words.index(head)] for w in WORD.findall(word)}
    return out


def _kind_phrase(question: str) -> set[str]:
    """Stems of the phrases naming the kind of answer ("which HUNGARIAN BANK"): an adjective
    there says what the answer must be; elsewhere ("a summit of the American and Russian
    leaders") it only describes, and the text may name the country otherwise ("US")."""
    return {stem(w) for m in _FOCUS.finditer(question) for w in m.group(1).split()}


_DESCRIBED = re.compile(r"\b([A-Z][\w-]*)['’]s\s+([a-z]+)")
_ROLES = PERSON_KINDS | PLACE_KINDS | frozenset(stem(w) for w in "chief government".split())


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
        kind = set(answer_kinds(question)) | _kind_modifiers(question) | _STANCES
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

    def missing_kind(self, question: str, sentence: str, window: str) -> str | None:
        """The kind of answer asked for ("which HOTEL", "what GIFT") when the sentence gives
        none: no new name for a kind of name, nor the kind's word (or a near one) nearby."""
        asked = set(question_words(question))
        for s, word in (answer_kinds(question) | _thing_asked(question)).items():
            if s in OPEN_KINDS or word[:1].isupper():
                continue
            if s in PERSON_KINDS:
                if not new_person(sentence, asked, s):
                    return word
            elif s in PLACE_KINDS:
                if not places(sentence) - asked:
                    return word
            elif s in NAME_KINDS or _ASKS_NAME.search(question):
                if not self._names_kind(sentence, s, self.names(question) | asked):
                    return word
                if s not in NAME_KINDS and self._unmatched({s: word}, window):
                    return word  # "the name of the INTERPRETER": a name, of one
            elif _ABSTRACT.search(word.lower()):
                continue
            elif self._unmatched({s: word}, window):
                return word
        if _ASKS_WHO.search(question) and not (new_person(sentence, asked) or any(
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
        m = _LENGTH_OF.search(question)
        if not m:
            return None
        phrase = _PHRASE_TAIL.split(next(g for g in m.groups() if g))[0]
        event = {stem(w): w for w in content_words(phrase)  # "the MEETING last", "they TALK"
                 if w.islower() and stem(w) not in GENERIC}
        if not event:
            return None  # "how long did it last?"
        if any(what is None or len(self._unmatched(event, what)) < len(event)
               for what in measured(sentence)):
            return None
        return next(iter(event.values()))

    def missing_verb(self, question: str, sentence: str) -> str | None:
        """The verb the question asks about ("what does it EXCLUDE?") when the sentence
        holds neither it nor a word of close meaning."""
        verb = asked_verb(question)
        missing = self._unmatched(verb, sentence) if verb else []
        # "did Orban SEND a LETTER": "in a letter to ..." tells the sending too.
        held = question_words(sentence).keys()  # (cached: read for every check)
        missing = [w for w in missing if not _object_of(w, question) & held]
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

    def unnamed(self, question: str, window: str, article: str) -> list[str]:
        """The question's rare names that the text does not hold: "Kyiv" asked, not there.
        Names of what is asked about must stand near the sentence (`window`); names that
        only say which event is meant ("... during Hungary's EU COUNCIL presidency", "at
        the visit about a BUDAPEST summit") may stand anywhere in its `article`."""
        by = question_words(window)  # names are not paraphrased: the same word or nothing
        anywhere = question_words(article)
        scene = {stem(w) for w in WORD.findall(" ".join(_SCENE.findall(question)))}
        names, kind_phrase = self.names(question), _kind_phrase(question)
        # "Budapest's LEADER", "China's CAPITAL" describe whom or where; they do not name.
        describing = {stem(m.group(1)) for m in _DESCRIBED.finditer(question)
                      if stem(m.group(2)) in _ROLES}
        return [w for s, w in self.informative(question).items() if s in names
                and s not in by and (s not in scene or s not in anywhere)
                and not ((_DEMONYM.search(w) or s in describing) and s not in kind_phrase)]

    def _unmatched(self, wanted: Mapping[str, str], text: str) -> list[str]:
        """The words of `wanted` that `text` neither holds nor paraphrases."""
        have = question_words(text)
        missing = [w for s, w in wanted.items() if not near(s) & have.keys()]
        if not missing or not have:
            return missing
        vectors = self._vectors(w.lower() for w in [*missing, *have.values()])
        pool = np.array([vectors[w.lower()] for w in have.values()])
        return [w for w in missing
                if float((pool @ vectors[w.lower()]).max()) < SYNONYM_COSINE]
