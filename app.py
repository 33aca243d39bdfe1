"""Mexico Cluster Atlas: page layout and widgets only; data work is in geo/, map layers in layers/."""

import datetime
import html
import logging
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlencode

import streamlit as st

from geo import i18n


def browser_lang() -> str:
    """The language the browser asks for (st.context.locale), else English."""
    return i18n.negotiate(st.context.locale) or i18n.DEFAULT


def tr() -> i18n.Translator:
    """This session's translator: the language widget's, else the link's, else the browser's (never process-wide)."""
    lang = st.session_state.get("lang") or i18n.negotiate(st.query_params.get("lang")) or browser_lang()
    return i18n.translator(lang)


st.set_page_config(page_title=tr().t("app.title"), page_icon="🗺️", layout="wide")
# The first visitor after a start waits for the imports below (pandas, geopandas, folium and the
# data: seconds on a small machine). Say so at once rather than show a blank page.
LOADING = st.empty()
if "geopandas" not in sys.modules:
    LOADING.info(tr().t("app.starting"))

import pandas as pd
from streamlit_folium import st_folium

from geo import (
    boundaries,
    db,
    deck,
    documents,
    export,
    join,
    metrics,
    official,
    search,
    seeds,
    source,
    synthetic,
    upload,
)
from geo.profile import StateProfile, state_profile
from geo.schema import LABELS
from geo.sectors import SECTORS
from geo.view import (
    MAX_COMPARE,
    PRESENT_OFF,
    View,
    clicked_state,
    drag_ranges,
    parse_view,
    sector_key,
    step_sector,
    step_years,
    tap_sectors,
    view_filters,
    view_from_session,
    view_title,
    view_to_params,
    view_to_session,
)
from layers import assets, basemap, cards, choropleth, mapimage, markers, server, style
from layers.charts import bar_chart_spec, compact, compare_chart_spec, line_chart_spec, on_dark, year_chart_spec

SYNTHETIC_POINTS = int(os.environ.get("ATLAS_SYNTHETIC_POINTS", "0") or 0)
LOG = logging.getLogger("atlas")
LATEST_EXPORT_YEAR = official.EXPORT_YEARS[1]
COUNT_METRICS = ("records", "clusters", "projects")  # the tooltip's counts line shows these already
PLAY_SECONDS = float(os.environ.get("ATLAS_PLAY_SECONDS", "1.5") or 1.5)  # a step of playback (tests: shorter)
SEARCH_RESULTS = 6
STEP_KEYS = {"ArrowLeft": -1, "ArrowRight": 1}  # with Shift: the presenter's previous and next sector
PRESENT_MODES = (PRESENT_OFF, "light", "dark")


@st.cache_data(ttl=2, show_spinner=False)
def data_revision() -> int:
    """The records' revision (geo.source), read at most every 2 s: a rerun does not re-read the data."""
    return source.revision()


def data_key() -> tuple[int, int]:
    """What every cached frame depends on: the synthetic points and the revision this run reads
    (fixed at the start of the run by main, so one page never mixes two revisions)."""
    return st.session_state.get("data_key", (SYNTHETIC_POINTS, 0))


@st.fragment(run_every=5)
def follow_database() -> None:
    """With the database as the source: an edit committed there reruns the page within seconds,
    without a click (this fragment draws nothing; its reruns cost one cached revision read)."""
    if data_revision() != data_key()[1]:
        st.rerun(scope="app")


SHOWN_COLUMNS = ("id", "name", "kind", "state", "year", "geometry")  # what a run reads of the matching records


# Two revisions (the current and the one before), each with and without benchmark points. A
# resource, not st.cache_data: every caller gets the same frames instead of an unpickled copy of all
# records per call (with a million benchmark points that copy dominated each filter change); geo/
# and layers/ never modify the frames they are given.
@st.cache_resource(show_spinner=False, max_entries=4)  # main() shows the spinner, in the session's language
def load_data(data: tuple[int, int]):
    """States and validated records (plus synthetic benchmark points when asked) of one revision."""
    synthetic_points, _ = data
    states = boundaries.load_states("web")
    records = source.records()
    if synthetic_points:
        extra = synthetic.synthetic_projects(states, synthetic_points)
        records = pd.concat([records, extra], ignore_index=True)
    return states, records


# Revalidated on every use (a few dictionary lookups): the launcher's warm-up fills this cache
# under AppTest's stand-in runtime, whose registrations the real one does not have.
@st.cache_resource(show_spinner=False, validate=lambda value: server.registered(value[0]))
def served() -> tuple[dict[str, str], str, assets.MapAssets]:
    """Once per process: the map's folders served (URL prefix of each), its data folder, and the
    URLs of the libraries, runtime and CSS the base map loads."""
    folder = assets.data_dir()
    prefixes = server.serve(assets.folders(folder))
    return prefixes, str(folder), assets.map_assets(prefixes)


@st.cache_resource(show_spinner=False, max_entries=2)  # this revision's and the one before
def map_data(data: tuple[int, int]) -> assets.MapData:
    """Geometry and marker details published once as static files: a filter change then sends a few kB."""
    states, records = load_data(data)
    prefixes, folder, _ = served()
    outline = boundaries.country_outline(states)
    return assets.publish_map_data(states, records, outline=outline, folder=folder, prefix=prefixes["data"])


def current_map_data() -> assets.MapData:
    """The published map data, published again if its files were deleted while the app runs."""
    data = map_data(data_key())
    if data.missing():
        map_data.clear()
        data = map_data(data_key())
    return data


@st.cache_resource(show_spinner=False)
def settle_heap() -> bool:
    server.settle_heap()  # once per process
    return True


# From here on, per-filter results are resources too: a hit hands back the cached object instead
# of unpickling a copy, which for the ten lookups of a filter change took ~27 ms of a 78 ms run
# (bench/rerun_profile.py). Nothing modifies what they return; their numpy arrays are read-only.
@st.cache_resource(show_spinner=False, max_entries=256)
def filtered_rows(sectors: tuple, years: tuple, known: bool, labels: tuple, data: tuple[int, int]):
    """Per-state counts (without the states' geometry: the map draws its published copy) and the
    matching records' positions for one filter setting (primitive keys, cached). What an entry
    holds is then a few kB whatever the data: the geometry was 165 kB an entry, and 256 entries
    of a million-point table's matching rows would be gigabytes."""
    states, records = load_data(data)
    filters = join.Filters(sectors=sectors, years=years, known_years_only=known, labels=labels)
    rows = join.matching_rows(records, filters)
    rows.flags.writeable = False
    counts = pd.DataFrame(join.state_counts(states, records, filters, rows).drop(columns="geometry"))
    return counts, rows


