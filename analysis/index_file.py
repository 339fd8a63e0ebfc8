"""The scope index on disk: one ``.npz`` file, reduced vectors and no description texts.

A file holds, for the training APIs and the market tools, their vectors in the index's
storage (``float32``, ``float16``, or ``int8`` with one float32 scale per row), the names,
servers, origins and categories of the tools — never their descriptions, so an index made
from third-party data carries only numbers and names — and:

- ``projection``: where the index keeps fewer dimensions than the model makes, the model's
  vectors are multiplied by this matrix (the top principal directions of the indexed vectors,
  uncentred, so dot products are kept as well as that many dimensions can) and normalised
  again; queries go the same way;
- ``calibration``: the training APIs' leave-one-out nearest-neighbour similarities, computed in
  the reduced space, so the coverage of a query means there what it means in the full space;
- a JSON header: the format name and :data:`INDEX_VERSION`, the embedding model id, the
  platform terms learned from the market, the reduction, and ``info`` (how it was built and the
  data versions: each data file's name, size, sha256 and rows per source).

:func:`reduce_vectors` and :func:`fit_projection` make the reduction; :func:`write` and
:func:`read` move the pieces to and from a file. :class:`analysis.applicability.ScopeIndex`
uses them in ``reduced``, ``save`` and ``load``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .queries import ScopeIndexError

__all__ = [
    "FORMAT",
    "INDEX_VERSION",
    "STORAGES",
    "IndexFile",
    "data_version",
    "dequantize",
    "fit_projection",
    "quantize",
    "read",
    "records_rows",
    "reduce_vectors",
    "write",
]

FORMAT = "gtm-scope-index"
INDEX_VERSION = 2
STORAGES = ("float32", "float16", "int8")


@dataclass
class IndexFile:
    """The pieces of an index file. ``training`` and ``market`` rows are ``[server, name,
    origin, category]``; vectors are float32 in memory whatever the storage."""

    model_id: str
    training: list[list[Any]]
    market: list[list[Any]]
    training_vectors: np.ndarray
    market_vectors: np.ndarray
    calibration: np.ndarray
    projection: np.ndarray | None
    storage: str
    platform_terms: list[str]
    coverage_k: int
    neighbours_k: int
    info: dict[str, Any]


def fit_projection(vectors: np.ndarray, dims: int) -> np.ndarray:
    """A (model dims x ``dims``) matrix of the top eigenvectors of ``vectors.T @ vectors``: the
    subspace that keeps the rows' dot products best (uncentred PCA)."""
    if vectors.ndim != 2 or not len(vectors):
        raise ScopeIndexError("a projection needs vectors")
    if not 1 <= dims <= vectors.shape[1]:
        raise ScopeIndexError(f"dims must be between 1 and {vectors.shape[1]}, got {dims}")
    x = vectors.astype(np.float64)
    values, vecs = np.linalg.eigh(x.T @ x)
    top = vecs[:, np.argsort(values)[::-1][:dims]]
    # a sign convention, so that the same vectors give the same matrix everywhere
    top *= np.where(top[np.abs(top).argmax(axis=0), np.arange(dims)] < 0, -1.0, 1.0)
    return top.astype(np.float32)


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def quantize(vectors: np.ndarray, storage: str) -> dict[str, np.ndarray]:
    """The arrays that store ``vectors``: ``{"q": ...}`` in ``storage``, and for int8 the
    per-row ``"scale"`` (the row's largest magnitude over 127)."""
    if storage not in STORAGES:
        raise ScopeIndexError(f"storage must be one of {', '.join(STORAGES)}, got {storage!r}")
    if storage != "int8":
        return {"q": vectors.astype(storage)}
    scale = np.abs(vectors).max(axis=1) / 127.0 if len(vectors) else np.zeros(0, np.float32)
    scale = np.where(scale > 0, scale, 1.0).astype(np.float32)
    return {"q": np.clip(np.rint(vectors / scale[:, None]), -127, 127).astype(np.int8), "scale": scale}


def dequantize(arrays: Mapping[str, np.ndarray]) -> np.ndarray:
    """Normalised float32 rows back from :func:`quantize`'s arrays."""
    q = np.asarray(arrays["q"])
    out = q.astype(np.float32)
    if "scale" in arrays:
        out *= np.asarray(arrays["scale"], dtype=np.float32)[:, None]
    return _normalise(out) if len(out) else out


