"""Training data for ``gtm train``: chat JSONL read, checked line by line, and tokenized with the loss mask.

A line is what ``gtm_core.prompt.training_record`` writes: ``{"messages": [...], "tool": ...,
"is_error": ...}`` plus any extra keys (``source``, ``scenario`` ...), which are ignored. The
messages are the engines' prompt — a system message, earlier calls as user/assistant turns,
the call as the last user message — and the tool's answer as the final assistant message.
Lines recorded from real tools (the proxy's ``"source": "real"``) have the same shape.

Tokenization renders the prompt with the model's chat template and a generation prompt, the
way an engine asks the model, and the answer as the rest of the rendered conversation (its
end-of-turn token included, so the model learns to stop). Only the answer's tokens carry a
loss; the prompt's labels are masked out.

This module needs no torch: a tokenizer is any object with ``apply_chat_template`` and
``__call__`` returning ``{"input_ids": [...]}`` (a transformers tokenizer).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import GTMError

__all__ = [
    "IGNORE_INDEX",
    "EncodedExample",
    "TrainingDataError",
    "TrainingExample",
    "encode_example",
    "fingerprint",
    "read_examples",
    "record_problem",
]

IGNORE_INDEX = -100
"""The label of tokens that carry no loss (the prompt, padding)."""

ROLES = ("system", "user", "assistant")
MAX_REPORTED_PROBLEMS = 10


class TrainingDataError(GTMError, ValueError):
    """Training lines that cannot be used; the message names each file and line."""


@dataclass(frozen=True)
class TrainingExample:
    """One conversation to learn from: the prompt messages and, last, the assistant's answer."""

    messages: tuple[Mapping[str, str], ...]
    origin: str  # "path:line"

    @property
    def prompt(self) -> list[dict[str, str]]:
        return [dict(m) for m in self.messages[:-1]]

    @property
    def answer(self) -> str:
        return self.messages[-1]["content"]


@dataclass(frozen=True)
class EncodedExample:
    """Token ids of one example and its labels (``IGNORE_INDEX`` on the prompt's tokens)."""

    input_ids: list[int]
    labels: list[int]
    origin: str
    truncated: bool = False

    @property
    def answer_tokens(self) -> int:
        return sum(1 for label in self.labels if label != IGNORE_INDEX)


def record_problem(record: Any) -> str | None:
    """What is wrong with one training line (already parsed), or None when it can be trained on."""
    if not isinstance(record, Mapping):
        return f"expected a JSON object with 'messages', got {type(record).__name__}"
    messages = record.get("messages")
    if not isinstance(messages, list):
        keys = ", ".join(sorted(map(str, record))) or "none"
        return f"'messages' must be a list of chat messages (keys found: {keys}); write lines with gtm_core.prompt.training_record"
    if len(messages) < 2:
        return f"'messages' needs at least a user message and the assistant's answer, got {len(messages)} message(s)"
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping):
            return f"messages[{index}] must be an object with 'role' and 'content', got {type(message).__name__}"
        role, content = message.get("role"), message.get("content")
        if role not in ROLES:
            return f"messages[{index}].role must be one of {', '.join(ROLES)}, got {role!r}"
        if not isinstance(content, str):
            return f"messages[{index}].content must be a string, got {type(content).__name__}"
        if role == "system" and index != 0:
            return f"messages[{index}] is a system message; only the first message may be one"
    if messages[-1]["role"] != "assistant":
        return f"the last message must be the assistant's answer (the loss is on it), got role {messages[-1]['role']!r}"
    if not messages[-1]["content"].strip():
        return "the assistant's answer (the last message) is empty"
    if not any(m["role"] == "user" for m in messages[:-1]):
        return "there is no user message (the call) before the answer"
    return None


def _lines(path: Path) -> Iterable[str]:
    if path.name.endswith(".gz"):
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            yield from fh
    else:
        with path.open(encoding="utf-8") as fh:
            yield from fh


