"""The whole page through Streamlit's AppTest: default view, filter flows, the state panel, bad links
and broken seeds.

AppTest runs st_folium as a `component_instance` element; its `proto.json_args` carries the map
script and the data layers (`feature_group`), which the atlas runtime draws from JSON arguments
(`window.atlas.states(group, {src, view})`, `window.atlas.markers(group, {src, selection, kind, ...})`).
`tests.helpers.atlas_calls()` parses those options back, so the tests check the map's data, not its text.
No JavaScript runs here; the browser tests cover that.

The first run in a process pays for the imports and the data load (~20 s on a small machine); the
data is then cached for every later AppTest in the same process.
"""

from __future__ import annotations

import html
import json
import re
import shutil
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from geo import deck, seeds
from geo.sectors import SECTORS
from tests.helpers import (
    REPO,
    assert_safe_notice,
    atlas_calls,
    copy_seeds,
    layers,
    map_args,
    map_elements,
    notices,
    rewrite_csv,
    run_app,
    shown,
)

STATE_CODES = [f"{code:02d}" for code in range(1, 33)]


def widget_values(at: AppTest) -> dict:
    return {
        "sectors": at.multiselect(key="sectors").value,
        "years": tuple(at.slider(key="years").value),
        "known": at.toggle(key="known").value,
        "metric": at.selectbox(key="metric").value,
        "state": at.selectbox(key="state").value,
        "basemap": at.selectbox(key="basemap").value,
    }


def summary(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("#### "))


@pytest.fixture(scope="module")
def records():
    return seeds.load_records()


@pytest.fixture(scope="module")
def bounds(records) -> tuple[int, int]:
    years = records["year"].dropna()
    return int(years.min()), int(years.max())


@pytest.fixture(scope="module")
def defaults(bounds) -> dict:
    return {"sectors": [], "years": bounds, "known": False, "metric": "records", "state": None, "basemap": "none"}


@pytest.fixture(scope="module")
def default_app() -> AppTest:
    at = run_app()
    assert not at.exception, at.exception
    return at


def expected_summary(frame) -> str:
    n_clusters = int((frame["kind"] == "cluster").sum())
    n_projects = int((frame["kind"] == "project").sum())
    n_states = frame.loc[frame["state"] != "", "state"].nunique()
    return f"#### {n_clusters} clusters and {n_projects} projects · present in {n_states} of 32 states"


# --------------------------------------------------------------------------- default view


def test_default_view_title_counts_and_no_notice(default_app, records, bounds):
    at = default_app
    assert at.title[0].value == f"Mexico Cluster Atlas — All sectors, {bounds[0]}–{bounds[1]}"
    assert summary(at) == expected_summary(records)
    assert notices(at) == [] and not at.error
    assert dict(at.query_params) == {}  # the default view has a clean link


def test_default_map_carries_all_32_states_and_both_marker_layers(default_app, records):
    args = map_args(default_app)
    assert args["returned_objects"] == ["last_active_drawing"]  # no rerun on pan or zoom
    found = layers(default_app)
    view = found["states"]
    assert sorted(view["fills"]) == STATE_CODES and sorted(view["info"]) == STATE_CODES
    assert all(re.fullmatch(r"#[0-9a-f]{6}", colour) for colour in view["fills"].values())
    assert len(set(view["fills"].values())) > 1  # a choropleth, not one flat colour
    names = {html.unescape(info[0]) for info in view["info"].values()}
    assert names == set(default_app.selectbox(key="state").options)  # tooltips name the 32 states
    totals = {"clusters": 0, "projects": 0}
    for _, clusters, projects, both, _sectors in view["info"].values():  # a count metric: no extra line
        assert both == clusters + projects
        totals["clusters"] += clusters
        totals["projects"] += projects
    mapped = records[records["state"] != ""]
    assert totals == {
        "clusters": int((mapped["kind"] == "cluster").sum()),
        "projects": int((mapped["kind"] == "project").sum()),
    }
    assert view["sectors"] == [html.escape(s) for s in SECTORS] and view["selected"] is None
    # every point is shown: each kind's row range with no bitmask
    for kind in ("cluster", "project"):
        start, stop, bits = found[kind]
        assert bits is None and stop - start == int(((records["kind"] == kind) & (records["state"] != "")).sum())


