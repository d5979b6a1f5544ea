"""Hostile files, made by the tests (none stored): each small on the wire, costly to read."""

from __future__ import annotations

import zlib


def pdf(streams: list[bytes], page_streams: list[int], flate: bool = True) -> bytes:
    """A PDF whose page i draws streams[page_streams[i]] (pages may share one), xref exact."""
    n_streams = len(streams)
    font = 3 + n_streams  # object numbers: 1 catalog, 2 pages, 3.. streams, then font, pages
    first_page = font + 1
    kids = " ".join(f"{first_page + i} 0 R" for i in range(len(page_streams)))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               f"<< /Type /Pages /Kids [{kids}] /Count {len(page_streams)} >>".encode()]
    for raw in streams:
        body = zlib.compress(raw, 9) if flate else raw
        filt = b" /Filter /FlateDecode" if flate else b""
        objects.append(b"<< /Length %d%s >>\nstream\n" % (len(body), filt) + body +
                       b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    for s in page_streams:
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents "
                       f"{3 + s} 0 R /Resources << /Font << /F1 {font} 0 R >> >> >>".encode())
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


def text_pdf(text: str) -> bytes:
    return pdf([f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()], [0], flate=False)


def pdf_of_text_operators(megabytes: float) -> bytes:
    """One page of `megabytes` of text-showing operators (21 MB: about 50 KB on the wire)."""
    op = b"BT /F1 12 Tf 72 720 Td (spam spam spam) Tj ET\n"
    return pdf([op * int(megabytes * 1e6 / len(op))], [0])


def pdf_sharing_one_stream(pages: int, megabytes: float) -> bytes:
    """`pages` pages that all draw one stream of `megabytes` once decompressed."""
    filler = b"0 0 m\n" * int(megabytes * 1e6 / 6)
    return pdf([b"BT /F1 12 Tf 72 720 Td (page) Tj ET\n" + filler], [0] * pages)


def nested_html(depth: int) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"deep" + b"</div>" * depth + b"</body></html>"


def entity_flood_html(megabytes: float) -> bytes:
    return b"<html><body><p>" + b"&amp;" * int(megabytes * 1e6 / 5) + b"</p></body></html>"


def many_nodes_html(nodes: int) -> bytes:
    return b"<html><body>" + b"<span>x</span>" * nodes + b"</body></html>"


def long_text(megabytes: float) -> bytes:
    line = b"The council met again on Tuesday and said nothing new about the plan.\n"
    return line * int(megabytes * 1e6 / len(line))


def spaceless_text(chars: int) -> bytes:
    """One 'word' the tokenizer reads as a single unknown token, however long."""
    return b"Headline\n\n" + b"a" * chars
