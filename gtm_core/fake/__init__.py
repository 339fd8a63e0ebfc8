"""Realistic fake values for JSON Schemas, with no dependencies beyond the standard library.

``fake_value(schema, name, rng)`` returns a value that is valid against ``schema`` (types,
enums, ranges, lengths, simple patterns, formats, arrays, nested objects, combinators and
local ``$ref``) and that looks like what a real API would send: a property called ``city``
gets a city, ``order_id`` gets ``"ord_8f3k2a"``, ``price`` gets ``49.99``. The property's name
(and, failing that, its description) picks the kind of value; the schema has the last word.

``fake_object_for(spec, rng)`` makes a plausible JSON object for a tool that has no response
schema, from the tool's name, description and arguments. ``conforms(value, schema)`` says
whether a value is valid against a schema; ``name_words(name)`` splits a property name.

Everything is deterministic given the ``random.Random`` passed in, and nothing here raises
for a schema it cannot satisfy: it returns its best attempt instead.

The modules, each with one job (imports run down this list, never up):

- ``objects``: plausible objects for tools without a response schema;
- ``generator``: the schema walker behind ``fake_value``;
- ``merge``: merging schemas and resolving local ``$ref``;
- ``numbers``: numbers inside a schema's bounds;
- ``conform``: ``conforms`` and the cheap checks of simple schemas;
- ``patterns``: strings from regular expressions;
- ``makers``: small makers of realistic strings (dates, emails, ids, URLs ...);
- ``vocabulary``: the value tables and what a property's name says about its value.
"""

from __future__ import annotations

from .conform import conforms
from .generator import fake_value
from .objects import fake_object_for
from .vocabulary import name_words

__all__ = ["conforms", "fake_object_for", "fake_value", "name_words"]
