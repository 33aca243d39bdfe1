"""Serve Leaflet and Leaflet.markercluster from the app itself, so the map works with no network.

Out of the box folium loads Leaflet, jQuery, Bootstrap, awesome-markers and Font Awesome from CDNs,
and st_folium loads them one after the other: one failed request leaves the map blank.
`install_assets()` (called once at app start-up, never at import) copies the files shipped in the
`xstatic-leaflet` and `xstatic-leaflet-markercluster` packages into `static/vendor/` and points
folium's class-level asset lists at `/app/static/vendor/...` (Streamlit's static serving, enabled by
`server.enableStaticServing = true` in `.streamlit/config.toml`). The change is process-wide.

The atlas uses no icon markers, popups built by folium.Popup (jQuery) or branca colormaps (d3 from
a CDN), so jQuery, Bootstrap, awesome-markers and Font Awesome are dropped.

`publish_map_data()` writes the map's constant data (state geometry, the marker table) to
`static/generated/` under content-hashed names, so each filter change sends only what changed.
"""

from __future__ import annotations

import filecmp
import hashlib
import importlib
import json
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import branca.colormap
import folium
import folium.elements
import folium.plugins
import geopandas as gpd

from layers.choropleth import outline_geometry, states_geometry
from layers.markers import MarkerTable, marker_table
from layers.runtime import ATLAS_JS, compact
from layers.style import MAP_CSS

STATIC_URL = "/app/static"
VENDOR_DIR = "vendor"
GENERATED_DIR = "generated"
_FOLIUM_LEAFLET_VERSION = "1.9.3"  # the version folium 0.20 asks its CDN for


@dataclass(frozen=True)
class _Package:
    module: str  # the xstatic module holding BASE_DIR and VERSION
    folder: str  # folder name under static/vendor/, versioned so browsers may cache forever


_LEAFLET = _Package("xstatic.pkg.leaflet", "leaflet")
_MARKERCLUSTER = _Package("xstatic.pkg.leaflet_markercluster", "leaflet.markercluster")


def default_static_dir() -> Path:
    """The app's `static/` folder (next to app.py at the repository root)."""
    return Path(__file__).resolve().parent.parent / "static"


def install_assets(static_dir: Path | None = None, *, static_url: str = STATIC_URL) -> dict:
    """Copy the vendor files into `static_dir/vendor` and point folium at them.

    Idempotent and cheap when the files are already in place (nothing is copied).
    `static_url` is where Streamlit serves `static_dir`: `/app/static`, or
    `/<baseUrlPath>/app/static` when the app runs under `server.baseUrlPath`.
    Returns the URLs now used, keyed by asset name.
    """
    static_dir = Path(static_dir) if static_dir is not None else default_static_dir()
    done = _INSTALLED.get((static_dir, static_url))
    if done is not None and all(_served_file(static_dir, static_url, u).is_file() for u in done.values()):
        _point_folium_at(done)  # cheap; keeps folium pointed here even if someone reset it
        return dict(done)
    folders = {}
    for package in (_LEAFLET, _MARKERCLUSTER):
        base_dir, version = _package_files(package)
        folder = f"{package.folder}-{version}"
        _sync_tree(base_dir, static_dir / VENDOR_DIR / folder)
        folders[package.folder] = folder
    urls = vendor_urls(folders, static_url)
    _point_folium_at(urls)
    _INSTALLED[(static_dir, static_url)] = dict(urls)
    return urls


install = install_assets  # what app.py calls: `assets.install()`
use_local_assets = install_assets  # the name bench/baseline_app.py uses
_INSTALLED: dict[tuple[Path, str], dict[str, str]] = {}


@dataclass(frozen=True)
class MapData:
    """Where the published constant map data lives; pass to `layers.basemap.map_layers(data=)`."""

    geometry_url: str
    table: MarkerTable
    outline_url: str | None = None
    runtime_url: str | None = None  # the atlas runtime (layers.runtime), for base_map(data=)
    css_url: str | None = None  # the map's CSS (layers.style.MAP_CSS), for base_map(data=)


def publish_map_data(
    states: gpd.GeoDataFrame,
    records: gpd.GeoDataFrame,
    *,
    outline=None,
    static_dir: Path | None = None,
    static_url: str = STATIC_URL,
) -> MapData:
    """Write the states' geometry, the marker table of all `records` (and `outline`'s geometry)
    as static files and return their URLs. Same content, same file: cheap to call again.
    The atlas runtime and the map's CSS are published too, so the base map need not carry them.

    Cache the result per data set (e.g. `st.cache_resource`: it stands for files on disk).
    """
    static_dir = Path(static_dir) if static_dir is not None else default_static_dir()
    where = {"static_dir": static_dir, "static_url": static_url}
    table = marker_table(records)
    geometry_url = publish(_json_bytes(states_geometry(states)), "states.geojson", **where)
    table_url = publish(_json_bytes(table.data), "records.json", **where)
    outline_url = None
    if outline is not None:
        outline_url = publish(_json_bytes(outline_geometry(outline)), "outline.geojson", **where)
    runtime_url = publish(compact(ATLAS_JS).encode(), "atlas-runtime.js", **where)
    css_url = publish(compact(MAP_CSS).encode(), "atlas-map.css", **where)
    return MapData(geometry_url, table.published(table_url), outline_url, runtime_url, css_url)


