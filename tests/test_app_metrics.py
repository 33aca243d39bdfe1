"""The page's metrics, ranking, compare and search, through Streamlit's AppTest (no browser).

What each metric computes is tested on small tables in tests/test_metrics.py; here: the link
chooses the metric and the export year, the map's fills and tooltips follow it, the legend names
it, the ranking lists the 32 states, compared states are outlined and shown side by side, and the
search box selects what it finds.
"""

from __future__ import annotations

import html
import re
import shutil

import pytest
import streamlit as st

from geo import metrics, names, official, seeds
from geo.join import Filters, filter_records, year_bounds
from geo.sectors import SECTORS
from geo.view import drag_ranges, sector_key, step_sector, tap_sectors
from tests.helpers import decode_steps, layers, legend_step_rows, notices, run_app, shown


def legend_titles(at) -> list[str]:
    return [h.proto.body for h in at.get("html") if 'class="atlas-legend"' in h.proto.body]


@pytest.fixture(scope="module")
def exports_app():
    return run_app({"metric": "exports", "year": "2019", "sectors": "Automotive"})


def test_the_exports_metric_colours_states_by_inegi_figures_of_the_year(exports_app):
    assert not notices(exports_app)
    assert exports_app.session_state["year"] == 2019
    view = layers(exports_app)["states"]
    expected = metrics.state_metric("exports", seeds.load_records(), sectors=("Automotive",), export_year=2019)
    assert html.unescape(view["metricLabel"]) == "Merchandise exports (US$ million), 2019"
    for code, info in view["info"].items():
        assert html.unescape(info[5]) == expected.text[code]  # the tooltip's line
        if expected.values.isna()[code]:
            assert view["fills"][code] is None  # confidential / not available: "no data", never 0
    assert any("Merchandise exports (US$ million), 2019" in body for body in legend_titles(exports_app))
    assert any("Fuente: INEGI" in shown(caption.value) for caption in exports_app.caption)


def test_the_export_year_control_repaints_and_enters_the_link(exports_app):
    before = layers(exports_app)["states"]["fills"]
    exports_app.slider(key="year").set_value(2008).run()
    assert exports_app.query_params["year"] == "2008"
    after = layers(exports_app)["states"]
    assert after["fills"] != before
    assert html.unescape(after["metricLabel"]).endswith(", 2008")


def test_export_classes_are_fixed_over_all_years(exports_app):
    """One colour means one value in every export year: the legend is the same for 2008 and 2025."""
    exports_app.slider(key="year").set_value(2008).run()
    early = legend_titles(exports_app)
    exports_app.slider(key="year").set_value(2025).run()
    late = legend_titles(exports_app)
    assert [body.replace("2008", "YEAR") for body in early] == [body.replace("2025", "YEAR") for body in late]


@pytest.mark.parametrize("params", [{"metric": "exports"}, {"metric": "export_lq", "sectors": "Automotive,ICT"}])
def test_the_map_carries_every_export_years_fills_as_the_server_paints_them(params):
    at = run_app({**params, "year": "2015"})
    view = layers(at)["states"]
    steps = decode_steps(view["steps"])
    assert view["steps"]["slider"] == "year" and view["steps"]["current"] == "2015"
    assert list(steps) == [str(year) for year in range(official.EXPORT_YEARS[0], official.EXPORT_YEARS[1] + 1)]
    assert steps["2015"] == view["fills"]
    for year in (2007, 2016, 2025):  # the slider moved there: the server's run paints what the map already showed
        at.slider(key="year").set_value(year).run()
        assert layers(at)["states"]["fills"] == steps[str(year)]
        [title] = [html.unescape(body) for body in legend_titles(at) if 'data-legend="classes"' in body]
        assert (
            view["steps"]["titles"][view["steps"]["values"].index(str(year))] in title
        )  # and the legend's title the runtime wrote
        assert decode_steps(layers(at)["states"]["steps"]) == steps  # the same breaks, so the same steps


