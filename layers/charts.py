"""Vega-Lite specs for the atlas's bar charts (drawn by app.py with st.vega_lite_chart).

The spec stays the same whatever the filters, with the counts as its named dataset: a filter
change then only swaps the chart's data in the browser (a new spec re-builds the chart), and no
Altair chart is built and validated on every run, as st.bar_chart does.

No zoom or pan on the charts: a wheel over a chart scrolled the page *and* zoomed the scale,
down to negative counts. Category bars are sorted, largest first, and labelled with their total;
the year chart has a true time axis (a gap is a year with nothing dated) and its colours say what
each year dates (founded, started, announced, reported). The legends' and tooltips' words are
the `tr` language's (geo.i18n; English by default): the kinds are renamed in the chart rows, so
colours still follow the canonical kind.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

from geo.i18n import DEFAULT, Translator, translator
from geo.join import YEAR_COLUMNS
from layers.style import KIND_COLOURS

TIP_FIELDS = ("sector", "year")  # index names with a word for the tooltip (geo.join's, geo.profile's frames)
# Lighter shades of the kind colours for the later bases: the kind stays recognisable.
YEAR_COLOURS = dict(
    zip(
        YEAR_COLUMNS,
        ("#d95f02", "#f28e4b", "#f8b98d", "#fbd9bf", "#7570b3", "#9c98ca", "#bfbcdd", "#dedcee"),
        strict=True,
    )
)


def bar_chart_spec(frame: pd.DataFrame, *, horizontal: bool = False, tr: Translator | None = None) -> dict:
    """A stacked bar per index value of `frame` (one colour per kind: its columns, "cluster" and
    "project"), sorted by total when horizontal, with the total written at the end of each bar."""
    tr = tr or translator(DEFAULT)
    index = frame.index.name or "index"
    labels = {kind: tr.t(f"kind.{kind}") for kind in KIND_COLOURS}
    rows = _rows(frame, index, labels)
    rows[index] = rows[index].astype(str)
    value = {"field": "records", "type": "quantitative", "title": "", "axis": {"grid": True, "tickMinStep": 1}}
    category = {"field": index, "type": "ordinal", "title": "", "axis": {"grid": False, "labelLimit": 220}}
    if horizontal:
        # an explicit order: a sort by an aggregate is dropped where the bar and total layers meet
        category["sort"] = frame.sum(axis=1).sort_values(ascending=False, kind="stable").index.astype(str).tolist()
    x, y = (value, category) if horizontal else (category, value)
    total = {
        "transform": [{"aggregate": [{"op": "sum", "field": "records", "as": "records"}], "groupby": [index]}],
        "mark": {"type": "text", "align": "left" if horizontal else "center", "dx": 4 if horizontal else 0,
                 "dy": 0 if horizontal else -8, "fontSize": 13},
        "encoding": {"text": {"field": "records", "type": "quantitative"}},
    }  # fmt: skip
    bars = {"mark": {"type": "bar"}, "encoding": {"color": _colour(KIND_COLOURS, labels), "tooltip": _tip(index, tr)}}
    return {**_chart(rows, [bars, total]), "encoding": {"x": x, "y": y}}  # both layers' axes, sent once


def year_chart_spec(frame: pd.DataFrame, tr: Translator | None = None) -> dict:
    """Records by known year on a time axis, stacked by kind and what the year dates
    (`frame` is geo.join.year_counts), worded in `tr`'s language (default English)."""
    tr = tr or translator(DEFAULT)
    labels = {column: tr.t(f"chart.year.{column.replace(' ', '.')}") for column in frame.columns}
    rows = _rows(frame, "year", labels)
    rows["year"] = rows["year"].astype(int)
    first, last = (int(rows["year"].min()), int(rows["year"].max())) if len(rows) else (0, 1)
    # A one-year bin per bar on a linear axis: a year with nothing dated is a visible gap.
    time = {"field": "year", "type": "quantitative", "bin": {"step": 1, "extent": [first, last + 1]}, "title": "",
            "axis": {"format": "d", "grid": False, "tickMinStep": 1, "labelFlush": False}}  # fmt: skip
    value = {"field": "records", "type": "quantitative", "title": "", "aggregate": "sum",
             "scale": {"domainMin": 0}, "axis": {"grid": True, "tickMinStep": 1}}  # fmt: skip
    colour = _colour({column: YEAR_COLOURS[column] for column in frame.columns}, labels)
    colour["legend"]["columns"] = 2
    bars = {"mark": {"type": "bar"}, "encoding": {"x": time, "y": value, "color": colour, "tooltip": _tip("year", tr)}}
    return _chart(rows[rows["records"] > 0], [bars])


def _rows(frame: pd.DataFrame, index: str, labels: dict[str, str]) -> pd.DataFrame:
    rows = frame.rename_axis(index).reset_index().melt(id_vars=index, var_name="kind", value_name="records")
    rows["kind"] = rows["kind"].map(labels)
    return rows


