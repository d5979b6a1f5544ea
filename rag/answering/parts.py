"""Questions in several parts, and questions that ask for a list.

"Where did they meet in 2023, and what did they discuss by phone?" is two questions: each
is answered (or found unanswerable) on its own, with its own citation. "Which leaders has
Orban met?" or "Where has he met Putin?" wants every article's answer, not the best one.
"""

from __future__ import annotations

import re

_WH = r"(?:what|where|when|who|whom|whose|which|why|how|did|does|do|was|were|is|are|has|have)"
# ", and what ...", "; and where ...", " and who ...", "? When ...": a new question starts.
_SPLIT = re.compile(rf"(?:\s*[,;]\s*(?:and|but|also)\s+|\s+(?:and|but)\s+(?={_WH}\b)|"
                    rf"\?\s+(?=[A-Z]))(?={_WH}\b)?", re.IGNORECASE)
_LIST = re.compile(r"\b(which|what)\s+(\w+\s+)?(leaders|countries|people|officials|places|"
                   r"cities|issues|topics|meetings|events|times|ones|others)\b|"
                   r"\bwhere\s+(has|have)\b.*\b(met|meet|been|visited|travel)|"
                   r"\b(list|name)\s+(all|the|every)\b|\ball\s+the\b|\beach\b|\bevery\b|"
                   r"\b(two|three|four|both)\s+(\w+\s+)?\w+s\b|\bcompared (with|to)\b",
                   re.IGNORECASE)


def split_question(question: str) -> list[str]:
    """The question's parts, each a question of its own; one part when it is one question."""
    pieces = [p.strip(" ,;") for p in _SPLIT.split(question.strip()) if p and p.strip(" ,;?")]
    parts = []
    for piece in pieces:
        if parts and not re.match(rf"{_WH}\b", piece, re.IGNORECASE):
            parts[-1] += " and " + piece  # "Orban and Putin": no new question starts there
            continue
        parts.append(piece if piece.endswith("?") else piece + "?")
    return [p[:1].upper() + p[1:] for p in parts] or [question]


def wants_list(question: str) -> bool:
    """Does the question ask for several answers (every leader, every place)?"""
    return bool(_LIST.search(question))


# "At the Beijing meeting, what was ...?", "..., according to Politico?": the clause that asks,
# apart from the phrases that only say which event is meant.
_LEADING = re.compile(rf"^[^,?]{{3,}}?,\s*(?=({_WH}|name|list)\b)", re.IGNORECASE)
_TRAILING = re.compile(r",?\s*(according to|as reported by|in the article)\b[^,?]*(?=\?*$)",
                       re.IGNORECASE)


def asking_clause(question: str) -> str:
    """The part of the question that asks; the whole question when nothing sets the rest off."""
    return _TRAILING.sub("", _LEADING.sub("", question)).strip() or question
