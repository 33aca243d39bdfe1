"""The large-points mode in real Chromium: the atlas with 20,000 synthetic points (above
layers.markers.LARGE_POINTS) draws its projects through the points worker on a canvas, a sector
change gives the worker the new selection, and a click on a single point opens that record's
popup, as layers.markers.popup_html writes it (escaped). The seed-sized map's own path is
tests/browser/test_app.py's.
"""

from __future__ import annotations

import pandas as pd
import pytest

from geo import boundaries, join, seeds, synthetic
from geo.sectors import SECTORS
from layers import markers
from tests.harness import MAP_IFRAME, open_atlas, poll_until

pytestmark = pytest.mark.browser
N_POINTS = 20_000
# The stats once the worker has drawn them, read in one call: a new markers call (the next run)
# replaces the stats object, so "idle" and "its numbers" read apart could come from two calls.
DRAWN_JS = "(kind) => { const s = window.atlas.stats[kind]; return s && s.views > 0 && !window.atlas.pointsBusy() ? s : null; }"


@pytest.fixture(scope="module")
def app_env() -> dict[str, str]:
    return {"ATLAS_SYNTHETIC_POINTS": str(N_POINTS)}


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    """The records the app loads: the seeds and the same synthetic points (same seed)."""
    states = boundaries.load_states("web")
    return pd.concat([seeds.load_records(), synthetic.synthetic_projects(states, N_POINTS)], ignore_index=True)


def _projects(records, sectors=()) -> int:
    shown = join.filter_records(records, join.Filters(sectors=sectors))
    return int(((shown["kind"] == "project") & shown.geometry.notna()).sum())


def _drawn(page, frame, kind="project", check=lambda stats: True):
    """The kind's stats once drawn and `check` holds for them."""

    def drawn():
        stats = frame.evaluate(DRAWN_JS, kind)
        return stats if stats and check(stats) else None

    return poll_until(page, drawn, message=f"{kind} points drawn")


def test_large_mode_draws_clusters_and_follows_a_sector_change(app_server, page, records, console_errors):
    frame = open_atlas(page, app_server)
    frame.evaluate("() => window.map.setView([20.6, -100.4], 8, {animate: false})")
    stats = _drawn(page, frame)
    assert stats["large"] and stats["markers"] == _projects(records)
    assert stats["cells"] > 10 and any(n > 1 for _, _, n in stats["items"])  # groups, with counts
    assert frame.locator("canvas.atlas-points-project").count() == 1
    assert frame.locator(".marker-cluster, .atlas-mc").count() == 0  # no Leaflet.markercluster here

    sector = SECTORS[0]
    page.get_by_role("combobox", name="Sectors").click()
    page.get_by_role("option", name=sector, exact=True).click()
    page.keyboard.press("Escape")
    expected = _projects(records, (sector,))
    after = _drawn(page, frame, check=lambda drawn: drawn["markers"] == expected)  # the worker shows the sector's
    assert after["shown"] < stats["shown"]  # fewer points in the same view
    assert console_errors == []


def test_a_click_on_a_point_opens_its_escaped_popup(app_server, page, records, console_errors):
    frame = open_atlas(page, app_server)
    target = records[records["id"] == "syn-000123"].iloc[0]
    frame.evaluate(
        "([lat, lon]) => window.map.setView([lat, lon], 16, {animate: false})", [target.geometry.y, target.geometry.x]
    )
    stats = _drawn(page, frame)
    size = frame.evaluate("() => [window.map.getSize().x, window.map.getSize().y]")
    [(x, y, n)] = [item for item in stats["items"] if abs(item[0] - size[0] / 2) < 3 and abs(item[1] - size[1] / 2) < 3]
    assert n == 1
    box = page.locator(MAP_IFRAME).bounding_box()
    page.mouse.move(box["x"] + x, box["y"] + y)
    page.mouse.click(box["x"] + x, box["y"] + y)
    content = frame.locator(".leaflet-popup-content")
    poll_until(page, lambda: content.count() == 1, message="popup open")
    assert content.inner_html() == markers.popup_html(target.to_dict())
    assert console_errors == []
