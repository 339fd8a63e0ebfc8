"""Training input for gtm train: chat JSONL checked line by line, the loss only on the final answer."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gtm_core import ToolSpec
from gtm_core.cli import cli
from gtm_core.generation import HistoryItem
from gtm_core.prompt import training_record
from gtm_core.training import TrainConfig, TrainingDataError, encode_example, read_examples
from gtm_core.training.data import IGNORE_INDEX, TrainingExample

WEATHER = ToolSpec(
    "get_weather",
    "Current weather for a city.",
    parameters={"type": "object", "properties": {"city": {"type": "string"}}},
    required=["city"],
    response={"type": "object", "properties": {"city": {"type": "string"}, "humidity": {"type": "integer"}}, "required": ["city"]},
)


class CharTokenizer:
    """A tokenizer with a ChatML template whose tokens are characters (ids = code points)."""

    chat_template = "chatml"
    eos_token = "<|im_end|>"

    def apply_chat_template(self, messages, tokenize=False, add_generation_prompt=False):
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")

    def __call__(self, text, add_special_tokens=True):
        return {"input_ids": [ord(c) for c in text]}


def write_lines(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_lines_made_by_training_record_are_read_as_examples(tmp_path):
    """The prompt module's own training format is what gtm train reads, earlier turns included."""
    history = [HistoryItem("get_weather", {"city": "Oslo"}, {"city": "Oslo", "humidity": 40})]
    records = [
        training_record(WEATHER, {"city": "Rome"}, {"city": "Rome", "humidity": 55}),
        training_record(WEATHER, {"city": "Oslo"}, {"city": "Oslo", "humidity": 41}, history=history),
        training_record(WEATHER, {"city": "Atlantis"}, {"error": {"code": 404, "message": "no such city"}}, is_error=True),
    ]
    examples = read_examples([write_lines(tmp_path / "train.jsonl", records)])
    assert [e.origin.rsplit(":", 1)[1] for e in examples] == ["1", "2", "3"]
    assert examples[0].answer == '{"city": "Rome", "humidity": 55}'
    assert [m["role"] for m in examples[1].messages] == ["system", "user", "assistant", "user", "assistant"]


def test_recorded_proxy_lines_with_extra_keys_are_accepted_as_training_input(tmp_path):
    """Real responses recorded by the proxy (extra keys such as source=real) train like synthetic ones."""
    record = training_record(WEATHER, {"city": "Rome"}, {"city": "Rome", "humidity": 55},
                             source="real", server="weather-mcp", latency_ms=231.5, recorded_at="2026-11-25T06:00:00Z")  # fmt: skip
    path = write_lines(tmp_path / "real.jsonl", [record])
    result = CliRunner().invoke(cli, ["train", "--check", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 training examples" in result.output
    assert read_examples([path])[0].answer.startswith('{"city": "Rome"')


def test_bad_lines_are_reported_with_their_file_and_line(tmp_path):
    """Every unusable line is named as path:line with what is wrong, and nothing trains."""
    good = training_record(WEATHER, {"city": "Rome"}, {"city": "Rome"})
    no_answer = {"messages": good["messages"][:-1]}
    path = write_lines(tmp_path / "mixed.jsonl", [good, no_answer, {"prompt": "x", "completion": "y"}])
    with path.open("a", encoding="utf-8") as handle:
        handle.write("{not json\n")
    with pytest.raises(TrainingDataError) as caught:
        read_examples([path])
    message = str(caught.value)
    assert f"{path}:2: the last message must be the assistant's answer" in message
    assert f"{path}:3: 'messages' must be a list" in message
    assert f"{path}:4: not JSON" in message and "3 training line(s)" in message


def test_gtm_train_stops_on_bad_data_before_loading_any_model(tmp_path):
    """The CLI prints the file:line problem and exits non-zero; no model is needed to find it."""
    path = write_lines(tmp_path / "bad.jsonl", [{"messages": [{"role": "user", "content": "Call: x {}"}, {"role": "assistant", "content": ""}]}])
    result = CliRunner().invoke(cli, ["train", str(path), "--out", str(tmp_path / "out"), "--model", str(tmp_path / "no-model")])
    assert result.exit_code == 1
    assert f"{path}:1: the assistant's answer (the last message) is empty" in result.output
    assert not (tmp_path / "out").exists()


def test_only_the_final_answer_carries_the_loss():
    """Prompt tokens (system, earlier turns, the call) are masked; the answer and its end-of-turn are learned."""
    history = [HistoryItem("get_weather", {"city": "Oslo"}, {"city": "Oslo", "humidity": 40})]
    record = training_record(WEATHER, {"city": "Oslo"}, {"city": "Oslo", "humidity": 41}, history=history)
    example = TrainingExample(tuple(record["messages"]), "t:1")
    encoded = encode_example(CharTokenizer(), example, max_length=100_000)
    learned = "".join(chr(label) for label in encoded.labels if label != IGNORE_INDEX)
    assert learned == '{"city": "Oslo", "humidity": 41}<|im_end|>\n'
    prompt = "".join(chr(i) for i, label in zip(encoded.input_ids, encoded.labels) if label == IGNORE_INDEX)
    assert prompt.endswith("<|im_start|>assistant\n") and '"humidity":40}' in prompt


def test_a_prompt_that_fills_max_length_is_skipped_and_a_long_answer_is_cut():
    """Examples never lose their prompt: too long a prompt drops the example, too long an answer is cut."""
    record = training_record(WEATHER, {"city": "Oslo"}, {"city": "Oslo", "humidity": 41})
    example = TrainingExample(tuple(record["messages"]), "t:1")
    tokenizer = CharTokenizer()
    prompt_length = len(tokenizer.apply_chat_template(record["messages"][:-1], add_generation_prompt=True))
    assert encode_example(tokenizer, example, max_length=prompt_length) is None
    cut = encode_example(tokenizer, example, max_length=prompt_length + 5)
    assert cut.truncated and cut.answer_tokens == 5 and len(cut.input_ids) == prompt_length + 5


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [("batch_size", 0, "'batch_size' option of gtm train must be a positive integer"),
     ("epochs", 0, "'epochs' option of gtm train must be a number > 0"),
     ("lr", 2.0, "'lr' option of gtm train must be a learning rate in (0, 1)")],
)  # fmt: skip
def test_train_options_out_of_range_are_refused_naming_the_option(option, value, expected):
    """A bad option fails before anything loads, and says which option and what it got."""
    with pytest.raises(ValueError, match=None) as caught:
        TrainConfig(out="x", **{option: value})
    assert expected in str(caught.value) and repr(value) in str(caught.value)


def test_the_learning_rate_defaults_depend_on_lora():
    """LoRA trains a few weights with a larger step than a full fine-tune."""
    assert TrainConfig(out="x", lora=True).learning_rate == 2e-4
    assert TrainConfig(out="x").learning_rate == 2e-5