def test_default_legend_and_state_hint(default_app):
    bodies = [h.proto.body for h in default_app.get("html")]
    legend = next(b for b in bodies if "Records (clusters + projects)" in b)
    assert 'class="atlas-legend"' in legend and legend.count("background:") >= 2  # colour swatches
    assert any("diamond" in b.lower() or "rotate(45deg)" in b for b in bodies)  # marker legend
    assert "Click a state on the map" in default_app.info[0].value
    assert not default_app.subheader  # no state chosen: no state panel


# --------------------------------------------------------------------------- filter flows


def _years(bounds):
    return (bounds[0] + 1, bounds[1])  # drops the first year: some records always leave


# name, action, params after, title fragment (None: title unchanged), does the summary change?
FLOWS = [
    (
        "sectors",
        lambda at, b: at.multiselect(key="sectors").select("Aerospace"),
        lambda b: {"sectors": "Aerospace"},
        "— Aerospace,",
        True,
    ),
    (
        "two sectors",
        lambda at, b: at.multiselect(key="sectors").set_value(["ICT", "Aerospace"]),
        lambda b: {"sectors": "Aerospace,ICT"},
        "— Aerospace and ICT,",  # a list as CLDR writes it (geo.i18n Translator.list)
        True,
    ),
    (
        "years",
        lambda at, b: at.slider(key="years").set_value(_years(b)),
        lambda b: {"years": "{}-{}".format(*_years(b))},
        "{}–{}".format,
        True,
    ),
    (
        "known years",
        lambda at, b: at.toggle(key="known").set_value(True),
        lambda b: {"known": "1"},
        "(known years only)",
        True,
    ),
    (
        "metric",
        lambda at, b: at.selectbox(key="metric").set_value("clusters"),
        lambda b: {"metric": "clusters"},
        None,
        False,
    ),
    ("basemap", lambda at, b: at.selectbox(key="basemap").set_value("osm"), lambda b: {"basemap": "osm"}, None, False),
]


@pytest.mark.parametrize(("name", "act", "params", "title_part", "counts_change"), FLOWS, ids=[f[0] for f in FLOWS])
def test_a_filter_change_reaches_title_url_counts_and_map(
    name, act, params, title_part, counts_change, bounds, default_app
):
    before_title, before_summary, before = default_app.title[0].value, summary(default_app), layers(default_app)
    before_script = map_args(default_app)["script"]
    at = run_app()
    act(at, bounds).run()
    assert not at.exception, at.exception
    assert dict(at.query_params) == params(bounds)
    title = at.title[0].value
    if callable(title_part):
        assert title_part(*_years(bounds)) in title and title != before_title
    elif title_part:
        assert title_part in title and title != before_title
    else:
        assert title == before_title
    assert (summary(at) != before_summary) == counts_change
    after = layers(at)
    if name == "basemap":  # the same base map (so the view is kept), tiles as a data layer
        assert map_args(at)["script"] == before_script
        [tiles] = [options for function, options in atlas_calls(map_args(at)["feature_group"]) if function == "tiles"]
        assert "openstreetmap" in tiles["url"] and "OpenStreetMap" in tiles["attribution"]
        assert after == before
    elif name == "metric":
        assert after["states"]["fills"] != before["states"]["fills"]
        assert any("Clusters" in h.proto.body and "Clusters + projects" not in h.proto.body for h in at.get("html"))
        assert (after["cluster"], after["project"]) == (before["cluster"], before["project"])
    else:  # fewer records: other fills/counts, and a bitmask on the points
        assert after["states"]["info"] != before["states"]["info"]
        assert after["cluster"][2] is not None or after["project"][2] is not None
    assert notices(at) == []


def test_filters_combine_and_clearing_them_restores_the_default_link(bounds, defaults, default_app):
    at = run_app()
    at.multiselect(key="sectors").select("Aerospace").run()
    at.slider(key="years").set_value(_years(bounds)).run()
    at.toggle(key="known").set_value(True).run()
    at.selectbox(key="metric").set_value("projects").run()
    assert dict(at.query_params) == {
        "sectors": "Aerospace", "years": "{}-{}".format(*_years(bounds)), "known": "1", "metric": "projects",
    }  # fmt: skip
    # the link reopens the same view in a new session
    again = run_app(dict(at.query_params))
    assert widget_values(again) == widget_values(at) and notices(again) == []
    assert layers(again) == layers(at) and summary(again) == summary(at)

    at.multiselect(key="sectors").unselect("Aerospace").run()
    assert "sectors" not in at.query_params
    at.slider(key="years").set_value(bounds).run()
    at.toggle(key="known").set_value(False).run()
    at.selectbox(key="metric").set_value("records").run()
    assert not at.exception
    assert dict(at.query_params) == {}
    assert widget_values(at) == defaults
    assert at.title[0].value == default_app.title[0].value and summary(at) == summary(default_app)
    assert layers(at) == layers(default_app)


