"""ui/export.py: the conversation's Markdown, and the export file's life in its folder;
ui/app.py's votes, each on its own answer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import gradio as gr
import pytest

from rag.schemas import Answer, Citation
from ui import app
from ui.export import Exchange, conversation_markdown, discard, write_export

SPAN = "The two leaders met in Beijing."


def cite(n: int, **article: str) -> Citation:
    return Citation(n=n, source=f"{n:03}.txt", doc_id=f"d{n}", chunk_id=f"d{n}:0", text=SPAN,
                    start=10, end=10 + len(SPAN), score=0.9, **article)


def exchange(question: str, answer: Answer, at: int) -> Exchange:
    return Exchange(question, answer, (), 5, chat_index=at)


def test_each_answer_lists_its_sources_by_headline_outlet_date_and_url_with_the_quote() -> None:
    answered = Answer(answer="They met in Beijing. [1] Talks ran late. [2]", refused=False,
                      mode="extractive", citations=[
                          cite(1, title="Orban meets Putin", site="AP", published="2023-10-17",
                               url="https://apnews.com/article/orban-putin"),
                          cite(2, url="javascript:alert(1)")])  # no title: the file name
    refused = Answer(answer="The articles do not contain the answer.", refused=True,
                     mode="extractive", citations=[])
    md = conversation_markdown([exchange("Where did they <b>meet</b>?", answered, 1),
                                exchange("Capital of Australia?", refused, 3)],
                               now=datetime(2026, 1, 2, 3, 4, tzinfo=UTC))
    assert md.startswith("# Conversation with Article Q&A\n\nExported 2026-01-02 03:04 UTC.")
    assert "## 1. Where did they \\<b>meet\\</b>?\n\nThey met in Beijing. [1] Talks ran late. [2]" \
        in md  # markup in a question is shown, never run, by a Markdown viewer
    assert ("**[1]** Orban meets Putin — AP, 2023-10-17  \n<https://apnews.com/article/orban-putin>"
            f" · `001.txt`, characters 10-{10 + len(SPAN)}\n\n> {SPAN}\n") in md
    assert f"**[2]** 002.txt  \n`002.txt`, characters 10-{10 + len(SPAN)}\n\n> {SPAN}" in md
    assert "javascript:" not in md
    assert "## 2. Capital of Australia?\n\n**Not in the articles.** The articles do not" in md
    assert md.count("### Sources") == 1 and md.count("*extractive answerer, top-k 5*") == 2


def test_a_new_export_replaces_the_sessions_previous_one(tmp_path: Path) -> None:
    folder = tmp_path / "chat-uploads" / "exports"
    first = write_export(folder, "# one")
    assert first.read_text() == "# one" and first.suffix == ".md"
    second = write_export(folder, "# two", previous=str(first))
    assert not first.parent.exists() and second.read_text() == "# two"
    outside = tmp_path / "keep.md"
    outside.write_text("not an export")
    discard(str(outside), folder)  # only files under the export folder are ever deleted
    assert outside.exists()
    discard(str(second), folder)
    assert list(folder.iterdir()) == []


class Votes:
    """The one service method a vote calls."""

    def __init__(self) -> None:
        self.stored: list[tuple[str, str, int | None]] = []

    def record_feedback(self, question: str, answer: Answer, vote: str,
                        history: object = (), top_k: int | None = None) -> None:
        self.stored.append((question, vote, top_k))


@pytest.mark.parametrize("liked, vote", [(True, "up"), (False, "down"), ("", "cleared")])
def test_a_vote_on_an_answer_is_stored_with_it_and_one_on_an_error_is_not(
        liked: bool | str, vote: str) -> None:
    answered = Answer(answer="They met in Beijing. [1]", refused=False, mode="extractive",
                      citations=[cite(1)])
    done = [exchange("Where?", answered, 1), exchange("And then?", answered, 5)]  # 3: an error
    service = Votes()
    for index in (5, 3):
        data = gr.LikeData(None, {"index": index, "value": ["x"], "liked": liked})
        app.record_vote(service, done, data)  # type: ignore[arg-type]
    assert service.stored == [("And then?", vote, 5)]
