"""Inference of the resource model from a whole catalog: ``infer_resources(specs)``.

1. Each tool's name gives a verb (at either end) and a noun; ``x-gtm-resource`` annotations
   are read first and always win.
2. Nouns group into resources: ``ticket`` joins ``support_ticket`` when it is the only longer
   noun ending so; a creator whose noun nothing else uses joins the resource its verb makes
   (``book_table`` -> booking) or the one its response names; a reader joins the resource its
   response holds (``open_nodes`` -> the ``entities`` it returns) or its key names
   (``check_order_status(order_id)`` -> order); a noun that is a list field of another
   resource's records makes add_items / remove_items on that resource (``add_observations``).
3. Each resource gets its key (what readers take and creators return, matched across naming
   styles: ``ticketId`` ~ ``ticket_id`` ~ ``id``), whether callers choose it (``path``), its
   state field and the enum value that means new.
4. Each tool gets its operation, or a place among the unplaced with the reason.
"""

from __future__ import annotations

import threading
import weakref
from collections import Counter, defaultdict
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from ..spec import ToolSpec
from . import naming
from .annotation import Annotation, AnnotationError, read_annotation
from .model import Operation, Resource, ResourceModel, Unplaced
from .naming import FILLER, KEY_WORDS, PREPOSITIONS, article, field_key, singular, words
from .schemas import array_fields, object_properties, record_schemas, resource_of_field, state_fields

__all__ = ["INITIAL_STATES", "infer_resources", "key_core", "model_for"]

INITIAL_STATES = ("new", "open", "opened", "pending", "draft", "created", "active", "todo", "to_do", "not_started",
                  "requested", "submitted", "scheduled", "confirmed", "booked", "reserved", "planned", "queued",
                  "received", "placed", "unpaid", "unread", "enabled", "available", "in_stock", "upcoming",
                  "waiting", "backlog", "proposed", "registered", "unverified", "label_created", "filed", "disabled", "inactive")  # fmt: skip
"""Enum values that may mean a record was just made, best first (the enum's own first value wins
when it is one of them: ``[disabled, enabled]`` starts disabled, ``[registered, confirmed]`` registered)."""

_MOVE_FROM = ("source", "src", "from", "old", "current", "origin")
_MOVE_TO = ("destination", "dest", "to", "target", "new")
_GENERIC_KEYS = ("id", "uuid", "guid", "path", "key", "ref", "reference", "slug", "code", "handle", "identifier", "name")


@dataclass
class _Tool:
    spec: ToolSpec
    verb: str
    noun: str  # snake_case singular
    plural: bool
    trailing: tuple[str, ...]
    annotation: Annotation | None
    group: str = ""
    reason: str = ""
    tentative: bool = False  # its verb is no known one: placed only if it names a state (end_rental -> ended)


@lru_cache(maxsize=65536)
def key_core(name: str, resource: str) -> tuple[str, ...] | None:
    """The words of a key field once the resource's own name is taken off: for resource
    ``support_ticket``, ``ticketId``, ``support_ticket_id`` and ``id`` all give ``("id",)``;
    None when ``name`` is no key field (``restaurant_id`` is a key, but of another resource,
    so it keeps its words: ``("restaurant", "id")``)."""
    parts = list(words(name))
    if not parts:
        return None
    parts[-1] = singular(parts[-1])
    if parts[-1] not in KEY_WORDS and parts[-1] != "name":
        return None
    own = resource.split("_")
    for prefix in (own, own[-1:], own[:1]):
        if len(parts) > len(prefix) and parts[: len(prefix)] == prefix:
            return tuple(parts[len(prefix):])
    return tuple(parts)


