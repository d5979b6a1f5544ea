"""The generative answerer: any OpenAI-compatible chat endpoint writes the answer.

The model sees numbered passages and must cite them as [n]; its reply is then
checked: markers that point at no passage are dropped, and only the passages the
answer cites are returned. Small models often write no marker at all; their answer
is then attributed to the passages its sentences' words come from, and an answer
that no passage supports is refused (it came from the model, not the articles).
Each sentence of a finished answer is then checked against the passages it cites
(rag.answering.support); those they do not support are listed as `unsupported`.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Literal

import httpx
from openai import OpenAI

from rag.answering.base import (
    REFUSAL,
    AnswerDraft,
    AnswerEvent,
    TextDelta,
    cite,
    keep_valid_markers,
    refusal,
)
from rag.answering.question import Question
from rag.answering.support import NO_ANSWER, unsupported_sentences
from rag.errors import RagError
from rag.schemas import Passage, Turn
from rag.settings import Settings
from rag.text import content_terms, sentence_spans

if TYPE_CHECKING:
    from rag.components.embedding import EmbeddingModel

SYSTEM_PROMPT = (
    "You answer questions about news articles using ONLY the numbered passages given "
    "to you. Do not use any other knowledge. After each sentence, cite the passages it "
    "rests on as [1], [2], and so on. If the passages do not contain the answer, reply "
    f"exactly: {REFUSAL}"
)
MAX_HISTORY_TURNS = 6
# Attribution of an answer that cites nothing: a sentence belongs to the passage holding at
# least this share of its content words (and it needs a few content words to judge at all).
MIN_WORD_OVERLAP = 0.5
MIN_CONTENT_WORDS = 3


class LLMUnavailableError(RagError, RuntimeError):
    """The LLM endpoint is unreachable or failed the request."""

    code = "llm_unavailable"
    status = 503


class LLMBusyError(RagError, RuntimeError):
    """All LLM slots are taken (RAG_LLM_CONCURRENCY)."""

    code = "llm_busy"
    status = 503
    retry_after_s = 5  # a slot frees when one answer finishes: seconds, not minutes


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


def format_passages(passages: Sequence[Passage]) -> str:
    return "\n\n".join(f"[{i}] (from {p.source})\n{p.text}" for i, p in enumerate(passages, 1))


def build_messages(question: str, passages: Sequence[Passage],
                   history: Sequence[Turn]) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": SYSTEM_PROMPT}]
    # Earlier answers' [n] pointed at earlier passages; left in, the model would copy them.
    messages += [{"role": t.role, "content": keep_valid_markers(t.content, set())}
                 for t in history[-MAX_HISTORY_TURNS:] if t.role in ("user", "assistant")]
    messages.append({"role": "user", "content":
                     f"Passages:\n\n{format_passages(passages)}\n\nQuestion: {question}"})
    return messages


CONDENSE_MAX_TOKENS = 64


class GenerativeAnswerer:
    mode: Literal["extractive", "llm"] = "llm"

    def __init__(self, settings: Settings, slot_wait_s: float = 30.0,
                 embedder: EmbeddingModel | None = None) -> None:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        # A host that does not answer fails in seconds; a slow generation may take its time.
        timeout = httpx.Timeout(settings.llm_timeout_s, connect=min(5.0, settings.llm_timeout_s))
        self.client = OpenAI(api_key=key, base_url=settings.openai_base_url,
                             timeout=timeout, max_retries=1)
        self.model = settings.llm_model
        self.max_tokens = settings.llm_max_tokens
        self._slots = threading.BoundedSemaphore(settings.llm_concurrency)
        self._slot_wait_s = slot_wait_s
        self.embedder = embedder  # for the support check; without it, wording alone judges

    def condense(self, asked: Question) -> str | None:
        """The follow-up rewritten as a standalone question by the LLM, for retrieval; None
        when it does not refer back, or the LLM gives nothing usable (the rules then)."""
        if not asked.is_follow_up:
            return None
        question, history = asked.text, asked.history
        # An LLM call like any other: it takes a slot (RAG_LLM_CONCURRENCY), or the rules do.
        if not self._slots.acquire(timeout=self._slot_wait_s):
            return None
        try:
            reply = self.client.with_options(max_retries=0).chat.completions.create(
                model=self.model, temperature=0, max_tokens=CONDENSE_MAX_TOKENS,
                messages=[{"role": "user", "content": condense_prompt(question, history)}])
        except Exception:  # retrieval still works from the rules; the answer call reports
            return None
        finally:
            self._slots.release()
        return usable_rewrite(reply.choices[0].message.content or "", question)

    def check(self) -> None:
        try:
            self.client.with_options(max_retries=0).models.list(timeout=5)
        except Exception as exc:
            raise LLMUnavailableError(f"LLM endpoint unreachable: {exc}") from None

    def stream(self, asked: Question, passages: Sequence[Passage]) -> Iterator[AnswerEvent]:
        question, history = asked.text, asked.history
        if not passages:
            yield TextDelta(REFUSAL)
            yield refusal()
            return
        if not self._slots.acquire(timeout=self._slot_wait_s):
            raise LLMBusyError("the LLM is busy with other requests; retry shortly")
        try:
            draft = yield from self._generate(question, passages, history)
        finally:
            self._slots.release()  # the support check needs no LLM: free the slot first
        yield self.check_support(draft, passages)

    def check_support(self, draft: AnswerDraft, passages: Sequence[Passage]) -> AnswerDraft:
        """The draft with the sentences its cited passages do not support."""
        if draft.refused:
            return draft
        return replace(draft, unsupported=unsupported_sentences(draft.answer, passages,
                                                                self.embedder))

    def _generate(self, question: str, passages: Sequence[Passage],
                  history: Sequence[Turn]) -> Generator[TextDelta, None, AnswerDraft]:
        """Stream the cleaned answer text; return the draft (its text is what was streamed)."""
        messages = build_messages(question, passages, history)
        text, cleaner = "", MarkerStream(set(range(1, len(passages) + 1)))
        try:
            # `with` closes the HTTP stream when the reader stops early (a client went away);
            # otherwise the server generates on to max_tokens, holding its only model busy.
            with self.client.chat.completions.create(
                    model=self.model, messages=messages,  # type: ignore[arg-type]
                    temperature=0, max_tokens=self.max_tokens, stream=True) as chunks:
                for chunk in chunks:
                    delta = chunk.choices[0].delta.content if chunk.choices else None
                    if not delta:
                        continue
                    text += delta
                    if piece := cleaner.feed(delta):
                        yield TextDelta(piece)
        except Exception as exc:
            raise LLMUnavailableError(f"LLM request failed: {exc}") from None
        if piece := cleaner.close():
            yield TextDelta(piece)
        draft = cite(text, passages)
        if not draft.citations and not NO_ANSWER.search(text):
            found = attribute(draft.answer, passages)
            if found:  # the markers go at the end, so the streamed text stays the answer's
                markers = "".join(f"[{n}]" for n in found)
                yield TextDelta(f" {markers}")
                draft = cite(f"{draft.answer} {markers}", passages)
        # An answer no passage supports is refused; the streamed words are then superseded.
        return draft if draft.citations else refusal()


def attribute(answer: str, passages: Sequence[Passage]) -> list[int]:
    """The passages (1-based) an uncited answer's sentences take most of their words from.

    Sentences too short to judge ("1) Hungary") are judged together, as one more piece."""
    vocab = [content_terms(p.text) for p in passages]
    pieces = [content_terms(answer[lo:hi]) for lo, hi in sentence_spans(answer)]
    short = set().union(*(w for w in pieces if len(w) < MIN_CONTENT_WORDS)) if pieces else set()
    found: dict[int, None] = {}
    for words in [w for w in pieces if len(w) >= MIN_CONTENT_WORDS] + [short]:
        if not words or not vocab:
            continue
        # The best share wins; on a tie, the higher-ranked (lower-numbered) passage.
        share, minus_n = max((len(words & v) / len(words), -n) for n, v in enumerate(vocab, 1))
        if share >= MIN_WORD_OVERLAP:
            found.setdefault(-minus_n, None)
    return list(found)


class MarkerStream:
    """Cleans markers while the text streams, so the pieces add up to the final answer.

    Each time, the whole text so far is cleaned as the final answer will be and only the
    new part is sent. Held back: an unclosed "[1-" (it may become a marker, valid or not)
    and trailing white space (a dropped marker or a "." may still follow and remove it).
    Cleaning is prefix-stable otherwise: markers close with "]", and the white-space rules
    look no further ahead than the next non-space character.
    """

    def __init__(self, valid: set[int]) -> None:
        self.valid = valid
        self.text = ""
        self.sent = ""

    def feed(self, delta: str) -> str:
        """The next piece to send ("" while everything new is held back)."""
        self.text += delta
        safe, _ = _split_safe(self.text)
        return self._next(keep_valid_markers(safe, self.valid).rstrip())

    def close(self) -> str:
        """The rest, once the stream has ended: the sent pieces now make the final answer."""
        return self._next(keep_valid_markers(self.text, self.valid))

    def _next(self, cleaned: str) -> str:
        if not cleaned.startswith(self.sent):  # cannot happen (see above); never resend
            return ""
        piece, self.sent = cleaned[len(self.sent):], cleaned
        return piece


# An unclosed "[" followed only by what a marker may hold ("[", "[1", "[ 1, 2", "[1-").
_OPEN_MARKER = re.compile(r"\[[\s\d,;\-–]*$")


def _split_safe(pending: str) -> tuple[str, str]:
    """Split off an unclosed tail that may still become a marker, to hold it back."""
    tail = _OPEN_MARKER.search(pending)
    return (pending[:tail.start()], tail.group()) if tail else (pending, "")
