"""Fault injection: a seeded rate of transient failures, so agents learn to recover.

Off by default. Whether a call fails depends only on the seed, the tool, the arguments and
how many times the episode made that call before, so a retry can succeed and a rerun fails
the same calls again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .error_bodies import error_body

__all__ = ["FAULT_KINDS", "FaultInjector"]

# kind -> (HTTP code, status, message template)
FAULT_KINDS: dict[str, tuple[int, str, str]] = {
    "rate_limit": (429, "RESOURCE_EXHAUSTED", "Rate limit exceeded for {tool}; retry after {retry} seconds."),
    "timeout": (504, "DEADLINE_EXCEEDED", "The request to {tool} timed out after {timeout} seconds; retry later."),
    "server_error": (503, "UNAVAILABLE", "{tool} is temporarily unavailable; retry later."),
}


@dataclass(frozen=True)
class FaultInjector:
    """Fail ``rate`` of the calls with one of ``kinds``, chosen deterministically from ``seed``."""

    rate: float = 0.0
    seed: int = 0
    kinds: Sequence[str] = tuple(FAULT_KINDS)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"the fault rate must be between 0 and 1, got {self.rate}")
        unknown = [k for k in self.kinds if k not in FAULT_KINDS]
        if unknown or not self.kinds:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {', '.join(FAULT_KINDS)}")

    def fault_for(self, tool: str, call_key: str, attempt: int) -> dict[str, Any] | None:
        """The error body of an injected failure for this call, or None when it goes through."""
        if self.rate <= 0.0:
            return None
        digest = hashlib.blake2b(f"{self.seed}|{tool}|{call_key}|{attempt}".encode(), digest_size=8).digest()
        draw = int.from_bytes(digest, "big") / 2**64
        if draw >= self.rate:
            return None
        kind = self.kinds[int(draw / self.rate * len(self.kinds)) % len(self.kinds)]
        code, status, template = FAULT_KINDS[kind]
        retry = 1 + digest[0] % 5
        extra: dict[str, Any] = {"retryable": True}
        if kind == "rate_limit":
            extra["retry_after"] = retry
        return error_body(kind, code, status, template.format(tool=tool, retry=retry, timeout=30), **extra)
