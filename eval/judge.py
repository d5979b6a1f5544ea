"""Faithfulness judged by an LLM: is each answer sentence supported by the passages it cites?

A small prompt of our own, sent through the openai client to the configured
OpenAI-compatible endpoint (no other service is called, nothing is downloaded,
the client sends no telemetry). The judge must reply SUPPORTED or UNSUPPORTED;
a reply that says neither (or both) is recorded as "unparseable" with its text,
so it is counted and shown, never silently dropped or guessed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor

from tqdm import tqdm

from eval.metrics.text import MARKER, markers, strip_markers
from eval.records import QuestionRecord, SentenceVerdict
from rag.schemas import Citation
from rag.settings import Settings
from rag.text import sentence_spans

SYSTEM_PROMPT = (
    "You are a strict fact checker. You get numbered passages from news articles and one "
    "sentence that cites them. Decide whether everything the sentence states is stated in, "
    "or directly follows from, the passages. Outside knowledge does not count. Reply with "
    "exactly one word: SUPPORTED or UNSUPPORTED."
)
MAX_REPLY_CHARS = 300  # kept in results.json so an odd reply can be read

Complete = Callable[[str, str], str]  # (system, user) -> the judge's reply text

_LEADING_MARKERS = re.compile(r"^(?:\s*" + MARKER.pattern + r")+")
_NEGATIVE = re.compile(r"\b(?:unsupported|not[\s_-]+supported)\b")
_POSITIVE = re.compile(r"\bsupported\b")


def judge_unavailable(settings: Settings) -> str | None:
    """Why the judge cannot run, or None when an LLM endpoint is configured."""
    if settings.llm == "openai" or settings.openai_base_url:
        return None
    return "no LLM configured (set RAG_LLM=openai with OPENAI_BASE_URL or OPENAI_API_KEY)"


def split_sentences(answer: str) -> list[tuple[str, list[int]]]:
    """Answer sentences with the [n] they cite; markers after a full stop stay with it."""
    pieces: list[str] = []
    for sentence in (answer[lo:hi] for lo, hi in sentence_spans(answer)):
        lead = _LEADING_MARKERS.match(sentence)
        if lead and pieces:  # "Beijing. [1] Then..." -> "[1]" belongs to "Beijing."
            pieces[-1] += " " + lead.group(0).strip()
            sentence = sentence[lead.end():]
        if sentence.strip():
            pieces.append(sentence.strip())
    out = []
    for piece in pieces:
        text = strip_markers(piece)
        if text and any(ch.isalnum() for ch in text):
            out.append((text, list(dict.fromkeys(markers(piece)))))
    return out


def parse_verdict(reply: str) -> bool | None:
    """SUPPORTED -> True, UNSUPPORTED -> False, anything else -> None (unparseable)."""
    text = reply.strip()
    try:  # some models answer in JSON whatever they are told
        obj = json.loads(text)
    except ValueError:
        obj = None
    if isinstance(obj, dict):
        value = obj.get("supported", obj.get("verdict"))
        if isinstance(value, bool):
            return value
        text = str(value) if value is not None else ""
    lowered = text.casefold()
    negative = bool(_NEGATIVE.search(lowered))
    positive = bool(_POSITIVE.search(_NEGATIVE.sub(" ", lowered)))
    if negative != positive:
        return positive
    if not negative and (yes_no := re.match(r"\W*(yes|no)\b", lowered)):
        return yes_no.group(1) == "yes"
    return None


def judge_prompt(sentence: str, passages: Sequence[Citation]) -> str:
    numbered = "\n\n".join(f"[{c.n}] (from {c.source})\n{c.text}" for c in passages)
    return (f"Passages:\n\n{numbered}\n\nSentence: {sentence}\n\n"
            "Is the sentence supported by the passages? Reply SUPPORTED or UNSUPPORTED.")


class Judge:
    def __init__(self, complete: Complete, name: str, workers: int = 1) -> None:
        self.complete = complete
        self.name = name
        self.workers = max(1, workers)

    @classmethod
    def from_settings(cls, settings: Settings, model: str | None = None) -> Judge:
        """A judge on the configured endpoint; raises if that endpoint does not answer."""
        from openai import OpenAI

        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else "none"
        client = OpenAI(api_key=key, base_url=settings.openai_base_url,
                        timeout=settings.llm_timeout_s, max_retries=1)
        client.models.list(timeout=10)  # fail once, clearly, rather than once per sentence
        name = model or settings.llm_model

        def complete(system: str, user: str) -> str:
            reply = client.chat.completions.create(
                model=name, temperature=0, max_tokens=16,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": user}])
            return reply.choices[0].message.content or ""

        return cls(complete, name, workers=settings.llm_concurrency)

    def verdict(self, sentence: str, cited: list[int],
                citations: Sequence[Citation]) -> SentenceVerdict:
        passages = [c for c in citations if c.n in cited]
        if not passages:
            return SentenceVerdict(sentence, cited, "uncited")
        try:
            reply = self.complete(SYSTEM_PROMPT, judge_prompt(sentence, passages))
        except Exception as exc:  # one failed call is one counted error, not a crashed run
            return SentenceVerdict(sentence, cited, "error", str(exc)[:MAX_REPLY_CHARS])
        supported = parse_verdict(reply)
        label = "unparseable" if supported is None else (
            "supported" if supported else "unsupported")
        return SentenceVerdict(sentence, cited, label, reply.strip()[:MAX_REPLY_CHARS])

    def judge_records(self, records: Sequence[QuestionRecord], progress: bool = True) -> None:
        """Fill record.judge for every answered question; refusals and errors are not judged."""
        tasks = [(r, text, cited) for r in records if r.answered and r.answer
                 for text, cited in split_sentences(r.answer)]
        for r in records:
            if r.answered and r.answer:
                r.judge = []
        with ThreadPoolExecutor(self.workers) as pool:
            results = pool.map(lambda t: self.verdict(t[1], t[2], t[0].citations), tasks)
            for (record, _, _), verdict in tqdm(zip(tasks, results, strict=True),
                                                total=len(tasks), desc="judge", unit="sentence",
                                                disable=not progress):
                assert record.judge is not None
                record.judge.append(verdict)
