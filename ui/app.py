"""The Gradio chat window: chat with cited answers, a sources panel, and a documents tab.

`build_ui(service)` returns the Blocks; rag/api/app.py mounts it at "/" of the API's
FastAPI app with `css=UI_CSS`. Every handler calls only the service object, and
catches everything it raises, so an error shows as a message and never blanks the window.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable, Generator, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder
from pydantic import ValidationError

from ingest.loaders import SUPPORTED_SUFFIXES
from rag.answering import TextDelta
from rag.feedback import Vote
from rag.schemas import Answer, DocumentInfo, Filters, Turn
from rag.service import RagService
from ui import render
from ui.errors import describe_error
from ui.export import Exchange, conversation_markdown, discard, history_turns, write_export
from ui.style import UI_CSS

log = logging.getLogger(__name__)

EXAMPLES = [
    "Where did Orban and Putin meet during the Belt and Road Forum?",
    "What did Orban say about his visit to Moscow in July 2024?",
    "Who joined Orban and Putin in the Kremlin?",
]
MODE_LABELS = [("Extractive", "extractive"), ("LLM", "llm")]
CHAT_HEIGHT = 560
HEADER = ('<div class="app-title"><h1>Ask the articles</h1><p>Answers come only from the '
          'ingested news articles. Each <span class="cite-demo">[n]</span> links to the exact '
          "passage it quotes, highlighted in the sources panel.</p></div>")

Messages = list[dict[str, str]]
REFUSED = ("not a file uploaded to this chat (or its upload expired after an hour): "
           "upload it again")

__all__ = ["EXAMPLES", "UI_CSS", "build_ui"]


def build_ui(service: RagService) -> gr.Blocks:
    # delete_cache: Gradio deletes uploads never ingested after an hour, and all at shutdown.
    with gr.Blocks(title="Article Q&A", fill_width=False, delete_cache=(600, 3600)) as demo:
        gr.HTML(HEADER, elem_id="app-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                pick = _chat_tab(service)
            with gr.Tab("Documents", id="documents") as docs_tab:
                refresh = _documents_tab(service, demo.upload_file_set, pick)
        # The list (and the chat's document picker) is read when the page opens and each
        # time the tab is shown, so it reflects ingests done elsewhere (the CLI, the API)
        # without a reload.
        demo.load(**refresh).then(**pick)
        docs_tab.select(**refresh).then(**pick)
    return demo


# -- chat --------------------------------------------------------------------------------------


def _chat_tab(service: RagService) -> dict[str, Any]:
    """Build the tab; return the event spec that refreshes its document picker."""
    turns = gr.State([])  # the conversation as plain text, for follow-up questions
    groups = gr.State([])  # one HTML block of source cards per answer
    exchanges = gr.State([])  # the answers themselves, for the export and the votes
    exported = gr.State(None)  # the path of this session's export file
    with gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=380):
            chatbot = gr.Chatbot(
                label="Conversation", height=CHAT_HEIGHT, elem_id="chat",
                examples=[{"text": q} for q in EXAMPLES], feedback_options=("Like", "Dislike"),
                placeholder="**Ask a question about the articles**, or pick an example:",
                buttons=[], layout="bubble")  # copy would copy our HTML markup
            question = gr.Textbox(
                show_label=False, placeholder="Ask a question about the articles…",
                submit_btn="Ask", max_lines=4, autofocus=True, elem_id="question",
                max_length=service.settings.max_question_chars)
            with gr.Row(elem_id="chat-settings"):
                top_k, mode = _settings_controls(service)
                picked, since, until = _scope_controls()
            export = gr.DownloadButton("Export conversation (Markdown)", value=None,
                                       interactive=False, size="sm", elem_id="export-btn")
        with gr.Column(scale=2, min_width=320):
            gr.HTML("<h2>Sources</h2>", elem_classes="panel-title")
            sources = gr.HTML(render.EMPTY_SOURCES, elem_id="sources-panel",
                              js_on_load=None)

    def ask(text: str, chat: Messages, history: Messages, cards: list[str], k: float,
            answerer: str, done: list[Exchange], doc_ids: list[str] | None, first: str,
            last: str) -> Iterator[tuple[Any, ...]]:
        try:
            filters = scope_filters(doc_ids, first, last)
        except ValueError as exc:  # the question stays in its box, to ask again
            gr.Warning(str(exc))
            yield (gr.skip(),) * 6
            return
        answered: list[Answer] = []
        for out in stream_answer(service, text, chat, history, cards, int(k), answerer,
                                 on_answer=answered.append, filters=filters):
            if not answered:
                yield (*out, gr.skip())
                continue
            # Kept without the retrieved passages: the session holds only what it shows.
            answer = answered.pop().model_copy(update={"retrieved": []})
            yield (*out, [*done, Exchange(text.strip(), answer, history_turns(history),
                                          int(k), chat_index=len(out[1]) - 1)])

    io = {"fn": ask, "inputs": [question, chatbot, turns, groups, top_k, mode, exchanges,
                                picked, since, until],
          "outputs": [question, chatbot, turns, groups, sources, exchanges],
          "concurrency_limit": service.settings.llm_concurrency}
    asking = [question.submit(**io),
              chatbot.example_select(_example_text, None, question, queue=False).then(**io)]
    for event in asking:  # the export always holds the conversation so far
        event.then(export_conversation, [exchanges, exported], [export, exported])

    def vote(done: list[Exchange], data: gr.LikeData) -> None:  # typed: Gradio passes `data`
        record_vote(service, done, data)

    chatbot.like(vote, exchanges, None)

    def clear(path: str | None) -> tuple[Any, ...]:
        discard(path, _export_folder())
        return [], [], render.EMPTY_SOURCES, [], None, gr.DownloadButton(value=None,
                                                                          interactive=False)

    # The chat's own clear (bin) button starts a new conversation: stop the answer under
    # way and forget the turns, sources and export too.
    chatbot.clear(clear, exported, [turns, groups, sources, exchanges, exported, export],
                  queue=False, cancels=asking)

    def on_refresh(kept: list[str] | None) -> Any:
        return document_choices(service, kept)

    return {"fn": on_refresh, "inputs": picked, "outputs": picked, "queue": False}


def _export_folder() -> Path:
    """Gradio's upload folder (the data dir's chat-uploads under `rag serve`): it serves
    files from there without copying them, and deletes them after an hour and at exit."""
    return Path(get_upload_folder()).resolve() / "exports"


def export_conversation(done: list[Exchange], previous: str | None) -> tuple[Any, str | None]:
    """Write the conversation's Markdown for the download button; (button, file path)."""
    if not done:
        return gr.skip(), previous
    try:
        path = str(write_export(_export_folder(), conversation_markdown(done), previous))
    except OSError:  # the chat goes on without a fresh export
        log.exception("writing the conversation's export failed")
        return gr.skip(), previous
    return gr.DownloadButton(value=path, interactive=True), path


