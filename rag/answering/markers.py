"""The one citation-marker grammar: answerers, the UI and the eval all read markers with it.

An LLM writes markers its own way: [1], [1, 2], [1;2], [ 1 ], [1-3] (a range). Each is
read as the numbers it names; answers are rewritten to the canonical form [1][2].
"""

from __future__ import annotations

import re

MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]")
MAX_RANGE = 50  # "[1-9999]" is not a citation


def numbers(match: re.Match[str]) -> list[int]:
    """The numbers one marker names, ranges expanded ([2-4] -> 2, 3, 4)."""
    out: list[int] = []
    for part in re.split(r"\s*[,;]\s*", match.group(1)):
        bounds = [int(x) for x in re.split(r"\s*[\-–]\s*", part)]
        if len(bounds) == 2 and 0 <= bounds[1] - bounds[0] <= MAX_RANGE:
            out.extend(range(bounds[0], bounds[1] + 1))
        else:
            out.extend(bounds)
    return out


def cited_numbers(text: str) -> list[int]:
    """The [n] numbers used in `text`, in order of first use."""
    seen: dict[int, None] = {}
    for match in MARKER.finditer(text):
        for n in numbers(match):
            seen.setdefault(n, None)
    return list(seen)


def keep_valid_markers(text: str, valid: set[int]) -> str:
    """Rewrite markers as [n][m], dropping numbers that point at no passage."""

    def fix(match: re.Match[str]) -> str:
        kept = dict.fromkeys(n for n in numbers(match) if n in valid)
        return "".join(f"[{n}]" for n in kept)

    cleaned = MARKER.sub(fix, text)
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", cleaned)).strip()


def strip_markers(text: str) -> str:
    """The words without the [n] markers (they are not content)."""
    return re.sub(r" ([.,;:!?])", r"\1", " ".join(MARKER.sub(" ", text).split()))
