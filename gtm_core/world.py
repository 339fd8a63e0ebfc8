"""The entity world of an episode: what create / get / update / delete / list calls imply.

A tool whose name is a verb and an entity (``create_order``, ``getTicket``,
``list_calendar_events``) operates on that entity. ``entity_operation`` reads the operation
from the spec alone, for any catalog; ``EntityWorld`` keeps the records of one episode and
merges them into responses, so an order created by one call is returned with the same
fields by a later get, changed by an update, gone after a delete, and present in lists.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .spec import ToolSpec

__all__ = ["EntityOperation", "EntityWorld", "entity_operation"]

_VERBS: dict[str, str] = {
    "create": "create", "add": "create", "new": "create", "register": "create", "insert": "create", "post": "create",
    "get": "get", "read": "get", "fetch": "get", "retrieve": "get", "show": "get", "view": "get", "describe": "get",
    "update": "update", "edit": "update", "modify": "update", "patch": "update", "change": "update",
    "delete": "delete", "remove": "delete", "destroy": "delete", "erase": "delete",
    "list": "list",
}  # fmt: skip
_WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


@dataclass(frozen=True)
class EntityOperation:
    """What a tool does to which entity: ``kind`` is create, get, update, delete or list."""

    kind: str
    entity: str  # snake_case singular, e.g. "calendar_event"
    id_parameter: str | None  # the argument naming the entity (get / update / delete)

    @property
    def id_field(self) -> str:
        """The field that holds the entity's id in records and responses."""
        return self.id_parameter or f"{self.entity}_id"


def entity_operation(spec: ToolSpec) -> EntityOperation | None:
    """The entity operation a tool performs, judged from its name and parameters, or None."""
    words = [w.lower() for w in _WORDS.findall(spec.name)]
    if len(words) < 2 or words[0] not in _VERBS:
        return None
    kind = _VERBS[words[0]]
    rest = words[1:]
    if kind == "list":
        rest = rest[:-1] + [_singular(rest[-1])]
    entity = "_".join(rest)
    id_parameter = _id_parameter(spec, entity, guess=kind in ("get", "update", "delete"))
    if kind in ("get", "update", "delete") and id_parameter is None:
        return None
    return EntityOperation(kind, entity, id_parameter)


def _id_parameter(spec: ToolSpec, entity: str, *, guess: bool) -> str | None:
    """The argument naming the entity; with ``guess``, the one required ``...id`` argument.

    Creates and lists never guess: their required ``...id`` arguments point at other
    entities (``create_reservation(restaurant_id)`` makes a reservation, not a restaurant).
    """
    names = list(spec.properties)
    camel = entity.split("_")[0] + "".join(w.title() for w in entity.split("_")[1:]) + "Id"
    for candidate in (f"{entity}_id", camel, "id"):
        if candidate in names:
            return candidate
    if not guess:
        return None
    id_like = [n for n in spec.required if n.lower().endswith("id")]
    return id_like[0] if len(id_like) == 1 else None


