"""Self-test of the browser harness (tests/harness.py and its fixtures) against a throwaway page."""

from pathlib import Path

import pytest

from tests.harness import (
    OUTSIDE_URL,
    map_frame,
    rss_kib,
    wait_for_polygons,
)

pytestmark = pytest.mark.browser

ECHO_APP = Path(__file__).with_name("_echo_app.py")
OUTSIDE_PIXEL = "http://outside.invalid/pixel.png"


@pytest.fixture(scope="module")
def app_script():
    return ECHO_APP


@pytest.mark.parametrize(
    ("url", "outside"),
    [
        ("http://127.0.0.1:8501/", False),
        ("http://localhost:8501/_stcore/health", False),
        ("ws://127.0.0.1:9/_stcore/stream", False),
        ("http://[::1]:8501/", False),
        ("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js", True),
        ("http://127.0.0.1.nip.io/", True),  # a local-looking prefix is not enough
        ("http://localhostile.example/", True),
        ("https://d3js.org/d3.v4.min.js", True),
    ],
)
def test_outside_url_pattern(url, outside):
    assert bool(OUTSIDE_URL.search(url)) is outside


def test_server_answers_and_reports_memory(app_server):
    assert app_server.process.poll() is None
    assert rss_kib(app_server.pid) > 10_000  # a Streamlit server holds tens of MB


def test_page_reruns_on_click(app_server, page, page_errors):
    page.goto(app_server.url)
    page.get_by_text("clicks: 0").wait_for()
    page.get_by_role("button", name="Add one").click()
    page.get_by_text("clicks: 1").wait_for()
    assert page_errors == []


def test_outside_request_is_blocked_and_recorded(app_server, page, blocked_requests):
    page.goto(app_server.url)
    page.get_by_text("Echo harness").wait_for()
    for _ in range(100):  # the image is requested once its element renders
        if OUTSIDE_PIXEL in blocked_requests:
            break
        page.wait_for_timeout(100)
    assert OUTSIDE_PIXEL in blocked_requests
    assert all(OUTSIDE_URL.search(url) for url in blocked_requests)


def test_map_helpers_find_the_polygons(app_server, page, blocked_requests):
    page.goto(app_server.url)
    frame = map_frame(page)
    assert wait_for_polygons(frame, 3) == 3
    assert blocked_requests == [OUTSIDE_PIXEL]  # the map itself needed nothing from outside
