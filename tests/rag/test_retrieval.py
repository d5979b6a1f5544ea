"""Hybrid retrieval: rare names first, in step with ingest and delete in any process,
on embedded Chroma and a `chroma run` server, and usable as a llama-index retriever."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.retrieval.hybrid import fuse
from rag.service import RagService
from tests.conftest import ARTICLES, make_settings

RARE = {  # a question hinging on one rare word -> the article holding it
    "What did Havasi tell reporters?": ("Havasi", "002_0a33fedb6c86f413.txt"),
    "Which news agency did the press chief speak to, MTI?": ("MTI", "002_0a33fedb6c86f413.txt"),
    "Was Ushakov at the talks?": ("Ushakov", "001_0d759d72c1af06c9.txt"),
}
UNIQUE = "Zorblaxian"  # in no article; a document written by a test holds it


def test_fusion_rewards_agreement_and_keeps_one_sided_hits() -> None:
    fused = dict(fuse([(1.0, ["a", "b", "c"]), (1.0, ["c", "d"])]))
    assert max(fused, key=fused.__getitem__) == "c"  # in both lists
    assert set(fused) == {"a", "b", "c", "d"}
    assert fuse([(2.0, ["x"]), (1.0, ["y"])])[0][0] == "x"  # weights count


@pytest.mark.parametrize("question", sorted(RARE))
def test_a_rare_name_brings_its_passage_first(corpus_service: RagService,
                                              question: str) -> None:
    word, source = RARE[question]
    top = corpus_service.search(question, top_k=4)[0]
    assert top.source == source and word in top.text


def test_dense_only_misses_what_hybrid_finds(corpus_service: RagService) -> None:
    """The reason for BM25: at least one rare-name question is lost without it."""
    dense = corpus_service.retriever
    firsts = []
    for question, (word, _) in RARE.items():
        hit = corpus_service.store.query(dense.embedder.embed_query(question), 1)[0]
        firsts.append(word in hit.text)
    assert not all(firsts)


def test_the_answerer_also_reads_bm25s_best_hit_that_fusion_left_out(
        corpus_service: RagService) -> None:
    # Dense scores of these chunks lie within 0.1 of each other, so fusion ranks chunks that
    # resemble the question above the one holding "Facebook" and the answer.
    question = "In his Facebook post, which things did Orban say Hungarians most want to end?"
    retriever = corpus_service.retriever
    top = retriever.retrieve(question, 5)
    read = retriever.retrieve(question, 5, lexical_extra=1)
    assert [p.chunk_id for p in read[:5]] == [p.chunk_id for p in top]
    best_left_out = next(cid for cid, _ in retriever.lexical.search(question, 20)
                         if cid not in {p.chunk_id for p in top})
    assert len(read) == 6 and read[5].chunk_id == best_left_out
    assert "Facebook" in read[5].text
    # The answerer is given it, beside the top 5.
    answer = corpus_service.ask(question)
    assert best_left_out in {p.chunk_id for p in answer.retrieved}


def _write(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "zorblax.txt"
    path.write_text(text, encoding="utf-8")
    return path


def test_lexical_index_follows_ingest_and_delete(tmp_path: Path) -> None:
    """Two services on one embedded index (the API and an ingest in one process): the BM25
    index of the one that did not write sees the change at its next query. Across
    processes, embedded Chroma does not share its vector index: that is the server's job
    (the next test)."""
    settings = make_settings(tmp_path / "index")
    reader, writer = RagService(settings), RagService(settings)
    writer.ingest_paths([ARTICLES], progress=False)
    assert UNIQUE not in reader.search(f"the {UNIQUE} delegation", top_k=1)[0].text

    doc = _write(tmp_path / "new", f"The {UNIQUE} delegation arrived in Budapest on Monday. "
                                   "It met officials of the ministry for two hours.")
    writer.ingest_paths([doc], progress=False)
    # Among the top 3, not first: under load embedded Chroma's vector index can miss a write
    # made a moment before (see test_api's upload test); BM25 has it at once.
    found = [p for p in reader.search(f"the {UNIQUE} delegation", top_k=3)
             if p.source == "zorblax.txt"]
    assert found and UNIQUE in found[0].text
    top = found[0]

    writer.delete_document(top.doc_id)
    assert all(p.source != "zorblax.txt"
               for p in reader.search(f"the {UNIQUE} delegation", top_k=8))


def test_a_built_bm25_index_is_loaded_from_disk_not_rebuilt(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An ingest leaves the BM25 index of its generation on disk; a new process (here a
    new service) maps it instead of reading every chunk again, until the next change."""
    settings = make_settings(tmp_path / "index")
    RagService(settings).ingest_paths([ARTICLES], progress=False)
    saved = list((settings.data_dir / "bm25" / settings.collection).iterdir())
    assert len([d for d in saved if d.is_dir()]) == 1

    later = RagService(settings)
    monkeypatch.setattr(later.store, "committed_chunks", lambda: pytest.fail("rebuilt"))
    assert "Havasi" in later.search("What did Havasi say?", top_k=1)[0].text
    monkeypatch.undo()

    doc = _write(tmp_path / "new", f"The {UNIQUE} delegation arrived in Budapest on Monday.")
    RagService(settings).ingest_paths([doc], progress=False)  # a new generation
    assert UNIQUE in later.search(f"the {UNIQUE} delegation", top_k=1)[0].text
    now = [d for d in (settings.data_dir / "bm25" / settings.collection).iterdir()
           if d.is_dir()]
    assert len(now) == 1 and now != saved, "the old generation's index is removed"


