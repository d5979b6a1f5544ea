"""The shapes that cross module boundaries: passages, citations, answers, documents.

These are also the HTTP API's response bodies, so they follow DESIGN.md's contract.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Passage(BaseModel):
    """A span of one article: a retrieved chunk, or a sentence an answer quotes."""

    source: str = Field(description="The article's file name.")
    doc_id: str
    chunk_id: str
    text: str
    start: int = Field(description="Character offset of `text` in the article's text.")
    end: int
    score: float


class Citation(Passage):
    n: int = Field(description="The [n] marker in the answer that points here.")
    answer_start: int | None = Field(None, description=(
        "Where the short answer the extractive answerer found (a name, a sum, a date) starts "
        "in the article, inside [start, end); null when it found none."))
    answer_end: int | None = None


class Turn(BaseModel):
    role: Literal["user", "assistant", "system"]
    content: str


class Timings(BaseModel):
    retrieve: float = 0.0
    generate: float = 0.0
    total: float = 0.0


class Answer(BaseModel):
    answer: str
    refused: bool
    mode: Literal["extractive", "llm"]
    citations: list[Citation]
    related: list[Passage] = Field(
        default_factory=list,
        description="With a refusal: the closest passages, as further reading, not as support.")
    unsupported: list[str] = Field(
        default_factory=list,
        description="Sentences of an LLM answer that its cited passages do not support.")
    timings_ms: Timings = Field(default_factory=Timings)
    # The passages retrieval returned (the eval reads them; not part of the response body).
    retrieved: list[Passage] = Field(default_factory=list, exclude=True)


class DocumentInfo(BaseModel):
    doc_id: str
    source: str
    title: str
    content_hash: str
    chars: int
    chunks: int
    ingested_at: str
