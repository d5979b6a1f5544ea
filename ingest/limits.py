"""What one file may cost to read, enforced while it is read, not after.

A hostile file (a 1 MB page of 100k nested tags, an entity flood, a PDF whose pages share a
70 MB stream) must be refused in seconds with a reason naming the limit, and never take the
server's memory or a worker's minutes. Each limit is a setting (RAG_MAX_*, RAG_FILE_SECONDS).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the PDF reader's subprocess imports this module: keep it light
    from rag.settings import Settings


class LoadError(Exception):
    """The file cannot become a document; the message says why."""


class LimitError(LoadError):
    """The file is past one of the limits; the message names the setting."""


@dataclass(frozen=True)
class ReadLimits:
    max_bytes: int = 20_000_000  # RAG_MAX_FILE_MB
    max_chars: int = 1_000_000  # RAG_MAX_DOC_CHARS: text after extraction
    max_chunks: int = 2_000  # RAG_MAX_DOC_CHUNKS
    html_max_depth: int = 256  # RAG_MAX_HTML_DEPTH: open elements at once
    html_max_nodes: int = 200_000  # RAG_MAX_HTML_NODES: elements in a page
    pdf_max_pages: int = 1_000  # RAG_MAX_PDF_PAGES
    pdf_max_stream_bytes: int = 20_000_000  # RAG_MAX_PDF_STREAM_MB: one stream, decompressed
    seconds: float = 30.0  # RAG_FILE_SECONDS: wall clock to read, extract and chunk a file

    @classmethod
    def from_settings(cls, s: Settings) -> ReadLimits:
        return cls(max_bytes=int(s.max_file_mb * 1e6), max_chars=s.max_doc_chars,
                   max_chunks=s.max_doc_chunks, html_max_depth=s.max_html_depth,
                   html_max_nodes=s.max_html_nodes, pdf_max_pages=s.max_pdf_pages,
                   pdf_max_stream_bytes=int(s.max_pdf_stream_mb * 1e6),
                   seconds=s.file_seconds)

    def check_chars(self, count: int) -> None:
        if count > self.max_chars:
            raise LimitError(f"the text is over {self.max_chars:,} characters "
                             "(RAG_MAX_DOC_CHARS)")

    def check_chunks(self, count: int) -> None:
        if count > self.max_chunks:
            raise LimitError(f"the text makes over {self.max_chunks:,} chunks "
                             "(RAG_MAX_DOC_CHUNKS)")


@dataclass
class Deadline:
    """The wall-clock budget of one file, checked between steps of its reading."""

    seconds: float
    ends: float = field(init=False)

    def __post_init__(self) -> None:
        self.ends = time.monotonic() + self.seconds

    def left(self) -> float:
        return self.ends - time.monotonic()

    def check(self) -> None:
        if self.left() <= 0:
            raise LimitError(self.message())

    def message(self) -> str:
        return f"reading the file took over {self.seconds:g} s (RAG_FILE_SECONDS)"
