"""RSS and Atom feeds -> their entries: link, title, date and the entry's own content.

feedparser reads the bytes fetched (never a URL or a path: given a string, it would fetch
or open it itself), resolves relative links against the feed's URL and sanitises the
entries' HTML; its XML parser does not load external entities.
"""

from __future__ import annotations

import html
import io
import time
from dataclasses import dataclass

from ingest.limits import LoadError
from ingest.metadata import ArticleMeta, clean, clean_title


@dataclass(frozen=True)
class FeedEntry:
    link: str  # the article's page: the document's identity
    meta: ArticleMeta  # the entry's title and date
    content: str | None  # the entry's own text as HTML (content, else summary), if any

    def as_page(self) -> bytes:
        """The entry's content as a page, read like any other when the article's page
        cannot be: the headline a <title>, the content its body."""
        title = html.escape(self.meta.title or "")
        return f"<html><head><title>{title}</title></head><body>{self.content}</body></html>" \
            .encode()


@dataclass(frozen=True)
class Feed:
    title: str | None  # the feed's own title: the outlet, where a page does not name it
    entries: list[FeedEntry]


def read_feed(data: bytes, url: str, max_entries: int) -> Feed:
    """The feed's first `max_entries` entries with an http(s) link; LoadError if the bytes
    are no RSS or Atom feed."""
    import feedparser  # ingest of URLs only

    parsed = feedparser.parse(io.BytesIO(data), response_headers={"content-location": url})
    if not parsed.get("version") and not parsed.entries:
        why = parsed.get("bozo_exception")
        raise LoadError(f"not an RSS or Atom feed{f': {why}' if why else ''}"[:300])
    entries = []
    for entry in parsed.entries:
        link = clean(entry.get("link"))
        if not link or not link.startswith(("http://", "https://")):
            continue
        entries.append(FeedEntry(
            link=link.split("#", 1)[0],
            meta=ArticleMeta(title=clean_title(entry.get("title")),
                             published=_day(entry.get("published_parsed")
                                            or entry.get("updated_parsed"))),
            content=_content(entry)))
        if len(entries) >= max_entries:
            break
    return Feed(title=clean(parsed.feed.get("title")), entries=entries)


def _day(parsed: time.struct_time | None) -> str | None:
    """feedparser's date (UTC) as YYYY-MM-DD."""
    return time.strftime("%Y-%m-%d", parsed) if parsed else None


def _content(entry: dict) -> str | None:
    """The fullest text the entry carries: content:encoded or Atom content, else summary."""
    for item in entry.get("content") or []:
        if (item.get("value") or "").strip():
            return str(item["value"])
    summary = entry.get("summary")
    return str(summary) if summary and summary.strip() else None
