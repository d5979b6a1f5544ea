"""Answerers: passages + question -> an answer with [n] citations, streamed."""

from rag.answering.base import AnswerDraft, Answerer, TextDelta

__all__ = ["AnswerDraft", "Answerer", "TextDelta"]
