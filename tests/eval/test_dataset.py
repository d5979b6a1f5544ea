"""The eval set loader: the shipped set validates; bad input names its line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.dataset import DEFAULT_SET, DatasetError, load_dataset

GOOD = {"id": "q1", "question": "Where did they meet?", "reference_answer": "In Beijing.",
        "key_facts": [["Beijing"]], "sources": ["003.txt"], "category": "single_article",
        "history": []}


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes: object) -> str:
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...})


def test_the_shipped_set_validates() -> None:
    items = load_dataset(DEFAULT_SET)
    assert len(items) == 63
    assert len({i.id for i in items}) == len(items)
    assert {i.category for i in items} == {"single_article", "multi_article", "paraphrase",
                                           "event_disambiguation", "follow_up", "unanswerable"}
    articles = {p.name for p in (Path(__file__).parents[2] / "data" / "articles").iterdir()}
    for item in items:
        assert set(item.sources) <= articles, item.id
        assert item.answerable == (item.category != "unanswerable"), item.id
        assert bool(item.history) == (item.category == "follow_up"), item.id


def test_a_good_set_loads_with_its_history(tmp_path: Path) -> None:
    history = [{"role": "user", "content": "Where?"}, {"role": "assistant", "content": "There."}]
    path = write(tmp_path, line(), "", line(id="q2", key_facts=[], sources=[], history=history))
    first, second = load_dataset(path)
    assert first.answerable and not second.answerable
    assert [t.role for t in second.history] == ["user", "assistant"]
    assert second.line == 3


@pytest.mark.parametrize(("bad", "message"), [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "expected a JSON object"),
    (line(question=...), "missing field(s): question"),
    (line(key_fact=[["x"]]), "unknown field(s): key_fact"),
    (line(question="  "), "'question' must be a non-empty string"),
    (line(key_facts=["Beijing"]), "key fact 1 must be a non-empty list"),
    (line(key_facts=[["Beijing", ""]]), "key fact 1 has a variant"),
    (line(key_facts=[]), "must both be empty"),
    (line(sources=["data/articles/003.txt"]), "file name only"),
    (line(history=[{"role": "bot", "content": "hi"}]), "history turn 1"),
    (line(id="q0"), None),  # a good line, for contrast
])
def test_a_bad_line_is_named(tmp_path: Path, bad: str, message: str | None) -> None:
    path = write(tmp_path, line(id="first"), bad)
    if message is None:
        assert len(load_dataset(path)) == 2
        return
    with pytest.raises(DatasetError) as err:
        load_dataset(path)
    assert f"{path}:2:" in str(err.value)
    assert message in str(err.value)


def test_duplicate_ids_name_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, line(), line(), line())
    with pytest.raises(DatasetError, match=r":2: duplicate id 'q1' \(first used on line 1\)"):
        load_dataset(path)


def test_unreadable_and_empty_sets_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot read"):
        load_dataset(tmp_path / "missing.jsonl")
    with pytest.raises(DatasetError, match="no questions"):
        load_dataset(write(tmp_path, ""))
    latin1 = tmp_path / "latin1.jsonl"
    bad = line(id="q2", question="Orban?").encode().replace(b"Orban", b"Orb\xe1n")
    latin1.write_bytes(line().encode() + b"\n" + bad)
    with pytest.raises(DatasetError, match=":2: not UTF-8"):
        load_dataset(latin1)