# Views of the record metrics whose steps the browser repaints from (a year-range drag, a sector tap)
RECORD_VIEWS = [
    {}, {"metric": "per_million", "known": "1"}, {"metric": "share", "sectors": "Automotive"},
    {"metric": "lq", "sectors": "Aerospace,ICT", "years": "2008-2018"}, {"metric": "clusters", "years": "2012-2012"},
]  # fmt: skip


@pytest.mark.parametrize("params", RECORD_VIEWS)
def test_the_map_carries_the_fills_of_the_ranges_one_drag_reaches_as_the_server_paints_them(params):
    """Without playback, the records' year range: the fills of every range one handle reaches,
    each in its own class breaks, equal to what the server's run paints when the slider is there."""
    at = run_app(params)
    view = layers(at)["states"]
    bounds = year_bounds(seeds.load_records())
    years = tuple(at.session_state["years"])
    current = f"{years[0]}-{years[1]}"
    steps = decode_steps(view["steps"])
    assert view["steps"]["slider"] == "years" and view["steps"]["current"] == current
    assert not view["steps"]["playing"]
    assert list(steps) == [f"{a}-{b}" for a, b in drag_ranges(years, bounds)]
    assert steps[current] == view["fills"]
    assert len({tuple(fills.values()) for fills in steps.values()}) > 1  # the ranges do differ
    for moved in ((bounds[0], years[1]), (years[1], years[1]), (years[0], bounds[1]), (years[0], years[0])):
        fresh = run_app(params)  # the slider moved there, from this view
        fresh.slider(key="years").set_value(moved).run()
        value = f"{moved[0]}-{moved[1]}"
        assert layers(fresh)["states"]["fills"] == steps[value]
        assert legend_rows(fresh)[1:] == legend_step_rows(view["steps"], value)  # the legend the runtime drew


@pytest.mark.parametrize(
    "params",
    [*RECORD_VIEWS, {"metric": "exports", "sectors": "Automotive", "year": "2019"}, {"metric": "exports"},
     {"metric": "export_lq", "sectors": "Aerospace,ICT", "year": "2010"}],
)  # fmt: skip
def test_the_map_carries_the_fills_of_the_sector_selections_one_tap_reaches_as_the_server_paints_them(params):
    """The sector control: the fills of every selection one tap reaches (each sector added or
    removed, "clear all"; and the presenter keys' previous and next sector), each in its own class
    breaks, equal to the server's run after that tap."""
    at = run_app(params)
    view = layers(at)["states"]
    chosen = tuple(at.session_state["sectors"])
    taps = decode_steps(view["steps"], taps=True)
    reached = tap_sectors(chosen, SECTORS)
    stepped = [step_sector(chosen, SECTORS, step) for step in (-1, 1)]  # the presenter's keys reach these
    assert list(taps) == list(dict.fromkeys(sector_key(each, SECTORS) for each in [*reached, *stepped]))
    assert (
        view["steps"]["taps"]["current"] == sector_key(chosen, SECTORS)
        and taps[sector_key(chosen, SECTORS)] == view["fills"]
    )
    assert len({tuple(fills.values()) for fills in taps.values()}) > 2  # the selections do differ
    for tapped in (reached[1], reached[2], reached[-1]):
        fresh = run_app(params)  # the tap, from this view
        fresh.multiselect(key="sectors").set_value(list(tapped)).run()
        key = sector_key(tapped, SECTORS)
        assert layers(fresh)["states"]["fills"] == taps[key], tapped
        assert legend_rows(fresh)[1:] == legend_step_rows(view["steps"], key, taps=True), tapped


