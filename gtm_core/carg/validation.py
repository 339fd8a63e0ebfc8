"""Deterministic checks of synthesized examples: the three levels, consistency and error messages.

Single-turn examples pass three levels (paper section 4.2):

1. ``format`` — the arguments pass the argument checks and the response is JSON that follows
   the tool's response schema;
2. ``contradiction`` — no two arguments contradict each other: a lower bound above its upper
   bound (``min_price``/``max_price``, ``start_date``/``end_date``, ``from``/``to`` dates,
   ``check_in``/``check_out`` ...), the same value both included and excluded, or two opposite
   flags both set. Pairs are found from the parameters' names alone, for any tool;
3. ``coherence`` — the response fits the call: a judge model decides where one is given
   (``judging``: the evaluation judge with CARG's coherence criterion); otherwise these
   deterministic checks do: no error object for a valid call, a response that says
   something, and fields that echo an argument hold its value.

Multi-turn episodes add ``consistency`` of the final call with the history (ids that earlier
calls returned are the ids used; the episode's record of an entity and the response agree),
and error examples a check of the message (it names the parameter and the problem).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..catalog import tokenize
from ..checks import ErrorKind, check_arguments
from ..fake import conforms
from ..generation import HistoryItem
from ..spec import ToolSpec

__all__ = [
    "Check",
    "check_coherence",
    "check_consistency",
    "check_contradictions",
    "check_error_message",
    "check_format",
    "id_like",
]

# (lower word, upper word, compares numbers too): names that differ only in these words bound one range
_BOUNDS: tuple[tuple[str, str, bool], ...] = (
    ("min", "max", True), ("minimum", "maximum", True), ("lower", "upper", True), ("low", "high", True),
    ("start", "end", True), ("begin", "end", True), ("earliest", "latest", True),
    ("from", "to", False), ("since", "until", False), ("after", "before", False),
    ("checkin", "checkout", False), ("arrival", "departure", False), ("departure", "return", False),
    ("depart", "return", False), ("pickup", "dropoff", False),
)  # fmt: skip
# (positive word, negative word): the same value on both sides, or both flags set, is a contradiction
_OPPOSITES: tuple[tuple[str, str], ...] = (
    ("include", "exclude"), ("includes", "excludes"), ("included", "excluded"), ("allow", "deny"),
    ("allow", "block"), ("allowed", "blocked"), ("whitelist", "blacklist"), ("allowlist", "blocklist"),
    ("enable", "disable"), ("enabled", "disabled"), ("show", "hide"), ("ascending", "descending"),
    ("with", "without"), ("only", "exclude"),
)  # fmt: skip
_JOINED = {("check", "in"): "checkin", ("check", "out"): "checkout", ("pick", "up"): "pickup", ("drop", "off"): "dropoff"}
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?)?$")
_TIME = re.compile(r"^(\d{2}):(\d{2})(?::(\d{2}))?$")
_EMPTY = (None, "", [], {})


@dataclass
class Check:
    """The outcome of one check: passed or not, the problems found, and who decided."""

    passed: bool
    problems: list[str] = field(default_factory=list)
    by: str = "deterministic"

    def to_dict(self) -> dict[str, Any]:
        return {"pass": self.passed, "problems": self.problems, "by": self.by}


def _result(problems: list[str], by: str = "deterministic") -> Check:
    return Check(not problems, problems, by)


# ---- level 1: format and types ------------------------------------------------------------
def check_format(spec: ToolSpec, arguments: Any, response: Any, *, is_json: bool = True) -> Check:
    """The arguments pass the argument checks; the response is JSON following the response schema."""
    problems = [f"arguments: {p.message}" for p in check_arguments(spec, arguments)]
    if not is_json:
        problems.append("response: not JSON")
    elif spec.response_schema is not None and not conforms(response, spec.response_schema):
        problems.append("response: does not follow the tool's response schema")
    elif spec.response_schema is None and not isinstance(response, (dict, list)):
        problems.append("response: not a JSON object or array")
    return _result(problems)


# ---- level 2: contradictory parameters ----------------------------------------------------
def _words(name: str) -> list[str]:
    words = tokenize(name) or [name.lower()]
    out: list[str] = []
    for word in words:
        joined = _JOINED.get((out[-1], word)) if out else None
        if joined:
            out[-1] = joined
        else:
            out.append(word)
    return out


def _as_point(value: Any, numbers: bool) -> tuple[str, Any] | None:
    """A comparable reading of a value: ("number", x), ("date", d), ("datetime", dt), ("time", t)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return ("number", float(value)) if numbers else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    match = _DATE.match(text)
    if match:
        year, month, day, hour, minute, second, zone = match.groups()
        try:
            date = datetime.date(int(year), int(month), int(day))
            if hour is None:
                return ("date", date)
            moment = datetime.datetime(int(year), int(month), int(day), int(hour), int(minute), int(second or 0))
        except ValueError:
            return None
        if zone and zone not in "Zz":
            sign = 1 if zone[0] == "+" else -1
            digits = zone[1:].replace(":", "")
            moment -= sign * datetime.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
        return ("datetime", moment)
    match = _TIME.match(text)
    if match:
        hour, minute, second = (int(g or 0) for g in match.groups())
        return ("time", (hour, minute, second)) if hour < 24 and minute < 60 and second < 61 else None
    if numbers:
        try:
            return ("number", float(text))
        except ValueError:
            return None
    return None


