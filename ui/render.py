"""Answers, sources and reports as HTML: plain functions, testable without a browser.

Every piece of article or answer text goes through `html.escape` before it is placed
in markup; the only tags in the output are the ones written here.

A citation marker [n] of answer number `turn` links to the source card with the
id `src-{turn}-{n}`: ids carry the turn so that an earlier answer's [1] still points
at its own passage after later answers added their own [1].
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date

from rag.answering.markers import MARKER, numbers
from rag.schemas import NO_MATCH, Answer, Citation, DocumentInfo, Passage

CONTEXT_CHARS = 220  # article text shown on each side of a cited span
UNSUPPORTED_TITLE = "not supported by the cited passages"
ANSWER_VALUE_TITLE = "the short answer"
_BLANK_LINES = re.compile(r"\n\s*\n")

EMPTY_SOURCES = (
    '<div class="sources-empty"><p><strong>Sources</strong> appear here.</p>'
    "<p>Every answer cites the passages it comes from as [1], [2], …; each number "
    "links to its card, with the cited words highlighted in the article.</p></div>"
)


def card_id(turn: int, n: int) -> str:
    return f"src-{turn}-{n}"


# -- answers (chat messages) ---------------------------------------------------------------


def link_markers(escaped: str, turn: int, cited: Mapping[int, str]) -> str:
    """Turn each [n] (or [1, 2], [1-3]) of escaped answer text into links to its source cards.

    `cited` maps n to a tooltip (the article's name). A number with no citation stays
    plain text, so a link never points at a card that does not exist.
    """

    def link(match: re.Match[str]) -> str:
        parts = []
        for n in dict.fromkeys(numbers(match)):
            if n in cited:
                parts.append(f'<a class="cite" href="#{card_id(turn, n)}" '
                             f'title="{html.escape(cited[n])}">[{n}]</a>')
            else:
                parts.append(f"[{n}]")
        return "".join(parts)

    return MARKER.sub(link, escaped)


def render_answer(answer: Answer, turn: int) -> str:
    """The finished answer as chat message HTML: linked markers, sentences its passages do
    not support marked (with a note saying how many), or a plain refusal."""
    if answer.refused and answer.answer.startswith(NO_MATCH):  # the filter's doing, not theirs
        return f'<div class="refusal scope-empty">{html.escape(answer.answer)}</div>'
    if answer.refused:
        return render_refusal(answer.answer) + render_related(answer.related)
    cited = {c.n: f"{c.title or c.source} (score {c.score:.2f})" for c in answer.citations}
    body = "".join(_marked(link_markers(html.escape(piece), turn, cited), flagged)
                   for piece, flagged in split_unsupported(answer.answer, answer.unsupported))
    return f'<div class="answer">{body}</div>{_support_note(answer)}{_answer_meta(answer)}'


def split_unsupported(text: str, unsupported: Iterable[str]) -> list[tuple[str, bool]]:
    """`text` in pieces, each flagged if it is one of the `unsupported` sentences (in order)."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for sentence in unsupported:
        lo = text.find(sentence, at) if sentence else -1
        if lo == -1:  # not (or no longer) in the text: nothing to mark
            continue
        pieces += [(text[at:lo], False), (sentence, True)]
        at = lo + len(sentence)
    return [p for p in [*pieces, (text[at:], False)] if p[0]]


def _marked(body: str, unsupported: bool) -> str:
    if not unsupported:
        return body
    return f'<span class="unsupported" title="{UNSUPPORTED_TITLE}">{body}</span>'


def _support_note(answer: Answer) -> str:
    n = len(answer.unsupported)
    if not n:
        return ""
    what = "1 sentence is" if n == 1 else f"{n} sentences are"
    return f'<div class="support-note">⚠ {what} {UNSUPPORTED_TITLE}.</div>'


def render_refusal(text: str) -> str:
    return (f'<div class="refusal"><strong>Not in the articles.</strong> '
            f"{html.escape(text)}</div>")


def render_related(passages: Sequence[Passage], chars: int = 160) -> str:
    """A refusal's closest passages, shown as further reading, never as support."""
    if not passages:
        return ""
    items = "".join(
        f'<li><span class="related-src">{html.escape(p.title or p.source)}</span> '
        f"{html.escape(p.text[:chars].rstrip())}{'…' if len(p.text) > chars else ''}</li>"
        for p in passages)
    return ('<div class="related"><div class="related-head">Related reading '
            '(these passages do not answer the question)</div>'
            f"<ul>{items}</ul></div>")


def render_partial(text: str) -> str:
    """Answer text while it streams: escaped, markers not yet linked (no sources yet)."""
    return f'<div class="answer streaming">{html.escape(text)}</div>'


def render_error(message: str) -> str:
    return (f'<div class="error-msg"><strong>Something went wrong.</strong> '
            f"{html.escape(message)}</div>")


def _answer_meta(answer: Answer) -> str:
    n = len(answer.citations)
    sources = f"{n} source{'s' if n != 1 else ''}"
    total = answer.timings_ms.total
    return (f'<div class="answer-meta">{sources} · {answer.mode} · '
            f"{total / 1000:.1f} s</div>")


# -- sources panel ---------------------------------------------------------------------------


def passage_window(text: str, start: int, end: int,
                   context: int = CONTEXT_CHARS) -> tuple[str, str, str]:
    """Split `text` into (before, span, after) around [start, end), with `context` chars
    on each side cut at a word boundary and an ellipsis where the article goes on."""
    start, end = max(0, min(start, len(text))), max(0, min(end, len(text)))
    lo, hi = max(0, start - context), min(len(text), end + context)
    if lo > 0:  # start at the next word, not mid-word
        space = text.find(" ", lo, start)
        lo = space + 1 if space != -1 else lo
    if hi < len(text):
        space = text.rfind(" ", end, hi)
        hi = space if space != -1 else hi
    before = ("…" if lo > 0 else "") + text[lo:start]
    after = text[end:hi] + ("…" if hi < len(text) else "")
    return before, text[start:end], after


def answer_value(citation: Citation) -> tuple[int, int] | None:
    """Where the short answer (answer_start, answer_end) lies in `citation.text`, or None
    when the citation has none, or offsets that are empty or not inside its [start, end)."""
    lo, hi = citation.answer_start, citation.answer_end
    if lo is None or hi is None or not citation.start <= lo < hi <= citation.end:
        return None
    if hi - citation.start > len(citation.text):  # the span's offsets disagree with its text
        return None
    return lo - citation.start, hi - citation.start


def render_passage(citation: Citation, article: str | None) -> str:
    """The cited span in <mark>, inside its surrounding article text; the short answer the
    citation points at (answer_start, answer_end) in its own <mark class="answer-value">
    inside it.

    When the article's text is gone (deleted since) or no longer matches the offsets
    (re-ingested with other content), only the passage as cited is shown, with its short
    answer still marked: the offsets and the text come from the same answer.
    """
    if article is None or article[citation.start:citation.end] != citation.text:
        return f'<p class="src-passage"><mark>{_span(citation, html.escape)}</mark></p>'
    before, _, after = passage_window(article, citation.start, citation.end)
    return (f'<p class="src-passage">{_paragraphs(before)}<mark>{_span(citation, _paragraphs)}'
            f"</mark>{_paragraphs(after)}</p>")


def _span(citation: Citation, escape: Callable[[str], str]) -> str:
    """The cited text, escaped, its short answer (if any) in <mark class="answer-value">.

    The offsets index the raw text: it is cut first, and each piece escaped apart, so no
    cut falls inside an entity and no markup of the article can reach the page.
    """
    text = citation.text
    value = answer_value(citation)
    if value is None:
        return escape(text)
    lo, hi = value
    return (f'{escape(text[:lo])}<mark class="answer-value" title="{ANSWER_VALUE_TITLE}">'
            f"{escape(text[lo:hi])}</mark>{escape(text[hi:])}")


def _paragraphs(text: str) -> str:
    """Escape; one line break per paragraph break (the CSS shows them: white-space: pre-line).

    Breaks stay characters, not <br>, so the text of the <mark> is the cited text.
    """
    return html.escape(_BLANK_LINES.sub("\n", text))


def render_source_card(citation: Citation, turn: int, article: str | None) -> str:
    """A cited passage under its article's headline (the file name where it has none),
    outlet and date."""
    name = citation.title or citation.source
    return (
        f'<article class="src-card" id="{card_id(turn, citation.n)}">'
        f'<header class="src-head"><span class="src-n">[{citation.n}]</span>'
        f'<span class="src-name">{html.escape(name)}</span>'
        f'<span class="src-score" title="retrieval score">score {citation.score:.2f}</span>'
        f"</header>{_article_line(citation)}{render_passage(citation, article)}</article>"
    )


def _article_line(passage: Passage) -> str:
    """"Reuters · 5 July 2024", the outlet linked to the article's URL; "" if neither."""
    site = html.escape(passage.site or "")
    if passage.url and passage.url.lower().startswith(("https://", "http://")):
        site = (f'<a class="src-site" href="{html.escape(passage.url)}" target="_blank" '
                f'rel="noopener noreferrer">{site or "the article"}</a>')
    elif site:
        site = f'<span class="src-site">{site}</span>'
    when = ""
    if passage.published:
        day = date.fromisoformat(passage.published)
        when = (f'<time class="src-date" datetime="{day.isoformat()}">'
                f"{day.day} {day:%B %Y}</time>")
    parts = [p for p in (site, when) if p]
    return f'<div class="src-meta">{" · ".join(parts)}</div>' if parts else ""


def render_sources_group(answer: Answer, question: str, turn: int,
                         article_text: Callable[[str], str | None]) -> str:
    """The source cards of one answer, under the question they answer."""
    head = (f'<div class="src-group-head"><span class="src-q-n">Answer {turn}</span> '
            f"{html.escape(question)}</div>")
    if answer.refused or not answer.citations:
        note = ("No article matches the filter." if answer.answer.startswith(NO_MATCH) else
                "No passage answers this question." if answer.refused else "No sources cited.")
        body = f'<p class="src-none">{note}</p>'
    else:
        # Several citations often quote one article: read its text once.
        docs = dict.fromkeys(c.doc_id for c in answer.citations)
        texts = {doc: article_text(doc) for doc in docs}
        body = "".join(render_source_card(c, turn, texts[c.doc_id]) for c in answer.citations)
    return f'<section class="src-group" data-turn="{turn}">{head}{body}</section>'


def render_sources_panel(groups: Iterable[str]) -> str:
    """All answers' source groups, newest first (the answer just given is on top)."""
    groups = list(groups)
    if not groups:
        return EMPTY_SOURCES
    return '<div class="sources">' + "".join(reversed(groups)) + "</div>"


# -- documents tab ---------------------------------------------------------------------------

DOCUMENT_HEADERS = ["File", "Title", "Chunks", "Characters", "Ingested at"]


def document_rows(docs: Iterable[DocumentInfo]) -> list[list[str | int]]:
    return [[d.source, d.title, d.chunks, d.chars, _short_time(d.ingested_at)]
            for d in sorted(docs, key=lambda d: d.source)]


def _short_time(iso: str) -> str:
    """'2026-11-21T15:19:15+00:00' -> '2026-11-21 15:19:15 UTC' (readable, still exact)."""
    match = re.fullmatch(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)(?:\.\d+)?(\+00:00|Z)", iso)
    return f"{match.group(1)} {match.group(2)} UTC" if match else iso


def render_ingest_report(added: Iterable[str], updated: Iterable[str],
                         unchanged: Iterable[str], removed: Iterable[str],
                         skipped: Iterable[tuple[str, str]]) -> str:
    """One line per file: what ingesting it did, and why a skipped file was skipped."""
    rows = [(name, outcome, "") for outcome, names in
            (("added", added), ("updated", updated), ("unchanged", unchanged),
             ("removed", removed)) for name in names]
    rows += [(name, "skipped", reason) for name, reason in skipped]
    if not rows:
        return '<p class="ingest-none">No files were uploaded.</p>'
    items = "".join(
        f'<li class="ingest-{outcome}"><span class="ingest-outcome">{outcome}</span> '
        f"<code>{html.escape(name)}</code>"
        + (f' <span class="ingest-reason">: {html.escape(reason)}</span>' if reason else "")
        + "</li>" for name, outcome, reason in rows)
    return f'<ul class="ingest-report">{items}</ul>'


def render_status(message: str, ok: bool = True) -> str:
    kind = "status-ok" if ok else "error-msg"
    return f'<div class="{kind}">{html.escape(message)}</div>'
