#!/usr/bin/env bash
# Create .venv and install the project. Usage: scripts/setup.sh [EXTRAS]   e.g. "dev"
# Re-running is cheap: it reinstalls only when pyproject.toml changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)-${extras:-base}"
if [ ! -f "$stamp" ]; then
  echo "installing into .venv (first time: a few minutes${extras:+; the test extras compile llama.cpp}) ..."
  .venv/bin/pip install -q --upgrade pip
  # CPU torch first and pinned: a looser requirement would pull several GB of CUDA wheels.
  .venv/bin/pip install -q torch==2.13.0
  spec="."
  [ -n "$extras" ] && spec=".[$extras]"
  .venv/bin/pip install -q -e "$spec"
  touch "$stamp"
fi
