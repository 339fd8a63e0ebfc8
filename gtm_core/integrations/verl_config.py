"""``gtm integrations verl-config``: the tool YAML verl's ``tool_config_path`` reads, for a catalog or a selection.

    tools:
      - class_name: gtm_core.integrations.verl.GTMTool
        config: {type: native, tool: get_order, catalog: /abs/catalog.jsonl, engine: schema, seed: 0}
        tool_schema: {type: function, function: {name: get_order, description: ..., parameters: ...}}

Writing it needs no verl; loading it (verl's ``initialize_tools_from_config``) does.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ..catalog import Catalog
from ..convert import spec_to_openai
from ..spec import ToolSpec

__all__ = ["GTM_TOOL_CLASS", "verl_tool_config", "verl_tool_schema"]

GTM_TOOL_CLASS = "gtm_core.integrations.verl.GTMTool"


def verl_tool_config(
    catalog: Catalog,
    *,
    catalog_path: str | None = None,
    tools: Sequence[str] = (),
    options: Mapping[str, Any] | None = None,
) -> str:
    """The YAML text: one GTMTool per tool of ``catalog`` whose name matches a glob of ``tools`` (all when empty).

    ``catalog_path`` is written as an absolute path (None: the shipped catalog); ``options`` are
    more config keys for every tool (``engine``, ``seed``, ``server_url``, ``token_env``, ``reward``).
    """
    chosen = catalog.filter(names=list(tools)) if tools else catalog
    if not len(chosen):
        raise ValueError(f"no tool of the catalog matches {' '.join(tools)}")
    base: dict[str, Any] = {"type": "native"}
    if catalog_path is not None:
        base["catalog"] = os.path.abspath(catalog_path)
    base.update({k: v for k, v in (options or {}).items() if v is not None})
    entries = [{"class_name": GTM_TOOL_CLASS, "config": {**base, "tool": spec.name}, "tool_schema": verl_tool_schema(spec)} for spec in chosen]
    return yaml.safe_dump({"tools": entries}, sort_keys=False, allow_unicode=True)


_VERL_PROPERTY_KEYS = ("type", "description", "enum")


def verl_tool_schema(spec: ToolSpec) -> dict[str, Any]:
    """An OpenAI tool in the shape verl's schema model accepts: every property has a ``type``.

    verl keeps only ``type``, ``description`` and ``enum`` of each parameter; the full schema
    stays with the simulator, which checks every call against it.
    """
    function = spec_to_openai(spec, wrapped=False)
    parameters = function.get("parameters") or {}
    properties = {}
    for name, schema in (parameters.get("properties") or {}).items():
        schema = schema if isinstance(schema, dict) else {}
        kept = {k: schema[k] for k in _VERL_PROPERTY_KEYS if k in schema}
        if "type" not in kept:
            types = [s.get("type") for s in schema.get("anyOf", schema.get("oneOf", [])) if isinstance(s, dict) and isinstance(s.get("type"), str)]
            kept["type"] = types if len(types) > 1 else (types[0] if types else "string")
        properties[name] = kept
    function["parameters"] = {"type": "object", "properties": properties, "required": list(parameters.get("required") or [])}
    function["description"] = function.get("description") or function["name"]
    return {"type": "function", "function": function}
