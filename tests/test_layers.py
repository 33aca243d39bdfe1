"""layers/: classes and legends, then layers rendered to HTML and checked fragment by fragment.

Frames are built by hand: three square "states" and a few point records, some with hostile text.
The atlas runtime (layers/static/atlas-runtime.js) draws from one JSON options object per call, so
the rendered calls are parsed back (`tests.helpers.atlas_calls`) and checked as data; what the
runtime shows (tooltips, popups) is run in Node from the real file; and the whole page is searched
for markup that must never appear.
"""

from __future__ import annotations

import base64
import html
import json
import math
import re

import folium
import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box
from streamlit_folium import _get_feature_group_string, _get_map_string, generate_js_hash

from geo import i18n, join, seeds
from geo.i18n import translator
from layers import assets, basemap, choropleth, markers, style
from layers.runtime import AtlasCall, safe_json
from tests.helpers import (
    assert_no_live_markup,
    atlas_calls,
    decode_steps,
    legend_step_rows,
    map_assets,
    publish,
    published,
    run_runtime,
    runtime_popups,
)

SECTORS = ("Aerospace", "Automotive", "ICT")
HOSTILE = {
    "name": "<script>alert(1)</script>",
    "source": "<img src=x onerror=alert(1)>",
    "notes": '" onmouseover="x',
    "place": "javascript:alert(1)",
    "figures": "`${alert(3)}` '</script>'",
}


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def states() -> gpd.GeoDataFrame:
    """Three squares with the state_counts() columns: Alpha has records, Beta none, Gamma one."""
    frame = pd.DataFrame(
        {
            "state_code": ["01", "02", "03"],
            "state": ["Alpha", "Beta <b>&amp;", "Gamma"],
            "state_official": ["Alpha", "Beta", "Gamma"],
            "clusters": [2, 0, 0],
            "projects": [3, 0, 1],
            "records": [5, 0, 1],
            "Aerospace": [3, 0, 0],
            "Automotive": [2, 0, 0],
            "ICT": [0, 0, 1],
        }
    )
    return gpd.GeoDataFrame(frame, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2)], crs=4326)


def _record(**values) -> dict:
    base = {
        "id": "",
        "name": "",
        "kind": "cluster",
        "project_type": "",
        "sector": "Aerospace",
        "sector_raw": "Aeroespacial",
        "state": "Alpha",
        "state_code": "01",
        "related_states": "",
        "place": "",
        "location_precision": "state",
        "year": pd.NA,
        "year_basis": "unknown",
        "members": pd.NA,
        "companies": pd.NA,
        "jobs": pd.NA,
        "exports_value": math.nan,
        "investment_value": math.nan,
        "exports_unit": "",
        "investment_unit": "",
        "figures": "",
        "source": "doc.pdf, p. 1",
        "notes": "",
        "geometry": Point(0.5, 0.5),
    }
    return {**base, **values}


@pytest.fixture
def records() -> gpd.GeoDataFrame:
    rows = [
        _record(id="cl-hostile", **HOSTILE),  # unknown year, at Alpha's anchor
        _record(id="cl-alpha-2", name="Alpha Aero Cluster", year=2004, year_basis="founded"),  # same point
        _record(
            id="pr-alpha-1",
            name="Plant O'Brien & Sons",
            kind="project",
            project_type="investment",
            sector="Automotive",
            sector_raw="Automotriz",
            place="Ciudad Alfa",
            location_precision="city",
            year=2007,
            year_basis="announced",
            investment_value=250.0,
            investment_unit="million USD",
            source="a.pdf, s. 2 | b.pdf, table 3",
            geometry=Point(0.2, 0.8),
        ),
        _record(
            id="pr-gamma-1",
            name="Gamma ICT hub",
            kind="project",
            sector="ICT",
            sector_raw="ICT",
            state="Gamma",
            state_code="03",
            year=2019,
            year_basis="reported",
            companies=40,
            geometry=Point(0.5, 1.5),
        ),
        _record(
            id="cl-national", name="National network", state="", state_code="", location_precision="none", geometry=None
        ),
    ]
    frame = pd.DataFrame(rows)
    for column in ("year", "members", "companies", "jobs"):
        frame[column] = frame[column].astype("Int64")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def render(*groups) -> str:
    m = basemap.base_map(assets=map_assets())
    for group in groups:
        group.add_to(m)
    return m.get_root().render()


@pytest.fixture
def data(tmp_path, states, records):
    """The map data of the hand-built frames, published into a temporary folder."""
    return publish(tmp_path, states, records)


# --------------------------------------------------------------------------- classes


