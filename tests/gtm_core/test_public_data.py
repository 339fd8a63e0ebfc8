"""The importers and validation on the real public training API catalog (GTM_DATA_DIR)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from gtm_core import Catalog, read_tools, validate_catalog
from gtm_core.cli import cli

pytestmark = pytest.mark.data


def test_every_training_api_row_imports(training_apis_path, tmp_path):
    """All ~10,000 rows of the training APIs import with no unreadable line, and reload equal."""
    result = read_tools(training_apis_path)
    assert result.problems == []
    assert len(result.specs) > 9000
    assert all(spec.parameters.get("type", "object") == "object" for spec in result.specs)
    out = tmp_path / "training.jsonl"
    cli_result = CliRunner().invoke(cli, ["catalog", "import", str(training_apis_path), "-o", str(out)])
    assert cli_result.exit_code == 0, cli_result.output
    assert Catalog.load(out, format="gtm").tools == result.specs


def test_loose_types_in_the_training_apis_are_normalized(training_apis_path):
    """After import no parameter keeps a loose type spelling such as 'str' or 'int'."""
    loose = {"str", "int", "float", "dict", "list", "bool"}
    catalog = Catalog.load(training_apis_path)
    found = [
        spec.name
        for spec in catalog
        for prop in spec.properties.values()
        if isinstance(prop, dict) and prop.get("type") in loose
    ]
    assert found == []


def test_validation_reports_the_known_problems_of_the_public_data(training_apis_path):
    """Validation finds illegal names (dots, spaces) and duplicates across sources, with origins."""
    catalog = Catalog.load(training_apis_path)
    problems = validate_catalog(catalog)
    codes = {p.code for p in problems}
    assert {"illegal-name", "duplicate-name"} <= codes
    assert all(p.origin and p.origin.startswith(str(training_apis_path)) for p in problems)


def test_stats_json_of_the_training_apis(training_apis_path):
    """stats --json counts every row and its fields."""
    result = CliRunner().invoke(cli, ["catalog", "stats", str(training_apis_path), "--json"])
    stats = json.loads(result.output)
    assert stats["tools"] > 9000 and stats["fields"] > 30
