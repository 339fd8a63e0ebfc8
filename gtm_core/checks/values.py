"""Values that JSON cannot carry: non-finite numbers and text that is not valid Unicode.

JSON has no NaN or Infinity, and its text is Unicode: a lone UTF-16 surrogate (``"\\ud800"``
in JSON, which Python's parser lets through) encodes to no UTF-8 at all. Arguments holding
either would pass range checks (every comparison with NaN is false) or break whatever
encodes them later, so ``value_problems`` reports each one, with its path, as an invalid
value. Valid arguments cost one C-level ``json.dumps``; only failing ones are walked.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from typing import Any

from .messages import parameter_path, preview
from .problems import ArgumentProblem, ErrorKind

__all__ = ["value_problems"]


def value_problems(arguments: Any) -> list[ArgumentProblem]:
    """An invalid-value problem for every non-finite number and every string with a lone surrogate."""
    try:
        json.dumps(arguments, ensure_ascii=False, allow_nan=False, default=str).encode("utf-8")
    except RecursionError:
        return list(_walk(arguments, [])) or [_too_deep()]
    except ValueError:  # UnicodeEncodeError is a ValueError
        return list(_walk(arguments, []))
    return []


def _too_deep() -> ArgumentProblem:
    return ArgumentProblem(ErrorKind.INVALID, "", "The arguments are nested too deeply to read. Send a flatter JSON object.", "a JSON object nested at most a few hundred levels", None)


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _walk(value: Any, path: list[Any]) -> Iterator[ArgumentProblem]:
    stack: list[tuple[Any, list[Any]]] = [(value, path)]
    while stack:  # iterative: deeply nested arguments must not exhaust the Python stack
        value, path = stack.pop()
        if isinstance(value, float) and not math.isfinite(value):
            name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
            yield _problem(path, "a finite number (JSON has no NaN or Infinity)", name, f"{_label(path)} must be a finite number; got {name}. Send a JSON number.")
        elif isinstance(value, str) and not _is_text(value):
            yield _problem(path, "valid Unicode text", _escaped(value), f"{_label(path)} is not valid Unicode text: it holds a lone UTF-16 surrogate. Send text that encodes as UTF-8.")
        elif isinstance(value, dict):
            for key, item in reversed(list(value.items())):
                if isinstance(key, str) and not _is_text(key):
                    shown = _escaped(key)
                    message = f"A parameter name in {_label(path).lower()} holds a lone UTF-16 surrogate: {shown}. Send names that encode as UTF-8."
                    yield _problem(path, "parameter names in valid Unicode text", shown, message)
                    continue
                stack.append((item, [*path, key]))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, [*path, index]) for index, item in reversed(list(enumerate(value))))


def _problem(path: list[Any], expected: str, received: Any, message: str) -> ArgumentProblem:
    return ArgumentProblem(ErrorKind.INVALID, _path(path), message, expected, received)


def _path(path: list[Any]) -> str:
    return str(_escaped(parameter_path(path)))


def _label(path: list[Any]) -> str:
    return f"Parameter '{_path(path)}'" if path else "The arguments"


def _escaped(text: str) -> Any:
    """Text that any encoder accepts: lone surrogates written as ``\\udXXX`` escapes, shortened."""
    return preview(text.encode("utf-8", "backslashreplace").decode("utf-8"))
