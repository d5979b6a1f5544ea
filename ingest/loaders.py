"""Files -> plain-text documents with their metadata. Each refusal is a `LoadError` whose
reason a person can act on."""

from __future__ import annotations

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from ingest.html_text import host_name, read_html
from ingest.limits import Deadline, LimitError, LoadError, ReadLimits
from ingest.metadata import ArticleMeta, front_matter
from ingest.pdf_text import pdf_text

DEFAULT_LIMITS = ReadLimits()
NO_META = ArticleMeta()
SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


@dataclass(frozen=True)
class SourceDocument:
    source: str  # the file name, or the URL it was fetched from: the document's identity
    doc_id: str
    title: str  # never empty: the file's name where the article states none
    text: str
    content_hash: str
    published: str | None = None  # ISO date
    url: str | None = None
    site: str | None = None

    @property
    def meta(self) -> ArticleMeta:
        return ArticleMeta(self.title, self.published, self.url, self.site)


def doc_id_for(source: str) -> str:
    """Stable id from the file name (or URL), so the same name never yields two documents."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def load_bytes(name: str, data: bytes, limits: ReadLimits = DEFAULT_LIMITS,
               deadline: Deadline | None = None, *, suffix: str | None = None,
               given: ArticleMeta = NO_META, default: ArticleMeta = NO_META,
               url: str | None = None) -> SourceDocument:
    """Turn one file's bytes into a document, or raise LoadError with the reason.

    suffix: the type when the name has none (a fetched page); given: metadata that wins
    over the file's own (sidecar, command line, feed entry); default: what stands where the
    file says nothing (a feed's title as the outlet); url: where it was fetched. Where no
    one names the outlet, the article's URL's host does."""
    deadline = deadline or Deadline(limits.seconds)
    suffix = suffix or Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type {suffix or '(none)'}; "
                        f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if len(data) > limits.max_bytes:
        raise LimitError(_too_big(len(data), limits.max_bytes))
    if not data.strip():
        raise LoadError("file is empty")
    own = ArticleMeta()  # what the file says about itself
    if suffix == ".pdf":
        text, own = pdf_text(data, limits, deadline)
    elif suffix in (".html", ".htm"):
        page = read_html(_decode(data, None), limits, deadline, url)
        text, own = page.text, page.meta
    else:
        text = _decode(data, limits)
        if suffix == ".md":
            own, text = front_matter(text.lstrip("\ufeff"))
    text = _normalise(text)
    # The headline the article was published with is part of its text (searchable, quoted);
    # a title given from outside (sidecar, command line) is metadata only.
    if own.title and _first_line(text) != own.title and not text.startswith(own.title):
        text = f"{own.title}\n\n{text}"
    if not text.strip():
        raise LoadError("no text found in the file")
    meta = given.over(own.over(default))
    link = meta.url or url
    return SourceDocument(
        source=name,
        doc_id=doc_id_for(name),
        title=meta.title or _title(text, name),
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        published=meta.published, url=link, site=meta.site or host_name(link),
    )


def read_file(path: Path, max_bytes: int) -> bytes:
    try:
        with path.open("rb") as f:  # read one byte past the limit, never the whole of a huge file
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or type(exc).__name__}") from None
    if len(data) > max_bytes:
        raise LimitError(_too_big(path.stat().st_size, max_bytes))
    return data


def load_file(path: Path, limits: ReadLimits = DEFAULT_LIMITS) -> SourceDocument:
    deadline = Deadline(limits.seconds)
    return load_bytes(path.name, read_file(path, limits.max_bytes), limits, deadline)


def _too_big(size: int, limit: int) -> str:
    return f"file is {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit (RAG_MAX_FILE_MB)"


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
         (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32's BOMs first: they begin like UTF-16's
_DECODE_PIECE = 1 << 20


def _decode(data: bytes, limits: ReadLimits | None) -> str:
    """UTF-8, or UTF-16/32 by their byte-order mark. Decoded piece by piece and stopped
    past the limits' characters (markup has none: its visible text is counted), so a 20 MB
    text never becomes a 20-million-character string. A NUL anywhere, not only in the first
    bytes, means binary content."""
    encoding = next((enc for bom, enc in _BOMS if data.startswith(bom)), "utf-8")
    decoder = codecs.getincrementaldecoder(encoding)()
    pieces: list[str] = []
    chars = 0
    try:
        for start in range(0, len(data), _DECODE_PIECE):
            piece = decoder.decode(data[start:start + _DECODE_PIECE],
                                   final=start + _DECODE_PIECE >= len(data))
            if "\x00" in piece:
                raise LoadError("binary content in a text file")
            chars += len(piece)
            if limits:
                limits.check_chars(chars)
            pieces.append(piece)
    except UnicodeDecodeError as exc:
        raise LoadError(f"text is not valid {encoding.removesuffix('-sig').upper()} "
                        f"(byte {start + exc.start})") from None
    return "".join(pieces)


def _normalise(text: str) -> str:
    """NFC, unix newlines, no trailing spaces, at most one blank line in a row.

    Offsets are taken on this text, and it is stored whole, so citations stay exact.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\u00a0]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0].lstrip("# ").strip()


def _title(text: str, name: str) -> str:
    """A text's first line is its headline (as in the sample and the BBC corpus), if it is
    short enough to be one; else the file's name."""
    first = _first_line(text)
    if 0 < len(first) <= 200:
        return first
    return Path(name).stem or name
