#!/usr/bin/env bash
# Refresh the README's picture of the chat (docs/screenshot-chat.png): the browser test
# takes it over the sample articles. Needs the dev setup and Chromium (scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ]; then
  echo "error: /usr/bin/chromium is missing (apt-get install chromium)" >&2
  exit 2
fi
exec .venv/bin/python -m pytest -q tests/ui/test_browser.py \
  -k test_chat_answers_with_linked_sources --screenshot docs/screenshot-chat.png "$@"
