"""One reading of the question, made once per request and handed down.

The service builds a `Question` (the follow-up resolved against the history, its parts,
each part's question word, the kind of answer it expects, its focus, content lemmas, names
and what it sets aside) from spaCy's parse; retrieval searches its `search_text`, and every
check of the reader takes `(Part, candidate)`. Nothing downstream parses the raw string.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rag.answering.base import REFUSAL
from rag.answering.lexicon import (
    ASIDE,
    KIND_TYPES,
    NAMES,
    RECENT,
    REFERRING_ADVERBS,
    SAYING,
    THE_ARTICLES,
    TIMELINE,
    WH_TYPES,
)
from rag.answering.markers import strip_markers
from rag.answering.parts import split_question
from rag.schemas import Turn
from rag.text import fold

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

    from rag.components.language import LanguagePipeline

_NOT_ANSWERED = REFUSAL.removesuffix(" to this question.")
# The entities whose figures a sentence must repeat to answer ("in 2004", "for £340,000");
# bare numbers are often parts of names ("Halo 2", "Doom 3").
_VALUE_LABELS = frozenset({"DATE", "TIME", "MONEY", "PERCENT"})
_ASIDE_WORDS = frozenset(w for phrase in ASIDE for w in phrase.split())
_LIGHT_VERBS = frozenset({"be", "have", "do", "get", "make", "take"})


@dataclass(frozen=True)
class Part:
    """One question of a question in several parts (or the whole question)."""

    text: str
    wh: str = ""  # "who", "how many", "which", ...; "" for yes/no and imperatives
    expected: frozenset[str] = frozenset()  # entity labels an answer holds; empty: open
    kind: str = ""  # the noun asked for: "company" in "which company"
    lemmas: frozenset[str] = frozenset()  # content lemmas, lower case, not the question words
    focus: frozenset[str] = frozenset()  # those within two parse edges of the question word
    values: frozenset[str] = frozenset()  # the figures of its dates and sums ("2004", "340,000")
    names: frozenset[str] = frozenset()  # lower-case words of the names it mentions
    verb: str = ""  # its main verb's lemma ("replace"), "" for be/have/do
    aside: frozenset[str] = frozenset()  # lemmas it sets aside ("besides gas and oil")
    wants_list: bool = False  # "which countries": every article's answer, not the best
    says: bool = False  # asks what someone said

    @property
    def open(self) -> bool:
        """No kind of entity is asked for (what did he say, why, how)."""
        return not self.expected


@dataclass(frozen=True)
class Question:
    text: str  # as asked
    parts: tuple[Part, ...]
    history: tuple[Turn, ...] = ()
    context: str = ""  # the earlier question a follow-up continues
    answered: str = ""  # the answer given to it, without markers ("" after a refusal)
    lemmas: frozenset[str] = field(default=frozenset())  # of the context: a follow-up's topic
    recent: bool = False  # asks for the latest state of things ("what is the latest ...")
    timeline: bool = False  # asks for events in order ("what happened between A and B")

    @property
    def search_text(self) -> str:
        """What retrieval searches: a follow-up with the question it continues."""
        return f"{self.context}\n{self.text}" if self.context else self.text

    @property
    def is_follow_up(self) -> bool:
        return bool(self.context)


def read_question(text: str, history: Sequence[Turn], language: LanguagePipeline,
                  parts: bool = True, follow_ups: bool = True) -> Question:
    """parts, follow_ups: split questions in several parts, read a follow-up with the
    question it continues (the ablation turns them off)."""
    text = text.strip()
    parts_text = split_question(text) if parts else [text]
    docs = language.parse([text, *parts_text])
    whole, part_docs = docs[0], docs[1:]
    context = answered = ""
    if follow_ups and history and refers_back(whole):
        context = next((t.content for t in reversed(history) if t.role == "user"), "")
        last = history[-1]
        if context and last.role == "assistant" and not last.content.startswith(_NOT_ANSWERED):
            answered = strip_markers(last.content).strip()
    context_lemmas = frozenset(_content_lemmas(language.parse_one(context))) if context else \
        frozenset()
    parts_read = tuple(read_part(d) for d in part_docs)
    lemmas = {t.lemma_.lower() for t in whole} | {t.lower_ for t in whole}  # "latest": "late"
    # "A timeline of ...", or "what happened" over a span: "between ...", "from 2023 to 2025".
    spans = "between" in lemmas or sum(e.label_ == "DATE" for e in whole.ents) >= 2
    timeline = bool(lemmas & TIMELINE) or (len(parts_read) == 1 and spans and
                                          parts_read[0].verb == "happen")
    if timeline:  # "from 2023 to 2025" spans the events: no one article must name the years
        parts_read = tuple(replace(p, values=frozenset()) for p in parts_read)
    return Question(text=text, parts=parts_read, history=tuple(history), context=context,
                    answered=answered, lemmas=context_lemmas, recent=bool(lemmas & RECENT),
                    timeline=timeline)


def refers_back(doc: Doc) -> bool:
    """Does the question point at something said before ("he", "that trip", "and where?")?"""
    for tok in doc:
        person = tok.morph.get("Person")
        if tok.pos_ == "PRON" and "Prs" in tok.morph.get("PronType") and "3" in person:
            return True
        if tok.lower_ in REFERRING_ADVERBS and tok.pos_ == "ADV":
            return True
        if tok.dep_ == "det" and "Dem" in tok.morph.get("PronType"):
            return True  # "that visit"
    if len(doc) and doc[0].pos_ == "CCONJ":
        return True  # "And where?"
    return len(_content_lemmas(doc)) < 2  # "Why?": nothing to search on its own


def read_part(doc: Doc) -> Part:
    wh_tok = next((t for t in doc if t.tag_ in ("WDT", "WP", "WP$", "WRB")), None)
    wh, kind_tok, asking = "", None, set()
    if wh_tok is not None:
        wh, asking = wh_tok.lower_, {wh_tok.i}
        nxt = doc[wh_tok.i + 1] if wh_tok.i + 1 < len(doc) else None
        if wh == "how" and nxt is not None and nxt.pos_ in ("ADJ", "ADV"):
            wh = f"how {nxt.lower_}"  # "how many", "how long"
            asking.add(nxt.i)
            noun = doc[nxt.i + 1] if nxt.i + 1 < len(doc) else None
            if noun is not None and noun.pos_ == "NOUN":
                kind_tok = noun  # "how many years", "how much time"
        elif wh_tok.dep_ == "det" and wh_tok.head.pos_ in ("NOUN", "PROPN"):
            kind_tok = _named_kind(wh_tok.head)  # "which company", "in what year"
        elif wh in ("what", "which"):
            # "in which two cities" (parsed wrongly, the noun not under "which"), or "what
            # is the name of the company" (the noun the question word stands for).
            kind_tok = _noun_after(wh_tok) or _subject_kind(wh_tok)
    kind = kind_tok.lemma_.lower() if kind_tok is not None else ""
    named = kind_tok is not None and "name" in {  # "what is the name of the plant"
        a.lemma_.lower() for a in list(kind_tok.ancestors)[:2]}
    expected = KIND_TYPES.get(kind) or WH_TYPES.get(wh) or (
        NAMES if kind and (wh == "which" or named) else frozenset())
    if kind_tok is not None:
        asking.add(kind_tok.i)
    verb = _main_verb(doc)
    aside = _aside(doc)
    lemmas = frozenset(_content_lemmas(doc, skip=asking) - aside)
    return Part(
        text=doc.text, wh=wh, expected=expected, kind=kind, lemmas=lemmas,
        focus=_near(doc, asking) & lemmas | ({kind} if kind else frozenset()),
        values=frozenset(fold(t.text) for t in doc if t.ent_type_ in _VALUE_LABELS
                         and any(c.isdigit() for c in t.text)),
        # Demonyms ("Hungarian") are not names: the article may say "Hungary".
        names=frozenset(fold(t.text) for t in doc if t.ent_type_ != "NORP"
                        and (t.ent_type_ in NAMES or t.pos_ == "PROPN")
                        and _is_content(t) and t.i not in asking
                        and t.lemma_.lower() not in aside),  # set aside, not asked about
        verb=verb, aside=aside,
        wants_list=wh in ("which", "what") and kind_tok is not None
        and kind_tok.tag_ in ("NNS", "NNPS"),
        says=verb in SAYING)


def _named_kind(noun: Token) -> Token:
    """"what kind of car" -> car; "what price tag" -> price (a compound that names a kind);
    else the noun itself."""
    if noun.lemma_.lower() in ("kind", "type", "sort", "name"):
        of = next((c for c in noun.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        obj = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
        if obj is not None:
            return obj
    if noun.lemma_.lower() not in KIND_TYPES:
        known = [c for c in noun.children if c.dep_ == "compound"
                 and c.lemma_.lower() in KIND_TYPES]
        if known:
            return known[-1]
    return noun


def _noun_after(wh: Token) -> Token | None:
    """The noun right after the question word, past numbers and adjectives."""
    for tok in wh.doc[wh.i + 1:wh.i + 4]:
        if tok.pos_ in ("NOUN", "PROPN"):
            return _named_kind(tok)
        if tok.pos_ not in ("NUM", "ADJ"):
            return None
    return None


def _subject_kind(wh: Token) -> Token | None:
    """"What is the name of the firm?" / "What was the fine?": the noun the question is
    about, when the question word stands for it."""
    if wh.head.lemma_ != "be":
        return None
    noun = next((c for c in wh.head.children if c.dep_ in ("nsubj", "attr") and c != wh
                 and c.pos_ == "NOUN"), None)
    return _named_kind(noun) if noun is not None else None


def _near(doc: Doc, start: set[int], edges: int = 2) -> frozenset[str]:
    """Lemmas of the tokens within `edges` parse edges of the `start` tokens: what the
    question word asks about ("which newspaper DISCLOSED"), not the scene it sets."""
    seen, frontier = set(start), set(start)
    for _ in range(edges):
        frontier = {n.i for i in frontier for n in (doc[i].head, *doc[i].children)} - seen
        seen |= frontier
    return frozenset(doc[i].lemma_.lower() for i in seen - start if _is_content(doc[i]))


def _main_verb(doc: Doc) -> str:
    for tok in doc:
        if tok.pos_ == "VERB" and tok.dep_ not in ("aux", "auxpass", "amod"):
            lemma = tok.lemma_.lower()
            if lemma not in _LIGHT_VERBS and not _about_the_articles(tok):
                return lemma
    return ""


def _about_the_articles(verb: Token) -> bool:
    """"Do the articles report ...", "what does the story say ...": the verb tells what the
    articles do, not what is asked."""
    return any(c.dep_ in ("nsubj", "nsubjpass") and c.lemma_.lower() in THE_ARTICLES
               for c in verb.children)


def _aside(doc: Doc) -> frozenset[str]:
    """The content lemmas of what "besides ...", "apart from ...", "other than ..." set aside."""
    out: set[str] = set()
    for tok in doc:
        two = f"{tok.lower_} {doc[tok.i + 1].lower_}" if tok.i + 1 < len(doc) else ""
        if tok.lower_ in ASIDE or two in ASIDE:
            # What is set aside runs from the phrase to the next comma, verb or question
            # word: "Apart from his trips to Moscow and Beijing, which ...", "which
            # countries besides Hungary need ..." (the parse of such openings is
            # unreliable: it hung the whole question under "apart").
            end = next((t.i for t in doc[tok.i + 1:] if t.is_punct or t.pos_ in (
                "VERB", "AUX") or t.tag_ in ("WDT", "WP", "WRB")), len(doc))
            out |= {t.lemma_.lower() for t in doc[tok.i + 1:end]
                    if _is_content(t) and t.lower_ not in _ASIDE_WORDS}
    return frozenset(out)


def _content_lemmas(doc: Doc, skip: set[int] = frozenset()) -> set[str]:  # type: ignore[assignment]
    return {t.lemma_.lower() for t in doc if t.i not in skip and _is_content(t)
            and t.lemma_.lower() not in THE_ARTICLES and t.lower_ not in _ASIDE_WORDS}


def _is_content(tok: Token) -> bool:
    return not (tok.is_stop or tok.is_punct or tok.is_space or tok.tag_ in (
        "WDT", "WP", "WP$", "WRB")) and any(ch.isalnum() for ch in tok.text)