def publish(data: bytes, name: str, *, static_dir: Path | None = None, static_url: str = STATIC_URL) -> str:
    """Write `data` to `static/generated/<stem>-<hash><suffix>` (once) and return its URL.

    The name changes with the content, so browsers may cache it and never see a stale copy.
    """
    static_dir = Path(static_dir) if static_dir is not None else default_static_dir()
    folder = static_dir / GENERATED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.is_file():
        ignore.write_text("# written by layers.assets.publish(): generated at run time\n*\n")
    stem, dot, suffix = name.partition(".")
    filename = f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}{dot}{suffix}"
    target = folder / filename
    if not (target.is_file() and target.stat().st_size == len(data)):
        _atomic_write(data, target)
    return f"{static_url.rstrip('/')}/{GENERATED_DIR}/{filename}"


def _json_bytes(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _served_file(static_dir: Path, static_url: str, url: str) -> Path:
    return static_dir / url.removeprefix(static_url.rstrip("/") + "/")


def vendor_urls(folders: dict[str, str], static_url: str = STATIC_URL) -> dict[str, str]:
    """Asset name -> URL under the app's static route."""
    root = f"{static_url.rstrip('/')}/{VENDOR_DIR}"
    leaflet = f"{root}/{folders['leaflet']}"
    cluster = f"{root}/{folders['leaflet.markercluster']}"
    return {
        "leaflet": f"{leaflet}/leaflet.js",
        "leaflet_css": f"{leaflet}/leaflet.css",
        "markerclusterjs": f"{cluster}/leaflet.markercluster.js",
        "markerclustercss": f"{cluster}/MarkerCluster.css",
        "markerclusterdefaultcss": f"{cluster}/MarkerCluster.Default.css",
    }


def external_asset_urls(m: folium.Map) -> list[str]:
    """JS/CSS URLs the map would load from outside the app (what st_folium collects).

    Mirrors streamlit-folium's walk: every JSCSSMixin element's default_js/default_css, plus the
    two d3 CDN URLs it adds for any branca colormap. Empty once `install_assets()` has run and no
    colormap is used.
    """
    urls = []
    for element in _walk(m):
        if isinstance(element, branca.colormap.ColorMap):
            urls.append("https://d3js.org/d3.v4.min.js")
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
            urls.append(url)
    return [url for url in dict.fromkeys(urls) if not url.startswith("/")]


def _walk(element):
    if isinstance(element, branca.colormap.ColorMap | folium.elements.JSCSSMixin):
        yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


def _package_files(package: _Package) -> tuple[Path, str]:
    module = importlib.import_module(package.module)
    version = str(module.VERSION)
    if package is _LEAFLET and version != _FOLIUM_LEAFLET_VERSION:
        warnings.warn(
            f"xstatic-leaflet ships Leaflet {version} but folium {folium.__version__} was built "
            f"for Leaflet {_FOLIUM_LEAFLET_VERSION}; pin xstatic-leaflet to match.",
            RuntimeWarning,
            stacklevel=3,
        )
    return Path(module.BASE_DIR), version


def _sync_tree(source: Path, target: Path) -> None:
    """Copy every file under `source` to `target` unless an identical copy is already there."""
    for path in sorted(source.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        destination = target / path.relative_to(source)
        if destination.is_file() and filecmp.cmp(path, destination, shallow=False):
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        _atomic_copy(path, destination)


def _atomic_copy(source: Path, destination: Path) -> None:
    _atomic(destination, lambda tmp: shutil.copy2(source, tmp))


def _atomic_write(data: bytes, destination: Path) -> None:
    _atomic(destination, lambda tmp: Path(tmp).write_bytes(data))


def _atomic(destination: Path, write) -> None:
    # Write beside the target and rename, so a browser never gets half a file.
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _point_folium_at(urls: dict[str, str]) -> None:
    cluster_js = [("markerclusterjs", urls["markerclusterjs"])]
    cluster_css = [
        ("markerclustercss", urls["markerclustercss"]),
        ("markerclusterdefaultcss", urls["markerclusterdefaultcss"]),
    ]
    # The map itself carries Leaflet.markercluster too: st_folium loads scripts only when the
    # iframe first mounts, so a marker layer that first appears on a later rerun must find the
    # plugin already loaded. Same names as MarkerCluster's, so a plain render loads it once.
    folium.Map.default_js = [("leaflet", urls["leaflet"]), *cluster_js]
    folium.Map.default_css = [("leaflet_css", urls["leaflet_css"]), *cluster_css]
    for cls in (folium.plugins.MarkerCluster, folium.plugins.FastMarkerCluster):
        cls.default_js = list(cluster_js)
        cls.default_css = list(cluster_css)
