"""The project's hybrid retriever as a llama-index BaseRetriever.

For llama-index users: plug it into a query engine of their own; each node carries the
article's file name in its metadata and the passage's character offsets in the article
(start_char_idx/end_char_idx). Kept out of the CLI's path: importing llama_index.core
costs more than a whole `rag ask`. It wraps the retrieval layer's own Retriever (the one a
RagService searches with, `service.retriever`), so retrieval never reaches up to the service.

    from llama_index.core.query_engine import RetrieverQueryEngine
    retriever = ArticleRetriever(service.retriever, top_k=service.settings.top_k)
    engine = RetrieverQueryEngine.from_args(retriever, llm=your_llm)
"""

from __future__ import annotations

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.retrieval.hybrid import Retriever
from rag.schemas import Passage


def as_node(passage: Passage) -> NodeWithScore:
    node = TextNode(id_=passage.chunk_id, text=passage.text,
                    start_char_idx=passage.start, end_char_idx=passage.end,
                    metadata={"source": passage.source, "doc_id": passage.doc_id})
    return NodeWithScore(node=node, score=passage.score)


class ArticleRetriever(BaseRetriever):
    def __init__(self, retriever: Retriever, top_k: int) -> None:
        super().__init__()
        self._retriever = retriever
        self._top_k = top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return [as_node(p) for p in self._retriever.retrieve(query_bundle.query_str, self._top_k)]