def test_hybrid_search_on_a_chroma_server(chroma_server: int, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "unused", chroma_host="127.0.0.1",
                             chroma_port=chroma_server, collection="hybrid_articles")
    service = RagService(settings)
    service.ingest_paths([ARTICLES], progress=False)
    for question, (word, source) in RARE.items():
        top = service.search(question, top_k=4)[0]
        assert top.source == source and word in top.text, question
    other = RagService(settings)  # another worker: sees a delete made here
    assert other.search("What did Havasi tell reporters?", 1)[0].source == RARE[
        "What did Havasi tell reporters?"][1]
    doc_id = next(d.doc_id for d in service.documents() if d.source.startswith("002"))
    service.delete_document(doc_id)
    assert all(p.source != RARE["What did Havasi tell reporters?"][1]
               for p in other.search("What did Havasi tell reporters?", 8))


def test_a_llama_index_query_engine_runs_on_our_retriever(corpus_service: RagService) -> None:
    from llama_index.core.llms import MockLLM
    from llama_index.core.query_engine import RetrieverQueryEngine
    from llama_index.core.response_synthesizers.no_text import NoText

    from rag.retrieval.llama import ArticleRetriever

    # NoText: retrieval only, so the placeholder LLM is never called.
    engine = RetrieverQueryEngine(ArticleRetriever(corpus_service.retriever, top_k=3),
                                  NoText(llm=MockLLM()))
    response = engine.query("What did Havasi tell reporters?")
    nodes = response.source_nodes
    assert len(nodes) == 3
    for hit in nodes:
        text = corpus_service.document_text(hit.node.metadata["doc_id"])
        assert text is not None
        assert text[hit.node.start_char_idx:hit.node.end_char_idx] == hit.node.get_content()
    assert "Havasi" in nodes[0].node.get_content()


def test_a_query_is_read_into_the_words_the_index_holds() -> None:
    from rag.retrieval.lexical import query_tokens, tokens

    # "U.S." is indexed as "us": a query writing it so must ask for "us", not "u" and "s".
    assert "us" in tokens("The U.S. imposed sanctions.")
    assert "us" in query_tokens("Which U.S. sanctions were waived?")
