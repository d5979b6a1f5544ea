"""Who says it: "How did ORBÁN describe the war in his post?" is not answered by words the
sentence gives to someone else ("... the "hot phase" of the war, ZELENSKYY told Sky News").

A question that asks what a named person said, wrote or told (or what was said "according
to" them) names its speaker; a sentence that attributes its words names theirs ("X said",
"said X", "X, his press chief, told ...", "according to X"). When both are named and
differ, and the sentence does not name the one asked about at all, it quotes another
speaker and does not answer. One naming both may report the words asked about through
another ("Mr Orban's trip was a peace mission, his press chief told MTI"); one naming no
speaker (a quote going on from the sentence before, "he said") is left to the other checks.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text import STOPWORDS, stem

_SAY = (r"say|said|says|tell|told|tells|write|wrote|writes|post|posted|posts|describe|"
        r"described|call|called|announce|announced|claim|claimed|state|stated|declare|"
        r"declared|insist|insisted|argue|argued|warn|warned|stress|stressed|add|added|"
        r"note|noted|confirm|confirmed|explain|explained|reply|replied|respond|responded|"
        r"characterise|characterised|characterize|characterized|frame|framed")
_NAME = r"(?:[A-Z][\w’'-]*(?:\s+(?:von|van|der|de|da|di|al)\s+|\s+))*[A-Z][\w’'-]*"
# "What did ORBÁN say ...", "how has Putin described ...": the subject of the asked verb.
_ASKED = re.compile(rf"\b(?:did|does|do|has|have|had)\s+({_NAME})\s+"
                    rf"(?:\w+ly\s+)?(?:{_SAY})\b")
_ACCORDING = re.compile(rf"\b(?i:according to)\s+(?:the\s+)?({_NAME})")
# In a sentence: "Peskov said", "Bertalan Havasi, his press chief, told", "a Kremlin press
# release said", "said Peskov".
_BEFORE_VERB = re.compile(rf"({_NAME})(?:\s*,[^,“”\"]{{1,90}},)?(?:\s+\w+){{0,2}}?\s+"
                          rf"(?:has\s+|had\s+)?(?:said|told|wrote|posted|added|noted|"
                          rf"stated|declared|announced|claimed|insisted|argued|warned|"
                          rf"stressed|confirmed|explained|replied|responded|described)\b")
_AFTER_VERB = re.compile(rf"\b(?:said|wrote|added|noted)\s+({_NAME})")
_TITLES = frozenset(stem(w) for w in (
    "mr mrs ms dr sir president prime minister chancellor foreign chief spokesperson "
    "spokesman aide secretary general the hungarian russian ukrainian serbian austrian "
    "american european his her their in on at".split()))


def _people(phrase: str) -> frozenset[str]:
    """The stems of a named phrase that name someone ("Mr Orban" -> {"orban"})."""
    return frozenset(stem(w) for w in re.findall(r"[\w’'-]+", phrase)
                     if w.lower() not in STOPWORDS and stem(w) not in _TITLES)


@lru_cache(maxsize=2048)
def asked_speaker(question: str) -> frozenset[str]:
    """Stems naming whose words the question asks for; empty when it names no speaker."""
    m = _ASKED.search(question) or _ACCORDING.search(question)
    return _people(m.group(1)) if m else frozenset()


@lru_cache(maxsize=8192)
def speakers(sentence: str) -> frozenset[str]:
    """Stems of the names the sentence attributes its words to."""
    found: set[str] = set()
    for pattern in (_BEFORE_VERB, _AFTER_VERB, _ACCORDING):
        for m in pattern.finditer(sentence):
            found |= _people(m.group(1))
    return frozenset(found)


def other_speaker(question: str, sentence: str) -> bool:
    """Does the sentence give the words to someone other than the speaker asked about?"""
    asked = asked_speaker(question)
    if not asked:
        return False
    said_by = speakers(sentence)
    return bool(said_by) and not (said_by | _people(sentence)) & asked
