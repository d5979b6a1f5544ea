"""Follow-ups: what "he", "there", "that visit" refer to, from the conversation so far.

Retrieval and both answerers read a question through `standalone()`: without an LLM,
text rules; with one, the LLM rewrites the question (rag/answering/generative.py calls
`condense_prompt`), as llama-index's CondenseQuestionChatEngine does.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answering.base import REFUSAL
from rag.answering.markers import MARKER
from rag.schemas import Turn
from rag.text import STOPWORDS, content_terms

_PRONOUN = re.compile(r"\b(he|she|him|his|hers|they|them|their|theirs|it|its|there|then)\b",
                      re.IGNORECASE)
_CONTINUATION = re.compile(r"\s*(and|but|also|so|what about|how about)\b", re.IGNORECASE)
_MARKED = re.compile(r"\s*" + MARKER.pattern)  # a citation marker and the space before it
# A refusal tells no topic: the whole answer's, or one part's ("... the answer to “...”").
_NOT_ANSWERED = REFUSAL.removesuffix(" to this question.")
_DEMONSTRATIVE = re.compile(r"\b(that|this|those|these|the same)\s+(\w+)", re.IGNORECASE)


@dataclass(frozen=True)
class Standalone:
    """A question as it reads on its own."""

    question: str  # as asked
    context: str  # the earlier question it refers back to, or ""
    answered: str = ""  # the answer given to it, if one was (without its [n] markers)

    @property
    def search_text(self) -> str:
        """What retrieval searches: the follow-up with the question it continues."""
        return f"{self.context}\n{self.question}" if self.context else self.question


CONDENSE_PROMPT = (  # the idea of llama-index's CondenseQuestionChatEngine, in our words
    "Rewrite the follow-up question so that it can be understood without the conversation: "
    "replace every pronoun and reference (he, there, that visit, then) by what it refers to. "
    "Reply with the rewritten question only.\n\nConversation:\n{history}\n\n"
    "Follow-up question: {question}\nRewritten question:")


def condense_prompt(question: str, history: Sequence[Turn], turns: int = 4) -> str:
    lines = [f"{t.role}: {t.content}" for t in history[-turns:] if t.role != "system"]
    return CONDENSE_PROMPT.format(history="\n".join(lines), question=question)


def usable_rewrite(rewrite: str, question: str) -> str | None:
    """The LLM's rewrite, if it looks like one question; None to fall back to the rules."""
    line = rewrite.strip().splitlines()[0].strip(' "') if rewrite.strip() else ""
    if not line or len(line) > 4 * len(question) + 200 or not content_terms(line):
        return None
    return line


def refers_back(question: str) -> bool:
    """Does the question point at something said before ("he", "that trip", "and where?")?"""
    if _PRONOUN.search(question) or _CONTINUATION.match(question):
        return True
    if len(content_terms(question)) < 2:  # "Why?", "And when?": nothing to search on its own
        return True
    return any(m.group(2).lower() not in STOPWORDS for m in _DEMONSTRATIVE.finditer(question))


def standalone(question: str, history: Sequence[Turn]) -> Standalone:
    """The question with the earlier question it continues, when it continues one."""
    if not refers_back(question):
        return Standalone(question, "")  # "What is the capital of Australia?" stands alone
    previous = next((t.content for t in reversed(history) if t.role == "user"), "")
    last = history[-1] if history else None
    answered = (_MARKED.sub("", last.content).strip()
                if previous and last is not None and last.role == "assistant"
                and not last.content.startswith(_NOT_ANSWERED) else "")
    return Standalone(question, previous, answered)