def test_sector_filter_counts_match_the_records(records):
    at = run_app({"sectors": "aerospace"})  # any letter case
    assert at.multiselect(key="sectors").value == ["Aerospace"]
    assert dict(at.query_params) == {"sectors": "Aerospace"}  # normalised link
    assert summary(at) == expected_summary(records[records["sector"] == "Aerospace"])
    view = layers(at)["states"]
    with_aerospace = records[(records["sector"] == "Aerospace") & (records["state"] != "")]
    counted = {html.unescape(info[0]): info[3] for info in view["info"].values() if info[3]}
    assert counted == with_aerospace.groupby("state").size().to_dict()


# --------------------------------------------------------------------------- state panel


def _state_panel(at: AppTest, state: str, records):
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == [state, f"{state}: clusters and projects"]
    mine = records[records["state"] == state]
    expected = {
        "Clusters": int((mine["kind"] == "cluster").sum()),
        "Projects": int((mine["kind"] == "project").sum()),
    }
    tabs = {t.label.rsplit(" (", 1)[0]: t for t in at.tabs}
    assert set(tabs) == {"Clusters", "Projects", f"Multi-state bodies including {state}"}
    for label, n in expected.items():
        tab = tabs[label]
        assert tab.label == f"{label} ({n})"
        cards = [m.value for m in tab.markdown]
        assert len(cards) == n
        assert sorted(shown(card.split("\n\n")[0]) for card in cards) == sorted(
            mine.loc[mine["kind"] == label[:-1].lower(), "name"]
        )
        assert all("Sources: " in card for card in cards)
    assert layers(at)["states"]["selected"] == mine["state_code"].iloc[0]


def test_choosing_a_state_opens_its_panel_and_goes_into_the_link(records):
    at = run_app()
    at.selectbox(key="state").set_value("Nuevo León").run()
    _state_panel(at, "Nuevo León", records)
    assert dict(at.query_params) == {"state": "Nuevo León"}
    assert not at.info  # the "click a state" hint is gone
    at.selectbox(key="state").set_value(None).run()
    assert dict(at.query_params) == {} and not at.subheader and layers(at)["states"]["selected"] is None


@pytest.mark.parametrize("spelling", ["Queretaro", "querétaro", "Querétaro de Arteaga", " Queretaro "])
def test_a_state_link_in_any_spelling_selects_the_state(spelling, records):
    at = run_app({"state": spelling})
    assert at.selectbox(key="state").value == "Querétaro"
    assert notices(at) == []
    assert dict(at.query_params) == {"state": "Querétaro"}
    _state_panel(at, "Querétaro", records)


def test_state_panel_follows_the_filters(records):
    at = run_app({"state": "Querétaro", "sectors": "Aerospace"})
    mine = records[(records["state"] == "Querétaro") & (records["sector"] == "Aerospace")]
    labels = [t.label for t in at.tabs]
    assert labels[:2] == [
        f"Clusters ({int((mine['kind'] == 'cluster').sum())})",
        f"Projects ({int((mine['kind'] == 'project').sum())})",
    ]
    empty = [t for t in at.tabs if t.label.endswith("(0)")]
    assert all(t.caption[0].value == "None under the current filters." for t in empty)


# --------------------------------------------------------------------------- bad links


