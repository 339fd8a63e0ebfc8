"""The Catalog: an ordered collection of ToolSpecs with lookup, filters, search and stats.

Load it from files or folders in any supported format (see ``importers``), save it as GTM
JSONL. Lines that cannot be read are kept in ``problems`` so the other tools still load;
``strict=True`` turns the first one into an exception.
"""

from __future__ import annotations

import difflib
import fnmatch
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from .errors import CatalogError, CatalogLineError, UnknownToolError
from .files import write_jsonl
from .importers import ImportResult, catalog_files, read_tools
from .spec import ToolSpec

__all__ = ["Catalog", "closest_names", "shipped_catalog_path", "tokenize"]

_WORD = re.compile(r"[A-Za-z][a-z]+|[A-Z]+(?![a-z])|\d+")


def tokenize(text: str) -> list[str]:
    """Lower-case words of a name or text; camelCase and snake_case are split."""
    return [w.lower() for w in _WORD.findall(text or "")]


_CLOSE_CUTOFF = 0.6


def closest_names(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``candidates`` that look like ``name``: difflib's close matches, then names containing it.

    Cheap for any ``name``: difflib's ratio is at most 2*len(b)/(len(a)+len(b)), so a name
    more than 2/cutoff - 1 times as long as the longest candidate can match none (nor be
    contained in one) and is answered at once, without a search; a 1 MB name costs no more
    than a short one.
    """
    names = list(candidates)
    if not name or not names or len(name) > max(map(len, names)) * (2 / _CLOSE_CUTOFF - 1):
        return []
    close = difflib.get_close_matches(name, names, n=n, cutoff=_CLOSE_CUTOFF)
    if len(close) < n:
        lowered = name.lower()
        close += [c for c in names if lowered in c.lower() and c not in close][: n - len(close)]
    return close


def shipped_catalog_path() -> Path:
    """The folder of the catalog that ships with the toolkit."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_shipped_catalog" / "tools", here.parent / "catalog" / "tools"):
        if candidate.is_dir():
            return candidate
    raise CatalogError("the shipped catalog is missing from this installation; reinstall gtm-toolkit")


