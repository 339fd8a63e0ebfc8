"""One tool's entity operation, read from its spec alone, in the create/get/update/delete/list
vocabulary that CARG and the evaluator use; and the episode world, re-exported.

The simulator itself applies the resource model of the whole catalog
(``gtm_core.resources``: a tool's resource, key and operation judged beside the other tools
of its catalog). ``entity_operation(spec)`` is the same inference on the one tool, mapped onto
the five coarse kinds: a read is ``get``; transitions, moves and list-field edits are
``update``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .resources.inference import infer_resources
from .resources.world import UNKNOWN_KEY_RULES, EntityWorld
from .spec import ToolSpec

__all__ = ["UNKNOWN_KEY_RULES", "EntityOperation", "EntityWorld", "entity_operation"]

_COARSE = {"create": "create", "read": "get", "update": "update", "transition": "update", "move": "update",
           "add_items": "update", "remove_items": "update", "delete": "delete", "list": "list"}  # fmt: skip


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
    """The entity operation a tool performs, judged from its own spec, or None."""
    operation = infer_resources([spec]).operation(spec.name)
    if operation is None:
        return None
    kind = _COARSE[operation.kind]
    key = None if kind in ("create", "list") else operation.key_parameter
    if kind in ("get", "update", "delete") and key is None:
        return None
    return EntityOperation(kind, operation.resource, key)
