"""The constant base map and the ordered list of data layers that st_folium swaps in.

st_folium remounts its iframe (libraries reload, map blanks, view resets) whenever the base map's
JavaScript changes, ids aside. So `base_map()` depends only on its arguments, never on data or
filters; what changes goes into `map_layers()` and reaches the browser via `feature_group_to_add`.
The app, with streamlit-folium 0.27.4:

    prefixes = serving.serve(assets.folders(folder))   # once per process: URL of each folder
    data = assets.publish_map_data(states, records, outline=..., folder=folder,
                                   prefix=prefixes["data"])   # once per data set

    # every run: a NEW map (never cache or reuse a folium.Map) and NEW layers
    st_folium(
        basemap.base_map(assets=assets.map_assets(prefixes)),   # opens on all of Mexico
        key=basemap.MAP_KEY,                           # "atlas-map", constant
        feature_group_to_add=basemap.map_layers(
            counts, points, metric=view.metric, classes=classes,
            selected=view.state, data=data, basemap=view.basemap,  # the filtered frames
        ),
        layer_control=basemap.layer_control(),         # a new LayerControl each run
        center=view.center, zoom=view.zoom,            # a link's view (or None): applied once
        returned_objects=["last_active_drawing"],      # a state click, nothing on pan or zoom
        height=basemap.MAP_HEIGHT,                     # constant (a change re-adds every layer)
        use_container_width=True,
    )

and draws `style.legend_html(classes, title)` and `style.marker_legend_html()` beside the map with
st.html (never a branca legend inside it: st_folium would load d3 from a CDN).
A click on a state returns `last_active_drawing` = that feature, whose `properties.state` is the
state's name.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import xyzservices

from geo.i18n import DEFAULT, Translator, translator
from layers.choropleth import STATES_LAYER, Steps, choropleth, country_outline_layer
from layers.markers import markers
from layers.runtime import AtlasCall
from layers.style import KIND_LABELS, Classes

if TYPE_CHECKING:
    from layers.assets import MapAssets, MapData

MAP_KEY = "atlas-map"
MAP_HEIGHT = 720
MEXICO_CENTER = (23.8, -102.0)
DEFAULT_ZOOM = 5
MIN_ZOOM = 3  # low enough to fit all of Mexico in a narrow map
MAX_ZOOM = 18  # Leaflet.markercluster needs the map's maxZoom; folium's max_zoom is the tiles'
# South-west and north-east corners (lat, lon) the view may not leave: Mexico with a margin (room
# above the north for a popup to pan into).
MEXICO_BOUNDS = ((10.0, -124.0), (39.0, -82.0))
# Mexico's extent (lat, lon corners, Natural Earth admin-0): the opening view fits it.
MEXICO_EXTENT = ((14.5, -118.4), (32.72, -86.7))

# Key -> label for a picker. "none" draws no tiles and needs no network; the others load tiles
# from the internet through xyzservices providers (attribution included).
BASEMAPS: dict[str, str] = {
    "none": "No basemap (works offline)",
    "grey": "Light grey basemap (online)",
    "osm": "OpenStreetMap (online)",
}
# CartoDB Positron would be the natural light basemap, but xyzservices now marks it as needing
# an API key, so it is not offered.
_PROVIDERS: dict[str, str | None] = {
    "none": None,
    "grey": "Esri.WorldGrayCanvas",
    "osm": "OpenStreetMap.Mapnik",
}


class AtlasMap(folium.Map):
    """A folium.Map that loads Leaflet, Leaflet.markercluster, the atlas runtime and the map's CSS
    from the URLs in `assets` (served by the app), for this map only: folium's class-level CDN
    lists stay as they are for everyone else.

    The map carries Leaflet.markercluster itself because st_folium loads scripts only when the
    iframe first mounts: a marker layer that first appears on a later rerun must find it loaded.
    """

    def __init__(self, *, assets: MapAssets, **options):
        super().__init__(**options)
        self.default_js = list(assets.js)
        self.default_css = list(assets.css)


def base_map(*, assets: MapAssets) -> AtlasMap:
    """A map of Mexico with no data on it, opening on all of Mexico whatever the map's size; the
    same arguments always give the same JavaScript (the basemap's tiles are a data layer,
    `basemap_layer()`, so switching them keeps the view)."""
    (south, west), (north, east) = MEXICO_BOUNDS
    m = AtlasMap(
        assets=assets,
        location=MEXICO_CENTER,
        zoom_start=DEFAULT_ZOOM,
        tiles=None,
        min_lat=south,
        max_lat=north,
        min_lon=west,
        max_lon=east,
        max_bounds=True,
        prefer_canvas=False,  # SVG paths: crisp borders, and testable as path.leaflet-interactive
        zoom_control=True,
        font_size="18px",
        minZoom=MIN_ZOOM,
        maxZoom=MAX_ZOOM,
        maxBoundsViscosity=0.8,
        zoomSnap=0.25,  # fits Mexico closely at any map size
        zoomDelta=0.5,
        atlasFit=MEXICO_EXTENT,  # the runtime fits it at creation and on resizes (fitExtent)
    )
    return m


def basemap_layer(basemap: str) -> folium.FeatureGroup | None:
    """The tiles of an online basemap as a data layer (not in the layer control); None for none."""
    provider = _provider(basemap)
    if provider is None:
        return None
    group = folium.FeatureGroup(name=BASEMAPS[basemap], control=False)
    AtlasCall(
        "tiles",
        url=provider.build_url(),
        attribution=provider.html_attribution,
        maxNativeZoom=provider.get("max_zoom", MAX_ZOOM),
    ).add_to(group)
    return group


def map_layers(
    states_counts: pd.DataFrame,
    records: gpd.GeoDataFrame,
    *,
    metric: str,
    classes: Classes,
    sectors: Sequence[str] | None = None,
    selected: str | None = None,
    compared: Sequence[str] = (),
    metric_label: str | None = None,
    metric_text: Mapping[str, str] | None = None,
    data: MapData,
    basemap: str = "none",
    shown: Sequence[str] | None = None,
    upload: folium.FeatureGroup | None = None,
    tr: Translator | None = None,
    rows: np.ndarray | None = None,
    steps: Steps | None = None,
) -> list[folium.FeatureGroup]:
    """The data layers in a fixed order: the basemap's tiles (if online), states, clusters,
    projects, the user's own file (`upload`, layers.markers.upload_markers, if any), Mexico's outline.

    `states_counts` and `records` are the filtered frames (geo.join); `data` is where the constant
    geometry and marker details were published (`layers.assets.publish_map_data`, done once), so a
    filter change sends a few kB; `rows` (optional) are the shown records' positions in the frame
    the marker table was built from (layers.markers.markers). Both marker groups are always present (maybe empty), so
    positions and the layer control stay the same whatever the filters. `shown` (layer names, e.g.
    a scene's) switches the named layers on and the others off; None leaves that to the user.
    `compared`, `metric_label`, `metric_text` and `steps` are the choropleth's (layers.choropleth).
    `tr` gives the layers' names and the tooltips' words (English by default).
    """
    tr = tr or translator(DEFAULT)

    def show(name: str) -> bool | None:
        return None if shown is None else name in shown

    tiles = basemap_layer(basemap)
    return [
        *([tiles] if tiles is not None else []),
        choropleth(
            states_counts,
            metric=metric,
            classes=classes,
            sectors=sectors,
            selected=selected,
            compared=compared,
            metric_label=metric_label,
            metric_text=metric_text,
            steps=steps,
            geometry_url=data.geometry_url,
            show=show(STATES_LAYER),
            tr=tr,
        ),
        *(
            markers(
                records,
                kind=kind,
                table=data.table,
                show=show(KIND_LABELS[kind]),
                name=tr.t(f"layer.{kind}s"),
                tr=tr,
                rows=rows,
            )
            for kind in ("cluster", "project")
        ),
        *([upload] if upload is not None else []),
        country_outline_layer(url=data.outline_url),
    ]


def layer_control() -> folium.LayerControl:
    """The layer switcher (expanded, large type from layers/static/atlas-map.css). Build a new one for every run."""
    return folium.LayerControl(collapsed=False, position="topright")


def _provider(basemap: str) -> xyzservices.TileProvider | None:
    if basemap not in BASEMAPS:
        raise ValueError(f"Unknown basemap {basemap!r}; use one of: {', '.join(BASEMAPS)}.")
    name = _PROVIDERS[basemap]
    if name is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return xyzservices.providers.query_name(name)
