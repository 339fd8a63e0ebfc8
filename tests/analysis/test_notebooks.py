"""Each notebook in notebooks/ runs top to bottom (nbclient) on a sample of the public data, and
is committed with its outputs cleared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ["market_overlap", "is_it_simulatable", "simulator_from_python"]
SAMPLE = "800"  # tools per side: enough for every figure and table, quick on two cores


def _read(name):
    import nbformat

    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


@pytest.mark.parametrize("name", NAMES)
def test_each_notebook_is_committed_with_its_outputs_cleared_and_documents_how_to_run_it(name):
    notebook = _read(name)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    first = notebook.cells[0]
    assert first.cell_type == "markdown"
    assert "GTM_NOTEBOOK_SAMPLE" in first.source and "GTM_NOTEBOOK_FULL" in first.source and "GTM_DATA_DIR" in first.source


@pytest.mark.slow
@pytest.mark.data
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # jupyter_client / zmq notices in the test process
def test_each_notebook_runs_top_to_bottom_on_a_sample(name, training_apis_path, market_path, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("GTM_NOTEBOOK_SAMPLE", SAMPLE)
    monkeypatch.delenv("GTM_NOTEBOOK_FULL", raising=False)
    monkeypatch.setenv("GTM_NOTEBOOK_OUT", str(tmp_path))
    monkeypatch.setenv("GTM_DATA_DIR", str(training_apis_path.parent.parent))
    notebook = _read(name)
    client = NotebookClient(notebook, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) for o in outputs)
    if name == "market_overlap":
        assert any("application/vnd.plotly.v1+json" in o.get("data", {}) for o in outputs)
        assert list(tmp_path.glob("*.html"))
    if name == "is_it_simulatable":
        assert "every generic tool above every platform-bound one: True" in text
    if name == "simulator_from_python":
        assert "reproducible: True" in text and "calls," in text
    assert os.environ["GTM_NOTEBOOK_SAMPLE"] == SAMPLE