def _parse(spec: ToolSpec, annotation: Annotation | None) -> _Tool | None:
    parsed = naming.split_verb(spec.name)
    if parsed is None:
        if annotation is None:
            return None
        parsed = (annotation.operation or "", tuple(words(spec.name)), ())
    verb, noun_words, trailing = parsed
    cut = next((i for i, w in enumerate(noun_words) if w in PREPOSITIONS and any(v not in FILLER for v in noun_words[:i])), None)
    if cut is not None:  # list_directory_with_sizes: directories, listed with their sizes; get_orders_by_customer: orders
        noun_words = noun_words[:cut]
    noun = [w for w in noun_words if w not in FILLER] or [w for w in noun_words if w not in ("a", "an", "the", "my", "all")]  # batchStart: a batch
    while len(noun) > 1 and noun[-1] in KEY_WORDS:  # get_ticket_by_id
        noun.pop()
    plural = bool(noun) and naming.is_plural(noun[-1])
    if noun:
        noun[-1] = singular(noun[-1])
    if annotation is not None and annotation.resource:
        noun = list(words(annotation.resource))
    return _Tool(spec, verb, "_".join(noun), plural, trailing, annotation)


_MODELS: weakref.WeakKeyDictionary[Any, tuple[int, ResourceModel]] = weakref.WeakKeyDictionary()
_MODELS_LOCK = threading.Lock()


def model_for(catalog: Any) -> ResourceModel:
    """The resource model of a catalog object, inferred once and shared by every Simulator of it
    (inferred again when the catalog's length changes)."""
    with _MODELS_LOCK:
        entry = _MODELS.get(catalog)
        if entry is None or entry[0] != len(catalog):
            entry = _MODELS[catalog] = (len(catalog), infer_resources(catalog))
        return entry[1]


def infer_resources(specs: Iterable[ToolSpec]) -> ResourceModel:
    """The resource model of a catalog: resources, the operation of each tool, the unplaced."""
    tools: list[_Tool] = []
    unplaced: list[Unplaced] = []
    unknown_verbs: list[ToolSpec] = []
    for spec in specs:
        try:
            annotation = read_annotation(spec)
        except AnnotationError as exc:
            unplaced.append(Unplaced(spec.name, str(exc)))
            continue
        if annotation is not None and annotation.operation is None:
            continue  # stated: no resource operation
        tool = _parse(spec, annotation)
        if tool is None:
            unknown_verbs.append(spec)
            continue
        if not tool.noun:
            unplaced.append(Unplaced(spec.name, f"the verb {tool.verb!r} has no noun after it to say what it acts on"))
            continue
        tools.append(tool)
    _group(tools)
    groups: dict[str, list[_Tool]] = defaultdict(list)
    for tool in tools:
        groups[tool.group].append(tool)
    _rehome(tools, groups)
    for spec in unknown_verbs:  # harvest_plant_bed, endRental, Invoice Send: a verb of its own on a known resource
        tool = _tentative(spec, groups)
        if tool is not None:
            groups[tool.group].append(tool)
    model = ResourceModel(unplaced=unplaced)
    for name, members in groups.items():
        if not members:
            continue
        loose = _loose_keys(name, members)
        resource = _resource(name, members, loose)
        placed = []
        for tool in members:
            operation = _operation(tool, resource, members, loose)
            if isinstance(operation, Operation):
                model.operations[tool.spec.name] = operation
                placed.append(tool.spec.name)
            elif isinstance(operation, _NotResource):
                model.not_resource.append(Unplaced(tool.spec.name, str(operation)))
            elif not tool.tentative:
                model.unplaced.append(Unplaced(tool.spec.name, operation))
        if placed:
            fields = tuple(dict.fromkeys(model.operations[t].field for t in placed if model.operations[t].field))  # type: ignore[misc]
            initial = _initial_not_reached_by(resource, [model.operations[t] for t in placed], members)
            model.resources[name] = replace(resource, tools=tuple(placed), list_fields=fields, initial_state=initial)
    return model


def _initial_not_reached_by(resource: Resource, operations: list[Operation], members: list[_Tool]) -> str | None:
    """The initial state, unless a transition tool of the resource leads to it (``confirm`` makes
    ``confirmed``, so a new reservation is not confirmed yet): then the enum's first state that no
    transition leads to, as an API lists its lifecycle in order. An annotated initial state stays."""
    initial = resource.initial_state
    if initial is None or any(t.annotation is not None and t.annotation.initial_state for t in members):
        return initial
    reached = {op.to_state for op in operations if op.kind == "transition" and op.to_state is not None}
    if initial not in reached:
        return initial
    return next((state for state in resource.states if state not in reached), initial)


