"""Exploring in real headless Chromium: the exports metric and its year, compared states, the
search box and playback. Expected values come from geo/ (the functions the app calls).
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from playwright.sync_api import expect

from geo import metrics, official, seeds
from geo.join import Filters, filter_records, year_bounds
from geo.sectors import SECTORS
from geo.view import sector_key
from layers import mapimage, style
from layers.style import NODATA_STYLE, ZERO_COLOR
from tests.harness import CHANGE_MS, MAP_IFRAME, fills, open_atlas, poll_until, wait_for_new_fills
from tests.helpers import png_size

pytestmark = pytest.mark.browser

PLAY_SECONDS = 0.4
DASHED_JS = "() => Array.from(document.querySelectorAll('path')).filter(p => p.getAttribute('stroke-dasharray') === '8 5').length"


@pytest.fixture(scope="module")
def app_env() -> dict[str, str]:
    return {"ATLAS_PLAY_SECONDS": str(PLAY_SECONDS)}  # playback steps fast enough for a test


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_the_exports_metric_and_its_year_repaint_the_fills(page, app_server):
    frame = open_atlas(page, app_server, "?metric=exports&sectors=Automotive&year=2025")
    before = fills(frame)
    expected = metrics.state_metric("exports", seeds.load_records(), sectors=("Automotive",), export_year=2025)
    nodata, zero = NODATA_STYLE["fillColor"], ZERO_COLOR
    assert before.count(nodata) == int(expected.values.isna().sum())  # confidential / not available: no data
    assert before.count(zero) == int((expected.values == 0).sum())  # never the zero colour
    slider = page.get_by_role("slider", name="Export year")
    slider.focus()
    slider.press("Home")  # the first export year
    poll_until(page, lambda: query(page).get("year") == ["2007"], timeout=CHANGE_MS, message="year=2007 in the URL")
    wait_for_new_fills(page, frame, before)
    expect(page.get_by_text("Merchandise exports (US$ million), 2007").first).to_be_visible(timeout=CHANGE_MS)
    assert page.locator(MAP_IFRAME).count() == 1


def test_compared_states_are_outlined_and_side_by_side(page, app_server):
    frame = open_atlas(page, app_server, "?compare=Coahuila,Quer%C3%A9taro")
    expect(page.get_by_role("heading", name="Compare: Coahuila · Querétaro")).to_be_visible(timeout=CHANGE_MS)
    poll_until(page, lambda: frame.evaluate(DASHED_JS) == 2, timeout=CHANGE_MS, message="two dashed outlines")


def test_a_search_for_queretaro_selects_querétaro(page, app_server):
    open_atlas(page, app_server)
    box = page.get_by_role("textbox", name="Search")
    box.fill("queretaro")
    box.press("Enter")
    poll_until(page, lambda: query(page).get("state") == ["Querétaro"], timeout=CHANGE_MS, message="state in the URL")
    expect(page.get_by_role("heading", name="Querétaro", exact=True)).to_be_visible(timeout=CHANGE_MS)
    expect(box).to_have_value("")


def test_play_advances_the_year_and_stops_at_the_last(page, app_server):
    frame = open_atlas(page, app_server)
    first, last = year_bounds(seeds.load_records())
    page.get_by_role("button", name="▶ Play years").click()
    seen = set()

    def finished():
        years = query(page).get("years", [None])[0]
        seen.add(years)
        return years == f"{last}-{last}" and page.get_by_role("button", name="▶ Play years").count() == 1

    poll_until(page, finished, timeout=(last - first + 1) * PLAY_SECONDS * 1000 + 60_000, interval=50,
               message="playback reached the last year and stopped")  # fmt: skip
    assert f"{first}-{first}" in seen or f"{first + 1}-{first + 1}" in seen  # it started at the beginning
    assert len(seen - {None}) >= 3  # and stepped through the years
    assert page.locator(MAP_IFRAME).count() == 1 and len(fills(frame)) == 32  # the same map, never remounted
    page.wait_for_timeout(3 * PLAY_SECONDS * 1000)
    assert query(page).get("years") == [f"{last}-{last}"]  # stopped


STEP_JS = "() => atlas.stats.step || null"
LEGEND = ".atlas-legend[data-legend='classes']"


def drag_thumb(page, key: str, to_value: int, low: int, high: int) -> None:
    """Press the pointer on slider `key`'s (first) thumb and move it to `to_value`; not released."""
    thumb = page.locator(f".st-key-{key} input[type=range]").first.locator("xpath=../..")
    thumb.scroll_into_view_if_needed()
    track = page.locator(f".st-key-{key} [data-testid=stSlider] [data-orientation=horizontal]").nth(1).bounding_box()
    box = thumb.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    x = track["x"] + track["width"] * (to_value - low) / (high - low)
    page.mouse.move(x, box["y"] + box["height"] / 2, steps=8)


