"""The records of one episode, kept true by applying the resource model to every answer.

A create stores its arguments under the answer's fields (matched across naming styles),
takes the caller's key or mints a fresh one of the schema's shape, and starts in the
initial state; reads return the record; updates, transitions, moves and list-field edits
change it; deletes leave a tombstone; lists hold the episode's records filtered by the
arguments, with counts equal to the items. Whatever engine answered, the answer is made
to agree with the world before anyone sees it.

Unknown keys follow the world rule (``UNKNOWN_KEY_RULES``):

- ``closed``: a read, change or delete of a key the episode never created nor was seeded
  with is the tool's ``not_found`` error, as a real API answers a made-up id;
- ``open``: an unknown key gets the engine's plausible record, remembered from then on;
- ``auto`` (the default): closed for a resource once the episode created records of it or
  was seeded with them, open before (records an open answer invented do not close it). An agent dropped into a task with an id it was
  told about gets an answer, but once the episode has its own records of a kind, an id that
  is none of them is made up, and a real service would say so. Either way one key never
  gets two different records.
"""

from __future__ import annotations

import copy
import json
import random
import zlib
from collections import deque
from collections.abc import Mapping
from typing import Any

from ..fake import fake_value
from .merge import Place, array_places, find_field, flow, is_key_field, names_resource, overlay, record_places, shape_item
from .model import Operation, Resource, ResourceModel
from .naming import field_key, words

__all__ = ["UNKNOWN_KEY_RULES", "EntityWorld", "key_text"]

UNKNOWN_KEY_RULES = ("auto", "closed", "open")
_CONTROL = frozenset(["dry_run", "validate_only", "notify", "force", "confirm", "send_notification", "notify_user"])
_PAGING = frozenset(["limit", "max_results", "page_size", "per_page", "top", "count", "page", "offset", "cursor",
                     "sort", "sort_by", "order", "order_by", "sort_order", "direction", "fields", "include", "expand"])  # fmt: skip
_QUERY = frozenset(["query", "q", "search", "keyword", "keywords", "term", "text", "search_term", "pattern", "filter"])
_LIMITS = frozenset(["limit", "max_results", "page_size", "per_page", "top"])
_COUNTS = frozenset(["count", "total", "total_count", "total_results", "num_results", "result_count", "results_count",
                     "total_items", "item_count", "size", "hits", "n"])  # fmt: skip
_EDIT_OLD = ("old", "find", "search", "from", "original")
_EDIT_NEW = ("new", "replace", "replacement", "to", "with")


