#!/usr/bin/env bash
# The test command (README, CI): install everything the tests need, lint, run the suite.
# The first run compiles llama.cpp (the local LLM of the generative-path tests); the tests
# that do not need it run meanwhile. With arguments, everything is installed first and
# pytest gets them as they are.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_pid=""
if ! command -v chromium >/dev/null; then  # Debian's Chromium, for the browser test
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  ($sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null) &
  apt_pid=$!
fi
if [ $# -gt 0 ]; then
  bash scripts/setup.sh dev
  [ -n "$apt_pid" ] && wait "$apt_pid"
  .venv/bin/ruff check .
  exec .venv/bin/python -m pytest "$@"
fi

python=${PYTHON:-python3.11}
command -v "$python" >/dev/null || python=python3
[ -x .venv/bin/python ] || "$python" -m venv .venv
# pip upgrades itself first: replacing pip under a running build breaks the build.
.venv/bin/pip install -q --upgrade pip
mkdir -p .wheels
bash scripts/build_llama.sh > .wheels/build.log 2>&1 &
build_pid=$!
bash scripts/setup.sh test
[ -n "$apt_pid" ] && wait "$apt_pid"
.venv/bin/ruff check .
status=0
.venv/bin/python -m pytest -m "not llm" || status=$?
if ! wait "$build_pid"; then
  cat .wheels/build.log
  exit 1
fi
bash scripts/setup.sh dev
.venv/bin/python -m pytest -m llm || status=$?
exit "$status"
