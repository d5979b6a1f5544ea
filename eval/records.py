"""One question's run: what was expected, what was retrieved, answered and cited; and a
whole run's records with how they were produced.

Metrics are pure functions over these records (eval.metrics: `summarise(run.records)`), and
results.json stores them whole, so any failure can be read back without re-running the bot.
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
    split: str = "dev"
    key_facts: list[list[str]] = field(default_factory=list)
    expected_sources: list[str] = field(default_factory=list)
    reference_answer: str = ""
    history: list[Turn] = field(default_factory=list)
    # The passages retrieval returned for the answer (Answer.retrieved): what the answerer saw.
    retrieved: list[Passage] = field(default_factory=list)
    answer: str | None = None  # None: the question never got an answer (see `error`)
    refused: bool | None = None
    mode: str | None = None
    citations: list[Citation] = field(default_factory=list)
    # A refusal's closest passages: further reading only, never scored as citations.
    related: list[Passage] = field(default_factory=list)
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
            "id": self.id, "split": self.split, "category": self.category,
            "question": self.question, "history": [t.model_dump() for t in self.history],
            "reference_answer": self.reference_answer, "key_facts": self.key_facts,
            "expected_sources": self.expected_sources, "answerable": self.answerable,
            "answer": self.answer, "refused": self.refused, "mode": self.mode,
            "citations": [c.model_dump() for c in self.citations],
            "related": [p.model_dump() for p in self.related],
            "retrieved": [p.model_dump() for p in self.retrieved],
            "timings_ms": self.timings_ms.model_dump() if self.timings_ms else None,
            "error": self.error,
            "offset_mismatches": self.offset_mismatches,
            "judge": None if self.judge is None else [v.__dict__ for v in self.judge],
            "scores": self.scores,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> QuestionRecord:
        """The inverse of `to_json`, for reading a results.json back.

        Older files lack `split` (they ran the dev set) and `related`, and carry a
        `search_query` that is no longer kept: it is ignored."""
        timings, judge = obj.get("timings_ms"), obj.get("judge")
        return cls(
            id=obj["id"], split=obj.get("split", "dev"), category=obj["category"],
            question=obj["question"], key_facts=obj.get("key_facts", []),
            expected_sources=obj.get("expected_sources", []),
            reference_answer=obj.get("reference_answer", ""),
            history=[Turn.model_validate(t) for t in obj.get("history", [])],
            retrieved=[Passage.model_validate(p) for p in obj.get("retrieved", [])],
            answer=obj.get("answer"), refused=obj.get("refused"), mode=obj.get("mode"),
            citations=[Citation.model_validate(c) for c in obj.get("citations", [])],
            related=[Passage.model_validate(p) for p in obj.get("related", [])],
            timings_ms=None if timings is None else Timings.model_validate(timings),
            error=obj.get("error"),
            judge=None if judge is None else [SentenceVerdict(**v) for v in judge],
            offset_mismatches=obj.get("offset_mismatches"),
            scores=obj.get("scores", {}))


@dataclass
class EvalRun:
    """An eval set's records and how they were produced (the harness: eval.runner)."""

    records: list[QuestionRecord]
    top_k: int
    answerer: str
    judge_status: str = "not run (pass --judge)"
    meta: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