LONG = "A" * 10_000
# params, fields that must keep their default, a fragment the notice must contain
BAD_LINKS = [
    ({"sectors": "Atlantisium"}, ["sectors"], 'Ignored sectors="Atlantisium": no known sector'),
    ({"sectors": "Aerospace,Atlantisium"}, [], 'Ignored unknown sector(s) "Atlantisium"'),  # Aerospace kept
    ({"years": "9999-1"}, ["years"], 'Ignored years="9999-1"'),
    ({"years": "2200-2300"}, ["years"], "outside the data's years"),
    ({"years": "abc"}, ["years"], 'Ignored years="abc": expected "YYYY-YYYY"'),
    ({"known": "yes"}, ["known"], 'Ignored known="yes": expected 1 or 0'),
    ({"metric": "<script>alert(1)</script>"}, ["metric"], "Ignored metric: the value contains markup"),
    ({"metric": "jobs"}, ["metric"], 'Ignored metric="jobs": unknown metric'),
    ({"state": "Atlantis"}, ["state"], 'Ignored state="Atlantis": unknown state'),
    ({"basemap": "google"}, ["basemap"], 'Ignored basemap="google": unknown basemap'),
    ({"zoom": "99"}, [], 'Ignored zoom="99": expected a whole number 0-18'),
    ({"center": "999,999"}, [], 'Ignored center="999,999"'),
    ({"state": LONG}, ["state"], "Ignored state: the value is 10000 characters long (limit 200)"),
    ({"sectors": "Aerospace," + "B" * 150}, [], "Ignored unknown sector(s)"),  # long, under the limit
    ({"sectors": ["Aerospace", "ICT"]}, ["sectors"], "Ignored sectors: it appears 2 times"),
    ({"newsletter": "june"}, [], 'Ignored unknown link parameter "newsletter"'),
    ({LONG[:300]: "1"}, [], "Ignored unknown link parameter"),  # a long unknown name
    ({"state": "[click me](https://evil.example)"}, ["state"], "unknown state"),  # markdown in the echo
    ({"metric": ":red[big] $x^2$ **b** `c`"}, ["metric"], "unknown metric"),
]


def _bad_values(params: dict) -> list[str]:
    out = []
    for key, value in params.items():
        out.append(key)
        out += [value] if isinstance(value, str) else list(value)
    return out


@pytest.mark.parametrize(("params", "defaulted", "fragment"), BAD_LINKS, ids=[str(p)[:40] for p, _, _ in BAD_LINKS])
def test_a_bad_link_falls_back_with_a_safe_visible_notice(params, defaulted, fragment, defaults, default_app):
    at = run_app(params)
    assert not at.exception, at.exception
    assert at.title and map_elements(at)  # the page is there, with its map
    values = widget_values(at)
    for field in defaulted:
        assert values[field] == defaults[field], field
    texts = notices(at)
    assert texts, "a bad value must be noticed"
    assert [w.icon for w in at.warning] == ["⚠️"] * len(texts)
    seen = [shown(text) for text in texts]
    assert any(fragment in text for text in seen), seen
    for raw, text in zip(texts, seen, strict=True):
        assert_safe_notice(raw, text, _bad_values(params))
    # the link is rewritten to what is shown: the bad value is gone
    for key, value in params.items():
        assert at.query_params.get(key) != value or key == "sectors"
    assert all(len(v) <= 200 for v in at.query_params.values())


def test_tracking_parameters_are_dropped_silently():
    at = run_app({"utm_source": "newsletter", "fbclid": "x1", "metric": "clusters"})
    assert notices(at) == [] and dict(at.query_params) == {"metric": "clusters"}


def test_good_and_bad_values_in_one_link_keep_the_good_ones(bounds):
    at = run_app({"sectors": "ICT", "years": "abc", "known": "1", "metric": "<b>", "state": "Nuevo Leon"})
    assert not at.exception
    values = widget_values(at)
    assert values["sectors"] == ["ICT"] and values["known"] is True and values["state"] == "Nuevo León"
    assert values["years"] == bounds and values["metric"] == "records"
    assert len(notices(at)) == 2
    assert dict(at.query_params) == {"sectors": "ICT", "known": "1", "state": "Nuevo León"}


def test_a_notice_stays_for_the_session_but_the_link_is_clean():
    at = run_app({"years": "abc"})
    assert len(notices(at)) == 1 and dict(at.query_params) == {}
    at.selectbox(key="metric").set_value("clusters").run()
    assert dict(at.query_params) == {"metric": "clusters"}


# --------------------------------------------------------------------------- seed errors


@pytest.fixture
def fresh_caches():
    """The app caches its data per process, keyed by the synthetic-point count only: a test that
    points ATLAS_SEEDS_DIR elsewhere must start and end with empty caches."""
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_broken_seeds_show_the_problem_and_no_map(tmp_path, monkeypatch, fresh_caches):
    folder = copy_seeds(tmp_path / "seeds")
    done = []

    def future_year(row):
        if not done and row["year"]:
            row["year"] = "3024"
            done.append(row["id"])
            return True
        return False

    [line] = rewrite_csv(folder / "clusters.csv", future_year)
    monkeypatch.setenv("ATLAS_SEEDS_DIR", str(folder))
    at = run_app()
    assert not at.exception, at.exception
    assert at.title[0].value == "Mexico Cluster Atlas"
    assert "1 problem(s)" in at.error[0].value
    [code] = at.code
    assert f"clusters.csv, line {line}, column 'year': '3024' — expected a year between 1900 and" in code.value
    assert not map_elements(at) and not at.get("vega_lite_chart") and not at.tabs
    assert not at.get("multiselect")  # no filters over no data

    # fixed on disk: the next session shows the atlas again (errors are never cached)
    shutil.copy(REPO / "seeds" / "clusters.csv", folder / "clusters.csv")
    again = run_app()
    assert not again.exception and not again.error and map_elements(again)


