"""The chat's scope in a real browser (issue 22, items 3 and 4): a document picked, a date
range typed, and the source cards' headline, outlet and date. As tests/ui/test_browser.py:
Debian's Chromium driven by Playwright, the real app over HTTP.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rag.service import RagService
from tests.conftest import ARTICLES, make_settings
from tests.ui.test_browser import ANSWER_TIMEOUT_MS, CHROMIUM, CHROMIUM_ARGS, ask, serving_chat

QUESTION = "What did Putin tell Orban?"  # unscoped, the first article answers it
# file -> (headline, outlet, day): each article its own
ARTICLE_META = {
    "000_81b70a0ba4ae34a8.txt": ("Orban meets Putin in Moscow", "Wire", "2024-07-05"),
    "001_0d759d72c1af06c9.txt": ("Putin praises Orban's 'balanced position'", "Daily",
                                 "2024-07-06"),
    "002_0a33fedb6c86f413.txt": ("Orban lands in Moscow on a 'peace mission'", "Post",
                                 "2024-07-05"),
    "003_374a4539e936311e.txt": ("Orban and Putin meet in Beijing", "Wire", "2023-10-17"),
    "004_5ca21432b6921853.txt": ("Kremlin: Orban offers to help find peace", "Times", None),
}
PICKED = "001_0d759d72c1af06c9.txt"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(),
                                reason="Debian's Chromium is not installed at /usr/bin/chromium")


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> RagService:
    folder = tmp_path_factory.mktemp("dated") / "news"
    shutil.copytree(ARTICLES, folder)
    (folder / "metadata.json").write_text(json.dumps(
        {name: {"title": t, "site": s, "published": d} for name, (t, s, d) in
         ARTICLE_META.items()}))
    svc = RagService(make_settings(tmp_path_factory.mktemp("dated-index")))
    assert len(svc.ingest_paths([folder], progress=False).added) == 5
    return svc


@pytest.fixture(scope="module")
def page(service: RagService) -> Iterator[Page]:
    expect.set_options(timeout=ANSWER_TIMEOUT_MS)
    with sync_playwright() as pw, serving_chat(service) as url:
        browser: Browser = pw.chromium.launch(executable_path=str(CHROMIUM),
                                              args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 960})
        page.set_default_timeout(ANSWER_TIMEOUT_MS)
        page.goto(url)
        yield page
        browser.close()


def answers(page: Page, count: int) -> None:
    """Wait until the chat holds `count` finished answers."""
    expect(page.locator("#chat .answer-meta, #chat .scope-empty")).to_have_count(count)


def test_a_picked_document_is_the_only_source_shown_with_its_headline_and_date(
        page: Page) -> None:
    headline, site, day = ARTICLE_META[PICKED]
    picker = page.locator("#doc-picker input")
    picker.click()
    page.get_by_role("option", name=f"{headline} — {site}, {day}").click()
    page.locator("#app-header").click()  # closes the list
    expect(page.locator("#doc-picker")).to_contain_text(headline)

    ask(page, QUESTION)
    answers(page, 1)
    cards = page.locator("#sources-panel .src-card")
    expect(cards.first).to_be_visible()
    assert cards.count() >= 1
    for i in range(cards.count()):  # every source: the picked article, under its headline
        expect(cards.nth(i).locator(".src-name")).to_have_text(headline)
        expect(cards.nth(i).locator(".src-meta")).to_have_text(f"{site} · 6 July 2024")
        expect(cards.nth(i).locator("time")).to_have_attribute("datetime", day)
    others = [t for name, (t, _, _) in ARTICLE_META.items() if name != PICKED]
    panel = page.locator("#sources-panel").inner_text()
    assert not any(t in panel for t in others), panel

    # A date range the picked article falls outside of: the chat says the filter is why.
    page.locator("#since textarea, #since input").first.fill("2025-01-01")
    ask(page, QUESTION)
    answers(page, 2)
    notice = page.locator("#chat .scope-empty")
    expect(notice).to_contain_text("No article matches the filter:")
    expect(notice).to_contain_text(f'document "{headline}", since 2025-01-01')
    expect(page.locator("#chat")).not_to_contain_text("Not in the articles")

    # A day that is no day: a warning, and the question stays in its box.
    page.locator("#since textarea, #since input").first.fill("2025-02-30")
    ask(page, QUESTION)
    expect(page.get_by_text("2025-02-30 is not a day of the calendar")).to_be_visible()
    expect(page.locator("#question textarea")).to_have_value(QUESTION)
    answers(page, 2)
