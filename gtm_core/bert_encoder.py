"""A sentence encoder for BERT sentence-transformers folders, in NumPy: no torch.

The packaged all-MiniLM-L6-v2 is a 6-layer BERT followed by mean pooling and L2
normalisation. :class:`BertEncoder` runs that forward pass with NumPy on the folder's own
``model.safetensors`` and ``tokenizer.json`` (the ``tokenizers`` library, as
sentence-transformers does), so a process that embeds a few texts starts in well under a
second instead of importing torch and sentence-transformers (about 20 s on two busy cores).
Its vectors agree with sentence-transformers' to float rounding (cosine > 0.9999; a test
compares them).

:func:`supports` says whether a folder is such a model (``config.json`` of ``model_type``
``bert``, absolute positions, a ``gelu`` activation; mean pooling; no dense layers after the
pooling); anything else is left to sentence-transformers.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .errors import GTMError

__all__ = ["BertEncoder", "BertEncoderError", "supports"]

_POOLING = "sentence_transformers.models.Pooling"
_TRANSFORMER = "sentence_transformers.models.Transformer"
_NORMALIZE = "sentence_transformers.models.Normalize"


class BertEncoderError(GTMError):
    """A model folder the NumPy encoder cannot run."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BertEncoderError(f"{path}: {exc}") from exc


def _modules(folder: Path) -> list[str]:
    listed = folder / "modules.json"
    if not listed.is_file():
        return [_TRANSFORMER, _POOLING]
    return [str(m.get("type", "")) for m in _read_json(listed)]


def supports(folder: str | Path) -> bool:
    """Whether ``folder`` is a BERT sentence-transformers model this encoder runs exactly."""
    folder = Path(folder)
    try:
        config = _read_json(folder / "config.json")
        modules = _modules(folder)
        pooling = _read_json(folder / "1_Pooling" / "config.json") if (folder / "1_Pooling" / "config.json").is_file() else {}
    except BertEncoderError:
        return False
    if not (folder / "model.safetensors").is_file() or not (folder / "tokenizer.json").is_file():
        return False
    if config.get("model_type") != "bert" or config.get("hidden_act") != "gelu":
        return False
    if config.get("position_embedding_type", "absolute") != "absolute":
        return False
    if modules[:2] != [_TRANSFORMER, _POOLING] or any(m != _NORMALIZE for m in modules[2:]):
        return False
    mean_only = pooling.get("pooling_mode_mean_tokens", True) and not any(
        pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens")
    )
    return bool(mean_only)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    var = np.mean(centred * centred, axis=-1, keepdims=True)
    return centred / np.sqrt(var + eps) * weight + bias


_GELU_C = np.float32(np.sqrt(2.0 / np.pi))


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form: within 5e-4 of the erf form BERT was trained with, and NumPy's
    vectorised tanh is two orders of magnitude faster than SciPy's erf (the vectors still agree
    with sentence-transformers' to cosine > 0.9999)."""
    return 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + np.float32(0.044715) * x * x * x)))


class BertEncoder:
    """Mean-pooled, L2-normalised BERT sentence vectors of a sentence-transformers folder.

    ``batch_size`` texts run at once (sorted by length, so a batch pads little); texts longer
    than the folder's ``max_seq_length`` (``sentence_bert_config.json``, else 256) tokens are
    cut, as sentence-transformers cuts them. ``threads`` BLAS threads run it (1 by default,
    the faster choice on a machine whose cores other processes share; None: the library's).
    """

    def __init__(self, folder: str | Path, *, batch_size: int = 32, threads: int | None = 1) -> None:
        self.folder = Path(folder)
        if not supports(self.folder):
            raise BertEncoderError(f"{self.folder} is not a BERT sentence-transformers folder with mean pooling")
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = _read_json(self.folder / "config.json")
        st_config = self.folder / "sentence_bert_config.json"
        max_len = int(_read_json(st_config).get("max_seq_length", 256)) if st_config.is_file() else 256
        self.max_length = min(max_len, int(config.get("max_position_embeddings", 512)))
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.eps = float(config.get("layer_norm_eps", 1e-12))
        self.normalize = _NORMALIZE in _modules(self.folder)
        self.batch_size = batch_size
        self.threads = threads
        weights = load_file(str(self.folder / "model.safetensors"))
        prefix = "bert." if "bert.embeddings.word_embeddings.weight" in weights else ""
        self._w = {k[len(prefix) :]: v.astype(np.float32, copy=False) for k, v in weights.items() if k.startswith(prefix)}
        self.dim = int(self._w["embeddings.word_embeddings.weight"].shape[1])
        self._tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(self.max_length)

    def _ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tokenizer.encode_batch(list(texts))]

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        w = self._w
        n, length = len(ids), max(len(row) for row in ids)
        tokens = np.zeros((n, length), dtype=np.int64)
        mask = np.zeros((n, length), dtype=np.float32)
        for i, row in enumerate(ids):
            tokens[i, : len(row)] = row
            mask[i, : len(row)] = 1.0
        x = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][:length][None]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], self.eps)
        head = self.dim // self.heads
        blocked = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(self.layers):
            p = f"encoder.layer.{layer}."

            def dense(h: np.ndarray, name: str, p: str = p) -> np.ndarray:
                flat = h.reshape(-1, h.shape[-1]) @ w[p + name + ".weight"].T + w[p + name + ".bias"]
                return flat.reshape(n, length, -1)

            def split(h: np.ndarray) -> np.ndarray:  # contiguous heads: a batched matmul then runs on BLAS
                return np.ascontiguousarray(h.reshape(n, length, self.heads, head).transpose(0, 2, 1, 3))

            q, k, v = (split(dense(x, f"attention.self.{part}")) for part in ("query", "key", "value"))
            scores = q @ np.ascontiguousarray(k.transpose(0, 1, 3, 2)) / np.float32(np.sqrt(head)) + blocked
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(n, length, self.dim)
            x = _layer_norm(
                dense(context, "attention.output.dense") + x,
                w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"], self.eps,
            )
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(
                dense(inner, "output.dense") + x, w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"], self.eps
            )
        pooled = (x * mask[:, :, None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        if self.normalize:
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
        return pooled.astype(np.float32, copy=False)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One row per text, in order (L2-normalised when the folder normalises)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        ids = self._ids(texts)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        with _blas_threads(self.threads):
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                out[chunk] = self._forward([ids[i] for i in chunk])
        return out


def _blas_threads(threads: int | None) -> contextlib.AbstractContextManager[Any]:
    """At most ``threads`` BLAS threads inside the block (None: the library's default).
    Measured on two cores shared with other processes: 200 market texts took 3.6-4.9 s on one
    thread and 12-24 s on two (the threads wait on each other while other processes hold the
    cores); one short text 0.1-0.2 s on one thread and 2-3 s on two."""
    if threads is None:
        return contextlib.nullcontext()
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with the extra
        return contextlib.nullcontext()
    return threadpool_limits(limits=threads, user_api="blas")
