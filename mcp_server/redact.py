"""Removing secrets from what the proxy records.

Two nets, applied to any JSON value:

- by key: the value of a key that names a secret (``password``, ``token``, ``secret``,
  ``api_key``, ``authorization``, ``cookie``, ``private_key``, ``credentials`` ...) becomes
  ``"[REDACTED]"``, whatever it is;
- by value: a string that holds a bearer token, an OpenAI/Anthropic-style ``sk-`` key, an AWS
  access key id, a GitHub or Slack token, a Google API key, a JSON Web Token, a PEM private
  key or a password inside a URL has that part replaced by ``[REDACTED]``.

Keys that count or page (``max_tokens``, ``token_count``, ``next_page_token``) are not secrets and are kept.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REDACTED", "is_secret_key", "redact", "redact_text"]

REDACTED = "[REDACTED]"

_SECRET_KEY = re.compile(
    r"pass(word|wd|phrase)|^pass$|_pass$|^pwd$|secret|token|api_?key|auth(orization|_?header)?$|^auth_"
    r"|cookie|credential|private_?key|access_?key|session_?(id|key)|signature$|^otp$|^pin$"
)
_COUNTING_KEY = re.compile(r"(page|next|prev|continuation|sync|cursor)_?token|tokens|token_?(count|limit|usage|type)|tokeni[sz]")

_SECRET_VALUES = [
    re.compile(r"\b[Bb]earer\s+[A-Za-z0-9._~+/=-]{12,}"),
    re.compile(r"\bBasic\s+(?=[A-Za-z0-9+/]*[0-9=])[A-Za-z0-9+/]{8,}={0,2}"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}"),
    re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b"),
    re.compile(r"(?i)\baws_?secret_?access_?key\W{0,3}[A-Za-z0-9/+=]{40}\b"),
    re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"),
    re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    re.compile(r"\bAIza[0-9A-Za-z_-]{35}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.DOTALL),
]
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@", re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    """Whether a key (of arguments, headers, a response) names a secret."""
    key = key.lower().replace("-", "_")
    return _SECRET_KEY.search(key) is not None and _COUNTING_KEY.search(key) is None


def redact_text(text: str) -> str:
    """``text`` with every secret-looking part replaced by ``[REDACTED]``."""
    if len(text) < 8:
        return text
    for pattern in _SECRET_VALUES:
        text = pattern.sub(REDACTED, text)
    return _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", text)


def redact(value: Any) -> Any:
    """A copy of a JSON value with secrets removed by key and by value pattern."""
    if isinstance(value, Mapping):
        return {k: REDACTED if isinstance(k, str) and is_secret_key(k) and value[k] not in (None, "") else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(item) for item in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