@pytest.mark.parametrize(
    ("values", "scheme", "k", "bins", "labels"),
    [
        ([], "quantiles", 5, (), ()),
        ([0, 0, 0], "quantiles", 5, (), ()),  # all zero: no classes, no crash
        ([0, 1, 2, 3], "quantiles", 5, (1, 2, 3), ("1", "2", "3")),  # few distinct values: one class each
        ([7] * 10, "natural_breaks", 5, (7,), ("7",)),
        ([0, 1, 1, 1, 1, 1, 1, 2], "quantiles", 5, (1, 2), ("1", "2")),  # ties: k shrinks
        (list(range(1, 11)), "equal_interval", 5, (2, 4, 6, 8, 10), ("1–2", "3–4", "5–6", "7–8", "9–10")),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 100], "natural_breaks", 2, (9, 100), ("1–9", "10–100")),
        ([0.5, 1.25, 2.0], "quantiles", 5, (0.5, 1.25, 2.0), ("0.5", "0.5–1.25", "1.25–2")),  # non-integral
    ],
)
def test_classify_table(values, scheme, k, bins, labels):
    classes = style.classify(values, scheme=scheme, k=k)
    assert classes.bins == bins
    assert classes.labels == labels
    assert len(classes.colors) == len(bins)
    assert style.ZERO_COLOR not in classes.colors


def test_classify_quantiles_follow_mapclassify_on_non_zero_values():
    values = [0, 0, 0, *range(1, 101)]
    classes = style.classify(values, scheme="quantiles", k=5)
    expected = np.floor(mapclassify.Quantiles(np.arange(1, 101), k=5).bins)
    assert classes.bins == tuple(expected)
    assert classes.colors == style.PALETTE


def test_classify_natural_breaks_is_deterministic():
    values = np.random.default_rng(3).integers(0, 500, 200)
    assert style.classify(values, scheme="natural_breaks") == style.classify(values, scheme="natural_breaks")


def test_class_colours_for_zero_missing_and_out_of_range_values():
    classes = style.classify(pd.Series([0, 1, 5, 10, None], dtype="Int64"))
    assert classes.has_nodata
    assert classes.color(0) == style.ZERO_COLOR
    assert classes.color(None) is None and classes.color(float("nan")) is None
    assert classes.color(1) == classes.colors[0]
    assert classes.color(10) == classes.colors[-1]
    assert classes.color(999) == classes.colors[-1]
    assert classes.style(None)["dashArray"]
    assert style.classify([0, 0]).color(0) == style.ZERO_COLOR


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scheme": "jenks"}, "quantiles, natural_breaks, equal_interval"),
        ({"k": 0}, "k must be"),
        ({"k": 9}, "k must be"),
    ],
)
def test_classify_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        style.classify([1, 2, 3], **kwargs)


def test_classify_rejects_negative_values():
    with pytest.raises(ValueError, match="non-negative"):
        style.classify([1, -2])


def test_legend_is_escaped_and_lists_every_class():
    classes = style.classify([0, 1, 2, 3, 40])
    legend = style.legend_html(classes, title="<script>alert(1)</script> & co")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in legend
    assert "<script>" not in legend
    assert style.ZERO_LABEL in legend
    for label, colour in zip(classes.labels, classes.colors, strict=True):
        assert html.escape(label) in legend and colour in legend
    assert style.NODATA_LABEL not in legend
    assert style.NODATA_LABEL in style.legend_html(style.classify([1, None]), title="x")
    assert 'class="atlas-legend"' in legend  # large type, from the page's stylesheet
    assert ".atlas-legend { font-size: 1.15rem;" in assets.PAGE_CSS.read_text(encoding="utf-8")


def test_marker_legend_names_shape_and_placement():
    legend = style.marker_legend_html()
    assert "Cluster (city known)" in legend and "Project (placed at state level)" in legend
    assert "atlas-symbol-project" in legend  # projects are diamonds: shape, not only colour
    assert ".atlas-symbol-project { transform: rotate(45deg);" in assets.PAGE_CSS.read_text(encoding="utf-8")
    assert "Your data" not in legend and style.UPLOAD_COLOUR not in legend
    mine = style.marker_legend_html(upload=True)
    assert "Your data (not in the documented counts)" in mine and style.UPLOAD_COLOUR in mine
    assert "atlas-symbol-upload" in mine  # circles, as on the map (layers/static/atlas-map.css)
    assert ".atlas-symbol-upload { border-radius: 50%; }" in assets.PAGE_CSS.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- choropleth


def test_choropleth_colours_tooltips_and_escaping(states, data):
    classes = style.classify(states["records"])
    group = choropleth.choropleth(
        states, metric="records", sectors=SECTORS, classes=classes, geometry_url=data.geometry_url
    )
    page = render(group)
    [options] = [options for function, options in atlas_calls(page) if function == "states"]
    view = options["view"]

    assert view["fills"]["02"] == style.ZERO_COLOR  # zero gets the zero colour, not a class colour
    assert view["fills"]["01"] == classes.color(5) and view["fills"]["03"] == classes.color(1)
    assert view["info"]["01"] == ["Alpha", 2, 3, 5, [[0, 3], [1, 2]]]  # Aerospace 3, Automotive 2
    assert view["info"]["02"] == ["Beta &lt;b&gt;&amp;amp;", 0, 0, 0, []]
    assert view["info"]["03"] == ["Gamma", 0, 1, 1, [[2, 1]]]
    assert view["sectors"] == list(SECTORS)
    assert view["none"] == translator("en").t("tip.none")
    assert view["locale"] == "en-US" and set(view["msg"]) == set(choropleth.RUNTIME_MESSAGES)
    assert view["selected"] is None
    assert "Beta <b>" not in page and "&lt;" not in page  # escaped text, then JSON \u escapes
    assert "Beta \\u0026lt;b\\u0026gt;\\u0026amp;amp;" in page

    geometry = published(data, options["src"])
    assert [f["id"] for f in geometry["features"]] == ["01", "02", "03"]
    assert geometry["features"][1]["properties"] == {"state": "Beta <b>&amp;"}  # raw: data, not markup