def test_dragging_the_export_year_repaints_the_map_before_the_server_runs(page, app_server):
    frame = open_atlas(page, app_server, "?metric=exports&year=2019")
    before = fills(frame)
    drag_thumb(page, "year", 2008, *official.EXPORT_YEARS)
    step = poll_until(page, lambda: (frame.evaluate(STEP_JS) or {}).get("value") == "2008" and frame.evaluate(STEP_JS),
                      timeout=CHANGE_MS, message="the map repainted for 2008 during the drag")  # fmt: skip
    during = fills(frame)
    assert during != before and step["byUser"] and step["drawn"] - step["at"] < 16  # within the frame
    expect(page.locator(LEGEND).get_by_text("Merchandise exports (US$ million), 2008")).to_be_visible(timeout=2000)
    assert query(page).get("year") == ["2019"]  # the pointer is still down: the server has not been asked
    page.mouse.up()
    poll_until(page, lambda: query(page).get("year") == ["2008"], timeout=CHANGE_MS, message="year=2008 in the URL")
    expect(page.get_by_text("Merchandise exports (US$ million), 2008").first).to_be_visible(timeout=CHANGE_MS)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=CHANGE_MS)
    assert fills(frame) == during  # the server's run painted what the drag had shown
    assert page.locator(MAP_IFRAME).count() == 1


def test_dragging_a_records_year_handle_repaints_the_map_in_that_ranges_own_classes(page, app_server):
    frame = open_atlas(page, app_server, "?metric=per_million")
    first, last = year_bounds(seeds.load_records())
    timed = filter_records(seeds.load_records(), Filters(years=(2012, last)))
    values = metrics.state_metric("per_million", timed).values
    classes = style.classify(values, k=5)  # this range alone, as the server's run will class it
    expected = {code: classes.color(value) for code, value in values.items()}
    drag_thumb(page, "years", 2012, first, last)
    step = poll_until(page, lambda: (frame.evaluate(STEP_JS) or {}).get("value") == f"2012-{last}"
                      and frame.evaluate(STEP_JS), timeout=CHANGE_MS, message="the map repainted for 2012-")  # fmt: skip
    assert step["byUser"] and step["fills"] == expected and step["drawn"] - step["at"] < 16
    rows = page.locator(f"{LEGEND} li").all_inner_texts()[1:]  # the legend was redrawn with the map
    assert [row.strip() for row in rows] == list(classes.labels) + (["No data"] if classes.has_nodata else [])
    assert "years" not in query(page)  # the pointer is still down: the server has not been asked
    page.mouse.up()
    poll_until(
        page, lambda: query(page).get("years") == [f"2012-{last}"], timeout=CHANGE_MS, message="years in the URL"
    )
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=CHANGE_MS)
    assert fills(frame) == sorted(expected.values())  # the server's run painted the same
    assert [row.strip() for row in page.locator(f"{LEGEND} li").all_inner_texts()[1:]] == rows
    assert page.locator(MAP_IFRAME).count() == 1


STATES_JS = "() => atlas.stats.states || null"


def tapped_view(metric: str, chosen: tuple[str, ...]) -> tuple[dict[str, str | None], style.Classes]:
    """What the server's run paints for `chosen` with `metric` (the latest export year for the
    export metrics, their breaks pooled over the years), from geo/: the fills and the classes."""
    if metrics.METRICS[metric].uses_export_year:
        yearly = metrics.yearly_values(metric, sectors=chosen)
        values, classes = yearly[official.EXPORT_YEARS[1]], style.classify(metrics.pooled(yearly), k=5)
    else:
        values = metrics.state_metric(metric, seeds.load_records(), sectors=chosen).values
        classes = style.classify(values, k=5)  # this selection alone, as the server's run will class it
    return {code: classes.color(value) for code, value in values.items()}, classes


@pytest.mark.parametrize("metric", ["per_million", "exports"])
def test_tapping_a_sector_repaints_map_and_legend_before_the_servers_run(page, app_server, metric):
    """Adding a sector, then removing it: each time the map and the legend change from the steps
    the map holds (in that selection's own classes) before the server's run for it arrives, and
    the server's run then paints the same."""
    frame = open_atlas(page, app_server, f"?metric={metric}")
    sidebar = page.locator('[data-testid="stSidebar"]')
    box = sidebar.get_by_role("combobox", name="Sectors")

    def add():
        box.click()
        box.fill("Automotive")
        page.get_by_role("option", name="Automotive", exact=True).click()

    def remove():
        page.keyboard.press("Escape")
        sidebar.locator('button[aria-label="Remove Automotive"]:visible').first.click()

    for chosen, tap in ((("Automotive",), add), ((), remove)):
        expected, classes = tapped_view(metric, chosen)
        key = sector_key(chosen, SECTORS)
        tap()
        step = poll_until(page, lambda: (frame.evaluate(STEP_JS) or {}).get("value") == key  # noqa: B023
                          and frame.evaluate(STEP_JS), timeout=CHANGE_MS, message=f"the map repainted for {chosen}")  # fmt: skip
        assert step["control"] == "sectors" and step["byUser"] and step["fills"] == expected
        assert step["drawn"] - step["at"] < 16
        rows = [row.strip() for row in page.locator(f"{LEGEND} li").all_inner_texts()[1:]]
        assert rows == list(classes.labels) + (["No data"] if classes.has_nodata else [])
        served = poll_until(page, lambda: (frame.evaluate(STATES_JS) or {}).get("tap") == key  # noqa: B023
                            and frame.evaluate(STATES_JS), timeout=CHANGE_MS, message="the server's map")  # fmt: skip
        assert served["at"] > step["drawn"]  # the step was drawn before the server's map arrived
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=CHANGE_MS)
        painted = sorted(color or NODATA_STYLE["fillColor"] for color in expected.values())  # no data: white
        assert fills(frame) == painted  # the server's run painted the same
        assert [row.strip() for row in page.locator(f"{LEGEND} li").all_inner_texts()[1:]] == rows
    assert page.locator(MAP_IFRAME).count() == 1


