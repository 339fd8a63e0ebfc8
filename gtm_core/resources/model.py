"""The resource model's value types: resources, the operation of each tool, unplaced tools.

A *resource* is an entity type of a catalog (a ticket, a booking, a document) with its key
(the field that names one record: ``ticket_id``, ``booking_ref``, ``path``), its state field
(an enum such as ``status``) and the operations that tools perform on it. ``ResourceModel``
is what inference (``gtm_core.resources.inference``) makes of a whole catalog and what the
episode world applies; ``to_dict`` is its plain-JSON form (``gtm catalog resources --json``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "Operation", "Resource", "ResourceModel", "Unplaced"]

KINDS = ("create", "read", "update", "transition", "delete", "list", "move", "add_items", "remove_items")
"""Operation kinds: create, read, update, transition (set the state), delete, list (and
search, and bulk reads), move (change a record's key), add_items and remove_items (change
a list field of records, such as a note's tags)."""


@dataclass(frozen=True)
class Operation:
    """What one tool does to one resource.

    ``key_parameter`` is the argument that names the record (None for creates that mint a
    key, and for lists); ``batch`` names the array argument whose items are records (or
    keys) when a tool acts on many at once; ``to_state`` is where a transition leads;
    ``field`` is the record's list field that add_items / remove_items change; ``target_parameter`` is a
    move's new key. ``reason`` says how the operation was found; ``annotated`` whether an
    ``x-gtm-resource`` annotation stated it.
    """

    tool: str
    kind: str
    resource: str
    key_parameter: str | None = None
    batch: str | None = None
    to_state: str | None = None
    field: str | None = None
    target_parameter: str | None = None
    reason: str = ""
    annotated: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"tool": self.tool, "kind": self.kind, "resource": self.resource}
        for name in ("key_parameter", "batch", "to_state", "field", "target_parameter"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        out["reason"] = self.reason
        if self.annotated:
            out["annotated"] = True
        return out


@dataclass(frozen=True)
class Resource:
    """An entity type: its name (snake_case, singular), key, state field and tools.

    ``key_schema`` is the JSON schema of the key in the creator's response (new keys are
    minted in its shape); ``client_key`` says the caller chooses the key (a path, a name)
    rather than the service minting it. ``initial_state`` is the state enum's value that
    means new; ``states`` the enum (empty when the state field has none). ``list_fields`` are
    the record's list fields that tools add items to (a new record starts with them empty).
    """

    name: str
    key: str = "id"
    key_schema: Mapping[str, Any] | None = None
    client_key: bool = False
    state_field: str | None = None
    states: tuple[str, ...] = ()
    initial_state: str | None = None
    tools: tuple[str, ...] = ()
    list_fields: tuple[str, ...] = ()  # the record's list fields that add_items / remove_items change (empty when made)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "key": self.key, "client_key": self.client_key}
        if self.state_field is not None:
            out["state_field"] = self.state_field
            out["states"] = list(self.states)
            out["initial_state"] = self.initial_state
        out["tools"] = list(self.tools)
        return out


@dataclass(frozen=True)
class Unplaced:
    """A tool that looks stateful (its name has an operation verb) but has no place, and why
    (also: a tool that is no resource tool at all, and why: ``ResourceModel.not_resource``)."""

    tool: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"tool": self.tool, "reason": self.reason}


@dataclass
class ResourceModel:
    """The resources of a catalog, the operation of each placed tool, and the unplaced tools.

    ``not_resource`` holds the tools whose verb sounds stateful but that are no resource tool,
    with the reason (a read that takes no key, ``get_weather(city)``, computes an answer from its
    arguments rather than reading a record): not failures of inference, so not counted in
    ``placed_share``."""

    resources: dict[str, Resource] = field(default_factory=dict)
    operations: dict[str, Operation] = field(default_factory=dict)
    unplaced: list[Unplaced] = field(default_factory=list)
    not_resource: list[Unplaced] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.resources)

    def operation(self, tool: str) -> Operation | None:
        """The operation a tool performs, or None when it is no resource operation."""
        return self.operations.get(tool)

    def resource(self, name: str) -> Resource:
        return self.resources[name]

    def placed_share(self) -> float:
        """Placed tools over tools that look stateful (placed + unplaced); 1.0 when there are none."""
        total = len(self.operations) + len(self.unplaced)
        return len(self.operations) / total if total else 1.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "resources": [r.to_dict() for r in self.resources.values()],
            "operations": [o.to_dict() for o in self.operations.values()],
            "unplaced": [u.to_dict() for u in self.unplaced],
            "not_resource_tools": [u.to_dict() for u in self.not_resource],
        }
