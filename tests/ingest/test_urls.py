"""Article pages and RSS feeds over HTTP, from a local server the test starts (no network),
into a real embedded Chroma: metadata, idempotence by URL, fallbacks and refusals."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.fetch import MAX_REDIRECTS
from rag.service import RagService
from tests.conftest import make_settings
from tests.ingest.news_server import NewsSite, Route, feed_xml, news_site

FEED_TITLE = "Regional News Wire"


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with news_site() as served:
        yield served


@pytest.fixture
def service(tmp_path: Path) -> RagService:
    """Tests fetch from 127.0.0.1, which the default refuses."""
    return RagService(make_settings(tmp_path / "index", fetch_allow_private=True))


def test_a_feed_ingests_each_entry_with_its_title_date_and_site(
        service: RagService, site: NewsSite) -> None:
    report = service.ingest_urls([site.url("/feed.xml")])
    assert not report.skipped, report.skipped
    assert len(report.added) == 5
    # The page that is gone: its entry's own content stands in, and the report says why.
    assert report.from_feed == [(site.url("/news/ferry-timetable"), "HTTP 404 Not Found")]
    docs = {d.source: d for d in service.documents()}
    got = {path: (docs[site.url(path)].title, docs[site.url(path)].published,
                  docs[site.url(path)].site, docs[site.url(path)].url)
           for path in ("/news/harbour-bridge", "/economy/grain-convoy", "/news/valley-floods",
                        "/news/ferry-timetable", "/go/budget")}
    assert got == {
        # The entry's title and date; the outlet the page names, else the feed's title; the
        # canonical URL the page names, else the one fetched.
        "/news/harbour-bridge": (
            "Harbour bridge approved after decade of delays", "2024-03-14",
            "The Coastal Herald",
            "https://www.coastalherald.example/news/2024/03/14/riverton-harbour-bridge-approved"),
        "/economy/grain-convoy": ("Grain convoy reaches Constanta", "2024-07-05",
                                  "Danube Daily", site.url("/economy/grain-convoy")),
        "/news/valley-floods": ("Valley flood warnings lifted", "2023-11-02", FEED_TITLE,
                                site.url("/news/valley-floods")),
        "/news/ferry-timetable": ("Ferry timetable to change from May", "2024-03-18",
                                  FEED_TITLE, site.url("/news/ferry-timetable")),
        "/go/budget": ("Northshire budget raises council tax", "2025-01-13",
                       "Northshire Gazette",
                       "https://northshiregazette.example/politics/budget-2025-council-tax"),
    }
    ferry = service.document_text(docs[site.url("/news/ferry-timetable")].doc_id) or ""
    assert ferry.startswith("Ferry timetable to change from May\n\n")
    assert "Tidewater Lines" in ferry
    valley = service.document_text(docs[site.url("/news/valley-floods")].doc_id) or ""
    assert "ignore previous instructions" not in valley and "Latest news" not in valley

    # Search results carry the article's fields; offsets are exact in the stored text.
    hit = service.search("Which company runs the harbour ferry?", top_k=1)[0]
    assert (hit.title, hit.published, hit.site) == (
        "Ferry timetable to change from May", "2024-03-18", FEED_TITLE)
    assert ferry[hit.start:hit.end] == hit.text


def test_a_second_run_adds_only_new_entries_without_fetching_known_ones(
        service: RagService, site: NewsSite) -> None:
    feed = site.url("/feed.xml")
    service.ingest_urls([feed])
    chunks = service.store.chunks.count()
    site.hits.clear()
    again = service.ingest_urls([feed])
    assert (again.added, again.updated, again.skipped) == ([], [], [])
    assert len(again.unchanged) == 5
    assert site.hits == ["/feed.xml"], "a known entry's page is not fetched again"
    assert service.store.chunks.count() == chunks

    # A new entry appears at the top of the feed: only it is added.
    xml = feed_xml(site.base).replace(b"<item>", (
        b"<item><title>Council tax vote passes</title><link>" + site.base.encode()
        + b"/news/vote</link><pubDate>Thu, 20 Feb 2025 21:00:00 GMT</pubDate>"
        b"<description>Councillors approved the budget by 41 votes to 22.</description>"
        b"</item><item>"), 1)
    site.routes["/feed.xml"] = Route(content_type="application/rss+xml", body=xml)
    third = service.ingest_urls([feed])
    assert third.added == [site.url("/news/vote")] and len(third.unchanged) == 5
    vote = next(d for d in service.documents() if d.source == site.url("/news/vote"))
    assert (vote.title, vote.published) == ("Council tax vote passes", "2025-02-20")


def test_a_page_url_is_its_documents_identity(service: RagService, site: NewsSite) -> None:
    page = site.url("/economy/grain-convoy")
    assert service.ingest_urls([page]).added == [page]
    assert service.ingest_urls([page]).unchanged == [page], "same bytes: unchanged"
    body = site.routes["/economy/grain-convoy"].body
    site.routes["/economy/grain-convoy"] = Route(body=body.replace(
        b"38 barges", b"40 barges"))
    assert service.ingest_urls([page]).updated == [page]
    assert len(service.documents()) == 1


def test_broken_urls_are_skipped_with_their_reasons(tmp_path: Path, site: NewsSite) -> None:
    service = RagService(make_settings(tmp_path / "index", fetch_allow_private=True,
                                       max_file_mb=0.02))
    site.routes["/picture"] = Route(content_type="image/png", body=b"\x89PNG....")
    site.routes["/loop"] = Route(status=302, headers={"Location": "/loop"})
    site.routes["/huge"] = Route(body=b"<p>" + b"word " * 10_000 + b"</p>")
    site.routes["/to-file"] = Route(status=302, headers={"Location": "file:///etc/passwd"})
    urls = {"/missing": "HTTP 404", "/picture": "content type image/png is not an article",
            "/loop": f"more than {MAX_REDIRECTS} redirects", "/huge": "RAG_MAX_FILE_MB",
            "/to-file": "only http and https"}
    report = service.ingest_urls([site.url(p) for p in urls] + [
        "file:///etc/passwd", "ftp://example.com/a", "http://no-such-host.invalid/a",
        site.url("/news/valley-floods")])
    reasons = dict(report.skipped)
    for path, reason in urls.items():
        assert reason in reasons[site.url(path)], reasons
    assert "only http and https" in reasons["file:///etc/passwd"]
    assert "only http and https" in reasons["ftp://example.com/a"]
    assert "cannot resolve" in reasons["http://no-such-host.invalid/a"]
    assert report.added == [site.url("/news/valley-floods")], "the good URL still goes in"
    assert site.hits.count("/loop") == MAX_REDIRECTS + 1


def test_a_stalled_response_is_given_up_after_the_timeout(tmp_path: Path,
                                                         site: NewsSite) -> None:
    service = RagService(make_settings(tmp_path / "index", fetch_allow_private=True,
                                       fetch_timeout_s=0.3))
    site.routes["/slow"] = Route(body=b"<p>late</p>", stall=3)
    started = time.monotonic()
    report = service.ingest_urls([site.url("/slow")])
    assert "RAG_FETCH_TIMEOUT_S" in dict(report.skipped)[site.url("/slow")]
    assert time.monotonic() - started < 2


def test_private_addresses_are_refused_by_default(tmp_path: Path, site: NewsSite) -> None:
    service = RagService(make_settings(tmp_path / "index"))
    report = service.ingest_urls([site.url("/feed.xml"), "http://localhost:9/a",
                                  "http://169.254.169.254/latest/meta-data/"])
    assert len(report.skipped) == 3 and not report.added
    for _, reason in report.skipped:
        assert "private or local address" in reason and "RAG_FETCH_ALLOW_PRIVATE" in reason
    assert site.hits == [], "nothing was requested"


def test_the_command_line_takes_urls_beside_files_and_prune_keeps_them(
        site: NewsSite, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from rag.cli import main

    monkeypatch.setenv("RAG_DATA_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("RAG_FETCH_ALLOW_PRIVATE", "true")
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "note.md").write_text("---\ntitle: A note\ndate: 2024-01-02\n---\nShort note.")
    assert main(["ingest", "-q", "--prune", str(folder), site.url("/feed.xml"),
                 "file:///etc/passwd"]) == 0
    out = capsys.readouterr().out
    assert "6 added" in out and "1 skipped" in out
    assert f"note      {site.url('/news/ferry-timetable')}: the page failed (HTTP 404" in out
    assert "skipped   file:///etc/passwd: only http and https" in out
    (folder / "note.md").unlink()
    assert main(["ingest", "-q", "--prune", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "removed   note.md" in out and "1 removed" in out, "URLs' documents stay"
    assert main(["documents"]) == 0
    assert "5 documents" in capsys.readouterr().out