def record_vote(service: RagService, done: list[Exchange], vote: gr.LikeData) -> None:
    """Store a thumbs up or down (or its withdrawal) on an answer; votes on other messages
    (an error) have nothing to store."""
    exchange = next((e for e in done if e.chat_index == vote.index), None)
    if exchange is None:
        return
    # Gradio sends True (Like), False (Dislike), or "" when the reader takes the vote back.
    choice: Vote = "up" if vote.liked is True else "down" if vote.liked is False else "cleared"
    try:
        service.record_feedback(exchange.question, exchange.answer, choice,
                                exchange.history, exchange.top_k)
    except Exception as exc:  # the window stays usable; the reader hears why
        log.exception("storing a vote failed")
        gr.Warning(f"Your vote could not be saved: {describe_error(exc)}")


def _settings_controls(service: RagService) -> tuple[gr.Slider, gr.Radio]:
    default_k = service.settings.top_k
    top_k = gr.Slider(1, max(20, default_k), value=default_k, step=1, label="Passages (top-k)",
                      info="How many passages are searched for the answer.", min_width=220,
                      elem_id="top-k")
    has_llm = "llm" in service.answerers
    info = ("Extractive quotes the articles; LLM writes the answer." if has_llm
            else "Extractive quotes the articles (no LLM configured: RAG_LLM=openai).")
    mode = gr.Radio(MODE_LABELS, value=service.default_mode, label="Answerer", info=info,
                    interactive=has_llm, min_width=220, elem_id="answerer")
    return top_k, mode


