"""Each supported file type loads; each kind of bad file is refused with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.limits import LoadError, ReadLimits
from ingest.loaders import doc_id_for, load_bytes, load_file

LIMIT = 1_000_000
LIMITS = ReadLimits(max_bytes=LIMIT)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with `text` in Helvetica, built by hand (xref offsets computed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


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
    doc = load_bytes("talks.pdf", minimal_pdf("Orban met Putin in Beijing."), LIMITS)
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
