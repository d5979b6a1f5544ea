"""Argument types shared by the `rag` parser and the eval harness's arguments.

Neutral ground: eval/cli_args.py needs them and rag/cli.py builds on eval/cli_args.py,
so they live in neither (no import cycle between the CLI and the harness).
"""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got '{value}'") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n
