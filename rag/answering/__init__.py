"""Answerers: passages + question -> an answer with [n] citations, streamed."""

from rag.answering.answerer import Answerer
from rag.answering.base import AnswerDraft, TextDelta

__all__ = ["AnswerDraft", "Answerer", "TextDelta"]
