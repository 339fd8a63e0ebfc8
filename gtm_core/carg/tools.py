"""Stage 2, tools: tool specs per subfield from the teacher, validated and deduplicated.

For each subfield of ``taxonomy.jsonl`` the teacher's ``design_tools`` is shown exemplar
tools of other subfields and drafts ``tools_per_subfield`` tools, which become ToolSpecs
(``teacher.draft_to_spec``). A tool is kept when ``gtm_core.validate`` finds no error in it
(legal MCP name, valid schemas, every required parameter defined), when it is made of words
of its field (``wordcheck``: its name is words, and it shares a word with its field and
subfield), and when its name is not a near-duplicate of a kept one (``gtm_core.dedup``: cosine
similarity of names above 0.8).

``--from-catalog`` skips stages 1 and 2: the given tools are validated the same way (exact
repeats of a name dropped; similar names of real tools are kept) and, with ``max_tools``,
the first that many are used.

Output:
    tools.generated.jsonl   one line per subfield (resumable): the specs made and the drafts refused
    tools.jsonl             the kept tools: a GTM catalog (``gtm serve --catalog``, ``--from-catalog``)
    tools.dropped.jsonl     every tool not kept, with the reason
"""

from __future__ import annotations

import json
import random
from typing import Any

from ..catalog import Catalog
from ..dedup import deduplicate
from ..errors import GTMError, SpecError
from ..files import write_jsonl
from ..spec import ToolSpec
from ..validate import validate_spec
from .runner import Round, run_stage
from .store import StageFile, item_seed
from .taxonomy import is_taxonomy_file
from .teacher import draft_to_spec
from .wordcheck import field_text, word_problems
from .workspace import Workspace

__all__ = ["run_tools", "tools_from_catalog", "tools_summary"]


def _errors(spec: ToolSpec) -> list[str]:
    return [f"{p.message} [{p.code}]" for p in validate_spec(spec) if p.severity == "error"]


def _exemplar_pool(ws: Workspace) -> list[ToolSpec]:
    seed = ws.settings.seed_catalog
    if seed and not is_taxonomy_file(seed):
        return list(Catalog.load(seed))
    return list(Catalog.shipped())


def _summary_of(spec: ToolSpec) -> dict[str, Any]:
    return {"name": spec.name, "description": spec.description[:200], "parameters": list(spec.properties)[:8]}


