"""Valid, realistic arguments for any tool, sampled from its input schema.

``sample_arguments(spec, rng=...)`` gives every required parameter and each optional one
with probability ``optional``; values come from ``fake.fake_value`` so a ``city`` is a city
and an ``email`` an address. Used by tests, benchmarks and data generation (CARG) to make
calls that the argument checks accept.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from .fake import fake_value
from .spec import ToolSpec

__all__ = ["sample_arguments"]

logger = logging.getLogger(__name__)


def _as_rng(rng: random.Random | int | None) -> random.Random:
    """A Random from a Random (used as is), a seed, or None (seed 0)."""
    return rng if isinstance(rng, random.Random) else random.Random(rng or 0)


def sample_arguments(spec: ToolSpec, *, rng: random.Random | int | None = None, optional: float = 0.5) -> dict[str, Any]:
    """Arguments valid against ``spec.input_schema``: all required, each optional one with probability ``optional``.

    ``rng`` is a ``random.Random`` (advanced in place) or a seed. Never raises: a schema that
    cannot be satisfied gives the best attempt, and a broken one gives ``{}``.
    """
    if not 0.0 <= optional <= 1.0:
        raise ValueError(f"optional must be a probability between 0 and 1, got {optional!r}")
    generator = _as_rng(rng)
    try:
        value = fake_value(spec.input_schema, "arguments", generator, optional=optional)
    except Exception:  # a schema this module does not understand must not stop a rollout
        logger.warning("could not sample arguments for tool %r; using {}", spec.name, exc_info=True)
        return {}
    return value if isinstance(value, dict) else {}