def read_examples(paths: Sequence[str | Path]) -> list[TrainingExample]:
    """Every training line of the files (JSONL, optionally gzipped), checked.

    Blank lines are skipped. Bad lines raise one TrainingDataError that lists the first
    problems as ``path:line: what is wrong``.
    """
    if not paths:
        raise TrainingDataError("no training file given")
    examples: list[TrainingExample] = []
    problems: list[str] = []
    count = 0
    for raw_path in paths:
        path = Path(raw_path)
        if path.is_dir():
            raise TrainingDataError(f"{path}: is a folder; give the training JSONL files themselves")
        try:
            for number, line in enumerate(_lines(path), start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    problem: str | None = f"not JSON ({exc.msg} at column {exc.colno})"
                else:
                    problem = record_problem(record)
                if problem is not None:
                    count += 1
                    if len(problems) < MAX_REPORTED_PROBLEMS:
                        problems.append(f"{where}: {problem}")
                    continue
                messages = tuple({"role": m["role"], "content": m["content"]} for m in record["messages"])
                examples.append(TrainingExample(messages, where))
        except UnicodeDecodeError as exc:
            raise TrainingDataError(f"{path}: not UTF-8 text ({exc.reason})") from exc
        except (OSError, EOFError) as exc:  # missing file, broken gzip
            raise TrainingDataError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from exc
    if problems:
        more = f"\n(and {count - len(problems)} more)" if count > len(problems) else ""
        raise TrainingDataError(f"{count} training line(s) cannot be used:\n" + "\n".join(problems) + more)
    if not examples:
        raise TrainingDataError(f"no training lines in {', '.join(str(p) for p in paths)}")
    return examples


def fingerprint(examples: Sequence[TrainingExample]) -> str:
    """A digest of the examples in order (a resumed run must see the same data)."""
    digest = hashlib.blake2b(digest_size=12)
    for example in examples:
        digest.update(json.dumps(example.messages, ensure_ascii=False, sort_keys=True).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def render_prompt(tokenizer: Any, messages: Sequence[Mapping[str, str]]) -> str:
    """The prompt text as an engine gives it to the model: the chat template with a generation prompt."""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError("the tokenizer has no chat template (gtm train sets one for base models before encoding)")
    return tokenizer.apply_chat_template(list(messages), tokenize=False, add_generation_prompt=True)


def _answer_text(tokenizer: Any, messages: Sequence[Mapping[str, str]], prompt_text: str) -> str:
    """The rendered answer: what follows the prompt in the whole conversation (end-of-turn included)."""
    full = tokenizer.apply_chat_template(list(messages), tokenize=False)
    if full.startswith(prompt_text) and len(full) > len(prompt_text):
        return full[len(prompt_text):]
    return messages[-1]["content"] + (getattr(tokenizer, "eos_token", None) or "")  # a template that rewrites earlier turns


def encode_example(tokenizer: Any, example: TrainingExample, max_length: int) -> EncodedExample | None:
    """Token ids and labels of one example, or None when its prompt alone fills ``max_length``.

    The prompt and the answer are tokenized apart, so the prompt's tokens are exactly those an
    engine feeds the model; an answer longer than the room left is cut (``truncated``).
    """
    prompt_text = render_prompt(tokenizer, example.messages[:-1])
    answer_text = _answer_text(tokenizer, example.messages, prompt_text)
    prompt_ids = list(tokenizer(prompt_text, add_special_tokens=False)["input_ids"])
    answer_ids = list(tokenizer(answer_text, add_special_tokens=False)["input_ids"])
    room = max_length - len(prompt_ids)
    if room <= 0 or not answer_ids:
        return None
    truncated = len(answer_ids) > room
    answer_ids = answer_ids[:room]
    return EncodedExample(
        input_ids=prompt_ids + answer_ids,
        labels=[IGNORE_INDEX] * len(prompt_ids) + answer_ids,
        origin=example.origin,
        truncated=truncated,
    )
