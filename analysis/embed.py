"""Sentence embeddings of tool texts: ``gtm_core.embeddings``, re-exported for the scope analysis.

The embedder lives in gtm_core so that data synthesis (``gtm synth``) can use it without
importing the analysis package; every name that was importable from here still is.
"""

from __future__ import annotations

from gtm_core.embeddings import (
    CACHE_DIR_ENV,
    DEFAULT_BATCH_SIZE,  # noqa: F401 - importable here as before
    DEFAULT_MODEL,
    Embedder,
    EmbeddingCacheWarning,
    EmbeddingError,
    TfidfEmbedder,
    default_cache_dir,
    packaged_model_path,
    tool_text,
)

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_MODEL",
    "EmbeddingCacheWarning",
    "Embedder",
    "EmbeddingError",
    "TfidfEmbedder",
    "default_cache_dir",
    "packaged_model_path",
    "tool_text",
]