def _scope_controls() -> tuple[gr.Dropdown, gr.Textbox, gr.Textbox]:
    """Which articles the questions search: some documents, a range of publication days."""
    picked = gr.Dropdown(choices=[], value=[], multiselect=True, label="Articles",
                         info="Search only these (none picked: all).", min_width=300,
                         elem_id="doc-picker")
    since, until = (gr.Textbox(label=label, placeholder="YYYY-MM-DD", max_lines=1, info=info,
                               min_width=140, elem_id=elem)
                    for label, info, elem in (
                        ("Published from", "Undated articles then drop out.", "since"),
                        ("Published until", "Both days included.", "until")))
    return picked, since, until


def scope_filters(doc_ids: list[str] | None, since: str | None,
                  until: str | None) -> Filters | None:
    """The picker and the date range as the service's filter (None: all articles); a
    ValueError says what is wrong with the dates."""
    try:
        filters = Filters(doc_ids=doc_ids or None, since=(since or "").strip() or None,
                          until=(until or "").strip() or None)
    except ValidationError as exc:  # only the days are typed in
        fields = {"since": "Published from: ", "until": "Published until: "}
        raise ValueError("; ".join(
            fields.get(str(e["loc"][0]) if e["loc"] else "", "")
            + ("write the day as YYYY-MM-DD" if e["type"] == "string_pattern_mismatch"
               else e["msg"].removeprefix("Value error, ")) for e in exc.errors())) from None
    return filters if filters.given() else None


def document_choices(service: RagService, kept: list[str] | None) -> Any:
    """The picker's documents by headline (file name without one), outlet and date; the
    documents picked that still exist stay picked."""
    try:
        docs = service.documents()
    except Exception:  # the picker keeps its list; the chat still works
        log.exception("listing documents for the picker failed")
        return gr.skip()
    choices = [(_label(d), d.doc_id) for d in sorted(
        docs, key=lambda d: (d.published or "", d.title or d.source), reverse=True)]
    ids = {d.doc_id for d in docs}
    return gr.Dropdown(choices=choices, value=[i for i in kept or [] if i in ids],
                       multiselect=True)


def _label(doc: DocumentInfo) -> str:
    """"Orban meets Putin — Reuters, 2024-07-05": what a reader knows an article by."""
    title = doc.title or doc.source
    title = title if len(title) <= 90 else title[:89] + "…"
    about = ", ".join(x for x in (doc.site, doc.published) if x)
    return f"{title} — {about}" if about else title


def _example_text(event: gr.SelectData) -> str:
    return event.value["text"]


