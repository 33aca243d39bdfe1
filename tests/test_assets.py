"""layers.assets: Leaflet served by the app itself, and the map's constant data published once."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import branca.colormap
import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box
from streamlit_folium import _get_header

from layers import assets, basemap, markers, style

REPO_ROOT = Path(__file__).resolve().parent.parent
_PATCHED = (folium.Map, folium.plugins.MarkerCluster, folium.plugins.FastMarkerCluster)


@pytest.fixture
def installed(tmp_path):
    """Install into a temporary static/ and put folium's class-level asset lists back afterwards."""
    saved = [(cls, cls.__dict__.get("default_js"), cls.__dict__.get("default_css")) for cls in _PATCHED]
    urls = assets.install(tmp_path / "static")
    yield tmp_path / "static", urls
    for cls, js, css in saved:
        for name, value in (("default_js", js), ("default_css", css)):
            if value is None:
                if name in cls.__dict__:
                    delattr(cls, name)
            else:
                setattr(cls, name, value)
    assets._INSTALLED.clear()


@pytest.fixture
def frames():
    states = gpd.GeoDataFrame(
        {
            "state_code": ["01", "02"],
            "state": ["Alpha", "Beta"],
            "clusters": [1, 0],
            "projects": [1, 0],
            "records": [2, 0],
            "ICT": [2, 0],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        crs=4326,
    )
    records = gpd.GeoDataFrame(
        {
            "id": ["c1", "p1"],
            "name": ["<b>C</b>", "P"],
            "kind": ["cluster", "project"],
            "sector": ["ICT", "ICT"],
            "location_precision": ["city", "state"],
            "year": pd.array([2001, None], dtype="Int64"),
            "year_basis": ["founded", "unknown"],
            "source": ["a.pdf, p. 1", "b.pdf, p. 2"],
        },
        geometry=[Point(0.5, 0.5), Point(0.2, 0.2)],
        crs=4326,
    )
    return states, records


def _full_map(states, records, **layer_kwargs) -> folium.Map:
    m = basemap.base_map()
    classes = style.classify(states["records"])
    for layer in basemap.map_layers(states, records, metric="records", classes=classes, **layer_kwargs):
        layer.add_to(m)
    return m


def test_install_copies_the_vendor_files_once(installed):
    static, urls = installed
    leaflet = static / "vendor" / "leaflet-1.9.3"
    cluster = static / "vendor" / "leaflet.markercluster-1.4.1"
    for path in (
        leaflet / "leaflet.js",
        leaflet / "leaflet.css",
        leaflet / "images" / "layers.png",
        cluster / "leaflet.markercluster.js",
        cluster / "MarkerCluster.css",
        cluster / "MarkerCluster.Default.css",
    ):
        assert path.is_file(), path
    for url in urls.values():
        assert url.startswith("/app/static/vendor/")
        assert (static / url.removeprefix("/app/static/")).is_file()

    before = {p: p.stat().st_mtime_ns for p in static.rglob("*") if p.is_file()}
    assets._INSTALLED.clear()  # even without the in-process memo, identical files are not rewritten
    assert assets.install(static) == urls
    assert {p: p.stat().st_mtime_ns for p in static.rglob("*") if p.is_file()} == before


def test_folium_points_at_the_app_and_drops_jquery_bootstrap_and_fonts(installed):
    _, urls = installed
    assert folium.Map.default_js == [("leaflet", urls["leaflet"]), ("markerclusterjs", urls["markerclusterjs"])]
    assert [name for name, _ in folium.Map.default_css] == [
        "leaflet_css",
        "markerclustercss",
        "markerclusterdefaultcss",
    ]
    for cls in (folium.plugins.MarkerCluster, folium.plugins.FastMarkerCluster):
        assert cls.default_js == [("markerclusterjs", urls["markerclusterjs"])]


def test_no_cdn_in_the_rendered_header_or_st_folium_links(installed, frames):
    m = _full_map(*frames)
    m.get_root().render()  # elements add their links to the header while rendering
    header = m.get_root().header.render()
    assert "https://" not in header and "http://" not in header and "cdn" not in header.lower()
    assert re.findall(r'<script src="([^"]+)"', header) == [
        "/app/static/vendor/leaflet-1.9.3/leaflet.js",
        "/app/static/vendor/leaflet.markercluster-1.4.1/leaflet.markercluster.js",
    ]
    assert assets.external_asset_urls(m) == []  # what st_folium would load: all local
    assert "https://" not in _get_header(m)
    folium.plugins.MarkerCluster().add_to(m)
    folium.plugins.FastMarkerCluster([[0, 0]]).add_to(m)
    assert assets.external_asset_urls(m) == []


def test_without_install_folium_would_use_cdns(frames):
    assert any("cdn" in url for url in assets.external_asset_urls(folium.Map()))


def test_a_colormap_would_pull_d3_from_a_cdn(installed):
    m = basemap.base_map()
    branca.colormap.LinearColormap(["#ffffff", "#000000"]).add_to(m)
    assert assets.external_asset_urls(m) == ["https://d3js.org/d3.v4.min.js"]


def test_publish_writes_content_addressed_files_once(tmp_path):
    static = tmp_path / "static"
    url = assets.publish(b'{"a": 1}', "thing.json", static_dir=static)
    assert re.fullmatch(r"/app/static/generated/thing-[0-9a-f]{16}\.json", url)
    path = static / url.removeprefix("/app/static/")
    assert path.read_bytes() == b'{"a": 1}'
    mtime = path.stat().st_mtime_ns
    assert assets.publish(b'{"a": 1}', "thing.json", static_dir=static) == url
    assert path.stat().st_mtime_ns == mtime
    assert assets.publish(b'{"a": 2}', "thing.json", static_dir=static) != url
    assert (static / "generated" / ".gitignore").read_text().splitlines()[-1] == "*"


def test_publish_map_data_serves_geometry_and_marker_table(tmp_path, frames):
    states, records = frames
    static = tmp_path / "static"
    data = assets.publish_map_data(states, records, outline=states.geometry, static_dir=static)

    def load(url):
        return json.loads((static / url.removeprefix("/app/static/")).read_text())

    geometry = load(data.geometry_url)
    assert [(f["id"], f["properties"]) for f in geometry["features"]] == [
        ("01", {"state": "Alpha"}),
        ("02", {"state": "Beta"}),
    ]
    table = load(data.table.url)
    assert table["name"] == ["&lt;b&gt;C&lt;/b&gt;", "P"]
    assert data.table.data is None and list(data.table.ids) == ["c1", "p1"]
    assert load(data.outline_url)["features"][0]["id"] == "mexico"
    assert isinstance(data.table, markers.MarkerTable)


def test_published_layers_stay_small_per_change(installed, frames):
    states, records = frames
    static, _ = installed
    data = assets.publish_map_data(states, records, static_dir=static)
    page = _full_map(states, records, data=data).get_root().render()
    assert data.geometry_url in page and data.table.url in page
    assert "coordinates" not in page and "a.pdf" not in page  # geometry and popups are in the files


def test_streamlit_config_serves_static_files_and_compresses():
    config = tomllib.loads((REPO_ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["enableStaticServing"] is True
    assert config["server"]["enableWebsocketCompression"] is True
    assert config["browser"]["gatherUsageStats"] is False
    assert config["theme"]["baseFontSize"] >= 18
