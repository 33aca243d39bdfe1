"""A user's own file in real headless Chromium: uploaded through the sidebar's file input, it is
drawn as its own layer (in the layer control, its own symbols) and counted apart; the state fills
(the documented counts) stay as they were."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.harness import CHANGE_MS, fills, open_atlas, poll_until
from tests.helpers import upload_file

pytestmark = pytest.mark.browser

ROWS = [
    {"name": "Mi clúster", "kind": "cluster", "sector": "Automotive", "state": "Coahuila", "lon": "-101.0",
     "lat": "25.42"},
    {"name": "Mi proyecto", "kind": "project", "sector": "ICT", "state": "Yucatán"},
    {"name": "<img src=x onerror=alert(1)>", "kind": "cluster", "sector": "ICT", "lon": "-103.35", "lat": "20.67"},
    {"name": "Fuera", "kind": "cluster", "sector": "ICT", "lon": "-99.1", "lat": "95"},
]  # fmt: skip
UPLOAD_PINS = ".atlas-pin-upload, .atlas-mc-upload"


def test_an_uploaded_csv_is_its_own_layer_and_counted_apart(page, app_server, tmp_path, page_errors):
    name, data = upload_file("csv", ROWS)
    path = tmp_path / name
    path.write_bytes(data)
    frame = open_atlas(page, app_server)
    before = fills(frame)

    page.get_by_text("Your own data").click()
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(str(path))

    expect(page.get_by_text("3 of your records (not in the documented counts)")).to_be_visible(timeout=CHANGE_MS)
    expect(page.get_by_text("1 row left out:")).to_be_visible()
    expect(page.get_by_text("row 5: 'lon/lat' is -99.1, 95.0")).to_be_visible()
    control = frame.locator(".leaflet-control-layers-overlays label", has_text="Your data: mine.csv (3)")
    expect(control).to_have_count(1, timeout=CHANGE_MS)
    poll_until(page, lambda: frame.locator(UPLOAD_PINS).count() > 0, timeout=CHANGE_MS, message="upload pins drawn")
    assert fills(frame) == before  # the choropleth is the documented records' alone

    control.locator("input").uncheck()  # a layer of its own: it can be switched off
    poll_until(page, lambda: frame.locator(UPLOAD_PINS).count() == 0, timeout=CHANGE_MS, message="upload pins hidden")
    assert page_errors == []
