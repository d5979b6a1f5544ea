"""Many writers, nothing lost: concurrent writes of one document, interrupted writes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ingest.chunking import chunk_text
from ingest.loaders import load_bytes
from rag.components.locks import DocumentLocks
from rag.components.store import DocumentWrite
from rag.service import RagService
from tests.conftest import make_settings

RAG = Path(sys.executable).with_name("rag")


def _version(word: str, paragraphs: int = 40) -> str:
    """An article long enough (~20 chunks) that two writes of it overlap in time."""
    return "\n\n".join(f"Paragraph {i}: the {word} delegation met ministers in the harbour "
                       f"city, signed {i} agreements on rail freight and grain, and "
                       f"discussed the {word} pipeline tariff for the coming year."
                       for i in range(paragraphs))


def test_two_processes_writing_one_document_leave_one_complete_version(
        chroma_server: int, tmp_path: Path) -> None:
    settings = make_settings(tmp_path / "data", chroma_host="127.0.0.1",
                             chroma_port=chroma_server, collection="two_writers")
    folders = []
    for word in ("Zarvonian", "Quelpartan"):
        folder = tmp_path / word
        folder.mkdir()
        (folder / "treaty.txt").write_text(_version(word))
        folders.append(folder)
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir), "RAG_CHROMA_HOST": "127.0.0.1",
           "RAG_CHROMA_PORT": str(chroma_server), "RAG_COLLECTION": "two_writers"}
    writers = [subprocess.Popen([str(RAG), "ingest", "-q", str(f)], env=env, cwd=tmp_path,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for f in folders]
    for proc in writers:
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, out

    service = RagService(settings)
    [doc] = service.documents()
    got = service.store.chunks.get(where={"doc_id": doc.doc_id}, include=["metadatas"])
    hashes = {m["content_hash"] for m in got["metadatas"] or []}
    assert hashes == {doc.content_hash}, "only the committed version's chunks remain"
    assert len(got["ids"]) == doc.chunks, "and all of them"
    winner = "Zarvonian" if "Zarvonian" in (service.document_text(doc.doc_id) or "") \
        else "Quelpartan"
    hits = service.search(f"{winner} pipeline tariff", top_k=4)
    assert len(hits) == 4 and all(winner in p.text for p in hits)


def _crash_midway(service: RagService, note: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Write a new version of `note` whose commit fails: its chunks stay behind."""
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(service.store.registry, "upsert", crash)
        report = service.ingest_paths([note], progress=False)
    assert report.skipped and "power cut" in report.skipped[0][1]


