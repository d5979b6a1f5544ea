"""Request bodies of the API (responses are rag.schemas)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rag.schemas import Passage, Turn


class AskRequest(BaseModel):
    question: str
    top_k: int | None = Field(None, ge=1, le=50)
    history: list[Turn] = Field(default_factory=list)
    stream: bool = False
    answerer: Literal["extractive", "llm"] | None = None

    @field_validator("question")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("question must not be empty")
        return value.strip()


class SearchRequest(BaseModel):
    query: str
    top_k: int | None = Field(None, ge=1, le=50)

    @field_validator("query")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("query must not be empty")
        return value.strip()


class SearchResponse(BaseModel):
    results: list[Passage]


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        """OpenAI clients may send content as a list of parts; keep the text parts."""
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens ... are accepted, unused
    model: str = "rag"
    messages: list[ChatMessage] = Field(min_length=1)
    stream: bool = False
    top_k: int | None = Field(None, ge=1, le=50)
