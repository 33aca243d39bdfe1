"""Every file the map loads, served by the app itself, so the map works with no network.

Out of the box folium loads Leaflet, jQuery, Bootstrap, awesome-markers and Font Awesome from CDNs,
and st_folium loads them one after the other: one failed request leaves the map blank. The atlas
uses none but Leaflet and Leaflet.markercluster, and serves five folders (`layers/serving.py` gives
each a URL prefix under the app's own base path):

- `leaflet`, `markercluster`: the files the xstatic-leaflet and xstatic-leaflet-markercluster
  packages ship, served where they are installed (nothing is copied);
- `runtime`: this package's `static/` folder, the atlas runtime (`atlas-runtime.js`) and the map's
  CSS (`atlas-map.css`), real files, read-only;
- `bundle`: Leaflet, Leaflet.markercluster and the runtime concatenated into one file, with the
  points worker beside it, written once per content into a folder under the data folder
  (`write_bundle`): st_folium loads a map's scripts one after another, so one file instead of three
  saves a first visit two round trips and two waits for a busy main thread;
- `data`: the map's constant data (state geometry, Mexico's outline, the marker table), written
  once per data set under content-hashed names into a writable cache folder (`data_dir()`), so a
  filter change sends only what changed. Nothing is written next to the code, so a read-only
  install works.

Nothing here touches folium's classes: `layers.basemap.AtlasMap` carries these URLs per instance.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

import folium
import geopandas as gpd

from geo.i18n import LANGUAGES, translator
from layers.choropleth import outline_geometry, states_geometry
from layers.markers import MarkerTable, marker_table, popup_words

RUNTIME_DIR = Path(__file__).resolve().parent / "static"
RUNTIME_JS = "atlas-runtime.js"
RUNTIME_CSS = "atlas-map.css"
POINTS_WORKER_JS = "atlas-points-worker.js"  # loaded by the runtime with the runtime's own ?v=
# The page around the map and presenter mode (app.py draws them with st.html).
PAGE_CSS = RUNTIME_DIR / "atlas-page.css"
PRESENT_CSS = RUNTIME_DIR / "atlas-present.css"
PRESENT_DARK_CSS = RUNTIME_DIR / "atlas-present-dark.css"
PRESENT_JS = RUNTIME_DIR / "atlas-present.js"
FOLDERS = ("leaflet", "markercluster", "runtime", "bundle", "data")
CACHE_ENV = "ATLAS_CACHE_DIR"
_FOLIUM_LEAFLET_VERSION = "1.9.3"  # the version folium 0.20 asks its CDN for
_XSTATIC = {"leaflet": "xstatic.pkg.leaflet", "markercluster": "xstatic.pkg.leaflet_markercluster"}
_DATA_FILES = ("states", "outline", "records", "points", "names", "words")  # stems of the published data files


class AssetsError(RuntimeError):
    """The map's files cannot be served (e.g. no writable folder for its data)."""


@dataclass(frozen=True)
class MapAssets:
    """The URLs of the libraries, the runtime and the CSS the base map loads when it mounts."""

    js: tuple[tuple[str, str], ...]  # (name, URL) in load order, as folium's default_js
    css: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class MapData:
    """Where the published constant map data lives; pass to `layers.basemap.map_layers(data=)`."""

    geometry_url: str
    outline_url: str
    table: MarkerTable
    files: tuple[Path, ...]

    def missing(self) -> list[Path]:
        """Published files no longer on disk (someone deleted them): publish again."""
        return [path for path in self.files if not path.is_file()]


def folders(data_folder: Path) -> dict[str, Path]:
    """Folder name -> the folder to serve, for `layers.serving.serve()` (writes the bundle)."""
    return {
        "leaflet": _xstatic_dir("leaflet"),
        "markercluster": _xstatic_dir("markercluster"),
        "runtime": RUNTIME_DIR,
        "bundle": write_bundle(Path(data_folder)),
        "data": Path(data_folder),
    }


def write_bundle(folder: Path) -> Path:
    """The folder holding the one script the map loads: Leaflet, Leaflet.markercluster and the
    runtime in that order, named `atlas-runtime.js` so the runtime finds the points worker beside
    it. Named by content, so it is written once per install; AssetsError when it cannot be."""
    sources = _bundle_sources()
    target = folder / f"bundle-{_digest(*sources, RUNTIME_DIR / POINTS_WORKER_JS)}"
    if (target / RUNTIME_JS).is_file():
        return target
    try:
        target.mkdir(parents=True, exist_ok=True)
        _atomic_write((RUNTIME_DIR / POINTS_WORKER_JS).read_bytes(), target / POINTS_WORKER_JS)
        # ";" between files: each ends in an expression statement that may lack its own
        _atomic_write(b"\n;\n".join(path.read_bytes() for path in sources), target / RUNTIME_JS)
    except OSError as error:
        raise AssetsError(f"Cannot write the map's script into {target}: {error.strerror or error}.") from error
    return target


def _bundle_sources() -> tuple[Path, ...]:
    return (
        _xstatic_dir("leaflet") / "leaflet.js",
        _xstatic_dir("markercluster") / "leaflet.markercluster.js",
        RUNTIME_DIR / RUNTIME_JS,
    )