def _tentative(spec: ToolSpec, groups: Mapping[str, list[_Tool]]) -> _Tool | None:
    """A tool whose first (or last) word is no known verb, taken as one when the rest names a
    resource of the catalog; it is placed only if the verb names one of that resource's states."""
    parts = [w for w in words(spec.name) if not w.isdigit()]
    for verb, noun_words in ((parts[0], parts[1:]), (parts[-1], parts[:-1])) if len(parts) > 1 else ():
        noun = [w for w in noun_words if w not in FILLER] or list(noun_words)
        noun[-1] = singular(noun[-1])
        group = "_".join(noun)
        if groups.get(group):
            return _Tool(spec, verb, group, False, (), None, group, f"{verb!r} read as a verb on {group!r}", tentative=True)
    return None


# ---- grouping ----------------------------------------------------------------------------
def _group(tools: list[_Tool]) -> None:
    nouns = Counter(t.noun for t in tools)
    ending: dict[str, list[str]] = defaultdict(list)  # noun -> the longer nouns that end with it
    for noun in nouns:
        parts = noun.split("_")
        for start in range(1, len(parts)):
            ending["_".join(parts[start:])].append(noun)
    for tool in tools:
        longer = ending.get(tool.noun, [])
        if tool.annotation is None and len(longer) == 1 and nouns[longer[0]] >= nouns[tool.noun]:
            tool.group, tool.reason = longer[0], f"{tool.noun!r} taken as {longer[0]!r}, the one longer name ending so"
        else:
            tool.group = tool.noun


def _rehome(tools: list[_Tool], groups: dict[str, list[_Tool]]) -> None:
    """Move tools whose own noun names no resource of its own to the resource they act on.

    A group moves whole when its noun is a list field of another resource's records, or when
    it has no creator of its own (nothing makes a ``node``: ``open_nodes`` returns entities);
    a lone creator moves to the resource its verb makes or its response returns.
    """
    fields = _list_fields(groups)
    for name in list(groups):
        members = [t for t in groups[name] if t.annotation is None or not t.annotation.resource]
        if not members or len(members) != len(groups[name]):
            continue
        keyed = any(_key_param(t.spec, name) is not None and len(key_core(_key_param(t.spec, name) or "", name) or ()) < len(words(_key_param(t.spec, name) or "")) for t in members)
        creators = [t for t in members if _kind(t) == "create"]
        if name in fields and not keyed:
            target, reason = fields[name], f"{name!r} is a list field of {fields[name]!r} records"
        elif len(members) > 1 and creators:
            continue
        else:
            target, reason = _better_group(members[0], groups, fields) if len(members) == 1 else _shared_group(members, groups)
        if target is None or target == name or not groups.get(target):
            continue
        for tool in members:
            tool.group, tool.reason = target, reason
            groups[target].append(tool)
        groups[name] = []


def _kind(tool: _Tool) -> str | None:
    """The operation kind a tool's verb suggests, judging the key from any key-like parameter."""
    has_key = any(key_core(p, tool.noun) is not None for p in tool.spec.properties)
    meaning = naming.meaning(tool.verb, has_key=has_key)
    return meaning.kind if meaning is not None else None


def _shared_group(members: list[_Tool], groups: Mapping[str, list[_Tool]]) -> tuple[str | None, str]:
    """The resource that every member's response holds, when they agree on one."""
    found = {_better_group(t, groups, {})[0] for t in members}
    if len(found) == 1:
        target = found.pop()
        if target is not None:
            return target, f"their responses hold {target!r} records"
    return None, ""


