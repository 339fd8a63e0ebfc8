"""Per-row decoding controls for one batch of ``model.generate``: JSON grammars, seeded sampling, budgets.

A batch mixes calls of different tools, temperatures, seeds and answer lengths, while
``generate`` decodes the batch as one. These pieces give each row its own rules:

- ``JsonGrammars`` compiles a JSON schema into an xgrammar grammar once (LRU by canonical
  JSON). A schema that does not compile is relaxed (keywords xgrammar cannot express, such as
  ``pattern``, are dropped), and if that fails too the row gets "any JSON object" — a grammar
  problem never fails a call.
- ``RowGrammars`` (a logits processor) keeps one xgrammar matcher per row: rows with a
  grammar may only take tokens it allows, a row whose grammar is complete may only end, and
  rows without a grammar are left alone. A matcher that fails mid-way frees its row instead
  of failing the batch.
- ``RowSampler`` (a logits processor, last in the list) samples each row with a temperature
  from its own ``torch.Generator`` seeded by the row's seed, then leaves only that token, so
  greedy ``generate`` takes it. A row's draws depend on its own seed, not on its neighbours.
- ``RowBudget`` (a stopping criterion) ends each row at its own ``max_tokens``.
"""

from __future__ import annotations

import collections
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import torch
from transformers import LogitsProcessor, StoppingCriteria

from ._schemas import ANY_OBJECT, RELAXED_KEYWORDS, canonical_schema, relax_schema
from .base import one_line

__all__ = ["ANY_OBJECT", "JsonGrammars", "RELAXED_KEYWORDS", "RowBudget", "RowGrammars", "RowSampler", "canonical_schema"]

logger = logging.getLogger(__name__)

MAX_SCHEMA_CHARS = 200_000
"""A schema longer than this (canonical JSON) is not compiled: its rows get ANY_OBJECT."""
DEFAULT_GRAMMAR_CACHE = 512
_SEED_MASK = 0xFFFF_FFFF_FFFF_FFFF  # torch.Generator takes 64-bit seeds


class JsonGrammars:
    """Compiled JSON-schema grammars for one tokenizer, cached; see the module's docstring.

    ``tokenizer`` is a Hugging Face tokenizer, or an ``xgrammar.TokenizerInfo`` already made;
    ``vocab_size`` is the width of the model's logits (it may exceed the tokenizer's
    vocabulary); ``stop_token_ids`` end an answer once its grammar is complete.
    """

    def __init__(self, tokenizer: Any, *, vocab_size: int, stop_token_ids: Sequence[int], cache_size: int = DEFAULT_GRAMMAR_CACHE) -> None:
        import xgrammar

        self._xgr = xgrammar
        if isinstance(tokenizer, xgrammar.TokenizerInfo):
            info = tokenizer
        else:
            info = xgrammar.TokenizerInfo.from_huggingface(tokenizer, vocab_size=vocab_size, stop_token_ids=list(stop_token_ids))
        self.vocab_size = vocab_size
        self.stop_token_ids = list(stop_token_ids)
        self._compiler = xgrammar.GrammarCompiler(info, max_threads=1, cache_enabled=False)
        self._cache: collections.OrderedDict[str, Any] = collections.OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.relaxed = 0  # schemas that compiled only once relaxed
        self.generic = 0  # schemas that fell back to ANY_OBJECT

    def compiled(self, schema: Mapping[str, Any]) -> Any:
        """The compiled grammar for ``schema`` (relaxed, or ANY_OBJECT, where it must be)."""
        key = canonical_schema(schema)
        with self._lock:
            grammar = self._cache.get(key)
            if grammar is not None:
                self._cache.move_to_end(key)
                return grammar
        grammar = self._compile(schema, key)
        with self._lock:
            self._cache[key] = grammar
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return grammar

    def matcher(self, schema: Mapping[str, Any]) -> Any:
        """A fresh matcher (one row's decoding state) for ``schema``."""
        return self._xgr.GrammarMatcher(self.compiled(schema))

    def allocate_bitmask(self, rows: int) -> torch.Tensor:
        """A token bitmask for ``rows`` rows of this vocabulary."""
        return self._xgr.allocate_token_bitmask(rows, self.vocab_size)

    def apply_bitmask(self, scores: torch.Tensor, bitmask: torch.Tensor, rows: list[int]) -> None:
        """Set the scores of tokens that ``bitmask`` forbids to -inf, in the given rows."""
        if scores.device.type == "cpu":
            self._xgr.apply_token_bitmask_inplace(scores, bitmask, vocab_size=self.vocab_size, indices=rows)
        else:
            self._xgr.apply_token_bitmask_inplace(scores, bitmask.to(scores.device), vocab_size=self.vocab_size, indices=rows)

    def _compile(self, schema: Mapping[str, Any], key: str) -> Any:
        if len(key) > MAX_SCHEMA_CHARS:
            logger.debug("a JSON schema of %d characters is too large to compile; any JSON object allowed", len(key))
            self.generic += 1
            return self._compile_text(canonical_schema(ANY_OBJECT))
        try:
            return self._compile_text(key)
        except Exception as exc:  # xgrammar raises RuntimeError, ValueError, ...
            first = exc
        try:
            grammar = self._compile_text(canonical_schema(relax_schema(schema)))
        except Exception as exc:
            logger.debug("a JSON schema did not compile (%s), nor relaxed (%s); any JSON object allowed", one_line(first), one_line(exc))
            self.generic += 1
            return self._compile_text(canonical_schema(ANY_OBJECT))
        logger.debug("a JSON schema compiled only without %s (%s)", ", ".join(sorted(RELAXED_KEYWORDS)), one_line(first))
        self.relaxed += 1
        return grammar

    def _compile_text(self, schema_json: str) -> Any:
        return self._compiler.compile_json_schema(schema_json, any_whitespace=False, strict_mode=True)