def filtered(sectors: tuple, years: tuple, known: bool, labels: tuple, data: tuple[int, int]):
    """Per-state counts, the matching records (only the columns a run reads: copying every column
    of a million rows took ~0.1 s a run) and their positions, for one filter setting."""
    counts, rows = filtered_rows(sectors, years, known, labels, data)
    return counts, load_data(data)[1][list(SHOWN_COLUMNS)].take(rows), rows


@st.cache_resource(show_spinner=False)
def overview(data: tuple[int, int]) -> tuple[tuple[str, ...], tuple[int, int] | None]:
    """The state names and the records' year range: all most runs need from the full frames, as
    primitives."""
    states, records = load_data(data)
    return tuple(states["state"]), join.year_bounds(records)


@st.cache_resource(show_spinner=False, max_entries=256)
def chart_specs(sectors: tuple, years: tuple, known: bool, labels: tuple, data: tuple[int, int], lang: str):
    """The two charts' specs (records by sector, by known year; None when nothing is dated), the
    sector chart's bar count and the undated records, for one filter setting: built once, not on
    every rerun (melting the counts into chart rows is the charts' main cost)."""
    _, records = load_data(data)
    filters = join.Filters(sectors=sectors, years=years, known_years_only=known, labels=labels)
    _, rows = filtered_rows(sectors, years, known, labels, data)  # the map's run has just found them
    by_sector = join.sector_counts(records, filters, rows)
    tr = i18n.translator(lang)
    by_sector = by_sector[by_sector.sum(axis=1) > 0].rename(index=tr.sector)
    by_year = join.year_counts(records, filters, rows)
    year_spec = None if by_year.empty else year_chart_spec(by_year, tr)
    bars = bar_chart_spec(by_sector, horizontal=True, tr=tr)
    return bars, len(by_sector), year_spec, join.undated_count(records, filters, rows)


@st.cache_resource(show_spinner=False, max_entries=256)
def profile_of(state: str, sectors: tuple, years: tuple, known: bool, labels: tuple, data: tuple[int, int]):
    """One state's panel (counts, timeline, listings) for one filter setting."""
    _, records = load_data(data)
    return state_profile(
        records, state, join.Filters(sectors=sectors, years=years, known_years_only=known, labels=labels)
    )


@st.cache_resource(show_spinner=False, max_entries=256)
def record_tally(years, known: bool, labels: tuple, data: tuple[int, int]) -> metrics.Tally:
    """The matching records' counts by state, kind and sector (geo.metrics.tally_of), all a record
    metric reads of them, whatever the sectors: a sector change reuses it (at a million records
    counting them took ~0.16 s, twice per change: once for the values, once for the breaks)."""
    _, records = load_data(data)
    filters = join.Filters(years=years, known_years_only=known, labels=labels)
    return metrics.tally_of(join.filter_columns(records, filters, metrics.RECORD_COLUMNS))


@st.cache_resource(show_spinner=False, max_entries=256)
def metric_values(key: str, sectors: tuple, years, known: bool, labels: tuple, export_year: int, data: tuple[int, int],
                  lang: str):  # fmt: skip
    """The metric for the 32 states under one filter setting (geo.metrics), its texts and caveats in `lang`, cached."""
    exports = metrics.METRICS[key].uses_export_year  # INEGI's figures: no records read
    timed = None if exports else record_tally(years, known, labels, data)
    return metrics.state_metric(key, timed, sectors=sectors, export_year=export_year, tr=i18n.translator(lang))


@st.cache_resource(show_spinner=False, max_entries=64)
def metric_classes(key: str, sectors: tuple, years, known: bool, labels: tuple, export_year: int, playing: str | None,
                   data: tuple[int, int]) -> tuple[style.Classes, choropleth.Steps | None]:  # fmt: skip
    """The map's class breaks (layers.style.classify) of the values geo.metrics.classed_values gives
    map images (the per-filter tally's, or the export years'); while the records' years play
    (`playing` = the play mode), pooled over every step, so colours compare. With them, the steps
    the map repaints from in the browser when a year slider moves or a playback step begins
    (layers.choropleth.Steps): every export year for the export metrics (their breaks pool the
    years anyway), every playback step while the records' years play, else the ranges one drag reaches (drag_steps)."""
    metric = metrics.METRICS[key]
    if metric.uses_export_year:  # INEGI's figures: the records' filters do not change them
        table = metrics.yearly_values(key, sectors=sectors)
        classes = style.classify(metrics.pooled(table), k=5)
        taps = None if playing else export_taps(key, sectors, export_year, classes)
        steps = choropleth.Steps("year", table.rename(columns=str), str(export_year), playing is not None, taps=taps)
        return classes, steps
    bounds = overview(data)[1]  # the records' year range
    steps = [years]
    if playing and bounds is not None:
        steps = [play_years(year, bounds, playing) for year in range(bounds[0], bounds[1] + 1)]
    timed = [record_tally(step, known, labels, data) for step in steps]
    values = [metrics.state_metric(key, tally, sectors=sectors).values / metric.scale for tally in timed]
    classes = style.classify(pd.concat(values, ignore_index=True), k=5)
    if len(steps) == 1:
        return classes, drag_steps(key, sectors, years, known, labels, classes, data)
    table = pd.DataFrame({f"{first}-{last}": each for (first, last), each in zip(steps, values, strict=True)})
    return classes, choropleth.Steps("years", table, f"{years[0]}-{years[1]}", playing=True)


def drag_steps(key: str, sectors: tuple, years, known: bool, labels: tuple, classes: style.Classes,
               data: tuple[int, int]) -> choropleth.Steps | None:  # fmt: skip
    """The steps of the year ranges one drag of a handle reaches from `years` and of the sector
    selections one tap reaches from `sectors` (the taps), each classed alone as the server's run
    would class it (`classes`: this view's); None without a range slider."""
    bounds = overview(data)[1]
    if bounds is None or bounds[0] == bounds[1]:
        return None
    tally = year_tally(known, labels, data)
    table = metrics.range_values(key, tally, drag_ranges(years, bounds), sectors=sectors)
    current = f"{years[0]}-{years[1]}"
    choices = sector_choices(sectors)
    tapped = metrics.sector_values(key, tally, years, choices)
    now = sector_key(sectors, SECTORS)

    def own(values: pd.DataFrame, this: str) -> dict[str, style.Classes]:
        return {column: classes if column == this else style.classify(values[column], k=5) for column in values}

    taps = choropleth.Taps(tapped, now, own(tapped, now))
    return choropleth.Steps("years", table, current, classes=own(table, current), taps=taps)


