"""Files -> documents -> chunks -> embeddings -> the store, idempotently."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ingest.chunking import chunk_text
from ingest.loaders import SUPPORTED_SUFFIXES, LoadError, SourceDocument, load_bytes, load_file
from rag.components.embedding import EmbeddingModel
from rag.components.store import ChunkStore
from rag.settings import Settings

PROGRESS_MIN_FILES = 5  # below this a progress bar is noise


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def summary(self) -> str:
        return (f"{len(self.added)} added, {len(self.updated)} updated, "
                f"{len(self.unchanged)} unchanged, {len(self.removed)} removed, "
                f"{len(self.skipped)} skipped")

    def as_dict(self) -> dict[str, object]:
        return {"added": self.added, "updated": self.updated, "unchanged": self.unchanged,
                "removed": self.removed,
                "skipped": [{"file": f, "reason": r} for f, r in self.skipped]}


def discover(paths: Iterable[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Expand folders (recursively, hidden entries left out); report paths that don't exist."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files.extend(Path(root) / n for n in sorted(names) if not n.startswith("."))
        elif path.exists():
            files.append(path)
        else:
            missing.append((str(path), "no such file or folder"))
    return files, missing


class Ingestor:
    def __init__(self, store: ChunkStore, embedder: EmbeddingModel, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        self.max_bytes = int(settings.max_file_mb * 1_000_000)

    def ingest_paths(self, paths: Iterable[Path], *, prune: bool = False,
                     progress: bool = True) -> IngestReport:
        files, missing = discover(paths)
        report = IngestReport(skipped=missing)
        loaded = ((str(f), _try(lambda f=f: load_file(f, self.max_bytes))) for f in files)
        show = progress and len(files) >= PROGRESS_MIN_FILES
        bar = tqdm(loaded, total=len(files), unit="file", desc="ingest", disable=not show)
        self._ingest(bar, report)
        if prune:
            seen = {f.name for f in files}
            for doc in self.store.documents():
                if doc.source not in seen and self.store.delete_document(doc.doc_id):
                    report.removed.append(doc.source)
        return report

    def ingest_uploads(self, uploads: Iterable[tuple[str, bytes]]) -> IngestReport:
        report = IngestReport()
        loaded = ((name, _try(lambda n=name, d=data: load_bytes(Path(n).name, d, self.max_bytes)))
                  for name, data in uploads)
        self._ingest(loaded, report)
        return report

    def _ingest(self, loaded: Iterator[tuple[str, SourceDocument | str]],
                report: IngestReport) -> None:
        self.store.check_embedding_model()
        self.store.repair()
        done: dict[str, str] = {}  # source name -> file it came from, in this run
        for origin, doc in loaded:
            if isinstance(doc, str):
                report.skipped.append((origin, doc))
                continue
            if doc.source in done:
                report.skipped.append(
                    (origin, f"same file name as {done[doc.source]}, ingested in this run"))
                continue
            done[doc.source] = origin
            try:
                outcome = self._write(doc)
            except Exception as exc:  # one bad document must not stop the others
                report.skipped.append((origin, f"failed to index: {exc}"))
                continue
            getattr(report, outcome).append(doc.source)

    def _write(self, doc: SourceDocument) -> str:
        existing = self.store.document(doc.doc_id)
        if existing and existing.content_hash == doc.content_hash:
            return "unchanged"
        chunks = chunk_text(doc.text, self.settings.chunk_size, self.settings.chunk_overlap,
                            self.embedder.tokenizer)
        embeddings = self.embedder.embed_texts([c.text for c in chunks])
        self.store.write_document(doc_id=doc.doc_id, source=doc.source, title=doc.title,
                                  text=doc.text, content_hash=doc.content_hash,
                                  chunks=chunks, embeddings=embeddings)
        return "updated" if existing else "added"


def _try(load: object) -> SourceDocument | str:
    """Run a loader; a LoadError becomes its reason string."""
    try:
        return load()  # type: ignore[operator]
    except LoadError as exc:
        return str(exc)


__all__ = ["SUPPORTED_SUFFIXES", "IngestReport", "Ingestor", "discover"]