def test_choropleth_sends_the_geometry_url_and_no_coordinates(states, data):
    classes = style.classify(states["records"])
    group = choropleth.choropleth(
        states, metric="clusters", sectors=SECTORS, classes=classes, selected="Gamma", geometry_url=data.geometry_url
    )
    page = render(group)
    [options] = [options for function, options in atlas_calls(page) if function == "states"]
    assert options["src"] == data.geometry_url
    assert "coordinates" not in page
    assert options["view"]["selected"] == "03"


@pytest.mark.parametrize(
    ("info", "max_sectors", "expected", "lang"),
    [
        (
            ["Alpha", 2, 3, 5, [[0, 3], [1, 2]]],
            8,
            '<div class="atlas-tip-title">Alpha</div><div class="atlas-tip-counts">Clusters: 2 · Projects: 3 · '
            'Records: 5</div><ul class="atlas-tip-sectors"><li>Aerospace: 3</li><li>Automotive: 2</li></ul>',
            "en",
        ),
        (
            ["Beta", 0, 0, 0, []],
            8,
            '<div class="atlas-tip-title">Beta</div><div class="atlas-tip-counts">Clusters: 0 · Projects: 0 · '
            'Records: 0</div><div class="atlas-tip-none">None recorded in the sources under the current filters</div>',
            "en",
        ),
        (  # more sectors than the tooltip lists: the rest summed on one line
            ["Gamma", 1200, 3, 1203, [[0, 1000], [1, 200], [2, 3]]],
            1,
            '<div class="atlas-tip-title">Gamma</div><div class="atlas-tip-counts">Clusters: 1,200 · Projects: 3 · '
            'Records: 1,203</div><ul class="atlas-tip-sectors"><li>Aerospace: 1,000</li>'
            '<li class="atlas-tip-more">+ 2 more sectors: 203 records</li></ul>',
            "en",
        ),
        (
            ["Delta", None, 1, 1, [[0, 1], [2, 1]]],
            1,
            '<div class="atlas-tip-title">Delta</div><div class="atlas-tip-counts">Clusters: no data · Projects: 1 · '
            'Records: 1</div><ul class="atlas-tip-sectors"><li>Aerospace: 1</li>'
            '<li class="atlas-tip-more">+ 1 more sector: 1 record</li></ul>',
            "en",
        ),
        (  # Spanish: the catalogue's words, es-MX numbers (1,200 as in English), its plural rule
            ["Gamma", 1200, 3, 1203, [[0, 1000], [1, 200], [2, 3]]],
            1,
            '<div class="atlas-tip-title">Gamma</div><div class="atlas-tip-counts">Clústeres: 1,200 · Proyectos: 3 · '
            'Registros: 1,203</div><ul class="atlas-tip-sectors"><li>Aeroespacial: 1,000</li>'
            '<li class="atlas-tip-more">+ 2 sectores más: 203 registros</li></ul>',
            "es",
        ),
        (
            ["Delta", None, 1, 1, [[0, 1], [2, 1]]],
            1,
            '<div class="atlas-tip-title">Delta</div><div class="atlas-tip-counts">集群：无数据 · 项目：1 · '
            '记录：1</div><ul class="atlas-tip-sectors"><li>航空航天: 1</li>'
            '<li class="atlas-tip-more">+ 另外 1 个行业：1 条记录</li></ul>',
            "zh",
        ),
    ],
)
def test_state_tooltip_as_the_runtime_draws_it(info, max_sectors, expected, lang):
    tr = translator(lang)
    view = {
        "info": {"x": info}, "sectors": [tr.sector(s) for s in SECTORS], "maxSectors": max_sectors,
        "none": tr.t("tip.none"), "msg": tr.js_messages(choropleth.RUNTIME_MESSAGES), "locale": tr.bcp47,
    }  # fmt: skip
    assert run_runtime("atlas.stateTip(view, 'x')", view=view) == expected
    assert run_runtime("atlas.stateTip(view, 'nope')", view=view) is None


