"""The window's handlers over a stand-in service: streaming, history, errors, documents.

The stand-in keeps these tests fast and lets them make the service fail on purpose;
the browser test drives the same handlers over the real service.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import gradio as gr
import pytest
from gradio.state_holder import SessionState

from ingest.pipeline import IngestReport
from rag.answering import TextDelta
from rag.answering.generative import LLMBusyError, LLMUnavailableError
from rag.components.store import StoreError
from rag.errors import AnswererNotConfiguredError
from rag.schemas import Answer, Citation, DocumentInfo, Filters, Turn
from tests.conftest import make_settings
from ui import app
from ui.errors import describe_error

ARTICLE = "Intro. The two leaders met in Beijing. Outro."
SPAN = "The two leaders met in Beijing."
SKIP = gr.skip()


class StubService:
    """The slice of RagService the window uses; `fail` makes a call raise it."""

    def __init__(self, settings: Any, fail: Exception | None = None) -> None:
        self.settings = settings
        self.fail = fail
        self.text_fails = False
        self.answerers: dict[str, object] = {"extractive": object()}
        self.default_mode = "extractive"
        self.calls: list[tuple[str, int | None, list[Turn], str | None]] = []
        self.filters: list[Filters | None] = []
        self.uploads: list[tuple[str, bytes]] = []
        self.docs = [DocumentInfo(doc_id="d1", source="a.txt", title="A", content_hash="h",
                                  chars=len(ARTICLE), chunks=1, ingested_at="2026-01-01")]

    def ask_stream(self, question: str, top_k: int | None = None,
                   history: Sequence[Turn] = (), mode: str | None = None,
                   filters: Filters | None = None) -> Iterator[TextDelta | Answer]:
        self.calls.append((question, top_k, list(history), mode))
        self.filters.append(filters)
        yield TextDelta("They met ")
        if self.fail:
            raise self.fail
        yield TextDelta("in Beijing. [1]")
        start = ARTICLE.index(SPAN)
        yield Answer(answer="They met in Beijing. [1]", refused=False, mode="extractive",
                     citations=[Citation(n=1, source="a.txt", doc_id="d1", chunk_id="d1:0",
                                         text=SPAN, start=start, end=start + len(SPAN),
                                         score=0.9)])

    def documents(self) -> list[DocumentInfo]:
        if self.fail:
            raise self.fail
        return self.docs

    def document_text(self, doc_id: str) -> str | None:
        if self.text_fails:
            raise StoreError("Chroma failed to get: gone")
        return ARTICLE if doc_id == "d1" else None

    def ingest_uploads(self, uploads: list[tuple[str, bytes]]) -> IngestReport:
        if self.fail:
            raise self.fail
        self.uploads += uploads
        return IngestReport(added=[uploads[0][0]], skipped=[("x.jpg", "unsupported file type")])

    def delete_document(self, doc_id: str) -> bool:
        if self.fail:
            raise self.fail
        return doc_id == "d1"


@pytest.fixture
def stub(tmp_path: Path) -> StubService:
    return StubService(make_settings(tmp_path))


def ask(service: StubService, question: str, chat: list[dict[str, str]] | None = None,
        turns: list[dict[str, str]] | None = None,
        cards: list[str] | None = None) -> list[tuple[Any, ...]]:
    return list(app.stream_answer(service, question, chat or [], turns or [], cards or [],
                                  4, "extractive"))  # type: ignore[arg-type]


def run_event(demo: gr.Blocks, trigger: str) -> list[Any]:
    """Run the one event `trigger` fires ("load": the page opening) as Gradio does, with
    its pre- and post-processing; return what would be sent to the browser."""
    fns = [fn for fn in demo.fns.values() if any(event == trigger for _, event in fn.targets)]
    assert len(fns) == 1, f"expected one '{trigger}' event, found {len(fns)}"
    return asyncio.run(demo.process_api(fns[0], [], state=SessionState(demo)))["data"]


@pytest.mark.parametrize("trigger", ["load", "select"])  # the page opens; the tab is shown
def test_window_opens_with_a_readable_error_when_the_store_is_down(
        stub: StubService, trigger: str) -> None:
    stub.fail = StoreError("Chroma failed to connect")
    demo = app.build_ui(stub)  # type: ignore[arg-type]
    summary, table, choice = run_event(demo, trigger)  # reads the store: fails, never raises
    assert 'class="error-msg"' in summary and "index is unavailable" in summary
    assert "Chroma failed to connect" in summary
    assert table == choice == {"__type__": "update"}  # left as they were
    stub.fail = None  # the store is back: the same event lists the documents
    assert "1 document</strong>" in run_event(demo, trigger)[0]


@pytest.mark.parametrize("answerers, interactive", [(["extractive"], False),
                                                     (["extractive", "llm"], True)])
def test_answerer_choice_is_offered_only_with_an_llm(
        stub: StubService, answerers: list[str], interactive: bool) -> None:
    stub.answerers = dict.fromkeys(answerers, object())
    demo = app.build_ui(stub)  # type: ignore[arg-type]
    radio = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "answerer")
    slider = next(b for b in demo.blocks.values() if getattr(b, "elem_id", None) == "top-k")
    assert radio.interactive is interactive and radio.value == "extractive"
    assert slider.value == stub.settings.top_k


def test_answer_streams_then_links_markers_and_fills_the_sources_panel(
        stub: StubService) -> None:
    steps = ask(stub, "  Where did they meet?  ")
    box, chat, *_ = steps[0]
    assert box == "" and chat == [{"role": "user", "content": "Where did they meet?"}]
    partials = [s[1][-1]["content"] for s in steps[1:-1]]
    assert partials[0].endswith("They met </div>") and "in Beijing. [1]" in partials[-1]
    box, chat, turns, cards, panel = steps[-1]
    assert 'href="#src-1-1"' in chat[-1]["content"]
    assert turns == [{"role": "user", "content": "Where did they meet?"},
                     {"role": "assistant", "content": "They met in Beijing. [1]"}]
    assert 'id="src-1-1"' in panel and f"<mark>{SPAN}</mark>" in panel and len(cards) == 1
    assert stub.calls == [("Where did they meet?", 4, [], "extractive")]


def test_follow_up_passes_the_earlier_turns_and_numbers_its_cards_apart(
        stub: StubService) -> None:
    *_, (_, chat, turns, cards, _) = ask(stub, "Where did they meet?")
    *_, (_, chat, turns, cards, panel) = ask(stub, "And then?", chat, turns, cards)
    assert stub.calls[1][2] == [Turn(role="user", content="Where did they meet?"),
                                Turn(role="assistant", content="They met in Beijing. [1]")]
    assert len(chat) == 4 and 'href="#src-2-1"' in chat[-1]["content"]
    assert panel.index('id="src-2-1"') < panel.index('id="src-1-1"')  # newest first


def test_answer_still_shows_when_the_article_text_cannot_be_read(stub: StubService) -> None:
    stub.text_fails = True
    *_, (_, chat, _, _, panel) = ask(stub, "Where did they meet?")
    assert 'href="#src-1-1"' in chat[-1]["content"]
    assert f"<mark>{SPAN}</mark>" in panel  # the cited text alone, without its context


def test_user_question_is_shown_as_text_not_markup(stub: StubService) -> None:
    chat = ask(stub, "<img src=x onerror=alert(1)>")[0][1]
    assert chat[-1]["content"] == "&lt;img src=x onerror=alert(1)&gt;"


def test_empty_question_changes_nothing(stub: StubService) -> None:
    assert ask(stub, "   ") == [(SKIP,) * 5]
    assert stub.calls == []


@pytest.mark.parametrize("exc, words", [
    (LLMUnavailableError("LLM endpoint unreachable: connection refused"), "could not be reached"),
    (LLMBusyError("all slots taken"), "busy"),
    (StoreError("Chroma failed to query: gone"), "index is unavailable"),
    (AnswererNotConfiguredError("answerer 'llm' is not configured; available: extractive"),
     "not configured"),
    (KeyError("boom"), "KeyError"),
])
def test_a_failing_service_shows_a_message_and_keeps_the_conversation(
        stub: StubService, exc: Exception, words: str) -> None:
    stub.fail = exc
    steps = ask(stub, "Where did they meet?", turns=[{"role": "user", "content": "earlier"}])
    box, chat, turns, cards, panel = steps[-1]
    assert box == "Where did they meet?"  # back in the box, to retry
    assert 'class="error-msg"' in chat[-1]["content"] and words in chat[-1]["content"]
    assert chat[-2] == {"role": "user", "content": "Where did they meet?"}
    assert (turns, cards, panel) == (SKIP, SKIP, SKIP)  # the failed turn is not remembered


def test_describe_error_keeps_long_details_short() -> None:
    message = describe_error(RuntimeError("x" * 5000))
    assert len(message) < 400 and "server log" in message


def test_documents_listing_and_its_error(stub: StubService) -> None:
    summary, rows, choice = app.list_documents(stub)  # type: ignore[arg-type]
    assert "1 document</strong>, 1 chunk indexed" in summary and rows[0][0] == "a.txt"
    assert choice.choices == [("a.txt: A", "d1")]
    stub.fail = StoreError("Chroma failed to list: gone")
    summary, rows, choice = app.list_documents(stub)  # type: ignore[arg-type]
    assert "error-msg" in summary and "gone" in summary and rows == SKIP


def uploaded(folder: Path, name: str, text: str) -> Path:
    """A file as Gradio's upload route writes it: in a folder named by its hash."""
    path = folder / "c0ffee" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_ingest_reads_the_uploaded_files_under_their_own_names_then_deletes_them(
        stub: StubService, tmp_path: Path) -> None:
    folder = tmp_path / "gradio-cache"
    upload = uploaded(folder, "new article.txt", "Some text.")
    uploads = app.Uploads(folder, {str(upload)}, {str(upload)})
    html = app.ingest_files(stub, [str(upload)], uploads)  # type: ignore[arg-type]
    assert stub.uploads == [("new article.txt", b"Some text.")]
    assert "added" in html and "new article.txt" in html and "unsupported file type" in html
    assert list(folder.iterdir()) == [] and uploads.received == uploads.cached == set()
    assert "Choose one or more" in app.ingest_files(stub, [], uploads)  # type: ignore[arg-type]
    stub.fail = StoreError("disk full")
    upload = uploaded(folder, "new article.txt", "Some text.")
    uploads.received.add(str(upload))
    html = app.ingest_files(stub, [str(upload)], uploads)  # type: ignore[arg-type]
    assert "Ingest failed" in html and not upload.exists()  # deleted all the same


