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

echo "installing into .venv (first time: a minute or two${extras:+; with the local LLM, llama.cpp compiles once}) ..."
.venv/bin/pip install -q --upgrade pip
find_links=()
build_pid=""
if [[ "$extras" == *dev* || "$extras" == *local-llm* ]]; then
  # The compile runs while the other packages download and install.
  PYTHON="$python" bash scripts/build_llama.sh &
  build_pid=$!
  .venv/bin/pip install -q -e ".[charts]"
  wait "$build_pid"
  # --only-binary: never fall back to compiling the sdist with native flags.
  find_links=(--find-links .wheels/llama-cpp-portable --only-binary llama-cpp-python)
fi
spec="."
[ -n "$extras" ] && spec=".[$extras]"
.venv/bin/pip install -q "${find_links[@]}" -e "$spec"
rm -f .venv/.installed-*
touch "$stamp"