def test_choropleth_default_sectors_are_the_sector_columns_present(states):
    classes = style.classify(states["records"])
    group = choropleth.choropleth(states, metric="records", classes=classes, geometry_url="/x.geojson")
    [options] = [options for function, options in atlas_calls(render(group)) if function == "states"]
    assert options["view"]["sectors"] == list(SECTORS)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"metric": "jobs"}, "Unknown metric 'jobs'; use one of: .*records"),
        ({"metric": "records", "sectors": ("Mining",)}, "lacks column.*'Mining'.*state_counts"),
        ({"metric": "records", "selected": "Atlantis"}, "Unknown selected state 'Atlantis'"),
    ],
)
def test_choropleth_rejects_bad_input_with_a_useful_message(states, kwargs, message):
    classes = style.classify(states["records"])
    with pytest.raises(ValueError, match=message):
        choropleth.choropleth(states, classes=classes, geometry_url="/x.geojson", **{"sectors": SECTORS, **kwargs})


STEP_IDS = [f"{n:02d}" for n in range(1, 13)]
STEP_VALUES = {  # slider value -> the metric per state 01, 02, 03 (NaN: no value)
    "2019": [5.0, 0.0, 1.0],
    "2020": [1.0, 5.0, float("nan")],
    "2021": [float("nan")] * 3,
}


@pytest.mark.parametrize("playing", [False, True])
def test_choropleth_steps_hold_each_slider_values_fills_in_the_views_classes(states, playing):
    classes = style.classify([5, 1, 3])
    values = pd.DataFrame(STEP_VALUES, index=["01", "02", "03"])
    steps = choropleth.Steps("year", values, "2019", playing)
    group = choropleth.choropleth(states, metric="records", classes=classes, geometry_url="/x.geojson", steps=steps)
    [options] = [options for function, options in atlas_calls(render(group)) if function == "states"]
    sent = options["view"]["steps"]
    assert (sent["slider"], sent["current"], sent["playing"]) == ("year", "2019", playing)
    assert decode_steps(sent) == {
        value: {fid: classes.color(v) for fid, v in zip(["01", "02", "03"], column, strict=True)}
        for value, column in STEP_VALUES.items()
    }
    assert decode_steps(sent)["2019"] == options["view"]["fills"]  # this run's value: the fills it paints


def test_choropleth_steps_with_their_own_classes_paint_each_value_in_its_own():
    """A records' year range is classed alone: each value's fills in its own breaks, one palette for all."""
    values = pd.DataFrame({"2004-2020": [50.0, 10.0, 0.0], "2010-2020": [5.0, 1.0, 0.0]}, index=["01", "02", "03"])
    own = {"2004-2020": style.classify([50, 10, 30]), "2010-2020": style.classify([5, 1, 3])}
    steps = choropleth.Steps("years", values, "2004-2020", classes=own)
    sent = choropleth.step_fills(steps, own["2004-2020"], ["01", "02", "03"])
    assert decode_steps(sent) == {
        value: {fid: own[value].color(v) for fid, v in zip(["01", "02", "03"], column, strict=True)}
        for value, column in values.items()
    }
    assert decode_steps(sent)["2010-2020"]["01"] == own["2004-2020"].color(50)  # 5 is the top class of its own
    for value, classes in own.items():  # the page legend's rows, redrawn with the map
        assert legend_step_rows(sent, value) == list(zip(classes.colors, classes.labels, strict=True))
    nodata = {**own, "2010-2020": style.classify([5, None])}  # a range with states of no value
    sent = choropleth.step_fills(steps._replace(classes=nodata), own["2004-2020"], ["01", "02", "03"])
    assert legend_step_rows(sent, "2010-2020")[-1] == ("#ffffff", style.NODATA_LABEL)
    assert "titles" not in sent


def test_values_that_look_alike_share_one_look():
    """Ranges that differ only by years without records colour alike: their fills are sent once."""
    values = pd.DataFrame({"a": [1.0, 2.0], "b": [1.0, 2.0], "c": [2.0, 1.0], "d": [1.0, 2.0]}, index=["01", "02"])
    own = {value: style.classify([1, 2]) for value in values}
    sent = choropleth.step_fills(choropleth.Steps("years", values, "a", classes=own), own["a"], ["01", "02"])
    assert sent["pick"] == [0, 0, 1, 0] and len(sent["fills"]) == 2 * 2 and len(sent["legends"]["rows"]) == 2
    assert decode_steps(sent)["d"] == decode_steps(sent)["a"] != decode_steps(sent)["c"]


def test_choropleth_steps_carry_each_values_legend_title_when_given(states):
    values = pd.DataFrame(STEP_VALUES, index=["01", "02", "03"])
    titles = {value: f"Exports, {value}" for value in STEP_VALUES}
    steps = choropleth.Steps("year", values, "2019", titles=titles)
    sent = choropleth.step_fills(steps, style.classify([5, 1, 3]), ["01", "02", "03"])
    assert sent["titles"] == list(titles.values()) and "legends" not in sent  # one set of breaks: only the title moves