def test_ingest_refuses_every_path_not_uploaded_and_deletes_nothing_outside(
        stub: StubService, tmp_path: Path) -> None:
    folder = tmp_path / "gradio-cache"
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    upload = uploaded(folder, "a.txt", "Some text.")
    planted = uploaded(folder, "planted.txt", "not uploaded")
    link = folder / "c0ffee" / "link.txt"
    link.symlink_to(outside)
    sneaky = f"{folder}/c0ffee/../../{outside.name}"
    # Recorded as uploads but resolving outside the folder: refused all the same.
    uploads = app.Uploads(folder, {str(upload), str(link), sneaky})
    paths = [str(outside), sneaky, str(link), str(planted), str(upload)]
    html = app.ingest_files(stub, paths, uploads)  # type: ignore[arg-type]
    assert stub.uploads == [("a.txt", b"Some text.")]  # read: only the upload
    for name in ("secret.txt", "link.txt", "planted.txt"):
        assert f"{name}</code> <span" in html
    assert html.count("not a file uploaded to this chat") == 4
    assert outside.read_text() == "secret"  # the link was deleted, not its target
    assert list(folder.iterdir()) == []
    html = app.ingest_files(stub, [str(outside)], uploads)  # type: ignore[arg-type]
    assert "error-msg" in html and "Nothing ingested" in html and outside.exists()
    assert len(stub.uploads) == 1


