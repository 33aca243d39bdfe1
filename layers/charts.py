"""Vega-Lite specs for the atlas's bar charts (drawn by app.py with st.vega_lite_chart).

The spec stays the same whatever the filters, with the counts as its named dataset: a filter
change then only swaps the chart's data in the browser (a new spec re-builds the chart), and no
Altair chart is built and validated on every run, as st.bar_chart does.
"""

from __future__ import annotations

import pandas as pd

from layers.style import KIND_COLOURS


def bar_chart_spec(frame: pd.DataFrame, *, horizontal: bool = False) -> dict:
    """A stacked bar per index value of `frame`, one colour per kind (its columns)."""
    index = frame.index.name or "index"
    rows = frame.rename_axis(index).reset_index().melt(id_vars=index, var_name="kind", value_name="records")
    rows[index] = rows[index].astype(str)
    return {**_spec(index, horizontal), "data": {"name": "counts"}, "datasets": {"counts": rows}}


def _spec(index: str, horizontal: bool) -> dict:
    value = {"field": "records", "type": "quantitative", "title": "", "axis": {"grid": True, "tickMinStep": 1}}
    category = {"field": index, "type": "ordinal", "title": "", "axis": {"grid": False}}
    colour = {
        "field": "kind",
        "type": "nominal",
        "title": " ",
        "scale": {"domain": list(KIND_COLOURS), "range": list(KIND_COLOURS.values())},
        "legend": {"orient": "bottom", "offset": 5, "titlePadding": 5},
    }
    return {
        "mark": {"type": "bar"},
        "encoding": {
            "x": value if horizontal else category,
            "y": category if horizontal else value,
            "color": colour,
            "tooltip": [
                {"field": index, "type": "nominal"},
                {"field": "kind", "type": "nominal"},
                {"field": "records", "type": "quantitative"},
            ],
        },
        "params": [{"name": "zoom", "select": {"type": "interval", "encodings": ["x", "y"]}, "bind": "scales"}],
        "autosize": {"type": "fit", "contains": "padding"},
    }
