"""One question's run: what was expected, what was retrieved, answered and cited.

Metrics are pure functions over these records, and results.json stores them whole,
so any failure can be read back without re-running the bot.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rag.schemas import Citation, Passage, Timings, Turn


@dataclass(frozen=True)
class SentenceVerdict:
    """The judge's verdict on one answer sentence against the passages it cites."""

    sentence: str
    cited: list[int]
    # supported | unsupported | uncited (no marker) | unparseable (judge reply) | error (call)
    verdict: str
    reply: str = ""


@dataclass
class QuestionRecord:
    id: str
    category: str
    question: str
    key_facts: list[list[str]] = field(default_factory=list)
    expected_sources: list[str] = field(default_factory=list)
    reference_answer: str = ""
    history: list[Turn] = field(default_factory=list)
    search_query: str = ""
    retrieved: list[Passage] = field(default_factory=list)
    answer: str | None = None  # None: the question never got an answer (see `error`)
    refused: bool | None = None
    mode: str | None = None
    citations: list[Citation] = field(default_factory=list)
    timings_ms: Timings | None = None
    error: str | None = None
    judge: list[SentenceVerdict] | None = None  # None: not judged
    # Citations whose text differs from the article at [start:end]; None: not checked.
    offset_mismatches: int | None = None
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def answerable(self) -> bool:
        return bool(self.expected_sources)

    @property
    def answered(self) -> bool:
        """Got a real (non-refusal) answer."""
        return self.answer is not None and self.refused is False

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "category": self.category, "question": self.question,
            "history": [t.model_dump() for t in self.history],
            "reference_answer": self.reference_answer, "key_facts": self.key_facts,
            "expected_sources": self.expected_sources, "answerable": self.answerable,
            "search_query": self.search_query,
            "answer": self.answer, "refused": self.refused, "mode": self.mode,
            "citations": [c.model_dump() for c in self.citations],
            "retrieved": [p.model_dump() for p in self.retrieved],
            "timings_ms": self.timings_ms.model_dump() if self.timings_ms else None,
            "error": self.error,
            "offset_mismatches": self.offset_mismatches,
            "judge": None if self.judge is None else [v.__dict__ for v in self.judge],
            "scores": self.scores,
        }
