"""Each supported file type loads; each kind of bad file is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.limits import LoadError, ReadLimits
from ingest.loaders import doc_id_for, load_bytes, load_file
from tests.hostile_files import text_pdf

LIMIT = 1_000_000
LIMITS = ReadLimits(max_bytes=LIMIT)


def test_txt_keeps_text_title_hash_and_stable_id() -> None:
    doc = load_bytes("a.txt", b"Title line\r\n\r\n\r\n\r\nBody text here.\n", LIMITS)
    assert doc.text == "Title line\n\nBody text here."
    assert doc.title == "Title line"
    assert doc.doc_id == doc_id_for("a.txt") == load_bytes("a.txt", b"other", LIMITS).doc_id
    assert doc.content_hash != load_bytes("a.txt", b"other", LIMITS).content_hash


def test_markdown_title_drops_heading_marks() -> None:
    doc = load_bytes("n.md", b"# Summit news\n\nOrban met Putin.", LIMITS)
    assert doc.title == "Summit news"
    assert "Orban met Putin." in doc.text


def test_html_drops_markup_scripts_and_styles() -> None:
    html = (b"<html><head><title>Talks</title><style>p{color:red}</style></head><body>"
            b"<script>var x = 1;</script><p>Orban met <b>Putin</b> in Moscow.</p></body></html>")
    doc = load_bytes("page.html", html, LIMITS)
    assert "Orban met" in doc.text and "Putin" in doc.text and "in Moscow." in doc.text
    assert "var x" not in doc.text and "color" not in doc.text and "<p>" not in doc.text
    assert doc.title == "Talks"


def test_pdf_text_is_extracted() -> None:
    doc = load_bytes("talks.pdf", text_pdf("Orban met Putin in Beijing."), LIMITS)
    assert "Orban met Putin in Beijing." in doc.text


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("empty.txt", b"   \n\n", "empty"),
        ("blob.txt", b"abc\x00\x01\x02def", "binary"),
        ("latin1.txt", "café olé".encode("latin-1"), "not valid UTF-8"),
        ("big.txt", b"x" * (LIMIT + 1), "over the"),
        ("sheet.xlsx", b"PK\x03\x04 data", "unsupported file type .xlsx"),
        ("broken.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("blank.html", b"<html><body><script>1</script></body></html>", "no text"),
    ],
)
def test_bad_files_are_refused_with_a_reason(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(LoadError, match=reason):
        load_bytes(name, data, LIMITS)


def test_unreadable_path_is_refused(tmp_path: Path) -> None:
    folder_named_like_a_file = tmp_path / "notes.txt"
    folder_named_like_a_file.mkdir()
    with pytest.raises(LoadError, match="cannot read file"):
        load_file(folder_named_like_a_file, LIMITS)
