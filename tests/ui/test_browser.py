"""The chat window in a real browser: Debian's headless Chromium driven by Playwright.

The app under test is the real one (`rag.api.app.create_app`: API and chat on one
port) served over HTTP by uvicorn, over the sample articles. The page must never ask
for anything outside the app: no fonts, scripts or telemetry from the internet.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rag import feedback
from rag.answering import TextDelta
from rag.answering.generative import LLMUnavailableError
from rag.answering.markers import cited_numbers
from rag.api.app import create_app
from rag.schemas import Answer, Filters, Turn
from rag.service import RagService
from tests.conftest import ARTICLES, serving, wait_for_chat
from ui.shell import build_chat_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]
EXAMPLE = "Where did Orban and Putin meet during the Belt and Road Forum?"
FOLLOW_UP = "Was he the first EU leader to meet Putin since the war began?"
UNANSWERABLE = "What is the capital of Australia?"
FAILING = "Make the answerer fail, please."
ANSWER_TIMEOUT_MS = 60_000  # a loaded CI machine answers in seconds; this is the ceiling
STREAM_DELAY_S = 0.25  # slows the deltas down so the test can see the answer grow
# The streamed text stays on screen this long before the answer replaces it: longer than
# expect()'s 1 s polling step (the extractive answer arrives in one delta).
PARTIAL_HOLD_S = 1.5

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's Chromium is not installed at /usr/bin/chromium "
           "(apt-get install chromium; scripts/test.sh does it)")


class Spy:
    """Wraps service.ask_stream: records each call's history and answer, slows the
    stream so partial text is visible, and fails on the one question meant to fail."""

    def __init__(self, service: RagService) -> None:
        self.real = service.ask_stream
        self.histories: list[list[Turn]] = []
        self.answers: list[Answer] = []

    def __call__(self, question: str, top_k: int | None = None, history: Sequence[Turn] = (),
                 mode: str | None = None,
                 filters: Filters | None = None) -> Iterator[TextDelta | Answer]:
        self.histories.append(list(history))
        if question == FAILING:
            raise LLMUnavailableError("LLM endpoint unreachable: connection refused")
        for event in self.real(question, top_k, history, mode, filters):
            if isinstance(event, Answer):
                self.answers.append(event)
            time.sleep(PARTIAL_HOLD_S if isinstance(event, Answer) else STREAM_DELAY_S)
            yield event


class Steps:
    """Times each step, for the report printed at the end of a test (pytest -s shows it)."""

    def __init__(self) -> None:
        self.timings: list[tuple[str, float]] = []
        self._t = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.timings.append((name, now - self._t))
        self._t = now

    def report(self) -> str:
        return "\n".join(f"  {name:<40} {secs:6.2f} s" for name, secs in self.timings)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # expect()'s 5 s default is a ceiling a loaded CI machine can reach while gradio's page
    # loads (it failed CI once); the ceiling is not what these tests measure.
    expect.set_options(timeout=ANSWER_TIMEOUT_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[tuple[Page, list[str]]]:
    """A fresh page, and the list of requests it made to anywhere but the app."""
    context = browser.new_context(viewport={"width": 1400, "height": 960})
    page = context.new_page()
    page.set_default_timeout(ANSWER_TIMEOUT_MS)
    outside: list[str] = []
    page.on("request", lambda r: None if r.url.startswith(("http://127.0.0.1", "data:",
                                                           "blob:")) else outside.append(r.url))
    yield page, outside
    context.close()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where the chat's picture goes: the test's own folder, unless `--screenshot PATH`
    asks for it elsewhere (scripts/screenshot.sh refreshes the README's picture so)."""
    chosen = request.config.getoption("--screenshot")
    return Path(chosen).resolve() if chosen else tmp_path / "screenshot-chat.png"


def app_for(service: RagService) -> FastAPI:
    """The real app: the API with the chat mounted at "/", as `rag serve` runs it."""

    return create_app(service.settings, service)


@contextmanager
def serving_chat(service: RagService) -> Iterator[str]:
    """The app served, once its chat (built after the API starts) is mounted at "/"."""
    with serving(app_for(service)) as url:
        wait_for_chat(url)
        yield url


def ask(page: Page, question: str) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")


def download_export(page: Page, answers: int) -> str:
    """Click the export button until the Markdown holds `answers` answers: the file is
    rewritten just after each answer, so a click at once may fetch the one before."""
    deadline = time.monotonic() + ANSWER_TIMEOUT_MS / 1000
    while True:
        with page.expect_download() as download:
            page.locator("#export-btn").click()
        assert download.value.suggested_filename.endswith(".md")
        markdown = Path(download.value.path()).read_text(encoding="utf-8")
        if markdown.count("\n## ") >= answers or time.monotonic() > deadline:
            return markdown
        time.sleep(0.2)