def test_several_seed_problems_are_all_listed(tmp_path, monkeypatch, fresh_caches):
    folder = copy_seeds(tmp_path / "seeds")
    first = rewrite_csv(
        folder / "projects.csv", lambda row: row["id"].startswith("pr-que-") and row.update(sector="Rocketry") is None
    )
    monkeypatch.setenv("ATLAS_SEEDS_DIR", str(folder))
    at = run_app()
    assert f"{len(first)} problem(s)" in at.error[0].value
    problems = at.code[0].value.splitlines()
    assert len(problems) == len(first)
    assert all(f"projects.csv, line {line}, column 'sector': 'Rocketry'" in problems[i] for i, line in enumerate(first))
    assert "expected one of Aerospace, Automotive" in problems[0]
    assert not map_elements(at)


def test_a_link_with_zoom_and_center_opens_the_map_there_and_keeps_it_in_the_link():
    at = run_app({"zoom": "8", "center": "20.6,-100.4"})
    args = map_args(at)
    assert args["zoom"] == 8 and args["center"] == [20.6, -100.4]
    at.sidebar.toggle[0].set_value(True).run()
    assert at.query_params["zoom"] == "8" and at.query_params["center"] == "20.6,-100.4"
    assert map_args(at)["zoom"] == 8  # unchanged, so st_folium does not move the user's view


def test_without_a_link_view_the_map_opens_on_all_of_mexico(default_app):
    args = map_args(default_app)
    assert args["zoom"] is None and args["center"] is None  # st_folium leaves the view to the map
    assert '"atlasFit": [[14.5, -118.4], [32.72, -86.7]]' in args["script"]  # which fits Mexico


# --------------------------------------------------------------------------- unlucky machines and odd data


def test_no_writable_folder_for_the_map_files_is_a_clear_message(tmp_path, monkeypatch, fresh_caches):
    blocker = tmp_path / "read-only"
    blocker.write_text("a file where a folder should be: nothing can be created below it")
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(blocker / "map-data"))
    at = run_app()
    assert not at.exception, at.exception
    [error] = at.error
    assert "The map cannot be shown" in error.value and "Set ATLAS_CACHE_DIR to a writable folder" in error.value
    assert not map_elements(at)


def test_map_files_deleted_while_the_app_runs_are_published_again(tmp_path, monkeypatch, fresh_caches):
    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    at = run_app()
    published = sorted(p.name for p in tmp_path.glob("*-*.*json"))
    assert len(published) == 6  # states, outline, records, the popups' words in es, en, zh
    for path in tmp_path.glob("*-*.*json"):
        path.unlink()
    at.selectbox(key="metric").set_value("clusters").run()
    assert not at.exception and map_elements(at)
    assert sorted(p.name for p in tmp_path.glob("*-*.*json")) == published


def _set_years(folder: Path, keep: set[str]) -> None:
    """Make every record's year unknown except those of the ids in `keep`."""

    def change(row):
        if row["year"] and row["id"] not in keep:
            row.update(year="", year_basis="unknown")
            return True
        return False

    for name in ("clusters.csv", "projects.csv"):
        rewrite_csv(folder / name, change)


@pytest.mark.parametrize(
    ("kept", "caption", "title"),
    [
        (0, "Years: no record has a known year.", "All sectors, years unknown"),
        (1, "Years: every dated record is from ", "All sectors, "),
    ],
)
def test_seeds_with_no_or_one_known_year_render(kept, caption, title, tmp_path, monkeypatch, fresh_caches, records):
    folder = copy_seeds(tmp_path / "seeds")
    dated = records[records["year"].notna()]
    keep = set(dated["id"].iloc[:kept])
    _set_years(folder, keep)
    monkeypatch.setenv("ATLAS_SEEDS_DIR", str(folder))
    at = run_app({"years": "2000-2010"})
    assert not at.exception, at.exception
    assert any(c.value.startswith(caption) for c in at.sidebar.caption), [c.value for c in at.sidebar.caption]
    assert not at.get("slider") and map_elements(at)
    assert title in at.title[0].value
    if kept:
        year = int(dated["year"].iloc[0])
        assert f"from {year}." in " ".join(c.value for c in at.sidebar.caption)
    at.toggle(key="known").set_value(True).run()
    counts = re.match(r"#### (\d+) clusters? and (\d+) projects?", summary(at))
    assert not at.exception and int(counts[1]) + int(counts[2]) == kept


