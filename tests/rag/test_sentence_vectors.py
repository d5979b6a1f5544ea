"""Each chunk's sentence vectors come from its own model run at ingest, and are read from
disk at question time: answering runs the model over no retrieved sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from rag.components.embedding import OnnxMiniLM
from rag.components.sentence_vectors import SentenceVectors, sentences_of
from rag.service import RagService
from tests.conftest import ARTICLES

CHUNK = ("Hungarian Prime Minister Viktor Orban met Vladimir Putin in Beijing. "
         "The talks focused on Hungary's access to Russian energy. "
         "He also said the country would keep buying gas from Moscow.")
OTHER = "Zelensky told Sky News that a NATO umbrella could end the hot phase of the war."


class SpyingModel:
    """The packaged model, recording the texts it runs over in context."""

    def __init__(self, model: OnnxMiniLM) -> None:
        self.model = model
        self.runs: list[str] = []

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.runs += texts
        return self.model.embed_spans(texts, spans)


@pytest.fixture(scope="module")
def model() -> OnnxMiniLM:
    return OnnxMiniLM()


def test_a_sentence_in_context_is_nearest_its_own_meaning(model: OnnxMiniLM) -> None:
    spans = sentences_of(CHUNK)
    vectors, per_chunk = model.embed_spans([CHUNK, OTHER], [spans, sentences_of(OTHER)])
    # The chunk's own vector is the one embed_texts gives: the index does not change.
    assert np.allclose(vectors, model.embed_texts([CHUNK, OTHER]), atol=1e-5)
    in_context = per_chunk[0]
    assert in_context.shape == (3, 384)
    assert np.allclose(np.linalg.norm(in_context, axis=1), 1, atol=1e-5)
    alone = np.array(model.embed_texts([CHUNK[lo:hi] for lo, hi in spans]))
    # Each sentence read in its chunk is closest to the same sentence read alone.
    assert list((in_context @ alone.T).argmax(axis=1)) == [0, 1, 2]
    question = np.array(model.embed_query("What did the talks in Beijing focus on?"))
    assert int((in_context @ question).argmax()) == 1


def test_vectors_written_at_ingest_are_read_by_the_next_process(tmp_path: Path,
                                                                 model: OnnxMiniLM) -> None:
    spy = SpyingModel(model)
    path = tmp_path / "vectors.db"
    written = SentenceVectors(spy, path)
    written.embed_chunks([CHUNK, OTHER])
    spy.runs.clear()
    reader = SentenceVectors(spy, path)
    got = reader([CHUNK, OTHER])
    assert spy.runs == []  # from disk
    assert got[CHUNK].shape == (3, 384) and got[OTHER].shape == (1, 384)
    fresh = model.embed_spans([CHUNK], [sentences_of(CHUNK)])[1][0]
    assert np.allclose(got[CHUNK], fresh, atol=2e-3)  # stored as int8 rows with scales
    # A chunk indexed before these vectors existed gets them at its first question.
    late = "Peskov said the Kremlin valued the balanced position of Hungary."
    assert reader([late])[late].shape == (1, 384) and spy.runs == [late]


def test_answering_runs_no_model_over_ingested_sentences(
        fresh_service: RagService, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh_service.ingest_paths([ARTICLES], progress=False)
    spy = SpyingModel(fresh_service.embedder)  # type: ignore[arg-type]
    monkeypatch.setattr(fresh_service.embedder, "embed_spans", spy.embed_spans)
    answer = fresh_service.ask("What did the Beijing talks between Orban and Putin focus on?")
    assert not answer.refused and "energy" in answer.answer
    assert spy.runs == []
    # A new process over the same data dir reads them from disk too.
    again = RagService(fresh_service.settings)
    monkeypatch.setattr(again.embedder, "embed_spans", spy.embed_spans)
    assert again.ask("Who is Yuri Ushakov?").citations
    assert spy.runs == []