def sector_choices(sectors: tuple) -> dict[str, tuple[str, ...]]:
    """The sector selections the map holds steps for, by key: one tap on the sector control from
    `sectors` (itself first), and the presenter's previous and next sector (Shift+Left/Right)."""
    reached = [*tap_sectors(sectors, SECTORS), *key_steps(sectors).values()]
    return {sector_key(each, SECTORS): each for each in reached}


def key_steps(sectors: tuple) -> dict[str, tuple[str, ...]]:
    """The selection each of the presenter's Shift+<key> sector keys (STEP_KEYS) steps to from `sectors`."""
    return {key: step_sector(sectors, SECTORS, step) for key, step in STEP_KEYS.items()}


def export_taps(key: str, sectors: tuple, export_year: int, classes: style.Classes) -> choropleth.Taps:
    """The taps of an export metric: each selection one tap reaches from `sectors`, in `export_year`,
    classed on its own 19 years pooled, as the server's run would class it (`classes`: this view's)."""
    choices = sector_choices(sectors)
    yearly = metrics.sector_yearly_values(key, choices)
    now = sector_key(sectors, SECTORS)
    breaks = {
        name: classes if name == now else style.classify(metrics.pooled(table), k=5) for name, table in yearly.items()
    }
    return choropleth.Taps(pd.DataFrame({name: table[export_year] for name, table in yearly.items()}), now, breaks)


@st.cache_resource(show_spinner=False, max_entries=16)
def year_tally(known: bool, labels: tuple, data: tuple[int, int]) -> metrics.YearTally:
    """The matching records' counts by year, state, kind and sector (geo.metrics.YearTally), whatever
    the years and sectors: all the steps of a year-range drag read of the records."""
    _, records = load_data(data)
    filters = join.Filters(known_years_only=known, labels=labels)
    columns = join.filter_columns(records, filters, (*metrics.RECORD_COLUMNS, "year"))
    tally = metrics.year_tally_of(columns, overview(data)[1])
    tally.counts.flags.writeable = False
    return tally


def play_years(year: int, bounds: tuple[int, int], mode: str | None) -> tuple[int, int]:
    """The year range one step of playback shows: that year alone, or every year up to it ("upto")."""
    return (bounds[0], year) if mode == "upto" else (year, year)


def current_view() -> View:
    return view_from_session(st.session_state, sectors=SECTORS)


def sync_url() -> None:
    """Widget on_change: the URL always holds the view, so a link reopens it."""
    params = view_to_params(current_view(), st.session_state["defaults"])
    st.query_params.from_dict(params)
    st.session_state["url_written"] = link_key(params)


def link_key(params) -> dict:
    """A link's parameters as compared for Back/Forward: as lists, without the map area (which
    the map itself keeps in the URL, unknown to the server until the next link is opened)."""
    return {k: [v] if isinstance(v, str) else list(v) for k, v in params.items() if k not in ("zoom", "center")}


def url_params() -> dict[str, list[str]]:
    return {k: st.query_params.get_all(k) for k in st.query_params}


def link_view(params, defaults: View, states_list: tuple[str, ...]) -> tuple[View, list[str]]:
    view, notices = parse_view(
        params,
        sectors=SECTORS,
        year_bounds=defaults.years,
        states=states_list,
        basemaps=tuple(basemap.BASEMAPS),
        decks=tuple(deck.list_decks()),
        export_years=official.EXPORT_YEARS,
        tr=tr(),
    )
    return replace(view, year=view.year or defaults.year, lang=view.lang or defaults.lang), notices


def follow_history(states_list: tuple[str, ...]) -> None:
    """Back/Forward: Streamlit reruns with the URL the browser went back to; when that is not the
    link this session last wrote, the page shows that link's view (before the widgets are drawn)."""
    ss = st.session_state
    params = url_params()
    if link_key(params) == ss.get("url_written"):
        return
    view, notices = link_view(params, ss["defaults"], states_list)
    ss.update(notices=notices, url_written=link_key(params), **view_to_session(view))
    ss.pop("scene_applied", None)


def init_state(defaults: View, states_list: tuple[str, ...]) -> None:
    """First run of a session: widgets start from the URL (bad values fall back, with notices)."""
    if "defaults" in st.session_state:
        return
    view, notices = link_view(url_params(), defaults, states_list)
    # zoom and center: a link's map view, applied when the map opens, then left to the user
    st.session_state.update(defaults=defaults, notices=notices, last_click=None, **view_to_session(view))
    params = view_to_params(view, defaults)
    st.query_params.from_dict(params)
    st.session_state["url_written"] = link_key(params)


@st.cache_data(show_spinner=False, max_entries=32)
def scene_deck(name: str, modified: int, bounds: tuple[int, int] | None, states_list: tuple[str, ...]) -> deck.Deck:
    """A deck file, loaded and checked once per version of the file (`modified`)."""
    path = deck.list_decks()[name]
    return deck.load_deck(
        path, sectors=SECTORS, year_bounds=bounds, states=states_list, basemaps=tuple(basemap.BASEMAPS),
        export_years=official.EXPORT_YEARS,
    )  # fmt: skip


def current_deck(view: View, bounds, states_list: tuple[str, ...]) -> deck.Deck | None:
    paths = deck.list_decks()
    if view.deck not in paths:
        return None
    return scene_deck(view.deck, paths[view.deck].stat().st_mtime_ns, bounds, states_list)


def apply_scene(chosen: deck.Deck | None) -> None:
    """A newly chosen scene sets the view (filters, state, map area, layers); runs before the widgets."""
    ss = st.session_state
    if chosen is None or not chosen.scenes:
        ss.pop("scene_applied", None)
        return
    number = min(ss.get("scene") or 1, len(chosen.scenes))
    if ss.get("scene_applied") == (chosen.name, number):
        return
    scene = chosen.scenes[number - 1]
    view = current_view()
    ss.update(
        view_to_session(replace(scene.view, present=view.present, deck=chosen.name, scene=number, lang=view.lang))
    )
    ss.update(scene_applied=(chosen.name, number), scene_layers=scene.layers)
    sync_url()


def step_scene(step: int, count: int) -> None:
    ss = st.session_state
    ss["scene"] = max(1, min(count, (ss.get("scene") or 1) + step))
    sync_url()


