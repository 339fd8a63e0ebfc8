"""Strings from regular expressions: ``from_pattern`` makes a string that a pattern accepts.

The pattern is parsed with the standard library's own regex parser and walked, choosing
branches, characters and repeat counts from the ``random.Random`` given; the result is
checked with ``re.search`` (JSON Schema's reading of ``pattern``) and the length bounds.
Constructs the walker does not handle, or a pattern that does not compile, give None.
"""

from __future__ import annotations

import random
import re
import string
from functools import lru_cache
from typing import Any

__all__ = ["compile_pattern", "from_pattern", "pattern_ok"]

_ALNUM = string.ascii_lowercase + string.digits
_PRINTABLE = string.ascii_letters + string.digits + "-_. "

try:  # the standard library's own regex parser (private but stable since Python 3.11)
    from re import _constants as _sre_c
    from re import _parser as _sre_p
except ImportError:  # pragma: no cover - other Pythons
    _sre_c = _sre_p = None  # type: ignore[assignment]

_CATEGORY_CHARS = {
    "CATEGORY_DIGIT": string.digits,
    "CATEGORY_NOT_DIGIT": string.ascii_letters,
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": string.ascii_letters + string.digits,
    "CATEGORY_WORD": string.ascii_letters + string.digits + "_",
    "CATEGORY_NOT_WORD": "-. ",
}


class _Unsupported(Exception):
    """A regex construct the generator does not handle."""


@lru_cache(maxsize=2048)
def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """The compiled pattern (cached), or None when it does not compile."""
    try:
        return re.compile(pattern)
    except (re.error, TypeError, ValueError, OverflowError):
        return None


@lru_cache(maxsize=2048)
def _parsed(pattern: str) -> Any:
    if _sre_p is None:
        return None
    try:
        return _sre_p.parse(pattern)
    except Exception:  # any parse failure just means "no generator"
        return None


def _in_set(items: Any, char: str) -> bool:
    """Whether ``char`` belongs to a parsed character class (NEGATE not applied)."""
    code = ord(char)
    for op, av in items:
        name = op.name
        if name == "LITERAL" and av == code:
            return True
        if name == "RANGE" and av[0] <= code <= av[1]:
            return True
        if name == "CATEGORY" and char in _CATEGORY_CHARS.get(av.name, "") and not av.name.startswith("CATEGORY_NOT"):
            return True
        if name == "CATEGORY" and av.name.startswith("CATEGORY_NOT") and char in _CATEGORY_CHARS.get(av.name, ""):
            return True
    return False


def _pick_in(items: Any, rng: random.Random) -> str:
    if items and items[0][0].name == "NEGATE":
        pool = [c for c in _PRINTABLE if not _in_set(items[1:], c)]
        return rng.choice(pool) if pool else "~"
    op, av = rng.choice(items)
    name = op.name
    if name == "LITERAL":
        return chr(av)
    if name == "RANGE":
        return chr(rng.randint(av[0], min(av[1], av[0] + 200)))
    if name == "CATEGORY":
        return rng.choice(_CATEGORY_CHARS.get(av.name, "a"))
    raise _Unsupported(name)


def _emit(parsed: Any, rng: random.Random, out: list[str], groups: dict[int, str], spread: int, exact: bool = False) -> None:
    """Append a string matching the parsed regex to ``out``.

    Repeats run between their minimum and ``spread`` more times; with ``exact`` they run
    exactly ``spread`` more times (within their maximum), which steers the total length.
    """
    for op, av in parsed:
        name = op.name
        if name == "LITERAL":
            out.append(chr(av))
        elif name == "NOT_LITERAL":
            out.append(next(c for c in _ALNUM if ord(c) != av))
        elif name == "ANY":
            out.append(rng.choice(_ALNUM))
        elif name == "IN":
            out.append(_pick_in(av, rng))
        elif name == "BRANCH":
            _emit(rng.choice(av[1]), rng, out, groups, spread, exact)
        elif name == "SUBPATTERN":
            start = len(out)
            _emit(av[3], rng, out, groups, spread, exact)
            if av[0] is not None:
                groups[av[0]] = "".join(out[start:])
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, item = av
            high = low + spread if high == _sre_c.MAXREPEAT else min(high, low + spread)
            for _ in range(max(low, high) if exact else rng.randint(low, max(low, high))):
                _emit(item, rng, out, groups, spread, exact)
        elif name == "ATOMIC_GROUP":
            _emit(av, rng, out, groups, spread, exact)
        elif name == "GROUPREF":
            out.append(groups.get(av, ""))
        elif name == "GROUPREF_EXISTS":
            branch = av[1] if av[0] in groups else av[2]
            if branch is not None:
                _emit(branch, rng, out, groups, spread, exact)
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        else:
            raise _Unsupported(name)


def from_pattern(pattern: str, rng: random.Random, min_length: int, max_length: int | None) -> str | None:
    """A string that ``re.search(pattern, ...)`` accepts within the length bounds, or None."""
    compiled, parsed = compile_pattern(pattern), _parsed(pattern)
    if compiled is None or parsed is None:
        return None
    spreads: list[tuple[int, bool]] = [(3, False), (3, False), (1, False), (0, False), (8, False), (20, False)]
    if min_length or max_length is not None:  # aim at the length window with exact repeat counts
        ceiling = max(max_length if max_length is not None else 2 * min_length, 1)
        spreads += [(rng.randint(0, ceiling), True) for _ in range(40)]
    for spread, exact in spreads:
        out: list[str] = []
        try:
            _emit(parsed, rng, out, {}, spread, exact)
        except (_Unsupported, IndexError, ValueError, StopIteration):
            return None
        text = "".join(out)
        if min_length <= len(text) and (max_length is None or len(text) <= max_length) and compiled.search(text):
            return text
    return None


def pattern_ok(pattern: Any, text: str) -> bool:
    """Whether ``re.search`` finds ``pattern`` in ``text`` (a pattern that does not compile accepts all)."""
    compiled = compile_pattern(pattern) if isinstance(pattern, str) else None
    return compiled is None or compiled.search(text) is not None
