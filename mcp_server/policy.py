"""Routing policies of the proxy: which tool calls are simulated and which reach the real tool.

A policy is one of:

- ``sim``       always simulate, from the upstream's own tool schemas;
- ``real``      always forward to the real tool;
- ``warmup:N``  simulate the first N calls, then forward. What counts is the scope:
                ``warmup:N`` (or ``warmup:N/tool``) counts the calls of each tool since the
                proxy started, ``warmup:N/episode`` counts them per episode, and
                ``warmup:N/step`` simulates while the caller's ``_meta["gtm/step"]`` (its
                training step) is below N -- the paper's schedule (a call without a step
                counts as in ``/tool``);
- ``fallback``  forward; simulate (flagged in ``_meta``) when the real tool gives no answer:
                it is down, crashed, timed out or answered something that is not MCP;
- ``shadow``    forward and return the real answer; simulate too and record the difference.

A policy table is a default policy and ``GLOB=POLICY`` rules, matched in order against the
tool's exposed name and its upstream name; the first match wins. ``PolicyFile`` reads a
table from a file -- one ``POLICY`` or ``GLOB=POLICY`` a line, ``#`` comments -- and notices
when the file changes, so policies change while the proxy runs. Call counters live in
``CallCounter`` and survive policy changes.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from gtm_core.errors import GTMError

__all__ = [
    "DEFAULT_POLICY",
    "MODES",
    "CallCounter",
    "Policy",
    "PolicyError",
    "PolicyFile",
    "PolicyTable",
    "Rule",
    "choose",
    "parse_step",
]

logger = logging.getLogger(__name__)

MODES = ("sim", "real", "warmup", "fallback", "shadow")
SCOPES = ("tool", "episode", "step")
MAX_COUNTED_EPISODES = 100_000
"""Per-episode warm-up counters kept at most (least recently used go first)."""


class PolicyError(GTMError, ValueError):
    """A policy or policy rule that cannot be read; the message shows the accepted forms."""


_FORMS = "sim, real, warmup:N, warmup:N/episode, warmup:N/step, fallback or shadow"


@dataclass(frozen=True)
class Policy:
    """One routing policy: a mode and, for ``warmup``, how many calls and what counts them."""

    mode: str
    warmup: int = 0
    scope: str = "tool"

    @classmethod
    def parse(cls, text: str) -> Policy:
        """``sim``, ``real``, ``warmup:N[/tool|/episode|/step]``, ``fallback`` or ``shadow``."""
        raw = text.strip().lower()
        mode, _, rest = raw.partition(":")
        if mode not in MODES or (mode == "warmup") != bool(rest):
            raise PolicyError(f"unknown policy {text!r}; use one of {_FORMS}")
        if mode != "warmup":
            return cls(mode)
        count, _, scope = rest.partition("/")
        scope = scope or "tool"
        if not count.isdigit() or scope not in SCOPES:
            raise PolicyError(f"cannot read the policy {text!r}; warm-up is warmup:N with N a whole number, optionally /tool, /episode or /step")
        return cls("warmup", int(count), scope)

    def __str__(self) -> str:
        if self.mode != "warmup":
            return self.mode
        return f"warmup:{self.warmup}" + ("" if self.scope == "tool" else f"/{self.scope}")


DEFAULT_POLICY = Policy("sim")
"""Without a policy every call is simulated: the real tools are only asked for their list."""


@dataclass(frozen=True)
class Rule:
    """Tools whose name matches ``glob`` follow ``policy``."""

    glob: str
    policy: Policy

    def matches(self, *names: str) -> bool:
        return any(fnmatch.fnmatchcase(name, self.glob) for name in names)

    def __str__(self) -> str:
        return f"{self.glob}={self.policy}"


@dataclass(frozen=True)
class PolicyTable:
    """A default policy and per-tool rules (first match wins)."""

    default: Policy = DEFAULT_POLICY
    rules: tuple[Rule, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str], *, where: str = "--policy") -> PolicyTable:
        """A table from ``POLICY`` (the default; at most one) and ``GLOB=POLICY`` entries."""
        default: Policy | None = None
        rules: list[Rule] = []
        for entry in entries:
            glob, sep, text = entry.rpartition("=")
            if not sep:
                if default is not None:
                    raise PolicyError(f"{where}: two default policies ({default} and {entry.strip()}); give one, and GLOB=POLICY for the others")
                default = _parse(entry, where)
                continue
            if not glob.strip():
                raise PolicyError(f"{where}: {entry!r} has no tool name before '='; write GLOB=POLICY, e.g. 'read_*=real'")
            rules.append(Rule(glob.strip(), _parse(text, where)))
        return cls(default or DEFAULT_POLICY, tuple(rules))

    def over(self, base: PolicyTable, *, has_default: bool) -> PolicyTable:
        """This table's rules first, then ``base``'s; this default when it set one, else ``base``'s."""
        return PolicyTable(self.default if has_default else base.default, self.rules + base.rules)

    def policy_for(self, *names: str) -> Policy:
        """The policy of the tool known by ``names`` (exposed name, upstream name)."""
        for rule in self.rules:
            if rule.matches(*names):
                return rule.policy
        return self.default

    def __str__(self) -> str:
        return " ".join([str(self.default), *(str(rule) for rule in self.rules)])


