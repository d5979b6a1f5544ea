#!/usr/bin/env bash
# The test command (README, CI): install everything the tests need, lint, run the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
if ! command -v chromium >/dev/null; then  # Debian's Chromium, for the browser test
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && apt-get install -y -qq chromium >/dev/null
  else
    sudo apt-get update -qq && sudo apt-get install -y -qq chromium >/dev/null
  fi
fi
.venv/bin/ruff check .
.venv/bin/python -m pytest "$@"
