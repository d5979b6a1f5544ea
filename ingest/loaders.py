"""Files -> plain-text documents. Each refusal is a `LoadError` whose reason a person can act on."""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".pdf")


class LoadError(Exception):
    """The file cannot become a document; the message says why."""


@dataclass(frozen=True)
class SourceDocument:
    source: str  # the file name: the document's identity
    doc_id: str
    title: str
    text: str
    content_hash: str


def doc_id_for(source: str) -> str:
    """Stable id from the file name, so the same name never yields two documents."""
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def load_bytes(name: str, data: bytes, max_bytes: int) -> SourceDocument:
    """Turn one file's bytes into a document, or raise LoadError with the reason."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise LoadError(f"unsupported file type {suffix or '(none)'}; "
                        f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    if len(data) > max_bytes:
        raise LoadError(_too_big(len(data), max_bytes))
    if not data.strip():
        raise LoadError("file is empty")
    if suffix == ".pdf":
        text = _pdf_text(data)
    else:
        text = _decode(data)
        if suffix in (".html", ".htm"):
            text = _html_text(text)
    text = _normalise(text)
    if not text.strip():
        raise LoadError("no text found in the file")
    title = _title(text, name)
    return SourceDocument(
        source=name,
        doc_id=doc_id_for(name),
        title=title,
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def read_file(path: Path, max_bytes: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading a huge file into memory
            raise LoadError(_too_big(size, max_bytes))
        return path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or exc}") from None


def load_file(path: Path, max_bytes: int) -> SourceDocument:
    return load_bytes(path.name, read_file(path, max_bytes), max_bytes)


def _too_big(size: int, limit: int) -> str:
    return f"file is {size / 1e6:.1f} MB, over the {limit / 1e6:.1f} MB limit (RAG_MAX_FILE_MB)"


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise LoadError("binary content in a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise LoadError(f"text is not valid UTF-8 (byte {exc.start})") from None


_BLOCK_TAGS = ["p", "div", "section", "article", "li", "tr", "br", "blockquote", "pre",
               "h1", "h2", "h3", "h4", "h5", "h6"]


def _html_text(html: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(strip=True) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "head", "nav", "footer", "template"]):
        tag.decompose()
    for block in soup.find_all(_BLOCK_TAGS):  # paragraphs stay paragraphs; inline tags join
        block.insert_after("\n\n")
    body = "\n".join(line.strip() for line in soup.get_text("").splitlines())
    return f"{title}\n\n{body}" if title and not body.strip().startswith(title) else body


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("PDF is encrypted")
        return "\n\n".join(page.extract_text() or "" for page in reader.pages)
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"broken PDF: {exc}") from None


def _normalise(text: str) -> str:
    """NFC, unix newlines, no trailing spaces, at most one blank line in a row.

    Offsets are taken on this text, and it is stored whole, so citations stay exact.
    """
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[ \t\u00a0]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _title(text: str, name: str) -> str:
    first = text.strip().split("\n", 1)[0].lstrip("# ").strip()
    if 0 < len(first) <= 200:
        return first
    return Path(name).stem