@pytest.mark.parametrize(
    "params",
    [{"present": "1", "metric": "per_million"}, {"present": "1", "sectors": "ICT,Energy"},
     {"present": "dark", "metric": "exports", "sectors": "Automotive"}],
)  # fmt: skip
def test_the_presenters_sector_keys_reach_taps_the_server_paints_alike(params):
    """In presenter mode the taps also hold the previous and next sector (Shift+Left/Right), named
    by their keys for the runtime; each equals what the server paints after that key's button."""
    at = run_app(params)
    taps = layers(at)["states"]["steps"]["taps"]
    chosen = tuple(at.session_state["sectors"])
    assert taps["keys"] == {"ArrowLeft": sector_key(step_sector(chosen, SECTORS, -1), SECTORS),
                            "ArrowRight": sector_key(step_sector(chosen, SECTORS, 1), SECTORS)}  # fmt: skip
    steps = layers(at)["states"]["steps"]
    for key, label in (("ArrowRight", "Sector ▶"), ("ArrowLeft", "◀ Sector")):
        fresh = run_app(params)
        next(b for b in fresh.button if b.label == label).click().run()
        assert layers(fresh)["states"]["fills"] == decode_steps(steps, taps=True)[taps["keys"][key]], key
        assert legend_rows(fresh)[1:] == legend_step_rows(steps, taps["keys"][key], taps=True), key
    assert "keys" not in layers(run_app({k: v for k, v in params.items() if k != "present"}))["states"]["steps"]["taps"]


def legend_rows(at) -> list[tuple[str, str]]:
    """The page legend's rows as (swatch colour, words), the zero row first."""
    [body] = [body for body in legend_titles(at) if 'data-legend="classes"' in body]
    return [
        (colour, html.unescape(words))
        for colour, words in re.findall(r"background:([^;]+);[^>]*></span>([^<]*)</li>", body)
    ]


@pytest.mark.parametrize("key", list(metrics.METRICS))
def test_every_metric_draws_the_map_and_ranks_the_32_states(key):
    at = run_app({"metric": key, "sectors": "Aerospace"})
    assert not at.exception and not notices(at)
    view = layers(at)["states"]
    extra = 0 if key in ("records", "clusters", "projects") else 1  # the metric's line, beside the counts line
    assert len(view["info"]) == 32 and all(len(info) == 5 + extra for info in view["info"].values())
    assert not [frame for frame in at.dataframe if "State" in frame.value.columns]  # closed: not built
    at.session_state["ranking"] = True  # the reader opens the ranking
    at.run()
    [table] = [frame.value for frame in at.dataframe if "State" in frame.value.columns]
    assert sorted(table["State"]) == sorted(names.load_state_table()["state"])
    ranks = table["Rank"].dropna().tolist()
    assert ranks == sorted(ranks)  # best first, states without a value last


def test_location_quotients_need_enough_records():
    at = run_app({"metric": "lq", "sectors": "Aerospace"})
    view = layers(at)["states"]
    timed = filter_records(seeds.load_records(), Filters())
    placed = timed[timed["state_code"] != ""].groupby("state_code").size()
    for code, info in view["info"].items():
        if placed.get(code, 0) < metrics.LQ_MIN_RECORDS:
            assert html.unescape(info[5]).startswith("Too few records")
            assert view["fills"][code] is None


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"metric": "exports", "year": "1990"}, "expected a year 2007-2025"),
        ({"metric": "gdp"}, "unknown metric"),
        ({"compare": "Texas,Ontario"}, "no known state"),
        ({"compare": "Jalisco,Texas"}, 'unknown state(s) "Texas"'),
        ({"compare": "Jalisco,Colima,Nayarit,Sonora,Sinaloa"}, "more than 4 states"),
    ],
)
def test_bad_metric_year_and_compare_values_fall_back_with_a_notice(params, fragment):
    at = run_app(params)
    assert any(fragment in shown(notice) for notice in notices(at)), notices(at)
    assert not at.exception


def test_compared_states_are_outlined_and_shown_side_by_side():
    at = run_app({"compare": "Coahuila,qro,NL"})
    assert at.session_state["compare"] == ["Coahuila", "Querétaro", "Nuevo León"]
    assert at.query_params["compare"] == "Coahuila,Querétaro,Nuevo León"
    view = layers(at)["states"]
    assert view["compared"] == ["05", "22", "19"] and view["comparedStyle"]["dashArray"]
    assert "Compare: Coahuila · Querétaro · Nuevo León" in [s.value for s in at.subheader]
    [table] = [
        frame.value for frame in at.dataframe if list(frame.value.columns) == ["Coahuila", "Querétaro", "Nuevo León"]
    ]
    assert len(table) == len(metrics.METRICS)
    assert table.loc["Records (clusters + projects)"].tolist() == [
        str(int((seeds.load_records()["state"] == state).sum())) for state in ("Coahuila", "Querétaro", "Nuevo León")
    ]
    assert [tab.label for tab in at.tabs][:3] == ["Coahuila", "Querétaro", "Nuevo León"]