def _better_group(tool: _Tool, groups: Mapping[str, list[_Tool]], fields: Mapping[str, str]) -> tuple[str | None, str]:
    others = _Others(groups, tool.group)
    creates = _kind(tool) == "create"
    parts = tool.noun.split("_")
    ending = [g for g in ("_".join(parts[i:]) for i in range(1, len(parts))) if g in others and len(groups[g]) > 1]
    if len(ending) == 1:
        return ending[0], f"{article(tool.noun)} {tool.noun!r} is a kind of {ending[0]!r}"
    made = naming.nominal(tool.verb)
    if creates and made in others:
        return made, f"the verb {tool.verb!r} makes {article(made)} {made!r}"
    response = tool.spec.response_schema
    for name, sub in object_properties(response).items():
        holds = resource_of_field(name)
        if holds in others and fields.get(holds) != tool.group and not _holds_plain_values(sub):  # a playlist's tracks: its own list field
            return holds, f"its response holds {name!r}"
        core = key_core(name, holds)
        if creates and core is not None and len(core) < len(words(name)):
            continue
    if not creates:
        for name in tool.spec.properties:
            parts = words(name)
            if len(parts) > 1 and singular(parts[-1]) in KEY_WORDS:
                owner = "_".join(parts[:-1])
                if owner in others:
                    return owner, f"its key parameter {name!r} names {article(owner)} {owner!r}"
    for name in object_properties(response):
        parts = words(name)
        if creates and len(parts) > 1 and parts[-1] in KEY_WORDS and "_".join(parts[:-1]) in others:
            return "_".join(parts[:-1]), f"its response returns {name!r}"
    return None, ""


def _holds_plain_values(schema: Any) -> bool:
    """Whether a field is an array of strings or numbers (names of things, not records)."""
    items = schema.get("items") if isinstance(schema, Mapping) and schema.get("type") == "array" else None
    return isinstance(items, Mapping) and items.get("type") in ("string", "integer", "number", "boolean")


class _Others:
    """The resources other than ``own`` that have tools (membership only, without copying the groups)."""

    def __init__(self, groups: Mapping[str, list[_Tool]], own: str) -> None:
        self.groups, self.own = groups, own

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name != self.own and bool(self.groups.get(name))


def _list_fields(groups: Mapping[str, list[_Tool]]) -> dict[str, str]:
    """Array fields of records (singular noun -> resource) from the creators' arguments and the
    record they return (a playlist's ``tracks``, a recipe's ``ingredients``)."""
    out: dict[str, str] = {}
    for name, members in groups.items():
        for tool in members:
            if _kind(tool) != "create":  # open_nodes(names) reads nodes: its entities are no list field of a node
                continue
            returned = [props for where, props in record_schemas(tool.spec.response_schema, name) if "[]" not in where]
            for props in [*_argument_records(tool.spec), *returned]:
                for field, sub in props.items():
                    if isinstance(sub, Mapping) and sub.get("type") == "array" and resource_of_field(field) != name:
                        out.setdefault(resource_of_field(field), name)
    return out


def _argument_records(spec: ToolSpec) -> Iterable[Mapping[str, Any]]:
    """The record shapes a tool's arguments carry: the arguments, and items of object arrays."""
    yield spec.properties
    for sub in spec.properties.values():
        if isinstance(sub, Mapping) and isinstance(sub.get("items"), Mapping):
            inner = object_properties(sub["items"], spec.parameters)
            if inner:
                yield inner


# ---- resources ---------------------------------------------------------------------------
def _resource(name: str, members: list[_Tool], loose: Container[str]) -> Resource:
    key, key_schema, client = _key(name, members, loose)
    state_field, states = _state(name, members)
    stated = next((t.annotation for t in members if t.annotation is not None and t.annotation.state_field), None)
    if stated is not None:
        state_field = stated.state_field
    initial = next((t.annotation.initial_state for t in members if t.annotation is not None and t.annotation.initial_state), None)
    if initial is None and states:
        lowered = {field_key(s): s for s in states}
        first = field_key(states[0])
        initial = states[0] if first in INITIAL_STATES else next((lowered[s] for s in INITIAL_STATES if s in lowered), states[0])
    return Resource(name, key, key_schema, client, state_field, states, initial)


