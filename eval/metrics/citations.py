"""Citations: do answers cite the expected articles, and is the bookkeeping exact?

- citation hit rate: answered, answerable questions whose citations include an
  expected article;
- citation precision: of all passages those answers cite, the share from an
  expected article (pooled over citations);
- citation validity: answers whose [n] markers and citation list match exactly:
  every [n] has a listed citation, nothing listed is unused, numbers are unique,
  and a refusal carries no citations (the API contract);
- offsets exact: cited text equals the article's text at [start:end].
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.metrics.base import Metric, mean, ratio
from eval.metrics.text import markers
from eval.records import QuestionRecord

METRICS = [
    Metric("citation_hit_rate", "citation hit rate", "citations", "rate"),
    Metric("citation_precision", "citation precision", "citations", "rate"),
    Metric("citation_validity", "[n] <-> citation valid", "citations", "rate"),
    Metric("offsets_exact", "citation offsets exact", "citations", "rate"),
]


def citation_problems(answer: str, refused: bool, listed: Sequence[int]) -> list[str]:
    """What breaks the contract between the answer's [n] markers and its citation list."""
    used = set(markers(answer))
    problems = []
    if refused and listed:
        problems.append("a refusal lists citations")
    if unlisted := sorted(used - set(listed)):
        problems.append(f"markers without a citation: {unlisted}")
    if unused := sorted(set(listed) - used):
        problems.append(f"citations the answer does not use: {unused}")
    if len(set(listed)) != len(listed):
        problems.append("a citation number is listed twice")
    return problems


def score(record: QuestionRecord) -> dict[str, Any]:
    if record.answer is None:
        return {}
    listed = [c.n for c in record.citations]
    out: dict[str, Any] = {
        "citation_problems": citation_problems(record.answer, bool(record.refused), listed)}
    if record.answerable and record.answered:
        from_expected = sum(c.source in record.expected_sources for c in record.citations)
        out |= {"citation_hit": from_expected > 0, "cited_from_expected": from_expected,
                "cited": len(record.citations)}
    return out


def summarise(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    scored = [score(r) for r in records]
    judged = [s for s in scored if "citation_hit" in s]
    checked = [r for r in records if r.offset_mismatches is not None]
    return {
        "citation_hit_rate": mean(s["citation_hit"] for s in judged),
        "citation_precision": ratio(sum(s["cited_from_expected"] for s in judged),
                                    sum(s["cited"] for s in judged)),
        "citation_validity": mean(not s["citation_problems"] for s in scored if s),
        "offsets_exact": ratio(sum(len(r.citations) - (r.offset_mismatches or 0)
                                   for r in checked),
                               sum(len(r.citations) for r in checked)),
    }
