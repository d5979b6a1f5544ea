"""Documents -> sentence-aware, overlapping chunks with exact character offsets."""

from __future__ import annotations

from rag.components.embedding import Tokenizer
from rag.components.store import ChunkRecord

# The most characters a chunk may hold per token of its size. The splitter counts tokens,
# and the model's tokenizer reads any word past 100 characters as one unknown token, so a
# text without spaces made one chunk of 16 million characters. English runs 4-5 characters
# a token (the longest chunk of 200 BBC articles at 180 tokens: 971 characters).
MAX_CHARS_PER_TOKEN = 8


class ChunkingError(ValueError):
    pass


def chunk_text(text: str, chunk_size: int, chunk_overlap: int,
               tokenizer: Tokenizer | None = None) -> list[ChunkRecord]:
    """Split `text` so that `text[c.start:c.end] == c.text` for every chunk `c`, and no chunk
    is longer than chunk_size * MAX_CHARS_PER_TOKEN characters.

    `chunk_size` counts the embedding model's own tokens when `tokenizer` is given.
    """
    from llama_index.core.node_parser import SentenceSplitter  # slow import: ingest only

    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                                tokenizer=tokenizer)  # type: ignore[arg-type]
    longest = chunk_size * MAX_CHARS_PER_TOKEN
    chunks: list[ChunkRecord] = []
    cursor = 0
    for piece in splitter.split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # the splitter only strips, so this means a library change
            raise ChunkingError(f"chunk not found in the document text: {piece[:60]!r}")
        chunks.extend(ChunkRecord(chunk_id="", text=text[a:b], start=a, end=b)
                      for a, b in _windows(text, start, start + len(piece), longest))
        cursor = start + 1  # overlapping chunks start after the previous start
    return chunks


def _windows(text: str, start: int, end: int, longest: int) -> list[tuple[int, int]]:
    """[start, end) cut into spans of at most `longest` characters, at a space if one lies
    in the span's last fifth."""
    spans = []
    while end - start > longest:
        cut = text.rfind(" ", start + longest * 4 // 5, start + longest)
        cut = cut if cut > start else start + longest
        spans.append((start, cut))
        start = cut + (text[cut] == " ")
    spans.append((start, end))
    return spans