def _key_param(spec: ToolSpec, resource: str, props: Mapping[str, Any] | None = None, loose: Container[str] | None = None) -> str | None:
    """The parameter (or field) of ``props`` that names a ``resource`` record, best first.

    Beside ``ticket_id`` and generic keys (``id``, ``path``), the one key-like field among
    ``loose`` (what the resource's creators return as their only key: see ``_loose_keys``) is
    taken: ``get_parcel(tracking_number)``, ``GetBin(sku)``; a tool's own parameter must be required."""
    own = props is None
    props = spec.properties if props is None else props
    best: tuple[int, str] | None = None
    for name, sub in props.items():
        core = key_core(name, resource)
        if core is None or isinstance(sub, Mapping) and sub.get("type") in ("array", "object"):
            continue
        whole = len(core) < len(words(name))  # it carried the resource's name: ticket_id
        if whole:
            rank = 0
        elif len(core) == 1 and core[0] in _GENERIC_KEYS:
            rank = 1 + _GENERIC_KEYS.index(core[0])
        else:
            continue
        if core[-1] == "name" and name not in spec.required and whole is False and len(props) > 1:
            continue
        if best is None or rank < best[0]:
            best = (rank, name)
    if best is None and loose:
        found = [name for name in _key_like(props) if field_key(name) in loose and (not own or name in spec.required)]
        if len(found) == 1:
            return found[0]
    return best[1] if best else None


def _key_like(props: Mapping[str, Any]) -> list[str]:
    return [name for name, sub in props.items() if naming.is_key_name(name) and name != "name"
            and not (isinstance(sub, Mapping) and sub.get("type") in ("array", "object"))]  # fmt: skip


def _loose_keys(name: str, members: list[_Tool]) -> frozenset[str]:
    """Key fields that carry no resource's name (``tracking_number``, ``sku``) which a creator
    returns as the one key-like field of a record that has no ``<resource>_id`` or ``id``."""
    out = set()
    for tool in members:
        meaning = naming.meaning(tool.verb, has_key=False)
        if meaning is None or meaning.kind != "create":
            continue
        for where, props in record_schemas(tool.spec.response_schema, name):
            found = _key_like(props)
            if "[]" not in where and _key_param(tool.spec, name, props) is None and len(found) == 1:
                out.add(field_key(found[0]))
    return frozenset(out)


def _batch(spec: ToolSpec, resource: str, key: str | None) -> tuple[str | None, bool]:
    """(the array parameter of a bulk call, whether its items are whole records rather than keys)."""
    for name, sub in spec.properties.items():
        if not isinstance(sub, Mapping) or sub.get("type") != "array":
            continue
        items = sub.get("items") if isinstance(sub.get("items"), Mapping) else {}
        if items.get("type") == "object" or object_properties(items, spec.parameters):
            inner = object_properties(items, spec.parameters)
            wanted = key_core(key, resource) if key is not None else None
            if resource_of_field(name) in (resource, resource.split("_")[-1]) or wanted is not None and any(key_core(f, resource) == wanted for f in inner):
                return name, True
        elif key is not None and key_core(name, resource) == key_core(key, resource):
            return name, False
    return None, False


def _key(name: str, members: list[_Tool], loose: Container[str]) -> tuple[str | None, Mapping[str, Any] | None, bool]:
    votes: Counter[str] = Counter()
    for tool in members:
        stated = tool.annotation.key if tool.annotation is not None else None
        if stated:
            votes[stated] += 100
            continue
        meaning = naming.meaning(tool.verb, has_key=False)
        if meaning is not None and meaning.kind in ("create", "list"):
            continue
        found = _key_param(tool.spec, name, loose=loose)
        if found is not None:
            votes[found] += 2 + (found in tool.spec.required)
        for param, sub in tool.spec.properties.items():  # a bulk call's keys: entityNames -> name
            items = sub.get("items") if isinstance(sub, Mapping) and sub.get("type") == "array" else None
            if isinstance(items, Mapping) and items.get("type") == "string":
                core = key_core(param, name)
                if core:
                    votes["_".join(core)] += 2
    key_schema: Mapping[str, Any] | None = None
    creators = [t for t in members if _kind(t) == "create"]
    for tool in creators:
        for _, props in record_schemas(tool.spec.response_schema, name):
            found = _key_param(tool.spec, name, props, loose)
            if found is not None:
                votes[found] += 1
                key_schema = key_schema or props.get(found)
    client = False
    if votes:
        core = key_core(votes.most_common(1)[0][0], name)
        client = any(key_core(p, name) == core for t in creators for props in _argument_records(t.spec) for p in props)
    else:  # no reader names the key: a creator's own key argument (directory_path, path), else minted
        for tool in creators:
            for props in _argument_records(tool.spec):
                found = _key_param(tool.spec, name, props)
                if found is not None and key_core(found, name) != ("name",):
                    votes[found] += 1
        client = bool(votes)
    if not votes:
        if creators and all(_batch(t.spec, name, None)[1] for t in creators):
            return None, None, False  # bulk-made records with no key field: known by all their fields
        return (f"{name}_id" if creators else None), None, False
    key = votes.most_common(1)[0][0]
    return key, key_schema, client


