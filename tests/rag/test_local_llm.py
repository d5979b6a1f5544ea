"""`python -m rag.local_llm`, the local LLM server, when it cannot start: one clear line
naming what to install or fix. (It serving for real is what the llm tests run on.)"""

from __future__ import annotations

import socket
import subprocess
import sys
from importlib.util import find_spec
from pathlib import Path

import pytest

from rag import local_llm

INSTALL_HINT = "pip install -e '.[local-llm]', or bash scripts/setup.sh local-llm"


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "model.gguf"  # never loaded: each test fails before
    path.write_bytes(b"GGUF")
    return path


def run_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = local_llm.main(args)
    return code, capsys.readouterr().err.splitlines()


def test_without_xllamacpp_the_error_names_the_extra(
        model_file: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "xllamacpp", None)  # makes `import xllamacpp` fail
    code, err = run_main(["--model", str(model_file)], capsys)
    assert code == 1
    [line] = err
    assert line.startswith("error: the local LLM server needs xllamacpp")
    assert line.endswith(INSTALL_HINT)


def test_without_libgomp_the_error_names_the_system_package(
        model_file: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def no_libgomp(name: str) -> None:  # what the loader says on a system without it
        raise ImportError("libgomp.so.1: cannot open shared object file: No such file or "
                          "directory")

    monkeypatch.setattr(local_llm, "import_module", no_libgomp)
    code, err = run_main(["--model", str(model_file)], capsys)
    assert code == 1
    [line] = err
    assert "libgomp.so.1" in line and "apt-get install libgomp1" in line


def test_a_missing_model_file_is_named(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_main(["--model", str(tmp_path / "nope.gguf")], capsys)
    assert (code, err) == (1, [f"error: no model file at {tmp_path / 'nope.gguf'}"])


def test_a_changed_packaged_model_is_refused(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    package = tmp_path / local_llm.SMOLLM2_PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / local_llm.SMOLLM2_GGUF).write_bytes(b"GGUF, but not the pinned weights")
    monkeypatch.syspath_prepend(str(tmp_path))
    code, err = run_main([], capsys)
    assert code == 1
    [line] = err
    assert "expected " + local_llm.SMOLLM2_SHA256 in line and "setup.sh local-llm" in line


def test_pooling_needs_embedding_mode(model_file: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        local_llm.main(["--model", str(model_file), "--pooling", "mean"])
    assert exit_.value.code == 2
    assert "--pooling goes with --embedding" in capsys.readouterr().err


def test_a_port_in_use_is_one_clear_error() -> None:
    """For real: llama.cpp's server fails to bind before it loads the model."""
    if find_spec("xllamacpp") is None:  # not imported here: 100 MB of native code
        pytest.skip("the local-llm extra is not installed")
    model = local_llm.packaged_smollm2()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "rag.local_llm", "--model", str(model), "--port", str(port)],
            capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    cause = next(i for i, line in enumerate(lines) if "couldn't bind" in line)  # llama.cpp's
    ours = [i for i, line in enumerate(lines)
            if f"error: llama.cpp's server did not start on 127.0.0.1:{port}" in line]
    # Ours once, after the cause; llama.cpp's log thread may still add its own exit line.
    assert len(ours) == 1 and ours[0] > cause, done.stderr


def test_the_product_paths_do_not_load_it() -> None:
    """`rag ask` and `rag serve` start without the 100 MB native library."""
    code = ("import sys, rag.cli, rag.service, rag.api.app; "
            "print(sorted(m for m in sys.modules if m.startswith(('xllamacpp', 'rag.local_llm'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.strip() == "[]"
