"""PDF -> text in a child process with a memory cap, killed at the file's deadline.

pypdf is pure Python: a crafted 100 KB PDF (200 pages sharing one 70 MB stream, or one page
of 21 MB of text operators) held the server for minutes and left it gigabytes larger. In a
child the cost is bounded from outside (a wall clock, an address-space limit) and its memory
goes back to the system when it exits; pypdf's own limits, tightened here, stop most such
files in well under a second. Usage inside: `python -m ingest.pdf_text LIMITS_JSON < PDF`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import re
import subprocess
import sys
from typing import Any

from ingest.limits import Deadline, LimitError, LoadError, ReadLimits
from ingest.metadata import ArticleMeta, clean_title, iso_date

CHILD_MEMORY_BYTES = 1 << 30  # address space of the reading process


def pdf_text(data: bytes, limits: ReadLimits, deadline: Deadline) -> tuple[str, ArticleMeta]:
    """The text of each page, pages separated by a blank line, and the title and date of
    the PDF's information dictionary where they look like an article's; LoadError with the
    reason."""
    command = [sys.executable, "-m", "ingest.pdf_text", json.dumps(dataclasses.asdict(limits))]
    try:
        done = subprocess.run(command, input=data, capture_output=True,
                              timeout=max(0.1, deadline.left()), check=False)
    except subprocess.TimeoutExpired:  # run() has killed the child
        raise LimitError(deadline.message()) from None
    try:
        reply = json.loads(done.stdout)
    except ValueError:  # killed (out of memory) or crashed before answering
        raise LoadError("the PDF could not be read within the memory allowed") from None
    if "error" in reply:
        raise (LimitError if reply.get("limit") else LoadError)(reply["error"])
    return reply["text"], ArticleMeta(title=_title(reply.get("title")),
                                      published=_date(reply.get("created")))


# What word processors and PDF printers write as /Title when the author wrote none.
_NOT_A_TITLE = re.compile(r"(?i)^(untitled|microsoft word - |document\d*$|.*\.(docx?|pdf|odt|"
                          r"rtf|txt|html?|indd|qxd)$)")


def _title(value: Any) -> str | None:
    title = clean_title(value)
    return title if title and not _NOT_A_TITLE.match(title) else None


def _date(value: Any) -> str | None:
    """/CreationDate as a date, if it is one a news PDF can have: not before 1990 (pypdf
    reads a broken one as year 0 or 1) and not in the future."""
    day = iso_date(value)
    return day if day and "1990-01-01" <= day <= dt.date.today().isoformat() else None


def _extract(data: bytes, limits: ReadLimits) -> dict[str, Any]:
    from pypdf import PdfReader, apply_configuration

    cap = limits.pdf_max_stream_bytes
    with apply_configuration(zlib_maximum_output_length=cap, lzw_maximum_output_length=cap,
                             run_length_maximum_output_length=cap,
                             array_based_stream_maximum_output_length=cap,
                             brotli_maximum_output_length=cap, image_maximum_buffer_size=cap,
                             stream_decoding_work_maximum_length=4 * cap):
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LoadError("PDF is encrypted")
        if len(reader.pages) > limits.pdf_max_pages:
            raise LimitError(f"the PDF has over {limits.pdf_max_pages:,} pages "
                             "(RAG_MAX_PDF_PAGES)")
        pages: list[str] = []
        chars = 0
        for page in reader.pages:
            pages.append(page.extract_text() or "")
            chars += len(pages[-1])
            limits.check_chars(chars)
        return {"text": "\n\n".join(pages), **_information(reader)}


def _information(reader: Any) -> dict[str, str | None]:
    """/Title and /CreationDate; a malformed entry is left out, never fatal."""
    found: dict[str, str | None] = {}
    try:
        info = reader.metadata
        found["title"] = str(info.title) if info and info.title else None
        created = info.creation_date if info else None
        found["created"] = created.isoformat() if created else None
    except Exception:  # pypdf raises on dates it cannot parse, among others
        pass
    return found


def _main() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    limits = ReadLimits(**json.loads(sys.argv[1]))
    try:
        reply: dict[str, object] = _extract(sys.stdin.buffer.read(), limits)
    except LoadError as exc:
        reply = {"error": str(exc), "limit": isinstance(exc, LimitError)}
    except MemoryError:
        reply = {"error": "the PDF needs more memory than allowed", "limit": True}
    except Exception as exc:  # pypdf's errors, LimitReachedError among them
        from pypdf.errors import LimitReachedError

        what = ("the PDF is past a reading limit (RAG_MAX_PDF_STREAM_MB, or pypdf's own)"
                if isinstance(exc, LimitReachedError) else "broken PDF")
        reply = {"error": f"{what}: {exc}"[:300], "limit": isinstance(exc, LimitReachedError)}
    sys.stdout.write(json.dumps(reply))


if __name__ == "__main__":
    _main()