def _state(name: str, members: list[_Tool]) -> tuple[str | None, tuple[str, ...]]:
    found: dict[str, list[str]] = {}
    for tool in members:
        sources = [props for _, props in record_schemas(tool.spec.response_schema, name)]
        sources.append(tool.spec.properties)
        for props in sources:
            for field, values in state_fields(props, tool.spec.response_schema):
                found.setdefault(field, [])
                found[field].extend(v for v in values if v not in found[field])
    if not found:
        return None, ()
    best = max(found, key=lambda f: (bool(found[f]), field_key(f) in ("status", "state"), len(found[f])))
    return best, tuple(found[best])


# ---- operations --------------------------------------------------------------------------
def _operation(tool: _Tool, resource: Resource, members: list[_Tool], loose: Container[str]) -> Operation | str:
    spec, name = tool.spec, resource.name
    annotation = tool.annotation
    key_param = annotation.key if annotation is not None and annotation.key else _key_param(spec, name, loose=loose)
    if key_param is not None and resource.key is not None and key_core(key_param, name) != key_core(resource.key, name):
        key_param = None if annotation is None or not annotation.key else key_param
    batch, whole = _batch(spec, name, resource.key)
    if annotation is not None and annotation.batch:
        batch, whole = annotation.batch, _is_object_array(spec, annotation.batch)
    has_key = key_param is not None or (batch is not None and not whole)
    why = f"{tool.reason}; " if tool.reason else ""
    if annotation is not None and annotation.operation:
        return Operation(spec.name, annotation.operation, name, key_param, batch, annotation.to_state, annotation.field,
                         annotation.target, f"{why}stated by x-gtm-resource", True)  # fmt: skip
    if tool.verb == "mark":
        meaning = naming.VerbMeaning("mark", "transition", naming.mark_states(tool.trailing[0]) if tool.trailing else ())
    else:
        meaning = naming.meaning(tool.verb, has_key=has_key)
    reached = _participle_state(tool.verb, resource) if has_key and (meaning is None or meaning.kind == "update") else None
    if reached is not None:  # assign_shift(shift_id) where a shift can be "assigned": a transition
        meaning = naming.VerbMeaning(tool.verb, "transition", (reached,))
    if meaning is None:
        return f"the verb {tool.verb!r} has no known meaning on a resource"
    kind = meaning.kind
    label = f"{why}verb {tool.verb!r}"
    list_field = tool.reason.startswith(f"{tool.noun!r} is a list field")
    if tool.noun != name and kind in ("create", "update", "delete") and list_field:
        return Operation(spec.name, "remove_items" if kind == "delete" else "add_items", name, key_param, batch,
                         field=_list_field(spec, tool.noun), reason=f"{label} on the list field {tool.noun!r}")  # fmt: skip
    if kind == "read" and not has_key and (tool.plural or name in array_fields(spec.response_schema).values()):
        kind = "list"
    if kind == "list" or (kind == "read" and batch is not None and not whole):
        return Operation(spec.name, "list", name, None, batch if batch is not None and not whole else None,
                         reason=f"{label}: a list of {name} records" + (f", read by the keys in {batch!r}" if batch and not whole else ""))  # fmt: skip
    if kind == "create":
        client = key_param if resource.client_key else None
        if client:
            keyed = f", keyed by the caller's {client!r}"
        elif batch and whole and resource.client_key:
            keyed = f", keyed by each item's {resource.key!r}"
        else:
            keyed = ", known by all its fields" if resource.key is None else f", key {resource.key!r} minted"
        made = f"many {name} records" if batch and whole else f"{article(name)} {name}"
        return Operation(spec.name, "create", name, client, batch if whole else None, reason=f"{label}: makes {made}{keyed}")
    if kind == "move":
        source, target = _move_parameters(spec, key_param)
        if source is None or target is None:
            return f"{label} moves {article(name)} {name} but no pair of parameters says from where to where"
        return Operation(spec.name, "move", name, source, target_parameter=target, reason=f"{label}: {source!r} -> {target!r}")
    if kind == "delete" and batch is not None and whole:
        return Operation(spec.name, "delete", name, None, batch, reason=f"{label}: deletes the {name} records given whole in {batch!r}")
    if not has_key and kind == "read":
        return _NotResource(f"{label} reads, but takes no key of {article(name)} {name} ({resource.key or 'none found'}) among its parameters "
                            f"{sorted(spec.properties)}: an answer computed from its arguments, not a record")  # fmt: skip
    if not has_key:
        return f"{label} acts on one {name} but takes no key of it ({resource.key or 'none found'}) among its parameters {sorted(spec.properties)}"
    if kind == "transition":
        to_state = _to_state(meaning.states, resource, meaning.verb)
        if to_state is None:
            if meaning.verb == "cancel":
                return Operation(spec.name, "delete", name, key_param, batch, reason=f"{label}: cancel-as-delete ({name} has no state that means cancelled)")
            return f"{label}: no value of {resource.state_field!r} {list(resource.states)} means {meaning.states[:3]}"
        return Operation(spec.name, "transition", name, key_param, batch if not whole else None, to_state,
                         reason=f"{label}: {resource.state_field or 'status'} -> {to_state!r}")  # fmt: skip
    return Operation(spec.name, kind, name, key_param, batch, reason=f"{label}: {kind} {article(name)} {name} by {key_param or batch!r}")


