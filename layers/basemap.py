"""The constant base map and the ordered list of data layers that st_folium swaps in.

st_folium remounts its iframe (libraries reload, map blanks, view resets) whenever the base map's
JavaScript changes, ids aside. So `base_map()` depends only on its arguments, never on data or
filters; what changes goes into `map_layers()` and reaches the browser via `feature_group_to_add`.
The app, with streamlit-folium 0.27.4:

    assets.install()                                   # start-up: Leaflet from /app/static

    @st.cache_resource                                 # files on disk, shared by all sessions
    def map_data(...) -> assets.MapData:               # once per data set
        return assets.publish_map_data(states, records, outline=states.geometry)

    # every run: a NEW map (never cache or reuse a folium.Map) and NEW layers
    st_folium(
        basemap.base_map(basemap=view.basemap, data=map_data(...)),  # runtime + CSS as files
        key=basemap.MAP_KEY,                           # "atlas-map", constant
        feature_group_to_add=basemap.map_layers(
            counts, points, metric=view.metric, classes=classes,
            selected=view.state, data=map_data(...),   # counts/points: the filtered frames
        ),
        layer_control=basemap.layer_control(),         # a new LayerControl each run
        center=basemap.MEXICO_CENTER,                  # constant: applied once, the view is kept
        zoom=basemap.DEFAULT_ZOOM,                     # change only to move the view on purpose
        returned_objects=[],                           # or ["last_active_drawing"] for state clicks
        height=basemap.MAP_HEIGHT,                     # constant (a change re-adds every layer)
        use_container_width=True,
    )

and draws `style.legend_html(classes, title)` and `style.marker_legend_html()` beside the map with
st.html (never a branca legend inside it: st_folium would load d3 from a CDN).
A click on a state returns `last_active_drawing` = that feature, whose `properties.state` is the
state's name. Without `data=` everything is embedded: it works, but sends ~250 kB per change.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import folium
import geopandas as gpd
import xyzservices

from layers.choropleth import choropleth, country_outline_layer
from layers.markers import markers
from layers.runtime import AtlasRuntime, compact
from layers.style import MAP_CSS, Classes

if TYPE_CHECKING:
    from layers.assets import MapData

MAP_KEY = "atlas-map"
MAP_HEIGHT = 720
MEXICO_CENTER = (23.8, -102.0)
DEFAULT_ZOOM = 5
MIN_ZOOM = 4
MAX_ZOOM = 18  # Leaflet.markercluster needs the map's maxZoom; folium's max_zoom is the tiles'
# South-west and north-east corners (lat, lon) the view may not leave: Mexico with a margin.
MEXICO_BOUNDS = ((10.0, -124.0), (36.5, -82.0))

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


def base_map(*, basemap: str = "none", data: MapData | None = None) -> folium.Map:
    """A map of Mexico with no data on it; the same arguments always give the same JavaScript.

    With `data` (from `layers.assets.publish_map_data`) the atlas runtime and the map's CSS load
    from their published files when the map mounts, instead of travelling inline with the base
    map, which st_folium sends again on every rerun (~10 kB).
    """
    provider = _provider(basemap)
    (south, west), (north, east) = MEXICO_BOUNDS
    m = folium.Map(
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
    )
    if provider is not None:
        folium.TileLayer(
            tiles=provider,
            name=basemap,
            overlay=False,
            control=False,
            max_zoom=MAX_ZOOM,
            max_native_zoom=provider.get("max_zoom", MAX_ZOOM),
        ).add_to(m)
    js_url = data.runtime_url if data is not None else None
    css_url = data.css_url if data is not None else None
    if css_url is None:
        m.get_root().header.add_child(folium.Element(f"<style>{compact(MAP_CSS)}</style>"), name="atlas_css")
    AtlasRuntime(js_url=js_url, css_url=css_url).add_to(m)
    return m


def map_layers(
    states_counts: gpd.GeoDataFrame,
    records: gpd.GeoDataFrame,
    *,
    metric: str,
    classes: Classes,
    sectors: Sequence[str] | None = None,
    selected: str | None = None,
    data: MapData | None = None,
    outline=None,
) -> list[folium.FeatureGroup]:
    """The data layers in a fixed order: states, clusters, projects, then the outline if any.

    `states_counts` and `records` are the filtered frames (geo.join). With `data` (from
    `layers.assets.publish_map_data`, done once) geometry and marker details come from static
    files and a filter change sends a few kB; without it everything is embedded. `outline` is a
    geometry to draw Mexico's outline from (ignored when `data` has a published outline).
    Both marker groups are always present (maybe empty), so positions and the layer control
    stay the same whatever the filters.
    """
    table = data.table if data is not None else None
    layers = [
        choropleth(
            states_counts,
            metric=metric,
            classes=classes,
            sectors=sectors,
            selected=selected,
            geometry_url=data.geometry_url if data is not None else None,
        ),
        markers(records, kind="cluster", table=table),
        markers(records, kind="project", table=table),
    ]
    if data is not None and data.outline_url is not None:
        layers.append(country_outline_layer(url=data.outline_url))
    elif outline is not None:
        layers.append(country_outline_layer(outline))
    return layers


def layer_control() -> folium.LayerControl:
    """The layer switcher (expanded, large type from MAP_CSS). Build a new one for every run."""
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
