"""HTML -> the article a reader sees: its main text, title, date, URL and outlet.

Two passes. The guard pass is the standard library's streaming parser, not a tree: a tree
builder's cost grew with the square of the nesting depth (100k nested <div> in 1.2 MB held
a worker for 12 CPU-minutes). Depth, element count and text length are checked as each tag
and run of text arrives, so a page past a limit is refused before any tree is built. It
drops what readers don't see (script, style, template, `hidden`, `aria-hidden`,
display:none): an indexed passage nobody sees is a place to hide instructions for an LLM.
It yields the visible text and the page re-written without those elements.
Then trafilatura reads that re-written page (so it never sees hidden text) for the main
text, without navigation, cookie banners, related links and footers, and for the
metadata (meta tags, JSON-LD). When it finds no article, the guard's visible text is used.
"""

from __future__ import annotations

import html as htmllib
import logging
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ingest.limits import Deadline, LimitError, ReadLimits
from ingest.metadata import ArticleMeta, clean, clean_title, iso_date

FEED_BYTES = 1 << 20  # the deadline is checked between pieces of this size

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
# Never shown to a reader: left out of the visible text and of the page trafilatura reads.
DROPPED = frozenset("script style noscript template svg iframe object".split())
# Shown, but not the article: left out of the guard's own text (trafilatura, reading the
# page, tells navigation from article itself; the head holds the metadata it reads).
SKIPPED = DROPPED | {"nav", "footer", "head"}
BLOCKS = frozenset("p div section article main header aside figure figcaption li ul ol dl dt "
                   "dd tr table blockquote pre h1 h2 h3 h4 h5 h6".split())
# A new one of these ends the open one (HTML's implied end tags), so a page of unclosed
# <p> or <li> does not count as deep. Value: the elements a search for the open one stops at.
IMPLIED_END = {"li": {"ul", "ol"}, "dt": {"dl"}, "dd": {"dl"}, "tr": {"table"},
               "td": {"tr", "table"}, "th": {"tr", "table"}, "option": {"select"}}
IMPLIED_SEARCH = 8  # how far down the stack an implied end looks
# trafilatura's time grows with the page's elements, and it cannot be stopped midway: 1.7 s
# for 20,000 here, 25 s for 199,000 (RAG_MAX_HTML_NODES allows 200,000). A news article's
# page has 1,000-5,000; a page with more is read by the guard pass alone.
EXTRACT_MAX_NODES = 20_000
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
# htmldate reads the page's own date fields only: its "extensive" search takes any date in
# the text (a date the article mentions is not its publication date).
_DATE_PARAMS = {"extensive_search": False, "original_date": True}
logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # "empty HTML tree" and such:
logging.getLogger("htmldate").setLevel(logging.CRITICAL)  # the fallback handles them


@dataclass(frozen=True)
class GuardedPage:
    title: str  # the <title>
    text: str  # the visible text, navigation and footer left out
    html: str  # the page without what readers don't see
    nodes: int  # elements in `html`


@dataclass(frozen=True)
class HtmlArticle:
    text: str
    meta: ArticleMeta


def read_html(html: str, limits: ReadLimits, deadline: Deadline,
              url: str | None = None) -> HtmlArticle:
    """The article of a page, within the limits. `url`: where it was fetched from."""
    page = guard(html, limits, deadline)
    deadline.check()
    if page.nodes > EXTRACT_MAX_NODES:
        return HtmlArticle(text=page.text, meta=ArticleMeta(title=clean_title(page.title)))
    import trafilatura  # slow import (lxml, htmldate, courlan): ingest only

    found = trafilatura.bare_extraction(
        page.html, url=url, with_metadata=True, include_comments=False, include_tables=True,
        date_extraction_params=_DATE_PARAMS)
    deadline.check()
    main = _paragraphs(getattr(found, "text", None) or "")
    found_url = _http(clean(getattr(found, "url", None)))
    site = clean(getattr(found, "sitename", None))
    if site and site in (host_name(found_url), host_name(url)):
        site = None  # trafilatura's stand-in, the URL's host: a feed's title names it better
    meta = ArticleMeta(
        title=clean_title(getattr(found, "title", None)) or clean_title(page.title),
        published=iso_date(getattr(found, "date", None)), url=found_url, site=site)
    limits.check_chars(len(main))
    return HtmlArticle(text=main or page.text, meta=meta)


def guard(html: str, limits: ReadLimits, deadline: Deadline) -> GuardedPage:
    """The guard pass: one linear read, refused past a limit."""
    reader = _Reader(limits)
    for start in range(0, len(html), FEED_BYTES):
        deadline.check()
        reader.feed(html[start:start + FEED_BYTES])
    reader.close()
    body = "\n".join(line.strip() for line in "".join(reader.parts).splitlines())
    return GuardedPage(reader.title, body, "".join(reader.out), reader.kept)


def html_text(html: str, limits: ReadLimits, deadline: Deadline) -> tuple[str, str]:
    """(title, visible text) of a page by the guard pass alone (the extraction before
    trafilatura, kept as the fallback and for comparison)."""
    page = guard(html, limits, deadline)
    return page.title, page.text


def _paragraphs(text: str) -> str:
    """trafilatura puts a paragraph on a line; the chunker splits paragraphs at blank lines."""
    return "\n\n".join(line.strip() for line in text.splitlines() if line.strip())


def _http(url: str | None) -> str | None:
    return url if url and re.match(r"https?://", url) else None