def test_a_presenters_sector_key_repaints_the_map_before_the_servers_run(page, app_server):
    """Presenter mode: Shift+Right steps to the next sector; the map and legend show it from the
    taps it holds before the server's run for it arrives, and the server paints the same."""
    frame = open_atlas(page, app_server, "?present=1&metric=per_million")
    for chosen in ((SECTORS[0],), (SECTORS[1],)):  # from all sectors the first, then the next one
        expected, classes = tapped_view("per_million", chosen)
        key = sector_key(chosen, SECTORS)
        page.keyboard.press("Shift+ArrowRight")
        step = poll_until(page, lambda: (frame.evaluate(STEP_JS) or {}).get("value") == key  # noqa: B023
                          and frame.evaluate(STEP_JS), timeout=CHANGE_MS, message=f"the map repainted for {chosen}")  # fmt: skip
        assert step["control"] == "sectors" and step["key"] == "ArrowRight" and step["fills"] == expected
        rows = [row.strip() for row in page.locator(f"{LEGEND} li").all_inner_texts()[1:]]
        assert rows == list(classes.labels) + (["No data"] if classes.has_nodata else [])
        served = poll_until(page, lambda: (frame.evaluate(STATES_JS) or {}).get("tap") == key  # noqa: B023
                            and frame.evaluate(STATES_JS), timeout=CHANGE_MS, message="the server's map")  # fmt: skip
        assert served["at"] > step["drawn"]
        assert query(page).get("sectors") == [chosen[0]]  # the server's run took the same step
        expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=CHANGE_MS)
        assert fills(frame) == sorted(expected.values())


def play_step_fills(first: int, last: int) -> dict[str, dict[str, str]]:
    """The records' playback ("in": one year at a time), coloured in the breaks pooled over every
    step, from geo/ (what app.metric_classes computes)."""
    records = seeds.load_records()
    values = {f"{y}-{y}": metrics.state_metric("records", filter_records(records, Filters(years=(y, y)))).values
              for y in range(first, last + 1)}  # fmt: skip
    classes = style.classify(pd.concat(values.values(), ignore_index=True), k=5)
    return {step: {code: classes.color(v) for code, v in column.items()} for step, column in values.items()}


def test_playback_steps_repaint_from_the_fills_the_map_already_holds(page, app_server):
    frame = open_atlas(page, app_server)
    first, last = year_bounds(seeds.load_records())
    expected = play_step_fills(first, last)
    page.get_by_role("button", name="▶ Play years").click()
    seen = {}

    def finished():
        step = frame.evaluate(STEP_JS)
        if step:
            seen[step["value"]] = step
        return (
            query(page).get("years") == [f"{last}-{last}"] and page.get_by_role("button", name="▶ Play years").count()
        )

    poll_until(page, finished, timeout=(last - first + 1) * PLAY_SECONDS * 1000 + 60_000, interval=20,
               message="playback reached the last year and stopped")  # fmt: skip
    assert len(seen) >= 3 and set(seen) <= set(expected)  # steps drawn in the browser, each a playback step
    for value, step in seen.items():
        assert not step["byUser"] and step["fills"] == expected[value], value
        assert step["drawn"] - step["at"] < 16


def test_export_this_view_downloads_the_map_image(page, app_server):
    open_atlas(page, app_server, "?metric=exports&sectors=Automotive&year=2019")
    page.get_by_text("Download the filtered layers").click()
    button = page.get_by_role("button", name="Map image (PNG)")
    expect(button).to_be_visible(timeout=CHANGE_MS)
    # the panel opens with a rerun: click once that run is over, or the click may land on a button
    # that the run is about to replace
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=CHANGE_MS)
    button.scroll_into_view_if_needed()
    with page.expect_download(timeout=CHANGE_MS * 3) as download:  # drawn on the server when asked for
        button.click()
    assert download.value.suggested_filename.startswith("mexico-atlas_map-exports_automotive_")
    with open(download.value.path(), "rb") as file:
        image = file.read()
    assert png_size(image) == mapimage.pixel_size("slide")