def map_assets(prefixes: dict[str, str]) -> MapAssets:
    """The base map's JS and CSS under the URL `prefixes` of the served folders.

    The script and the atlas CSS carry a hash of their content (`?v=`), so a browser never keeps
    an old copy; the script's hash covers the points worker too, which it loads with the same `?v=`.
    """
    leaflet, cluster, runtime, bundle = (
        prefixes[name].rstrip("/") for name in ("leaflet", "markercluster", "runtime", "bundle")
    )
    version = _digest(*_bundle_sources(), RUNTIME_DIR / POINTS_WORKER_JS)
    return MapAssets(
        js=(("atlas_runtime", f"{bundle}/{RUNTIME_JS}?v={version}"),),
        css=(
            ("leaflet_css", f"{leaflet}/leaflet.css"),
            ("markerclustercss", f"{cluster}/MarkerCluster.css"),
            ("markerclusterdefaultcss", f"{cluster}/MarkerCluster.Default.css"),
            ("atlas_css", f"{runtime}/{RUNTIME_CSS}?v={_digest(RUNTIME_DIR / RUNTIME_CSS)}"),
        ),
    )


def data_dir() -> Path:
    """A writable folder for the published map data: $ATLAS_CACHE_DIR, else the user's cache
    folder, else the system's temporary folder. AssetsError names every folder tried."""
    explicit = os.environ.get(CACHE_ENV)
    if explicit:
        candidates = [Path(explicit)]
    else:
        cache_home = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        candidates = [
            Path(cache_home) / "mexico-cluster-atlas" / "map-data",
            Path(tempfile.gettempdir()) / f"mexico-cluster-atlas-{os.getuid()}" / "map-data",
        ]
    failures = []
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            _atomic_write(b"", folder / ".write-test")
            return folder
        except OSError as error:
            failures.append(f"{folder}: {error.strerror or error}")
    raise AssetsError(
        "No writable folder for the map's data files (tried "
        + "; ".join(failures)
        + f"). Set {CACHE_ENV} to a writable folder and restart the atlas."
    )


def publish_map_data(
    states: gpd.GeoDataFrame, records: gpd.GeoDataFrame, *, outline, folder: Path, prefix: str
) -> MapData:
    """Write the states' geometry, Mexico's outline, the marker table of all `records` and its
    popups' words in every language into `folder` (served at URL `prefix`), remove the files of
    earlier data sets, and say where they are.
    Same content, same file names: cheap to call again. Raises AssetsError when writing fails."""
    folder = Path(folder)
    url = prefix.rstrip("/")
    table = marker_table(records)
    table_data = dict(table.data)
    # A large table's binary files first: the table's JSON names them (layers/points.py).
    contents = {stem: (data, ".bin") for stem, data in (table.binary or {}).items()}
    names = {stem: _hashed(stem, data, ext) for stem, (data, ext) in contents.items()}
    table_data.update({stem: f"{url}/{name}" for stem, name in names.items()})
    contents.update(
        states=(_json_bytes(states_geometry(states)), ".geojson"),
        outline=(_json_bytes(outline_geometry(outline)), ".geojson"),
        records=(_json_bytes(table_data), ".json"),
        **{f"words-{lang}": (_json_bytes(popup_words(translator(lang))), ".json") for lang in LANGUAGES},
    )
    names = {stem: _hashed(stem, data, ext) for stem, (data, ext) in contents.items()}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for stem, (data, _) in contents.items():
            target = folder / names[stem]
            if not (target.is_file() and target.stat().st_size == len(data)):
                _atomic_write(data, target)
        _prune(folder, keep=set(names.values()))
    except OSError as error:
        raise AssetsError(f"Cannot write the map's data files into {folder}: {error.strerror or error}.") from error
    return MapData(
        geometry_url=f"{url}/{names['states']}",
        outline_url=f"{url}/{names['outline']}",
        table=table.published(
            f"{url}/{names['records']}", words={lang: f"{url}/{names[f'words-{lang}']}" for lang in LANGUAGES}
        ),
        files=tuple(folder / name for name in names.values()),
    )


def _prune(folder: Path, *, keep: set[str]) -> None:
    """Remove earlier data sets' files (old data must not stay downloadable), nothing else."""
    for path in folder.iterdir():
        stem = path.name.split("-", 1)[0]
        if stem in _DATA_FILES and path.name not in keep and path.is_file():
            path.unlink(missing_ok=True)


def _xstatic_dir(name: str) -> Path:
    module = importlib.import_module(_XSTATIC[name])
    version = str(module.VERSION)
    if name == "leaflet" and version != _FOLIUM_LEAFLET_VERSION:
        warnings.warn(
            f"xstatic-leaflet ships Leaflet {version} but folium {folium.__version__} was built "
            f"for Leaflet {_FOLIUM_LEAFLET_VERSION}; pin xstatic-leaflet to match.",
            RuntimeWarning,
            stacklevel=3,
        )
    return Path(module.BASE_DIR)


def _hashed(stem: str, data: bytes, ext: str) -> str:
    return f"{stem}-{hashlib.sha256(data).hexdigest()[:16]}{ext}"


def _digest(*paths: Path) -> str:
    return hashlib.sha256(b"".join(path.read_bytes() for path in paths)).hexdigest()[:12]


def _json_bytes(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def _atomic_write(data: bytes, destination: Path) -> None:
    # Write beside the target and rename, so a browser never gets half a file.
    fd, tmp = tempfile.mkstemp(dir=destination.parent, prefix=f".{destination.name}.")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, destination)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