def reduce_vectors(vectors: np.ndarray, projection: np.ndarray | None, storage: str) -> np.ndarray:
    """``vectors`` as the index holds them: projected (where a projection is given), normalised,
    and rounded to ``storage`` — the values a loaded index computes with."""
    out = _normalise(vectors @ projection) if projection is not None and len(vectors) else vectors.astype(np.float32)
    return dequantize(quantize(out, storage))


def data_version(path: str | Path, name: str, *, source_key: str = "source") -> dict[str, Any]:
    """A data file's version: its name, size and sha256, and how many rows each source holds."""
    path = Path(path)
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    opener: Any = gzip.open if path.name.endswith(".gz") else open
    sources: Counter[str] = Counter()
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    continue
                sources[str(row.get(source_key)) if isinstance(row, dict) else "?"] += 1
    return {"file": name, "bytes": path.stat().st_size, "sha256": digest.hexdigest(), "rows": dict(sorted(sources.items()))}


def records_rows(records: Iterable[Any]) -> list[list[Any]]:
    """The ``[server, name, origin, category]`` rows a file keeps of each record."""
    return [[r.server, r.name, r.origin, r.category] for r in records]


def write(path: str | Path, piece: IndexFile) -> Path:
    """Write an index file atomically (a temporary file in the same folder, then a rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = {
        "format": FORMAT,
        "version": INDEX_VERSION,
        "model_id": piece.model_id,
        "storage": piece.storage,
        "dims": int(piece.training_vectors.shape[1]),
        "coverage_k": piece.coverage_k,
        "neighbours_k": piece.neighbours_k,
        "platform_terms": piece.platform_terms,
        "info": piece.info,
        "training": piece.training,
        "market": piece.market,
    }
    blob = gzip.compress(json.dumps(header, ensure_ascii=False).encode("utf-8"), compresslevel=9, mtime=0)
    arrays: dict[str, np.ndarray] = {"meta": np.frombuffer(blob, dtype=np.uint8), "calibration": piece.calibration.astype(np.float32)}
    for side, vectors in (("training", piece.training_vectors), ("market", piece.market_vectors)):
        for key, value in quantize(vectors, piece.storage).items():
            arrays[f"{side}_{key}"] = value
    if piece.projection is not None:
        arrays["projection"] = piece.projection.astype(np.float32)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buffer.getbuffer())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read(path: str | Path) -> IndexFile:
    """The pieces of an index file written by :func:`write`; a clear error for anything else."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(gzip.decompress(data["meta"].tobytes()).decode("utf-8"))
            if not isinstance(header, dict) or header.get("format") != FORMAT or header.get("version") != INDEX_VERSION:
                version = header.get("version") if isinstance(header, dict) else None
                raise ScopeIndexError(
                    f"{path}: a scope index of version {version}, this toolkit reads version {INDEX_VERSION}: "
                    "make it again with `gtm scope build-index`"
                )
            arrays = {key: data[key] for key in data.files}
    except FileNotFoundError:
        raise ScopeIndexError(f"{path}: no such index file") from None
    except ScopeIndexError:
        raise
    except (OSError, ValueError, KeyError, EOFError) as exc:
        raise ScopeIndexError(f"{path}: not a scope index ({exc}); make it with `gtm scope build-index`") from exc

    def vectors(side: str) -> np.ndarray:
        parts = {key.removeprefix(f"{side}_"): value for key, value in arrays.items() if key.startswith(f"{side}_")}
        return dequantize(parts).reshape(-1, int(header["dims"]))

    return IndexFile(
        model_id=header["model_id"],
        training=header["training"],
        market=header["market"],
        training_vectors=vectors("training"),
        market_vectors=vectors("market"),
        calibration=np.asarray(arrays["calibration"], dtype=np.float32),
        projection=np.asarray(arrays["projection"], dtype=np.float32) if "projection" in arrays else None,
        storage=header["storage"],
        platform_terms=list(header["platform_terms"]),
        coverage_k=int(header["coverage_k"]),
        neighbours_k=int(header["neighbours_k"]),
        info=dict(header.get("info") or {}),
    )
