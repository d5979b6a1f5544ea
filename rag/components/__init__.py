"""Providers behind the service: embeddings, the Chroma store, the LLM."""
