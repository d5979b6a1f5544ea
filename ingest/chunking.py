"""Documents -> sentence-aware, overlapping chunks with exact character offsets."""

from __future__ import annotations

from rag.components.embedding import Tokenizer
from rag.components.store import ChunkRecord


class ChunkingError(ValueError):
    pass


def chunk_text(text: str, chunk_size: int, chunk_overlap: int,
               tokenizer: Tokenizer | None = None) -> list[ChunkRecord]:
    """Split `text` so that `text[c.start:c.end] == c.text` for every chunk `c`.

    `chunk_size` counts the embedding model's own tokens when `tokenizer` is given.
    """
    from llama_index.core.node_parser import SentenceSplitter  # slow import: ingest only

    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap,
                                tokenizer=tokenizer)  # type: ignore[arg-type]
    chunks: list[ChunkRecord] = []
    cursor = 0
    for piece in splitter.split_text(text):
        start = text.find(piece, cursor)
        if start < 0:  # the splitter only strips, so this means a library change
            raise ChunkingError(f"chunk not found in the document text: {piece[:60]!r}")
        end = start + len(piece)
        chunks.append(ChunkRecord(chunk_id="", text=piece, start=start, end=end))
        cursor = start + 1  # overlapping chunks start after the previous start
    return chunks
