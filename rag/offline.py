"""Keep every library offline and quiet. Imported first by `rag/__init__.py`.

The product must never download anything at run time: the Hugging Face hub would
fetch models, Chroma and Gradio would phone home with telemetry.
"""

import os

_OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",  # chromadb
    "GRADIO_ANALYTICS_ENABLED": "False",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "1",
}


def force_offline() -> None:
    for key, value in _OFFLINE_ENV.items():
        os.environ[key] = value
