"""Settings: typed, from RAG_* variables and .env, and a bad one is named at start."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.settings import SettingsError, load_settings


def test_defaults_are_the_offline_stack(monkeypatch: pytest.MonkeyPatch) -> None:
    s = load_settings(_env_file=None)
    assert (s.embedding, s.llm, s.chroma_host, s.top_k) == ("local", "extractive", None, 5)


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_CHROMA_HOST", "127.0.0.1")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_LLM", "openai")
    s = load_settings(_env_file=None)
    assert (s.top_k, s.chroma_host, s.llm) == (7, "127.0.0.1", "openai")
    assert s.openai_base_url == "http://127.0.0.1:9/v1"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("RAG_TOP_K=9\nRAG_COLLECTION=news\nOPENAI_API_KEY=\n")
    s = load_settings(_env_file=env)
    assert (s.top_k, s.collection, s.openai_api_key) == (9, "news", None)


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("RAG_TOP_K", "zero", "RAG_TOP_K"),
        ("RAG_TOP_K", "0", "RAG_TOP_K"),
        ("RAG_LLM", "gpt", "RAG_LLM"),
        ("RAG_EMBEDDING", "bert", "RAG_EMBEDDING"),
        ("RAG_COLLECTION", "ab", "RAG_COLLECTION"),
        ("RAG_CHROMA_PORT", "99999", "RAG_CHROMA_PORT"),
        ("RAG_CHUNK_SIZE", "1000", "RAG_CHUNK_SIZE"),
    ],
)
def test_invalid_setting_fails_naming_it(monkeypatch: pytest.MonkeyPatch, name: str,
                                         value: str, named: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=named):
        load_settings(_env_file=None)


def test_llm_without_endpoint_or_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "openai")
    with pytest.raises(SettingsError, match="OPENAI_API_KEY or OPENAI_BASE_URL"):
        load_settings(_env_file=None)
