"""The eval set loader: the shipped splits validate; bad input names its line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from eval.dataset import (
    DEFAULT_SET,
    DEFAULT_SETS,
    HELDOUT_SET,
    DatasetError,
    load_dataset,
    load_sets,
    set_fingerprint,
)

CATEGORIES = {"single_article", "multi_article", "paraphrase", "event_disambiguation",
              "follow_up", "unanswerable"}

GOOD = {"id": "q1", "question": "Where did they meet?", "reference_answer": "In Beijing.",
        "key_facts": [["Beijing"]], "sources": ["003.txt"], "category": "single_article",
        "history": []}


def write(tmp_path: Path, *lines: str, name: str = "set.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line(**changes: object) -> str:
    obj = {**GOOD, **changes}
    return json.dumps({k: v for k, v in obj.items() if v is not ...})


def test_the_shipped_splits_validate() -> None:
    assert DEFAULT_SETS == (DEFAULT_SET, HELDOUT_SET)  # `rag eval` without --set runs both
    dev, heldout = load_dataset(DEFAULT_SET), load_dataset(HELDOUT_SET)
    assert len(dev) == 159 and {i.split for i in dev} == {"dev"}  # no field: dev
    assert len(heldout) == 44 and {i.split for i in heldout} == {"heldout"}
    items = load_sets(DEFAULT_SETS)
    assert len({i.id for i in items}) == len(items) == 203
    assert {i.category for i in dev} == CATEGORIES
    assert {i.category for i in heldout} <= CATEGORIES
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


def test_split_is_optional_defaults_to_dev_and_is_checked(tmp_path: Path) -> None:
    path = write(tmp_path, line(), line(id="q2", split="dev"), line(id="q3", split="heldout"))
    assert [i.split for i in load_dataset(path)] == ["dev", "dev", "heldout"]
    for bad in ("held_out", "", 1, None):
        with pytest.raises(DatasetError, match=r":1: 'split' must be one of 'dev', 'heldout'"):
            load_dataset(write(tmp_path, line(split=bad)))


def test_sets_load_together_in_order_with_ids_unique_across_files(tmp_path: Path) -> None:
    dev = write(tmp_path, line(), line(id="q2"), name="dev.jsonl")
    heldout = write(tmp_path, line(id="h1", split="heldout"), name="heldout.jsonl")
    assert [(i.id, i.split) for i in load_sets([dev, heldout])] == [
        ("q1", "dev"), ("q2", "dev"), ("h1", "heldout")]
    clash = write(tmp_path, line(id="h1"), line(id="q2", split="heldout"), name="clash.jsonl")
    with pytest.raises(DatasetError, match=rf"{clash}:2: duplicate id 'q2' \(also used in "
                                           rf"{dev}\)"):
        load_sets([dev, clash])


def test_the_fingerprint_covers_every_file(tmp_path: Path) -> None:
    dev = write(tmp_path, line(), name="dev.jsonl")
    heldout = write(tmp_path, line(id="h1", split="heldout"), name="heldout.jsonl")
    # one file: the hash it always had, so baselines from before the splits still compare
    assert set_fingerprint(dev) == set_fingerprint([dev]) == (
        hashlib.sha256(dev.read_bytes()).hexdigest()[:16])
    both = set_fingerprint([dev, heldout])
    assert both not in (set_fingerprint(dev), set_fingerprint(heldout))
    heldout.write_text(line(id="h2", split="heldout") + "\n", encoding="utf-8")
    assert set_fingerprint([dev, heldout]) != both  # an edit to the held-out file shows


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
