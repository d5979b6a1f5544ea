"""Time in answers (issue 22, item 5): relative dates resolved against the article's day,
the latest state answered "as of" the newest article, and timelines in date order.

The sample articles carry no dates; the tests give them by sidecar (metadata.json), as a
user would, with the days the articles report on."""

from __future__ import annotations

import json
import shutil
from datetime import date

import pytest

from rag.answering.timeline import as_of, resolve
from rag.service import RagService
from tests.conftest import ARTICLES, make_settings

DAYS = {"003_374a4539e936311e.txt": "2023-10-17", "002_0a33fedb6c86f413.txt": "2024-07-05",
        "004_5ca21432b6921853.txt": "2024-12-11", "000_81b70a0ba4ae34a8.txt": "2025-11-28",
        "001_0d759d72c1af06c9.txt": "2025-11-28"}


@pytest.fixture(scope="module")
def dated_service(tmp_path_factory: pytest.TempPathFactory) -> RagService:
    folder = tmp_path_factory.mktemp("dated") / "articles"
    folder.mkdir()
    for path in ARTICLES.glob("*.txt"):
        shutil.copy(path, folder)
    (folder / "metadata.json").write_text(json.dumps(
        {name: {"published": day} for name, day in DAYS.items()}))
    service = RagService(make_settings(folder.parent / "index"))
    report = service.ingest_paths([folder], progress=False)
    assert len(report.added) == 5, report
    return service


@pytest.mark.parametrize(("phrase", "published", "expected"), [
    ("on Wednesday", "2024-07-05", "3 July 2024"),
    ("Wednesday", "2024-12-11", "11 December 2024"),  # Wednesday's paper: that day
    ("last month", "2024-07-05", "June 2024"),
    ("yesterday", "2024-07-05", "4 July 2024"),
    ("5 November 2004", "2024-07-05", None),  # names its year: nothing to resolve
    ("on Wednesday", None, None),  # an undated article: left as written
])
def test_relative_dates_resolve_against_the_articles_day(phrase: str, published: str | None,
                                                          expected: str | None) -> None:
    assert resolve(phrase, published) == expected


def test_as_of_names_the_day() -> None:
    assert as_of("2024-07-05") == "As of 5 July 2024"
    assert as_of(None) == ""


def test_a_relative_date_is_shown_resolved_in_the_answer(dated_service: RagService) -> None:
    answer = dated_service.ask("When did the Kremlin say Putin spoke with Orban by phone?")
    assert not answer.refused
    assert "Wednesday (11 December 2024)" in answer.answer, answer.answer
    assert answer.citations[0].published == "2024-12-11"


def test_the_latest_state_is_answered_as_of_the_newest_article(
        dated_service: RagService) -> None:
    answer = dated_service.ask("What is the latest on the meetings between Orban and Putin?")
    assert not answer.refused, answer.answer
    newest = max(c.published for c in answer.citations if c.published)
    assert answer.answer.startswith(f"As of {date.fromisoformat(newest):%-d %B %Y}: ")
    assert newest == "2025-11-28"


def test_a_timeline_lists_its_events_in_date_order_with_a_citation_each(
        dated_service: RagService) -> None:
    answer = dated_service.ask("What happened between Orban and Putin from 2023 to 2025?")
    lines = answer.answer.splitlines()
    assert len(lines) >= 3 and len(lines) == len(answer.citations), answer.answer
    days = [c.published for c in answer.citations]
    assert days == sorted(days) and len(set(days)) >= 3, days
    for n, (line, citation) in enumerate(zip(lines, answer.citations, strict=True), 1):
        assert line.startswith(f"- {date.fromisoformat(citation.published):%-d %B %Y}: ")
        assert line.endswith(f"[{n}]") and citation.text in line
