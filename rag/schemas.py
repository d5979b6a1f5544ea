"""The shapes that cross module boundaries: passages, citations, answers, documents.

These are also the HTTP API's response bodies, so they follow DESIGN.md's contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

ARTICLE_FIELDS = ("title", "published", "url", "site")


def day_number(published: str | None) -> int | None:
    """2024-07-05 -> 20240705, as chunks store it (`published_day`): Chroma's `where`
    compares numbers, not date strings."""
    return int(published.replace("-", "")) if published else None


def _iso_day(value: str) -> str:
    try:  # the pattern lets 2024-02-30 through; this does not
        date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value} is not a day of the calendar (YYYY-MM-DD)") from None
    return value


# A calendar day as YYYY-MM-DD; `format: date` tells clients (and the fuzzer) so.
Day = Annotated[str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                           json_schema_extra={"format": "date"}, examples=["2024-07-05"]),
                AfterValidator(_iso_day)]
DocId = Annotated[str, Field(pattern="^[0-9a-f]{16}$")]  # as ingest makes them
MAX_FILTER_VALUES = 100  # a filter names documents and outlets, not the whole index
NO_MATCH = "No article matches the filter"  # how an answer to a filter of nothing begins


class Filters(BaseModel):
    """Which articles a question searches. Every condition given must hold; a list matches
    any of its values; an absent or empty list does not restrict. An article without a
    publication date never matches `since` or `until`."""

    model_config = ConfigDict(extra="forbid")
    doc_ids: list[DocId] | None = Field(None, max_length=MAX_FILTER_VALUES,
                                        description="Only these documents (ids).")
    sites: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, max_length=MAX_FILTER_VALUES,
        description="Only these outlets, spelled as /v1/documents lists them.")
    since: Day | None = Field(None, description="Published on this day or later.")
    until: Day | None = Field(None, description="Published on this day or earlier; "
                              "not before `since` (a request that has it so is refused).")

    @field_validator("doc_ids", "sites")
    @classmethod
    def _once(cls, values: list[str] | None) -> list[str] | None:
        return list(dict.fromkeys(values)) if values else values  # Chroma refuses repeats

    @model_validator(mode="after")
    def _ordered(self) -> Filters:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"since ({self.since}) is after until ({self.until})")
        return self

    def given(self) -> bool:
        return bool(self.doc_ids or self.sites or self.since or self.until)

    def article_where(self) -> dict[str, Any] | None:
        """The conditions on the article fields as Chroma's `where` (chunks and registry
        records carry the same fields); None when there are none."""
        clauses: list[dict[str, Any]] = []
        if self.sites:
            clauses.append({"site": {"$in": self.sites}})
        # Days as numbers (published_day): `where` has no order on strings. A chunk without
        # a date has no such key, and no comparison matches a missing key.
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
        return _all_of(clauses)

    def chunk_where(self) -> dict[str, Any] | None:
        """The whole filter as Chroma's `where` on chunks."""
        doc = [{"doc_id": {"$in": self.doc_ids}}] if self.doc_ids else []
        return _all_of(doc + ([where] if (where := self.article_where()) else []))

    def describe(self, names: Mapping[str, str] | None = None) -> str:
        """"site 'Reuters', since 2025-01-01": the filter in words, for a reader; `names`:
        what to call a document instead of its id (its headline)."""
        said = [f"{'document' if len(v) == 1 else 'documents'} "
                f"{', '.join(repr((names or {}).get(i, i)) for i in v)}"
                for v in [self.doc_ids] if v]
        said += [f"{'site' if len(v) == 1 else 'sites'} {', '.join(map(repr, v))}"
                 for v in [self.sites] if v]
        said += [f"{name} {day}" for name, day in (("since", self.since),
                                                   ("until", self.until)) if day]
        return ", ".join(said)


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Chroma's `$and` needs two clauses or more."""
    return None if not clauses else clauses[0] if len(clauses) == 1 else {"$and": clauses}


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
