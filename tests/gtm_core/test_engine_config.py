"""Choosing an engine: flags over environment over a TOML file, validated before anything loads."""

from __future__ import annotations

import pytest

from gtm_core.engines import UnknownEngineError
from gtm_core.engines.config import EngineConfigError, engine_options, parse_option, resolve_engine_config
from gtm_core.engines.schema import SchemaEngine


def test_no_choice_at_all_is_the_schema_engine():
    config = resolve_engine_config(environ={})
    assert config.name == "schema" and config.options == {}
    assert isinstance(config.build(), SchemaEngine)


def test_option_values_are_read_as_json_where_they_parse():
    assert parse_option("max_batch=16") == ("max_batch", 16)
    assert parse_option("constrain=false") == ("constrain", False)
    assert parse_option("base-url=http://127.0.0.1:8000/v1") == ("base_url", "http://127.0.0.1:8000/v1")
    with pytest.raises(EngineConfigError, match="KEY=VALUE"):
        parse_option("max_batch")


def test_a_toml_file_is_read_and_flags_override_it(tmp_path):
    path = tmp_path / "engine.toml"
    path.write_text('engine = "schema"\n[options]\noptional = 0.3\n')
    assert resolve_engine_config(config_file=path, environ={}).options == {"optional": 0.3}
    assert resolve_engine_config(options=["optional=0.9"], config_file=path, environ={}).options == {"optional": 0.9}


def test_the_environment_names_the_engine_and_the_config_file(tmp_path):
    path = tmp_path / "engine.toml"
    path.write_text("[options]\noptional = 0.1\n")
    config = resolve_engine_config(environ={"GTM_ENGINE": "schema", "GTM_ENGINE_CONFIG": str(path)})
    assert config.name == "schema" and config.options == {"optional": 0.1}


def test_an_unknown_option_names_the_ones_the_engine_accepts():
    with pytest.raises(EngineConfigError, match=r"unknown option colour for the schema engine; it accepts: optional"):
        resolve_engine_config(options=["colour=red"], environ={})


def test_a_model_for_an_engine_without_one_says_what_to_do():
    with pytest.raises(EngineConfigError, match="takes no model"):
        resolve_engine_config("schema", "some/model", environ={})


def test_an_unknown_engine_lists_the_registered_ones():
    with pytest.raises(UnknownEngineError, match="choose one of"):
        resolve_engine_config("gpt5", environ={})


@pytest.mark.parametrize("text", ['engine = [1', 'colour = "red"\n', 'options = 3\n', "engine = 3\n"])
def test_a_broken_config_file_says_what_is_wrong(tmp_path, text):
    path = tmp_path / "engine.toml"
    path.write_text(text)
    with pytest.raises(EngineConfigError, match="engine config"):
        resolve_engine_config(config_file=path, environ={})


def test_a_missing_config_file_is_a_clear_error(tmp_path):
    with pytest.raises(EngineConfigError, match="cannot read the engine config"):
        resolve_engine_config(config_file=tmp_path / "nope.toml", environ={})


def test_a_value_the_engine_refuses_is_reported_when_it_is_built():
    with pytest.raises(EngineConfigError, match="refused its options"):
        resolve_engine_config(options=["optional=7"], environ={}).build()


def test_the_options_of_an_engine_come_with_their_defaults():
    assert engine_options("schema") == {"optional": 0.8}
