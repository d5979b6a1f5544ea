"""The shapes that cross module boundaries: passages, citations, answers, documents.

These are also the HTTP API's response bodies, so they follow DESIGN.md's contract.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

ARTICLE_FIELDS = ("title", "published", "url", "site")


def day_number(published: str | None) -> int | None:
    """2024-07-05 -> 20240705, as chunks store it (`published_day`): Chroma's `where`
    compares numbers, not date strings."""
    return int(published.replace("-", "")) if published else None


class Passage(BaseModel):
    """A span of one article: a retrieved chunk, or a sentence an answer quotes."""

    source: str = Field(description="The article's file name, or the URL it was fetched from.")
    doc_id: str
    chunk_id: str
    text: str
    start: int = Field(description="Character offset of `text` in the article's text.")
    end: int
    score: float
    # What the article says about itself; null where it does not say.
    title: str | None = Field(None, description="The article's headline.")
    published: str | None = Field(None, description="Publication date, YYYY-MM-DD.")
    url: str | None = Field(None, description="Where the article was published.")
    site: str | None = Field(None, description="The outlet that published it.")

    def article(self) -> dict[str, Any]:
        """The four article fields, to pass on: `Citation(..., **passage.article())`."""
        return {name: getattr(self, name) for name in ARTICLE_FIELDS}


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
    title: str = Field(description="The headline; the file name where the article has none.")
    published: str | None = Field(None, description="Publication date, YYYY-MM-DD.")
    url: str | None = None
    site: str | None = Field(None, description="The outlet that published it.")
    content_hash: str
    chars: int
    chunks: int
    ingested_at: str
