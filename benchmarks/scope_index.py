"""How far the scope index can be reduced: verdict agreement, file size and load time.

Embeds every training API and market tool of GTM_DATA_DIR (through the embedding cache), builds
the full index (float32, the model's 384 dimensions), then each reduction (fewer dimensions by
uncentred PCA, vectors stored as float16 or int8, the calibration made again in the reduced
space; see analysis/index_file.py). Each reduced index scores the same queries as the full one
— every training API and market tool, and the shipped catalog's tools (new to both) — and the
table gives the share of queries with the same verdict, the largest coverage difference, the
share whose nearest training API is the same, the file size and the load time.

    .venv/bin/python benchmarks/scope_index.py [--variants 0:float16,0:int8,256:int8,128:int8,64:int8]

Prints a table and writes benchmarks/results/scope_index.json. Never asserts anything.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from analysis.applicability import ScopeIndex
from analysis.embed import Embedder, tool_text
from analysis.market import load_market, load_training, record_from_spec
from gtm_core.catalog import Catalog

RESULTS = Path(__file__).resolve().parent / "results" / "scope_index.json"


def _agreement(full: list, reduced: list) -> dict[str, float]:
    same = np.mean([a.verdict == b.verdict for a, b in zip(full, reduced)])
    coverage = np.max(np.abs(np.array([a.coverage for a in full]) - np.array([b.coverage for b in reduced])))
    nearest = np.mean([a.neighbours[0]["name"] == b.neighbours[0]["name"] for a, b in zip(full, reduced)])
    return {"same_verdict": float(same), "max_coverage_diff": float(coverage), "same_nearest_training": float(nearest)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--variants", default="0:float16,0:int8,256:int8,128:int8,96:int8,64:int8",
                        help="DIMS:STORAGE pairs (0 keeps the model's dimensions)")
    args = parser.parse_args()
    started = time.perf_counter()
    training, market = load_training(), load_market()
    shipped = [record_from_spec(spec, source="shipped") for spec in Catalog.shipped()]
    embedder = Embedder(progress=True)
    full = ScopeIndex.build(training, market, embedder=embedder)
    full.storage = "float32"
    queries = {"training": (full.training, full.training_vectors), "market": (full.market, full.market_vectors)}
    queries["shipped catalog"] = (shipped, embedder.embed([tool_text(r) for r in shipped]))
    print(f"embedded and built the full index in {time.perf_counter() - started:.0f} s: {full!r}", file=sys.stderr)
    baseline = {side: full.score_vectors(records, vectors, k=1) for side, (records, vectors) in queries.items()}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        variants = [("0", "float32")] + [tuple(v.split(":")) for v in args.variants.split(",")]
        for dims_text, storage in variants:
            dims = int(dims_text) or None
            index = full if storage == "float32" and dims is None else full.reduced(dims=dims, storage=storage)
            path = index.save(Path(tmp) / f"index-{dims_text}-{storage}.npz")
            t = time.perf_counter()
            loaded = ScopeIndex.load(path)
            load_s = time.perf_counter() - t
            row = {"dims": index.training_vectors.shape[1], "storage": storage, "mib": path.stat().st_size / 2**20, "load_s": load_s}
            for side, (records, vectors) in queries.items():
                row[side] = _agreement(baseline[side], loaded.score_vectors(records, vectors, k=1))
            rows.append(row)
            print(f"  {row['dims']:>4} {storage:<8} {row['mib']:6.1f} MiB  load {load_s:.2f} s  "
                  + "  ".join(f"{side} {row[side]['same_verdict']:.2%}" for side in queries), file=sys.stderr)
    print()
    print("| dims | storage | file (MiB) | load (s) | " + " | ".join(f"same verdict: {s}" for s in queries) + " | max coverage diff | same nearest training API (market) |")
    print("|---|---|---|---|" + "---|" * len(queries) + "---|---|")
    for row in rows:
        diff = max(row[s]["max_coverage_diff"] for s in queries)
        print(f"| {row['dims']} | {row['storage']} | {row['mib']:.1f} | {row['load_s']:.2f} | "
              + " | ".join(f"{row[s]['same_verdict']:.2%}" for s in queries)
              + f" | {diff:.3f} | {row['market']['same_nearest_training']:.2%} |")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "machine": {"python": platform.python_version(), "cpus": __import__("os").cpu_count()},
        "queries": {side: len(records) for side, (records, _) in queries.items()},
        "model": full.model_id,
        "variants": rows,
    }, indent=2) + "\n")
    print(f"\nwritten to {RESULTS}")


if __name__ == "__main__":
    main()
