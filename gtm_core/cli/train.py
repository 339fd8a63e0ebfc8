"""``gtm train``: fine-tune a model on GTM chat JSONL into a folder the transformers engine serves."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import click


def _targets(text: str | None) -> tuple[str, ...] | None:
    if not text:
        return None
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    return names or None


def _check_only(files: tuple[str, ...], as_json: bool) -> None:
    from ..training import read_examples

    examples = read_examples(files)
    per_file = Counter(e.origin.rsplit(":", 1)[0] for e in examples)
    turns = Counter(sum(1 for m in e.messages if m["role"] == "user") for e in examples)
    report = {"examples": len(examples), "files": dict(per_file), "calls_per_example": dict(sorted(turns.items()))}
    if as_json:
        click.echo(json.dumps(report, indent=2))
        return
    click.echo(f"{len(examples)} training examples, every line usable")
    for path, count in per_file.items():
        click.echo(f"  {path}: {count}")
    click.echo("  calls per example (the last one answered): " + ", ".join(f"{k}: {v}" for k, v in sorted(turns.items())))


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), metavar="DIR", help="Folder for the model, checkpoints and logs (required unless --check).")
@click.option("--model", default=None, metavar="PATH|ID", help="Base model: a model folder, a .gguf file or a hub id; default: the embedded SmolLM2-135M-Instruct.")
@click.option("--lora", is_flag=True, help="Train a LoRA adapter (peft) instead of every weight; the final model has it merged in.")
@click.option("--lora-r", type=click.IntRange(min=1), default=8, show_default=True, help="LoRA rank.")
@click.option("--lora-alpha", type=click.IntRange(min=1), default=16, show_default=True, help="LoRA scaling (alpha).")
@click.option("--lora-dropout", type=click.FloatRange(0, 1, max_open=True), default=0.05, show_default=True, help="Dropout on the LoRA path.")
@click.option("--lora-targets", default=None, metavar="NAMES", help="Comma-separated module names to adapt (e.g. q_proj,v_proj); default: every linear layer.")
@click.option("--epochs", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True, help="Passes over the data (a fraction is allowed).")
@click.option("--max-steps", type=click.IntRange(min=1), default=None, help="Stop after this many optimizer steps (overrides --epochs).")
@click.option("--batch-size", type=click.IntRange(min=1), default=4, show_default=True, help="Examples per forward pass.")
@click.option("--grad-accum", type=click.IntRange(min=1), default=1, show_default=True, help="Forward passes per optimizer step.")
@click.option("--lr", type=click.FloatRange(0, 1, min_open=True, max_open=True), default=None, help="Peak learning rate  [default: 2e-4 with --lora, else 2e-5]")
@click.option("--weight-decay", type=click.FloatRange(min=0), default=0.0, show_default=True, help="AdamW weight decay.")
@click.option("--warmup-ratio", type=click.FloatRange(0, 1, max_open=True), default=0.03, show_default=True, help="Share of steps spent warming the learning rate up (then it decays linearly).")
@click.option("--max-length", type=click.IntRange(min=8), default=1024, show_default=True, help="Tokens per example; longer answers are cut, longer prompts skipped.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the data order and the initialisation.")
@click.option("--save-steps", type=click.IntRange(min=1), default=None, help="Save a loadable, resumable checkpoint every N steps.")
@click.option("--save-total-limit", type=click.IntRange(min=1), default=2, show_default=True, help="Checkpoints kept (the oldest go first).")
@click.option("--log-steps", type=click.IntRange(min=1), default=1, show_default=True, help="Log loss and speed every N steps.")
@click.option("--bf16/--no-bf16", default=None, help="bf16 autocast  [default: where the CPU or GPU computes bf16 natively]")
@click.option("--device", default="auto", show_default=True, help="auto (a CUDA GPU when there is one), cpu, cuda or cuda:N.")
@click.option("--gradient-checkpointing", is_flag=True, help="Recompute activations in the backward pass: less memory, slower steps.")
@click.option("--resume-from", default=None, metavar="DIR|latest", help="Go on from a checkpoint folder, or the newest one in --out.")
@click.option("--check", "check_only", is_flag=True, help="Only read and check the training files (no model is loaded).")
@click.option("--json", "as_json", is_flag=True, help="Print the run's summary (or the --check report) as JSON.")
def train(
    files: tuple[str, ...],
    out: str | None,
    model: str | None,
    lora: bool,
    lora_r: int,
    lora_alpha: int,
    lora_dropout: float,
    lora_targets: str | None,
    epochs: float,
    max_steps: int | None,
    batch_size: int,
    grad_accum: int,
    lr: float | None,
    weight_decay: float,
    warmup_ratio: float,
    max_length: int,
    seed: int,
    save_steps: int | None,
    save_total_limit: int,
    log_steps: int,
    bf16: bool | None,
    device: str,
    gradient_checkpointing: bool,
    resume_from: str | None,
    check_only: bool,
    as_json: bool,
) -> None:
    """Fine-tune a model on the chat JSONL FILES (lines of gtm_core.prompt.training_record).

    Only the final assistant message of each line (the tool's answer) carries the loss. The
    final model in --out is served with `gtm simulate TOOL --engine transformers --model OUT`.
    Progress and loss go to stderr, and to OUT/train_log.jsonl.
    """
    if check_only:
        _check_only(files, as_json)
        return
    if not out:
        raise click.UsageError("--out DIR is required (where the model goes)")
    from ..training import TrainConfig
    from ..training import train as run_training

    try:
        config = TrainConfig(
            out=out, model=model, lora=lora, lora_r=lora_r, lora_alpha=lora_alpha, lora_dropout=lora_dropout,
            lora_targets=_targets(lora_targets), epochs=epochs, max_steps=max_steps, batch_size=batch_size,
            grad_accum=grad_accum, lr=lr, weight_decay=weight_decay, warmup_ratio=warmup_ratio, max_length=max_length,
            seed=seed, save_steps=save_steps, save_total_limit=save_total_limit, log_steps=log_steps, bf16=bf16,
            device=device, gradient_checkpointing=gradient_checkpointing, resume_from=resume_from,
        )  # fmt: skip
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    result = run_training(list(files), config, log=lambda text: click.echo(text, err=True))
    summary: dict[str, Any] = result.to_dict()
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    speed = ""
    if result.seconds_per_step is not None:
        speed = f", {result.seconds_per_step:.2f} s/step, {result.tokens_per_second or 0:.0f} tok/s"
    click.echo(f"trained {result.steps} steps on {result.examples} examples (final loss {result.final_loss}{speed})")
    click.echo(f"model: {result.out}   serve it: gtm simulate TOOL --engine transformers --model {result.out}")
