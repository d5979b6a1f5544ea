"""Faithfulness, from the LLM judge's per-sentence verdicts (see eval/judge.py).

faithfulness: judged sentences supported by the passages they cite (a sentence
citing nothing counts as unsupported); faithful answers: answers whose every
sentence is supported. Unparseable judge replies and failed judge calls are not
verdicts: they are left out of both rates and counted on their own.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from eval.metrics.base import Metric, mean, ratio
from eval.records import QuestionRecord

METRICS = [
    Metric("faithfulness", "faithfulness (sentences)", "faithfulness", "rate"),
    Metric("faithful_answers", "faithful answers", "faithfulness", "rate"),
    Metric("judge_unparseable", "judge replies unparseable", "faithfulness", "count",
           higher_is_better=False),
    Metric("judge_errors", "judge calls failed", "faithfulness", "count",
           higher_is_better=False),
]
VERDICTS = ("supported", "unsupported", "uncited")  # the ones that count


def answer_faithful(record: QuestionRecord) -> bool | None:
    """False if any sentence fails; None if unknown (a reply unreadable, or nothing judged)."""
    if not record.judge:
        return None
    verdicts = {v.verdict for v in record.judge}
    if verdicts & {"unsupported", "uncited"}:
        return False
    return True if verdicts == {"supported"} else None


def score(record: QuestionRecord) -> dict[str, Any]:
    return {} if record.judge is None else {"faithful": answer_faithful(record)}


def summarise(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    judged = [r for r in records if r.judge is not None]
    if not judged:
        return dict.fromkeys(("faithfulness", "faithful_answers", "judge_unparseable",
                              "judge_errors"))
    counts = Counter(v.verdict for r in judged for v in r.judge or [])
    known = [f for f in (answer_faithful(r) for r in judged) if f is not None]
    return {"faithfulness": ratio(counts["supported"], sum(counts[v] for v in VERDICTS)),
            "faithful_answers": mean(known),
            "judge_unparseable": counts["unparseable"], "judge_errors": counts["error"]}