def _colour(colours: dict[str, str], labels: dict[str, str]) -> dict:
    """The colour of each canonical kind (`colours`), named by its label."""
    return {
        "field": "kind",
        "type": "nominal",
        "title": " ",
        "scale": {"domain": [labels[kind] for kind in colours], "range": list(colours.values())},
        "legend": {"orient": "bottom", "offset": 5, "titlePadding": 5, "labelLimit": 200},
    }


def _tip(index: str, tr: Translator) -> list[dict]:
    return [
        {"field": index, "type": "nominal", "title": tr.t(f"chart.tip.{index}") if index in TIP_FIELDS else index},
        {"field": "kind", "type": "nominal", "title": tr.t("chart.tip.what")},
        {"field": "records", "type": "quantitative", "title": tr.t("chart.tip.records")},
    ]


def _chart(rows: pd.DataFrame, layers: list[dict]) -> dict:
    return {
        "layer": layers,
        "data": {"name": "counts"},
        "datasets": {"counts": rows},
        "autosize": {"type": "fit", "contains": "padding"},
    }


# Compared states: ColorBrewer Set1 without its yellow (unreadable on white), one colour per state.
COMPARE_COLOURS = ("#e41a1c", "#377eb8", "#4daf4a", "#984ea3")


def compare_chart_spec(frame: pd.DataFrame) -> dict:
    """Grouped bars, one group per sector (index) and one bar per state (columns), on one scale."""
    rows = frame.rename_axis("sector").reset_index().melt(id_vars="sector", var_name="state", value_name="records")
    category = {"field": "sector", "type": "nominal", "title": "", "sort": list(frame.index),
                "axis": {"grid": False, "labelLimit": 220}}  # fmt: skip
    value = {"field": "records", "type": "quantitative", "title": "", "axis": {"grid": True, "tickMinStep": 1}}
    bars = {
        "mark": {"type": "bar"},
        "encoding": {
            "y": category,
            "yOffset": {"field": "state", "type": "nominal", "sort": list(frame.columns)},
            "x": value,
            "color": _states_colour(frame.columns),
            "tooltip": [{"field": "state"}, {"field": "sector"}, {"field": "records", "type": "quantitative"}],
        },
    }
    return _chart(rows, [bars])


def line_chart_spec(frame: pd.DataFrame) -> dict:
    """One line per state (columns) over the years (index); a missing value is a gap, never 0."""
    rows = frame.rename_axis("year").reset_index().melt(id_vars="year", var_name="state", value_name="value")
    rows["year"] = rows["year"].astype(int)
    rows["value"] = rows["value"].astype(float).round(1)
    lines = {
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "year", "type": "quantitative", "title": "", "axis": {"format": "d", "tickMinStep": 1},
                  "scale": {"domain": [int(rows["year"].min()), int(rows["year"].max())], "nice": False}},
            "y": {"field": "value", "type": "quantitative", "title": "", "axis": {"grid": True}},
            "color": _states_colour(frame.columns),
            "tooltip": [{"field": "state"}, {"field": "year"}, {"field": "value", "type": "quantitative",
                                                                 "format": ",.1f", "title": "US$ million"}],
        },
    }  # fmt: skip
    return _chart(rows.astype({"value": object}).where(rows.notna(), None), [lines])


def _states_colour(states) -> dict:
    states = list(states)
    return {
        "field": "state",
        "type": "nominal",
        "title": " ",
        "scale": {"domain": states, "range": list(COMPARE_COLOURS[: len(states)])},
        "legend": {"orient": "bottom"},
    }


# Presenter mode, dark (layers/static/atlas-present-dark.css): the page's near-black and light text.
# Streamlit draws its charts in the app's (light) theme, which CSS cannot reach inside Vega.
_INK, _RULE = "#f2f2f2", "#6b7785"
DARK_CONFIG = {
    "background": "#0b0d10",
    "axis": {"labelColor": _INK, "titleColor": _INK, "domainColor": _RULE, "tickColor": _RULE, "gridColor": "#2a3038"},
    "legend": {"labelColor": _INK, "titleColor": _INK},
    "title": {"color": _INK},
    "text": {"color": _INK},
}


def compact(spec: dict) -> dict:
    """`spec` as the page sends it (a new dict: specs are cached and shared): its rows as Arrow
    tables without pandas' schema metadata, which Streamlit would otherwise send with each chart
    (~700 bytes a chart, on every filter change; the charts name no index)."""
    tables = {
        name: pa.Table.from_pandas(rows, preserve_index=False).replace_schema_metadata(None)
        for name, rows in spec.get("datasets", {}).items()
    }
    return {**spec, "datasets": tables}


def on_dark(spec: dict) -> dict:
    """`spec` drawn on the dark presenter page (a new dict: specs are cached and shared)."""
    return {**spec, "config": {**spec.get("config", {}), **DARK_CONFIG}}
