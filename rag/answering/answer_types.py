"""Does a sentence hold the kind of answer the question asks for?

"When ..." needs a time, "how long ..." a duration, "how many minutes ..." a number
of minutes. A sentence without one cannot answer, however close its words are: this
is what lets the extractive answerer refuse "How many minutes did they meet?" when
the articles say they met but never for how long.
"""

from __future__ import annotations

import re
from typing import Literal

from rag.text import CALENDAR, STOPWORDS, WORD, stem

AnswerType = Literal["time", "year", "month", "clock", "date", "duration", "count", "number",
                     "percent", "place", "medium"]

_MONTHS = "|".join(sorted(CALENDAR))  # and days of the week
_TIME = re.compile(
    r"\b(1[89]\d\d|20\d\d|" + _MONTHS +
    r"|yesterday|today|tomorrow|ago|(last|next|this|that|the same) (week|month|year)|"
    r"(beginning|start|end|middle) of (the|this|that) (week|month|year)|"
    r"(days|weeks|months|years) (after|before|later|earlier)|in recent (days|weeks|months)|"
    r"earlier|later|previously|recently|since)\b", re.IGNORECASE)
_NUMBER_WORDS = ("one two three four five six seven eight nine ten eleven twelve fifteen "
                 "twenty thirty forty fifty hundred thousand million billion dozen half "
                 "several few a an")
_NUMBER = re.compile(r"\d|\b(" + "|".join(_NUMBER_WORDS.split()[:-2]) + r")\b", re.IGNORECASE)
_UNITS = ("second minute hour day week month year decade")
_DURATION = re.compile(
    r"(\d+|\b(?:" + "|".join(_NUMBER_WORDS.split()) + r"))[\s-]+(?:\w+[\s-]+)?(" +
    "|".join(_UNITS.split()) + r")s?\b", re.IGNORECASE)


# "hour-long", "a year-long", "for hours", "an hour": a duration without a digit.
_UNIT_LONG = re.compile(r"\b(" + "|".join(_UNITS.split()) + r")s?[\s-]long\b|\bfor (" +
                        "|".join(_UNITS.split()) + r")s\b|\b(an?|half an) (" +
                        "|".join(_UNITS.split()) + r")\b", re.IGNORECASE)


_AGO = re.compile(r"[\s-]*ago\b", re.IGNORECASE)
_CLAUSE = re.compile(r"\s+(?:in which|during which|of|without)\s+([^,.;:]+)", re.IGNORECASE)


def measured(sentence: str) -> list[str | None]:
    """What each duration in the sentence measures: "an hour-long PHONE CALL", "a six-month
    ROTATING PRESIDENCY", "20 months IN WHICH LEADERS SHUNNED HIM", "DEFEATED FOR THE FIRST
    TIME in 15 years"; None where the sentence does not tie it to a word ("it lasted two
    hours"). "Two years ago" is a time: left out."""
    out: list[str | None] = []
    for m in [*_DURATION.finditer(sentence), *_UNIT_LONG.finditer(sentence)]:
        rest = sentence[m.end():]
        if _AGO.match(rest):
            continue
        modifier = m.group(0).lower().endswith("long") or "-" in m.group(0)
        if re.match(r"[\s-]long\b", rest):  # "an hour" of "an hour-long"
            rest, modifier = rest[5:], True
        clause = _CLAUSE.match(rest)
        if re.search(r"\b(?:in|within)\s+$", sentence[:m.start()]):  # "the first time in 15
            out.append(sentence[max(0, m.start() - 80):m.start()])  # years": what it bounds
        elif modifier and re.match(r"\s+[a-z]", rest):
            words = []
            for word in WORD.findall(rest[:80]):
                if word.lower() in STOPWORDS or not word.islower() or len(words) == 3:
                    break
                words.append(word)
            out.append(" ".join(words))
        else:
            out.append(clause.group(1) if clause else None)
    return out


_PLACE = re.compile(r"\b(?:in|at|to|from|near|inside|outside|visit(?:ed|ing)?|arrived in|"
                    r"trip to)\s+(?:the\s+|his\s+|her\s+|their\s+)?([A-Z][\w’'-]*)")


_VENUE = re.compile(r"\b([A-Z][\w’'-]*) as (?:a|an|the) (?:\w+ )?(?:venue|host|location|site)\b")


def places(sentence: str) -> set[str]:
    """Stems of the names standing where a place does ("in Beijing", "to Moscow",
    "Budapest as a potential venue")."""
    return {stem(m.group(1)) for pattern in (_PLACE, _VENUE) for m in pattern.finditer(sentence)}


_WHERE_PUBLISHED = re.compile(r"where (?:did|does|do|has|have|had)\b[^?]*?\b(?:post|posted|write|"
                              r"wrote|written|publish|published|announce|announced|tweet|"
                              r"tweeted|share|shared)\b")
# Where something was said: "posted on X", "on his Facebook page", "in an interview",
# "told news agency MTI" (not "focused on Hungary").
_MEDIUM = re.compile(
    r"\b(?:post(?:ed|s)?|wr(?:ote|ites)|sa(?:id|ys)|announc(?:ed|es)|shar(?:ed|es)|"
    r"publish(?:ed|es)|tweet(?:ed|s)?)\b[^.;]{0,40}?\bon\s+(?:(?:his|her|their|its|the)\s+)?"
    r"(?!(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day\b)[A-Z]|"
    r"\bon\s+(?:his|her|their|its)\s+(?:[\w-]+\s+)?(?:page|account|channel|blog|website|feed)\b|"
    r"\bon\s+(?:X|Facebook|Twitter|Instagram|Telegram|TikTok|YouTube|social media|television|"
    r"TV|radio)\b|\bin\s+(?:a|an|his|her|their|the)\s+(?:\w+\s+)?"
    r"(?:post|interview|statement|letter|article|op-ed|speech|video|broadcast)\b|"
    r"\btold\s+(?:the\s+)?(?:[\w-]+\s+){0,3}(?:agency|newspaper|broadcaster|radio|"
    r"television)\b")


