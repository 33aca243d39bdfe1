"""The atlas in real headless Chromium, with every request to another host aborted and recorded.

One Streamlit server for the module (the `app_server` fixture), a fresh browser context per test.
What only a browser can show: the map draws with no outside request and no console error; a
sector change repaints fills and tooltips in place (same iframe, same zoom); the URL holds the
view and a reopened link restores it; a download is the filtered GeoJSON; a click on a state
opens its panel; a pin's popup cites its source. Expected values come from geo/ (the same
functions the app calls), not from constants copied out of the seeds.

Waits poll (Playwright's `expect`, `poll_until`), never sleep. A failing test leaves a screenshot
in tests/artifacts/.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from geo import boundaries, deck, documents, export, join, seeds
from geo.i18n import translator
from geo.sectors import SECTORS
from tests.harness import (
    CHANGE_MS,
    MAP_IFRAME,
    N_STATES,
    POLYGON,
    fills,
    hover_tip,
    open_atlas,
    page_point,
    poll_until,
    wait_for_new_fills,
    watch_console,
)

pytestmark = pytest.mark.browser

SECTOR = "Aerospace"
QRO, CHIHUAHUA = "Querétaro", "Chihuahua"
# Querétaro, north of its representative point, where the state's markers sit: a spot on the polygon.
QRO_HOVER = (21.1, -100.0)
# Chihuahua, far from its representative point: an empty spot on the polygon.
CHIHUAHUA_CLICK = (30.6, -107.6)
PROBE_VIEW = ((20.6, -100.4), 8)
MEXICO_LON, MEXICO_LAT = (-118.5, -86.5), (14.5, 32.8)  # lon/lat box around Mexico and its islands
FIRST_PAINT_MS = 90_000  # the first page of the module also pays for the server's data load

VIEW_JS = "() => ({probe: window.__probe, mapProbe: window.map.__probe, zoom: window.map.getZoom(), centre: window.map.getCenter()})"
MARKERS_DONE_JS = (
    "() => !!(window.atlas && ['cluster', 'project'].every(k => atlas.stats[k] && atlas.stats[k].doneMs !== undefined))"
)


# --------------------------------------------------------------------------- expected values


@pytest.fixture(scope="module")
def truth():
    """The seeds and states, loaded the way the app loads them."""
    states = boundaries.load_states("web")
    records = seeds.load_records()
    years = records["year"].dropna()
    return {"states": states, "records": records, "years": (int(years.min()), int(years.max()))}


def _filters(truth, sectors=(), years=None, known=False) -> join.Filters:
    return join.Filters(sectors=tuple(sectors), years=years or truth["years"], known_years_only=known)


def expected_tip(truth, state: str, filters: join.Filters) -> tuple[str, list[str]]:
    """The tooltip's counts line and its sector lines for `state` under `filters`."""
    row = join.state_counts(truth["states"], truth["records"], filters).set_index("state").loc[state]
    counts = f"Clusters: {row['clusters']} · Projects: {row['projects']} · Records: {row['records']}"
    sectors = [f"{sector}: {row[sector]}" for sector in (filters.sectors or ()) if row[sector] > 0]
    return counts, sectors


# --------------------------------------------------------------------------- page helpers