def test_step_codes_reach_past_ten_colours():
    """More than ten colours in one palette (the ramps of different class counts): base-36 codes."""
    values = pd.DataFrame({str(n): [float(v) for v in range(1, 13)] for n in range(1, 8)}, index=STEP_IDS)
    own = {str(n): style.classify(range(1, n + 1), k=7) for n in range(1, 8)}
    sent = choropleth.step_fills(choropleth.Steps("years", values, "1", classes=own), own["1"], STEP_IDS)
    assert len(sent["palette"]) > 10
    assert decode_steps(sent) == {
        value: {fid: own[value].color(v) for fid, v in zip(STEP_IDS, column, strict=True)}
        for value, column in values.items()
    }


def test_sector_taps_share_the_slider_steps_looks_each_in_its_own_classes():
    """A sector selection one tap reaches: its fills and legend in its own breaks, in the same
    palette and looks as the year range's steps (the current one is both: sent once)."""
    values = pd.DataFrame({"2004-2020": [50.0, 10.0, 0.0], "2010-2020": [5.0, 1.0, 0.0]}, index=["01", "02", "03"])
    own = {"2004-2020": style.classify([50, 10, 30]), "2010-2020": style.classify([5, 1, 3])}
    tapped = pd.DataFrame(
        {"": [50.0, 10.0, 0.0], "1": [0.0, 4.0, 2.0], "01": [None, 3.0, 1.0]}, index=["01", "02", "03"]
    )
    tap_classes = {"": own["2004-2020"], "1": style.classify([4, 2]), "01": style.classify([3, 1, None])}
    taps = choropleth.Taps(tapped, "", tap_classes)
    sent = choropleth.step_fills(choropleth.Steps("years", values, "2004-2020", classes=own, taps=taps),
                                 own["2004-2020"], ["01", "02", "03"])  # fmt: skip
    assert sent["taps"]["control"] == choropleth.SECTOR_CONTROL == "sectors" and sent["taps"]["current"] == ""
    assert decode_steps(sent, taps=True) == {
        key: {fid: tap_classes[key].color(v) for fid, v in zip(["01", "02", "03"], column, strict=True)}
        for key, column in tapped.items()
    }
    assert sent["taps"]["pick"][0] == sent["pick"][0]  # this view, reached either way: one look
    for key, classes in tap_classes.items():
        rows = list(zip(classes.colors, classes.labels, strict=True))
        assert legend_step_rows(sent, key, taps=True) == rows + (
            [("#ffffff", style.NODATA_LABEL)] if key == "01" else []
        )
    assert decode_steps(sent) == {  # the slider's steps are unchanged by the taps beside them
        value: {fid: own[value].color(v) for fid, v in zip(["01", "02", "03"], column, strict=True)}
        for value, column in values.items()
    }


def test_sector_taps_beside_an_export_years_steps_redraw_the_legend_only_for_the_taps():
    """The export years share the layer's breaks (no legend rows: the page's legend stays); each
    tapped selection has its own (its rows are drawn)."""
    years = pd.DataFrame({"2019": [1.0, 2.0, 3.0], "2020": [3.0, 2.0, 1.0]}, index=["01", "02", "03"])
    classes, own = style.classify([1, 2, 3]), style.classify([10, 20])
    taps = choropleth.Taps(pd.DataFrame({"": [1.0, 2.0, 3.0], "1": [10.0, 20.0, 0.0]}, index=["01", "02", "03"]),
                           "", {"": classes, "1": own})  # fmt: skip
    sent = choropleth.step_fills(choropleth.Steps("year", years, "2019", taps=taps), classes, ["01", "02", "03"])
    assert [sent["legends"]["rows"][look] for look in sent["pick"]] == [None, None]
    assert legend_step_rows(sent, "1", taps=True) == list(zip(own.colors, own.labels, strict=True))
    assert decode_steps(sent, taps=True)["1"] == {"01": own.color(10), "02": own.color(20), "03": own.color(0)}


def test_sector_taps_need_every_sector_and_every_state(states):
    values = pd.DataFrame({"2004-2020": [1.0, 2.0, 3.0]}, index=["01", "02", "03"])
    classes = style.classify([1, 2, 3])
    taps = choropleth.Taps(values.set_axis([""], axis=1), "", {"": classes})
    steps = choropleth.Steps("years", values, "2004-2020", classes={"2004-2020": classes}, taps=taps)
    with pytest.raises(ValueError, match="Sector taps need the layer's sectors to be geo.sectors.SECTORS"):
        choropleth.choropleth(states, metric="records", classes=classes, sectors=("Aerospace",),
                              geometry_url="/x.geojson", steps=steps)  # fmt: skip
    short = taps._replace(values=values.iloc[:2].set_axis([""], axis=1))
    with pytest.raises(ValueError, match=r"The steps lack state\(s\) 03"):
        choropleth.step_fills(steps._replace(taps=short), classes, ["01", "02", "03"])


