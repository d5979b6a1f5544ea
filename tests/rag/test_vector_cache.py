"""The answerer's vector cache: what one process embedded, the next one reads from disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.components import vector_cache
from rag.components.embedding import OnnxMiniLM
from rag.components.vector_cache import DiskVectors, VectorCache

TEXTS = ["Orban met Putin in Beijing.", "The talks lasted three hours.", "moscow", "gift"]


class CountingEmbedder:
    """The packaged model, counting the texts it is asked to embed."""

    name = "all-MiniLM-L6-v2"
    tokenizer = None

    def __init__(self) -> None:
        self.model = OnnxMiniLM()
        self.embedded: list[str] = []

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        self.embedded += texts
        return self.model.embed_texts(texts)

    def embed_query(self, text: str) -> list[float]:
        return self.embed_texts([text])[0]


@pytest.fixture(scope="module")
def embedder() -> CountingEmbedder:
    return CountingEmbedder()


def test_a_new_process_reads_the_vectors_from_disk(tmp_path: Path,
                                                   embedder: CountingEmbedder) -> None:
    path = tmp_path / "vectors.db"
    first = VectorCache(embedder, 100, DiskVectors(path))(TEXTS)
    assert embedder.embedded == TEXTS
    embedder.embedded.clear()
    # A second cache on its own connection, as in the next `rag ask` or another worker.
    again = VectorCache(embedder, 100, DiskVectors(path))([*TEXTS, "Kyiv"])
    assert embedder.embedded == ["Kyiv"]
    for text in TEXTS:
        assert again[text].dtype == np.float32
        np.testing.assert_array_equal(again[text], first[text])


def test_an_unusable_cache_file_costs_a_recompute_not_an_error(
        tmp_path: Path, embedder: CountingEmbedder) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    cache = VectorCache(embedder, 100, DiskVectors(blocker / "vectors.db"))
    embedder.embedded.clear()
    assert set(cache(TEXTS[:2])) == set(TEXTS[:2])
    assert embedder.embedded == TEXTS[:2]
    corrupt = tmp_path / "corrupt.db"
    corrupt.write_bytes(b"this is not a SQLite database" * 100)
    embedder.embedded.clear()
    assert set(VectorCache(embedder, 100, DiskVectors(corrupt))(TEXTS[:2])) == set(TEXTS[:2])
    assert embedder.embedded == TEXTS[:2]


def test_the_file_keeps_the_newest_rows(tmp_path: Path, embedder: CountingEmbedder,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vector_cache, "PRUNE_EVERY", 2)
    disk = DiskVectors(tmp_path / "vectors.db", max_rows=2)
    cache = VectorCache(embedder, 100, disk)
    for text in TEXTS:
        cache([text])
    assert set(disk.get(TEXTS)) == set(TEXTS[-2:])


def test_int8_rows_keep_unit_vectors_within_a_cosine_of_1e_3() -> None:
    from rag.components.vector_cache import Int8RowsCodec

    rows = np.random.default_rng(7).normal(size=(9, 384)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    blob = Int8RowsCodec.encode(rows)
    assert len(blob) < rows.nbytes / 3.5  # a quarter of float32, and the scales
    back = Int8RowsCodec.decode(blob)
    assert back.shape == rows.shape
    assert np.all(np.abs((back * rows).sum(axis=1) - 1) < 1e-3)
    assert Int8RowsCodec.decode(Int8RowsCodec.encode(np.empty((0, 384)))).shape == (0, 0)
