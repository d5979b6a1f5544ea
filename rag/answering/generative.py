"""The generative answerer: any OpenAI-compatible chat endpoint writes the answer.

The model sees numbered passages and must cite them as [n]; its reply is then
checked: markers that point at no passage are dropped, and only the passages the
answer cites are returned. Small models often write no marker at all; their answer
is then attributed to the passages its sentences' words come from, and an answer
that no passage supports is refused (it came from the model, not the articles).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Sequence
from typing import Literal

import httpx
from openai import OpenAI

from rag.answering.base import REFUSAL, AnswerEvent, TextDelta, cite, keep_valid_markers, refusal
from rag.answering.text import content_terms, sentence_spans
from rag.schemas import Passage, Turn
from rag.settings import Settings

SYSTEM_PROMPT = (
    "You answer questions about news articles using ONLY the numbered passages given "
    "to you. Do not use any other knowledge. After each sentence, cite the passages it "
    "rests on as [1], [2], and so on. If the passages do not contain the answer, reply "
    f"exactly: {REFUSAL}"
)
_REFUSAL_HINTS = re.compile(
    r"(do(es)? not contain|cannot answer|can't answer|not (mentioned|stated|provided)|"
    r"no information)", re.IGNORECASE)
MAX_HISTORY_TURNS = 6
# Attribution of an answer that cites nothing: a sentence belongs to the passage holding at
# least this share of its content words (and it needs a few content words to judge at all).
MIN_WORD_OVERLAP = 0.5
MIN_CONTENT_WORDS = 3


class LLMUnavailableError(RuntimeError):
    pass


class LLMBusyError(RuntimeError):
    """All LLM slots are taken (RAG_LLM_CONCURRENCY)."""


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


class GenerativeAnswerer:
    mode: Literal["extractive", "llm"] = "llm"

    def __init__(self, settings: Settings, slot_wait_s: float = 30.0) -> None:
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        # A host that does not answer fails in seconds; a slow generation may take its time.
        timeout = httpx.Timeout(settings.llm_timeout_s, connect=min(5.0, settings.llm_timeout_s))
        self.client = OpenAI(api_key=key, base_url=settings.openai_base_url,
                             timeout=timeout, max_retries=1)
        self.model = settings.llm_model
        self.max_tokens = settings.llm_max_tokens
        self._slots = threading.BoundedSemaphore(settings.llm_concurrency)
        self._slot_wait_s = slot_wait_s

    def check(self) -> None:
        try:
            self.client.with_options(max_retries=0).models.list(timeout=5)
        except Exception as exc:
            raise LLMUnavailableError(f"LLM endpoint unreachable: {exc}") from None

    def stream(self, question: str, passages: Sequence[Passage],
               history: Sequence[Turn]) -> Iterator[AnswerEvent]:
        if not passages:
            yield TextDelta(REFUSAL)
            yield refusal()
            return
        if not self._slots.acquire(timeout=self._slot_wait_s):
            raise LLMBusyError("the LLM is busy with other requests; retry shortly")
        try:
            yield from self._generate(question, passages, history)
        finally:
            self._slots.release()

    def _generate(self, question: str, passages: Sequence[Passage],
                  history: Sequence[Turn]) -> Iterator[AnswerEvent]:
        valid = set(range(1, len(passages) + 1))
        messages = build_messages(question, passages, history)
        text, pending = "", ""
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
                    pending += delta
                    safe, pending = _split_safe(pending)
                    if safe and (piece := _clean_markers(safe, valid)):
                        yield TextDelta(piece)
        except Exception as exc:
            raise LLMUnavailableError(f"LLM request failed: {exc}") from None
        if pending and (piece := _clean_markers(pending, valid)):
            yield TextDelta(piece)
        draft = cite(text, passages)
        if not draft.citations and not _REFUSAL_HINTS.search(text):
            found = attribute(draft.answer, passages)
            if found:  # the markers go at the end, so the streamed text stays the answer's
                markers = "".join(f"[{n}]" for n in found)
                yield TextDelta(f" {markers}")
                draft = cite(f"{draft.answer} {markers}", passages)
        # An answer no passage supports is refused; the streamed words are then superseded.
        yield draft if draft.citations else refusal()


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


def _split_safe(pending: str) -> tuple[str, str]:
    """Hold back a possibly unfinished '[12' so an invalid marker never reaches the reader."""
    cut = pending.rfind("[")
    if cut != -1 and "]" not in pending[cut:] and len(pending) - cut < 12:
        return pending[:cut], pending[cut:]
    return pending, ""


def _clean_markers(text: str, valid: set[int]) -> str:
    """Like keep_valid_markers, but keeps the spacing of a streamed piece."""
    lead = text[: len(text) - len(text.lstrip())]
    trail = text[len(text.rstrip()):]
    core = keep_valid_markers(text, valid)
    return f"{lead}{core}{trail}" if core else lead or trail