@pytest.mark.parametrize(
    ("steps", "message"),
    [
        (choropleth.Steps("month", pd.DataFrame({"1": [1, 2, 3]}, index=["01", "02", "03"]), "1"),
         "Unknown step slider 'month'; use one of: year, years"),
        (choropleth.Steps("year", pd.DataFrame({"2019": [1, 2]}, index=["01", "02"]), "2019"),
         "The steps lack state\\(s\\) 03; index them by state code"),
    ],
)  # fmt: skip
def test_choropleth_steps_are_checked(states, steps, message):
    with pytest.raises(ValueError, match=message):
        choropleth.choropleth(
            states, metric="records", classes=style.classify([1]), geometry_url="/x.geojson", steps=steps
        )


def test_outline_layer_draws_the_boundary_only(data):
    page = render(choropleth.country_outline_layer(url=data.outline_url))
    [options] = [options for function, options in atlas_calls(page) if function == "outline"]
    geometry = published(data, options["src"])
    assert geometry["features"][0]["geometry"]["type"] in {"LineString", "MultiLineString"}
    assert options["style"]["fill"] is False


# --------------------------------------------------------------------------- markers


def test_popup_escapes_every_field_and_states_year_and_precision(records):
    hostile = records.iloc[0].to_dict()
    popup = markers.popup_html(hostile)
    assert "<h3>&lt;script&gt;alert(1)&lt;/script&gt;</h3>" in popup
    assert "&lt;img src=x onerror=alert(1)&gt;" in popup
    assert "&quot; onmouseover=&quot;x" in popup
    assert "javascript:alert(1), Alpha — placed at state level" in popup  # text, never a link
    assert "Year unknown" in popup
    assert "Aerospace (as written in the source: Aeroespacial)" in popup
    assert_no_live_markup(popup)

    project = markers.popup_html(records.iloc[2].to_dict())
    assert '<div class="atlas-kind">Project — investment</div>' in project
    assert "<dd>2007 (announced)</dd>" in project
    assert "Ciudad Alfa, Alpha — placed at the city" in project
    assert "Investment: 250 million USD" in project
    assert "<dd>a.pdf, s. 2\nb.pdf, table 3</dd>" in project  # one citation per line
    assert "Plant O&#x27;Brien &amp; Sons" in project

    assert "<dd>40 companies</dd>" in markers.popup_html(records.iloc[3].to_dict())


@pytest.mark.parametrize(
    ("label", "until", "shown"),
    [
        ("Silver Label", "2021-02-15", "<dt>Label</dt><dd>ECEI Silver Label, valid until 2021-02-15</dd>"),
        ("Bronze Label", "", "<dt>Label</dt><dd>ECEI Bronze Label (validity not stated)</dd>"),
        ("", "", None),  # no label: no Label row
    ],
)
def test_popup_shows_the_quality_label(records, label, until, shown):
    popup = markers.popup_html({**records.iloc[2].to_dict(), "label": label, "label_valid_until": until})
    if shown is None:
        assert "<dt>Label</dt>" not in popup
    else:
        assert shown in popup
        assert popup.index("<dt>Year</dt>") < popup.index("<dt>Label</dt>") < popup.index("<dt>Source</dt>")


def test_marker_table_carries_the_label_part(records):
    labelled = records.assign(label="", label_valid_until="")
    labelled.loc[labelled.index[2], ["label", "label_valid_until"]] = ["Gold Label", "2019-06-23"]
    table = markers.marker_table(labelled)
    values = [v for part in table.data["parts"] for v in part["values"]]
    assert "<dt>Label</dt>" not in "".join(values)  # words are tokens, filled in the session's language
    spanish = markers.popup_words(translator("es"))
    assert "<dt>Distintivo</dt><dd>ECEI Gold Label, vigente hasta 2019-06-23</dd>" in [
        markers.fill_words(v, spanish) for v in values
    ]


def test_the_published_marker_table_is_escaped_and_the_runtime_shows_popup_html(records, data):
    table = published(data, data.table.url)
    assert table["name"] == [
        "&lt;script&gt;alert(1)&lt;/script&gt;",
        "Alpha Aero Cluster",
        "Plant O&#x27;Brien &amp; Sons",
        "Gamma ICT hub",
    ]  # by kind; the no-geometry row skipped
    assert table["approx"] == [1, 1, 0, 1]
    assert (table["lat"][:2], table["lon"][:2]) == ([0.5, 0.5], [0.5, 0.5])  # co-located: spiderfied

    expected = [markers.popup_html(r) for r in records[records.geometry.notna()].to_dict("records")]
    assert runtime_popups(table) == expected
    assert "Year unknown" in expected[0] and "2004 (founded)" in expected[1]
    assert_no_live_markup(json.dumps(table))