def tip_lines(text: str) -> tuple[str, list[str]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[1], lines[2:]


def choose_sector(page, sector: str) -> None:
    """Pick `sector` in the sidebar's Sectors multiselect, then close its list."""
    page.get_by_role("combobox", name="Sectors").click()
    page.get_by_role("option", name=sector, exact=True).click()
    page.keyboard.press("Escape")


def set_probe_view(page, frame) -> None:
    (lat, lon), zoom = PROBE_VIEW
    frame.evaluate(
        "([lat, lon, zoom]) => { window.__probe = 1; window.map.__probe = 1; window.map.setView([lat, lon], zoom, {animate: false}); }",
        [lat, lon, zoom],
    )
    poll_until(page, lambda: frame.evaluate(VIEW_JS)["zoom"] == zoom, message="probe view set")


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def summary_counts(page) -> tuple[int, int]:
    """(clusters, projects) from the line under the title."""
    line = page.get_by_text(re.compile(r"\d+ clusters? and \d+ projects? · present in")).inner_text()
    clusters, projects = re.match(r"(\d+) clusters? and (\d+) projects?", line).groups()
    return int(clusters), int(projects)


# --------------------------------------------------------------------------- tests


def test_map_draws_every_state_offline_without_errors(app_server, page, blocked_requests, console_errors):
    frame = open_atlas(page, app_server, timeout=FIRST_PAINT_MS)
    # Both marker layers built too: Leaflet.markercluster and the records table also came from the app.
    poll_until(page, lambda: frame.evaluate(MARKERS_DONE_JS), timeout=CHANGE_MS, message="markers built")
    expect(page.get_by_role("heading", level=1)).to_contain_text("All sectors")

    assert frame.locator(POLYGON).count() == N_STATES
    assert len(set(fills(frame))) > 1  # a choropleth, not one colour
    assert blocked_requests == []
    assert console_errors == []


def test_sector_change_repaints_fills_and_tooltips(app_server, page, truth, console_errors):
    frame = open_atlas(page, app_server)
    set_probe_view(page, frame)  # zoomed in, so the hover spot is well clear of Querétaro's markers
    fills_all = fills(frame)
    tip_all = hover_tip(page, frame, *QRO_HOVER, QRO)

    choose_sector(page, SECTOR)
    fills_sector = wait_for_new_fills(page, frame, fills_all)
    tip_sector = hover_tip(page, frame, *QRO_HOVER, QRO)

    assert fills_sector != fills_all
    assert tip_sector != tip_all
    assert tip_lines(tip_all)[0] == expected_tip(truth, QRO, _filters(truth))[0]
    assert tip_lines(tip_sector) == expected_tip(truth, QRO, _filters(truth, [SECTOR]))
    assert console_errors == []


def test_filter_change_keeps_the_map_and_its_view(app_server, page, console_errors):
    frame = open_atlas(page, app_server)
    set_probe_view(page, frame)
    before = fills(frame)

    choose_sector(page, SECTOR)
    wait_for_new_fills(page, frame, before)
    expect(page.get_by_role("heading", level=1)).to_contain_text(SECTOR)  # the whole run is through

    view = frame.evaluate(VIEW_JS)
    assert view["probe"] == 1 and view["mapProbe"] == 1, "the map was remounted"
    assert page.locator(MAP_IFRAME).count() == 1
    (lat, lon), zoom = PROBE_VIEW
    assert view["zoom"] == zoom
    assert view["centre"]["lat"] == pytest.approx(lat, abs=0.01)
    assert view["centre"]["lng"] == pytest.approx(lon, abs=0.01)
    assert console_errors == []


def test_url_holds_the_filters_and_a_link_restores_them(app_server, page, truth, blocked_requests, console_errors):
    years = (truth["years"][0] + 2, truth["years"][1] - 2)
    years_param = f"{years[0]}-{years[1]}"
    frame = open_atlas(page, app_server, f"?years={years_param}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"All sectors, {years[0]}–{years[1]}")
    before = fills(frame)

    choose_sector(page, SECTOR)
    fills_sector = wait_for_new_fills(page, frame, before)
    poll_until(page, lambda: query(page).get("sectors") == [SECTOR], message=f"sectors={SECTOR} in {page.url}")
    assert query(page) == {"sectors": [SECTOR], "years": [years_param]}
    title = f"{SECTOR}, {years[0]}–{years[1]}"
    expect(page.get_by_role("heading", level=1)).to_contain_text(title)
    summary = summary_counts(page)

    fresh = page.context.new_page()  # a new tab: a new Streamlit session that knows only the URL
    watch_console(fresh, console_errors)
    fresh_frame = open_atlas(fresh, app_server, "?" + urlsplit(page.url).query)
    expect(fresh.get_by_role("heading", level=1)).to_contain_text(title)
    expect(fresh.get_by_test_id("stMultiSelect").filter(has_text="Sectors")).to_contain_text(SECTOR)
    assert fills(fresh_frame) == fills_sector
    assert summary_counts(fresh) == summary
    assert query(fresh) == {"sectors": [SECTOR], "years": [years_param]}
    assert blocked_requests == []
    assert console_errors == []


def test_download_is_the_filtered_geojson(app_server, page, truth, console_errors):
    open_atlas(page, app_server, f"?sectors={SECTOR}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(SECTOR)
    shown_clusters, _ = summary_counts(page)
    frame = export.layer_frame("clusters", None, truth["records"], _filters(truth, [SECTOR]))

    page.get_by_text("Download the filtered layers").click()
    row = page.get_by_test_id("stHorizontalBlock").filter(has=page.get_by_text("Clusters", exact=True))
    with page.expect_download(timeout=CHANGE_MS) as download:
        row.get_by_role("button", name="GEOJSON").click()
    with open(download.value.path(), "rb") as file:
        bundle = zipfile.ZipFile(io.BytesIO(file.read()))

    names = bundle.namelist()
    geojson_names = [name for name in names if name.endswith(".geojson")]
    assert len(geojson_names) == 1 and {"DATA_DICTIONARY.md", "SOURCES.md"} <= set(names), names
    data = json.loads(bundle.read(geojson_names[0]))
    features = data["features"]
    assert data["type"] == "FeatureCollection"
    assert "crs" not in data  # RFC 7946
    assert len(features) == shown_clusters == len(frame) > 0
    assert {f["id"] for f in features} == set(frame["id"])
    assert all(f["properties"]["sector"] == SECTOR and f["properties"]["kind"] == "cluster" for f in features)
    points = [f["geometry"]["coordinates"] for f in features if f["geometry"] is not None]
    assert points and all(f["geometry"]["type"] == "Point" for f in features if f["geometry"] is not None)
    for lon, lat in points:  # lon/lat order (RFC 7946), inside Mexico
        assert MEXICO_LON[0] < lon < MEXICO_LON[1] and MEXICO_LAT[0] < lat < MEXICO_LAT[1], (lon, lat)
    assert console_errors == []


def test_click_on_a_state_opens_its_panel_in_place(app_server, page, console_errors):
    frame = open_atlas(page, app_server)
    expect(page.get_by_text("Click a state on the map")).to_be_visible()
    frame.evaluate("() => { window.__probe = 1; }")

    # The map runs past the bottom of the window. Leaflet focuses the map on mousedown; before
    # atlas.keepScroll (layers/runtime.py) that scrolled the page mid-click and this click was lost.
    page.mouse.click(*page_point(page, frame, *CHIHUAHUA_CLICK))

    expect(page.get_by_role("heading", name=CHIHUAHUA, exact=True)).to_be_visible(timeout=CHANGE_MS)
    poll_until(page, lambda: query(page).get("state") == [CHIHUAHUA], message=f"state={CHIHUAHUA} in the URL")
    assert frame.evaluate("() => window.__probe") == 1, "the map was remounted"
    assert page.locator(MAP_IFRAME).count() == 1
    assert console_errors == []


@pytest.mark.parametrize("lang", ["en", "es"])
def test_pin_popup_gives_name_year_basis_and_source(app_server, page, truth, console_errors, lang):
    # Known years only: Querétaro's Aerospace records are then projects on its representative point,
    # which the map shows as one count bubble; a click spreads it into pins. The popup's words are
    # the session's language (one marker table for all), its name and citations as written.
    tr = translator(lang)
    frame = open_atlas(page, app_server, f"?sectors={SECTOR}&known=1&lang={lang}")
    poll_until(page, lambda: frame.evaluate(MARKERS_DONE_JS), timeout=CHANGE_MS, message="markers built")
    states = truth["states"]
    code = states.loc[states["state"] == QRO, "state_code"].item()
    anchor = boundaries.anchor_points(states)[code]
    frame.evaluate("([lat, lon]) => window.map.setView([lat, lon], 9, {animate: false})", [anchor.y, anchor.x])

    frame.locator(".atlas-mc-project").first.click(timeout=CHANGE_MS)
    pin = frame.locator(".atlas-pin-project").first
    expect(pin, "the count bubble did not spread into pins").to_be_visible(timeout=CHANGE_MS)
    pin.click(timeout=CHANGE_MS)
    popup = frame.locator(".atlas-popup")
    expect(popup).to_be_visible(timeout=CHANGE_MS)

    name = popup.locator("h3").inner_text()
    records = truth["records"]
    matches = records[(records["name"] == name) & (records["state"] == QRO) & (records["sector"] == SECTOR)]
    assert len(matches) == 1, f"popup names {name!r}"
    record = matches.iloc[0]
    fields = dict(zip(popup.locator("dt").all_inner_texts(), popup.locator("dd").all_inner_texts(), strict=True))
    assert fields[tr.t("popup.year")] == tr.t(f"popup.year.{record['year_basis']}", year=int(record["year"]))
    assert popup.locator(".atlas-kind").inner_text().startswith(tr.t("popup.project"))
    citations = documents.source_labels(record["source"])  # document titles, not file names
    assert citations and fields[tr.t("popup.source")].splitlines() == citations
    assert not any(".txt" in line for line in citations if line.split(",")[0].strip() in documents.load_documents())
    assert console_errors == []


# --------------------------------------------------------------------------- in front of a room

SCREENS = [{"width": 1024, "height": 768}, {"width": 1280, "height": 720}]
SMALL_STATES = ("Ciudad de México", "Tlaxcala", "Morelos")
MEXICO_EXTENT_JS = """() => {
    const box = window.map.getContainer().getBoundingClientRect();
    const corners = [[14.55, -118.3], [32.7, -86.75]].map(c => window.map.latLngToContainerPoint(c));
    return {width: box.width, height: box.height, corners: corners.map(p => [p.x, p.y])};
}"""


@pytest.mark.parametrize("screen", SCREENS, ids=lambda s: f"{s['width']}x{s['height']}")
def test_all_of_mexico_is_in_the_map_within_the_first_screen(app_server, page, screen, console_errors):
    page.set_viewport_size(screen)
    frame = open_atlas(page, app_server)
    box = page.locator(MAP_IFRAME).bounding_box()
    assert box["y"] < screen["height"] / 4, "the map starts within the first screen"
    assert box["y"] + box["height"] <= screen["height"], "the whole map is on screen"

    def fitted():
        view = frame.evaluate(MEXICO_EXTENT_JS)
        inside = all(0 <= x <= view["width"] and 0 <= y <= view["height"] for x, y in view["corners"])
        return view if inside and view["height"] > 0.6 * box["height"] else None

    view = poll_until(page, fitted, message="Mexico's extent inside the map")
    (left, top), (right, bottom) = view["corners"]
    assert right - left > 0.8 * view["width"] or top - bottom > 0.8 * view["height"], "Mexico fills the map"
    legend = page.locator(".atlas-legend").first.bounding_box()
    assert legend["y"] + legend["height"] <= screen["height"], "the colour legend needs no scrolling"
    assert console_errors == []


@pytest.mark.parametrize("state", SMALL_STATES)
def test_small_central_states_take_a_click_at_the_opening_zoom(app_server, page, truth, state, console_errors):
    page.set_viewport_size(SCREENS[0])
    frame = open_atlas(page, app_server)
    states = truth["states"]
    point = states.loc[states["state"] == state].geometry.item().representative_point()
    page.mouse.click(*page_point(page, frame, point.y, point.x))  # on the polygon, not under a marker
    expect(page.get_by_role("heading", name=state, exact=True)).to_be_visible(timeout=CHANGE_MS)
    abbrs = frame.evaluate("() => Array.from(document.querySelectorAll('.atlas-label span')).map(s => s.textContent)")
    assert len(abbrs) == N_STATES and "CMX" in abbrs  # labelled (crowded ones hidden until zoomed in)
    assert console_errors == []


def test_a_second_click_on_a_state_works_after_choosing_another(app_server, page, console_errors):
    frame = open_atlas(page, app_server)
    page.mouse.click(*page_point(page, frame, *CHIHUAHUA_CLICK))
    expect(page.get_by_role("heading", name=CHIHUAHUA, exact=True)).to_be_visible(timeout=CHANGE_MS)
    page.get_by_role("combobox", name="State profile").fill("Sonora")
    page.get_by_role("option", name="Sonora", exact=True).click()
    expect(page.get_by_role("heading", name="Sonora", exact=True)).to_be_visible(timeout=CHANGE_MS)
    page.mouse.click(*page_point(page, frame, *CHIHUAHUA_CLICK))
    expect(page.get_by_role("heading", name=CHIHUAHUA, exact=True)).to_be_visible(timeout=CHANGE_MS)
    poll_until(page, lambda: query(page).get("state") == [CHIHUAHUA], message="the second click in the URL")
    assert console_errors == []


LAYER_STATE_JS = """() => Object.fromEntries(Array.from(
    document.querySelectorAll('.leaflet-control-layers-overlays label')).map(
    l => [l.textContent.trim(), l.querySelector('input').checked]))"""


def test_an_unticked_layer_stays_off_after_a_sector_change(app_server, page, console_errors):
    frame = open_atlas(page, app_server)
    frame.get_by_text("Clusters", exact=True).click()
    poll_until(page, lambda: frame.evaluate(LAYER_STATE_JS).get("Clusters") is False, message="Clusters unticked")
    before = fills(frame)
    choose_sector(page, SECTOR)
    wait_for_new_fills(page, frame, before)
    page.wait_for_timeout(300)  # a re-added group would come back within a frame or two
    assert frame.evaluate(LAYER_STATE_JS) == {"States": True, "Clusters": False, "Projects": True}
    assert console_errors == []


def test_a_northern_popup_opens_inside_the_map(app_server, page, console_errors):
    frame = open_atlas(page, app_server, "?sectors=Automotive&state=Nuevo%20Le%C3%B3n")
    poll_until(page, lambda: frame.evaluate(MARKERS_DONE_JS), timeout=CHANGE_MS, message="markers built")
    frame.evaluate("() => window.map.setView([25.67, -100.31], 9, {animate: false})")  # Monterrey, pins shown
    # the first marker or count bubble on screen, moved 30 px below the map's top edge, clicked (a
    # bubble spreads into pins), then the first pin clicked, as a user would
    find = """() => { let found = null;
        window.map.eachLayer(l => { if (!found && (l.atlasRow !== undefined || l.getChildCount)) found = l; });
        return found; }"""
    frame.wait_for_function(f"() => !!({find})()", timeout=CHANGE_MS)
    frame.evaluate(
        f"""() => {{ const m = window.map, first = ({find})();
            const p = m.latLngToContainerPoint(first.getLatLng());
            m.panBy([0, p.y - 30], {{animate: false}});
            if (first.getChildCount) {{ first.spiderfy(); }} }}"""
    )
    frame.wait_for_function(
        "() => { let n = 0; window.map.eachLayer(l => { if (l.atlasRow !== undefined) n++; }); return n > 0; }",
        timeout=CHANGE_MS,
    )
    frame.evaluate(
        """() => { let pin = null;
            window.map.eachLayer(l => { if (!pin && l.atlasRow !== undefined) pin = l; });
            pin.fire('click', {latlng: pin.getLatLng()}, true); }"""
    )
    popup = frame.locator(".leaflet-popup")
    expect(popup).to_be_visible(timeout=CHANGE_MS)

    def inside():
        return (
            frame.evaluate(
                """() => { const p = document.querySelector('.leaflet-popup').getBoundingClientRect();
                const c = window.map.getContainer().getBoundingClientRect();
                return p.top >= c.top && p.left >= c.left && p.right <= c.right && p.bottom <= c.bottom; }"""
            )
            or None
        )

    poll_until(page, inside, timeout=CHANGE_MS, message="the popup inside the map (auto-pan)")
    assert console_errors == []


def test_a_clicker_steps_through_a_deck_and_the_screen_follows(app_server, page, truth, console_errors):
    states = sorted(truth["states"]["state"])
    chosen = deck.load_deck(
        deck.list_decks()["bajio-aerospace"], sectors=SECTORS, year_bounds=truth["years"], states=states
    )
    frame = open_atlas(page, app_server, "?deck=bajio-aerospace&present=1")
    expect(page.locator('section[data-testid="stSidebar"]')).to_be_hidden()
    for number in (2, 3):
        scene = chosen.scenes[number - 1]
        before = fills(frame)
        page.locator("h1").first.click()  # the page, not the map, has the keyboard
        page.keyboard.press("PageDown")
        expect(page.get_by_text(scene.title, exact=False).first).to_be_visible(timeout=CHANGE_MS)
        poll_until(page, lambda n=number: query(page).get("scene") == [str(n)], message=f"scene {number} in the URL")
        if scene.view.zoom is not None:
            poll_until(
                page,
                lambda s=scene: round(frame.evaluate("() => window.map.getZoom()")) == s.view.zoom,
                message="the scene's map area",
            )
        if (
            scene.view.sectors != chosen.scenes[number - 2].view.sectors
            or scene.view.metric != chosen.scenes[number - 2].view.metric
        ):
            wait_for_new_fills(page, frame, before)
    page.keyboard.press("PageUp")
    poll_until(page, lambda: query(page).get("scene") == ["2"], message="back to scene 2")
    assert console_errors == []


def test_the_url_holds_the_map_area_and_copy_link_reopens_it(app_server, page, browser, console_errors):
    frame = open_atlas(page, app_server, f"?sectors={SECTOR}")
    assert "zoom" not in query(page)  # all of Mexico, fitted: a link needs no map area
    frame.evaluate("() => window.map.setView([20.6, -100.4], 8, {animate: false})")  # as a user's pan and zoom
    poll_until(page, lambda: query(page).get("zoom") == ["8"], message="zoom in the URL")
    centre = frame.evaluate("() => window.map.getCenter()")
    assert query(page)["center"] == [f"{centre['lat']:.4f},{centre['lng']:.4f}"] and query(page)["sectors"] == [SECTOR]

    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    frame.get_by_role("button", name="Copy link").click()
    expect(frame.get_by_role("button", name="Link copied")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert parse_qs(urlsplit(copied).query) == query(page)

    other = page.context.new_page()
    try:
        again = open_atlas(other, app_server, "?" + urlsplit(copied).query)
        poll_until(other, lambda: round(again.evaluate("() => window.map.getZoom()")) == 8, message="zoom restored")
        reopened = again.evaluate("() => window.map.getCenter()")
        assert abs(reopened["lat"] - centre["lat"]) < 0.01 and abs(reopened["lng"] - centre["lng"]) < 0.01
        assert parse_qs(urlsplit(other.url).query)["sectors"] == [SECTOR]
    finally:
        other.close()
    assert console_errors == []


def test_back_and_forward_move_between_the_views_the_user_made(app_server, page, console_errors):
    frame = open_atlas(page, app_server)
    first = fills(frame)
    choose_sector(page, SECTOR)
    second = wait_for_new_fills(page, frame, first)
    poll_until(page, lambda: query(page).get("sectors") == [SECTOR], message="the sector in the URL")

    page.go_back()
    poll_until(page, lambda: "sectors" not in query(page), message="the URL went back")
    assert wait_for_new_fills(page, frame, second) == first  # the map shows the earlier view again
    expect(page.locator("h1").first).to_contain_text("All sectors")  # title and widgets agree
    page.go_forward()
    poll_until(page, lambda: query(page).get("sectors") == [SECTOR], message="the URL went forward")
    assert wait_for_new_fills(page, frame, first) == second
    assert console_errors == []
