#!/usr/bin/env bash
# The test command (README, CI): install everything the tests need, lint, run the suite.
# Arguments go to pytest as they are (e.g. `-m llm`, a test file).
set -euo pipefail
cd "$(dirname "$0")/.."
# System packages, installed while pip works: Debian's Chromium for the browser test, and
# the GNU OpenMP runtime that the local LLM server's native library (xllamacpp) links.
packages=()
command -v chromium >/dev/null || packages+=(chromium)
# grep reads all of ldconfig's output (no -q): an early exit could kill ldconfig with
# SIGPIPE, which pipefail would count as "not found".
PATH="$PATH:/sbin:/usr/sbin" ldconfig -p | grep -F libgomp.so.1 >/dev/null || packages+=(libgomp1)
apt_pid=""
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  ($sudo apt-get update -qq && $sudo apt-get install -y -qq "${packages[@]}" >/dev/null) &
  apt_pid=$!
fi
bash scripts/setup.sh dev
[ -n "$apt_pid" ] && wait "$apt_pid"
.venv/bin/ruff check .
exec .venv/bin/python -m pytest "$@"
