"""What is wrong with a call: the error kinds, the order they are listed in, and one problem."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

__all__ = ["KIND_ORDER", "KIND_RANK", "ArgumentProblem", "ErrorKind"]


class ErrorKind(str, enum.Enum):
    """What is wrong with a call: the paper's four error kinds, plus arguments that are no object."""

    TYPE = "type_error"
    MISSING = "missing_required"
    EXCESS = "excess_parameter"
    INVALID = "invalid_value"
    NOT_OBJECT = "arguments_not_object"


# The order problems are listed in, and the kind that names a call with several.
KIND_ORDER = (ErrorKind.NOT_OBJECT, ErrorKind.MISSING, ErrorKind.EXCESS, ErrorKind.TYPE, ErrorKind.INVALID)
KIND_RANK = {kind: rank for rank, kind in enumerate(KIND_ORDER)}


@dataclass(frozen=True)
class ArgumentProblem:
    """One thing wrong with a call's arguments.

    ``parameter`` is a dotted path such as ``items[0].sku`` ("" for the arguments as a whole);
    ``received`` is the offending value (truncated if huge) or None when it is missing.
    """

    kind: ErrorKind
    parameter: str
    message: str
    expected: Any
    received: Any

    def to_dict(self) -> dict[str, Any]:
        """The problem as one entry of an error response's ``details``."""
        return {
            "parameter": self.parameter,
            "kind": self.kind.value,
            "message": self.message,
            "expected": self.expected,
            "received": self.received,
        }
