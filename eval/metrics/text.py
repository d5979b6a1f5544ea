"""Text helpers the metric families share: normalisation and [n] markers."""

from __future__ import annotations

import re
import unicodedata

# [1], [1, 2], [1;2], [1-3]: written by the answerers, or by an LLM in its own way.
MARKER = re.compile(r"\[\s*(\d+(?:\s*[,;\-–]\s*\d+)*)\s*\]")

# Typographic quotes and dashes count as their plain forms ("Russia’s" = "Russia's").
_TYPOGRAPHY = str.maketrans({"’": "'", "‘": "'", "‛": "'", "“": '"', "”": '"', "„": '"',
                             "–": "-", "—": "-", "‐": "-", "‑": "-", "\u00a0": " "})


def normalise(text: str) -> str:
    """Case-insensitive, accents folded, typography plain, whitespace collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_TYPOGRAPHY))
    folded = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(folded.casefold().split())


def markers(text: str) -> list[int]:
    """Every citation number the text uses, in order, ranges expanded ([2-4] -> 2, 3, 4)."""
    out: list[int] = []
    for match in MARKER.finditer(text):
        for part in re.split(r"\s*[,;]\s*", match.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[\-–]\s*", part)]
            out.extend(range(bounds[0], bounds[-1] + 1) if len(bounds) == 2 else bounds[:1])
    return out


def strip_markers(text: str) -> str:
    """The answer's words without its [n] markers (they are not content)."""
    return re.sub(r" ([.,;:!?])", r"\1", " ".join(MARKER.sub(" ", text).split()))
