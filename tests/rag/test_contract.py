"""The OpenAPI schema states what the server enforces: schemathesis, with all its checks,
fuzzes every API operation of the live app (uvicorn on loopback, embedded Chroma) and finds
nothing. Its negative cases must be refused, its schema-valid ones accepted, every status
and content type documented, and unknown methods answered with 405 and a true Allow.

Bounded: 25 examples per operation (a run takes seconds; one of 150 took 25 s), no file
bigger than schemathesis's small generated ones. The seed is random, so each run tries new
cases; a failure prints the seed and `st replay` commands."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from rag.api.app import create_app
from rag.service import RagService
from tests.conftest import ARTICLES, make_settings, serving

ST = Path(sys.executable).with_name("st")
HOOKS = Path(__file__).with_name("contract_hooks.py")
EXAMPLES = 25
MAX_CHARS = 300  # not the default: the schema must take it from the settings


def served_service(folder: Path, **settings: Any) -> RagService:
    service = RagService(make_settings(folder, max_question_chars=MAX_CHARS, **settings))
    service.ingest_paths([sorted(ARTICLES.glob("*.txt"))[0]], progress=False)
    return service


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    service = served_service(tmp_path_factory.mktemp("contract") / "index")
    with serving(create_app(service.settings, service, with_ui=False)) as base:
        yield base


def schemathesis(url: str, cwd: Path, *options: str) -> None:
    run = subprocess.run(
        [str(ST), "run", f"{url}/openapi.json", "--checks", "all", "--workers", "1",
         "--max-examples", str(EXAMPLES), "--request-timeout", "30", *options],
        cwd=cwd, capture_output=True, text=True, timeout=110,
        env={**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)})
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-6000:]
    assert "No issues found" in out and "8 selected / 8 total" in out, out[-3000:]


def test_schemathesis_finds_no_failure(url: str, tmp_path: Path) -> None:
    schemathesis(url, tmp_path)


def test_schemathesis_finds_no_failure_with_an_api_key(tmp_path: Path) -> None:
    """The schema then declares the bearer key and its 401 (schemathesis checks that a
    request without it is refused)."""
    service = served_service(tmp_path / "index", api_key="s3cret")
    with serving(create_app(service.settings, service, with_ui=False)) as base:
        schema = httpx.get(f"{base}/openapi.json").json()
        assert schema["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
        assert "401" in schema["paths"]["/v1/ask"]["post"]["responses"]
        schemathesis(base, tmp_path, "--header", "Authorization: Bearer s3cret")


# -- what the schema states, and the server does -------------------------------------------

def test_the_schema_takes_its_limits_from_the_settings(url: str) -> None:
    models = httpx.get(f"{url}/openapi.json").json()["components"]["schemas"]
    question = models["AskRequest"]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, MAX_CHARS)
    assert models["SearchRequest"]["properties"]["query"]["maxLength"] == MAX_CHARS
    answerer = models["AskRequest"]["properties"]["answerer"]["anyOf"]
    assert {"type": "string", "enum": ["extractive"]} in answerer  # no RAG_LLM here
    upload = models["Body_upload_documents_v1_documents_post"]
    assert upload["required"] == ["files"] and upload["properties"]["files"]["minItems"] == 1

    def ask(question: str) -> httpx.Response:
        return httpx.post(f"{url}/v1/ask", json={"question": question}, timeout=30)

    assert ask("x" * MAX_CHARS).status_code == 200
    too_long = ask("x" * (MAX_CHARS + 1))
    assert too_long.status_code == 422 and too_long.json()["error"]["code"] == "question_too_long"
    padded = ask(" " * MAX_CHARS + "x")  # counted as sent, as maxLength counts
    assert padded.json()["error"]["code"] == "question_too_long"
    blank = ask(" \t ")
    assert blank.status_code == 422 and "must not be empty" in blank.text


@pytest.mark.parametrize(("field", "value", "status"), [
    ("stream", 0, 422), ("stream", "false", 422), ("top_k", "3", 422), ("top_k", True, 422),
    ("top_k", 3.0, 200), ("top_k", 3.5, 422), ("answerer", "llm", 422)])
def test_values_json_schema_refuses_are_refused(
        url: str, field: str, value: object, status: int) -> None:
    r = httpx.post(f"{url}/v1/ask", json={"question": "Who met?", field: value}, timeout=30)
    assert r.status_code == status, r.text


@pytest.mark.parametrize(("messages", "status"), [
    ([{"role": "user", "content": "Who met?"}, {"role": "assistant", "content": "Putin."}], 200),
    ([{"role": "tool", "content": "{}"}, {"role": "user", "content": "Who met?"}], 200),
    ([{"role": "user", "content": [{"type": "image_url"}, {"type": "text", "text": "Who?"}]}],
     200),
    ([{"role": "tool"}], 422), ([{"role": "user", "content": "  "}], 422),
    ([{"role": "user", "content": [{"type": "text", "text": 5}]}], 422),
    ([{"role": "critic", "content": "Who met?"}], 422)])
def test_chat_messages_need_a_user_message_with_text(
        url: str, messages: list[dict[str, Any]], status: int) -> None:
    """The schema's `contains` says what the server asks: some user message with text (the
    last one is the question, later messages are not read)."""
    r = httpx.post(f"{url}/v1/chat/completions", json={"messages": messages}, timeout=30)
    assert r.status_code == status, r.text


def test_the_not_blank_pattern_matches_what_strip_keeps() -> None:
    """The server refuses a question that str.strip() empties; the schema's pattern must
    say the same for every character, in any regex engine (it names them, no \\s)."""
    import re

    from rag.api.models import NOT_BLANK

    keeps = re.compile(NOT_BLANK["pattern"])
    assert [hex(i) for i in range(0x110000)
            if (keeps.fullmatch(chr(i)) is None) != chr(i).isspace()] == []
