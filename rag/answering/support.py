"""Does each sentence of an LLM answer rest on the passages it cites?

A sentence is judged against the passages its own markers name, by wording (the share of
its content words found in them) and by meaning (embedding cosine with their closest
sentence). It is unsupported when it makes a claim and cites nothing, when both overlaps
are low (most of what it says is not in what it cites), or when it names a number or a
name its cited passages do not hold ("... since July 2023", "... meet Zelensky"): the
detail a reader would check is invented, however familiar the rest of its words.

This catches sentences that bring new facts in new words. It cannot catch a sentence
that reuses a passage's words to say something else ("Putin rejected the summit" where
the passage says he welcomed it): that takes an entailment model, which this offline
project does not ship.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from rag.answering.markers import MARKER, cited_numbers, strip_markers
from rag.schemas import Passage
from rag.text import STOPWORDS, WORD, content_terms, fold, sentence_spans

if TYPE_CHECKING:
    from rag.components.embedding import EmbeddingModel

# Calibrated on data/articles with the packaged MiniLM (each sentence against the two
# passages retrieved for it). Faithful sentences (58 from the eval set's reference answers,
# 12 reworded paraphrases) all keep at least half their content words: none is flagged.
# Of 37 true sentences cited to a passage of another article, 29 keep less than half, and
# all of those score below 0.7 with that passage's sentences, while a reworded faithful
# sentence that keeps little wording scores 0.5-0.76: meaning rescues only the closest.
# MiniLM rates claims about the same people up to 0.8, so meaning alone never flags.
MIN_TERM_SHARE = 0.5
MIN_COSINE = 0.7
# "Sure." or "In short:" claims nothing; a sentence needs this many content words to judge.
MIN_CLAIM_TERMS = 2
# A sentence saying the passages lack something claims nothing about the world.
NO_ANSWER = re.compile(
    r"(do(es)? not (contain|mention|say|state|specify)|cannot answer|can't answer|"
    r"not (mentioned|stated|provided|specified)|no information)", re.IGNORECASE)
_LEADING_MARKERS = re.compile(rf"(?:{MARKER.pattern}\s*)+")


@dataclass(frozen=True)
class Claim:
    text: str  # as it stands in the answer, with the markers that follow it
    cites: tuple[int, ...]


def claims(answer: str) -> list[Claim]:
    """The answer's sentences, each with its markers.

    "Beijing. [1] They talked." splits before "[1]"; a marker opening a sentence belongs
    to the sentence before it ("after each sentence, cite ..."). When only the last
    sentence cites anything, its markers cite the whole answer: the answerer's attribution
    of an uncited answer puts them there, and so does a model that cites once at the end.
    """
    spans: list[list[int]] = []
    for lo, hi in sentence_spans(answer):
        lead = _LEADING_MARKERS.match(answer, lo, hi)
        if lead and spans:
            spans[-1][1] = len(answer[:lead.end()].rstrip())
            lo = lead.end()
        if answer[lo:hi].strip():
            spans.append([lo, hi])
    found = [Claim(answer[lo:hi], tuple(cited_numbers(answer[lo:hi]))) for lo, hi in spans]
    if len(found) > 1 and found[-1].cites and not any(c.cites for c in found[:-1]):
        found = [Claim(c.text, found[-1].cites) for c in found]
    return found


def makes_claim(sentence: str) -> bool:
    words = strip_markers(sentence)
    return len(content_terms(words)) >= MIN_CLAIM_TERMS and not NO_ANSWER.search(words)


def unsupported_sentences(answer: str, passages: Sequence[Passage],
                          embedder: EmbeddingModel | None = None) -> list[str]:
    """The sentences of `answer` that the passages they cite (numbered from 1) do not support.

    Without an embedder, wording alone decides."""
    texts = {n: p.text for n, p in enumerate(passages, 1)}
    judged = [c for c in claims(answer) if makes_claim(c.text)]
    cited = {c: [texts[n] for n in c.cites if n in texts] for c in judged}
    doubtful = [c for c in judged if cited[c] and term_share(c.text, cited[c]) < MIN_TERM_SHARE]
    close = _meaning_ok(doubtful, cited, embedder)
    return [c.text for c in judged if not cited[c] or (c in doubtful and not close[c])
            or unknown_details(c.text, cited[c])]


_DETAIL = re.compile(r"\d[\d.,]*|(?<![.!?]\s)(?<!^)\b[A-Z][^\W\d_]+")


def unknown_details(sentence: str, sources: Sequence[str]) -> list[str]:
    """Numbers and names (capitalised words past the sentence's start) in `sentence` that
    none of `sources` holds, compared without accents and case."""
    words = strip_markers(sentence)
    known = fold(" ".join(sources))
    vocabulary = set(WORD.findall(known))
    return [d for d in dict.fromkeys(m.group(0).rstrip(".,") for m in _DETAIL.finditer(words))
            if d and d.lower() not in STOPWORDS and not _known(fold(d), known, vocabulary)]


def _known(detail: str, text: str, vocabulary: set[str]) -> bool:
    if detail[:1].isdigit() or len(detail) <= 3:  # numbers, "US" (written "U.S." too)
        plain = detail.replace(".", "")
        return re.search(rf"\b{re.escape(plain)}\b", text.replace(".", "")) is not None
    # "China's" for "Chinese", "Russia" for "Russian": the same name, another form.
    prefix = detail[:max(4, len(detail) - 2)]
    return any(word.startswith(prefix) for word in vocabulary)


def term_share(sentence: str, sources: Sequence[str]) -> float:
    """Share of the sentence's content terms (stems) found in the sources."""
    terms = content_terms(strip_markers(sentence))
    if not terms:
        return 1.0
    known = set().union(*(content_terms(s) for s in sources))
    return len(terms & known) / len(terms)


def _meaning_ok(doubtful: Sequence[Claim], cited: dict[Claim, list[str]],
                embedder: EmbeddingModel | None) -> dict[Claim, bool]:
    """For each doubtful claim: is it close in meaning to a sentence of what it cites?"""
    if not doubtful or embedder is None:
        return dict.fromkeys(doubtful, False)
    sentences = {c: _sentences(cited[c]) for c in doubtful}
    pool = list(dict.fromkeys(s for c in doubtful for s in sentences[c]))
    vectors = _unit(embedder.embed_texts([strip_markers(c.text) for c in doubtful] + pool))
    index = {s: len(doubtful) + i for i, s in enumerate(pool)}
    return {c: float(max(vectors[i] @ vectors[index[s]] for s in sentences[c])) >= MIN_COSINE
            for i, c in enumerate(doubtful)}


def _unit(vectors: list[list[float]]) -> np.ndarray:
    """Rows scaled to length 1 (an OpenAI-compatible endpoint need not normalise)."""
    array = np.asarray(vectors, dtype=float)
    return array / np.maximum(np.linalg.norm(array, axis=1, keepdims=True), 1e-12)


def _sentences(sources: Sequence[str]) -> list[str]:
    return [text[lo:hi] for text in sources for lo, hi in sentence_spans(text)] or list(sources)
