"""A local HTTP server for the URL tests: the saved pages of tests/ingest/pages and a feed
linking to them, on a loopback port the test owns (no network)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

PAGES = Path(__file__).resolve().parent / "pages"
HTML = "text/html; charset=utf-8"


@dataclass
class Route:
    status: int = 200
    content_type: str = HTML
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0  # seconds between the headers and the body


@dataclass
class NewsSite:
    base: str
    routes: dict[str, Route]
    hits: list[str]  # paths requested, in order

    def url(self, path: str) -> str:
        return self.base + path


def feed_xml(base: str) -> bytes:
    """An RSS 2.0 feed of five entries: three saved pages, one page that is gone (its entry
    carries the article), one behind a redirect. Entry titles differ from the pages' own
    (the entry's win), dates are the entries'."""
    items = [
        ("/news/harbour-bridge", "Harbour bridge approved after decade of delays",
         "Thu, 14 Mar 2024 09:30:00 GMT", "<p>Councillors vote 9 to 4 for the crossing.</p>"),
        ("/economy/grain-convoy", "Grain convoy reaches Constanta",
         "Fri, 05 Jul 2024 04:00:00 GMT", ""),
        ("/news/valley-floods", "Valley flood warnings lifted",
         "Thu, 02 Nov 2023 08:45:00 GMT", ""),
        ("/news/ferry-timetable", "Ferry timetable to change from May",
         "Mon, 18 Mar 2024 07:00:00 GMT",
         "<p>The harbour ferry will run every 20 minutes from May, the operator Tidewater "
         "Lines said, up from every half hour.</p><p>Evening sailings end at 22:00.</p>"),
        ("/go/budget", "Northshire budget raises council tax",
         "Mon, 13 Jan 2025 10:00:00 GMT", ""),
    ]
    entries = "".join(
        f"<item><title>{title}</title><link>{base}{path}</link><pubDate>{date}</pubDate>"
        f"<guid>{base}{path}</guid>"
        + (f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content else "")
        + "</item>" for path, title, date, content in items)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Regional News Wire</title><link>{base}/</link>"
        f"<description>Local news</description>{entries}</channel></rss>").encode()


def default_routes(base: str) -> dict[str, Route]:
    page = lambda name: Route(body=(PAGES / name).read_bytes())  # noqa: E731
    return {
        "/feed.xml": Route(content_type="application/rss+xml", body=feed_xml(base)),
        "/news/harbour-bridge": page("harbour.html"),
        "/economy/grain-convoy": page("grain.html"),
        "/news/valley-floods": page("valley.html"),
        "/news/ferry-timetable": Route(status=404, body=b"<h1>Not found</h1>"),
        "/go/budget": Route(status=302, headers={"Location": "/politics/budget-2025"}),
        "/politics/budget-2025": page("budget.html"),
    }


@contextmanager
def news_site() -> Iterator[NewsSite]:
    """Serve the routes (which a test may change) on 127.0.0.1 in a thread."""
    hits: list[str] = []
    routes: dict[str, Route] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            route = routes.get(self.path, Route(status=404, body=b"not here"))
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.flush()
            time.sleep(route.stall)
            self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    routes.update(default_routes(base))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield NewsSite(base, routes, hits)
    finally:
        server.shutdown()
        server.server_close()