@pytest.mark.parametrize(
    ("lang", "cluster", "project"),
    [
        ("en", ("Cluster", "2004 (founded)", "Year unknown"), ("Project — investment", "2007 (announced)", "Investment: 250 million USD")),
        ("es", ("Clúster", "2004 (fundación)", "Año desconocido"), ("Proyecto — inversión", "2007 (anuncio)", "Inversión: 250 million USD")),
        ("zh", ("集群", "2004（成立）", "年份未知"), ("项目 — 投资", "2007（宣布）", "投资：250 million USD")),
    ],
)  # fmt: skip
def test_one_published_table_gives_popups_in_the_session_language(records, data, lang, cluster, project):
    """The table is published once, with its words in each language (the markers call names the
    session's file: ~2.8 kB less per kind and run); names and citations as written."""
    table = published(data, data.table.url)
    tr = translator(lang)
    expected = [markers.popup_html(r, tr) for r in records[records.geometry.notna()].to_dict("records")]
    assert runtime_popups(table, tr) == expected
    assert all(word in "".join(expected[:2]) for word in cluster)
    assert all(word in expected[2] for word in project)
    assert "Plant O&#x27;Brien &amp; Sons" in expected[2] and "a.pdf, s. 2" in expected[2]
    assert "<w " not in "".join(expected)
    [options] = [o for f, o in atlas_calls(render(markers.markers(records, kind="project", table=data.table, tr=tr)))
                 if f == "markers"]  # fmt: skip
    assert options["words"] == data.table.words[lang] and f"/words-{lang}-" in options["words"]
    assert (
        published(data, options["words"]) == markers.popup_words(tr)
        and published(data, options["words"])["locale"] == tr.bcp47
    )
    pseudo = translator(i18n.PSEUDO)  # a language with no published file: its words travel with the run
    [options] = [o for f, o in atlas_calls(render(markers.markers(records, kind="project", table=data.table, tr=pseudo)))
                 if f == "markers"]  # fmt: skip
    assert options["words"] == markers.popup_words(pseudo)


def test_markers_call_the_runtime_with_named_options(records, data):
    page = render(markers.markers(records, kind="cluster", table=data.table))
    [options] = [options for function, options in atlas_calls(page) if function == "markers"]
    assert options["src"] == data.table.url and options["kind"] == "cluster"
    assert options["size"] == markers.PIN_SIZE["cluster"]
    cluster_options = options["clusterOptions"]
    assert cluster_options["spiderfyOnMaxZoom"] and cluster_options["spiderLegPolylineOptions"]["interactive"] is False
    assert "alert" not in page


