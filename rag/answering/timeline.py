"""Time in answers: dates said relative to an article's day, questions about the latest
state of things, and questions answered as a timeline.

News says "on Wednesday" and "last month"; the reader only knows which Wednesday from the
article's publication date (`Passage.published`, where the article or its sidecar says
it). dateparser resolves such phrases against that day; an article without a date leaves
them as written.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from typing import Any

_FORMATS = {"day": "%-d %B %Y", "week": "week of %-d %B %Y", "month": "%B %Y", "year": "%Y"}


def resolve(phrase: str, published: str | None) -> str | None:
    """"on Wednesday" in an article of 2024-07-05 -> "3 July 2024"; None where the article
    has no date or the phrase names no date dateparser can place (or names its year:
    "5 November 2004" needs no help)."""
    if not published or any(w.isdigit() and len(w) == 4 for w in phrase.split()):
        return None
    found = _parser(published).get_date_data(phrase)
    if found.date_obj is None:
        return None
    day = found.date_obj
    base = datetime.fromisoformat(published)
    if (base - day).days == 7 and base.strftime("%A").lower() in phrase.lower():
        day = base  # "on Wednesday" in Wednesday's paper is that day, not a week before
    return day.strftime(_FORMATS.get(found.period or "day", _FORMATS["day"]))


def day_of(published: str | None) -> date | None:
    try:
        return date.fromisoformat(published) if published else None
    except ValueError:
        return None


def as_of(published: str | None) -> str:
    """"As of 5 July 2024" for an answer resting on an article of that day."""
    day = day_of(published)
    return f"As of {day:%-d %B %Y}" if day else ""


@lru_cache(maxsize=256)
def _parser(published: str) -> Any:
    import dateparser  # a slow import: only when a relative date is to be resolved

    base = datetime.fromisoformat(published)
    return dateparser.DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": "past", "RETURN_TIME_AS_PERIOD": True})
