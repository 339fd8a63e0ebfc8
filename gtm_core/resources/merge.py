"""Putting records and arguments into answers: field matching across naming styles, kept valid.

A record's ``subject`` fills an answer's ``Subject``; its key fills ``id``, ``ticketId`` or
``ticket_id``; a value only goes where the response schema accepts it (or, with no schema,
where it keeps the field's JSON type), so the world never makes an answer invalid.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from ..fake.conform import conforms
from .inference import key_core
from .model import Resource
from .naming import field_key, singular, words
from .schemas import WRAPPERS, object_properties, resource_of_field

__all__ = ["Place", "fits", "find_field", "is_key_field", "overlay", "record_places", "array_places", "shape_item"]


class Place:
    """A dict inside an answer, the schema properties that describe it, and the schema root."""

    __slots__ = ("value", "props", "root", "name")

    def __init__(self, value: dict[str, Any], props: Mapping[str, Any], root: Any, name: str = "") -> None:
        self.value, self.props, self.root, self.name = value, props, root, name


def fits(value: Any, current: Any, schema: Any, root: Any) -> bool:
    """Whether ``value`` may stand where the answer has ``current``, described by ``schema``."""
    if isinstance(schema, Mapping) and schema:
        return conforms(value, schema, root)
    if current is None:
        return True
    if isinstance(current, bool) or isinstance(value, bool):
        return isinstance(current, bool) and isinstance(value, bool)
    if isinstance(current, (int, float)):
        return isinstance(value, (int, float)) and (isinstance(value, int) or not isinstance(current, int) or float(value).is_integer())
    return isinstance(value, type(current)) or isinstance(current, type(value))


def is_key_field(name: str, resource: Resource) -> bool:
    """Whether a field holds the resource's key: for key ``ticket_id``: id, ticketId, ticket_id."""
    if resource.key is None:
        return False
    core = key_core(name, resource.name)
    return core is not None and core == key_core(resource.key, resource.name)


def find_field(record: Mapping[str, Any], name: str) -> str | None:
    """The record's field that ``name`` means in another naming style, or None."""
    if name in record:
        return name
    wanted = field_key(name)
    for field in record:
        if field_key(field) == wanted:
            return field
    return None


def overlay(place: Place, record: Mapping[str, Any], resource: Resource, *, depth: int = 0) -> None:
    """Write the record's values into the answer's dict wherever a field means the same."""
    target = place.value
    for name in list(target):
        sub = place.props.get(name) if isinstance(place.props, Mapping) else None
        if resource.key is not None and is_key_field(name, resource) and resource.key in record:
            value = record[resource.key]
        else:
            field = find_field(record, name)
            if field is None:
                continue
            value = record[field]
        if isinstance(target[name], dict) and isinstance(value, Mapping) and depth < 4:
            overlay(Place(target[name], object_properties(sub, place.root), place.root), value, resource, depth=depth + 1)
        elif fits(value, target[name], sub, place.root):
            target[name] = copy.deepcopy(value)


def flow(place: Place, arguments: Mapping[str, Any], skip: frozenset[str] = frozenset()) -> None:
    """Put argument values into the fields of a dict that have the argument's name (in any style)."""
    for name in list(place.value):
        field = find_field(arguments, name)
        if field is None or field in skip:
            continue
        value = arguments[field]
        sub = place.props.get(name) if isinstance(place.props, Mapping) else None
        if not isinstance(value, (dict, list)) and fits(value, place.value[name], sub, place.root):
            place.value[name] = copy.deepcopy(value)


def record_places(response: Any, schema: Any, resource: Resource) -> list[Place]:
    """The dicts of an answer that hold the record: the top, and objects named for it or a wrapper."""
    if not isinstance(response, dict):
        return []
    top = Place(response, object_properties(schema, schema), schema)
    places = [top]
    names = {resource.name, resource.name.split("_")[-1]}
    for name, value in response.items():
        if isinstance(value, dict) and (resource_of_field(name) in names or field_key(name) in WRAPPERS):
            places.append(Place(value, object_properties(top.props.get(name), schema), schema, name))
    return places


def array_places(response: Any, schema: Any) -> Iterator[tuple[Place, str, list[Any], Mapping[str, Any]]]:
    """(the dict holding it, field name, the array, its item properties) for every array of the
    answer's top level and of objects directly below it."""
    if not isinstance(response, dict):
        return
    top = Place(response, object_properties(schema, schema), schema)
    holders = [top] + [
        Place(v, object_properties(top.props.get(k), schema), schema, k) for k, v in response.items() if isinstance(v, dict)
    ]
    for holder in holders:
        for name, value in holder.value.items():
            if isinstance(value, list):
                sub = holder.props.get(name) if isinstance(holder.props, Mapping) else None
                items = sub.get("items") if isinstance(sub, Mapping) else None
                yield holder, name, value, object_properties(items, schema) if isinstance(items, Mapping) else {}


def names_resource(field: str, resource: Resource) -> bool:
    """Whether an array field's name says it holds ``resource`` records (tickets, supportTickets)."""
    return _names(field, resource.name)


@lru_cache(maxsize=32768)
def _names(field: str, resource: str) -> bool:
    held = resource_of_field(field)
    return held == resource or held == resource.split("_")[-1] or singular(words(field)[-1] if words(field) else "") == resource


def shape_item(record: Mapping[str, Any], template: Any, props: Mapping[str, Any], root: Any, resource: Resource) -> Any:
    """A record as an item of a list answer: the template's fields (the engine's own item, or
    the item schema's) filled from the record; a bare record where nothing says the shape."""
    if isinstance(template, dict) and template:
        item = copy.deepcopy(template)
        overlay(Place(item, props, root), record, resource)
        for name in props:  # fields the engine left out but the record has
            if name not in item:
                field = resource.key if resource.key and is_key_field(name, resource) and resource.key in record else find_field(record, name)
                if field is not None and fits(record[field], None, props[name], root):
                    item[name] = copy.deepcopy(record[field])
        return item
    if props:
        item = {}
        for name, sub in props.items():
            field = resource.key if resource.key and is_key_field(name, resource) and resource.key in record else find_field(record, name)
            if field is not None and fits(record[field], None, sub, root):
                item[name] = copy.deepcopy(record[field])
        return item
    return copy.deepcopy(dict(record))