def test_one_compared_state_is_outlined_but_not_compared():
    at = run_app({"compare": "Jalisco"})
    assert layers(at)["states"]["compared"] == ["14"]
    assert not any(s.value.startswith("Compare:") for s in at.subheader)


@pytest.mark.parametrize(
    ("query", "state"), [("queretaro", "Querétaro"), ("CDMX", "Ciudad de México"), ("nl", "Nuevo León")]
)
def test_enter_on_a_state_name_or_alias_selects_it(query, state):
    at = run_app()
    at.text_input(key="search").input(query).run()
    assert at.session_state["state"] == state
    assert at.query_params["state"] == state
    assert at.session_state["search"] == ""  # the box is cleared for the next search
    assert state in [s.value for s in at.subheader]  # its story opens


def test_a_partial_search_lists_results_and_choosing_a_record_shows_its_card():
    at = run_app()
    at.text_input(key="search").input("bombardier").run()
    assert at.session_state["state"] is None  # not exact: nothing chosen yet
    [hit] = [b for b in at.button if b.key == "hit-0"]
    assert "Bombardier" in hit.label
    hit.click().run()
    assert at.session_state["state"] == "Querétaro"
    assert any("Bombardier" in m.value for m in at.markdown)  # the record's card, with its sources


def test_a_year_range_says_how_many_undated_records_remain():
    records = seeds.load_records()
    first, last = year_bounds(records)
    at = run_app({"years": f"{first + 1}-{last}"})
    undated = int(records["year"].isna().sum())
    assert any(f"keeps {undated} records whose year is unknown" in c.value for c in at.caption)


def test_play_is_offered_for_both_kinds_of_year():
    assert [b.label for b in run_app().button if b.key == "play"] == ["▶ Play years"]
    assert [b.label for b in run_app({"metric": "exports"}).button if b.key == "play"] == ["▶ Play years"]
    assert official.EXPORT_YEARS == (2007, 2025)


@pytest.mark.parametrize(
    ("params", "key", "last"),
    [({}, "years", "records"), ({"metric": "exports"}, "year", official.EXPORT_YEARS[1])],
)
def test_play_steps_through_every_year_and_stops(monkeypatch, params, key, last):
    monkeypatch.setenv("ATLAS_PLAY_SECONDS", "0")
    at = run_app(params)
    [play] = [b for b in at.button if b.key == "play"]
    play.click().run()  # every step reruns the page until the last year
    if last == "records":
        end = year_bounds(seeds.load_records())[1]
        assert at.session_state["years"] == (end, end)
    else:
        assert at.session_state["year"] == last
    assert at.session_state["playing"] is False
    assert [b.label for b in at.button if b.key == "play"] == ["▶ Play years"]
    assert not at.exception and not any("went wrong" in e.value for e in at.error)


def test_damaged_official_data_is_a_clear_message_and_the_map_stays(tmp_path, monkeypatch):
    folder = tmp_path / "inegi"
    shutil.copytree(official.INEGI_DIR, folder)
    exports = folder / official.EXPORTS_FILE
    exports.write_text(exports.read_text(encoding="utf-8").replace("ANIO,", "YEAR,", 1), encoding="utf-8")
    monkeypatch.setattr(official, "INEGI_DIR", folder)
    st.cache_data.clear()
    st.cache_resource.clear()  # the page keeps each filter's metric as a resource
    try:
        at = run_app({"metric": "exports"})
        [error] = at.error
        assert "official data cannot be read" in error.value and official.EXPORTS_FILE in error.value
        assert "went wrong" not in error.value and len(layers(at)["states"]["fills"]) == 32
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
