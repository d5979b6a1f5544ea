"""Pages and feeds over HTTP, with what a URL from anyone may cost bounded.

A URL given to the server (`POST /v1/documents {"url": ...}`) is a request the server makes
on a stranger's behalf: only http(s); every hop of a redirect checked again (at most
MAX_REDIRECTS); no private, loopback or link-local address unless RAG_FETCH_ALLOW_PRIVATE
(the address checked is the one connected to: the name is resolved once, the connection
pinned to that address, so a DNS answer that changes in between cannot point it inside);
no proxy from the environment (it would connect elsewhere than checked); a timeout per
read and the file's wall clock overall; the body streamed and dropped past RAG_MAX_FILE_MB;
only content types that are articles or feeds. Each refusal is a LoadError with its reason.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from ingest.limits import Deadline, LimitError, LoadError

MAX_REDIRECTS = 5
# Media type -> how the loaders read it. Feeds are told apart by their content (feedparser).
DOCUMENT_TYPES = {"text/html": ".html", "application/xhtml+xml": ".html",
                  "application/pdf": ".pdf", "text/plain": ".txt", "text/markdown": ".md"}
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml",
                        "application/xml", "text/xml"})
USER_AGENT = "article-rag/0.1 (+news article ingest)"


@dataclass(frozen=True)
class FetchPolicy:
    max_bytes: int  # RAG_MAX_FILE_MB
    timeout_s: float  # RAG_FETCH_TIMEOUT_S: to connect, and between two pieces of the body
    allow_private: bool = False  # RAG_FETCH_ALLOW_PRIVATE


@dataclass(frozen=True)
class Fetched:
    url: str  # as asked for
    final_url: str  # after redirects
    media_type: str  # "text/html", no parameters
    data: bytes  # UTF-8 for text types (transcoded from the charset the server named)

    @property
    def is_feed(self) -> bool:
        return self.media_type in FEED_TYPES

    @property
    def suffix(self) -> str | None:
        return DOCUMENT_TYPES.get(self.media_type)


def fetch(url: str, policy: FetchPolicy, deadline: Deadline) -> Fetched:
    """GET `url` within the policy, following redirects; LoadError with the reason."""
    with httpx.Client(trust_env=False, follow_redirects=False,
                      headers={"User-Agent": USER_AGENT}) as client:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            response = _get(client, current, policy, deadline)
            try:
                if response.is_redirect and "location" in response.headers:
                    current = urljoin(current, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise LoadError(f"HTTP {response.status_code} {response.reason_phrase}"
                                    .strip())
                media_type, charset = _content_type(response.headers.get("content-type", ""))
                if media_type not in DOCUMENT_TYPES and media_type not in FEED_TYPES:
                    raise LoadError(f"content type {media_type or '(none)'} is not an article "
                                    "or a feed (HTML, PDF, text, RSS or Atom)")
                data = _body(response, policy, deadline)
            finally:
                response.close()
            return Fetched(url, current, media_type, _utf8(data, media_type, charset))
    raise LoadError(f"more than {MAX_REDIRECTS} redirects")


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL with a host; LoadError otherwise."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise LoadError(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise LoadError(f"only http and https URLs are fetched, not {scheme or 'this'}:")
    if not parts.hostname:
        raise LoadError("the URL has no host")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


def _get(client: httpx.Client, url: str, policy: FetchPolicy,
         deadline: Deadline) -> httpx.Response:
    scheme, host, port = check_url(url)
    address = _address(host, port, policy.allow_private)
    deadline.check()
    # Connect to the address checked, not to whatever the name resolves to next time: the
    # Host header and TLS (SNI, certificate) still name the host.
    try:
        pinned = httpx.URL(url).copy_with(host=address)
        headers = {"Host": httpx.URL(url).netloc.decode("ascii")}
    except (httpx.InvalidURL, ValueError) as exc:
        raise LoadError(f"not a valid URL: {exc}"[:300]) from None
    timeout = httpx.Timeout(max(0.1, min(policy.timeout_s, deadline.left())))
    request = client.build_request("GET", pinned, headers=headers, timeout=timeout,
                                   extensions={"sni_hostname": host} if scheme == "https"
                                   else {})
    try:
        return client.send(request, stream=True)
    except httpx.TimeoutException:
        raise LoadError(f"no answer within {timeout.connect:g} s (RAG_FETCH_TIMEOUT_S)") from None
    except httpx.HTTPError as exc:
        raise LoadError(f"cannot fetch: {type(exc).__name__}: {exc}"[:300]) from None


def _address(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to; every address the name has must be public (a name with
    one private address among public ones is refused: which one is used is not ours to
    choose)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError) as exc:  # ValueError: a NUL in the name
        raise LoadError(f"cannot resolve {host}: {getattr(exc, 'strerror', None) or exc}"
                        ) from None
    addresses = [str(info[4][0]) for info in infos]
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not allow_private and not ip.is_global:
            raise LoadError(f"{host} is a private or local address ({ip}); set "
                            "RAG_FETCH_ALLOW_PRIVATE=true to fetch from one")
    return addresses[0]


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower() or None
    return media_type.strip().lower(), charset


def _body(response: httpx.Response, policy: FetchPolicy, deadline: Deadline) -> bytes:
    """The body, streamed: stopped as soon as it passes the size limit or the deadline."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise LimitError(_too_big(int(declared), policy.max_bytes))
    data = bytearray()
    try:
        for piece in response.iter_bytes():
            data += piece
            if len(data) > policy.max_bytes:
                raise LimitError(_too_big(len(data), policy.max_bytes, at_least=True))
            deadline.check()
    except httpx.TimeoutException:
        raise LoadError(f"the body stalled for over {policy.timeout_s:g} s "
                        "(RAG_FETCH_TIMEOUT_S)") from None
    except httpx.HTTPError as exc:
        raise LoadError(f"the body broke off: {type(exc).__name__}") from None
    return bytes(data)


def _too_big(size: int, limit: int, at_least: bool = False) -> str:
    return (f"the response is {'over ' if at_least else ''}{size / 1e6:.1f} MB, over the "
            f"{limit / 1e6:.1f} MB limit (RAG_MAX_FILE_MB)")


def _utf8(data: bytes, media_type: str, charset: str | None) -> bytes:
    """Text in the charset the server named, as UTF-8 (the loaders read UTF-8). XML names
    its own encoding, which feedparser reads: left as it is."""
    if media_type in FEED_TYPES or media_type == "application/pdf" or not charset or \
            charset.replace("-", "") in ("utf8", "usascii", "ascii"):
        return data
    try:
        return data.decode(charset, errors="replace").encode("utf-8")
    except LookupError:  # a charset Python does not know: read as UTF-8, or refused there
        return data
