"""Stage 1, taxonomy: seed fields expanded into new subfields by the teacher.

The seed is a taxonomy of fields and subfields: the shipped one (``catalog/taxonomy.json``)
or the (field, subfield) pairs of a given catalog (``--seed-catalog``). ``seed_fields`` fields
are drawn from it; for each, the teacher's ``expand_subfields`` is shown exemplar pairs of
other fields and the field's existing subfields, and proposes ``subfields_per_field`` new ones.

Output ``taxonomy.jsonl``, one line per seed field (its id is the field's name)::

    {"id": "Finance", "field": "Finance", "description": "...",
     "subfields": [{"name": "...", "description": "..."}], "existing": [...],
     "exemplars": [{"field", "subfield"}], "engine": "schema", "fallback": null, "problem": null}
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..catalog import Catalog, shipped_catalog_path
from ..errors import GTMError
from .runner import Round, run_stage
from .store import StageFile, item_seed
from .workspace import Workspace

__all__ = ["SeedField", "is_taxonomy_file", "run_taxonomy", "seed_taxonomy", "taxonomy_summary"]


@dataclass
class SeedField:
    """A field of the seed taxonomy and its known subfields ``(name, description)``."""

    name: str
    description: str = ""
    subfields: list[tuple[str, str]] = field(default_factory=list)


def _shipped_taxonomy() -> Path:
    path = shipped_catalog_path().parent / "taxonomy.json"
    if not path.is_file():
        raise GTMError(f"the shipped taxonomy {path} is missing; reinstall gtm-toolkit or pass --seed-catalog")
    return path


def _taxonomy_document(path: Path) -> dict[str, Any] | None:
    """The content of a taxonomy file (``{"fields": [...]}``), or None when ``path`` is something else."""
    if not (path.is_file() and path.suffix == ".json"):
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError:
        return None
    return data if isinstance(data, dict) and isinstance(data.get("fields"), list) else None


def is_taxonomy_file(path: str | Path) -> bool:
    """Whether ``path`` is a taxonomy file (like the shipped ``taxonomy.json``) rather than a catalog."""
    return _taxonomy_document(Path(path)) is not None


def seed_taxonomy(seed_catalog: str | Path | None = None) -> list[SeedField]:
    """The seed fields: from a taxonomy JSON file, a catalog's field/subfield pairs, or the shipped taxonomy."""
    path = Path(seed_catalog) if seed_catalog else _shipped_taxonomy()
    data = _taxonomy_document(path)
    if data is not None:
        out = []
        for entry in data["fields"]:
            if isinstance(entry, dict) and isinstance(entry.get("name"), str):
                subs = [(s["name"], str(s.get("description") or "")) for s in entry.get("subfields", [])
                        if isinstance(s, dict) and isinstance(s.get("name"), str)]  # fmt: skip
                out.append(SeedField(entry["name"], str(entry.get("description") or ""), subs))
        return out
    fields: dict[str, SeedField] = {}
    for spec in Catalog.load(path):
        if not spec.field:
            continue
        entry = fields.setdefault(spec.field, SeedField(spec.field))
        if spec.subfield and spec.subfield not in [s for s, _ in entry.subfields]:
            entry.subfields.append((spec.subfield, ""))
    if not fields:
        raise GTMError(f"{path} holds no fields to seed the taxonomy with (its tools have no 'field')")
    return list(fields.values())


def chosen_fields(ws: Workspace) -> list[SeedField]:
    """The seed fields of this run: ``seed_fields`` of them, drawn with the run's seed, in taxonomy order."""
    taxonomy = seed_taxonomy(ws.settings.seed_catalog)
    count = min(ws.settings.seed_fields, len(taxonomy))
    picked = sorted(random.Random(item_seed(ws.settings.seed, "seed-fields")).sample(range(len(taxonomy)), count))
    return [taxonomy[i] for i in picked]


def _clean_subfields(value: Any, existing: list[str], count: int) -> list[dict[str, str]]:
    seen = {name.casefold() for name in existing}
    out = []
    for entry in (value or {}).get("subfields", []) if isinstance(value, dict) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            continue
        name = " ".join(entry["name"].split())
        if not name or name.casefold() in seen:
            continue
        seen.add(name.casefold())
        out.append({"name": name, "description": " ".join(str(entry.get("description") or "").split())})
    return out[:count]


async def run_taxonomy(ws: Workspace) -> None:
    """Expand every chosen seed field not yet in taxonomy.jsonl (resumable)."""
    settings = ws.settings
    ws.guard("seed", "seed_catalog", "seed_fields", "subfields_per_field", "exemplars")
    taxonomy = seed_taxonomy(settings.seed_catalog)
    pairs = [(f.name, s) for f in taxonomy for s, _ in f.subfields]

    async def expand(batch: list[SeedField]) -> list[dict[str, Any]]:
        jobs = []
        for seed_field in batch:
            others = [p for p in pairs if p[0] != seed_field.name]
            rng = random.Random(item_seed(settings.seed, "taxonomy", seed_field.name))
            exemplars = rng.sample(others, min(settings.exemplars, len(others)))
            jobs.append({
                "field": seed_field.name,
                "field_description": seed_field.description,
                "exemplars": [{"field": f, "subfield": s} for f, s in exemplars],
                "existing": [s for s, _ in seed_field.subfields],
            })  # fmt: skip
        answers = await ws.teacher.expand_subfields(jobs, settings.subfields_per_field)
        items = []
        for seed_field, job, answer in zip(batch, jobs, answers):
            subfields = _clean_subfields(answer.value, job["existing"], settings.subfields_per_field)
            problem = answer.problem or (None if subfields else "the teacher proposed no new subfield")
            items.append({
                "id": seed_field.name, "field": seed_field.name, "description": seed_field.description,
                "subfields": subfields, "existing": job["existing"], "exemplars": job["exemplars"],
                "engine": answer.engine, "fallback": answer.fallback, "problem": problem,
            })  # fmt: skip
        return items

    fields = [(f.name, f) for f in chosen_fields(ws)]
    await run_stage(ws, "taxonomy", lambda store: [Round("taxonomy", fields)], expand)


def taxonomy_summary(ws: Workspace) -> dict[str, Any]:
    """Counts of the taxonomy stage, from taxonomy.jsonl."""
    path = ws.path("taxonomy")
    if not path.exists():
        return {"status": "not run"}
    items = list(StageFile(path))
    made = sum(len(i["subfields"]) for i in items)
    asked = len(items) * ws.settings.subfields_per_field
    return {
        "fields": len(items),
        "subfields": made,
        "asked": asked,
        "pass_rate": round(made / asked, 4) if asked else None,
        "fallbacks": sum(1 for i in items if i.get("fallback")),
        "problems": sum(1 for i in items if i.get("problem")),
    }