def test_a_query_returns_k_passages_despite_leftovers_of_an_interrupted_write(
        fresh_service: RagService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "treaty.txt"
    note.write_text(_version("Zarvonian", paragraphs=6))
    other = tmp_path / "other.txt"
    other.write_text(_version("Ostrakan", paragraphs=40))
    fresh_service.ingest_paths([note, other], progress=False)
    note.write_text(_version("Zarvonian", paragraphs=120))  # many near-identical chunks
    _crash_midway(fresh_service, note, monkeypatch)
    leftovers = fresh_service.store.chunks.count() - sum(
        d.chunks for d in fresh_service.documents())
    assert leftovers > 16  # more than the first 2k fetched
    hits = fresh_service.store.query(
        fresh_service.embedder.embed_query("Zarvonian delegation harbour"), top_k=8)
    assert len(hits) == 8


def test_repair_finishes_interrupted_writes_and_leaves_live_ones_alone(
        fresh_service: RagService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    note = tmp_path / "treaty.txt"
    note.write_text(_version("Zarvonian", paragraphs=4))
    fresh_service.ingest_paths([note], progress=False)
    committed = fresh_service.store.chunks.count()
    note.write_text(_version("Quelpartan", paragraphs=4))
    _crash_midway(fresh_service, note, monkeypatch)
    doc_id = fresh_service.documents()[0].doc_id
    with fresh_service.store._locks.hold(doc_id):  # as if its writer were still at work
        assert fresh_service.store.repair() == 0
    leftovers = fresh_service.store.chunks.count() - committed
    assert leftovers > 0 and fresh_service.store.repair() == leftovers
    assert fresh_service.store.chunks.count() == committed
    assert fresh_service.store.journal.count() == 0


def test_a_second_writer_waits_for_the_first_to_finish(
        fresh_service: RagService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The race the two processes above may or may not hit, forced: writer B writes while
    writer A has added its chunks and not yet committed. Without the lock both replace the
    version they saw first, and A's commit leaves B's chunks behind unowned, where no
    repair looks for them."""
    store = fresh_service.store

    def write(word: str) -> None:
        doc = load_bytes("treaty.txt", _version(word, paragraphs=8).encode())
        chunks = chunk_text(doc.text, 180, 30, fresh_service.embedder.tokenizer)
        store.write_documents([DocumentWrite(
            doc_id=doc.doc_id, source=doc.source, title=doc.title, text=doc.text,
            content_hash=doc.content_hash, file_hash=word, chunks=chunks,
            embeddings=fresh_service.embedder.embed_texts([c.text for c in chunks]))])

    write("Ostrakan")  # the version both writers replace
    a_written, release_a = threading.Event(), threading.Event()
    commit = store.registry.upsert

    def pause_writer_a(**kwargs: object) -> None:
        if threading.current_thread().name == "writer-a":
            a_written.set()
            release_a.wait(30)
        commit(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store.registry, "upsert", pause_writer_a)
    a = threading.Thread(target=write, args=("Zarvonian",), name="writer-a")
    b = threading.Thread(target=write, args=("Quelpartan",), name="writer-b")
    a.start()
    assert a_written.wait(60)
    b.start()
    b.join(5)  # without the lock B finishes here; with it, B waits for A
    release_a.set()
    a.join(60)
    b.join(60)
    [doc] = fresh_service.documents()
    got = store.chunks.get(where={"doc_id": doc.doc_id}, include=["metadatas"])
    assert len(got["ids"]) == doc.chunks > 0
    assert {m["content_hash"] for m in got["metadatas"] or []} == {doc.content_hash}


def test_a_lock_admits_one_holder_at_a_time_and_leaves_no_file(tmp_path: Path) -> None:
    """Each holder removes the lock file when done; a waiter that locked the removed file
    must notice and lock the path's new one, or two holders would be inside at once."""
    locks, inside, most, rounds = DocumentLocks(tmp_path / "locks"), [0], [0], 300
    guard = threading.Lock()

    def work() -> None:
        for _ in range(rounds):
            with locks.hold("0123456789abcdef"):
                with guard:
                    inside[0] += 1
                    most[0] = max(most[0], inside[0])
                os.sched_yield()  # let the others pile up on this file
                with guard:
                    inside[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert most[0] == 1
    assert list((tmp_path / "locks").iterdir()) == []


def test_a_held_lock_is_busy_to_another_file_handle_and_free_after(tmp_path: Path) -> None:
    """What repair() tells a live write by: hold(wait=False) while another holds it."""
    locks = DocumentLocks(tmp_path / "locks")
    with locks.hold("doc") as first, locks.hold("doc", wait=False) as second:
        assert first and not second
    with locks.hold("doc", wait=False) as again:
        assert again
    assert list((tmp_path / "locks").iterdir()) == []


def test_deletes_known_or_unknown_leave_no_lock_file(
        fresh_service: RagService, tmp_path: Path) -> None:
    note = tmp_path / "treaty.txt"
    note.write_text(_version("Zarvonian", paragraphs=2))
    fresh_service.ingest_paths([note], progress=False)
    locks = fresh_service.settings.data_dir / "locks"
    for i in range(200):
        assert not fresh_service.delete_document(f"{i:016x}")
    assert fresh_service.delete_document(fresh_service.documents()[0].doc_id)
    assert [p for p in locks.rglob("*") if p.is_file()] == []


def test_deleting_an_unknown_document_takes_no_lock(fresh_service: RagService) -> None:
    unknown, done = "00000000deadbeef", threading.Event()
    with fresh_service.store._locks.hold(unknown):  # a delete that locked would wait here
        threading.Thread(target=lambda: (fresh_service.delete_document(unknown), done.set()),
                         daemon=True).start()
        assert done.wait(10)
