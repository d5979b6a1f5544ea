"""What each kind of file says about itself (title, date, URL, outlet), the sidecar, and the
HTML extraction measured against the guard pass alone on saved news pages."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ingest import html_text
from ingest.limits import LimitError, LoadError, ReadLimits
from ingest.loaders import load_bytes
from ingest.metadata import ArticleMeta, front_matter, read_sidecar
from tests import hostile_files as hostile
from tests.ingest.news_server import PAGES

LIMITS = ReadLimits(max_bytes=1_000_000)

# (page, title, published, url, site): what each saved page states (meta tags, JSON-LD,
# <time>), nothing more. grain.html names its URL only in JSON-LD's mainEntityOfPage, which
# trafilatura does not read; valley.html names no outlet in a form a reader can tell.
EXPECTED = [
    ("harbour.html", "Riverton council approves harbour bridge after a decade of delays",
     "2024-03-14",
     "https://www.coastalherald.example/news/2024/03/14/riverton-harbour-bridge-approved",
     "The Coastal Herald"),
    ("grain.html", "Danube grain convoy reaches Constanta as river levels recover", "2024-07-05",
     None, "Danube Daily"),
    ("valley.html", "Flood warnings lifted across the valley as rivers fall", "2023-11-02",
     None, None),
    ("budget.html", "Northshire sets out 2025 budget with rise in council tax", "2025-01-13",
     "https://northshiregazette.example/politics/budget-2025-council-tax",
     "Northshire Gazette"),
]


@pytest.mark.parametrize(("page", "title", "published", "url", "site"), EXPECTED)
def test_html_pages_give_their_metadata(page: str, title: str, published: str,
                                        url: str | None, site: str | None) -> None:
    doc = load_bytes(page, (PAGES / page).read_bytes(), LIMITS)
    assert (doc.title, doc.published, doc.url, doc.site) == (title, published, url, site)
    assert doc.text.startswith(title + "\n\n"), "the headline opens the text, once"
    assert doc.text.count(title) == 1


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"[\w']+", text.lower()))


def extraction_figures() -> list[tuple[str, int, int, int, int, int]]:
    """(page, article words, boilerplate words kept and article words lost by the guard
    pass alone, the same by trafilatura). Truth: the page's .txt, the article as written."""
    rows = []
    for page in sorted(PAGES.glob("*.html")):
        truth = words(page.with_suffix(".txt").read_text(encoding="utf-8"))
        title, visible = html_text.html_text(page.read_text(encoding="utf-8"), LIMITS,
                                             html_text.Deadline(30))
        guard = words(f"{title}\n{visible}")  # what ingest indexed before trafilatura
        new = words(load_bytes(page.name, page.read_bytes(), LIMITS).text)
        rows.append((page.name, sum(truth.values()),
                     sum((guard - truth).values()), sum((truth - guard).values()),
                     sum((new - truth).values()), sum((truth - new).values())))
    return rows


def test_trafilatura_drops_the_boilerplate_the_guard_pass_kept() -> None:
    """Navigation, cookie banners, related links, newsletter boxes, comments and footers:
    the guard pass (visible text less <nav>/<footer>) kept them; trafilatura does not, and
    loses no article word."""
    rows = extraction_figures()
    print("\npage          article  guard: boilerplate lost  trafilatura: boilerplate lost")
    for name, article, g_extra, g_lost, t_extra, t_lost in rows:
        print(f"{name:14}{article:7}  {g_extra:17} {g_lost:5}  {t_extra:23} {t_lost:5}")
    totals = [sum(r[i] for r in rows) for i in range(1, 6)]
    print(f"{'total':14}{totals[0]:7}  {totals[1]:17} {totals[2]:5}  {totals[3]:23} "
          f"{totals[4]:5}")
    article, g_extra, _, t_extra, t_lost = totals
    assert g_extra > 0.4 * article, "the pages hold boilerplate for the comparison to mean much"
    assert t_extra <= 0.02 * article and t_lost <= 0.01 * article


def test_hidden_text_never_reaches_the_text_through_trafilatura() -> None:
    doc = load_bytes("valley.html", (PAGES / "valley.html").read_bytes(), LIMITS)
    for hidden in ("ignore previous instructions", "Hidden promotional", "Template text"):
        assert hidden not in doc.text
    page = (b"<html><head><title>Talks</title><script type='application/ld+json'>"
            b'{"@type": "NewsArticle", "headline": "Talks", "articleBody": "JSONLD BODY"}'
            b"</script></head><body><article><h1>Talks</h1>"
            + b"<p>The ministers met for three hours and agreed a statement on trade.</p>" * 5
            + b"<p style='display:none'>HIDDEN INSTRUCTION</p><div hidden><p>HIDDEN TWO</p>"
            b"</div><p aria-hidden='true'>HIDDEN THREE</p></article></body></html>")
    text = load_bytes("talks.html", page, LIMITS).text
    assert "ministers met" in text
    for hidden in ("JSONLD BODY", "HIDDEN INSTRUCTION", "HIDDEN TWO", "HIDDEN THREE"):
        assert hidden not in text


