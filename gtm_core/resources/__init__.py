"""The resource model: which tools of a catalog make, read, change and delete which records.

- ``naming``: names in any style as words; singular and plural; the verb at either end.
- ``model``: the value types (Resource, Operation, Unplaced, ResourceModel).
- ``annotation``: ``x-gtm-resource`` in a tool's parameters states its operation (it wins).
- ``schemas``: where records sit in response schemas.
- ``inference``: ``infer_resources(specs)`` groups a catalog's tools into resources.
- ``world``: the records of one episode, kept by applying the model to every answer.
- ``snapshot``: the world as plain JSON, and the diff of two snapshots.
"""

from __future__ import annotations

from .annotation import ANNOTATION, Annotation, AnnotationError, read_annotation
from .inference import infer_resources, model_for
from .model import KINDS, Operation, Resource, ResourceModel, Unplaced

__all__ = [
    "ANNOTATION", "KINDS", "Annotation", "AnnotationError", "Operation", "Resource", "ResourceModel", "Unplaced",
    "infer_resources", "model_for", "read_annotation",
]  # fmt: skip
