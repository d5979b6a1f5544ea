"""Questions that set something aside: "What does Hungary rely on Moscow for BESIDES GAS AND
OIL?", "Besides Moscow, where did he go?".

What is set aside is no answer: a sentence naming only it ("receiving over 80% of its oil
and gas") restates what the asker knows; one naming something beside it ("natural gas, oil
and nuclear fuel") answers. The question is otherwise read as asked: the sentence that
answers often names the aside too (taking it out of the question cost answers in the
eval).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.answering.answer_types import expected_type, places
from rag.answering.asked import NAME_KINDS, PERSON_KINDS, answer_kinds
from rag.answering.grounding import new_person
from rag.text import CALENDAR, STOPWORDS, WORD, content_words, stem

_ASIDE = re.compile(r",?\s*\b(?:besides|apart from|aside from|other than|except(?: for)?|"
                    r"in addition to)\s+([^?,;.]+)", re.IGNORECASE)
# Right after the question word the aside is one name or noun, then the question goes on.
_ASIDE_EARLY = re.compile(r",?\s*\b(?i:besides|apart from|aside from|other than|except(?: for)?|"
                          r"in addition to)\s+((?:(?:the|his|her|its|their)\s+)?[\w’'-]+"
                          r"(?:(?:\s+|\s+and\s+)[A-Z][\w’'-]*)*)")
_AUXILIARY = re.compile(r"\b(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could)\b",
                        re.IGNORECASE)
_WHO = re.compile(r"\bwhom?\b", re.IGNORECASE)
_WHO_WHERE = re.compile(r"\b(?:who|whom|where)\b", re.IGNORECASE)
_DETERMINERS = {"the", "a", "an", "its", "their", "his", "her"}
_AND = {"and", "or", "plus"}


@dataclass(frozen=True)
class Aside:
    stems: frozenset[str] = frozenset()
    names: bool = False  # "Besides MOSCOW": the answer is another name, not another item


@lru_cache(maxsize=256)  # asked of every candidate sentence for the same few parts
def aside_of(question: str) -> Aside:
    """What the question's "besides X" phrase sets aside. The question is still searched
    and scored as asked: the sentence that answers often names X too ("gas, oil and
    nuclear fuel")."""
    m = _ASIDE.search(question)
    # "Who besides X joined him?", "which topic besides X did they discuss?": the question
    # goes on past the aside.
    ends_at_comma = m is not None and question[m.end():m.end() + 1] == ","
    if m and not ends_at_comma and (len(WORD.findall(question[:m.start()])) <= 2
                                    or _AUXILIARY.search(m.group(1))):
        m = _ASIDE_EARLY.search(question)
    words = content_words(m.group(1)) if m else []
    if not m or not words:
        return Aside()
    # "Which leader besides Orban ...?" asks for another name; "which topic besides
    # Ukraine?" for a topic, which a name need not tell.
    kinds = set(answer_kinds(question))
    asks_name = bool(_WHO_WHERE.search(question) or kinds & NAME_KINDS)
    if asks_name:  # "Apart from his trips to MOSCOW and BEIJING, which places ...?": the
        # names are set aside, not "trips"; in "besides the LEADERS who came to the FORUM,
        # which leader ...?" the kind asked for is too.
        words = [w for w in words if w[:1].isupper() or stem(w) in kinds] or words
    return Aside(frozenset(stem(w) for w in words),
                 asks_name and all(w[:1].isupper() for w in words))


def restates(sentence: str, question: str, aside: Aside) -> bool:
    """The sentence names what the question sets aside and nothing beside it."""
    if not aside.stems or _ASIDE.search(sentence):  # "besides gas, it buys ...": aside too
        return False
    tokens = WORD.findall(sentence)
    stems = [stem(t) for t in tokens]
    hits = [i for i, s in enumerate(stems) if s in aside.stems]
    if not hits:
        return False
    if _listed_beside(sentence, hits):
        return False
    if aside.names and expected_type(question)[0] == "place":  # "then he flew TO BEIJING"
        return not places(sentence) - aside.stems - CALENDAR
    known = aside.stems | {stem(w) for w in content_words(question)}
    if _WHO.search(question) or set(answer_kinds(question)) & PERSON_KINDS:
        # "who else joined?", "besides the leaders who came, which leader ...?": someone
        # else
        return not new_person(sentence, set(known))
    if not aside.names:
        return True
    # Another name past the first word, not one asked about, answers.
    return not any(t[:1].isupper() and t.lower() not in STOPWORDS | CALENDAR
                   and s not in known for t, s in zip(tokens[1:], stems[1:], strict=True))


def _listed_beside(sentence: str, hits: list[int]) -> bool:
    """A list holding the set-aside words holds another item: "gas, oil AND NUCLEAR FUEL",
    "COAL, gas and oil" (not "its oil and gas, and the minister ...")."""
    spans = [m.span() for m in WORD.finditer(sentence)]
    words = [sentence[a:b].lower() for a, b in spans]
    first, last = hits[0], hits[-1]
    closed = any(w in _AND for w in words[first:last + 1])  # "gas and oil": the list ends
    after = last + 1
    if not closed and after < len(words) and words[after] in _AND:
        item = after + 1
        # "... for Ukraine and THE USE of frozen assets"; after a comma, "and the" starts a
        # clause ("its oil and gas, and the minister must ...").
        if item < len(words) and words[item] in _DETERMINERS \
                and "," not in sentence[spans[last][1]:spans[after][0]]:
            item += 1
        return item < len(words) and words[item] not in STOPWORDS
    # Before: past the item's own modifiers ("natural gas"), a comma and another item.
    i = first
    while i > 0 and first - i < 2 and sentence[spans[i - 1][1]:spans[i][0]] == " " \
            and words[i - 1] not in STOPWORDS:
        i -= 1
    return i > 0 and sentence[spans[i - 1][1]:spans[i][0]].strip() == "," \
        and words[i - 1] not in STOPWORDS
