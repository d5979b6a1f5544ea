"""Arguments of `rag eval` (kept beside the harness, read by the CLI's parser)."""

from __future__ import annotations

import argparse


def add_eval_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--set", dest="eval_set", default=None, help="JSONL eval set")