class _NotResource(str):
    """Why a tool with a resource verb is no resource tool at all (a read that takes no key:
    ``get_weather(city)``), rather than one inference failed to place."""


def _is_object_array(spec: ToolSpec, name: str) -> bool:
    sub = spec.properties.get(name)
    return isinstance(sub, Mapping) and isinstance(sub.get("items"), Mapping) and sub["items"].get("type") == "object"


def _list_field(spec: ToolSpec, noun: str) -> str:
    for props in _argument_records(spec):
        for name in props:
            if resource_of_field(name) == noun:
                return name
    return noun


def _to_state(candidates: tuple[str, ...], resource: Resource, verb: str = "") -> str | None:
    if not resource.states:
        return candidates[0] if candidates and (resource.state_field is not None or candidates[0] != "cancelled") else None
    lowered = {field_key(s): s for s in resource.states}
    for candidate in candidates:
        if candidate in lowered:
            return lowered[candidate]
    if verb in _GOING_ON:  # resume a print job: the state of work going on ("printing", "processing")
        return next((s for k, s in lowered.items() if k.endswith("ing") and k not in _NOT_GOING_ON), None)
    return None


_IRREGULAR_PARTICIPLES = {"send": "sent", "pay": "paid", "hold": "held", "freeze": "frozen", "sell": "sold", "build": "built",
                          "begin": "begun", "take": "taken", "give": "given", "lay": "laid", "write": "written", "draw": "drawn"}  # fmt: skip
_GOING_ON = frozenset(["resume", "start", "restart", "unpause", "continue"])
_NOT_GOING_ON = frozenset(["pending", "waiting", "missing", "upcoming", "incoming", "outstanding", "pending_review"])


def _participle_state(verb: str, resource: Resource) -> str | None:
    """The state named by the verb's past participle, when the resource has it: assign -> assigned."""
    if not resource.states or len(verb) < 3 or "_" in verb:
        return None
    lowered = {field_key(s): s for s in resource.states}
    forms = (_IRREGULAR_PARTICIPLES.get(verb, verb + "ed"), verb + "ed", verb + "d", verb[:-1] + "ied", verb + verb[-1] + "ed")
    return next((lowered[f] for f in forms if f in lowered), None)


def _move_parameters(spec: ToolSpec, key_param: str | None) -> tuple[str | None, str | None]:
    source = target = None
    for name in spec.properties:
        first = words(name)[0] if words(name) else ""
        if source is None and first in _MOVE_FROM:
            source = name
        elif target is None and first in _MOVE_TO:
            target = name
    if source is None and key_param is not None and target is not None:
        source = key_param
    return source, target
