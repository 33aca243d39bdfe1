"""The bar charts' specs: sorted and labelled bars, no zoom, a true time axis for years."""

import json

import pandas as pd
import pytest

from geo.i18n import translator
from layers.charts import DARK_CONFIG, YEAR_COLOURS, bar_chart_spec, compact, on_dark, year_chart_spec
from layers.style import KIND_COLOURS


def _walk(spec):
    yield spec
    for value in spec.values() if isinstance(spec, dict) else spec if isinstance(spec, list) else ():
        yield from _walk(value)


SECTORS = pd.DataFrame({"cluster": [1, 5, 0], "project": [2, 0, 9]}, index=pd.Index(["A", "B", "C"], name="sector"))
YEARS = pd.DataFrame({"cluster founded": [1, 0], "project started": [0, 2]}, index=pd.Index([2004, 2010], name="year"))


@pytest.mark.parametrize(
    "spec", [bar_chart_spec(SECTORS, horizontal=True), bar_chart_spec(SECTORS), year_chart_spec(YEARS)]
)
def test_no_zoom_or_pan(spec):
    # a wheel over a chart used to zoom its scale, down to negative counts
    assert not any("bind" in part or "params" in part for part in _walk(spec) if isinstance(part, dict))


def test_sector_bars_sorted_by_total_and_labelled():
    spec = bar_chart_spec(SECTORS, horizontal=True)
    bars, totals = spec["layer"]
    assert spec["encoding"]["y"]["sort"] == ["C", "B", "A"]  # totals 9, 5, 3: both layers' axis
    assert totals["mark"]["type"] == "text" and totals["encoding"]["text"]["field"] == "records"
    assert totals["transform"][0]["aggregate"][0]["op"] == "sum"


def test_year_axis_is_linear_one_bin_per_year():
    spec = year_chart_spec(YEARS)
    (bars,) = spec["layer"]
    x = bars["encoding"]["x"]
    assert x["type"] == "quantitative" and x["bin"] == {"step": 1, "extent": [2004, 2011]}
    assert bars["encoding"]["color"]["scale"] == {
        "domain": ["cluster founded", "project started"],
        "range": [YEAR_COLOURS["cluster founded"], YEAR_COLOURS["project started"]],
    }
    rows = spec["datasets"]["counts"]
    assert sorted(map(tuple, rows[["year", "kind", "records"]].to_numpy().tolist())) == [
        (2004, "cluster founded", 1), (2010, "project started", 2)
    ]  # fmt: skip
    json.dumps({**spec, "datasets": {}})  # the spec itself is plain JSON


@pytest.mark.parametrize(
    ("lang", "year_labels", "kinds", "what"),
    [
        ("en", ["cluster founded", "project started"], ["cluster", "project"], "what"),
        ("es", ["clúster: fundación", "proyecto: inicio"], ["clúster", "proyecto"], "qué"),
        ("zh", ["集群：成立", "项目：启动"], ["集群", "项目"], "类别"),
    ],
)
def test_legends_and_tooltips_speak_the_language_and_keep_the_kind_colours(lang, year_labels, kinds, what):
    tr = translator(lang)
    (bars,) = year_chart_spec(YEARS, tr)["layer"]
    assert bars["encoding"]["color"]["scale"] == {
        "domain": year_labels,
        "range": [YEAR_COLOURS["cluster founded"], YEAR_COLOURS["project started"]],
    }
    assert bars["encoding"]["tooltip"][1]["title"] == what
    assert set(year_chart_spec(YEARS, tr)["datasets"]["counts"]["kind"]) == set(year_labels)
    spec = bar_chart_spec(SECTORS, tr=tr)
    assert spec["layer"][0]["encoding"]["color"]["scale"] == {"domain": kinds, "range": list(KIND_COLOURS.values())}
    assert set(spec["datasets"]["counts"]["kind"]) == set(kinds)


def test_a_chart_on_the_dark_presenter_page_gets_its_colours_and_the_cached_spec_stays_as_it_was():
    spec = bar_chart_spec(pd.DataFrame({"cluster": [2], "project": [1]}, index=pd.Index(["Energy"], name="sector")))
    before = json.dumps(spec.get("config"), sort_keys=True)
    dark = on_dark(spec)
    assert dark["config"]["background"] == DARK_CONFIG["background"]
    assert dark["config"]["axis"]["labelColor"] == dark["config"]["legend"]["labelColor"] == "#f2f2f2"
    assert {k: v for k, v in dark.items() if k != "config"} == {k: v for k, v in spec.items() if k != "config"}
    assert json.dumps(spec.get("config"), sort_keys=True) == before


def test_a_compact_spec_sends_the_same_rows_without_pandas_metadata():
    spec = year_chart_spec(YEARS)
    sent = compact(spec)
    [table] = sent["datasets"].values()
    assert table.schema.metadata is None  # no pandas' index description (~700 bytes a chart)
    pd.testing.assert_frame_equal(table.to_pandas(), spec["datasets"]["counts"].reset_index(drop=True))
    assert isinstance(spec["datasets"]["counts"], pd.DataFrame)  # the cached spec stays as it was
