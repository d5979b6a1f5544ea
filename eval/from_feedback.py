"""`rag eval --from-feedback [FILE] --out CANDIDATES.jsonl`: readers' votes (rag/feedback.py)
turned into eval-set candidates in the eval format (data/FORMAT.md), for a person to review.

A thumbs-up answer becomes a complete item: its words (without markers) as the reference,
its short answers (or its first quote) as key facts, its cited files as sources; a liked
refusal, an unanswerable item. A thumbs-down one says only that the answer was wrong, not
what is right: its reference_answer is left empty, which eval.dataset refuses until a
person writes it (with key facts and sources, or both [] if the articles cannot answer).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rag import feedback
from rag.answering.markers import strip_markers
from rag.settings import Settings

CATEGORY = "from_feedback"


class FeedbackError(Exception):
    """The candidates cannot be written; one line, exit code 2."""


def run_from_cli(args: argparse.Namespace, settings: Settings) -> int:
    try:
        return _cli(args, settings)
    except FeedbackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _cli(args: argparse.Namespace, settings: Settings) -> int:
    source = Path(args.from_feedback or settings.data_dir / feedback.FILE_NAME)
    if not args.out:
        raise FeedbackError("--from-feedback needs --out CANDIDATES.jsonl")
    out = Path(args.out)
    if out.exists():  # it may hold a person's review: never written over
        raise FeedbackError(f"{out} already exists; choose another --out")
    if not source.is_file():
        raise FeedbackError(f"no feedback file at {source} (votes in the chat write it)")
    records, bad = feedback.read(source)
    items = candidates(records)
    if not items:
        raise FeedbackError(f"{source} holds no votes to turn into candidates")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items),
                   encoding="utf-8")
    todo = [n for n, i in enumerate(items, start=1) if not i["reference_answer"]]
    print(f"wrote {len(items)} candidates to {out} from {len(records)} votes in {source}"
          + (f" ({bad} unreadable lines skipped)" if bad else ""))
    print("Review every candidate before adding it to an eval set: a thumbs-up answer may "
          "still be wrong, and its key facts may need shortening or variants.")
    if todo:
        print(f"Lines {', '.join(map(str, todo))} (thumbs-down) need a person: write "
              "reference_answer, and key_facts and sources (both [] if the articles cannot "
              "answer); until then eval.dataset refuses the file.")
    return 0


def candidates(records: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One candidate per answer voted on: the last vote on it counts (a reader may change
    their mind, or take the vote back)."""
    last: dict[str, dict[str, Any]] = {}
    for rec in records:
        key = _key(rec)
        last.pop(key, None)  # re-inserted: ordered by the latest vote
        last[key] = rec
    return [candidate(rec, key) for key, rec in last.items() if rec.get("vote") in ("up", "down")]


def candidate(rec: dict[str, Any], key: str) -> dict[str, Any]:
    cited = [c for c in rec.get("citations") or [] if isinstance(c, dict)]
    answer = strip_markers(str(rec.get("answer") or ""))
    # A liked answer is a reference when it cites (or refuses: an unanswerable item);
    # anything else needs a person to say what the right answer is.
    complete = rec.get("vote") == "up" and bool(rec.get("refused") or cited)
    answered = complete and not rec.get("refused")
    return {
        "id": f"fb-{key[:12]}",
        "question": rec["question"],
        "reference_answer": answer if complete else "",
        "key_facts": _key_facts(cited) if answered else [],
        "sources": list(dict.fromkeys(str(c.get("source")) for c in cited)) if answered else [],
        "category": CATEGORY,
        "history": _history(rec.get("history")),
        "split": "dev",
    }


def _key_facts(cited: list[dict[str, Any]]) -> list[list[str]]:
    """Each short answer the citations mark (answer_start/end inside the quote), or, with
    none, the first quote itself."""
    facts: dict[str, None] = {}
    for c in cited:
        lo, hi, start, text = (c.get(k) for k in ("answer_start", "answer_end", "start", "text"))
        if all(isinstance(x, int) for x in (lo, hi, start)) and isinstance(text, str):
            value = text[lo - start:hi - start].strip() if 0 <= lo - start < hi - start else ""
            if value:
                facts.setdefault(value, None)
    if not facts and cited:
        facts[" ".join(str(cited[0].get("text") or "").split())] = None
    return [[f] for f in facts if f]


def _history(turns: Any) -> list[dict[str, str]]:
    return [{"role": t["role"], "content": t["content"]} for t in turns or []
            if isinstance(t, dict) and t.get("role") in ("user", "assistant")
            and isinstance(t.get("content"), str)]


def _key(rec: dict[str, Any]) -> str:
    """The answer voted on: the same question, turns before it and answer."""
    text = json.dumps([rec.get("question"), _history(rec.get("history")), rec.get("answer")],
                      ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