def test_a_page_past_a_limit_is_refused_before_trafilatura_reads_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import trafilatura

    def not_called(*args: object, **kwargs: object) -> None:
        raise AssertionError("trafilatura read a page past a limit")

    monkeypatch.setattr(trafilatura, "bare_extraction", not_called)
    with pytest.raises(LimitError, match="RAG_MAX_HTML_DEPTH"):
        load_bytes("deep.html", hostile.nested_html(300), LIMITS)
    with pytest.raises(LimitError, match="RAG_MAX_HTML_NODES"):
        load_bytes("wide.html", hostile.many_nodes_html(2000), ReadLimits(html_max_nodes=1000))
    # Within the limits but larger than an article's page: the guard pass's text, since
    # trafilatura's time grows with the elements and cannot be stopped.
    big = hostile.many_nodes_html(html_text.EXTRACT_MAX_NODES + 10)
    assert load_bytes("big.html", big, LIMITS).text.count("x") > html_text.EXTRACT_MAX_NODES


def test_markdown_front_matter_is_read_and_left_out_of_the_text() -> None:
    md = ("---\ntitle: 'Orban visits Moscow'\ndate: 2024-07-05\nurl: https://news.example/a\n"
          "source: Example News\ntags: [politics]\n---\n# Orban visits Moscow\n\nHe met Putin.\n")
    doc = load_bytes("a.md", md.encode(), LIMITS)
    assert (doc.title, doc.published, doc.url, doc.site) == (
        "Orban visits Moscow", "2024-07-05", "https://news.example/a", "Example News")
    assert doc.text == "# Orban visits Moscow\n\nHe met Putin."
    # A headline only in the front matter is the text's first line.
    doc = load_bytes("b.md", b"---\ntitle: Summit\n---\nBody text.", LIMITS)
    assert doc.text == "Summit\n\nBody text." and doc.title == "Summit"


@pytest.mark.parametrize("text", [
    "---\ndate: 2024-02-30\nurl: javascript:alert(1)\ntitle: [a, b]\n---\nBody.",  # not dates
    "---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "title: *b\n---\nBody.",  # an alias bomb: never made a string
    "---\n: : not yaml {\n---\nBody.",
    "---\ntitle: " + "[" * 3000 + "]" * 3000 + "\n---\nBody.",  # deeper than Python recurses
])
def test_front_matter_that_is_not_metadata_gives_none(text: str) -> None:
    meta, _ = front_matter(text)
    assert meta == ArticleMeta()


def test_a_text_file_is_titled_by_its_first_line() -> None:
    doc = load_bytes("bbc.txt", b"Ad sales boost Time Warner profit\n\nQuarterly profits at "
                     b"US media giant TimeWarner jumped 76%.", LIMITS)
    assert (doc.title, doc.published, doc.url, doc.site) == (
        "Ad sales boost Time Warner profit", None, None, None)
    long_first = ("word " * 60).encode() + b"\n\nrest"
    assert load_bytes("long.txt", long_first, LIMITS).title == "long"  # a paragraph: no


def pdf_with_info(info: bytes) -> bytes:
    from tests.hostile_files import text_pdf

    pdf = text_pdf("Orban met Putin in Beijing.")
    # An /Info dictionary: appended as object 6 and named in the trailer.
    body, _, _ = pdf.partition(b"xref\n")
    count = 6
    offsets = [m.start() for m in re.finditer(rb"\d+ 0 obj\n", body)]
    offsets.append(len(body))
    body += b"6 0 obj\n<< " + info + b" >>\nendobj\n"
    xref = len(body)
    out = body + b"xref\n0 %d\n0000000000 65535 f \n" % (count + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 6 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        count + 1, xref)
    return out


def test_pdf_metadata_is_read_where_sane() -> None:
    doc = load_bytes("talks.pdf", pdf_with_info(
        b"/Title (Orban and Putin meet in Beijing) /CreationDate (D:20231017093000+02'00')"),
        LIMITS)
    assert (doc.title, doc.published) == ("Orban and Putin meet in Beijing", "2023-10-17")
    assert doc.text.startswith("Orban and Putin meet in Beijing\n\n")
    doc = load_bytes("word.pdf", pdf_with_info(
        b"/Title (Microsoft Word - draft3.docx) /CreationDate (D:19700101000000Z)"), LIMITS)
    assert (doc.title, doc.published) == ("Orban met Putin in Beijing.", None)


def test_given_metadata_wins_over_the_files_own() -> None:
    html = (PAGES / "harbour.html").read_bytes()
    doc = load_bytes("harbour.html", html, LIMITS,
                     given=ArticleMeta(published="2024-03-15", site="Herald"))
    assert (doc.published, doc.site) == ("2024-03-15", "Herald")
    assert doc.title == EXPECTED[0][1]
    plain = load_bytes("harbour.html", html, LIMITS)
    assert doc.text == plain.text and doc.content_hash == plain.content_hash


def test_the_sidecar_is_checked(tmp_path: Path) -> None:
    assert read_sidecar(tmp_path) == {}
    sidecar = tmp_path / "metadata.json"
    sidecar.write_text(json.dumps({"a.txt": {"published": "2024-07-05", "site": "Reuters",
                                             "title": None}}))
    assert read_sidecar(tmp_path) == {"a.txt": ArticleMeta(published="2024-07-05",
                                                           site="Reuters")}
    for bad, reason in (({"a.txt": {"published": "5 July"}}, "not a date"),
                        ({"a.txt": {"author": "X"}}, "unknown metadata field"),
                        ({"a.txt": {"url": "ftp://x"}}, "not an http"),
                        (["a.txt"], "must map file names")):
        sidecar.write_text(json.dumps(bad))
        with pytest.raises(LoadError, match=reason):
            read_sidecar(tmp_path)
    sidecar.write_text("{not json")
    with pytest.raises(LoadError, match=r"cannot read metadata\.json"):
        read_sidecar(tmp_path)
