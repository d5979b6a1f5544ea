"""Text helpers the metric families share: normalisation and [n] markers."""

from __future__ import annotations

import unicodedata

from rag.answering.markers import MARKER, numbers, strip_markers

__all__ = ["MARKER", "markers", "normalise", "strip_markers"]

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
    return [n for match in MARKER.finditer(text) for n in numbers(match)]
