"""Errors raised by gtm_core.

Every error the toolkit raises on purpose derives from ``GTMError``; its message says what
was wrong and how to fix it, so the CLI can print it as one line.

    GTMError
    ├── SpecError            a tool spec that cannot be understood
    ├── CatalogError         a catalog that cannot be read or written
    │   └── CatalogLineError   one broken line of a catalog file (path and line attached)
    ├── ImportFormatError    a file that is not in the format asked for (or any known one)
    ├── UnknownToolError     a tool name that the catalog does not hold (also a KeyError)
    ├── UnknownEpisodeError  an episode id that no live episode has (also a KeyError)
    └── StoreError           a store URL that cannot be used (``--cache redis://…``, ``--episodes …``)
        └── StoreUnavailableError  a store that did not answer in time (down, unreachable, too slow)
"""

from __future__ import annotations

__all__ = [
    "CatalogError",
    "CatalogLineError",
    "GTMError",
    "ImportFormatError",
    "SpecError",
    "StoreError",
    "StoreUnavailableError",
    "UnknownEpisodeError",
    "UnknownToolError",
]


class GTMError(Exception):
    """Base class of the toolkit's own errors."""


class SpecError(GTMError, ValueError):
    """A tool specification that cannot be turned into a ToolSpec."""


class CatalogError(GTMError):
    """A catalog file or folder that cannot be read or written."""


class CatalogLineError(CatalogError):
    """One line of a catalog file that cannot be read; names the file and the line."""

    def __init__(self, path: str, line: int, reason: str) -> None:
        self.path = path
        self.line = line
        self.reason = reason
        super().__init__(f"{path}:{line}: {reason}")


class ImportFormatError(GTMError, ValueError):
    """A file whose content does not match the import format asked for."""


class UnknownToolError(GTMError, KeyError):
    """A tool name the catalog does not hold; carries the closest names as suggestions."""

    def __init__(self, name: str, suggestions: list[str] | tuple[str, ...] = ()) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f"; did you mean {', '.join(repr(s) for s in self.suggestions)}?" if self.suggestions else ""
        super().__init__(f"unknown tool {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would quote the whole message
        return str(self.args[0])


class UnknownEpisodeError(GTMError, KeyError):
    """An episode id with no live episode (never opened, closed, or dropped for the limits)."""

    def __init__(self, episode_id: str) -> None:
        self.episode_id = episode_id
        super().__init__(episode_id)

    def __str__(self) -> str:
        return f"no live episode {self.episode_id!r}: open it first (it may have been closed, or dropped for the episode limits)"


class StoreError(GTMError):
    """A store (answer cache, episodes) named by a URL or path that cannot be used as given."""


class StoreUnavailableError(StoreError):
    """A shared store that did not answer: down, unreachable or slower than its timeout. Calls made now get an error result."""
