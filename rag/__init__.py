"""Article Q&A: retrieval-augmented answers with exact citations."""

from rag.offline import force_offline

force_offline()
