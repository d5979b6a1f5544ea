"""One typed settings object, read once from the environment and `.env`."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from rag.errors import RagError

PROJECT_DIR = Path(__file__).resolve().parent.parent


class SettingsError(RagError, ValueError):
    """A setting is invalid; the message names it."""

    code = "settings_invalid"
    status = 500  # the server's configuration, not the request, is at fault
    exit_code = 2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="RAG_", env_file=".env", env_ignore_empty=True, extra="ignore",
        populate_by_name=True,
    )

    # Storage
    data_dir: Path = Field(PROJECT_DIR / ".rag-data", description="Embedded Chroma and state.")
    collection: str = Field("articles", min_length=3, max_length=60)
    chroma_host: str | None = None
    chroma_port: int = Field(8000, ge=1, le=65535)

    # Embeddings
    embedding: Literal["local", "openai"] = "local"
    embedding_model: str = Field(
        "", description="Blank: the packaged all-MiniLM-L6-v2 (local) or text-embedding-3-small "
        "(openai); for local, a path to another sentence-transformers model folder."
    )

    # Ingest
    chunk_size: int = Field(180, ge=32, le=230, description="Tokens; MiniLM truncates at 256.")
    chunk_overlap: int = Field(30, ge=0, le=100)
    # What one file may cost (ingest/limits.py): past a limit it is skipped, naming it.
    max_file_mb: float = Field(20.0, gt=0, description="Bytes of one file.")
    max_doc_chars: int = Field(1_000_000, ge=1000, description="Text after extraction.")
    max_doc_chunks: int = Field(2000, ge=1, description="Chunks of one document.")
    max_html_depth: int = Field(256, ge=8, description="Elements open at once in a page.")
    max_html_nodes: int = Field(200_000, ge=100, description="Elements in a page.")
    max_pdf_pages: int = Field(1000, ge=1)
    max_pdf_stream_mb: float = Field(20.0, gt=0, description="One PDF stream, decompressed.")
    file_seconds: float = Field(30.0, gt=0, description="Wall clock to read and chunk a file.")
    # URLs (ingest/fetch.py): a page or feed is also bounded by max_file_mb and file_seconds.
    fetch_timeout_s: float = Field(15.0, gt=0, description="To connect, and between reads.")
    fetch_allow_private: bool = Field(False, description=(
        "Fetch from private, loopback and link-local addresses (off: a URL given to the "
        "server must not reach inside its network)."))
    feed_max_entries: int = Field(100, ge=1, description="Entries read from one feed.")

    # Retrieval and answering
    # 5, not 4: the checks of what a sentence answers now turn away most wrong quotes, and
    # a fifth passage holds the answer more often (dev accuracy +1 question, held-out same).
    top_k: int = Field(5, ge=1, le=50, description=(
        "Passages searched for a question; a question in several parts searches top_k + 2 "
        "for each part, and one asking for a list (which leaders, where has he met) top_k + 5."))
    retrieval: Literal["hybrid", "dense"] = Field(
        "hybrid", description="hybrid: dense and BM25 fused; dense: embeddings only.")
    llm: Literal["extractive", "openai"] = "extractive"
    llm_model: str = "gpt-4o-mini"
    llm_timeout_s: float = Field(120.0, gt=0)
    llm_max_tokens: int = Field(512, ge=16)
    llm_concurrency: int = Field(4, ge=1, description="LLM calls in flight at once.")
    llm_queue_timeout_s: float = Field(
        30.0, ge=0, description="How long a request waits for an LLM slot before a 503.")
    openai_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("OPENAI_API_KEY", "RAG_OPENAI_API_KEY")
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("OPENAI_BASE_URL", "RAG_OPENAI_BASE_URL")
    )

    # Serving
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    api_key: SecretStr | None = None
    max_question_chars: int = Field(2000, ge=10)
    max_upload_mb: float = Field(20.0, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Settings:
        if self.chunk_overlap >= self.chunk_size:
            raise ValueError("RAG_CHUNK_OVERLAP must be smaller than RAG_CHUNK_SIZE")
        if self.llm == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ValueError("RAG_LLM=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        if self.embedding == "openai" and not (self.openai_api_key or self.openai_base_url):
            raise ValueError("RAG_EMBEDDING=openai needs OPENAI_API_KEY or OPENAI_BASE_URL")
        return self

    @property
    def embedding_model_name(self) -> str:
        if self.embedding_model:
            return self.embedding_model
        return "all-MiniLM-L6-v2" if self.embedding == "local" else "text-embedding-3-small"


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning pydantic's report into one line per bad setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = err["loc"][0] if err["loc"] else ""
            name = f"RAG_{str(loc).upper()}" if loc else "settings"
            if str(loc).startswith("openai_"):
                name = str(loc).upper()
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {msg}" if loc else msg)
        raise SettingsError("invalid settings: " + "; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
