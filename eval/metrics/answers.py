"""Answers: are the key facts there, and how close are the words to the reference?

A key fact is present when any of its variants is a substring of the answer, both
normalised (case, accents, typography, whitespace). Token F1 is SQuAD's: bag-of-words
overlap after lower-casing and dropping punctuation and articles. Both are measured
on answerable questions; a refusal there scores zero whatever its wording.
"""

from __future__ import annotations

import re
import string
from collections import Counter
from collections.abc import Sequence
from typing import Any

from eval.metrics.base import Metric, mean
from eval.metrics.text import normalise, strip_markers
from eval.records import QuestionRecord

METRICS = [
    Metric("accuracy", "key-fact accuracy", "answers", "rate"),
    Metric("fact_recall", "key-fact recall", "answers", "rate"),
    Metric("f1", "token F1", "answers", "rate"),
]

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCTUATION = str.maketrans({ch: " " for ch in string.punctuation + "’‘“”–—"})


def facts_found(answer: str, key_facts: Sequence[Sequence[str]]) -> list[bool]:
    text = normalise(strip_markers(answer))
    return [any(normalise(v) in text for v in variants) for variants in key_facts]


def f1_tokens(text: str) -> list[str]:
    return _ARTICLES.sub(" ", normalise(text).translate(_PUNCTUATION)).split()


def token_f1(prediction: str, reference: str) -> float:
    pred, ref = f1_tokens(strip_markers(prediction)), f1_tokens(reference)
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def score(record: QuestionRecord) -> dict[str, Any]:
    if not record.answerable:
        return {}
    answer = record.answer if record.answered and record.answer else ""
    found = facts_found(answer, record.key_facts) if answer else [False] * len(record.key_facts)
    return {
        "facts_found": found,
        "missing_facts": [v[0] for v, ok in zip(record.key_facts, found, strict=True) if not ok],
        "correct": all(found),
        "fact_recall": sum(found) / len(found) if found else 0.0,
        "f1": token_f1(answer, record.reference_answer) if answer else 0.0,
    }


def summarise(records: Sequence[QuestionRecord]) -> dict[str, float | None]:
    scored = [score(r) for r in records if r.answerable]
    return {"accuracy": mean(s["correct"] for s in scored),
            "fact_recall": mean(s["fact_recall"] for s in scored),
            "f1": mean(s["f1"] for s in scored)}
