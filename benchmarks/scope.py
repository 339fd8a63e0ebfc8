"""Benchmark the scope analysis on all ~29,000 tools (MCP market + training APIs, GTM_DATA_DIR).

Times: embedding cold (an empty cache) and cached; 2-D projection with t-SNE and UMAP, each
with and without PCA to 50 dimensions first, and how well each map keeps neighbourhoods
(share of a tool's 10 nearest neighbours in the embedding space that are among its 10 nearest
on the map, over 2,000 sampled tools); coverage both ways with 1,000 bootstrap resamples, the
grid overlap, the threshold sweep and the exclusive regions.

Cold embedding runs on ``--cold-sample`` texts (default 2,000) into a temporary cache and is
extrapolated to all texts; ``--cold-sample 0`` embeds everything cold. The cached pass reads the
default cache (``$GTM_CACHE_DIR`` or ~/.cache/gtm-toolkit), filling it first when it is empty.
Prints a table and writes benchmarks/results/scope.json. Never asserts timings.

    .venv/bin/python benchmarks/scope.py [--cold-sample 2000] [--methods tsne,umap] [--skip-no-pca]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.embed import Embedder, tool_text
from analysis.market import load_market, load_training
from analysis.overlap import coverage, grid_overlap, self_nearest_similarity, threshold_sweep
from analysis.project import project
from analysis.regions import exclusive_regions
from gtm_core.errors import CatalogError

RESULTS = Path(__file__).resolve().parent / "results" / "scope.json"


def _knn_preservation(vectors: np.ndarray, xy: np.ndarray, *, k: int = 10, n: int = 2000, seed: int = 0) -> float:
    """Mean share of each sampled tool's k nearest neighbours (cosine, embedding space) that are
    also among its k nearest on the map."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(vectors), size=min(n, len(vectors)), replace=False)
    shares = []
    for start in range(0, len(picks), 250):
        rows = picks[start : start + 250]
        sims = vectors[rows] @ vectors.T
        sims[np.arange(len(rows)), rows] = -np.inf
        high = np.argpartition(-sims, k, axis=1)[:, :k]
        dist = ((xy[rows, None, :] - xy[None, :, :]) ** 2).sum(-1)
        dist[np.arange(len(rows)), rows] = np.inf
        near = np.argpartition(dist, k, axis=1)[:, :k]
        shares += [len(set(a) & set(b)) / k for a, b in zip(high, near)]
    return float(np.mean(shares))


def _timed(label: str, rows: list[dict], fn, **extra):
    start = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - start
    rows.append({"step": label, "seconds": round(seconds, 2), **extra})
    print(f"  {label:<44} {seconds:9.2f} s  {' '.join(f'{k}={v}' for k, v in extra.items())}", flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold-sample", type=int, default=2000, help="texts to embed cold (0: all; default 2000)")
    parser.add_argument("--methods", default="tsne,umap", help="projections to time (default tsne,umap)")
    parser.add_argument("--skip-no-pca", action="store_true", help="time each projection only with PCA")
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()

    try:
        market, training = load_market(), load_training()
    except CatalogError as exc:
        sys.exit(str(exc))
    records = market + training
    texts = [tool_text(r) for r in records]
    unique = len(set(texts))
    print(f"{len(market):,} market tools + {len(training):,} training APIs = {len(records):,} ({unique:,} distinct texts); "
          f"{os.cpu_count()} CPUs", flush=True)
    rows: list[dict] = []

    # ---- embedding ---------------------------------------------------------------------
    cold_n = unique if options.cold_sample <= 0 else min(options.cold_sample, unique)
    rng = np.random.default_rng(options.seed)
    distinct = sorted(set(texts))
    cold_texts = [distinct[i] for i in rng.choice(len(distinct), size=cold_n, replace=False)]
    with tempfile.TemporaryDirectory() as tmp:
        cold = Embedder(cache_dir=tmp, progress=False)
        _timed("load the packaged model", rows, lambda: cold._encode(["warm up"]))
        cold.model_calls = 0
        _timed(f"embed cold ({cold_n:,} texts)", rows, lambda: cold.embed(cold_texts), texts=cold_n)
        cold.close()
    rate = cold_n / rows[-1]["seconds"]
    rows.append({"step": f"embed cold, all {unique:,} texts (extrapolated)", "seconds": round(unique / rate, 1),
                 "texts_per_s": round(rate, 1)})
    print(f"  {rows[-1]['step']:<44} {rows[-1]['seconds']:9.1f} s  ({rate:.1f} texts/s)", flush=True)

    filler = Embedder(progress=False)
    filler.embed(texts)  # fills the default cache when it is not warm yet (not timed)
    filler.close()
    cached = Embedder(progress=False)
    vectors = _timed(f"embed cached ({len(texts):,} tools)", rows, lambda: cached.embed(texts), model_calls=0)
    assert cached.model_calls == 0
    cached.close()
    va, vb = vectors[: len(market)], vectors[len(market) :]

    # ---- overlap in the embedding space -----------------------------------------------
    self_nn = _timed("training self nearest neighbours", rows, lambda: self_nearest_similarity(vb))
    cov = _timed("coverage both ways + 1,000 bootstraps", rows,
                 lambda: coverage(va, vb, self_nn_b=self_nn, n_boot=1000, seed=options.seed))
    print(f"    market covered by training {cov.a_in_b:.3f} {cov.a_in_b_interval}, "
          f"training covered by market {cov.b_in_a:.3f} {cov.b_in_a_interval}, threshold {cov.threshold:.3f}")
    _timed("threshold sweep (5 quantiles)", rows, lambda: threshold_sweep(va, vb))
    regions = _timed("exclusive regions (both sides, 12 clusters)", rows, lambda: (
        exclusive_regions(market, va, cov.covered_a, seed=options.seed),
        exclusive_regions(training, vb, cov.covered_b, seed=options.seed),
    ))

    # ---- projections -------------------------------------------------------------------
    grids = {}
    for method in [m for m in options.methods.split(",") if m]:
        for pca in ([50] if options.skip_no_pca else [50, None]):
            label = f"project {method} ({'PCA 50' if pca else 'no PCA'}, {len(vectors):,} points)"
            xy = _timed(label, rows, lambda: project(vectors, method, seed=options.seed, pca_components=pca))
            rows[-1]["knn10_kept"] = round(_knn_preservation(vectors, xy), 3)
            print(f"    10-NN kept on the map: {rows[-1]['knn10_kept']:.3f}", flush=True)
            if pca:
                grid = _timed(f"grid overlap on {method} (50x50, 1,000 bootstraps)", rows,
                              lambda: grid_overlap(xy[: len(market)], xy[len(market) :], n_boot=1000, seed=options.seed))
                grids[method] = grid.to_dict()
                print(f"    grid overlap {grid.overlap:.3f} {grid.interval}", flush=True)

    result = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "tools": {"market": len(market), "training": len(training), "distinct_texts": unique},
        "model": cached.model_id,
        "steps": rows,
        "coverage": cov.to_dict(),
        "grid": grids,
        "regions": {
            side: frame[["region", "label", "size", "examples"]].head(8).to_dict(orient="records")
            for side, frame in zip(("market", "training"), regions)
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    print(f"\n{'step':<58} {'seconds':>9}  notes")
    for row in rows:
        notes = " ".join(f"{k}={v}" for k, v in row.items() if k not in ("step", "seconds"))
        print(f"{row['step']:<58} {row['seconds']:>9}  {notes}")
    print(f"\nwrote {RESULTS}")


if __name__ == "__main__":
    main()
