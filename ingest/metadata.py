"""What an article says about itself: title, publication date, URL, outlet.

Each comes from the article first (HTML meta tags and JSON-LD, Markdown front matter, a
PDF's information dictionary, a text's first line), then is overridden by what a person
or a feed states about it: the folder's sidecar file (SIDECAR), `rag ingest --published`
and friends, a feed entry's date and title. Unknown stays None: nothing is guessed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.limits import LoadError

SIDECAR = "metadata.json"  # in a folder of articles: file name -> fields (README: Metadata)
FIELDS = ("title", "published", "url", "site")
MAX_TITLE = 300  # a title longer than this is a paragraph, not a headline
MAX_FIELD = 2000  # a URL or outlet name longer than this is not one
# Bumped when what the loaders extract changes, so a re-ingest reads unchanged files again.
EXTRACTION_VERSION = "1"
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class ArticleMeta:
    title: str | None = None
    published: str | None = None  # ISO date, YYYY-MM-DD
    url: str | None = None
    site: str | None = None

    def over(self, base: ArticleMeta) -> ArticleMeta:
        """These fields where set, `base`'s elsewhere."""
        return ArticleMeta(*(getattr(self, f) or getattr(base, f) for f in FIELDS))

    def as_dict(self) -> dict[str, str | None]:
        return dataclasses.asdict(self)

    def key(self) -> str:
        """A fingerprint of these fields and of the extraction: when it changes, a file whose
        bytes did not is read again (its metadata may have)."""
        blob = json.dumps([EXTRACTION_VERSION, self.as_dict()], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @classmethod
    def checked(cls, **fields: Any) -> ArticleMeta:
        """From loosely typed values (a sidecar, front matter, a form): each one cleaned,
        a value that is not what its field holds raises LoadError naming it."""
        unknown = set(fields) - set(FIELDS)
        if unknown:
            raise LoadError(f"unknown metadata field(s) {', '.join(sorted(unknown))}; "
                            f"known: {', '.join(FIELDS)}")
        published = fields.get("published")
        if published is not None and iso_date(published) is None:
            raise LoadError(f"published {str(published)[:40]!r} is not a date (YYYY-MM-DD)")
        url = clean(fields.get("url"))
        if url is not None and not re.match(r"https?://", url):
            raise LoadError(f"url {url[:60]!r} is not an http(s) URL")
        return cls(title=clean_title(fields.get("title")), published=iso_date(published),
                   url=url, site=clean(fields.get("site")))


def iso_date(value: object) -> str | None:
    """YYYY-MM-DD from a date, a datetime or a string starting with one; None otherwise."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if not isinstance(value, str) or not (m := _DATE.match(value.strip())):
        return None
    try:
        return dt.date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:  # 2024-02-30
        return None


def day_number(published: str | None) -> int | None:
    """2024-07-05 -> 20240705: Chroma's `where` compares numbers, not date strings."""
    return int(published.replace("-", "")) if published else None


def clean(value: object) -> str | None:
    """One line of text, or None for nothing, a non-string or something far too long."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    text = " ".join(str(value).split())
    return text if 0 < len(text) <= MAX_FIELD else None


def clean_title(value: object) -> str | None:
    text = clean(value)
    return text if text and len(text) <= MAX_TITLE else None


def read_sidecar(folder: Path) -> dict[str, ArticleMeta]:
    """The folder's SIDECAR: {"file name": {"title"?, "published"?, "url"?, "site"?}}.
    Absent: {}. Broken: LoadError saying where, so no file is ingested half-described."""
    path = folder / SIDECAR
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise LoadError(f"cannot read {SIDECAR}: {exc}") from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise LoadError(f"{SIDECAR} must map file names to objects of fields")
    entries = {}
    for name, fields in raw.items():
        try:
            entries[name] = ArticleMeta.checked(**fields)
        except LoadError as exc:
            raise LoadError(f"{SIDECAR}, entry {name!r}: {exc}") from None
    return entries


def front_matter(text: str) -> tuple[ArticleMeta, str]:
    """Markdown's YAML front matter (between `---` lines at the very start) read for title,
    date, url and source; returns it and the text after it (the text unchanged if none)."""
    m = re.match(r"---[ \t]*\n(.{0,10000}?\n)?(?:---|\.\.\.)[ \t]*(?:\n|$)", text, re.DOTALL)
    if not m:
        return ArticleMeta(), text
    import yaml  # PyYAML's safe loader: no objects, only plain data

    try:
        data = yaml.safe_load(m[1] or "")
    except Exception:  # YAMLError; ValueError for 2024-02-30; RecursionError for [[[[...
        return ArticleMeta(), text  # not front matter after all: leave the text as it is
    if not isinstance(data, dict):
        return ArticleMeta(), text
    pick = {k.lower(): v for k, v in data.items() if isinstance(k, str)}  # scalars only:
    meta = ArticleMeta(  # an alias-built structure is never turned into a string
        title=clean_title(pick.get("title")),
        published=iso_date(pick.get("date", pick.get("published"))),
        url=_http(clean(pick.get("url", pick.get("link")))),
        site=clean(pick.get("source", pick.get("site"))))
    return meta, text[m.end():]


def _http(url: str | None) -> str | None:
    return url if url and re.match(r"https?://", url) else None
