#!/usr/bin/env bash
# The test command (README, CI): install everything the tests need, lint, run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_pid=""
if ! command -v chromium >/dev/null; then  # Debian's Chromium, for the browser test
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  # In the background: it overlaps the Python install and llama.cpp's compile.
  ($sudo apt-get update -qq && $sudo apt-get install -y -qq chromium >/dev/null) &
  apt_pid=$!
fi
bash scripts/setup.sh dev
[ -n "$apt_pid" ] && wait "$apt_pid"
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
