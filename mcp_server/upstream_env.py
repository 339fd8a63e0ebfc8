"""The environment an MCP server started from a command line gets: minimal, plus what is asked for.

A server started by the proxy (``gtm serve --upstream``) or by the importer (``gtm catalog
import --mcp-stdio``) is someone else's program, and any of its tools may echo its
environment to a client. So it never inherits this process's environment: it gets the
variables a program needs to run (``MINIMAL_VARIABLES``, those that are set) and the ones
named explicitly, ``NAME`` to pass this process's value or ``NAME=VALUE`` to set one. The
variable holding the server's own bearer token (``--token-env``) cannot be passed, nor any
variable whose value is that token.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from gtm_core.errors import GTMError

__all__ = ["MINIMAL_VARIABLES", "UpstreamEnvError", "child_environment", "passed_variables"]

MINIMAL_VARIABLES = ("PATH", "HOME", "USER", "LOGNAME", "SHELL", "TERM", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ")
"""Passed when set: where programs are, who runs them, the locale, the temporary folder, the time zone."""


class UpstreamEnvError(GTMError, ValueError):
    """An environment option that cannot be honoured (a malformed name, or the token's variable)."""


def passed_variables(options: Sequence[str], *, token_env: str | None = None, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The variables that ``NAME`` and ``NAME=VALUE`` options pass, as a dict.

    ``NAME`` passes this process's value (nothing when unset); ``NAME=VALUE`` sets one.
    ``token_env`` names the variable of the server's bearer token: naming it is refused, and
    a variable whose value is the token is left out.
    """
    source = os.environ if source is None else source
    secret = source.get(token_env) if token_env is not None else None
    out: dict[str, str] = {}
    for option in options:
        name, has_value, value = option.partition("=")
        if not name or not all(c.isalnum() or c == "_" for c in name) or name[0].isdigit():
            raise UpstreamEnvError(f"{option!r} is not NAME or NAME=VALUE with a variable name of letters, digits and '_'")
        if name == token_env:
            raise UpstreamEnvError(f"{name} holds this server's bearer token (--token-env) and is never passed to an upstream server")
        if not has_value:
            if name not in source:
                continue
            value = source[name]
        if secret and value == secret:
            raise UpstreamEnvError(f"{name} holds this server's bearer token (--token-env) and is never passed to an upstream server")
        out[name] = value
    return out


def child_environment(extra: Mapping[str, str] | None = None, *, source: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a started server: the set ``MINIMAL_VARIABLES`` of ``source``, then ``extra``."""
    source = os.environ if source is None else source
    return {**{name: source[name] for name in MINIMAL_VARIABLES if name in source}, **(extra or {})}
