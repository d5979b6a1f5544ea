"""Questions in several parts.

"Where did they meet in 2023, and what did they discuss by phone?" is two questions: each
is answered (or found unanswerable) on its own, with its own citation.
"""

from __future__ import annotations

import re

_WH = r"(?:what|where|when|who|whom|whose|which|why|how|did|does|do|was|were|is|are|has|have)"
_PREP = r"(?:in|on|at|by|from|to|for|with|of|under|during|after|before|through|since|until)"
_ASK = r"(?:name|list|give|state|identify|say)"  # imperatives: "Name the aide, and ..."
# A question starts with a question word, maybe after a preposition ("in what month", "by
# what means"), or with an imperative.
_OPENER = rf"(?:(?:{_PREP}\s+)?{_WH}|{_ASK})\b"
# ", and what ...", "; and in which ...", " and who ...", "? When ...": a new question starts.
_SPLIT = re.compile(rf"\s*[,;]\s*(?:and|but|also)\s+|\s+(?:and|but)\s+(?={_OPENER})|"
                    rf"\?\s+(?=[A-Z])", re.IGNORECASE)
# "In which places" + "by what means has he ...": the words that ask, then the predicate.
_WH_PHRASE = re.compile(rf"^(?:{_PREP}\s+)?(?:(?:what|which|whose|how many|how much)\s+"
                        rf"(?:\w+\s+)?\w+|where|when|who|whom|why|how(?:\s+long|\s+often)?)$",
                        re.IGNORECASE)
_PREDICATE = re.compile(r"\b(?:did|does|do|was|were|is|are|has|have|had|can|could|will|would)\b.*",
                        re.IGNORECASE)
_DETERMINER = re.compile(r"(?:the|a|an|his|her|their|its)\b", re.IGNORECASE)
# "How long ... at the Beijing meeting, compared with his Moscow visit?": the same question
# of two events.
_COMPARED = re.compile(r",?\s+(?:compared (?:with|to)|as against|versus|vs\.?)\s+",
                       re.IGNORECASE)
_PREP_AGAIN = re.compile(rf",?\s+and\s+({_PREP})\s+(?!{_WH}\b)", re.IGNORECASE)
# Where the first event is named: a preposition, then a determiner or a possessive name.
_EVENT = re.compile(r"\b(?:at|in|during|on|for|from|after|before|of)\s+(?=(?:the|a|an|his|her|"
                    r"their|its|this|that|[A-Z][\w’']*['’]s)\b)")


def split_question(question: str) -> list[str]:
    """The question's parts, each a question of its own; one part when it is one question."""
    question = " ? ".join(_compared(question.strip()))
    pieces = [p.strip(" ,;") for p in _SPLIT.split(question) if p and p.strip(" ,;?")]
    parts: list[str] = []
    for piece in pieces:
        if parts and not re.match(_OPENER, piece, re.IGNORECASE):
            verb = re.match(_ASK, parts[-1], re.IGNORECASE)
            if verb and _DETERMINER.match(piece):  # "Name the X, and the Y": name the Y
                parts.append(f"{verb.group(0)} {piece}")
                continue
            parts[-1] = f"{parts[-1].rstrip('?')} and {piece}"  # "Orban and Putin": one part
            continue
        parts.append(piece)
    parts = _share_predicates(parts)
    return [_as_question(p) for p in parts] or [question]


# "How did the length of A compare with the period of B?", "What is the difference between
# A and B?": two things, each asked about.
_HOW_COMPARE = re.compile(r"^(?:how|in what way)\s+(?:did|does|do|is|was|are|were)\s+(.+?)\s+"
                          r"(?:compare|differ|contrast)\s+(?:with|to|from)\s+(.+?)\s*\?*$|"
                          r"^what\s+(?:is|was|are|were)\s+the\s+differences?\s+between\s+"
                          r"(.+?)\s+and\s+(.+?)\s*\?*$", re.IGNORECASE)


def _compared(question: str) -> list[str]:
    """"What X at A, compared with B?" -> "What X at A?", "What X at B?"; so too "What X of
    A and of B?" (the preposition said again) and "How did A compare with B?"."""
    both = _HOW_COMPARE.match(question)
    if both:
        a, b = (thing for thing in both.groups() if thing)
        owner = re.match(r"[\w-]+['’]s\s+(.+)", a)
        if owner and re.fullmatch(r"[\w-]+['’]s", b):  # "Hungary's stance ... Austria's"
            b = f"{b} {owner.group(1)}"
        return [f"What was {a}?", f"What was {b}?"]
    again = _PREP_AGAIN.search(question)
    if again:
        first = question[:again.start()].rstrip(" ,")
        at = first.lower().rfind(f" {again.group(1).lower()} ")
        if at > 0:
            return [f"{first}?", f"{first[:at + 1]}{question[again.start(1):].rstrip(' ?')}?"]
    m = _COMPARED.search(question)
    events = list(_EVENT.finditer(question, 0, m.start())) if m else []
    if not m or not events:
        return [question]
    first = question[:m.start()].rstrip(" ,?")
    other = question[m.end():].rstrip(" ?")
    at = events[-1].start() if re.match(_PREP, other, re.IGNORECASE) else events[-1].end()
    return [f"{first}?", f"{first[:at]}{other}?"]


def _share_predicates(parts: list[str]) -> list[str]:
    """"When and where did they meet?": a part that is only the words that ask borrows the
    rest of the next part ("When did they meet?")."""
    out = list(parts)
    for i in range(len(out) - 2, -1, -1):
        asking = out[i].rstrip("? ")
        predicate = _PREDICATE.search(out[i + 1])
        if _WH_PHRASE.match(asking) and predicate:
            out[i] = f"{asking} {predicate.group(0)}"
    return out


def _as_question(part: str) -> str:
    part = part.strip()
    part = part if part.endswith(("?", ".")) else part + "?"
    return part[:1].upper() + part[1:]