def _comparable(low: tuple[str, Any], high: tuple[str, Any]) -> tuple[Any, Any] | None:
    if low[0] == high[0]:
        return low[1], high[1]
    kinds = {low[0], high[0]}
    if kinds == {"date", "datetime"}:  # compare on the day
        as_day = [v.date() if isinstance(v, datetime.datetime) else v for v in (low[1], high[1])]
        return as_day[0], as_day[1]
    return None


def _pairs(names: Sequence[str], left: str, right: str) -> list[tuple[str, str]]:
    """Argument pairs whose names differ only in ``left`` vs ``right`` at the same place."""
    split = {name: _words(name) for name in names}
    out = []
    for a, words_a in split.items():
        for index, word in enumerate(words_a):
            if word != left:
                continue
            wanted = words_a[:index] + [right] + words_a[index + 1 :]
            for b, words_b in split.items():
                if b != a and words_b == wanted:
                    out.append((a, b))
    return out


def _values(value: Any) -> set[str]:
    if isinstance(value, list):
        return {str(v).strip().lower() for v in value if isinstance(v, (str, int, float)) and not isinstance(v, bool)}
    if isinstance(value, str):
        return {part.strip().lower() for part in value.split(",") if part.strip()}
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {str(value)}
    return set()


def check_contradictions(spec: ToolSpec, arguments: Mapping[str, Any]) -> Check:
    """Arguments that contradict each other (bounds the wrong way round, opposite choices)."""
    if not isinstance(arguments, Mapping):
        return _result([])
    names = [n for n, v in arguments.items() if v not in _EMPTY]
    problems: list[str] = []
    for low_word, high_word, numbers in _BOUNDS:
        for low_name, high_name in _pairs(names, low_word, high_word):
            low = _as_point(arguments[low_name], numbers)
            high = _as_point(arguments[high_name], numbers)
            if low is None or high is None:
                continue
            pair = _comparable(low, high)
            if pair is not None and pair[0] > pair[1]:
                relation = "above" if low[0] == "number" else "after"
                problems.append(f"{low_name}={arguments[low_name]!r} is {relation} {high_name}={arguments[high_name]!r}")
    for positive, negative in _OPPOSITES:
        for a, b in _pairs(names, positive, negative):
            va, vb = arguments[a], arguments[b]
            if va is True and vb is True:
                problems.append(f"{a} and {b} are both true")
                continue
            shared = _values(va) & _values(vb)
            if shared:
                problems.append(f"{a} and {b} both hold {sorted(shared)[:3]}")
    return _result(list(dict.fromkeys(problems)))


# ---- level 3: coherence (deterministic) ---------------------------------------------------
def _same(expected: Any, got: Any) -> bool:
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected is got
    if isinstance(expected, (int, float)) and isinstance(got, (int, float)):
        return float(expected) == float(got)
    if isinstance(expected, str) and isinstance(got, str):
        return expected.strip().casefold() == got.strip().casefold()
    if isinstance(expected, (str, int, float)) and isinstance(got, (str, int, float)):
        return str(expected).strip() == str(got).strip()
    return True  # not scalars on both sides: nothing to compare


def _echo_problems(response: Any, expected: Mapping[str, Any], what: str, skip: set[str] = frozenset()) -> list[str]:  # type: ignore[assignment]
    """Fields of the response (top level, and objects right below it) that disagree with ``expected``."""
    if not isinstance(response, Mapping):
        return []
    problems = []
    places: list[tuple[str, Mapping[str, Any]]] = [("", response)]
    places += [(f"{key}.", value) for key, value in response.items() if isinstance(value, Mapping)]
    for prefix, place in places:
        for name, value in expected.items():
            if name in skip or name not in place or isinstance(value, (dict, list)) or value is None:
                continue
            if not _same(value, place[name]):
                problems.append(f"response {prefix}{name}={place[name]!r} disagrees with the {what} {name}={value!r}")
    return problems