def step_sector_filter(step: int) -> None:
    ss = st.session_state
    ss["sectors"] = list(step_sector(current_view().sectors, SECTORS, step))
    sync_url()


def step_year_filter(step: int) -> None:
    ss = st.session_state
    ss["years"] = step_years(current_view().years, ss["defaults"].years, step)
    sync_url()


def choose_deck() -> None:
    st.session_state["scene"] = 1 if st.session_state.get("deck") else None
    sync_url()


def apply_map_click(states_list: tuple[str, ...]) -> None:
    """A click on a state (returned by st_folium) selects it; runs before the widgets are drawn."""
    pending = st.session_state.pop("pending_state", None)
    if pending in states_list:
        st.session_state["state"] = pending
        sync_url()


@st.cache_resource(show_spinner=False, max_entries=2)
def search_index(revision: int):
    """States, cities and the documented records to search (never the benchmark's synthetic points)."""
    return search.build_index(load_data((0, revision))[1])


def choose_hit(hit: search.Hit) -> None:
    """A search result: select its state (the map brings it into view) and, for a record, show its card."""
    ss = st.session_state
    if hit.state:
        ss["state"] = hit.state
    ss.update(found=hit.record_id, search="")
    sync_url()


def search_enter() -> None:
    """Enter in the search box: an exact name or alias is chosen at once; otherwise the list shows."""
    hits = search.search(st.session_state.get("search", ""), search_index(data_key()[1]), limit=1)
    if hits and search.is_exact(st.session_state["search"], hits[0]):
        choose_hit(hits[0])


def search_box() -> None:
    t = tr().t
    query = st.text_input(
        t("search.label"), key="search", on_change=search_enter, placeholder=t("search.placeholder"),
        help=t("search.help"),
    )  # fmt: skip
    hits = search.search(query, search_index(data_key()[1]), limit=SEARCH_RESULTS)
    if query and not hits:
        st.caption(t("search.none"))
    for number, hit in enumerate(hits):
        st.button(hit_text(hit), key=f"hit-{number}", on_click=choose_hit, args=(hit,), type="tertiary")


def hit_text(hit: search.Hit) -> str:
    """A search result in the session's language (names as written)."""
    t = tr().t
    if hit.kind in ("state", "city"):
        return t(f"search.hit.{hit.kind}", name=hit.name, state=hit.state)
    where = hit.state or t("card.no_state")
    return t("search.hit.record", name=hit.name, kind=t(f"kind.{hit.kind}"), where=where)


def found_record(points) -> None:
    """The record chosen in the search box, as a card with its sources."""
    record_id = st.session_state.get("found")
    if not record_id:
        return
    _, records = load_data(data_key())
    match = records[records["id"] == record_id]
    if match.empty:
        return
    with st.container(border=True):
        st.markdown(cards.record_card(match.iloc[0].to_dict(), tr()))
        if not (points["id"] == record_id).any():
            st.caption(tr().t("found.hidden"))
        st.button(tr().t("found.close"), key="close-found", on_click=st.session_state.update, kwargs={"found": None})


def sidebar(states_list: tuple[str, ...], bounds: tuple[int, int] | None) -> None:
    t = tr().t
    with st.sidebar:
        st.segmented_control(
            t("lang.label"), i18n.LANGUAGES, key="lang", format_func=i18n.NAMES.get, required=True,
            on_change=sync_url,
        )  # fmt: skip
        search_box()
        st.selectbox(
            t("profile.label"),
            states_list,
            key="state",
            index=None,
            placeholder=t("profile.placeholder"),
            on_change=sync_url,
        )
        st.header(t("filters.header"))
        st.multiselect(
            t("sectors.label"), SECTORS, key="sectors", on_change=sync_url, placeholder=t("sectors.placeholder"),
            help=t("sectors.help"), format_func=tr().sector,
        )  # fmt: skip
        if bounds is None:
            st.caption(t("years.none"))
        elif bounds[0] == bounds[1]:
            st.caption(t("years.single", year=bounds[0]))
        else:
            st.slider(t("years.label"), *bounds, key="years", on_change=sync_url, help=t("years.help"))
        st.toggle(t("known.label"), key="known", on_change=sync_url)
        st.multiselect(
            t("labels.label"), LABELS, key="labels", on_change=sync_url, placeholder=t("labels.placeholder"),
            help=t("labels.help"), format_func=lambda label: t(f"ecei.{label}"),
        )  # fmt: skip
        st.selectbox(
            t("metric.label"),
            list(metrics.METRICS),
            key="metric",
            format_func=lambda key: t(f"metric.{key}.label"),
            on_change=sync_url,
            help=t("metric.help"),
        )
        exports_metric = metrics.METRICS[st.session_state["metric"]].uses_export_year
        if exports_metric:
            if st.session_state.get("year") is None:  # a scene or an old link without one: the latest
                st.session_state["year"] = LATEST_EXPORT_YEAR
            st.slider(t("year.label"), *official.EXPORT_YEARS, key="year", on_change=sync_url, help=t("year.help"))
        play_controls(bounds, exports_metric)
        st.multiselect(
            t("compare.label"), states_list, key="compare", max_selections=MAX_COMPARE, on_change=sync_url,
            placeholder=t("compare.placeholder"), help=t("compare.help"),
        )  # fmt: skip
        st.selectbox(
            t("basemap.label"), list(basemap.BASEMAPS), key="basemap", format_func=lambda key: t(f"basemap.{key}"),
            on_change=sync_url,
        )  # fmt: skip
        st.header(t("present.header"))
        names = deck.list_decks()
        st.selectbox(
            t("deck.label"),
            [None, *names],
            key="deck",
            # a deck's name is its file's (decks/), as written
            format_func=lambda name: t("deck.none") if name is None else name.replace("-", " ").capitalize(),
            placeholder=t("deck.none"),  # shown while no deck is chosen (Streamlit's own is English)
            on_change=choose_deck,
            help=t("deck.help"),
        )
        st.radio(
            t("presenter.label"),
            PRESENT_MODES,
            key="present",
            format_func=lambda mode: t(f"presenter.{mode}"),
            on_change=sync_url,
            help=t("presenter.help"),
        )
        your_data()