def expected_type(question: str) -> tuple[AnswerType | None, str | None]:
    """The answer type, and for "how many X" the stem of X."""
    q = question.lower()
    if re.search(r"\bwhat time of day\b|\b(?:at )?what time\b(?! (?:of|in) (?:the )?year)", q):
        return "clock", None  # a time of day: "at 10 am", "this morning"
    if re.search(r"\b(exact|calendar|what|which) (date|day)\b", q):
        return "date", None  # "last month" is a time, not a date
    if re.search(r"\bwhat (percentage|percent|share|proportion)\b", q):
        return "percent", None
    if re.search(r"\b(?:what|which) year\b", q):
        return "year", None  # "days before" is a time, not a year
    if re.search(r"\b(?:what|which) month\b", q):
        return "month", None
    if re.search(r"^(when)\b", q):
        return "time", None
    if re.search(r"\bhow long\b|^what (?:is|was) the (?:length|duration|period) of\b", q):
        return "duration", None
    if _WHERE_PUBLISHED.match(q):
        return "medium", None  # "where did he post it?": on X, in an interview, not a city
    if re.match(r"(where|in (which|what) (city|cities|country|countries|place|places|town|"
                r"towns))\b", q):
        return "place", None
    count = re.search(r"\bhow many (\w+)", q)
    if count:
        return "count", stem(count.group(1))
    if re.search(r"\bhow much\b|\bwhat (percentage|proportion|share|number|amount)\b", q):
        return "number", None
    return None, None


_CLOCK = re.compile(r"\b\d{1,2}(?::\d\d)?\s*(?:a\.?m\.?|p\.?m\.?|o['’]clock|h)\b|"
                    r"\b\d{1,2}:\d\d\b|"
                    r"\b(?:morning|afternoon|evening|night|noon|midday|midnight|dawn)\b",
                    re.IGNORECASE)
_WEEKDAYS = "|".join(d for d in CALENDAR if d.endswith("day"))
_MONTH_NAMES = "|".join(m for m in CALENDAR if not m.endswith("day"))
# A day: "on Tuesday", "October 18", "18 October", "18/10", "yesterday"; a month alone
# ("in April") is not one.
_DAY = re.compile(r"\b(?:" + _WEEKDAYS + r"|yesterday|today|tomorrow)\b|"
                  r"\b(?:" + _MONTH_NAMES + r")\s+\d{1,2}\b|"
                  r"\b\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:" + _MONTH_NAMES + r")\b|"
                  r"\b\d{1,2}[/.-]\d{1,2}\b", re.IGNORECASE)
_RELATIVE = (r"\b(?i:last|next|this|that|the same|the previous|the following) {0}\b|"
             r"\b{0}s? (?i:ago|earlier|later)\b")
_YEAR = re.compile(r"\b(?:1[89]\d\d|20\d\d)\b|" + _RELATIVE.format("year"))
# Month names as written ("in May", not "may"); CALENDAR holds them lower-cased.
_MONTH = re.compile(r"\b(?:" + _MONTH_NAMES.title() + r")\b|" + _RELATIVE.format("month"))
# "since the beginning of the war in February 2022" dates the start of a period, not the
# event the sentence tells: it does not say when that happened.
_SINCE = re.compile(r"\bsince\b[^,.;:]*", re.IGNORECASE)


def _tells_new(pattern: re.Pattern[str], sentence: str, question: str) -> bool:
    """Does the sentence hold a match of `pattern` that the question does not name ("in
    April" does not say when, asked "on what date in April ...")?"""
    asked = {m.group(0).lower() for m in pattern.finditer(question)}
    return any(m.group(0).lower() not in asked for m in pattern.finditer(sentence))


def holds_answer_type(sentence: str, question: str) -> bool:
    kind, unit = expected_type(question)
    if kind is None:
        return True
    if kind in ("time", "year", "month", "date") and not re.search(r"\bsince\b", question,
                                                                  re.IGNORECASE):
        sentence = _SINCE.sub(" ", sentence)
    if kind == "time":
        return _tells_new(_TIME, sentence, question)
    if kind in ("year", "month"):
        return bool((_YEAR if kind == "year" else _MONTH).search(sentence))
    if kind == "clock":
        return bool(_CLOCK.search(sentence))
    if kind == "date":  # not "20 months", "2022", nor the day the question names
        return _tells_new(_DAY, sentence, question)
    if kind == "percent":
        return bool(re.search(r"%|\bper ?cent\b|\bhalf\b|\bthird\b|\bquarter\b", sentence,
                              re.IGNORECASE))
    if kind == "medium":
        return bool(_MEDIUM.search(sentence))
    if kind == "place":  # "in Beijing", "to Moscow", "at his Mar-a-Lago estate"
        return bool(places(sentence))
    if kind == "duration":
        return bool(_DURATION.search(sentence) or _UNIT_LONG.search(sentence))
    if kind == "count" and unit:
        words = WORD.findall(sentence)
        return any(stem(w) == unit and any(_NUMBER.fullmatch(p) or p.isdigit()
                                           for p in words[max(0, i - 3):i])
                   for i, w in enumerate(words))
    return bool(re.search(r"\d|%|\bper ?cent\b", sentence)) or bool(_NUMBER.search(sentence))
