"""Progress of a long ingest: files done, chunks per second and time left, on stderr."""

from __future__ import annotations

import sys
import time

from tqdm import tqdm

MIN_FILES = 5  # below this a progress bar is noise


class IngestProgress:
    def __init__(self, files: int, show: bool = True) -> None:
        self._started = time.perf_counter()
        self._chunks = 0
        self._bar = tqdm(total=files, unit="file", desc="ingest", file=sys.stderr,
                         disable=not show or files < MIN_FILES, dynamic_ncols=True)

    def file_done(self, chunks: int = 0) -> None:
        """One file decided (written, unchanged or skipped), with the chunks it wrote."""
        self._chunks += chunks
        if self._bar.disable:
            return
        elapsed = max(time.perf_counter() - self._started, 1e-9)
        self._bar.set_postfix_str(f"{self._chunks} chunks, {self._chunks / elapsed:.1f}/s",
                                  refresh=False)
        self._bar.update(1)

    def close(self, summary: str) -> None:
        if not self._bar.disable:
            self._bar.set_postfix_str(summary, refresh=True)
        self._bar.close()