def stream_answer(service: RagService, text: str, chat: Messages, history: Messages,
                  cards: list[str], top_k: int, mode: str,
                  on_answer: Callable[[Answer], None] | None = None,
                  filters: Filters | None = None) -> Iterator[tuple[Any, ...]]:
    """Stream one answer into the chat, then link its markers and show its sources.

    Yields (question box, chat, turns, source groups, sources panel); `on_answer` is given
    the finished Answer just before the last yield; `filters`: the articles searched.
    """
    question = (text or "").strip()
    if not question:
        yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        return
    # Render the user's words as text, not markup: escape before the Markdown renderer.
    chat = [*chat, {"role": "user", "content": html.escape(question)}]
    yield "", chat, gr.skip(), gr.skip(), gr.skip()
    turn = len(cards) + 1
    try:
        answer = yield from _stream(service, question, chat, history, top_k, mode, filters)
        # The cards' headlines, outlets and dates come with the citations.
        panel_group = render.render_sources_group(
            answer, question, turn, lambda doc_id: _article_text(service, doc_id))
    except Exception as exc:  # any service failure becomes a message in the chat
        log.exception("answering %r failed", question)
        chat = [*chat, {"role": "assistant", "content": render.render_error(describe_error(exc))}]
        yield question, chat, gr.skip(), gr.skip(), gr.skip()  # the question back, to retry
        return
    chat = [*chat, {"role": "assistant", "content": render.render_answer(answer, turn)}]
    history = [*history, {"role": "user", "content": question},
               {"role": "assistant", "content": answer.answer}]
    cards = [*cards, panel_group]
    if on_answer:
        on_answer(answer)
    yield "", chat, history, cards, render.render_sources_panel(cards)


def _stream(service: RagService, question: str, chat: Messages, history: Messages,
            top_k: int, mode: str,
            filters: Filters | None) -> Generator[tuple[Any, ...], None, Answer]:
    """Show the answer text as it arrives; return the finished Answer."""
    turns = [Turn(role=t["role"], content=t["content"]) for t in history]  # type: ignore[arg-type]
    text = ""
    for event in service.ask_stream(question, top_k, history=turns, mode=mode,
                                    filters=filters):
        if isinstance(event, Answer):
            return event
        if isinstance(event, TextDelta):
            text += event.text
            partial = [*chat, {"role": "assistant", "content": render.render_partial(text)}]
            yield gr.skip(), partial, gr.skip(), gr.skip(), gr.skip()
    raise RuntimeError("the answer stream ended without an answer")


def _article_text(service: RagService, doc_id: str) -> str | None:
    """The article around a citation; without it the card still shows the cited text."""
    try:
        return service.document_text(doc_id)
    except Exception:
        log.exception("reading the text of %s failed", doc_id)
        return None


# -- documents ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Uploads:
    """The files Gradio received in uploads to this app (`received`, its own record) and
    the folder it wrote them to. Only these may be ingested: an event's file paths come
    from the client."""

    folder: Path
    received: set[str]
    cached: set[str] = field(default_factory=set)  # the file box's record of files it took

    def holds(self, path: str) -> bool:
        return path in self.received and Path(path).resolve().is_relative_to(self.folder)

    def discard(self, path: str) -> None:
        """Delete the file, and its folder (named by its hash) once empty; nothing outside
        the upload folder, and a symbolic link itself rather than its target."""
        self.received.discard(path)
        self.cached.discard(path)  # else kept, deleted or not, as long as the server runs
        parent = Path(path).parent.resolve()
        if parent.is_relative_to(self.folder):
            with suppress(OSError):  # gone already, or not a file
                (parent / Path(path).name).unlink()
                if parent != self.folder:
                    parent.rmdir()


