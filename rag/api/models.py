"""Request bodies of the API (responses are rag.schemas), and the error body.

The schema states what the server enforces (a client generated from it, or a fuzzer, must
not meet a refusal it could not foresee). The longest question is a setting, so its
maxLength is added per app (rag/api/openapi.py).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from rag.schemas import Filters, Passage, Turn

# Not empty, not blank: stated here, enforced by the validators with a clearer message
# than the schema keywords' own. A character that str.strip() keeps, spelled out: regex
# engines disagree on \s (JavaScript's has U+FEFF and lacks U+0085 and U+001C-U+001F).
_TEXT = r"[^\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_BLANK: dict[str, Any] = {"minLength": 1, "pattern": _TEXT}


def _json_integer(value: Any) -> Any:
    """An integer as JSON Schema has it: 3 or 3.0, not "3" or true (pydantic's lax mode
    takes both, which would accept what the schema refuses)."""
    if isinstance(value, bool | str):
        raise ValueError("must be an integer")
    return value


TopK = Annotated[int, Field(ge=1, le=50), BeforeValidator(_json_integer)]


FILTERS = ("Search only these articles: the filter runs inside the search, so top_k "
           "passages come back whenever that many match. A filter that matches no article is "
           "answered (200) with refused=true and an answer that begins \"No article matches "
           "the filter:\" and names it; /v1/search returns no results.")


def _not_blank(value: str, what: str) -> str:
    if not value.strip():
        raise ValueError(f"{what} must not be empty")
    return value  # stripped by the route, once its length as sent is checked


class AskRequest(BaseModel):
    question: str = Field(json_schema_extra=NOT_BLANK)
    top_k: TopK | None = None
    history: list[Turn] = Field(default_factory=list)
    stream: StrictBool = False
    answerer: Literal["extractive", "llm"] | None = Field(
        None, description="An answerer this server runs; the default is its RAG_LLM's.")
    filters: Filters | None = Field(None, description=FILTERS)

    @field_validator("question")
    @classmethod
    def _question(cls, value: str) -> str:
        return _not_blank(value, "question")


class SearchRequest(BaseModel):
    query: str = Field(json_schema_extra=NOT_BLANK)
    top_k: TopK | None = None
    filters: Filters | None = Field(None, description=FILTERS)

    @field_validator("query")
    @classmethod
    def _query(cls, value: str) -> str:
        return _not_blank(value, "query")


class UrlRequest(BaseModel):
    """POST /v1/documents as JSON: an article's page or an RSS/Atom feed to ingest."""

    model_config = ConfigDict(extra="forbid")
    # A host of letters, digits, dots and hyphens (no IPv6 literal: "http://[" does not
    # even parse), an optional port, then any path without white space.
    url: str = Field(max_length=2048, pattern=r"^https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?([/?#]\S*)?$",
                     description=(
        "An article's page, or a feed whose entries' pages are ingested (new entries only, "
        "when it was ingested before). Only http(s); private addresses are refused unless "
        "the server allows them (RAG_FETCH_ALLOW_PRIVATE)."),
        examples=["https://www.example.com/news/feed.xml"])


class SearchResponse(BaseModel):
    results: list[Passage]


class ContentPart(BaseModel):
    """One part of an OpenAI message's content; only `text` parts are read."""

    model_config = ConfigDict(extra="allow")
    type: str
    text: str | None = None


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    # system, developer and tool messages are accepted and not read.
    role: Literal["system", "user", "assistant", "tool", "developer"]
    content: str | list[ContentPart] | None = None

    def text(self) -> str:
        """OpenAI clients may send content as a list of parts; keep the text parts."""
        if isinstance(self.content, list):
            return "".join(p.text or "" for p in self.content if p.type == "text")
        return self.content or ""


# The question: a user message with text (the last such message is the one answered).
_QUESTION: dict[str, Any] = {
    "type": "object", "required": ["role", "content"],
    "properties": {"role": {"const": "user"}, "content": {"anyOf": [
        {"type": "string", "pattern": _TEXT},
        {"type": "array", "contains": {
            "type": "object", "required": ["type", "text"],
            "properties": {"type": {"const": "text"},
                           "text": {"type": "string", "pattern": _TEXT}}}}]}}}


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="allow")  # temperature, max_tokens ... are accepted, unused
    model: str = "rag"
    messages: list[ChatMessage] = Field(
        min_length=1, json_schema_extra={"contains": _QUESTION},
        description="The last user message with text is the question; the user and "
        "assistant messages before it are the conversation, later ones are not read.")
    stream: StrictBool = False
    top_k: TopK | None = None
    filters: Filters | None = Field(None, description=FILTERS)

    @model_validator(mode="after")
    def _has_question(self) -> ChatCompletionRequest:
        if self.question_at() is None:
            raise ValueError("the messages need a non-empty user message (the question)")
        return self

    def question_at(self) -> int | None:
        """Index of the question: the last user message with text."""
        return next((i for i in reversed(range(len(self.messages)))
                     if self.messages[i].role == "user" and self.messages[i].text().strip()),
                    None)


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    """Every error's body."""

    error: ErrorDetail


BODY_TOO_LARGE = {413: "the body is over the upload limit (RAG_MAX_UPLOAD_MB plus 1 MB)"}


def error_responses(described: dict[int, str]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for error statuses, with the body the API really sends
    (FastAPI's default 422 states another)."""
    return {status: {"model": ErrorResponse, "description": text}
            for status, text in {422: "the request does not fit this schema",
                                 **described}.items()}