def test_a_failure_inside_the_page_shows_a_plain_message_and_logs_the_details(monkeypatch, caplog):
    from layers import style

    def broken(*args, **kwargs):
        raise RuntimeError("classification exploded at /srv/secret/path")

    monkeypatch.setattr(style, "classify", broken)
    with caplog.at_level("ERROR", logger="atlas"):
        at = run_app()
    assert not at.exception, at.exception  # no traceback element for users
    assert any("Something went wrong while drawing this page" in e.value for e in at.error)
    assert "/srv/secret" not in json.dumps([e.value for e in at.error])
    assert any("classification exploded" in record.exc_text for record in caplog.records if record.exc_text)


# --------------------------------------------------------------------------- presenter mode and decks


def test_a_deck_link_opens_its_scene_and_the_keys_step_through_it():
    chosen = deck.load_deck(
        deck.list_decks()["bajio-aerospace"],
        sectors=SECTORS,
        year_bounds=None,
        states=list(seeds.load_records()["state"].unique()),
    )
    at = run_app({"deck": "bajio-aerospace", "scene": "2", "present": "1"})
    assert not at.exception, at.exception
    second = chosen.scenes[1]
    assert any(second.title in shown(h.value) for h in at.subheader), [h.value for h in at.subheader]
    assert at.multiselect(key="sectors").value == list(second.view.sectors)
    assert at.selectbox(key="state").value == second.view.state
    assert map_args(at)["zoom"] == second.view.zoom and tuple(map_args(at)["center"]) == second.view.center
    assert at.query_params["deck"] == "bajio-aerospace" and at.query_params["scene"] == "2"
    assert any(".atlas-legend { font-size: 1.3rem" in h.proto.body for h in at.get("html"))  # presenter CSS

    next(b for b in at.button if b.label == "Scene ▶").click().run()
    third = chosen.scenes[2]
    assert not at.exception and at.query_params["scene"] == "3"
    assert any(third.title in shown(h.value) for h in at.subheader)
    assert at.multiselect(key="sectors").value == list(third.view.sectors)
    next(b for b in at.button if b.label == "◀ Scene").click().run()
    assert at.query_params["scene"] == "2"


def test_presenter_keys_step_sectors_and_years(bounds):
    at = run_app({"present": "1"})
    next(b for b in at.button if b.label == "Sector ▶").click().run()
    assert at.multiselect(key="sectors").value == [SECTORS[0]]
    next(b for b in at.button if b.label == "Sector ▶").click().run()
    assert at.multiselect(key="sectors").value == [SECTORS[1]]
    next(b for b in at.button if b.label == "Year ▶").click().run()
    assert at.query_params["years"] == f"{bounds[0]}-{bounds[0]}"
    assert at.title[0].value.endswith(f", {bounds[0]}")  # one year reads as one year
    next(b for b in at.button if b.label == "Exit presenter mode").click().run()
    assert "present" not in at.query_params and not any(b.label == "Sector ▶" for b in at.button)


def test_a_bad_deck_names_file_scene_and_field_and_the_rest_plays(tmp_path, monkeypatch, fresh_caches):
    (tmp_path / "broken.toml").write_text(
        'version = 1\ntitle = "Broken"\n'
        '[[scenes]]\ntitle = "Fine"\ncaption = "All sectors."\n'
        '[[scenes]]\ntitle = "Bad"\ncaption = "One sector."\nsectors = ["Rocketry"]\n'
        '[[scenes]]\ntitle = "Also fine"\ncaption = "Clusters."\nmetric = "clusters"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("ATLAS_DECKS_DIR", str(tmp_path))
    at = run_app({"deck": "broken", "scene": "2"})
    assert not at.exception, at.exception
    [problem] = [shown(w.value) for w in at.warning if "broken.toml" in shown(w.value)]
    assert "scene 2" in problem and "sectors" in problem and "Rocketry" in problem
    assert map_elements(at)  # the bad scene plays with its default sectors
    next(b for b in at.button if b.label == "Scene ▶").click().run()
    assert at.selectbox(key="metric").value == "clusters" and at.query_params["scene"] == "3"