def _documents_tab(service: RagService, received: set[str],
                   pick: dict[str, Any]) -> dict[str, Any]:
    """Build the tab; return the event spec that refreshes its table and delete choices.
    `pick`: the spec that refreshes the chat's document picker, run after each change."""
    summary = gr.HTML(elem_id="docs-summary")
    table = gr.Dataframe(headers=render.DOCUMENT_HEADERS, interactive=False, wrap=True,
                         elem_id="docs-table", column_widths=["22%", "46%", "8%", "10%", "14%"],
                         datatype=["str", "str", "number", "number", "str"])
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            # No file_types filter: the browser would drop other files with a bare "Error";
            # the ingest report says per file why it was skipped instead.
            files = gr.File(label="Add articles (" + ", ".join(SUPPORTED_SUFFIXES) + ")",
                            file_count="multiple", type="filepath", height=140,
                            elem_id="upload")
            # Gradio's upload route adds each file it writes to `received`.
            uploads = Uploads(Path(get_upload_folder()).resolve(), received, files.temp_files)
            ingest = gr.Button("Ingest files", variant="primary", elem_id="ingest-btn")
            ingest_result = gr.HTML(elem_id="ingest-result")
        with gr.Column(scale=2):
            choice = gr.Dropdown(label="Delete a document", choices=[], value=None,
                                 elem_id="delete-choice")
            delete = gr.Button("Delete", variant="stop", elem_id="delete-btn")
            delete_result = gr.HTML(elem_id="delete-result")

    listing = [summary, table, choice]

    def on_refresh() -> tuple[Any, ...]:
        return list_documents(service)

    def on_ingest(files: list[dict[str, Any]] | None) -> tuple[Any, ...]:
        # The file box is emptied once its files are in the index.
        paths = [f["path"] for f in files or []]
        return (ingest_files(service, paths, uploads), None, *list_documents(service))

    def on_delete(doc_id: str | None) -> tuple[Any, ...]:
        return (delete_document(service, doc_id), *list_documents(service))

    # preprocess off: the handler takes Gradio's FileData dicts; gr.File's own preprocess
    # would leave an empty temp file in the upload folder for each file (Gradio 6.31).
    ingest.click(on_ingest, files, [ingest_result, files, *listing], concurrency_limit=1,
                 concurrency_id="writes", preprocess=False).then(**pick)
    delete.click(on_delete, choice, [delete_result, *listing], concurrency_limit=1,
                 concurrency_id="writes").then(**pick)
    return {"fn": on_refresh, "inputs": None, "outputs": listing}


def list_documents(service: RagService) -> tuple[Any, ...]:
    """(summary, table rows, dropdown update) for the current documents, or the error."""
    try:
        docs = service.documents()
    except Exception as exc:
        log.exception("listing documents failed")
        return (render.render_status(f"Could not list the documents: {describe_error(exc)}",
                                     ok=False), gr.skip(), gr.skip())
    chunks = sum(d.chunks for d in docs)
    summary = (f'<p class="docs-count"><strong>{_plural(len(docs), "document")}</strong>, '
               f"{_plural(chunks, 'chunk')} indexed.</p>")
    choices = [(f"{d.source}: {d.title[:60]}", d.doc_id) for d in
               sorted(docs, key=lambda d: d.source)]
    return summary, render.document_rows(docs), gr.Dropdown(choices=choices, value=None)


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def ingest_files(service: RagService, paths: list[str], uploads: Uploads) -> str:
    """Ingest the files uploaded to this app among `paths`; refuse, unread, any other path.
    Every file of the upload folder among them is deleted afterwards."""
    if not paths:
        return render.render_status("Choose one or more files first.", ok=False)
    # Gradio keeps the uploaded file's own name as the temp file's base name.
    taken = [p for p in paths if uploads.holds(p)]
    refused = [(Path(p).name, REFUSED) for p in paths if p not in taken]
    if refused:
        log.warning("ingest refused paths not uploaded to the chat: %s", paths)
    try:
        if not taken:
            return render.render_status(f"Nothing ingested: {REFUSED}.", ok=False)
        report = service.ingest_uploads([(Path(p).name, Path(p).read_bytes()) for p in taken])
    except Exception as exc:
        log.exception("ingesting uploads failed")
        return render.render_status(f"Ingest failed: {describe_error(exc)}", ok=False)
    finally:
        for p in paths:
            uploads.discard(p)
    return render.render_ingest_report(report.added, report.updated, report.unchanged,
                                       report.removed, [*report.skipped, *refused])


def delete_document(service: RagService, doc_id: str | None) -> str:
    if not doc_id:
        return render.render_status("Choose a document to delete first.", ok=False)
    try:
        deleted = service.delete_document(doc_id)
    except Exception as exc:
        log.exception("deleting %s failed", doc_id)
        return render.render_status(f"Delete failed: {describe_error(exc)}", ok=False)
    if not deleted:
        return render.render_status("That document was already gone.", ok=False)
    return render.render_status("Deleted. Its passages no longer answer questions.")
