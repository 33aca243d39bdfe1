"""layers.assets: every file the map loads is the app's own (no CDN, no class-level patching of
folium), the runtime and CSS are real files, and the map's constant data is published once into a
writable folder, pruned, and noticed when deleted."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tomllib

import branca.colormap
import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box
from streamlit_folium import _get_header

from layers import assets, basemap, markers, style
from tests.helpers import REPO, TEST_PREFIXES, external_asset_urls, map_assets, publish


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


def _full_map(states, records, data) -> folium.Map:
    m = basemap.base_map(assets=map_assets())
    classes = style.classify(states["records"])
    for layer in basemap.map_layers(states, records, metric="records", classes=classes, data=data):
        layer.add_to(m)
    return m


def test_served_folders_hold_every_file_the_map_asks_for(tmp_path):
    folders = assets.folders(tmp_path)
    assert set(folders) == set(assets.FOLDERS) and folders["data"] == tmp_path
    for name, url in (*map_assets().js, *map_assets().css):
        folder, prefix = next((folders[f], p) for f, p in TEST_PREFIXES.items() if url.startswith(p + "/"))
        path = folder / url.removeprefix(prefix + "/").split("?")[0]
        assert path.is_file(), (name, url)
    assert (folders["leaflet"] / "images" / "layers.png").is_file()  # the layer control's icon


def test_runtime_urls_change_with_the_files_content():
    js = dict(map_assets().js)["atlas_runtime"]
    digest = js.split("?v=")[1]
    assert re.fullmatch(r"[0-9a-f]{12}", digest)
    assert (
        assets.map_assets({**TEST_PREFIXES, "bundle": "/elsewhere"}).js[-1][1]
        == f"/elsewhere/atlas-runtime.js?v={digest}"
    )


def test_the_map_loads_one_script_leaflet_markercluster_and_the_runtime_with_its_worker_beside(tmp_path):
    folder = assets.write_bundle(tmp_path)
    leaflet, cluster = (assets.folders(tmp_path)[name] for name in ("leaflet", "markercluster"))
    script = (folder / assets.RUNTIME_JS).read_bytes()
    parts = [leaflet / "leaflet.js", cluster / "leaflet.markercluster.js", assets.RUNTIME_DIR / assets.RUNTIME_JS]
    assert script == b"\n;\n".join(path.read_bytes() for path in parts)
    assert (folder / assets.POINTS_WORKER_JS).read_bytes() == (
        assets.RUNTIME_DIR / assets.POINTS_WORKER_JS
    ).read_bytes()
    assert [name for name, _ in map_assets().js] == ["atlas_runtime"]
    assert assets.write_bundle(tmp_path) == folder and len(list(tmp_path.glob("bundle-*"))) == 1
    done = subprocess.run(["node", "--check", str(folder / assets.RUNTIME_JS)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_an_unwritable_bundle_folder_is_a_clear_error(tmp_path):
    (tmp_path / "blocked").write_text("a file, not a folder")
    with pytest.raises(assets.AssetsError, match="Cannot write the map's script into"):
        assets.write_bundle(tmp_path / "blocked")


def test_the_map_loads_only_the_apps_own_files_and_folium_is_untouched(tmp_path, frames):
    pristine = (list(folium.Map.default_js), list(folium.plugins.MarkerCluster.default_js))
    m = _full_map(*frames, publish(tmp_path, *frames))
    m.get_root().render()  # elements add their links to the header while rendering
    header = m.get_root().header.render()
    assert "https://" not in header and "http://" not in header and "cdn" not in header.lower()
    assert re.findall(r'<script src="([^"]+)"', header) == [url for _, url in map_assets().js]
    assert external_asset_urls(m) == []  # what st_folium would load: all the app's own
    assert "https://" not in _get_header(m)
    # per instance only: a plain folium map still loads its CDNs, for anyone else in the process
    assert (folium.Map.default_js, folium.plugins.MarkerCluster.default_js) == pristine
    assert any("cdn" in url for url in external_asset_urls(folium.Map()))


def test_a_colormap_would_pull_d3_from_a_cdn():
    m = basemap.base_map(assets=map_assets())
    branca.colormap.LinearColormap(["#ffffff", "#000000"]).add_to(m)
    assert external_asset_urls(m) == ["https://d3js.org/d3.v4.min.js"]


def test_publish_map_data_serves_geometry_outline_and_marker_table(tmp_path, frames):
    states, records = frames
    data = publish(tmp_path, states, records)

    def load(url):
        assert url.startswith(TEST_PREFIXES["data"] + "/")
        return json.loads((tmp_path / url.rsplit("/", 1)[1]).read_text())

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
    assert data.missing() == []


def test_publishing_again_rewrites_nothing_and_a_new_data_set_prunes_the_old(tmp_path, frames):
    states, records = frames
    first = publish(tmp_path, states, records)
    mtimes = {p: p.stat().st_mtime_ns for p in first.files}
    assert publish(tmp_path, states, records).files == first.files
    assert {p: p.stat().st_mtime_ns for p in first.files} == mtimes
    (tmp_path / "notes.txt").write_text("not ours")

    second = publish(tmp_path, states, records.iloc[:1])
    assert second.table.url != first.table.url and second.geometry_url == first.geometry_url
    on_disk = {p.name for p in tmp_path.iterdir() if not p.name.startswith(".")}
    assert on_disk == {p.name for p in second.files} | {"notes.txt"}  # old records gone, others kept


def test_deleted_files_are_noticed(tmp_path, frames):
    data = publish(tmp_path, *frames)
    data.files[0].unlink()
    assert data.missing() == [data.files[0]]
    assert publish(tmp_path, *frames).missing() == []


def test_published_layers_stay_small_per_change(tmp_path, frames):
    states, records = frames
    data = publish(tmp_path, states, records)
    page = _full_map(states, records, data).get_root().render()
    assert data.geometry_url in page and data.table.url in page
    assert "coordinates" not in page and "a.pdf" not in page  # geometry and popups are in the files


def test_an_unwritable_folder_is_a_clear_error(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("a file where the folder should be")
    monkeypatch.setenv(assets.CACHE_ENV, str(blocker / "map-data"))
    with pytest.raises(assets.AssetsError, match=r"tried .*a-file/map-data.*Set ATLAS_CACHE_DIR"):
        assets.data_dir()


def test_the_cache_folder_defaults_outside_the_checkout(tmp_path, monkeypatch):
    monkeypatch.delenv(assets.CACHE_ENV, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert assets.data_dir() == tmp_path / "cache" / "mexico-cluster-atlas" / "map-data"
    (tmp_path / "blocker").write_text("a file where the cache folder should be")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "blocker"))  # unusable: the next candidate
    assert assets.data_dir().parts[-2:] == (f"mexico-cluster-atlas-{os.getuid()}", "map-data")


def test_publishing_into_an_unwritable_folder_is_a_clear_error(tmp_path, frames):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(assets.AssetsError, match="Cannot write the map's data files into"):
        publish(blocker, *frames)


def test_runtime_files_are_checked_javascript_and_css_in_step_with_style():
    done = subprocess.run(["node", "--check", str(assets.RUNTIME_DIR / assets.RUNTIME_JS)], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    css = (assets.RUNTIME_DIR / assets.RUNTIME_CSS).read_text()
    variables = dict(re.findall(r"--atlas-([a-z]+):\s*(#[0-9a-f]{6})", css))
    assert variables == {**style.KIND_COLOURS, "upload": style.UPLOAD_COLOUR, "background": style.BACKGROUND_COLOR}


def test_streamlit_config_compresses_and_hides_error_details():
    config = tomllib.loads((REPO / ".streamlit" / "config.toml").read_text())
    assert "enableStaticServing" not in config["server"]  # the map's files are served by layers.server
    assert config["server"]["enableWebsocketCompression"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["browser"]["gatherUsageStats"] is False
    assert config["theme"]["baseFontSize"] >= 18