def check_coherence(spec: ToolSpec, arguments: Mapping[str, Any], response: Any, *, is_error: bool = False) -> Check:
    """The deterministic coherence checks: no error for a valid call, a non-empty response, echoes agree."""
    if is_error:
        return _result(["a valid call was answered with an error"])
    problems = []
    if response in _EMPTY:
        problems.append("the response is empty")
    problems += _echo_problems(response, arguments, "argument")
    return _result(problems)


# ---- multi-turn: the final call against the history ---------------------------------------
def id_like(name: str) -> bool:
    """Whether a parameter or field name names an id (``id``, ``order_id``, ``orderId``, ``ID``)."""
    words = tokenize(name)
    return bool(words) and words[-1] in ("id", "ids", "uuid", "key") and (len(words) > 1 or words[0] in ("id", "uuid"))


def _seen_values(history: Sequence[HistoryItem]) -> dict[str, set[str]]:
    """Every scalar value each field name held in earlier successful calls (arguments and responses)."""
    seen: dict[str, set[str]] = {}

    def walk(value: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                if isinstance(item, (str, int)) and not isinstance(item, bool):
                    seen.setdefault(str(key), set()).add(str(item))
                else:
                    walk(item, depth + 1)
        elif isinstance(value, list):
            for item in value[:50]:
                walk(item, depth + 1)

    for item in history:
        if not item.is_error:
            walk(item.arguments, 0)
            walk(item.response, 0)
    return seen


def check_consistency(
    spec: ToolSpec,
    arguments: Mapping[str, Any],
    response: Any,
    history: Sequence[HistoryItem],
    *,
    entity: Mapping[str, Any] | None = None,
    is_error: bool = False,
) -> Check:
    """The final call of an episode against what came before it.

    Ids: an id argument whose name earlier calls used must hold one of the values they had.
    Records: where the episode holds a record of the entity the call reads or changes, the
    response's fields agree with it (fields this call sets excepted). Echoes: as in coherence.
    """
    if is_error:
        return _result(["the final call was answered with an error"])
    problems = []
    seen = _seen_values(history)
    for name, value in arguments.items():
        if not id_like(name) or isinstance(value, (dict, list, bool)) or value is None:
            continue
        earlier = seen.get(name)
        if earlier and str(value) not in earlier:
            shown = ", ".join(repr(v) for v in sorted(earlier)[:3])
            problems.append(f"{name}={value!r} was never returned by an earlier call (earlier: {shown})")
    if entity:
        problems += _echo_problems(response, entity, "episode's record of", skip=set(arguments))
    problems += _echo_problems(response, arguments, "argument")
    return _result(problems)


# ---- error examples -----------------------------------------------------------------------
_PROBLEM_WORDS: dict[ErrorKind, tuple[str, ...]] = {
    ErrorKind.MISSING: ("missing", "required", "must be provided", "is needed"),
    ErrorKind.EXCESS: ("unexpected", "unknown", "not allowed", "unrecognized", "unrecognised", "not supported", "undefined", "additional"),
    ErrorKind.TYPE: ("type", "expected", "must be a", "must be an", "should be a", "should be an", "not a valid"),
    ErrorKind.INVALID: ("invalid", "must", "allowed", "one of", "not a valid", "out of range", "at least", "at most", "format", "should", "not"),
}


def check_error_message(body: Any, parameter: str, kind: ErrorKind | str) -> Check:
    """The error names the parameter and says what the problem is (a word of the kind's vocabulary)."""
    kind = ErrorKind(kind)
    error = body.get("error") if isinstance(body, Mapping) else None
    message = error.get("message") if isinstance(error, Mapping) else None
    if not isinstance(message, str) or not message.strip():
        return _result(["the error has no message"])
    problems = []
    lowered = message.casefold()
    leaf = parameter.rsplit(".", 1)[-1]
    if leaf and leaf.casefold() not in lowered:
        problems.append(f"the message does not name the parameter {parameter!r}")
    if not any(word in lowered for word in _PROBLEM_WORDS[kind]):
        problems.append(f"the message does not say what is wrong ({kind.value})")
    return _result(problems)
