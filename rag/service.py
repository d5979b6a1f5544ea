"""The one object the CLI, the API, the UI and the eval harness call.

It owns the components (store, embedder, answerers) and wires a request through
retrieval, then answering. Nothing above it touches Chroma or the LLM.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from ingest.metadata import ArticleMeta
from ingest.pipeline import Ingestor, IngestReport
from rag import feedback
from rag.answering import AnswerDraft, Answerer, TextDelta
from rag.answering.extractive import SENTENCE_VECTORS, ExtractiveAnswerer, Switches
from rag.answering.question import Question, read_question
from rag.components.embedding import build_embedding_model
from rag.components.language import shared as shared_language
from rag.components.sentence_vectors import sentence_vectors_for
from rag.components.store import ChunkStore, open_store
from rag.components.vector_cache import DiskVectors, VectorCache
from rag.errors import AnswererNotConfiguredError
from rag.retrieval import Retriever
from rag.schemas import NO_MATCH, Answer, DocumentInfo, Filters, Passage, Timings, Turn
from rag.settings import Settings

PART_EXTRA = 2  # passages searched for each part of a question, beyond top_k
LIST_EXTRA = 5  # and for a question (or part) asking for a list
LEXICAL_EXTRA = 1  # BM25 hits the fusion left out, read beside the top k


class RagService:
    def __init__(self, settings: Settings, short_lived: bool = False,
                 reader: Switches | None = None) -> None:
        """short_lived: one question, then the process exits (`rag ask`). reader: the
        extractive reader's mechanisms (the ablation turns them off)."""
        self.settings = settings
        self.language = shared_language()
        self.embedder = build_embedding_model(settings, quick_load=short_lived)
        self.store: ChunkStore = open_store(settings, self.embedder.name)
        self.retriever = Retriever(
            self.store, self.embedder,
            fusion="relative" if settings.retrieval == "hybrid" else "dense",
            lexical_dir=settings.data_dir / "bm25" / settings.collection)
        # Sentences and words embedded once serve every later question and process (a
        # cache); the chunks' sentence vectors are written by ingest, beside the index.
        model_file = f"{_file_name(self.embedder.name)}.db"
        disk = DiskVectors(settings.data_dir / "vectors" / model_file)
        in_context = sentence_vectors_for(self.embedder,
                                          settings.data_dir / "sentences" / model_file)
        self.ingestor = Ingestor(self.store, self.embedder, settings, in_context)
        self.reader_switches = reader or Switches()
        self.answerers: dict[str, Answerer] = {
            "extractive": ExtractiveAnswerer(
                self.embedder, self.language, VectorCache(self.embedder, SENTENCE_VECTORS, disk),
                in_context, switches=self.reader_switches)}
        if settings.llm == "openai":
            from rag.answering.generative import GenerativeAnswerer

            self.answerers["llm"] = GenerativeAnswerer(
                settings, slot_wait_s=settings.llm_queue_timeout_s, embedder=self.embedder)
        self.default_mode = "llm" if settings.llm == "openai" else "extractive"

    # -- questions -----------------------------------------------------------------------

    def search(self, query: str, top_k: int | None = None, lexical_extra: int = 0,
               filters: Filters | None = None) -> list[Passage]:
        """The top passages for `query` among the articles `filters` admits (all: None)."""
        return self.retriever.retrieve(query, top_k or self.settings.top_k, lexical_extra,
                                       filters)

    def ask(self, question: str, top_k: int | None = None, history: Sequence[Turn] = (),
            mode: str | None = None, filters: Filters | None = None) -> Answer:
        for event in self.ask_stream(question, top_k, history, mode, filters):
            if isinstance(event, Answer):
                return event
        raise RuntimeError("answer stream ended without an answer")  # a bug, not user error

    def ask_stream(self, question: str, top_k: int | None = None,
                   history: Sequence[Turn] = (), mode: str | None = None,
                   filters: Filters | None = None) -> Iterator[TextDelta | Answer]:
        """Yield the answer's text as it is produced, then the whole Answer. `filters`:
        search only those articles; when it admits none, the answer says so (refused)."""
        answerer = self.answerer(mode)
        t0 = time.perf_counter()
        if filters is not None and filters.given() and not self.store.matching_documents(
                filters):
            yield Answer(answer=self.no_match(filters), refused=True, mode=answerer.mode,
                         citations=[], timings_ms=Timings(total=_ms(time.perf_counter() - t0)))
            return
        asked = self.read(question, history)
        passages = self.retrieve_for(asked, top_k, answerer, filters)
        t1 = time.perf_counter()
        draft: AnswerDraft | None = None
        for event in answerer.stream(asked, passages):
            if isinstance(event, AnswerDraft):
                draft = event
            else:
                yield event
        t2 = time.perf_counter()
        assert draft is not None, "answerers end their stream with an AnswerDraft"
        yield Answer(answer=draft.answer, refused=draft.refused, mode=answerer.mode,
                     citations=draft.citations, related=draft.related, retrieved=passages,
                     unsupported=draft.unsupported,
                     timings_ms=Timings(retrieve=_ms(t1 - t0), generate=_ms(t2 - t1),
                                        total=_ms(t2 - t0)))

    def read(self, question: str, history: Sequence[Turn] = ()) -> Question:
        """The one reading of the question that retrieval and the answerer share."""
        switches = self.reader_switches
        return read_question(question, history, self.language, parts=switches.parts,
                             follow_ups=switches.follow_ups)

    def retrieve_for(self, question: Question, top_k: int | None = None,
                     answerer: Answerer | None = None,
                     filters: Filters | None = None) -> list[Passage]:
        """The passages an answer may use: top k for the question, or for each of its parts,
        among the articles `filters` admits. A follow-up is searched as the LLM rewrites it,
        if the answerer has one, else with the question it continues."""
        condense = getattr(answerer, "condense", None)
        rewritten = condense(question) if condense else None
        k = top_k or self.settings.top_k
        if rewritten or len(question.parts) == 1:
            # A list ("which leaders ...") gathers what every article tells: it reads more.
            # With BM25's best hit that the fusion left out (on the eval: +1 answer, none
            # lost; for each part of a question it cost citation precision).
            listing = question.parts[0].wants_list or question.timeline
            return self.search(rewritten or question.search_text,
                               k + LIST_EXTRA if listing else k, LEXICAL_EXTRA, filters)
        found: dict[str, Passage] = {}
        for part in question.parts:
            # A part is shorter than a whole question, so its search is noisier: it gets a
            # few more passages (on the eval: multi-article questions 0.25 -> 0.33 held-out).
            extra = LIST_EXTRA if part.wants_list else PART_EXTRA
            for p in self.search(f"{question.context}\n{part.text}".strip(), k + extra,
                                 filters=filters):
                found.setdefault(p.chunk_id, p)
        return list(found.values())

    def no_match(self, filters: Filters) -> str:
        """The answer to a question whose filter admits no article: the filter, not the
        articles, is why nothing answers. Documents are named by their headlines."""
        names = {d.doc_id: d.title or d.source for d in self.documents()} if (
            filters.doc_ids) else {}
        undated = (" (an article without a publication date never matches a date range)"
                   if filters.since or filters.until else "")
        return (f"{NO_MATCH}: {filters.describe(names)}{undated}. Widen or remove the filter "
                "to search the articles.")

    def answerer(self, mode: str | None = None) -> Answerer:
        mode = mode or self.default_mode
        if mode not in self.answerers:
            raise AnswererNotConfiguredError(f"answerer '{mode}' is not configured; "
                                             f"available: {', '.join(self.answerers)}")
        return self.answerers[mode]

    def record_feedback(self, question: str, answer: Answer, vote: feedback.Vote,
                        history: Sequence[Turn] = (), top_k: int | None = None) -> None:
        """Store a reader's vote on an answer in the data dir, for `rag eval --from-feedback`
        to turn into eval-set candidates."""
        feedback.append(self.settings.data_dir / feedback.FILE_NAME,
                        feedback.record(question, answer, vote, history,
                                        top_k or self.settings.top_k))

    # -- documents -----------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        return self.store.documents()

    def document_text(self, doc_id: str) -> str | None:
        return self.store.document_text(doc_id)

    def ingest_paths(self, paths: Iterable[Path], prune: bool = False,
                     progress: bool = True, given: ArticleMeta | None = None,
                     urls: Iterable[str] = ()) -> IngestReport:
        """Files, folders and URLs (pages, feeds); `given`: metadata for all of them."""
        report = self.ingestor.ingest_paths(paths, prune=prune, progress=progress,
                                            given=given, urls=urls)
        self._follow_writes(bool(report.added or report.updated or report.removed))
        return report

    def ingest_urls(self, urls: Iterable[str], given: ArticleMeta | None = None) -> IngestReport:
        return self.ingest_paths([], progress=False, given=given, urls=urls)

    def ingest_uploads(self, uploads: Iterable[tuple[str, bytes]]) -> IngestReport:
        report = self.ingestor.ingest_uploads(uploads)
        self._follow_writes(bool(report.added or report.updated))
        return report

    def delete_document(self, doc_id: str) -> bool:
        deleted = self.store.delete_document(doc_id)
        self._follow_writes(deleted)
        return deleted

    def _follow_writes(self, changed: bool) -> None:
        """Rebuild the BM25 index after a change now, not at the next question."""
        if changed and self.retriever.fusion != "dense":
            self.retriever.lexical.refresh()

    def rebuild(self) -> None:
        """Drop the index, e.g. to re-ingest with another embedding model."""
        self.store.drop_all()

    def warm(self) -> None:
        """Load what commands load lazily (the embedding model), for a server."""
        load = getattr(self.embedder, "load", None)
        if load:
            load()
        self.language.load()

    def readiness(self) -> dict[str, str]:
        """Check the store and the default answerer; raises with the reason when not ready."""
        self.store.heartbeat()
        self.store.check_embedding_model()
        self.answerer().check()
        return {"store": "ok", "answerer": self.default_mode}


def _file_name(model: str) -> str:
    """A model name ("all-MiniLM-L6-v2", "text-embedding-3-small", a folder's) as a file name."""
    return re.sub(r"[^\w.-]+", "_", model).strip("._") or "model"


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)