class RowGrammars(LogitsProcessor):
    """One grammar matcher per row of a batch (None: the row decodes freely).

    ``eos_token_id`` is forced on rows whose grammar is complete or broke down;
    ``pad_token_id`` is what ``generate`` appends to a row that stopped for another reason
    (its token budget), which ends that row's grammar quietly.
    """

    def __init__(self, grammars: JsonGrammars, matchers: Sequence[Any | None], *, eos_token_id: int, pad_token_id: int | None = None) -> None:
        self.grammars = grammars
        self.matchers: list[Any | None] = list(matchers)
        self.eos_token_id = eos_token_id
        self._ended = {eos_token_id, *grammars.stop_token_ids} | ({pad_token_id} if pad_token_id is not None else set())
        self.finished = [False] * len(self.matchers)
        self.failures = 0
        self._bitmask = grammars.allocate_bitmask(len(self.matchers))
        self._started = False

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self._started:
            self._accept(input_ids[:, -1].tolist())
        self._started = True
        rows: list[int] = []
        for row, matcher in enumerate(self.matchers):
            if matcher is None:
                continue
            if self.finished[row]:
                _force(scores, row, self.eos_token_id)
                continue
            try:
                matcher.fill_next_token_bitmask(self._bitmask, row)
            except Exception as exc:
                self._give_up(row, exc)
                continue
            rows.append(row)
        if rows:
            try:
                self.grammars.apply_bitmask(scores, self._bitmask, rows)
            except Exception as exc:
                for row in rows:
                    self._give_up(row, exc)
        return scores

    def _accept(self, tokens: list[int]) -> None:
        for row, matcher in enumerate(self.matchers):
            if matcher is None or self.finished[row]:
                continue
            try:
                accepted = matcher.accept_token(tokens[row])
            except Exception as exc:
                self._give_up(row, exc)
                continue
            if not accepted:
                if tokens[row] not in self._ended:  # not generate's padding: a token the mask forbade
                    logger.debug("row %d: the grammar refused token %d; the row ends here", row, tokens[row])
                    self.failures += 1
                self.finished[row] = True
            elif matcher.is_terminated():
                self.finished[row] = True

    def _give_up(self, row: int, exc: Exception) -> None:
        logger.debug("row %d: the grammar matcher failed (%s); the row decodes freely", row, one_line(exc))
        self.failures += 1
        self.matchers[row] = None


class RowSampler(LogitsProcessor):
    """Samples the rows with a temperature above 0, each from its own seeded generator.

    Greedy rows are left alone. Put it last: it samples from the scores that the processors
    before it (grammars) left.
    """

    def __init__(self, temperatures: Sequence[float], seeds: Sequence[int]) -> None:
        self.rows = [(row, float(t), int(seed) & _SEED_MASK) for row, (t, seed) in enumerate(zip(temperatures, seeds)) if t > 0]
        self._generators: dict[int, torch.Generator] = {}

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        for row, temperature, seed in self.rows:
            generator = self._generators.get(row)
            if generator is None:
                generator = self._generators[row] = torch.Generator(device=scores.device).manual_seed(seed)
            probs = torch.softmax(scores[row].float() / temperature, dim=-1)
            if not torch.isfinite(probs).all() or float(probs.sum()) <= 0:
                continue  # nothing to sample from (all tokens forbidden): leave it to argmax
            token = int(torch.multinomial(probs, 1, generator=generator))
            _force(scores, row, token)
        return scores


class RowBudget(StoppingCriteria):
    """Stops each row once it has ``budgets[row]`` new tokens (the prompt is ``prompt_length`` long)."""

    def __init__(self, prompt_length: int, budgets: Sequence[int]) -> None:
        self.prompt_length = prompt_length
        self.budgets = torch.tensor(list(budgets), dtype=torch.long)

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor, **kwargs: Any) -> torch.BoolTensor:
        made = input_ids.shape[1] - self.prompt_length
        return (self.budgets <= made).to(input_ids.device)


def _force(scores: torch.Tensor, row: int, token: int) -> None:
    """Leave ``token`` the only possible choice of ``row``."""
    scores[row].fill_(float("-inf"))
    scores[row, token] = 0.0
