"""Load an eval set (JSONL, see data/FORMAT.md) and refuse bad input with the line named."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.schemas import Turn

_DATA = Path(__file__).resolve().parent / "data"
DEFAULT_SET = _DATA / "articles_qa.jsonl"  # the dev split
HELDOUT_SET = _DATA / "articles_qa_heldout.jsonl"
DEFAULT_SETS = (DEFAULT_SET, HELDOUT_SET)  # what `rag eval` runs without --set

# dev: what tuning may look at; heldout: only for checking that tuning generalised.
SPLITS = ("dev", "heldout")
DEFAULT_SPLIT = "dev"

_FIELDS = ("id", "question", "reference_answer", "key_facts", "sources", "category", "history")
_OPTIONAL = ("split",)


class DatasetError(ValueError):
    """The eval set is malformed; the message names the file and line."""


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str
    reference_answer: str
    key_facts: list[list[str]]
    sources: list[str]
    category: str
    history: list[Turn] = field(default_factory=list)
    split: str = DEFAULT_SPLIT
    line: int = 0

    @property
    def answerable(self) -> bool:
        return bool(self.sources)


def load_dataset(path: Path) -> list[EvalItem]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"cannot read the eval set {path}: {exc.strerror or exc}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise DatasetError(f"{path}:{line}: not UTF-8 text") from None
    items: list[EvalItem] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():  # blank lines (e.g. a trailing one) carry nothing
            continue
        try:
            item = parse_item(line, number)
        except DatasetError as exc:
            raise DatasetError(f"{path}:{number}: {exc}") from None
        if item.id in seen:
            raise DatasetError(f"{path}:{number}: duplicate id '{item.id}' "
                               f"(first used on line {seen[item.id]})")
        seen[item.id] = number
        items.append(item)
    if not items:
        raise DatasetError(f"{path}: the eval set has no questions")
    return items


def load_sets(paths: Sequence[Path]) -> list[EvalItem]:
    """Several files run as one set (e.g. dev + heldout); ids must be unique across them."""
    items: list[EvalItem] = []
    seen: dict[str, Path] = {}
    for path in paths:
        for item in load_dataset(path):
            if item.id in seen:  # results and reports are keyed by id
                raise DatasetError(f"{path}:{item.line}: duplicate id '{item.id}' "
                                   f"(also used in {seen[item.id]})")
            seen[item.id] = path
            items.append(item)
    return items


def set_fingerprint(paths: Path | Sequence[Path]) -> str:
    """Short content hash of every file, so a comparison against a run on another set
    (or on one split only) can be flagged."""
    if isinstance(paths, Path):
        paths = [paths]
    digests = [hashlib.sha256(p.read_bytes()).digest() for p in paths]
    if len(digests) == 1:  # one file hashes as it always has: old baselines stay comparable
        return digests[0].hex()[:16]
    return hashlib.sha256(b"".join(digests)).hexdigest()[:16]


def parse_item(line: str, number: int = 0) -> EvalItem:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise DatasetError("expected a JSON object")
    missing = [f for f in _FIELDS if f not in obj]
    if missing:
        raise DatasetError(f"missing field(s): {', '.join(missing)}")
    unknown = sorted(set(obj) - set(_FIELDS) - set(_OPTIONAL))
    if unknown:  # most often a misspelt field, which would silently change a metric
        raise DatasetError(f"unknown field(s): {', '.join(unknown)}")
    for name in ("id", "question", "reference_answer", "category"):
        _text(obj[name], name)
    key_facts = _key_facts(obj["key_facts"])
    sources = _sources(obj["sources"])
    if bool(key_facts) != bool(sources):
        raise DatasetError("key_facts and sources must both be empty (an unanswerable question) "
                           "or both be non-empty")
    return EvalItem(id=obj["id"], question=obj["question"],
                    reference_answer=obj["reference_answer"], key_facts=key_facts,
                    sources=sources, category=obj["category"],
                    history=_history(obj["history"]),
                    split=_split(obj.get("split", DEFAULT_SPLIT)), line=number)


def _split(value: Any) -> str:
    # A closed list: a misspelt split would quietly report a third column.
    if value not in SPLITS:
        raise DatasetError(f"'split' must be one of {', '.join(map(repr, SPLITS))} "
                           f"(or left out for \"{DEFAULT_SPLIT}\"), not {json.dumps(value)}")
    return str(value)


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise DatasetError(f"'{name}' must be a non-empty string")
    return value


def _key_facts(value: Any) -> list[list[str]]:
    if not isinstance(value, list):
        raise DatasetError("'key_facts' must be a list of lists of strings")
    facts = []
    for i, fact in enumerate(value, start=1):
        if not isinstance(fact, list) or not fact:
            raise DatasetError(f"key fact {i} must be a non-empty list of accepted variants")
        for variant in fact:
            if not isinstance(variant, str) or not variant.strip():
                raise DatasetError(f"key fact {i} has a variant that is not a non-empty string")
        facts.append(list(fact))
    return facts


def _sources(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise DatasetError("'sources' must be a list of file names")
    for name in value:
        if "/" in name or "\\" in name:
            raise DatasetError(f"source '{name}' must be a file name only, without a folder")
    return list(value)


def _history(value: Any) -> list[Turn]:
    if not isinstance(value, list):
        raise DatasetError("'history' must be a list of {role, content} objects")
    turns = []
    for i, turn in enumerate(value, start=1):
        if (not isinstance(turn, dict) or set(turn) != {"role", "content"}
                or turn["role"] not in ("user", "assistant")
                or not isinstance(turn["content"], str)):
            raise DatasetError(f"history turn {i} must be "
                               '{"role": "user" or "assistant", "content": string}')
        turns.append(Turn(role=turn["role"], content=turn["content"]))
    return turns
