"""Plain-text helpers for the extractive answerer: sentences with offsets, content terms."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

# Capitalised words that name no one and no place.
CALENDAR = frozenset("january february march april may june july august september october "
                     "november december monday tuesday wednesday thursday friday saturday "
                     "sunday".split())
STOPWORDS = frozenset(
    "a an the and or but of to in on at by for with from as is are was were be been being "
    "do does did done has have had having what which who whom whose when where why how this "
    "that these those it its he she they them his her their him i you we our your not no "
    "yes than then there here about into over after before during while if so can could "
    "would should will shall may might must also just very more most much many any some "
    "each other such only own same too again further once all both few one tell said say "
    "says according article articles through besides apart without between among against "
    "within toward towards upon via per around across along despite roughly ahead up down "
    "off out".split()
)
WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)

# A sentence ends at . ! or ? (plus closing quotes/brackets) before whitespace and a capital,
# digit or opening quote, unless the word before is a known abbreviation. (nltk's Punkt does
# the same, but importing nltk costs seconds on every `rag ask`.)
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sen rep gov gen col lt st jr sr inc ltd co corp vs etc jan feb "
    "mar apr jun jul aug sep sept oct nov dec u.s u.k e.g i.e a.m p.m".split())


def fold(word: str) -> str:
    """Lower case without accents: "Orbán" -> "orban"."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


STEM_VERSION = 4  # saved BM25 indexes hold stems (and words): a new version rebuilds them


def stem(word: str) -> str:
    """A crude English stem, enough to match 'meetings'/'meeting' and 'talks'/'talk'."""
    word = fold(word).replace("’", "'").removesuffix("'s")
    if len(word) > 5 and word.endswith("ies"):
        return word[:-3] + "y"  # "cities" -> "city", as the singular stays
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            if suffix == "es" and not re.search(r"(?:s|x|z|ch|sh)es$", word):
                continue  # "places" is "place" + s; "wishes" is "wish" + es
            word = word[: -len(suffix)]
            break
    # A silent e goes, so that "place", "places", "placed" and "placing" meet.
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


_DOTTED = re.compile(r"\b(?:[A-Z]\.){2,}")  # "U.S." is the word "US"


def words(text: str) -> list[str]:
    """The words of `text`, as written ("U.S." as "US"), in order."""
    return WORD.findall(_DOTTED.sub(lambda m: m.group(0).replace(".", ""), text))


def content_words(text: str) -> list[str]:
    """The words of `text` that are not stop words, as written, in order."""
    return [w for w in words(text) if w.lower() not in STOPWORDS]


def content_terms(text: str) -> set[str]:
    return {stem(w) for w in content_words(text)}


def named_terms(question: str) -> set[str]:
    """Stems of capitalised words past the first: the names a question asks about."""
    words = WORD.findall(question)
    return {stem(w) for w in words[1:] if w[:1].isupper() and w.lower() not in STOPWORDS}


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each sentence; headlines and list lines count as sentences too."""
    lo = 0
    for m in _SENTENCE_END.finditer(text):
        word = re.search(r"([\w.]+)$", text[lo:m.start()])
        if word and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1):
            continue  # "Mr. Orban", "U.S. officials", an initial
        yield from _lines(text, lo, m.end())
        lo = m.end()
    if text[lo:].strip():
        yield from _lines(text, lo, len(text))


def _lines(text: str, lo: int, hi: int) -> Iterator[tuple[int, int]]:
    """Split a span at line breaks (a headline has no full stop) and trim white space; a
    line going on in lower case ("the end of the\n“hot phase” of the war") is the same
    sentence, broken."""
    start: int | None = None  # of the sentence being gathered, which ends at `end`
    end = 0
    for m in re.finditer(r"[^\n]+", text[lo:hi]):
        piece = m.group(0)
        stripped = piece.strip()
        if not stripped:
            continue
        a = lo + m.start() + piece.index(stripped)
        if start is not None and not _CONTINUES.match(stripped):
            yield start, end
            start = None
        if start is None:
            start = a
        end = a + len(stripped)
    if start is not None:
        yield start, end


_CONTINUES = re.compile(r"[\"“‘'(]?[a-z]")
