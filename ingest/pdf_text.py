"""PDF -> text in a child process with a memory cap, killed at the file's deadline.

pypdf is pure Python: a crafted 100 KB PDF (200 pages sharing one 70 MB stream, or one page
of 21 MB of text operators) held the server for minutes and left it gigabytes larger. In a
child the cost is bounded from outside (a wall clock, an address-space limit) and its memory
goes back to the system when it exits; pypdf's own limits, tightened here, stop most such
files in well under a second. Usage inside: `python -m ingest.pdf_text LIMITS_JSON < PDF`.
"""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import sys

from ingest.limits import Deadline, LimitError, LoadError, ReadLimits

CHILD_MEMORY_BYTES = 1 << 30  # address space of the reading process


def pdf_text(data: bytes, limits: ReadLimits, deadline: Deadline) -> str:
    """The text of each page, pages separated by a blank line; LoadError with the reason."""
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
    return reply["text"]


def _extract(data: bytes, limits: ReadLimits) -> str:
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
        return "\n\n".join(pages)


def _main() -> None:
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))
    limits = ReadLimits(**json.loads(sys.argv[1]))
    try:
        reply: dict[str, object] = {"text": _extract(sys.stdin.buffer.read(), limits)}
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
