#!/usr/bin/env bash
# Set up, index the sample articles, answer an example question, then serve the API and chat.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/rag ingest data/articles
.venv/bin/rag ask "Where did Orban and Putin meet during the Belt and Road Forum?"
echo
exec .venv/bin/rag serve --host "${RAG_HOST:-127.0.0.1}" --port "${RAG_PORT:-8000}"