def test_delete_outcomes(stub: StubService) -> None:
    assert "Deleted" in app.delete_document(stub, "d1")  # type: ignore[arg-type]
    assert "already gone" in app.delete_document(stub, "nope")  # type: ignore[arg-type]
    assert "Choose a document" in app.delete_document(stub, None)  # type: ignore[arg-type]
    stub.fail = StoreError("locked")
    assert "Delete failed" in app.delete_document(stub, "d1")  # type: ignore[arg-type]


def test_the_picker_and_the_date_range_become_the_services_filter(stub: StubService) -> None:
    assert app.scope_filters([], " ", "") is None  # nothing picked: every article
    picked = app.scope_filters(["0123456789abcdef"], " 2024-07-01 ", "2024-07-05")
    assert picked == Filters(doc_ids=["0123456789abcdef"], since="2024-07-01",
                             until="2024-07-05")
    for since, until, said in [("2024-13-01", "", "Published from: 2024-13-01 is not a day"),
                               ("", "5/7/2024", "Published until: write the day as YYYY-MM-DD"),
                               ("2024-07-02", "2024-07-01", "is after until")]:
        with pytest.raises(ValueError, match=said):
            app.scope_filters(None, since, until)
    list(app.stream_answer(stub, "Where?", [], [], [], 4, "extractive",  # type: ignore[arg-type]
                           filters=picked))
    assert stub.filters == [picked]


def test_the_picker_lists_documents_by_headline_newest_first_and_keeps_what_is_picked(
        stub: StubService) -> None:
    def doc(doc_id: str, title: str, published: str | None = None,
            site: str | None = None) -> DocumentInfo:
        return DocumentInfo(doc_id=doc_id, source=f"{doc_id}.txt", title=title,
                            published=published, site=site, content_hash="h", chars=1,
                            chunks=1, ingested_at="")

    stub.docs = [doc("d1", ""), doc("d2", "Older", "2023-10-17", "AP"),
                 doc("d3", "Newer", "2024-07-05")]
    update = app.document_choices(stub, ["d3", "gone"])  # type: ignore[arg-type]
    assert update.choices == [("Newer — 2024-07-05", "d3"), ("Older — AP, 2023-10-17", "d2"),
                                 ("d1.txt", "d1")]
    assert update.value == ["d3"]
    stub.fail = StoreError("down")
    assert app.document_choices(stub, ["d3"]) == SKIP  # type: ignore[arg-type]