class EntityWorld:
    """The records of one episode, by entity type and id, with tombstones for deleted ones."""

    def __init__(self, *, max_records: int = 10_000) -> None:
        self.max_records = max_records
        self._records: dict[str, dict[str, dict[str, Any]]] = {}
        self._deleted: dict[str, set[str]] = {}
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def lookup(self, op: EntityOperation, arguments: Mapping[str, Any]) -> tuple[str | None, dict[str, Any] | None, bool]:
        """(id, current record or None, whether that id was deleted) for a get/update/delete."""
        entity_id = _as_id(arguments.get(op.id_parameter)) if op.id_parameter else None
        if entity_id is None:
            return None, None, False
        record = self._records.get(op.entity, {}).get(entity_id)
        deleted = entity_id in self._deleted.get(op.entity, set())
        return entity_id, copy.deepcopy(record) if record is not None else None, deleted

    def records(self, entity: str) -> list[dict[str, Any]]:
        """The live records of one entity type, oldest first."""
        return [copy.deepcopy(r) for r in self._records.get(entity, {}).values()]

    def apply(self, op: EntityOperation, arguments: Mapping[str, Any], response: Any) -> Any:
        """Record what the call did and return the response made consistent with the world."""
        if not isinstance(response, dict):
            return response
        if op.kind == "create":
            return self._create(op, arguments, response)
        if op.kind == "list":
            return self._list(op, arguments, response)
        entity_id, record, _ = self.lookup(op, arguments)
        if entity_id is None:
            return response
        if op.kind == "delete":
            self._forget(op.entity, entity_id)
            return response
        if op.kind == "update":
            record = {**(record or _fields_of(response, op)), **_writable(arguments, op)}
        elif record is None:  # first sight of an id: what the tool said about it becomes the truth
            record = _fields_of(response, op)
        record[op.id_field] = arguments[op.id_parameter]  # as sent: "42" and 42 stay what they were
        self._store(op.entity, entity_id, record)
        return _overlay(response, record)

    # ---- operations ------------------------------------------------------------------
    def _create(self, op: EntityOperation, arguments: Mapping[str, Any], response: dict[str, Any]) -> Any:
        # the new id may be spelled ticket_id, ticketId or id, whatever the create's parameters say
        names = (op.id_field, _camel(op.id_field), "id")
        entity_id = next((_as_id(response.get(name)) for name in names if _as_id(response.get(name)) is not None), None)
        if entity_id is None:
            return response
        record = {**_fields_of(response, op), **_writable(arguments, op)}
        if not any(name in record for name in names):
            record[op.id_field] = entity_id
        self._store(op.entity, entity_id, record)
        return _overlay(response, record)

    def _list(self, op: EntityOperation, arguments: Mapping[str, Any], response: dict[str, Any]) -> Any:
        key = _list_key(response, op.entity)
        live = self.records(op.entity)
        if key is None or not live:
            return response
        wanted = [r for r in live if _matches(r, arguments)]
        known = {str(r.get(op.id_field)) for r in wanted}
        others = [
            item
            for item in response[key]
            if not (isinstance(item, dict) and (str(item.get(op.id_field)) in known or _as_id(item.get(op.id_field)) in self._deleted.get(op.entity, set())))
        ]
        template = next((i for i in response[key] if isinstance(i, dict)), None)
        shaped = [_shape_like(r, template) for r in wanted]
        out = dict(response)
        out[key] = shaped + others[: max(0, len(response[key]) - len(shaped))]
        for total in ("total", "count", "total_count", "totalCount"):
            if isinstance(out.get(total), int) and not isinstance(out.get(total), bool):
                out[total] = max(out[total], len(out[key]))
        return out

    # ---- storage ---------------------------------------------------------------------
    def _store(self, entity: str, entity_id: str, record: dict[str, Any]) -> None:
        table = self._records.setdefault(entity, {})
        if entity_id not in table:
            if self._count >= self.max_records:
                return  # full: the episode stops remembering new entities
            self._count += 1
        table[entity_id] = record
        self._deleted.get(entity, set()).discard(entity_id)

    def _forget(self, entity: str, entity_id: str) -> None:
        if self._records.get(entity, {}).pop(entity_id, None) is not None:
            self._count -= 1
        self._deleted.setdefault(entity, set()).add(entity_id)


def _camel(name: str) -> str:
    """``ticket_id`` -> ``ticketId``."""
    head, *rest = name.split("_")
    return head + "".join(word.title() for word in rest)


def _as_id(value: Any) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
        return None
    return str(value)


def _writable(arguments: Mapping[str, Any], op: EntityOperation) -> dict[str, Any]:
    return {k: copy.deepcopy(v) for k, v in arguments.items() if k != op.id_parameter}


def _fields_of(response: dict[str, Any], op: EntityOperation) -> dict[str, Any]:
    """The entity's fields in a response: the response itself, or its one nested record."""
    nested = response.get(op.entity)
    return copy.deepcopy(nested if isinstance(nested, dict) else response)


def _overlay(response: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The response with the record's values wherever the response has the same field."""
    out = dict(response)
    for key, value in record.items():
        if key in out and not isinstance(out[key], dict) and _same_kind(out[key], value):
            out[key] = copy.deepcopy(value)
        elif key in out and isinstance(out[key], dict) and isinstance(value, dict):
            out[key] = _overlay(out[key], value)
    return out


def _shape_like(record: dict[str, Any], template: dict[str, Any] | None) -> dict[str, Any]:
    if template is None:
        return record
    return {k: copy.deepcopy(record[k] if k in record and _same_kind(v, record[k]) else v) for k, v in template.items()}


def _same_kind(current: Any, new: Any) -> bool:
    """Whether ``new`` can stand where the answer has ``current`` without changing its JSON type."""
    if current is None:
        return True
    if isinstance(current, bool) or isinstance(new, bool):
        return isinstance(current, bool) and isinstance(new, bool)
    if isinstance(current, int):
        return isinstance(new, int)
    if isinstance(current, float):
        return isinstance(new, (int, float))
    return isinstance(new, type(current)) or isinstance(current, type(new))


def _list_key(response: dict[str, Any], entity: str) -> str | None:
    """The array in a list response that holds the entities."""
    candidates = [k for k, v in response.items() if isinstance(v, list)]
    for name in (f"{entity}s", f"{entity}es", entity[:-1] + "ies" if entity.endswith("y") else "", "items", "results", "data"):
        if name in candidates:
            return name
    return candidates[0] if len(candidates) == 1 else None


def _matches(record: dict[str, Any], arguments: Mapping[str, Any]) -> bool:
    """Whether a record passes the equality filters among a list call's arguments."""
    for key, value in arguments.items():
        if key in record and not isinstance(value, (dict, list)) and record[key] != value:
            return False
    return True
