"""Chunks are exact slices of the document, fit the embedding model, and overlap."""

from __future__ import annotations

import itertools

import pytest

from ingest.chunking import chunk_text
from ingest.loaders import load_file
from rag.components.embedding import LOCAL_MAX_TOKENS, build_embedding_model
from rag.settings import Settings
from tests.conftest import ARTICLES


@pytest.fixture(scope="module")
def tokenizer():  # the real MiniLM tokenizer
    return build_embedding_model(Settings()).tokenizer


@pytest.mark.parametrize("path", sorted(ARTICLES.glob("*.txt")), ids=lambda p: p.name)
def test_every_corpus_chunk_is_an_exact_slice_within_the_token_limit(path, tokenizer) -> None:
    doc = load_file(path)
    chunks = chunk_text(doc.text, 180, 30, tokenizer)
    assert chunks
    for c in chunks:
        assert doc.text[c.start:c.end] == c.text
        assert len(tokenizer(c.text)) + 2 <= LOCAL_MAX_TOKENS  # +[CLS] and [SEP]
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    # Every non-blank character of the article lands in some chunk.
    assert all(i in covered for i, ch in enumerate(doc.text) if not ch.isspace())


def test_long_text_is_split_with_overlap_and_sentence_ends(tokenizer) -> None:
    sentences = [f"Sentence number {i} tells of meeting {i} in town {i}." for i in range(200)]
    text = " ".join(sentences)
    chunks = chunk_text(text, 60, 15, tokenizer)
    assert len(chunks) > 5
    for prev, nxt in itertools.pairwise(chunks):
        assert nxt.start < prev.end, "neighbouring chunks overlap"
        assert text[nxt.start:nxt.end] == nxt.text
    assert all(c.text.rstrip().endswith(".") for c in chunks[:-1]), "chunks end at sentences"