def host_name(url: str | None) -> str | None:
    """The host of a URL without "www.", as trafilatura names a site it finds no name for."""
    m = re.match(r"https?://(?:www\.|w[0-9]+\.)?([^/?#]+)", url or "")
    return m[1] if m else None


class _Reader(HTMLParser):
    def __init__(self, limits: ReadLimits) -> None:
        super().__init__(convert_charrefs=True)
        self.limits = limits
        self.stack: list[str] = []  # open elements
        self.hidden_from: int | None = None  # stack depth where text stops being read
        self.dropped_from: int | None = None  # stack depth where the re-written page stops
        self.nodes = 0
        self.kept = 0  # elements written to `out`
        self.chars = 0
        self.parts: list[str] = []  # the visible text
        self.out: list[str] = []  # the page without what readers don't see
        self.title = ""
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count_node()
        hidden = _hidden(attrs)
        if tag in VOID:
            if self.dropped_from is None and not hidden:
                self._write(_tag(tag, attrs))
            if tag == "br" and self.hidden_from is None:
                self.parts.append("\n")
            return
        self._end_implied(tag)
        self.stack.append(tag)
        if len(self.stack) > self.limits.html_max_depth:
            raise LimitError(f"the page nests elements over {self.limits.html_max_depth} deep "
                             "(RAG_MAX_HTML_DEPTH)")
        if self.dropped_from is None and (hidden or (tag in DROPPED and not _json_ld(attrs))):
            self.dropped_from = len(self.stack)
        if tag == "title" and not self.title:
            self._title = []
        elif self.hidden_from is None and (tag in SKIPPED or hidden):
            self.hidden_from = len(self.stack)
        if self.dropped_from is None:
            self._write(_tag(tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count_node()  # <br/>, <div/>, <meta/>: nothing opens
        if self.dropped_from is None and not _hidden(attrs):
            self._write(_tag(tag, attrs) + ("" if tag in VOID else f"</{_name(tag)}>"))
        if self.hidden_from is None and (tag == "br" or tag in BLOCKS):
            self.parts.append("\n" if tag == "br" else "\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:  # a stray end tag closes nothing
            while self._pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.dropped_from is None:  # a kept <script> is JSON-LD: its text is not HTML
            raw = self.stack[-1:] == ["script"]
            self.out.append(data if raw else htmllib.escape(data, quote=False))
        if self._title is not None:
            self._title.append(data)
        elif self.hidden_from is None:
            self.chars += len(data)
            self.limits.check_chars(self.chars)
            self.parts.append(data)

    def _write(self, start_tag: str) -> None:
        self.kept += 1
        self.out.append(start_tag)

    def _pop(self) -> str:
        tag = self.stack.pop()
        if self.dropped_from is None:
            self.out.append(f"</{_name(tag)}>")
        elif len(self.stack) < self.dropped_from:
            self.dropped_from = None
        if self.hidden_from is not None and len(self.stack) < self.hidden_from:
            self.hidden_from = None
        elif tag == "title" and self._title is not None:
            self.title, self._title = " ".join("".join(self._title).split()), None
        elif self.hidden_from is None and tag in BLOCKS:
            self.parts.append("\n\n")
        return tag

    def _end_implied(self, tag: str) -> None:
        if tag in IMPLIED_END:
            wanted, stops = {tag}, IMPLIED_END[tag]
        elif tag == "body":  # an unclosed <head> must not hide the page
            wanted, stops = {"head"}, set()
        elif tag in BLOCKS:
            wanted, stops = {"p"}, BLOCKS - {"p"}  # a block start ends an open paragraph
        else:
            return
        for depth in range(len(self.stack) - 1, max(-1, len(self.stack) - 1 - IMPLIED_SEARCH),
                           -1):
            if self.stack[depth] in wanted:
                while len(self.stack) > depth:
                    self._pop()
                return
            if self.stack[depth] in stops:
                return

    def _count_node(self) -> None:
        self.nodes += 1
        if self.nodes > self.limits.html_max_nodes:
            raise LimitError(f"the page has over {self.limits.html_max_nodes:,} elements "
                             "(RAG_MAX_HTML_NODES)")


def _hidden(attrs: list[tuple[str, str | None]]) -> bool:
    for name, value in attrs:
        if name == "hidden" or (name == "aria-hidden" and (value or "").lower() == "true"):
            return True
        if name == "style" and value and _HIDDEN_STYLE.search(value):
            return True
    return False


def _json_ld(attrs: list[tuple[str, str | None]]) -> bool:
    """A <script> of JSON-LD: metadata (headline, date, publisher) trafilatura reads."""
    return any(n == "type" and (v or "").strip().lower() == "application/ld+json"
               for n, v in attrs)


_ATTR_NAME = re.compile(r"[A-Za-z_:][-\w:.]*")
_TAG_NAME = re.compile(r"[a-z][a-z0-9-]*")


def _tag(tag: str, attrs: list[tuple[str, str | None]]) -> str:
    """A start tag written back, its attribute values escaped (the parser unescaped them)."""
    if not attrs:
        return f"<{_name(tag)}>"
    written = "".join(f' {n}="{htmllib.escape(v, quote=True)}"' if v is not None else f" {n}"
                      for n, v in attrs if _ATTR_NAME.fullmatch(n))
    return f"<{_name(tag)}{written}>"


def _name(tag: str) -> str:
    """The parser takes `<p"x>` as a tag named `p"x`: written back, a span."""
    return tag if tag in BLOCKS or _TAG_NAME.fullmatch(tag) else "span"
