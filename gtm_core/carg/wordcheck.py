"""Is a drafted tool made of words, and words of its field? A check for generated tools.

A teacher that cannot write (the schema engine fills drafts from their JSON schema) makes
tools such as ``koxh_x0m`` described "All items are available and ready to ship." under
"Cryptocurrency / Beginner Photography Tips": valid specs, junk as training data.
:func:`word_problems` refuses them:

- **the name is words**: each part of the name (split at ``_``, ``-``, ``.`` and camelCase) is a
  word of the :func:`vocabulary`, a number, or a short word with a number (``s3``, ``mp3``,
  ``sha256``, ``v2``); a part with a digit inside letters (``x0m``) or a string of letters no
  vocabulary knows (``koxh``) is not;
- **the text belongs to the field**: the name, the description or the parameters (names and
  descriptions) share at least one content word with the field, the subfield and their
  descriptions (words of four letters or more, compared by their first four, so "prices" meets
  "price" and "notes" meets "note"). Hand-written tools mostly pass: of the shipped catalog's
  387, with its taxonomy's descriptions, 11 (2.8%) share no word with their field and would be
  refused — the price of refusing the junk a schema teacher makes (none of which passes).

The vocabulary is the whole words of the packaged embedding model's ``vocab.txt`` (30,000
word pieces of English text; installed with the ``[scope]`` extra) and the words of the
shipped catalog. Without the model's file only the catalog's words and the field's own are
known, so the name check then also accepts any part of two or more letters with a vowel.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from ..spec import ToolSpec

__all__ = ["field_text", "name_parts", "vocabulary", "word_problems"]

_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+\d*|\d+")
_MIXED = re.compile(r"[a-z]\d+[a-z]")  # digits inside letters: not a word nor a word and a number
_TEXT_WORDS = re.compile(r"[A-Za-z]+")
_STEM = 4
_STOP = frozenset(
    "a an and are as at be by for from in into is it its of on or that the this to with your you all any can get set "
    "list data info item items new one per use used using via will".split()
)  # fmt: skip


def name_parts(name: str) -> list[str]:
    """The parts of a tool name, lower-cased: ``getSHA256_hash`` -> ``["get", "sha", "256", "hash"]``;
    a part that mixes digits into letters stays whole (``x0m``)."""
    parts: list[str] = []
    for chunk in re.split(r"[_\-.\s/]+", name or ""):
        if not chunk:
            continue
        if _MIXED.search(chunk):
            parts.append(chunk.lower())
        else:
            parts += [p.lower() for p in _CAMEL.findall(chunk)]
    return parts


@functools.lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Known words: the embedding model's whole words (where installed) and the shipped catalog's."""
    words: set[str] = set()
    try:
        from ..embeddings import EmbeddingError, packaged_model_path

        vocab = packaged_model_path() / "vocab.txt"
        words |= {w for w in vocab.read_text(encoding="utf-8").split() if w.isalpha() and w.isascii()}
    except (EmbeddingError, OSError):
        pass
    from ..catalog import Catalog

    for spec in Catalog.shipped():
        words.update(name_parts(spec.name))
        words.update(w.lower() for w in _TEXT_WORDS.findall(spec.description or ""))
        for parameter in spec.properties:
            words.update(name_parts(parameter))
    return frozenset(w for w in words if w.isalpha())


def _has_model_vocabulary() -> bool:
    return len(vocabulary()) > 10_000


def _is_word(part: str, known: frozenset[str]) -> bool:
    if part.isdigit() or (len(part) > 1 and part in known):
        return True
    with_number = re.fullmatch(r"([a-z]+)(\d+)", part)
    if with_number:
        letters = with_number.group(1)
        return letters in known or len(letters) <= 3
    if not part.isalpha():
        return False
    return not _has_model_vocabulary() and len(part) >= 2 and bool(re.search(r"[aeiouy]", part))


def _stems(words: Iterable[str]) -> set[str]:
    return {w[:_STEM] for w in (w.lower() for w in words) if len(w) >= _STEM and w not in _STOP}


def field_text(field: str | None, subfield: str | None, *descriptions: str | None) -> str:
    """The words a tool of this field and subfield is expected to share."""
    return " ".join(t for t in (field, subfield, *descriptions) if t)


def word_problems(spec: ToolSpec, field_words: str) -> list[str]:
    """Why ``spec`` is not made of words of its field (``field_words``: :func:`field_text`);
    empty when it is."""
    known = vocabulary() | {w.lower() for w in _TEXT_WORDS.findall(field_words)}
    problems = []
    parts = name_parts(spec.name)
    strange = [p for p in parts if not _is_word(p, known)]
    if strange or not parts or all(p.isdigit() for p in parts):
        problems.append(f"the name {spec.name!r} is not made of words ({', '.join(repr(p) for p in strange) or 'no word'})")
    tool_words = [p for p in parts if p.isalpha()] + _TEXT_WORDS.findall(spec.description or "")
    for name, schema in spec.properties.items():
        tool_words += name_parts(name) + _TEXT_WORDS.findall(str(schema.get("description") or "") if isinstance(schema, dict) else "")
    if not _stems(tool_words) & _stems(_TEXT_WORDS.findall(field_words)):
        problems.append(f"neither its name, its description nor its parameters share a word with its field ({field_words[:80]!r})")
    return problems
