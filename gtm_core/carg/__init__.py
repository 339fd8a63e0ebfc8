"""CARG: training data for a GTM, made by any engine as the teacher (paper section 4.2).

Stages, one module each, each reading and writing JSONL in one output folder:

1. ``taxonomy`` — seed fields expanded into new subfields;
2. ``tools``    — tool specs per subfield, validated and deduplicated (or ``--from-catalog``);
3. ``single``   — single-turn calls and responses, three validation levels, regeneration;
4. ``multi``    — multi-turn episodes over related tools (greedy association of embeddings);
5. ``errors``   — bad calls from the four error generators, with checked error messages.

Every teacher step is a call of a virtual tool through the ordinary Engine interface
(``teacher``), so the schema engine (offline, no model), a local model and any
OpenAI-compatible server all work; a judge (a language model: ``judging``, the same judge
``gtm eval`` uses) decides input/output coherence where one is given, deterministic checks
(``validation``) otherwise.

The output folder::

    config.json             the settings the folder was made with (a rerun must match them)
    taxonomy.jsonl          stage 1: one line per seed field, with the new subfields
    tools.generated.jsonl   stage 2: one line per subfield, the tools made and the drafts refused
    tools.jsonl             stage 2: the kept tools, a GTM catalog
    tools.dropped.jsonl     stage 2: every tool not kept, and why
    single.jsonl            stage 3: one line per attempt, with its checks and training record
    multi.jsonl             stage 4: one line per episode, its turns, checks and records
    errors.jsonl            stage 5: one line per error example, its checks and record
    train.jsonl             the training records of every passing example (chat format,
                            ``gtm_core.prompt.training_record``; what ``gtm train`` reads)
    summary.json            counts and pass rates per stage, engines, embedder, timings

Every stage is resumable: items have stable ids, a rerun skips the ones written and makes
the rest, so an interrupted run loses and duplicates nothing. The stages run in one loop
(``runner.run_stage``) that does this for each of them.
"""

from __future__ import annotations

from ..evaluation.judge import Judge
from .pipeline import STAGES, clear_outputs, format_summary, summarize, synthesize
from .store import OutputFolderError
from .teacher import Teacher, TeacherError
from .workspace import SynthSettings, Workspace

__all__ = [
    "STAGES",
    "Judge",
    "OutputFolderError",
    "SynthSettings",
    "Teacher",
    "TeacherError",
    "Workspace",
    "clear_outputs",
    "format_summary",
    "summarize",
    "synthesize",
]