def check_export(markdown: str, questions: Sequence[str], answers: Sequence[Answer]) -> None:
    """Each answer is in the Markdown under its question, with one source per [n] of it:
    the article's headline (its file name without one) and the span the citation quotes."""
    sections = markdown.split("\n## ")[1:]
    assert len(sections) == len(answers), markdown
    for i, (section, question, answer) in enumerate(zip(sections, questions, answers,
                                                        strict=True), start=1):
        assert section.startswith(f"{i}. {question}\n\n{answer.answer}\n"), section
        sources = dict(re.findall(r"^\*\*\[(\d+)\]\*\* (.+?)  $", section, re.M))
        assert sorted(map(int, sources)) == sorted(cited_numbers(answer.answer)), section
        for c in answer.citations:
            assert sources[str(c.n)].startswith(c.title or c.source)
            quote = re.search(rf"^\*\*\[{c.n}\]\*\*[^\n]*\n[^\n]*\n\n((?:>[^\n]*\n)+)", section,
                              re.M)
            assert quote, section
            lines = [line.removeprefix(">").removeprefix(" ") for line in
                     quote.group(1).splitlines()]
            assert "\n".join(lines).replace("\\<", "<") == c.text


def wait_for_votes(path: Path, count: int) -> list[dict[str, object]]:
    """The votes file's records once it holds `count` (a vote is stored asynchronously)."""
    deadline = time.monotonic() + 30
    while True:
        records = feedback.read(path)[0] if path.exists() else []
        if len(records) >= count or time.monotonic() > deadline:
            return records
        time.sleep(0.1)


def test_chat_answers_with_linked_sources_follow_ups_refusals_and_errors(
        corpus_service: RagService, page: tuple[Page, list[str]],
        monkeypatch: pytest.MonkeyPatch, screenshot: Path) -> None:
    page, outside = page
    spy = Spy(corpus_service)
    monkeypatch.setattr(corpus_service, "ask_stream", spy)
    steps = Steps()
    with serving_chat(corpus_service) as url:
        steps.done("start server")
        page.goto(url + "/")
        example = page.get_by_role("button", name=EXAMPLE)
        expect(example).to_be_visible()
        steps.done("page load, examples shown")

        # A first visit: click an example; the answer streams in, then its markers link.
        example.click()
        expect(page.locator("#chat .answer.streaming").first).to_be_visible()
        steps.done("example clicked, first text streamed")
        marker = page.locator("#chat a.cite").first
        expect(marker).to_be_visible()
        steps.done("answer finished, markers linked")
        answer = spy.answers[0]
        assert not answer.refused and answer.citations
        first = answer.citations[0]
        expect(marker).to_have_attribute("href", f"#src-1-{first.n}")
        card = page.locator(f"#sources-panel #src-1-{first.n}")
        expect(card.locator(".src-passage > mark")).to_have_text(first.text)
        expect(card).to_contain_text(first.title or first.source)  # the headline
        expect(card).to_contain_text(f"score {first.score:.2f}")
        marker.click()  # the marker takes the reader to its card
        expect(card).to_be_in_viewport()
        assert page.url.endswith(f"#src-1-{first.n}")
        steps.done("marker -> highlighted source card")

        # The example's answer starts with its short answer (Beijing), which the card marks
        # inside the cited span.
        valued = [c for c in answer.citations if c.answer_start is not None]
        assert valued, f"no short answer in the example's answer: {answer.answer!r}"
        value = valued[0].text[valued[0].answer_start - valued[0].start:
                               valued[0].answer_end - valued[0].start]
        marked = page.locator(f"#sources-panel #src-1-{valued[0].n} .src-passage > mark"
                              " > mark.answer-value")
        expect(marked).to_be_visible()
        expect(marked).to_have_text(value)
        assert value and value in answer.answer
        expect(page.locator("#chat .answer").first).to_contain_text(value)
        steps.done("short answer marked in its card")

        # A follow-up is asked with the conversation so far.
        ask(page, FOLLOW_UP)
        expect(page.locator('#sources-panel .src-group[data-turn="2"]')).to_be_visible()
        expect(page.locator("#chat .answer:not(.streaming), #chat .refusal")).to_have_count(2)
        steps.done("follow-up answered")
        assert spy.histories[1] == [Turn(role="user", content=EXAMPLE),
                                    Turn(role="assistant", content=answer.answer)]
        page.evaluate("window.scrollTo(0, 0)")
        page.mouse.move(0, 0)  # no hover style on the marker clicked above
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), animations="disabled")
        assert screenshot.read_bytes().startswith(b"\x89PNG"), screenshot

        # The conversation leaves the window as Markdown: both answers, each [n] a source
        # with its headline and the words it quotes.
        check_export(download_export(page, 2), [EXAMPLE, FOLLOW_UP], spy.answers[:2])
        steps.done("conversation exported as Markdown")

        # A thumbs-up on the first answer is stored with what it answered.
        votes = corpus_service.settings.data_dir / feedback.FILE_NAME
        before = len(feedback.read(votes)[0]) if votes.exists() else 0
        page.locator("#chat").get_by_role("button", name="Like", exact=True).first.click()
        stored = wait_for_votes(votes, before + 1)[before:]
        assert len(stored) == 1, stored
        vote = stored[0]
        assert (vote["vote"], vote["question"], vote["answer"], vote["history"]) == (
            "up", EXAMPLE, answer.answer, [])
        assert vote["citations"] == [
            {"n": c.n, "source": c.source, "text": c.text, "start": c.start, "end": c.end,
             "answer_start": c.answer_start, "answer_end": c.answer_end}
            for c in answer.citations]
        assert vote["settings"] == {"answerer": "extractive",
                                    "top_k": corpus_service.settings.top_k}
        steps.done("thumbs-up stored")

        # A failing service shows a message; the window stays usable.
        ask(page, FAILING)
        expect(page.locator("#chat .error-msg")).to_contain_text("could not be reached")
        expect(page.locator("#question textarea")).to_have_value(FAILING)
        steps.done("service error shown")

        # A new conversation; a question the articles cannot answer is refused plainly.
        page.locator("#chat").get_by_role("button", name="Clear").click()
        expect(example).to_be_visible()
        expect(page.locator("#sources-panel")).to_contain_text("Sources appear here")
        ask(page, UNANSWERABLE)
        expect(page.locator("#chat .refusal")).to_contain_text("do not contain the answer")
        expect(page.locator("#sources-panel")).to_contain_text("No passage answers")
        assert spy.histories[-1] == []  # the cleared conversation is not sent along
        steps.done("new conversation, refusal shown")

        # The documents tab lists the five sample articles.
        page.get_by_role("tab", name="Documents").click()
        expect(page.locator("#docs-summary")).to_contain_text("5 documents")
        for article in sorted(ARTICLES.glob("*.txt")):  # not the metadata.json sidecar
            expect(page.locator("#docs-table")).to_contain_text(article.name)
        steps.done("documents tab lists 5")
        page.close()  # uvicorn's shutdown would otherwise wait on the page's open connection
    print("\nbrowser test, chat:\n" + steps.report())
    assert outside == [], f"the page reached outside the app: {outside}"


