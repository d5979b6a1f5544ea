"""The conversation as a Markdown file a reader takes away: every question, its answer,
and the numbered sources each [n] of the answer points at, with the quoted span.

Citation metadata (title, site, published, url) is read None-safe: an article that
states none is known by its file name.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from rag.schemas import Answer, Citation, Turn

TITLE = "Conversation with Article Q&A"


@dataclass(frozen=True)
class Exchange:
    """One answered question, as the chat showed it (kept per session for the export and
    for the votes on it)."""

    question: str
    answer: Answer
    history: tuple[Turn, ...]  # the turns before the question
    top_k: int
    chat_index: int  # the answer's message in the chat (what a vote event names)


def conversation_markdown(exchanges: Iterable[Exchange], now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"# {TITLE}\n\nExported {stamp}. Answers come from the ingested articles; each "
             "[n] is a numbered source below its answer, with the words it quotes.\n"]
    for i, ex in enumerate(exchanges, start=1):
        parts.append(_exchange(i, ex))
    return "\n".join(parts)


def _exchange(i: int, ex: Exchange) -> str:
    answer = ex.answer
    lines = [f"## {i}. {_one_line(ex.question)}", ""]
    if answer.refused:
        lines += [f"**Not in the articles.** {_text(answer.answer)}", ""]
    else:
        lines += [_text(answer.answer), ""]
    if answer.unsupported:
        lines += ["Not supported by the cited passages:", "",
                  *(f"- {_one_line(s)}" for s in answer.unsupported), ""]
    if answer.citations:
        lines += ["### Sources", ""]
        for c in answer.citations:
            lines += [*_source(c), ""]
    lines.append(f"*{answer.mode} answerer, top-k {ex.top_k}*")
    return "\n".join(lines) + "\n"


def _source(c: Citation) -> list[str]:
    """`[n] Headline — Outlet, 2024-07-05`, where it was published, then the quote."""
    title, site, published, url = (getattr(c, name, None) for name in
                                   ("title", "site", "published", "url"))
    about = ", ".join(str(x) for x in (site, published) if x)
    head = f"**[{c.n}]** {_one_line(str(title or c.source))}"
    if about:
        head += f" — {_one_line(about)}"
    where = f"`{c.source}`, characters {c.start}-{c.end}"
    if isinstance(url, str) and url.startswith(("http://", "https://")):  # no javascript: links
        where = f"<{url}> · {where}"
    quote = [f"> {_text(line)}" if line.strip() else ">" for line in c.text.splitlines()]
    return [head + "  ", where, "", *quote]


def _text(text: str) -> str:
    """Article and answer text shown as text: a `<` would start raw HTML in a Markdown
    viewer, so it is escaped (CommonMark shows `\\<` as `<`)."""
    return text.replace("<", "\\<")


def _one_line(text: str) -> str:
    return _text(re.sub(r"\s+", " ", text).strip())


def write_export(folder: Path, markdown: str, previous: str | None = None) -> Path:
    """Write the export to a folder of its own under `folder` (the chat's upload folder in
    the data dir, which Gradio serves from and empties); the session's previous export
    goes, so a long conversation leaves one file, not one per answer."""
    discard(previous, folder)
    name = datetime.now(UTC).strftime("conversation-%Y%m%d-%H%M%S.md")
    path = folder / secrets.token_hex(8) / name  # a name nobody else can guess or clash with
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(markdown, encoding="utf-8")
    return path


def discard(path: str | None, folder: Path) -> None:
    """Delete an export and its folder, if it is one written under `folder`."""
    if not path or not Path(path).resolve().is_relative_to(folder.resolve()):
        return
    with suppress(OSError):  # gone already (Gradio's cache clean-up)
        Path(path).unlink()
        Path(path).parent.rmdir()


def history_turns(history: Sequence[dict[str, str]]) -> tuple[Turn, ...]:
    return tuple(Turn(role=t["role"], content=t["content"]) for t in history)  # type: ignore[arg-type]