def key_text(value: Any) -> str | None:
    """A key as the world files it ("42" and 42 are one key); None for what cannot be a key."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


class EntityWorld:
    """The records of one episode, by resource and key, with tombstones for deleted ones.

    ``unknown_keys`` is the episode's own rule (None: the simulator's); ``max_records``
    bounds what it remembers (beyond it new records are answered but not kept), and the
    tombstones (the oldest deletions are forgotten first).
    """

    def __init__(self, *, max_records: int = 10_000, unknown_keys: str | None = None) -> None:
        if unknown_keys is not None and unknown_keys not in UNKNOWN_KEY_RULES:
            raise ValueError(f"unknown_keys must be one of {', '.join(UNKNOWN_KEY_RULES)}; got {unknown_keys!r}")
        self.max_records = max_records
        self.unknown_keys = unknown_keys
        self._tables: dict[str, dict[str, dict[str, Any]]] = {}
        self._deleted: dict[str, dict[str, None]] = {}
        self._tombstones: deque[tuple[str, str]] = deque()  # deletions, oldest first
        self._made: set[str] = set()  # resources the episode created or was seeded with records of
        self._count = 0
        self._minted = 0
        self.seeds: set[str] = set()  # the seeds applied (canonical JSON), so each applies once

    def __len__(self) -> int:
        return self._count

    # ---- reading -----------------------------------------------------------------------
    def records(self, resource: str) -> list[dict[str, Any]]:
        """The live records of one resource, oldest first (copies)."""
        return [copy.deepcopy(r) for r in self._tables.get(resource, {}).values()]

    def resources(self) -> list[str]:
        return [name for name, table in self._tables.items() if table or self._deleted.get(name)]

    def deleted(self, resource: str) -> list[str]:
        return list(self._deleted.get(resource, {}))

    def rule(self, resource: str, default: str = "auto") -> str:
        """``closed`` or ``open``: what an unknown key of ``resource`` gets in this episode now."""
        rule = self.unknown_keys or default
        if rule == "auto":
            return "closed" if resource in self._made else "open"
        return rule

    def lookup(self, operation: Operation, arguments: Mapping[str, Any], *, copied: bool = True) -> tuple[str | None, dict[str, Any] | None, bool]:
        """(key, current record or None, whether that key was deleted) for a one-record call;
        ``copied=False`` gives the world's own record, to look at, never to change."""
        key = key_text(arguments.get(operation.key_parameter)) if operation.key_parameter else None
        if key is None:
            return None, None, False
        record = self._tables.get(operation.resource, {}).get(key)
        if copied and record is not None:
            record = copy.deepcopy(record)
        return key, record, key in self._deleted.get(operation.resource, {})

    # ---- seeding -----------------------------------------------------------------------
    def seed(self, resource: Resource, records: list[Mapping[str, Any]]) -> None:
        """Start the episode with records of a resource (each must carry the key, unless the
        resource has none); a record without a state starts in the initial state."""
        for index, given in enumerate(records):
            if not isinstance(given, Mapping):
                raise ValueError(f"seed records of {resource.name!r} must be JSON objects; item {index} is {type(given).__name__}")
            record = dict(copy.deepcopy(given))
            if resource.key is not None:
                field = next((f for f in record if is_key_field(f, resource)), None)
                if field is None:
                    raise ValueError(f"seed record {index} of {resource.name!r} has no key {resource.key!r}; add it, e.g. {{{resource.key!r}: \"A1\", ...}}")
                record[resource.key] = record.pop(field)
            self._start_state(record, resource)
            self._store(resource, self._key_of(record, resource), record)
            self._made.add(resource.name)

    # ---- applying an answer -------------------------------------------------------------
    def apply(self, operation: Operation, resource: Resource, arguments: Mapping[str, Any], response: Any,
              schema: Any = None, model: ResourceModel | None = None, *, default_rule: str = "auto") -> Any:  # fmt: skip
        """Record what the call did and return the answer made consistent with the world.

        ``response`` is the caller's to give away: it is changed in place (and returned)."""
        if not isinstance(response, dict):
            return response
        handler = getattr(self, f"_{operation.kind}", None)
        if handler is None:
            return response
        return handler(operation, resource, dict(arguments), response, schema, model, default_rule)

    def _create(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        if op.batch is not None:
            return self._create_many(op, res, args, response, schema)
        places = record_places(response, schema, res)
        main = places[-1] if len(places) > 1 else places[0]
        record = {k: copy.deepcopy(v) for k, v in main.value.items() if not isinstance(v, (dict, list)) or k not in ("metadata",)}
        for field in res.list_fields:  # a new playlist has no tracks but those it is made with
            record[find_field(record, field) or field] = []
        for name, value in args.items():
            if field_key(name) in _CONTROL:
                continue
            field = find_field(record, name)
            record[field or name] = copy.deepcopy(value)
        if res.key is not None:
            given = args.get(op.key_parameter) if op.key_parameter else None
            field = next((f for f in record if is_key_field(f, res)), None)
            key_value = given if given is not None else (record.pop(field) if field is not None else None)
            if field is not None and given is not None:
                record.pop(field, None)
            if key_value is None or (given is None and self._taken(res, key_text(key_value))):
                key_value = self._mint(res, main, schema)
            record[res.key] = key_value
        old = self._tables.get(res.name, {}).get(self._key_of(record, res) or "")
        if old is not None and op.key_parameter:  # a write over an existing record keeps what it does not set
            record = {**old, **{k: v for k, v in record.items() if find_field(args, k) is not None or k == res.key}}
        else:
            self._start_state(record, res, args, force=True)
        self._store(res, self._key_of(record, res), record)
        self._made.add(res.name)
        for place in places:
            overlay(place, record, res)
        return response

    def _create_many(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any) -> Any:
        made = []
        for item in args.get(op.batch) or []:
            if not isinstance(item, Mapping):
                continue
            record = dict(copy.deepcopy(item))
            key = self._key_of(record, res)
            if key is None or self._tables.get(res.name, {}).get(key) is not None:
                continue  # a record that exists already is not made twice
            self._start_state(record, res, item, force=True)
            self._store(res, key, record)
            self._made.add(res.name)
            made.append(record)
        self._fill_arrays(response, schema, res, made, len(made))
        return response

    def _read(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        key, record, _ = self.lookup(op, args)
        if key is None:
            return response
        if record is None:
            record = self._from_answer(response, schema, res, args[op.key_parameter])  # type: ignore[index]
            self._store(res, key, record)
        for place in record_places(response, schema, res):
            overlay(place, record, res)
        return response

    def _update(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str,
                *, to_state: str | None = None) -> Any:  # fmt: skip
        key, record, _ = self.lookup(op, args)
        if key is None:
            return response
        if record is None:
            record = self._from_answer(response, schema, res, args[op.key_parameter])  # type: ignore[index]
        dry = any(field_key(k) in ("dry_run", "validate_only") and v is True for k, v in args.items())
        if not dry:
            for name, value in args.items():
                if name == op.key_parameter or field_key(name) in _CONTROL or _apply_edits(record, value):
                    continue
                record[find_field(record, name) or name] = copy.deepcopy(value)
            if to_state is not None:
                record[res.state_field or find_field(record, "status") or "status"] = to_state
            self._store(res, key, record)
        for place in record_places(response, schema, res):
            overlay(place, record, res)
        return response

    def _transition(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        return self._update(op, res, args, response, schema, model, rule, to_state=op.to_state)

    def _delete(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        if op.batch is not None:
            gone = set()
            for item in args.get(op.batch) or []:
                key = self._key_of(dict(item), res) if isinstance(item, Mapping) else key_text(item)
                if key is not None:
                    self._forget(res.name, key)
                    gone.add(key)
            self._cascade(res, gone, model)
            return response
        key = key_text(args.get(op.key_parameter)) if op.key_parameter else None
        if key is not None:
            self._forget(res.name, key)
            self._cascade(res, {key}, model)
        return response

    def _cascade(self, res: Resource, keys: set[str], model: ResourceModel | None) -> None:
        """Records known only by their fields (no key: a relation ``{from, to, type}``) that refer
        to a deleted record of ``res`` go with it: an edge does not outlive what it joins."""
        if model is None or not keys:
            return
        for other in model.resources.values():
            if other.key is not None or other.name == res.name:
                continue
            table = self._tables.get(other.name, {})
            for key, record in list(table.items()):
                if any(isinstance(v, (str, int)) and key_text(v) in keys for v in record.values()):
                    self._forget(other.name, key)

    def _move(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        source, target = key_text(args.get(op.key_parameter)), key_text(args.get(op.target_parameter))
        if source is None or target is None or res.key is None:
            return response
        record = self._tables.get(res.name, {}).get(source)
        if record is None:
            record = self._from_answer(response, schema, res, args[op.key_parameter])  # type: ignore[index]
        record = copy.deepcopy(record)
        record[res.key] = args[op.target_parameter]  # type: ignore[index]
        self._forget(res.name, source)
        self._store(res, target, record)
        return response

    def _add_items(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str,
                   *, remove: bool = False) -> Any:  # fmt: skip
        entries = [i for i in args.get(op.batch) or [] if isinstance(i, Mapping)] if op.batch else [args]
        for entry in entries:
            key_field = next((f for f in entry if is_key_field(f, res)), None)
            key = key_text(entry.get(key_field)) if key_field else None
            record = self._tables.get(res.name, {}).get(key) if key is not None else None
            values = next((v for f, v in entry.items() if isinstance(v, list) and f != op.batch), None)
            if record is None or values is None or op.field is None:
                continue
            field = find_field(record, op.field) or op.field
            current = list(record.get(field) or [])
            if remove:
                current = [v for v in current if v not in values]
            else:
                current += [v for v in values if v not in current]
            record[field] = current
        return response

    def _remove_items(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        return self._add_items(op, res, args, response, schema, model, rule, remove=True)

    def _list(self, op: Operation, res: Resource, args: dict[str, Any], response: dict[str, Any], schema: Any, model: Any, rule: str) -> Any:
        table = self._tables.get(res.name, {})
        if not table and self.rule(res.name, rule) == "open" and op.batch is None:
            self._remember_listed(response, schema, res, args)
            table = self._tables.get(res.name, {})
        children = self._children(res, args, model)
        if children is not None:
            matched = [record for _, record in children]
        elif op.batch is not None:
            wanted = {key_text(k) for k in args.get(op.batch) or []}
            matched = [r for k, r in table.items() if k in wanted]
        else:
            matched = [r for r in table.values() if _matches(r, args, res)]
        total = len(matched)
        limit = next((v for k, v in args.items() if field_key(k) in _LIMITS and isinstance(v, int) and not isinstance(v, bool) and v >= 0), None)
        shown = matched[:limit] if limit is not None else matched
        places = list(array_places(response, schema))
        if not places:
            if children is not None:
                lines = [self._entry_line(owner, record, res) for owner, record in children[: len(shown)]]
            else:
                lines = [self._key_of(record, res) or json.dumps(record, sort_keys=True) for record in shown]
            _set_text(response, schema, "\n".join(lines), args)
            return response
        filled = self._fill_arrays(response, schema, res, shown, total, places)
        if model is not None:  # arrays of other resources in the same answer: those linked to what was found
            keys: set[str | None] | None = None
            for place in places:
                if place[1] == filled:
                    continue
                for other in model.resources.values():
                    if other.name == res.name or not names_resource(place[1], other):
                        continue
                    other_table = self._tables.get(other.name, {})
                    if not other_table and self.rule(res.name, rule) == "open":
                        break  # nothing known of either: the engine's plausible items stand
                    if keys is None:
                        keys = {key_text(r.get(res.key)) for r in shown} if res.key else set()
                    linked = [r for r in other_table.values() if _linked(r, keys, table, res) or not keys and not args]
                    self._fill_arrays(response, schema, other, linked, len(linked), [place], primary=False)
                    break
        return response

    # ---- helpers ------------------------------------------------------------------------
    def _children(self, res: Resource, args: Mapping[str, Any], model: ResourceModel | None) -> list[tuple[Resource, dict[str, Any]]] | None:
        """For a list given its own resource's key as a path (``list_directory(path="/d")``): the
        records of every caller-keyed resource whose key is a path directly under it, by key; None
        for any other list. Keys that are paths form one tree, whatever resource holds them."""
        if model is None or not res.client_key or res.key is None:
            return None
        given = next((v for k, v in args.items() if is_key_field(k, res) and isinstance(v, str) and "/" in v), None)
        if given is None:
            return None
        parent = given.rstrip("/") or "/"
        found: list[tuple[Resource, dict[str, Any]]] = []
        for other in model.resources.values():
            if not other.client_key or other.key is None:
                continue
            for key, record in self._tables.get(other.name, {}).items():
                head, _, tail = key.rstrip("/").rpartition("/")
                if tail and (head or "/") == parent:
                    found.append((other, record))
        found.sort(key=lambda pair: self._key_of(pair[1], pair[0]) or "")
        return found

    def _entry_line(self, owner: Resource, record: Mapping[str, Any], listed: Resource) -> str:
        """One entry of a path listing as text: its last path segment, ``/`` after it for a record
        of the listed resource itself (a folder among files)."""
        name = (self._key_of(record, owner) or "").rstrip("/").rpartition("/")[2]
        return name + "/" if owner.name == listed.name else name

    def _fill_arrays(self, response: dict[str, Any], schema: Any, res: Resource, records: list[dict[str, Any]], total: int,
                     places: list[tuple[Place, str, list[Any], Mapping[str, Any]]] | None = None, *, primary: bool = True) -> str | None:  # fmt: skip
        """Put ``records`` into the answer's array of ``res`` (one of ``places``), counts to match;
        the name of the array filled, or None."""
        if places is None:
            places = list(array_places(response, schema))
        chosen = [p for p in places if names_resource(p[1], res)]
        if not chosen and primary:
            objects = [p for p in places if any(isinstance(i, dict) for i in p[2]) or p[3]]
            chosen = objects[:1] if len(objects) == 1 else []
        for holder, name, items, props in chosen[:1]:
            templates = [i for i in items if isinstance(i, dict)]
            holder.value[name] = [shape_item(r, templates[i % len(templates)] if templates else None, props, schema, res) for i, r in enumerate(records)]
            for place in {id(holder.value): holder, id(response): Place(response, {}, schema)}.values():
                for field, value in place.value.items():
                    if field_key(field) in _COUNTS and isinstance(value, int) and not isinstance(value, bool):
                        place.value[field] = total if field_key(field).startswith("total") else len(holder.value[name])
            return name
        return None

    def _remember_listed(self, response: dict[str, Any], schema: Any, res: Resource, args: Mapping[str, Any]) -> None:
        """Open rule, nothing known yet: the engine's listed items become the episode's records."""
        for _, name, items, props in array_places(response, schema):
            if not names_resource(name, res) and len([p for p in array_places(response, schema)]) > 1:
                continue
            for item in items:
                if not isinstance(item, dict):
                    continue
                flow(Place(item, props, schema), args, frozenset(a for a in args if field_key(a) in _PAGING | _QUERY))
                key = self._key_of(item, res)
                if key is not None and res.key is not None:
                    field = next((f for f in item if is_key_field(f, res)), None)
                    record = dict(item)
                    if field is not None and field != res.key:
                        record[res.key] = record.pop(field)
                    self._store(res, key, copy.deepcopy(record))
            return

    def _from_answer(self, response: dict[str, Any], schema: Any, res: Resource, key_value: Any) -> dict[str, Any]:
        """Open rule: what the engine said about an unknown key becomes its record."""
        places = record_places(response, schema, res)
        main = places[-1] if len(places) > 1 else places[0]
        record = {k: copy.deepcopy(v) for k, v in main.value.items() if not (res.key and is_key_field(k, res))}
        if res.key is not None:
            record[res.key] = key_value
        return record

    def _start_state(self, record: dict[str, Any], res: Resource, args: Mapping[str, Any] | None = None, *, force: bool = False) -> None:
        if res.state_field is None or res.initial_state is None:
            return
        field = find_field(record, res.state_field)
        given = find_field(args, res.state_field) if args else None
        if given is not None:
            return
        if field is None or force:
            record[field or res.state_field] = res.initial_state

    def _key_of(self, record: Mapping[str, Any], res: Resource) -> str | None:
        if res.key is None:
            return key_text(dict(record))
        field = res.key if res.key in record else next((f for f in record if is_key_field(f, res)), None)
        return key_text(record.get(field)) if field is not None else None

    def _taken(self, res: Resource, key: str | None) -> bool:
        return key is None or key in self._tables.get(res.name, {}) or key in self._deleted.get(res.name, {})

    def _mint(self, res: Resource, place: Place, schema: Any) -> Any:
        """A fresh key of the shape the response schema asks for (deterministic per episode)."""
        field = next((f for f in place.value if is_key_field(f, res)), res.key or "id")
        sub = place.props.get(field) if isinstance(place.props, Mapping) else None
        sub = sub or res.key_schema or {"type": "string"}
        for _ in range(64):
            self._minted += 1
            rng = random.Random(zlib.crc32(f"{res.name}:{self._minted}".encode()))
            value = fake_value(sub, field, rng, root=schema)
            if not self._taken(res, key_text(value)):
                return value
        return f"{'_'.join(words(res.name)[-1:]) or 'id'}-{self._minted}"

    def _store(self, res: Resource, key: str | None, record: dict[str, Any]) -> None:
        if key is None:
            return
        table = self._tables.setdefault(res.name, {})
        if key not in table:
            if self._count >= self.max_records:
                return  # full: the episode stops remembering new records
            self._count += 1
        table[key] = record
        self._deleted.get(res.name, {}).pop(key, None)

    def _forget(self, resource: str, key: str) -> None:
        if self._tables.get(resource, {}).pop(key, None) is not None:
            self._count -= 1
        deleted = self._deleted.setdefault(resource, {})
        if key in deleted:
            return
        deleted[key] = None
        self._tombstones.append((resource, key))
        while len(self._tombstones) > self.max_records:  # at most max_records tombstones: the oldest go first
            old_resource, old_key = self._tombstones.popleft()
            self._deleted.get(old_resource, {}).pop(old_key, None)


def _set_text(response: dict[str, Any], schema: Any, text: str, args: Mapping[str, Any]) -> None:
    """Put a list's entries, as text, into an answer whose only string field carries them
    (``{"content": "..."}``); an answer with other strings, or none, is left as it is, and so is
    a string that echoes an argument or that its schema constrains (a pattern, a format, an enum)."""
    strings = [k for k, v in response.items() if isinstance(v, str)]
    if len(strings) != 1:
        return
    field = strings[0]
    if any(field_key(name) == field_key(field) for name in args):
        return
    properties = schema.get("properties") if isinstance(schema, Mapping) else None
    sub = properties.get(field) if isinstance(properties, Mapping) else None
    if isinstance(sub, Mapping) and any(k in sub for k in ("pattern", "format", "enum", "const", "maxLength")):
        return
    response[field] = text


def _apply_edits(record: dict[str, Any], value: Any) -> bool:
    """Apply ``[{"oldText": ..., "newText": ...}]`` style edits to the record's text fields;
    whether ``value`` was such a list of edits."""
    if not isinstance(value, list) or not value or not all(isinstance(e, Mapping) for e in value):
        return False
    pairs = []
    for edit in value:
        old = next((v for k, v in edit.items() if words(k) and words(k)[0] in _EDIT_OLD and isinstance(v, str)), None)
        new = next((v for k, v in edit.items() if words(k) and words(k)[0] in _EDIT_NEW and isinstance(v, str)), None)
        if old is None or new is None:
            return False
        pairs.append((old, new))
    for field, text in record.items():
        if isinstance(text, str):
            for old, new in pairs:
                if old and old in text:
                    text = text.replace(old, new, 1)
            record[field] = text
    return True


def _matches(record: Mapping[str, Any], args: Mapping[str, Any], res: Resource) -> bool:
    """Whether a record passes a list call's filters: equal fields, min_/max_ bounds, a query."""
    for name, value in args.items():
        key = field_key(name)
        if key in _PAGING or value is None:
            continue
        field = res.key if res.key and is_key_field(name, res) and res.key in record else find_field(record, name)
        if field is not None:
            if not _equal(record[field], value):
                return False
            continue
        parts = key.split("_")
        if len(parts) > 1 and parts[0] in ("min", "max", "from", "to", "since", "until", "before", "after") or parts[-1] in ("min", "max"):
            bound = "_".join(parts[1:] if parts[0] in ("min", "max", "from", "to", "since", "until", "before", "after") else parts[:-1])
            low = parts[0] in ("min", "from", "since", "after") or parts[-1] == "min"
            field = find_field(record, bound)
            if field is not None and not _within(record[field], value, low):
                return False
            continue
        if key in _QUERY and isinstance(value, str) and not _mentions(record, value.lower()):
            return False
    return True


def _equal(have: Any, want: Any) -> bool:
    if isinstance(want, list):
        return any(_equal(have, w) for w in want)
    if isinstance(have, list):
        return any(_equal(h, want) for h in have)
    if isinstance(have, str) and isinstance(want, str):
        return have.casefold() == want.casefold()
    return have == want or key_text(have) == key_text(want) and not isinstance(have, bool)


def _within(have: Any, bound: Any, low: bool) -> bool:
    try:
        return have >= bound if low else have <= bound
    except TypeError:
        return True


def _mentions(value: Any, needle: str) -> bool:
    if isinstance(value, str):
        return needle in value.lower()
    if isinstance(value, Mapping):
        return any(_mentions(v, needle) for v in value.values())
    if isinstance(value, list):
        return any(_mentions(v, needle) for v in value)
    return False


def _linked(record: Mapping[str, Any], keys: set[str | None], table: Mapping[str, Any], res: Resource) -> bool:
    """Whether ``record`` refers to one of ``keys`` (a value of it is one of those keys of ``res``):
    a relation is shown with either of the records it joins."""
    return any(isinstance(v, (str, int)) and key_text(v) in keys and key_text(v) in table for v in record.values())
