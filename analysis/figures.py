"""Plotly figures of the scope analysis: the 2-D map of the training APIs beside the market.

:func:`overlap_figure` draws one coloured point cloud per ``source`` (the training APIs and the
market), hover text with the server, tool and description of each point, density contours of
each side, and chosen tools highlighted with a star and their name. A plotly Figure shows itself
inline in Jupyter; :func:`write_html` writes it as a stand-alone page.
"""

from __future__ import annotations

import html
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

__all__ = ["COLORS", "hover_text", "overlap_figure", "write_html"]

# Colour of each side; other sources take the next colours of plotly's default cycle.
COLORS: dict[str, str] = {"training": "#1f77b4", "market": "#ff7f0e"}
_CYCLE = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
_ORDER = ("training", "market")
_REQUIRED = ("x", "y", "source")


def _text(value: Any) -> str:
    if value is None:
        return ""
    try:
        import pandas as pd

        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


def hover_text(server: Any, name: Any, description: Any, *, width: int = 80, limit: int = 320) -> str:
    """``<b>server</b> / name<br>description`` (HTML-escaped, wrapped, at most ``limit``
    characters of description)."""
    server, name, description = _text(server), _text(name), " ".join(_text(description).split())
    if len(description) > limit:
        description = description[: limit - 1] + "…"
    head = f"<b>{html.escape(server)}</b> / {html.escape(name)}" if server else f"<b>{html.escape(name)}</b>"
    body = "<br>".join(html.escape(line) for line in textwrap.wrap(description, width))
    return f"{head}<br>{body}" if body else head


def _hover_column(frame: pd.DataFrame) -> list[str]:
    servers = frame["server"] if "server" in frame else [None] * len(frame)
    names = frame["name"] if "name" in frame else [""] * len(frame)
    descriptions = frame["description"] if "description" in frame else [""] * len(frame)
    return [hover_text(s, n, d) for s, n, d in zip(servers, names, descriptions)]


def _sources(frame: pd.DataFrame) -> list[str]:
    present = [str(s) for s in frame["source"].dropna().unique()]
    return [s for s in _ORDER if s in present] + sorted(s for s in present if s not in _ORDER)


def _color(source: str, position: int, colors: Mapping[str, str] | None) -> str:
    if colors and source in colors:
        return colors[source]
    if source in COLORS:
        return COLORS[source]
    return _CYCLE[position % len(_CYCLE)]


def _highlighted(frame: pd.DataFrame, highlight: Any) -> pd.DataFrame:
    """The rows to highlight: names or ``server/name`` labels, a boolean mask, or a frame of
    extra points (``x``, ``y``, ``name``)."""
    import pandas as pd

    if highlight is None:
        return frame.iloc[0:0]
    if isinstance(highlight, pd.DataFrame):
        missing = [c for c in ("x", "y", "name") if c not in highlight]
        if missing:
            raise ValueError(f"a frame of points to highlight needs the columns x, y and name; missing {missing}")
        return highlight
    if isinstance(highlight, pd.Series) and highlight.dtype == bool:
        return frame[highlight.reindex(frame.index, fill_value=False)]
    if isinstance(highlight, str):
        highlight = [highlight]
    wanted = {str(h) for h in highlight}
    names = frame["name"].astype(str) if "name" in frame else pd.Series("", index=frame.index)
    servers = frame["server"].fillna("").astype(str) if "server" in frame else pd.Series("", index=frame.index)
    labels = servers + "/" + names
    return frame[names.isin(wanted) | labels.isin(wanted)]


def overlap_figure(
    frame: pd.DataFrame,
    *,
    highlight: Iterable[str] | pd.Series | pd.DataFrame | None = None,
    contours: bool = True,
    title: str | None = None,
    colors: Mapping[str, str] | None = None,
    marker_size: float = 4,
    opacity: float = 0.55,
    height: int = 700,
) -> go.Figure:
    """The overlap scatter of a 2-D map.

    ``frame`` has the columns ``x``, ``y``, ``source`` and, for the hover text, ``server``,
    ``name`` and ``description``. Each source is a trace named after it (``training`` in blue,
    ``market`` in orange), with its density contours when ``contours`` is set (lines in the same
    colour, ``<source> density``). ``highlight`` picks tools to mark with a star and label:
    names or ``server/name`` labels, a boolean mask over ``frame``, or a frame of extra points
    (``x``, ``y``, ``name``; e.g. your own tools placed on the map); they form the trace
    ``highlighted``.
    """
    import plotly.graph_objects as go

    missing = [c for c in _REQUIRED if c not in frame]
    if missing:
        raise ValueError(f"the frame needs the columns x, y and source; missing {missing}")
    fig = go.Figure()
    sources = _sources(frame)
    for position, source in enumerate(sources):
        part = frame[frame["source"].astype(str) == source]
        color = _color(source, position, colors)
        fig.add_trace(
            go.Scattergl(
                x=part["x"],
                y=part["y"],
                mode="markers",
                name=f"{source} ({len(part):,})",
                legendgroup=source,
                marker={"size": marker_size, "color": color, "opacity": opacity},
                hovertext=_hover_column(part),
                hovertemplate="%{hovertext}<extra>" + html.escape(source) + "</extra>",
                meta={"source": source},
            )
        )
    if contours:
        for position, source in enumerate(sources):
            part = frame[frame["source"].astype(str) == source]
            if len(part) < 3:
                continue
            color = _color(source, position, colors)
            fig.add_trace(
                go.Histogram2dContour(
                    x=part["x"],
                    y=part["y"],
                    name=f"{source} density",
                    legendgroup=source,
                    showlegend=False,
                    ncontours=8,
                    contours={"coloring": "none"},
                    line={"color": color, "width": 1},
                    opacity=0.8,
                    showscale=False,
                    hoverinfo="skip",
                    meta={"source": source, "density": True},
                )
            )
    chosen = _highlighted(frame, highlight)
    if len(chosen):
        labels = [_text(n) for n in chosen["name"]]
        fig.add_trace(
            go.Scatter(
                x=chosen["x"],
                y=chosen["y"],
                mode="markers+text",
                name="highlighted",
                text=labels,
                textposition="top center",
                textfont={"size": 13, "color": "black"},
                marker={"symbol": "star", "size": 16, "color": "#d62728", "line": {"color": "black", "width": 1}},
                hovertext=_hover_column(chosen),
                hovertemplate="%{hovertext}<extra>highlighted</extra>",
            )
        )
    fig.update_layout(
        title=title or "Training APIs and MCP market tools",
        template="plotly_white",
        height=height,
        legend={"itemsizing": "constant"},
        hoverlabel={"align": "left"},
        xaxis={"showticklabels": False, "title": None, "zeroline": False},
        yaxis={"showticklabels": False, "title": None, "zeroline": False},
    )
    return fig


def write_html(fig: go.Figure, path: str | Path, *, include_plotlyjs: bool | str = True) -> Path:
    """Write ``fig`` as a stand-alone HTML page (plotly.js included, so it opens offline;
    ``include_plotlyjs="cdn"`` makes a small file that loads it from the internet)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.write_html(str(path), include_plotlyjs=include_plotlyjs, full_html=True)
    return path