class Catalog:
    """An ordered collection of tool specs.

    Names should be unique (validation reports duplicates); lookups return the first spec
    with a name.
    """

    def __init__(self, tools: Iterable[ToolSpec] = (), *, problems: Iterable[CatalogLineError] = ()) -> None:
        self.tools: list[ToolSpec] = list(tools)
        self.problems: list[CatalogLineError] = list(problems)
        self.formats: set[str] = set()
        self._by_name: dict[str, ToolSpec] = {}
        self._postings: dict[str, list[tuple[int, float]]] = {}
        self._postings_key: tuple[int, int] | None = None
        for spec in self.tools:
            self._by_name.setdefault(spec.name, spec)

    # ---- loading and saving ------------------------------------------------------------
    @classmethod
    def load(cls, *paths: str | Path, format: str = "auto", strict: bool = False) -> Catalog:
        """Load files or folders (every ``*.jsonl``/``*.json``, optionally gzipped, inside)."""
        if not paths:
            raise CatalogError("no catalog path given")
        result = ImportResult()
        for path in paths:
            for file in catalog_files(path):
                result.extend(read_tools(file, format=format, strict=strict))
        catalog = cls(result.specs, problems=result.problems)
        catalog.formats = result.formats
        return catalog

    @classmethod
    def shipped(cls) -> Catalog:
        """The catalog that ships with the toolkit."""
        return cls.load(shipped_catalog_path(), format="gtm")

    def save(self, path: str | Path) -> Path:
        """Write the catalog as GTM JSONL (gzipped when the name ends in .gz), atomically."""
        return write_jsonl((spec.to_dict() for spec in self.tools), path)

    # ---- collection protocol -----------------------------------------------------------
    def __len__(self) -> int:
        return len(self.tools)

    def __iter__(self) -> Iterator[ToolSpec]:
        return iter(self.tools)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __repr__(self) -> str:
        return f"Catalog({len(self.tools)} tools)"

    @property
    def names(self) -> list[str]:
        return [spec.name for spec in self.tools]

    def get(self, name: str) -> ToolSpec:
        """The spec named ``name``; an unknown name raises UnknownToolError with suggestions."""
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownToolError(name, self.closest(name)) from None

    def closest(self, name: str, n: int = 3) -> list[str]:
        """Up to ``n`` tool names that look like ``name`` (see ``closest_names``)."""
        return closest_names(name, self._by_name, n)

    # ---- selection ---------------------------------------------------------------------
    def filter(
        self,
        *,
        field: str | None = None,
        subfield: str | None = None,
        names: str | Sequence[str] | None = None,
    ) -> Catalog:
        """The tools in ``field``/``subfield`` (case-insensitive) whose name matches a glob."""
        globs = [names] if isinstance(names, str) else list(names or [])

        def keep(spec: ToolSpec) -> bool:
            if field is not None and (spec.field or "").lower() != field.lower():
                return False
            if subfield is not None and (spec.subfield or "").lower() != subfield.lower():
                return False
            return not globs or any(fnmatch.fnmatchcase(spec.name, g) for g in globs)

        return Catalog([s for s in self.tools if keep(s)])

    def search(self, query: str, *, limit: int = 10) -> list[tuple[ToolSpec, float]]:
        """Keyword search over names and descriptions, best first.

        Each query word scores by its rarity in the catalog (IDF), three times over when it
        is in the tool's name; the score is normalised to at most 1.
        """
        words = list(dict.fromkeys(tokenize(query)))
        if not words:
            return []
        postings = self._word_postings()
        total = len(self.tools) + 1
        idf = {w: math.log(total / (1 + len(postings.get(w, ())))) + 1.0 for w in words}
        best = 3.0 * sum(idf.values())
        scores: dict[int, float] = {}
        for word in words:
            for index, weight in postings.get(word, ()):
                scores[index] = scores.get(index, 0.0) + idf[word] * weight
        scored = [(self.tools[i], round(score / best, 4)) for i, score in scores.items()]
        scored.sort(key=lambda pair: (-pair[1], pair[0].name))
        return scored[:limit]

    def _word_postings(self) -> dict[str, list[tuple[int, float]]]:
        """word -> (tool index, 3.0 if in the name else 1.0), built once per set of tools."""
        key = (id(self.tools), len(self.tools))
        if self._postings_key != key:
            postings: dict[str, list[tuple[int, float]]] = {}
            for index, spec in enumerate(self.tools):
                name_words = set(tokenize(spec.name))
                for word in name_words | set(tokenize(spec.description)):
                    postings.setdefault(word, []).append((index, 3.0 if word in name_words else 1.0))
            self._postings, self._postings_key = postings, key
        return self._postings

    # ---- reporting ---------------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        """Counts of tools, fields and what the specs hold, with a per-field breakdown."""
        by_field: dict[str, dict[str, Any]] = {}
        for spec in self.tools:
            entry = by_field.setdefault(spec.field or "(none)", {"tools": 0, "subfields": {}})
            entry["tools"] += 1
            sub = spec.subfield or "(none)"
            entry["subfields"][sub] = entry["subfields"].get(sub, 0) + 1
        parameter_counts = [len(spec.properties) for spec in self.tools]
        return {
            "tools": len(self.tools),
            "unique_names": len(self._by_name),
            "fields": len([f for f in by_field if f != "(none)"]),
            "subfields": sum(len([s for s in e["subfields"] if s != "(none)"]) for e in by_field.values()),
            "with_response_schema": sum(1 for s in self.tools if s.response_schema is not None),
            "with_response_description": sum(1 for s in self.tools if isinstance(s.response, str)),
            "with_examples": sum(1 for s in self.tools if s.examples),
            "parameters_mean": round(sum(parameter_counts) / len(parameter_counts), 2) if parameter_counts else 0.0,
            "parameters_max": max(parameter_counts, default=0),
            "sources": dict(Counter(s.source for s in self.tools if s.source)),
            "unreadable_lines": len(self.problems),
            "by_field": dict(sorted(by_field.items())),
        }
