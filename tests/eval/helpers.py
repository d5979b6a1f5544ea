"""Hand-made question records for the metric tests."""

from __future__ import annotations

from typing import Any

from eval.records import QuestionRecord
from rag.schemas import Citation, Passage, Timings


def passage(source: str, text: str = "some text", start: int = 0) -> Passage:
    return Passage(source=source, doc_id=f"doc-{source}", chunk_id=f"{source}:{start}",
                   text=text, start=start, end=start + len(text), score=0.5)


def citation(n: int, source: str, text: str = "some text") -> Citation:
    return Citation(n=n, **passage(source, text).model_dump())


def record(answer: str | None = "An answer [1].", *, sources: tuple[str, ...] = ("a.txt",),
           facts: list[list[str]] | None = None, refused: bool | None = False,
           cited: tuple[str, ...] = ("a.txt",), retrieved: tuple[str, ...] = ("a.txt",),
           category: str = "single", reference: str = "", timings: tuple[float, ...] | None =
           (10.0, 20.0, 30.0), **extra: Any) -> QuestionRecord:
    """An answered question by default; `sources=()` makes it unanswerable."""
    return QuestionRecord(
        id=extra.pop("id", "q"), category=category, question="A question?",
        key_facts=facts if facts is not None else ([["answer"]] if sources else []),
        expected_sources=list(sources), reference_answer=reference,
        retrieved=[passage(s) for s in retrieved], answer=answer,
        refused=None if answer is None else refused,
        citations=[citation(n, s) for n, s in enumerate(cited, start=1)],
        timings_ms=None if timings is None else Timings(retrieve=timings[0],
                                                        generate=timings[1],
                                                        total=timings[2]),
        **extra)
