"""Packages export their public names lazily through one helper, gtm_core._lazy.lazy_exports."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest

from gtm_core._lazy import lazy_exports

PACKAGES = ["gtm_core", "gtm_core.evaluation", "gtm_core.training", "mcp_server"]


def _package(tmp_path, monkeypatch) -> types.ModuleType:
    """A throwaway package ``lazypkg`` with one submodule, exporting through lazy_exports."""
    root = tmp_path / "lazypkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        "from gtm_core._lazy import lazy_exports\n"
        "_EXPORTS = {'Thing': 'things'}\n"
        "__all__ = sorted(_EXPORTS)\n"
        "__getattr__, __dir__ = lazy_exports(globals(), _EXPORTS)\n",
        encoding="utf-8",
    )
    (root / "things.py").write_text("class Thing:\n    pass\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("lazypkg", "lazypkg.things"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import lazypkg

    return lazypkg


def test_a_name_is_imported_from_its_submodule_on_first_use_and_kept(tmp_path, monkeypatch):
    """Importing the package imports no submodule; the first lookup does, and stores the value in the package."""
    package = _package(tmp_path, monkeypatch)
    assert "lazypkg.things" not in sys.modules and "Thing" not in vars(package)
    thing = package.Thing
    assert thing is sys.modules["lazypkg.things"].Thing and vars(package)["Thing"] is thing


def test_an_unknown_name_raises_attribute_error_naming_the_package(tmp_path, monkeypatch):
    """A name outside the table is the usual AttributeError, which hasattr and getattr defaults rely on."""
    package = _package(tmp_path, monkeypatch)
    with pytest.raises(AttributeError, match="module 'lazypkg' has no attribute 'Nothing'"):
        package.Nothing  # noqa: B018
    assert getattr(package, "Nothing", None) is None


def test_dir_lists_the_lazy_names_before_they_are_imported(tmp_path, monkeypatch):
    """dir() shows every exported name (for completion) without importing anything."""
    package = _package(tmp_path, monkeypatch)
    assert "Thing" in dir(package) and "lazy_exports" in dir(package)
    assert "lazypkg.things" not in sys.modules


def test_lazy_exports_takes_any_table_and_names_the_package_it_serves():
    """The helper works from a namespace and a table alone."""
    namespace = {"__name__": "somewhere"}
    getattr_, dir_ = lazy_exports(namespace, {"JSONDecoder": "decoder"})
    with pytest.raises(ModuleNotFoundError):
        getattr_("JSONDecoder")  # "somewhere.decoder" does not exist: the import error is not hidden
    assert dir_() == ["JSONDecoder", "__name__"]


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_exports_through_the_helper_and_imports_no_submodule(package):
    """Each package's __all__ resolves, dir() lists it, and a bare import loads none of its own submodules."""
    code = (
        f"import sys, importlib; before = set(sys.modules); p = importlib.import_module({package!r});"
        f"own = sorted(m for m in set(sys.modules) - before if m.startswith({package!r} + '.'));"
        "print(own); print(all(n in dir(p) for n in p.__all__));"
        "print(all(getattr(p, n) is not None for n in p.__all__))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    own, listed, resolved = out.stdout.split("\n")[:3]
    assert own == ("['gtm_core._lazy']" if package == "gtm_core" else "[]")
    assert listed == "True" and resolved == "True"
