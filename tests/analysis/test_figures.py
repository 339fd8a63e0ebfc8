"""The overlap figure: both sets as coloured traces, hover text, density contours, highlighted tools."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.figures import hover_text, overlap_figure, write_html


@pytest.fixture
def frame() -> pd.DataFrame:
    rows = []
    for i in range(30):
        rows.append({"x": i % 6, "y": i // 6, "source": "training", "server": None, "name": f"api_{i}", "description": f"Training API number {i}"})
        rows.append({"x": 10 + i % 5, "y": 3 + i // 5, "source": "market", "server": f"server-{i % 3}", "name": f"tool_{i}", "description": "Posts <b>bold</b> messages " * 3})
    return pd.DataFrame(rows)


def traces(fig, kind):
    return [t for t in fig.data if t.type == kind]


def test_the_two_sets_are_two_coloured_traces_named_with_their_sizes(frame):
    fig = overlap_figure(frame, contours=False)
    scatters = traces(fig, "scattergl")
    assert [t.name for t in scatters] == ["training (30)", "market (30)"]
    assert scatters[0].marker.color != scatters[1].marker.color
    assert len(scatters[0].x) == 30


def test_hover_text_shows_server_tool_and_an_escaped_description(frame):
    fig = overlap_figure(frame, contours=False)
    market = traces(fig, "scattergl")[1]
    first = market.hovertext[0]
    assert first.startswith("<b>server-0</b> / tool_0<br>Posts &lt;b&gt;bold&lt;/b&gt;")
    training = traces(fig, "scattergl")[0]
    assert training.hovertext[0].startswith("<b>api_0</b><br>Training API number 0")
    assert "%{hovertext}" in market.hovertemplate


def test_long_descriptions_are_wrapped_and_cut_in_the_hover_text():
    text = hover_text("s", "t", "word " * 200, width=40, limit=100)
    body = text.split("<br>", 1)[1]
    assert body.count("<br>") >= 2 and body.endswith("…") and len(body.replace("<br>", " ")) <= 100


def test_density_contours_are_drawn_for_each_set_unless_turned_off(frame):
    fig = overlap_figure(frame)
    contours = traces(fig, "histogram2dcontour")
    assert [t.name for t in contours] == ["training density", "market density"]
    assert contours[0].line.color == traces(fig, "scattergl")[0].marker.color
    assert traces(overlap_figure(frame, contours=False), "histogram2dcontour") == []


def test_chosen_tools_are_highlighted_and_labelled_by_name_or_server_label(frame):
    fig = overlap_figure(frame, highlight=["api_3", "server-1/tool_4"])
    (chosen,) = [t for t in fig.data if t.name == "highlighted"]
    assert list(chosen.text) == ["api_3", "tool_4"]
    assert chosen.mode == "markers+text" and chosen.marker.symbol == "star"
    assert list(chosen.x) == [3, 14]


def test_extra_points_can_be_highlighted_from_their_own_frame(frame):
    mine = pd.DataFrame({"x": [1.5], "y": [2.5], "name": ["my_tool"], "description": ["Mine"]})
    fig = overlap_figure(frame, highlight=mine)
    (chosen,) = [t for t in fig.data if t.name == "highlighted"]
    assert list(chosen.text) == ["my_tool"] and list(chosen.x) == [1.5]
    mask = frame["name"] == "api_0"
    (masked,) = [t for t in overlap_figure(frame, highlight=mask).data if t.name == "highlighted"]
    assert list(masked.text) == ["api_0"]


def test_a_frame_without_coordinates_is_refused(frame):
    with pytest.raises(ValueError, match="x, y and source"):
        overlap_figure(frame.drop(columns=["y"]))


def test_the_figure_is_written_as_a_standalone_html_page(frame, tmp_path):
    path = write_html(overlap_figure(frame, highlight=["api_1"]), tmp_path / "out" / "overlap.html")
    text = path.read_text(encoding="utf-8")
    assert path.exists() and "<html>" in text[:200] and "plotly" in text.lower()
    assert "api_1" in text


def test_the_figure_renders_itself_in_jupyter(frame, monkeypatch):
    import plotly.io as pio

    monkeypatch.setattr(pio.renderers, "default", "plotly_mimetype")  # what a Jupyter kernel picks
    bundle = overlap_figure(frame)._repr_mimebundle_()
    assert "application/vnd.plotly.v1+json" in bundle