def _parse(text: str, where: str) -> Policy:
    try:
        return Policy.parse(text)
    except PolicyError as exc:
        raise PolicyError(f"{where}: {exc}") from None


def _policy_lines(text: str) -> list[str]:
    lines = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            lines.append(line)
    return lines


class PolicyFile:
    """A policy table kept in a file and read again when the file changes.

    ``table`` is the file's table laid over ``base`` (the command line's): the file's rules
    come first and its default, when it has one, wins. A file that cannot be read or parsed
    keeps the table read before (and logs why); a file that does not exist adds nothing.
    """

    def __init__(self, path: str | os.PathLike[str], *, base: PolicyTable = PolicyTable()) -> None:
        self.path = Path(path)
        self.base = base
        self.table = base
        self._seen: tuple[int, int] | None = None
        self._lock = threading.Lock()
        self.refresh()
        if not self.path.exists():
            logger.warning("policy file %s does not exist yet; policies from the command line apply until it does", self.path)

    def _stamp(self) -> tuple[int, int]:
        try:
            stat = self.path.stat()
        except OSError:
            return (-1, -1)
        return (stat.st_mtime_ns, stat.st_size)

    def refresh(self, *, force: bool = False) -> bool:
        """Read the file again when it changed (or ``force``); whether the table changed."""
        stamp = self._stamp()
        if stamp == self._seen and not force:
            return False
        with self._lock:
            self._seen = stamp
            if stamp == (-1, -1):
                table = self.base
            else:
                try:
                    lines = _policy_lines(self.path.read_text(encoding="utf-8"))
                    own = PolicyTable.parse(lines, where=str(self.path))
                except (OSError, UnicodeDecodeError, PolicyError) as exc:
                    logger.error("policy file not applied, keeping the policies before (%s): %s", self.table, exc)
                    return False
                has_default = any("=" not in line for line in lines)
                table = own.over(self.base, has_default=has_default)
            changed = table != self.table
            self.table = table
        if changed:
            logger.info("policies now: %s", table)
        return changed


@dataclass
class CallCounter:
    """How many calls each tool got, overall and per episode (what ``warmup`` counts)."""

    max_episodes: int = MAX_COUNTED_EPISODES
    _tools: dict[str, int] = field(default_factory=dict)
    _episodes: OrderedDict[tuple[str, str], int] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, tool: str, episode: str) -> tuple[int, int]:
        """Count one call; the number of calls before it (of the tool, of the tool in the episode)."""
        with self._lock:
            before_tool = self._tools.get(tool, 0)
            self._tools[tool] = before_tool + 1
            key = (episode, tool)
            before_episode = self._episodes.pop(key, 0)
            self._episodes[key] = before_episode + 1
            while len(self._episodes) > self.max_episodes:
                self._episodes.popitem(last=False)
        return before_tool, before_episode

    def calls(self, tool: str) -> int:
        return self._tools.get(tool, 0)


def choose(policy: Policy, *, before_tool: int, before_episode: int, step: int | None) -> str:
    """The route of one call under ``policy``: sim, real, fallback or shadow."""
    if policy.mode != "warmup":
        return policy.mode
    if policy.scope == "step" and step is not None:
        seen = step
    elif policy.scope == "episode":
        seen = before_episode
    else:
        seen = before_tool
    return "sim" if seen < policy.warmup else "real"


def parse_step(value: object) -> int | None:
    """The training step a request names in ``_meta["gtm/step"]`` (None when absent or unusable)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None
