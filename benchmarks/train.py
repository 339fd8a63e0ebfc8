"""Measure gtm train: seconds per step and tokens per second, full fine-tune and LoRA.

Training lines are made the way CARG makes them (``training_record``), with the schema engine
as the teacher, from tools of the public training APIs (or the shipped catalog when the data
folder is absent). Each configuration trains the base model (default: the embedded SmolLM2)
for a few steps; the first step is reported apart (it warms caches up).

Prints a table and writes benchmarks/results/train.json (machine and load average inside).

    .venv/bin/python benchmarks/train.py [--steps 4] [--batch-size 4] [--max-length 512] [--configs full,lora]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from gtm_core import Catalog, sample_arguments
from gtm_core.data import TRAINING_APIS, data_file
from gtm_core.engines.schema import SchemaEngine
from gtm_core.generation import GenerationRequest
from gtm_core.prompt import training_record

RESULTS = Path(__file__).resolve().parent / "results" / "train.json"


def _records(count: int, seed: int) -> list[dict]:
    path = data_file(TRAINING_APIS)
    catalog = Catalog.load(path) if path is not None else Catalog.shipped()
    rng = random.Random(seed)
    specs = rng.sample(catalog.tools, min(count, len(catalog)))
    engine = SchemaEngine()
    out = []
    for index, spec in enumerate(specs):
        arguments = sample_arguments(spec, rng=rng)
        answer = json.loads(engine.generate_sync([GenerationRequest(spec, arguments, seed=index)])[0])
        out.append(training_record(spec, arguments, answer, source="benchmark"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None, help="base model (default: the embedded SmolLM2)")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=512)
    parser.add_argument("--configs", default="full,lora", help="comma-separated: full, lora")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    options = parser.parse_args()

    from gtm_core.training import TrainConfig, train

    records = _records(options.steps * options.batch_size, options.seed)
    rows = []
    load_start = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="gtm-train-bench-") as scratch:
        data = Path(scratch) / "train.jsonl"
        data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
        for name in [c.strip() for c in options.configs.split(",") if c.strip()]:
            config = TrainConfig(out=Path(scratch) / name, model=options.model, lora=name == "lora", max_steps=options.steps,
                                 batch_size=options.batch_size, max_length=options.max_length, seed=options.seed)  # fmt: skip
            steps: list[dict] = []
            started = time.perf_counter()
            result = train([data], config, log=lambda text: print(f"  {name}: {text}", file=sys.stderr))
            wall = time.perf_counter() - started
            for line in (config.out / "train_log.jsonl").read_text(encoding="utf-8").splitlines():  # type: ignore[operator]
                steps.append(json.loads(line))
            later = steps[1:] or steps
            seconds = sum(s["seconds"] for s in later)
            tokens = sum(s["tokens"] for s in later)
            rows.append({
                "config": name,
                "device": result.device,
                "bf16": result.bf16,
                "trainable_parameters": result.trainable_parameters,
                "steps": result.steps,
                "batch_size": options.batch_size,
                "mean_tokens_per_step": round(result.tokens / result.steps, 1),
                "answer_tokens_per_step": round(result.answer_tokens / result.steps, 1),
                "first_step_s": steps[0]["seconds"],
                "seconds_per_step": round(seconds / len(later), 2),
                "tokens_per_second": round(tokens / seconds, 1) if seconds else None,
                "final_loss": result.final_loss,
                "wall_s_with_load_and_save": round(wall, 1),
            })  # fmt: skip
    report = {
        "benchmark": "train",
        "model": options.model or "embedded SmolLM2-135M-Instruct",
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()},
        "load_average_start": load_start,
        "load_average_end": os.getloadavg(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rows": rows,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"{'config':<6} {'device':<6} {'bf16':<5} {'tok/step':>8} {'first s':>8} {'s/step':>7} {'tok/s':>7} {'loss':>7}")
    for row in rows:
        print(f"{row['config']:<6} {row['device']:<6} {str(row['bf16']):<5} {row['mean_tokens_per_step']:>8} {row['first_step_s']:>8} "
              f"{row['seconds_per_step']:>7} {row['tokens_per_second'] or 0:>7} {row['final_loss']:>7}")  # fmt: skip
    print(f"load average {load_start[0]:.2f} -> {report['load_average_end'][0]:.2f}; written to {options.out}")


if __name__ == "__main__":
    main()
