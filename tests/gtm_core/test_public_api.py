"""The public surface of gtm_core is what __all__ says, and it all imports."""

from __future__ import annotations

import inspect
import subprocess
import sys

import gtm_core


def test_every_name_in_all_resolves():
    """Each exported name can be imported from gtm_core."""
    for name in gtm_core.__all__:
        assert getattr(gtm_core, name) is not None


def test_importing_gtm_core_needs_no_optional_extras():
    """gtm_core imports without torch, transformers, sentence-transformers or plotly."""
    code = (
        "import sys, gtm_core, gtm_core.cli.catalog; gtm_core.Catalog; gtm_core.validate_catalog;"
        "heavy = {'torch', 'transformers', 'sentence_transformers', 'plotly', 'sklearn', 'umap', 'mcp'};"
        "print(sorted(heavy & set(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_argument_checks_load_without_jsonschemas_slow_iri_grammar():
    """jsonschema is imported with rfc3987_syntax hidden (seconds of start-up), and stays usable."""
    code = (
        "import sys, gtm_core.checks as c;"
        "print('rfc3987_syntax' in sys.modules, c.check_arguments.__name__);"
        "import importlib.util; print(importlib.util.find_spec('rfc3987_syntax') is None or __import__('rfc3987_syntax') is not None)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "check_arguments", "True"]


def test_the_argument_checks_package_exports_exactly_its_public_names():
    """gtm_core.checks re-exports the checks it offered as one module (the error bodies moved to gtm_core.error_bodies), each defined in one of its submodules."""
    import gtm_core.checks as checks

    assert sorted(checks.__all__) == sorted(
        [
            "FORMAT_CHECKER",
            "SUPPORTED_FORMATS",
            "ArgumentProblem",
            "ErrorKind",
            "check_arguments",
            "check_parsed",
            "effective_schema",
            "parameter_path",
            "parse_arguments",
            "primary_kind",
        ]
    )
    for name in checks.__all__:
        value = getattr(checks, name)
        if inspect.isclass(value) or inspect.isfunction(value):
            assert value.__module__.startswith("gtm_core.checks."), (name, value.__module__)