async def run_tools(ws: Workspace) -> None:
    """Design the tools of every subfield not yet done, then write the kept catalog."""
    settings = ws.settings
    ws.guard("seed", "seed_catalog", "seed_fields", "subfields_per_field", "tools_per_subfield", "exemplars", "dedup_threshold")
    taxonomy_path = ws.path("taxonomy")
    if not taxonomy_path.exists():
        raise GTMError(f"{taxonomy_path} does not exist: make the taxonomy first (gtm synth run, or give --from-catalog)")
    jobs = []
    for entry in StageFile(taxonomy_path):
        for subfield in entry["subfields"]:
            jobs.append({
                "field": entry["field"], "subfield": subfield["name"], "subfield_description": subfield.get("description", ""),
                "field_description": entry.get("description", ""),
            })  # fmt: skip
    pool = _exemplar_pool(ws)
    source = f"carg:{ws.teacher.name}"

    async def design(batch: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for job in batch:
            others = [s for s in pool if (s.field, s.subfield) != (job["field"], job["subfield"])]
            rng = random.Random(item_seed(settings.seed, "tools", job["field"], job["subfield"]))
            job["exemplars"] = [_summary_of(s) for s in rng.sample(others, min(settings.exemplars, len(others)))]
        answers = await ws.teacher.design_tools(batch, settings.tools_per_subfield)
        items = []
        for job, answer in zip(batch, answers):
            specs, refused = [], []
            drafts = answer.value.get("tools", []) if isinstance(answer.value, dict) else []
            for draft in drafts[: settings.tools_per_subfield] if isinstance(drafts, list) else []:
                try:
                    spec = draft_to_spec(draft, field=job["field"], subfield=job["subfield"], source=source)
                except SpecError as exc:
                    refused.append({"draft": draft, "problems": [str(exc)]})
                    continue
                problems = _errors(spec) or word_problems(
                    spec, field_text(job["field"], job["subfield"], job.get("field_description"), job.get("subfield_description"))
                )
                if problems:
                    refused.append({"draft": draft, "problems": problems})
                else:
                    specs.append(spec.to_dict())
            items.append({
                "id": f"{job['field']}/{job['subfield']}", "field": job["field"], "subfield": job["subfield"],
                "tools": specs, "refused": refused, "asked": settings.tools_per_subfield,
                "engine": answer.engine, "fallback": answer.fallback, "problem": answer.problem,
            })  # fmt: skip
        return items

    store = await run_stage(ws, "tools_generated", lambda store: [Round("tools", [(f"{j['field']}/{j['subfield']}", j) for j in jobs])], design)
    order = {f"{job['field']}/{job['subfield']}": index for index, job in enumerate(jobs)}
    generated = sorted((i for i in store if i["id"] in order), key=lambda i: order[i["id"]])
    specs = [ToolSpec.from_dict(d) for item in generated for d in item["tools"]]
    dropped = [{"name": r["draft"].get("name") if isinstance(r["draft"], dict) else None, "reason": "invalid", "problems": r["problems"]}
               for item in generated for r in item["refused"]]  # fmt: skip
    kept, duplicates = deduplicate(specs, threshold=settings.dedup_threshold)
    dropped += [{"name": d.tool.name, "reason": "duplicate", "problems": [str(d)]} for d in duplicates]
    _write(ws, kept, dropped)


def tools_from_catalog(ws: Workspace) -> None:
    """Use the tools of ``from_catalog``: validated, exact repeats dropped, the first ``max_tools`` kept."""
    settings = ws.settings
    ws.guard("seed", "from_catalog", "max_tools", teacher=False)
    catalog = Catalog.load(*settings.from_catalog)
    kept: list[ToolSpec] = []
    dropped: list[dict[str, Any]] = [{"name": None, "reason": "unreadable", "problems": [str(p)]} for p in catalog.problems]
    names: set[str] = set()
    for spec in catalog:
        if settings.max_tools is not None and len(kept) >= settings.max_tools:
            break
        problems = _errors(spec)
        if spec.name in names:
            dropped.append({"name": spec.name, "reason": "duplicate", "problems": ["the same name as an earlier tool"]})
        elif problems:
            dropped.append({"name": spec.name, "reason": "invalid", "problems": problems})
        else:
            names.add(spec.name)
            kept.append(spec)
    if not kept:
        raise GTMError(f"no usable tool in {', '.join(settings.from_catalog)} ({len(dropped)} dropped); see gtm catalog validate")
    _write(ws, Catalog(kept), dropped)


def _write(ws: Workspace, kept: Catalog | list[ToolSpec], dropped: list[dict[str, Any]]) -> None:
    Catalog(list(kept)).save(ws.path("tools"))
    write_jsonl(dropped, ws.path("tools_dropped"))
    ws.forget_tools()


def tools_summary(ws: Workspace) -> dict[str, Any]:
    """Counts of the tools stage: asked, made, invalid, duplicates, kept."""
    if not ws.path("tools").exists():
        return {"status": "not run"}
    kept = len(ws.tools())
    reasons: dict[str, int] = {}
    path = ws.path("tools_dropped")
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                reason = json.loads(line).get("reason", "other")
                reasons[reason] = reasons.get(reason, 0) + 1
    out: dict[str, Any] = {"kept": kept, "dropped": reasons}
    if ws.settings.from_catalog:
        out["source"] = "catalog: " + ", ".join(ws.settings.from_catalog)
        out["read"] = kept + sum(reasons.values())
        out["pass_rate"] = round(kept / out["read"], 4) if out["read"] else None
        return out
    generated = list(StageFile(ws.path("tools_generated"))) if ws.path("tools_generated").exists() else []
    asked = sum(i["asked"] for i in generated)
    out.update({
        "source": f"teacher ({ws.teacher.name})",
        "subfields": len(generated),
        "asked": asked,
        "made": sum(len(i["tools"]) + len(i["refused"]) for i in generated),
        "fallbacks": sum(1 for i in generated if i.get("fallback")),
        "pass_rate": round(kept / asked, 4) if asked else None,
    })  # fmt: skip
    return out