def your_data() -> None:
    """The user's own file: read by geo.upload, kept in this session only, drawn as its own layer."""
    t = tr()
    with st.expander(t.t("upload.header")):
        st.caption(t.t("upload.help", mb=upload.MAX_BYTES // 2**20, rows=t.number(upload.MAX_ROWS)))
        st.file_uploader(t.t("upload.file"), type=["csv", "geojson", "json", "gpkg", "xlsx"], key="upload-file",
                         on_change=read_own_file)  # fmt: skip
        st.download_button(t.t("upload.template"), upload.template_csv(), file_name="your-data-template.csv",
                           mime="text/csv", on_click="ignore")  # fmt: skip
        if st.session_state.get("upload_error"):
            st.error(cards.md_text(st.session_state["upload_error"]))
        own = st.session_state.get("upload")
        if own is None:
            return
        got = own[0]
        st.success(cards.md_text(t.plural("upload.drawn", len(got.records), name=got.name, total=t.number(got.rows))))
        for notice in got.notices:
            st.caption(cards.md_text(notice))
        if got.problems:  # plain text: the messages quote the file's cells
            st.warning(t.plural("upload.left_out", len(got.problems)))
            more = len(got.problems) - 20
            st.code("\n".join(got.problems[:20]) + ("\n" + t.t("upload.more", count=more) if more > 0 else ""),
                    language=None, wrap_lines=True)  # fmt: skip


def read_own_file() -> None:
    """The uploader's callback: the file is read and checked once; nothing is written to disk
    (GeoJSON and GeoPackage pass through a temporary file geo.upload deletes at once)."""
    ss = st.session_state
    file = ss.get("upload-file")
    ss["upload"] = ss["upload_error"] = None
    if file is None:
        return
    try:
        got = upload.read_upload(file.name, file.getvalue())
    except upload.UploadError as err:
        ss["upload_error"] = str(err)
        return
    ss["upload"] = (got, markers.marker_table(got.records, inline=True))


def own_layer():
    """The map layer of the user's file, or None."""
    if st.session_state.get("upload") is None:
        return None
    got, table = st.session_state["upload"]
    label = tr().t("upload.layer", name=got.name, count=tr().number(len(got.records)))
    return markers.upload_markers(table, label=label, key=got.digest, tr=tr())


def play_controls(bounds: tuple[int, int] | None, exports_metric: bool) -> None:
    """Play steps through the years: the export year for the exports metrics, else the records'
    years (that year alone, or every year up to it), one step every PLAY_SECONDS."""
    if not exports_metric and (bounds is None or bounds[0] == bounds[1]):
        return
    t = tr().t
    row = st.container(horizontal=True, vertical_alignment="center", gap="small")
    if st.session_state.get("playing"):
        row.button(t("play.stop"), key="play", on_click=st.session_state.update, kwargs={"playing": False})
    else:
        row.button(t("play.start"), key="play", on_click=start_play, args=(exports_metric,))
    if not exports_metric:
        row.segmented_control(
            t("play.mode"), ["in", "upto"], key="play_mode", default="in", label_visibility="collapsed",
            format_func=lambda mode: t(f"play.{mode}"),
        )  # fmt: skip


def start_play(exports_metric: bool) -> None:
    ss = st.session_state
    ss["playing"] = True
    if exports_metric:
        ss["year"] = official.EXPORT_YEARS[0]
    else:
        first = ss["defaults"].years[0]
        ss["years"] = play_years(first, ss["defaults"].years, ss.get("play_mode"))
    sync_url()


def next_play_step(view: View) -> None:
    """After a run that shows a playback step: wait, then ask for the next year (applied by
    apply_play_step before the widgets of the next run), or stop at the last."""
    ss = st.session_state
    time.sleep(PLAY_SECONDS)
    if metrics.METRICS[view.metric].uses_export_year:
        step = {"year": view.year + 1} if view.year < official.EXPORT_YEARS[1] else None
    else:
        bounds = ss["defaults"].years
        more = view.years is not None and view.years[1] < bounds[1]
        step = {"years": play_years(view.years[1] + 1, bounds, ss.get("play_mode"))} if more else None
    if step is None:
        ss["playing"] = False
    ss["play_step"] = step
    st.rerun()


def apply_play_step() -> None:
    """The next year of a playback, set before the widgets are drawn (see next_play_step)."""
    step = st.session_state.pop("play_step", None)
    if step and st.session_state.get("playing"):
        st.session_state.update(step)
        sync_url()


def presenter_bar(view: View, chosen: deck.Deck | None) -> None:
    """Above the map: scene keys (a presentation clicker sends PageDown / PageUp), fullscreen, exit."""
    count = len(chosen.scenes) if chosen else 0
    number = min(view.scene or 1, count) if count else 0
    t = tr().t
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    bar.button(t("scene.previous"), shortcut="PageUp", on_click=step_scene, args=(-1, count), disabled=number <= 1)
    bar.button(t("scene.next"), shortcut="PageDown", on_click=step_scene, args=(1, count), disabled=number >= count)
    with bar:
        st.html(
            f'<button data-atlas-fullscreen class="atlas-fullscreen">{html.escape(t("presenter.fullscreen"))}</button>'
            f"<script>{present_js()}</script>",
            unsafe_allow_javascript=True,
            width="content",
        )
    if view.present:
        bar.button(t("presenter.exit"), on_click=exit_presenter, help=t("presenter.exit_help"))


def stepping_keys(view: View) -> None:
    """Below the map: sector and year keys (Shift+arrows), for stepping through them live."""
    t = tr().t
    bar = st.container(horizontal=True, vertical_alignment="center", gap="small")
    bar.button(
        t("step.sector_previous"), shortcut="Shift+Left", on_click=step_sector_filter, args=(STEP_KEYS["ArrowLeft"],)
    )
    bar.button(
        t("step.sector_next"), shortcut="Shift+Right", on_click=step_sector_filter, args=(STEP_KEYS["ArrowRight"],)
    )
    known = view.years is not None
    bar.button(
        t("step.year_previous"), shortcut="Shift+Down", on_click=step_year_filter, args=(-1,), disabled=not known
    )
    bar.button(t("step.year_next"), shortcut="Shift+Up", on_click=step_year_filter, args=(1,), disabled=not known)


@st.cache_resource(show_spinner=False)
def present_js() -> str:
    return assets.PRESENT_JS.read_text(encoding="utf-8")


@st.cache_resource(show_spinner=False)
def page_style(path: str) -> str:
    """A CSS file as a <style> element, read once per process (not on every rerun), without its
    comments and blank lines: every run sends it (~1 kB less a filter change)."""
    css = re.sub(r"/\*.*?\*/", "", Path(path).read_text(encoding="utf-8"), flags=re.DOTALL)
    return "<style>" + "\n".join(line.strip() for line in css.splitlines() if line.strip()) + "</style>"


def exit_presenter() -> None:
    st.session_state["present"] = PRESENT_OFF
    sync_url()


def scene_text(chosen: deck.Deck, view: View) -> None:
    """The scene's title and caption, with the documents its figures come from."""
    number = min(view.scene or 1, len(chosen.scenes))
    scene = chosen.scenes[number - 1]
    # a deck's titles and captions are written with their quotes: shown as written, in any language
    heading = tr().t("scene.heading", deck=chosen.title, number=number, count=len(chosen.scenes), title=scene.title)
    st.subheader(cards.md_text(heading))
    st.markdown(cards.md_text(scene.caption))
    if scene.cites:
        sources = "; ".join(dict.fromkeys(documents.document_label(cite.file, cite.section) for cite in scene.cites))
        st.caption(cards.md_text(tr().t("scene.sources", sources=sources)))


def title(view: View, counts, points) -> None:
    n_clusters = int((points["kind"] == "cluster").sum())
    n_projects = int((points["kind"] == "project").sum())
    n_states = int((counts["records"] > 0).sum())
    t = tr()
    st.title(view_title(view, t))
    st.markdown(
        t.t(
            "title.counts", clusters=t.plural("count.clusters", n_clusters),
            projects=t.plural("count.projects", n_projects), states=n_states,
        ),
        help=t.t("title.counts_help"),
    )  # fmt: skip


def undated_caption(view: View, points) -> None:
    """Under the map: how many of the records shown have no known year, and what a year range does with them."""
    undated = int(points["year"].isna().sum())
    t = tr()
    if view.known_years_only:
        st.caption(t.t("undated.known_only"))
    elif view.years is not None and view.years != st.session_state["defaults"].years:
        st.caption(t.t("undated.range", records=t.plural("count.records", undated)))
    else:
        st.caption(t.t("undated.all", records=t.plural("count.records", undated)))


def state_summary(profile: StateProfile | None) -> None:
    """Beside the map: the selected state's counts by sector and its timeline."""
    t = tr()
    if profile is None:
        st.info(t.t("profile.hint"))
        return
    st.subheader(profile.state)
    st.markdown(
        t.t(
            "profile.counts", clusters=t.plural("count.clusters", len(profile.clusters)),
            projects=t.plural("count.projects", len(profile.projects)),
        )
    )  # fmt: skip
    if not profile.by_sector.empty:
        bar_chart(profile.by_sector.rename(index=t.sector), horizontal=True, height=90 + 34 * len(profile.by_sector))
    if not profile.timeline.empty:
        st.markdown(t.t("profile.timeline", records=t.plural("count.records", profile.undated)))
        bar_chart(profile.timeline, height=220)


def state_records(profile: StateProfile) -> None:
    """Below the map, full width: the state's clusters and projects with figures and sources."""
    t = tr().t
    st.subheader(t("records.heading", state=profile.state))
    groups = (
        (t("records.clusters", count=len(profile.clusters)), profile.clusters),
        (t("records.projects", count=len(profile.projects)), profile.projects),
        (t("records.shared", state=profile.state, count=len(profile.shared)), profile.shared),
    )
    tabs = st.tabs([label for label, _ in groups])
    for tab, (_, frame) in zip(tabs, groups, strict=True):
        with tab:
            if frame.empty:
                st.caption(t("records.none"))
            for rec in frame.to_dict("records"):
                with st.container(border=True):
                    st.markdown(cards.record_card(rec, tr()))


def charts(sector_spec: dict, bars: int, year_spec: dict | None, undated: int) -> None:
    t = tr()
    left, right = st.columns(2)
    with left:
        st.markdown(t.t("charts.by_sector"))
        vega_chart(sector_spec, height=110 + 30 * bars)
    with right:
        st.markdown(t.t("charts.by_year"), help=t.t("charts.by_year_help"))
        if year_spec is None:
            st.caption(t.t("charts.no_year"))
        else:
            vega_chart(year_spec, height=380)
        st.caption(t.t("charts.undated", records=t.plural("count.records", undated)))


def vega_chart(spec: dict, *, height: int) -> None:
    """A chart in the page's colours (the dark presenter mode's too), as wide as its column."""
    spec = compact(on_dark(spec) if st.session_state.get("present") == "dark" else spec)
    st.vega_lite_chart(spec, height=height, width="stretch")


def bar_chart(frame, *, horizontal: bool = False, height: int) -> None:
    vega_chart(bar_chart_spec(frame, horizontal=horizontal, tr=tr()), height=height)


def downloads(filters: join.Filters) -> None:
    t = tr().t
    st.markdown(t("downloads.intro"))
    fmt = st.selectbox(
        t("downloads.format"), list(export.FORMATS), format_func=lambda key: export.FORMATS[key].label, key="dl-fmt"
    )
    today = datetime.date.today()  # one date for the name and the (deferred) bundle
    lang = tr().lang  # the deferred bundle is built outside this run
    for layer in export.LAYERS:
        name, button = st.columns([1, 2])
        name.markdown(f"**{t(f'layer.{layer}')}**")
        button.download_button(
            t("downloads.button", format=export.FORMATS[fmt].label),
            data=lambda layer=layer, lang=lang: _bundle(filters, layer, fmt, today, lang),
            file_name=export.bundle_name(layer, fmt, filters, today),
            mime=export.BUNDLE_MIME,
            on_click="ignore",
            key=f"dl-{layer}",
        )


def view_images(view: View) -> None:
    """ "Export this view": the map as PNG, SVG or PDF, drawn on the server (works offline), the same
    image `atlas map` writes for the same view."""
    t = tr().t
    st.markdown(t("images.intro"))
    size = st.segmented_control(
        t("images.size"), list(mapimage.SIZES), default="slide", key="img-size", required=True,
        format_func=lambda size: t(f"images.{size}"),
    )  # fmt: skip
    today = datetime.date.today()
    link = view_link(view)
    for column, fmt in zip(st.columns(len(mapimage.IMAGE_FORMATS)), mapimage.IMAGE_FORMATS, strict=True):
        column.download_button(
            t("images.button", format=fmt.upper()),
            data=lambda fmt=fmt: _image(view, link, today.isoformat(), size, fmt),
            file_name=export.image_name(view.metric, view_filters(view), size, fmt, today),
            mime=mapimage.IMAGE_FORMATS[fmt],
            on_click="ignore",
            key=f"img-{fmt}",
        )


def view_link(view: View) -> str:
    """The address that reopens `view` (the browser's own address for this app, with the view's parameters)."""
    base = (st.context.url or "http://localhost:8501/").split("?")[0]
    params = view_to_params(replace(view, zoom=None, center=None, present=None), st.session_state["defaults"])
    return base + (f"?{urlencode(params)}" if params else "")


def _image(view: View, link: str, date: str, size: str, fmt: str) -> bytes:
    states, records = load_data((0, data_key()[1]))  # documented records only: an image never shows benchmark points
    return mapimage.view_map(view, states, records, link=link, date=date, size=size, fmt=fmt)


def _bundle(filters, layer: str, fmt: str, date, lang: str) -> bytes:
    _, records = load_data(data_key())  # when a download is asked for, from the cache
    states = boundaries.load_states("full") if layer == "states" else None
    return export.layer_bundle(layer, fmt, states, records, filters, date=date, lang=lang)[1]


def unmapped(points, rows) -> None:
    """The shown records with no state, as cards (`rows`: their positions in the records)."""
    rest = rows[(points["state"] == "").to_numpy()]
    if not len(rest):
        return
    label = tr().t("unmapped.label", records=tr().plural("count.records", len(rest)))
    box = st.expander(label, key="unmapped", on_change="rerun")
    if not box.open:  # the cards are built only when asked for: ~10 kB less per filter change
        return
    with box:
        for rec in load_data(data_key())[1].take(rest).to_dict("records"):
            with st.container(border=True):
                st.markdown(cards.record_card(rec, tr()))


def main() -> None:
    st.html(page_style(str(assets.PAGE_CSS)))  # the map starts within the first screen; its height follows the window
    LOADING.empty()
    t = tr()
    try:
        st.session_state["data_key"] = (SYNTHETIC_POINTS, data_revision())
        with st.spinner(t.t("app.loading_data")):
            states_list, bounds = overview(data_key())
    except db.DatabaseError as err:
        st.title(t.t("app.title"))
        st.error(t.t("errors.database", error=err))
        st.stop()
    except seeds.SeedError as err:
        st.title(t.t("app.title"))
        st.error(t.t("errors.seeds", count=len(err.problems)))
        st.code("\n".join(err.problems), language=None)
        st.stop()
    try:
        _, _, map_assets = served()
        data = current_map_data()
    except assets.AssetsError as err:
        st.title(t.t("app.title"))
        st.error(t.t("errors.map", error=err))
        st.stop()
    settle_heap()
    if source.database_url():
        follow_database()
    defaults = View(years=bounds, year=LATEST_EXPORT_YEAR, lang=browser_lang())
    init_state(defaults, states_list)
    follow_history(states_list)
    chosen = current_deck(current_view(), bounds, states_list)
    apply_scene(chosen)
    apply_map_click(states_list)
    apply_play_step()
    t = tr()  # the language may have just come from a link (Back/Forward, a scene)
    sidebar(states_list, defaults.years)
    view = current_view()
    if view.present:
        st.html(page_style(str(assets.PRESENT_CSS)))
        if view.present == "dark":
            st.html(page_style(str(assets.PRESENT_DARK_CSS)))
    notices = st.session_state.get("notices", [])
    for notice in notices:
        st.warning(cards.md_text(notice), icon="⚠️")  # notices echo link text: show it as text, never markdown
    if notices:
        st.button(t.t("notices.dismiss"), on_click=st.session_state.update, kwargs={"notices": []})
    if chosen is not None:
        for problem in chosen.problems:
            st.warning(cards.md_text(problem), icon="⚠️")
    keys = bool(view.present or chosen is not None)  # the presenter's stepping keys, below the map
    if keys:
        presenter_bar(view, chosen)
    if SYNTHETIC_POINTS:
        st.warning(t.t("benchmark.warning", count=t.number(SYNTHETIC_POINTS)))

    filters = view_filters(view)
    key = (view.sectors, view.years, view.known_years_only, view.labels, data_key())  # primitive cache keys
    counts, points, rows = filtered(*key)
    title(view, counts, points)
    if chosen is not None and chosen.scenes:
        scene_text(chosen, view)

    profile = profile_of(view.state, *key) if view.state else None
    chosen_metric = metrics.METRICS[view.metric]
    try:
        values, classes, steps = metric_and_classes(view, keys)
    except official.OfficialDataError as err:  # a damaged copy of INEGI's tables: say so, keep the map
        st.error(t.t("errors.official", error=err))
        view = replace(view, metric="records")
        chosen_metric = metrics.METRICS["records"]
        values, classes, steps = metric_and_classes(view, keys)
    shown = counts.assign(value=counts["state_code"].map(values.values / chosen_metric.scale))
    map_col, side_col = st.columns([2.2, 1], gap="medium")
    with map_col:
        groups = basemap.map_layers(
            shown,
            points,
            metric="value",
            classes=classes,
            selected=view.state,
            compared=view.compare,
            metric_label=metric_title(view),
            metric_text=None if view.metric in COUNT_METRICS else values.text.to_dict(),
            data=data,
            tr=t,
            basemap=view.basemap,
            shown=st.session_state.pop("scene_layers", None),  # a new scene decides the layers once
            upload=own_layer(),
            rows=rows,  # positions in the records the published marker table was built from
            steps=steps,  # repainted in the browser as the year slider moves, before this script reruns
        )
        out = st_folium(
            basemap.base_map(assets=map_assets),  # constant: the iframe never remounts
            key=basemap.MAP_KEY,
            feature_group_to_add=groups,
            layer_control=basemap.layer_control(),
            # a link's view, constant for the session: applied once, then the user's own pan and zoom
            # are kept; without one the map opens on all of Mexico (the base map fits it)
            center=view.center,
            zoom=view.zoom,
            returned_objects=["last_active_drawing"],  # a state click, nothing on pan or zoom
            height=basemap.MAP_HEIGHT,
            use_container_width=True,
        )
        undated_caption(view, points)
        if st.session_state.get("upload") is not None:
            mine = len(st.session_state["upload"][0].records)
            st.caption(t.plural("upload.counted_apart", mine))
        handle_click(out, view, states_list)
    with side_col:
        found_record(points)
        legend(view, chosen_metric, classes, values)
        st.html(style.marker_legend_html(t, upload=st.session_state.get("upload") is not None))
        state_summary(profile)
    if keys:
        stepping_keys(view)
    ranking(view, values, counts)
    if len(view.compare) >= 2:
        compare(view, key)
    if profile is not None:
        state_records(profile)
    charts(*chart_specs(*key, t.lang))
    unmapped(points, rows)
    box = st.expander(t.t("downloads.expander"), key="downloads", on_change="rerun")
    if box.open:  # the buttons are built only when asked for: a filter change then sends ~30 fewer elements
        with box:
            downloads(filters)
            view_images(view)
    if st.session_state.get("playing"):
        next_play_step(view)


def metric_and_classes(view: View, keys: bool) -> tuple[metrics.MetricValues, style.Classes, choropleth.Steps | None]:
    """The view's metric for the 32 states, the map's class breaks and the steps the map repaints
    from in the browser (all cached; see metric_classes); with `keys` (the presenter's stepping
    keys are on the page), which taps the sector keys reach."""
    playing = (st.session_state.get("play_mode") or "in") if st.session_state.get("playing") else None
    values = metric_values(
        view.metric, view.sectors, view.years, view.known_years_only, view.labels, view.year, data_key(), tr().lang
    )
    classes, steps = metric_classes(
        view.metric, view.sectors, view.years, view.known_years_only, view.labels, view.year, playing, data_key()
    )
    if steps is not None and metrics.METRICS[view.metric].uses_export_year:  # the legend's title names the year
        steps = steps._replace(titles={year: metric_title_of(view.metric, int(year)) for year in steps.values})
    if keys and steps is not None and steps.taps is not None:
        reached = {key: sector_key(each, SECTORS) for key, each in key_steps(view.sectors).items()}
        steps = steps._replace(taps=steps.taps._replace(keys=reached))
    return values, classes, steps


def metric_title(view: View) -> str:
    return metric_title_of(view.metric, view.year)


def metric_title_of(key: str, export_year: int | None) -> str:
    """A metric's legend title in the session's language (with the export year for the exports metrics)."""
    if metrics.METRICS[key].uses_export_year and export_year:
        return tr().t(f"metric.{key}.title", year=export_year)
    return tr().t(f"metric.{key}.label")


def legend(view: View, metric: metrics.Metric, classes: style.Classes, values: metrics.MetricValues) -> None:
    """The legend, then what the metric is, its caveats and its source, in words."""
    t = tr()
    zero = t.t(f"metric.{view.metric}.zero")
    st.html(style.legend_html(classes, title=metric_title(view), zero_label=zero, nodata_label=t.t("legend.nodata")))
    for note in values.notes:
        st.caption(cards.md_text(note))
    # INEGI's own credit ("Fuente: ...") is quoted as written
    source = metric.source.replace(metrics.ATLAS_SOURCE, t.t("legend.atlas_records"))
    credit = f"{source}." if source.startswith("Fuente") else t.t("legend.source", source=source)
    st.caption(cards.md_text(credit), help=metric.explanation(t))


def ranking(view: View, values: metrics.MetricValues, counts) -> None:
    """The 32 states ranked by the metric: a sortable table, a download, and the map's text alternative."""
    t = tr().t
    box = st.expander(t("ranking.expander"), key="ranking", on_change="rerun")
    if not box.open:  # built only when asked for: a filter change then sends the table only to who reads it
        return
    table = metrics.ranking(values, counts)
    label = metric_title(view)
    with box:
        names = {"rank": t("ranking.rank"), "state": t("ranking.state"), "text": label,
                 "clusters": t("ranking.clusters"), "projects": t("ranking.projects")}  # fmt: skip
        shown = table.drop(columns="value").rename(columns=names)
        st.dataframe(shown, hide_index=True, width="stretch", height=35 * 12)
        st.download_button(
            t("ranking.download"),
            data=table.to_csv(index_label="state_code").encode("utf-8"),
            file_name=f"mexico-atlas_ranking_{view.metric}.csv",
            mime="text/csv",
            on_click="ignore",
        )


@st.cache_data(show_spinner=False, max_entries=64)
def compared(states: tuple, sectors: tuple, years, known: bool, labels: tuple, export_year: int, data: tuple[int, int],
             lang: str):  # fmt: skip
    """What the compare view shows for `states`: every metric's text, counts by sector, exports by year."""
    counts, _ = filtered_rows(sectors, years, known, labels, data)
    rows = counts.set_index("state").loc[list(states)]
    table = pd.DataFrame(
        {
            metric_title_of(key, export_year): metric_values(
                key, sectors, years, known, labels, export_year, data, lang
            )
            .text.reindex(rows["state_code"])
            .to_numpy()
            for key in metrics.METRICS
        },
        index=list(states),
    ).T
    by_sector = rows[[sector for sector in SECTORS if rows[sector].sum() > 0]].T
    by_sector.index = [i18n.translator(lang).sector(sector) for sector in by_sector.index]
    series = metrics.export_series(tuple(rows["state_code"]), sectors) / 1e6
    series.columns = list(states)
    return table, by_sector, series


def compare(view: View, key: tuple) -> None:
    """2-4 states side by side, on one scale: every metric, records by sector, exports over the years, records."""
    t = tr().t
    st.subheader(t("compare.heading", states=" · ".join(view.compare)))
    table, by_sector, series = compared(view.compare, *key[:4], view.year, data_key(), tr().lang)
    st.dataframe(table, width="stretch")
    left, right = st.columns(2)
    with left:
        st.markdown(t("compare.by_sector"))
        if by_sector.empty:
            st.caption(t("compare.no_sector"))
        else:
            vega_chart(compare_chart_spec(by_sector), height=70 + 22 * by_sector.size)
    with right:
        st.markdown(t("compare.exports"))
        vega_chart(line_chart_spec(series), height=320)
        st.caption(t("compare.exports_source", source=official.EXPORTS_SOURCE))
    tabs = st.tabs(list(view.compare))
    for tab, state in zip(tabs, view.compare, strict=True):
        with tab:
            one = profile_of(state, *key)
            for rec in [*one.clusters.to_dict("records"), *one.projects.to_dict("records")]:
                with st.container(border=True):
                    st.markdown(cards.record_card(rec, tr()))
            if one.clusters.empty and one.projects.empty:
                st.caption(t("compare.no_record"))


def handle_click(out, view: View, states_list: tuple[str, ...]) -> None:
    """A new click on a state selects it (what the map returned is the browser's word: only the
    name of one of the 32 states counts); the same click seen again on a later run does not."""
    clicked = clicked_state(out, states_list)
    if clicked and clicked != st.session_state.get("last_click"):
        st.session_state["last_click"] = clicked
        if clicked[0] != view.state:
            st.session_state["pending_state"] = clicked[0]
            st.rerun()


try:
    main()
except Exception:  # Streamlit's own stop/rerun signals are BaseExceptions and pass through
    LOG.exception("The atlas page failed")
    st.error(tr().t("app.failed"))