@pytest.mark.parametrize(
    ("function", "options", "message"),
    [
        ("draw", {}, "Unknown atlas runtime function 'draw'; use one of: states, outline, markers"),
        ("outline", {"src": "/x"}, "atlas.outline takes the options src, style; got src"),
        (
            "states",
            {"src": "/x", "view": {}, "extra": 1},
            "takes the options src, view, layer, show; got extra, src, view",
        ),
    ],
)
def test_runtime_calls_are_checked(function, options, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        AtlasCall(function, **options)


def test_marker_table_stores_each_distinct_fragment_once(records):
    many = pd.concat([records.iloc[[3]]] * 50, ignore_index=True)
    many["id"] = [f"p{i}" for i in range(50)]
    table = markers.marker_table(gpd.GeoDataFrame(many, crs=4326)).data
    assert len(table["name"]) == 50
    assert all(len(part["values"]) == 1 and part["codes"] == [0] * 50 for part in table["parts"])


def test_markers_with_a_published_table_send_only_the_selection(records):
    table = markers.marker_table(records).published("/component/test.atlas_data/records-0123.json")
    assert table.data is None and table.ranges == {"cluster": (0, 2), "project": (2, 4)}

    def selection(frame, kind):
        page = render(markers.markers(frame, kind=kind, table=table))
        [options] = [options for function, options in atlas_calls(page) if function == "markers"]
        assert options["src"] == table.url and "alert" not in page
        return options["selection"]

    assert selection(records, "cluster") == [0, 2, None]  # all shown: no bitmask
    start, stop, bits = selection(records[records["id"] != "pr-alpha-1"], "project")
    mask = np.unpackbits(np.frombuffer(base64.b64decode(bits), dtype=np.uint8), bitorder="little")
    assert (start, stop) == (2, 4) and mask[: stop - start].tolist() == [0, 1]
    _, _, bits = selection(records.iloc[:0], "cluster")
    assert not np.frombuffer(base64.b64decode(bits), dtype=np.uint8).any()


ROW_FILTERS = [  # the app's way (positions from geo.join.matching_rows) against the id way
    join.Filters(),
    join.Filters(sectors=("Automotive",)),
    join.Filters(sectors=("ICT", "Energy"), years=(2010, 2018)),
    join.Filters(known_years_only=True),
    join.Filters(sectors=("Aerospace",), labels=("Gold Label",)),
]


@pytest.mark.parametrize("filters", ROW_FILTERS)
@pytest.mark.parametrize("kind", ["cluster", "project"])
def test_a_selection_by_position_is_the_selection_by_id(filters, kind):
    everything = seeds.load_records()  # seed records, some without a point (not in the table)
    table = markers.marker_table(everything)
    rows = join.matching_rows(everything, filters)
    shown = everything.take(rows)
    assert markers._selection(table, shown, kind, rows) == markers._selection(table, shown, kind)


@pytest.mark.parametrize(
    ("rows", "message"),
    [(np.array([-1]), "Row positions must lie in 0..4"), (np.array([0, 5]), "Row positions must lie in 0..4")],
)
def test_positions_outside_the_tables_frame_are_refused(records, rows, message):
    table = markers.marker_table(records)
    with pytest.raises(ValueError, match=re.escape(message)):
        markers._selection(table, records, "cluster", rows)


def test_markers_of_an_empty_frame_still_make_the_group(records, data):
    group = markers.markers(records.iloc[:0], kind="project", table=data.table)
    assert group.layer_name == "Projects"
    [options] = [options for function, options in atlas_calls(render(group)) if function == "markers"]
    start, stop, bits = options["selection"]
    assert (start, stop) == (2, 4) and not np.frombuffer(base64.b64decode(bits), dtype=np.uint8).any()


def test_markers_need_a_published_table(records):
    with pytest.raises(ValueError, match="published marker table"):
        markers.markers(records, kind="cluster", table=markers.marker_table(records))


def test_markers_reject_unknown_kind(records, data):
    with pytest.raises(ValueError, match="Unknown kind 'plant'; use one of: cluster, project"):
        markers.markers(records, kind="plant", table=data.table)


def test_safe_json_cannot_close_a_script_or_string():
    text = safe_json({"a": "</script><script>alert('x')</script>&\u2028"})
    assert "<" not in text and ">" not in text and "'" not in text and "&" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><script>alert('x')</script>&\u2028"}


# --------------------------------------------------------------------------- base map and layers


def test_base_map_js_is_identical_across_calls():
    """st_folium remounts when this hash changes; it strips ids exactly like this."""

    def js_hash() -> str:
        m = basemap.base_map(assets=map_assets())
        m.get_root().render()
        return generate_js_hash(_get_map_string(m), basemap.MAP_KEY)

    assert js_hash() == js_hash()  # and no other argument: a basemap is a data layer


def test_base_map_is_offline_with_max_zoom_and_loads_the_runtime_files():
    m = basemap.base_map(assets=map_assets())
    page = m.get_root().render()
    assert not any(isinstance(child, folium.TileLayer) for child in m._children.values())
    assert m.options["maxZoom"] == basemap.MAX_ZOOM
    assert '"maxZoom": 18' in page
    runtime, css = dict(map_assets().js)["atlas_runtime"], dict(map_assets().css)["atlas_css"]
    assert f'<script src="{runtime}"></script>' in page and css in page
    assert "function" not in page.split("<body>")[0].split("</style>")[-1]  # no runtime code inline
    assert runtime.split("?")[0].endswith(assets.RUNTIME_JS)


@pytest.mark.parametrize(
    ("name", "url", "credit"),
    [("osm", "tile.openstreetmap.org", "OpenStreetMap"), ("grey", "World_Light_Gray_Base", "Esri")],
)
def test_online_basemap_is_a_data_layer_with_attribution(name, url, credit, states, records, data):
    group = basemap.basemap_layer(name)
    assert not group.control
    [options] = [options for function, options in atlas_calls(render(group)) if function == "tiles"]
    assert url in options["url"] and credit in options["attribution"]
    layers = basemap.map_layers(states, records, metric="records", classes=style.classify([1]), data=data, basemap=name)
    assert layers[0] is not None and [layer.layer_name for layer in layers[1:]] == [
        "States",
        "Clusters",
        "Projects",
        "Mexico outline",
    ]


def test_no_basemap_needs_no_network_and_unknown_ones_are_refused():
    assert basemap.basemap_layer("none") is None
    with pytest.raises(ValueError, match="Unknown basemap 'carto'; use one of: none, grey, osm"):
        basemap.basemap_layer("carto")


def test_map_layers_come_in_a_stable_order(states, records, data):
    classes = style.classify(states["records"])
    for shown in (records, records.iloc[:0]):
        layers = basemap.map_layers(states, shown, metric="records", sectors=SECTORS, classes=classes, data=data)
        assert [layer.layer_name for layer in layers] == ["States", "Clusters", "Projects", "Mexico outline"]
        assert not layers[-1].control


def test_layers_survive_st_folium_id_rewriting(states, records, data):
    """st_folium renames each group feature_group_<i> and re-renders it: calls must follow."""
    classes = style.classify(states["records"])
    m = basemap.base_map(assets=map_assets())
    m.get_root().render()
    layers = basemap.map_layers(states, records, metric="records", sectors=SECTORS, classes=classes, data=data)
    script = "".join(_get_feature_group_string(layer, m, i) for i, layer in enumerate(layers))
    for i, function in enumerate(("states", "markers", "markers", "outline")):
        assert re.search(rf"window\.atlas\.{function}\(\s*feature_group_feature_group_{i}\b", script)
    assert_no_live_markup(script)
