"""Measure, over every tool of the public training APIs, what the simulator gets right.

1. Valid calls: sampled valid arguments must pass the checks, and every answer must be valid
   against the tool's response schema where it has one.
2. Bad calls: for each of the four error kinds, mutate the valid arguments and count how
   often the checks report the call with that kind. Mutations the schema alone cannot reveal
   (an invalid value where the schema states no constraint, an extra parameter where the
   schema allows any) are counted apart: only a model can catch those.

Prints a table and writes benchmarks/results/error_detection.json.

    .venv/bin/python benchmarks/error_detection.py [--seed 0]
"""

from __future__ import annotations

import argparse
import collections
import json
import platform
import random
import sys
import time
from pathlib import Path

import jsonschema

from gtm_core import Catalog
from gtm_core.checks import FORMAT_CHECKER, check_arguments, primary_kind
from gtm_core.data import TRAINING_APIS, data_file
from gtm_core.mutate import MUTATION_KINDS, mutations
from gtm_core.results import ToolCall
from gtm_core.sampler import sample_arguments
from gtm_core.simulator import Simulator

RESULTS = Path(__file__).resolve().parent / "results" / "error_detection.json"


def _response_validator(schema: object) -> jsonschema.protocols.Validator | None:
    """A validator for a usable response schema, None for text or broken ones."""
    if not isinstance(schema, dict):
        return None
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError:
        return None
    return cls(schema, format_checker=FORMAT_CHECKER)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    path = data_file(TRAINING_APIS)
    if path is None:
        sys.exit(f"public data not found: set GTM_DATA_DIR (looked for {TRAINING_APIS})")
    catalog = Catalog.load(path)
    specs = list({spec.name: spec for spec in catalog}.values())  # one spec per name
    sim = Simulator(Catalog(specs), seed=options.seed)
    rng = random.Random(options.seed)

    started = time.perf_counter()
    valid = collections.Counter()
    invalid_answers: list[str] = []
    made = collections.Counter()
    undetectable = collections.Counter()
    detected = collections.Counter()
    wrong_kind: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    missed_examples: dict[str, list[str]] = collections.defaultdict(list)
    for spec in specs:
        arguments = sample_arguments(spec, rng=rng)
        result = sim.simulate(ToolCall(spec.name, arguments, f"e-{spec.name}"))
        valid["calls"] += 1
        if result.is_error:
            valid["refused"] += 1
            continue
        validator = _response_validator(spec.response)
        if validator is not None:
            valid["with schema"] += 1
            if not validator.is_valid(result.structured):
                invalid_answers.append(spec.name)
        for mutation in mutations(spec, arguments, rng):
            kind = mutation.kind.value
            made[kind] += 1
            if not mutation.detectable:
                undetectable[kind] += 1
                continue
            found = primary_kind(check_arguments(spec, mutation.arguments))
            if found is mutation.kind:
                detected[kind] += 1
            else:
                wrong_kind[kind][found.value if found else "none"] += 1
                if len(missed_examples[kind]) < 3:
                    missed_examples[kind].append(f"{spec.name}: {mutation.note}")
    elapsed = time.perf_counter() - started

    print(f"{len(specs)} tools, {elapsed:.1f} s")
    print(f"valid calls: {valid['calls']}, refused by the checks: {valid['refused']}, "
          f"answers checked against a response schema: {valid['with schema']}, invalid answers: {len(invalid_answers)}")  # fmt: skip
    print(f"{'kind':<20}{'mutations':>10}{'undetectable':>14}{'detectable':>12}{'detected':>10}{'rate':>8}")
    rows = []
    for kind in (k.value for k in MUTATION_KINDS):
        detectable = made[kind] - undetectable[kind]
        rate = detected[kind] / detectable if detectable else float("nan")
        rows.append({"kind": kind, "mutations": made[kind], "undetectable": undetectable[kind], "detectable": detectable,
                     "detected": detected[kind], "rate": rate, "reported_as": dict(wrong_kind[kind]),
                     "missed_examples": missed_examples[kind]})  # fmt: skip
        print(f"{kind:<20}{made[kind]:>10}{undetectable[kind]:>14}{detectable:>12}{detected[kind]:>10}{rate:>8.3f}")
        if wrong_kind[kind]:
            print(f"    missed or reported otherwise: {dict(wrong_kind[kind])}; e.g. {missed_examples[kind]}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "error_detection",
                "python": platform.python_version(),
                "tools": len(specs),
                "seconds": elapsed,
                "valid_calls": dict(valid),
                "invalid_answers": invalid_answers[:50],
                "invalid_answer_count": len(invalid_answers),
                "kinds": rows,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