def test_documents_tab_uploads_and_deletes(
        fresh_service: RagService, page: tuple[Page, list[str]],
        tmp_path: Path) -> None:
    page, outside = page
    article = tmp_path / "budapest-summit.txt"
    article.write_text("Budapest summit planned\n\nTrump and Putin may meet in Budapest, "
                       "Orban said on Thursday, offering to host the talks.\n")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"\xff\xd8\xff")
    steps = Steps()
    with serving_chat(fresh_service) as url:
        page.goto(url + "/")
        page.get_by_role("tab", name="Documents").click()
        expect(page.locator("#docs-summary")).to_contain_text("0 documents")
        steps.done("page load, documents tab")

        page.locator("#upload input[type=file]").set_input_files([str(article), str(photo)])
        expect(page.locator("#upload table tr")).to_have_count(2)  # both uploaded
        page.locator("#ingest-btn").click()
        result = page.locator("#ingest-result")
        expect(result.locator(".ingest-added")).to_contain_text("budapest-summit.txt")
        expect(result.locator(".ingest-skipped")).to_contain_text("unsupported file type")
        expect(page.locator("#docs-summary")).to_contain_text("1 document")
        expect(page.locator("#docs-table")).to_contain_text("Budapest summit planned")
        steps.done("upload 2 files: 1 added, 1 skipped")

        page.locator("#delete-choice input").click()
        page.get_by_role("option", name="budapest-summit.txt: Budapest summit planned").click()
        page.locator("#delete-btn").click()
        expect(page.locator("#delete-result")).to_contain_text("Deleted")
        expect(page.locator("#docs-summary")).to_contain_text("0 documents")
        expect(page.locator("#docs-table")).not_to_contain_text("budapest-summit.txt")
        steps.done("delete, table refreshed")
        page.close()
    assert fresh_service.documents() == []
    print("\nbrowser test, documents:\n" + steps.report())
    assert outside == [], f"the page reached outside the app: {outside}"


def test_a_page_opened_while_the_chat_starts_becomes_the_chat(
        corpus_service: RagService, page: tuple[Page, list[str]]) -> None:
    page, outside = page
    release = threading.Event()

    def slow_build() -> FastAPI:
        release.wait()
        return build_chat_app(corpus_service)

    with serving(create_app(corpus_service.settings, corpus_service,
                            ui_builder=slow_build)) as url:
        page.goto(url + "/")
        expect(page.get_by_text("The chat is starting")).to_be_visible()
        release.set()
        wait_for_chat(url)  # building the chat takes seconds on a loaded machine
        # The waiting page reloads itself until the chat answers in its place.
        expect(page.get_by_role("button", name=EXAMPLE)).to_be_visible()
        page.close()
    assert outside == [], f"the page reached outside the app: {outside}"
