"""Numbers inside a schema's bounds: minimum/maximum (inclusive or exclusive) and multipleOf.

``pick_number`` prefers the range a property's kind suggests (a ``price`` between 5 and 500)
and falls back to the schema's own bounds when the two do not meet.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import Any

from .conform import bounds_ok, is_num

__all__ = ["pick_number"]


def pick_number(schema: Mapping[str, Any], rng: random.Random, low: float, high: float, decimals: int, integer: bool) -> int | float:
    """A number inside the schema's bounds, near the preferred range when the bounds allow."""
    lo, hi = _schema_bounds(schema, integer)
    step = schema.get("multipleOf")
    step = step if is_num(step) and step > 0 else None
    a, b = max(lo, low), min(hi, high)
    if a > b:  # the preferred range lies outside the bounds: use the bounds
        a, b = (lo, hi) if math.isfinite(lo) and math.isfinite(hi) else ((lo, lo + (high - low)) if math.isfinite(lo) else (hi - (high - low), hi))
    if step is not None:
        return _pick_multiple(schema, rng, a, b, lo, hi, step, integer)
    if integer:
        first, last = math.ceil(a), math.floor(b)
        if first > last:
            first = last = math.ceil(lo) if math.isfinite(lo) else math.floor(hi)
        return rng.randint(first, last)
    value = round(rng.uniform(a, b), decimals) if decimals else float(round(rng.uniform(a, b)))
    if decimals == 0 and value.is_integer():
        value = int(value)  # type: ignore[assignment]
    if not bounds_ok(value, schema):
        value = rng.uniform(a, b)
        if not bounds_ok(value, schema):
            value = (a + b) / 2 if math.isfinite(a + b) else a
    return value


def _schema_bounds(schema: Mapping[str, Any], integer: bool) -> tuple[float, float]:
    """The inclusive [low, high] a schema allows (exclusive bounds nudged inward)."""
    lo, hi = -math.inf, math.inf
    minimum, maximum = schema.get("minimum"), schema.get("maximum")
    ex_min, ex_max = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if is_num(minimum):
        lo = float(minimum)
    if is_num(maximum):
        hi = float(maximum)
    if is_num(ex_min):
        lo = max(lo, _above(float(ex_min), integer))
    elif ex_min is True and is_num(minimum):
        lo = _above(float(minimum), integer)
    if is_num(ex_max):
        hi = min(hi, _below(float(ex_max), integer))
    elif ex_max is True and is_num(maximum):
        hi = _below(float(maximum), integer)
    return lo, hi


def _above(value: float, integer: bool) -> float:
    if integer:
        return math.floor(value) + 1.0
    return value + max(abs(value) * 1e-9, 1e-6) if abs(value) < 1e12 else math.nextafter(value, math.inf)


def _below(value: float, integer: bool) -> float:
    if integer:
        return math.ceil(value) - 1.0
    return value - max(abs(value) * 1e-9, 1e-6) if abs(value) < 1e12 else math.nextafter(value, -math.inf)


def _pick_multiple(schema: Mapping[str, Any], rng: random.Random, a: float, b: float, lo: float, hi: float, step: float, integer: bool) -> int | float:
    """A multiple of ``step`` inside the bounds (preferring [a, b])."""
    for first, last in ((a, b), (lo, hi)):
        if not (math.isfinite(first) or math.isfinite(last)):
            first, last = 0.0, 100.0 * step
        elif not math.isfinite(first):
            first = last - 100 * step
        elif not math.isfinite(last):
            last = first + 100 * step
        k_first, k_last = math.ceil(first / step), math.floor(last / step)
        if k_first > k_last:
            continue
        for _ in range(20):
            k = rng.randint(k_first, min(k_last, k_first + 1000))
            value: float = k * step
            if isinstance(step, float):
                value = round(value, 10)
            if integer or float(value).is_integer():
                if float(value).is_integer():
                    value = int(value)
                elif integer:
                    continue
            if bounds_ok(value, schema):
                return value
    fallback = 0 if (math.isfinite(lo) and lo <= 0 <= hi) or not math.isfinite(lo) else lo
    return int(fallback) if integer and float(fallback).is_integer() else fallback
