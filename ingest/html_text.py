"""HTML -> the text a reader sees, in one linear pass with the page's cost bounded.

The standard library's streaming parser, not a tree: a tree builder's cost grew with the
square of the nesting depth (100k nested <div> in 1.2 MB held a worker for 12 CPU-minutes).
Depth, element count and text length are checked as each tag and run of text arrives.
Text hidden from readers (script, style, template, `hidden`, `aria-hidden`, display:none)
is dropped: an indexed passage nobody sees is a place to hide instructions for an LLM.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ingest.limits import Deadline, LimitError, ReadLimits

FEED_BYTES = 1 << 20  # the deadline is checked between pieces of this size

VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
SKIPPED = frozenset("script style noscript template nav footer svg iframe object head".split())
BLOCKS = frozenset("p div section article main header aside figure figcaption li ul ol dl dt "
                   "dd tr table blockquote pre h1 h2 h3 h4 h5 h6".split())
# A new one of these ends the open one (HTML's implied end tags), so a page of unclosed
# <p> or <li> does not count as deep. Value: the elements a search for the open one stops at.
IMPLIED_END = {"li": {"ul", "ol"}, "dt": {"dl"}, "dd": {"dl"}, "tr": {"table"},
               "td": {"tr", "table"}, "th": {"tr", "table"}, "option": {"select"}}
IMPLIED_SEARCH = 8  # how far down the stack an implied end looks
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def html_text(html: str, limits: ReadLimits, deadline: Deadline) -> tuple[str, str]:
    """(title, visible text) of a page; paragraphs stay paragraphs, inline tags join."""
    reader = _Reader(limits)
    for start in range(0, len(html), FEED_BYTES):
        deadline.check()
        reader.feed(html[start:start + FEED_BYTES])
    reader.close()
    body = "\n".join(line.strip() for line in "".join(reader.parts).splitlines())
    return reader.title, body


class _Reader(HTMLParser):
    def __init__(self, limits: ReadLimits) -> None:
        super().__init__(convert_charrefs=True)
        self.limits = limits
        self.stack: list[str] = []  # open elements
        self.hidden_from: int | None = None  # stack depth where a hidden subtree starts
        self.nodes = 0
        self.chars = 0
        self.parts: list[str] = []
        self.title = ""
        self._title: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count_node()
        if tag in VOID:
            if tag == "br" and self.hidden_from is None:
                self.parts.append("\n")
            return
        self._end_implied(tag)
        self.stack.append(tag)
        if len(self.stack) > self.limits.html_max_depth:
            raise LimitError(f"the page nests elements over {self.limits.html_max_depth} deep "
                             "(RAG_MAX_HTML_DEPTH)")
        if tag == "title" and not self.title:
            self._title = []
        elif self.hidden_from is None and (tag in SKIPPED or _hidden(attrs)):
            self.hidden_from = len(self.stack)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._count_node()  # <br/>, <div/>: nothing opens
        if self.hidden_from is None and (tag == "br" or tag in BLOCKS):
            self.parts.append("\n" if tag == "br" else "\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:  # a stray end tag closes nothing
            while self._pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self._title is not None:
            self._title.append(data)
        elif self.hidden_from is None:
            self.chars += len(data)
            self.limits.check_chars(self.chars)
            self.parts.append(data)

    def _pop(self) -> str:
        tag = self.stack.pop()
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
