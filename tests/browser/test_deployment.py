"""The atlas as installed elsewhere: behind a reverse proxy's sub-path, with its map data in a cache
folder of its own, and with that folder emptied while the app runs.

One server for the module, started with `--server.baseUrlPath atlas` and ATLAS_CACHE_DIR pointing
at a temporary folder, the way an installed copy in a read-only place would run.
"""

from __future__ import annotations

import pytest

from tests.harness import map_frame, streamlit_server, wait_for_polygons

pytestmark = pytest.mark.browser

N_STATES = 32
BASE = "atlas"


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("map-data")


@pytest.fixture(scope="module")
def proxied_server(cache_dir, tmp_path_factory):
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    with streamlit_server(
        "app.py",
        env={"ATLAS_CACHE_DIR": str(cache_dir)},
        base_path=BASE,
        launcher="layers.server",
        log_path=log_path,
    ) as server:
        yield server


def _open(page, server) -> list[str]:
    """Open the atlas under its sub-path; the URLs of the map's own files it loaded."""
    loaded = []
    page.on("requestfinished", lambda request: loaded.append(request.url))
    page.goto(server.url)
    assert wait_for_polygons(map_frame(page, timeout=90_000), N_STATES, timeout=90_000) == N_STATES
    return loaded


def test_under_a_sub_path_every_map_file_comes_from_that_path(page, proxied_server, blocked_requests, console_errors):
    loaded = _open(page, proxied_server)
    ours = [url for url in loaded if "/component/" in url and ".atlas_" in url]  # layers.server.serve's folders
    names = {url.split("?")[0].rsplit("/", 1)[1].split("-")[0] for url in ours}
    assert {"leaflet.css", "MarkerCluster.css", "atlas", "states", "records", "outline", "words"} <= names, ours
    assert all(url.startswith(f"{proxied_server.url}component/") for url in ours), ours
    assert proxied_server.url.endswith(f"/{BASE}/")
    assert blocked_requests == [] and console_errors == []


def test_map_data_lives_in_the_cache_folder_and_comes_back_when_deleted(page, proxied_server, cache_dir):
    _open(page, proxied_server)
    published = sorted(p.name for p in cache_dir.glob("*-*.*json"))
    assert len(published) == 6, published  # states, outline, records, the popups' words in es, en, zh
    for path in cache_dir.glob("*-*.*json"):
        path.unlink()
    page.reload()  # a new page: its run finds the files gone and publishes them again
    assert wait_for_polygons(map_frame(page, timeout=60_000), N_STATES, timeout=60_000) == N_STATES
    assert sorted(p.name for p in cache_dir.glob("*-*.*json")) == published
