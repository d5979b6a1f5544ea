"""What a question asks: the kind of answer ("which HOTEL"), the verb ("what does it
EXCLUDE?"), the thing ("what was the main FOCUS of ..."), the event whose length is asked, and
the words that only place the event ("during his visit to Kyiv").

Read from the question's form alone; grounding.py checks a quote against what this finds.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from rag.answering.near_words import PHRASAL
from rag.text import STOPWORDS, WORD, content_words, stem

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
ASKS_WHO = re.compile(r"(?:^|,\s*)whom?\s+(?!is\b|was\b|are\b|were\b)[a-z]+", re.IGNORECASE)
ASKS_NAME = re.compile(r"\bname of\b|\bwhat is .{0,40}\bcalled\b", re.IGNORECASE)
_KNOWN_KINDS = NAME_KINDS | PERSON_KINDS | OPEN_KINDS
# Abstract nouns ("what CONDITION", "in what CAPACITY") are answered by a clause, not by
# their own word: a suffix tells most of them.
ABSTRACT = re.compile(r"(tion|sion|ity|ment|ness|ance|ence|ship|ism|ure|acy)s?$")
# "What did he say about Hungary's ATTITUDE towards Russia?": the answer states the stance
# ("Hungary never wanted to confront Russia"); it need not name it.
STANCES = frozenset(stem(w) for w in "attitude position stance view opinion approach "
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
# "Who JOINED him?", "Which other ministers TRAVELLED with him?": the verb after the subject
# asked for.
# (Not past an auxiliary: "what condition WAS attached" is passive, its verb not the answer's.)
_WHO_DID = re.compile(r"(?:^|,\s*)(?i:who|(?:which|what)(?:\s+other)?"
                      r"(?:\s+(?!(?:was|were|is|are|had|has|have|did|does|do|will|would)\b)"
                      r"[A-Za-z]+){1,3}?)"
                      r"\s+([a-z]+(?:ed|en)|won|went|led|met|sent|told|"
                      r"wrote|said|made|held|gave|took|brought|chose|paid|sold|built|ran|sat)\b")
_PASSIVE = re.compile(r"\b(?i:what|who)\s+(?:was|were)\s+([a-z]+(?:ed|en))\b")
# A determiner or a preposition before the word: a noun ("during his TRIP", "heads of STATE").
# ("the HUNGARIAN premier": past the names describing it.)
_DETERMINER_BEFORE = re.compile(r"\b(?i:the|a|an|his|her|their|its|this|that|our|my|of|in|on|"
                                r"at|with|from|between|by)\s+(?:[A-Z][\w’'-]*\s+){0,2}$")


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


# Verbs whose object a text can name without telling the verb: "the prime minister" does
# not say who BECAME prime minister, as "in a letter to ..." says a letter was sent.
_STATE_VERBS = frozenset("become became becomes remain remained stay stayed turn turned "
                         "get got grow grew".split())


def object_of(verb: str, question: str) -> set[str]:
    """The stem of the common noun right after `verb` ("send a LETTER"), if any."""
    if verb.lower() in _STATE_VERBS:
        return set()
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


def thing_asked(question: str) -> dict[str, str]:
    """"What was the main FOCUS of the talks?": the thing asked for, which the quote must
    name (or a word of close meaning); abstract and open ones ("the purpose", "the value")
    are left to the other checks."""
    m = _WHAT_IS_THE.search(question)
    word = m.group(1).split()[-1] if m else ""
    if not word or stem(word) in _KNOWN_KINDS | GENERIC or ABSTRACT.search(word):
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



def kind_modifiers(question: str) -> set[str]:
    """Stems of the words describing the kind of answer, up to it: "which Russian
    STATE-OWNED ATOMIC ENERGY firm"."""
    out: set[str] = set()
    for m in _FOCUS.finditer(question):
        words = m.group(1).split()
        head = _phrase_head(words)
        if head in words:
            out |= {stem(w) for word in words[:words.index(head)] for w in WORD.findall(word)}
    return out


def kind_phrase(question: str) -> set[str]:
    """Stems of the phrases naming the kind of answer ("which HUNGARIAN BANK"): an adjective
    there says what the answer must be; elsewhere ("a summit of the American and Russian
    leaders") it only describes, and the text may name the country otherwise ("US")."""
    return {stem(w) for m in _FOCUS.finditer(question) for w in m.group(1).split()}


_DESCRIBED = re.compile(r"\b([A-Z][\w-]*)['’]s\s+([a-z]+)")
_ROLES = PERSON_KINDS | PLACE_KINDS | frozenset(stem(w) for w in "chief government".split())


def length_asked_of(question: str) -> dict[str, str]:
    """"How long did THE MEETING in Moscow last?": the event whose length is asked (stem ->
    word); empty when none is asked, or none named ("how long did it last?")."""
    m = _LENGTH_OF.search(question)
    if not m:
        return {}
    phrase = _PHRASE_TAIL.split(next(g for g in m.groups() if g))[0]
    return {stem(w): w for w in content_words(phrase)  # "the MEETING last", "they TALK"
            if w.islower() and stem(w) not in GENERIC}


def scene_words(question: str) -> set[str]:
    """Stems of the phrases that place the event ("during his visit to KYIV", "in his
    FACEBOOK post"): what was said there may be said anywhere in the article."""
    return {stem(w) for w in WORD.findall(" ".join(_SCENE.findall(question)))}


def described(question: str) -> set[str]:
    """Stems of the names that describe a role ("BUDAPEST's leader", "CHINA's capital"):
    they say whom or where, and do not name."""
    return {stem(m.group(1)) for m in _DESCRIBED.finditer(question)
            if stem(m.group(2)) in _ROLES}
