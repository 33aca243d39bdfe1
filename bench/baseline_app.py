"""The naive baseline, built the way Streamlit + folium tutorials do it (what STYLE 8/9 avoid).

Every run re-reads the unsimplified boundaries (geo/data/states_full.geojson) and the seeds,
builds a new `folium.Map`, a `folium.Choropleth` of the full-resolution states, adds one
`folium.Marker` per record, and calls `st_folium(m)` with default arguments.

Two departures from the tutorial, both needed to render at all with no network:
- the map loads Leaflet from the app itself (`layers.basemap.AtlasMap` with the served folders
  of `layers.assets`, as app.py does) instead of folium's CDNs;
- the Choropleth's legend is dropped: for any branca colormap st_folium loads d3 from two CDNs
  that cannot be redirected, and one failed script leaves the map blank (shared/FIELD_NOTES.md).
  Without the legend the baseline does slightly less work than the tutorial, never more.
Markers carry a tooltip, not a popup: folium's popups need jQuery, which the atlas does not ship.
"""

import folium
import geopandas as gpd
import streamlit as st
from streamlit_folium import st_folium

from geo.paths import GEO_DATA_DIR
from geo.sectors import SECTORS
from geo.seeds import load_records
from layers import assets, server
from layers.basemap import AtlasMap


@st.cache_resource
def map_assets() -> assets.MapAssets:
    return assets.map_assets(server.serve(assets.folders(assets.data_dir())))


st.title("Mexico clusters (naive baseline)")
sector = st.selectbox("Sector", SECTORS)

states = gpd.read_file(GEO_DATA_DIR / "states_full.geojson")
records = load_records()
selected = records[(records["sector"] == sector) & records["lat"].notna()]
counts = selected.groupby("state_code").size().rename("records").reset_index()
data = states[["state_code"]].merge(counts, on="state_code", how="left").fillna({"records": 0})

m = AtlasMap(assets=map_assets(), location=[23.6, -102.5], zoom_start=5)
choropleth = folium.Choropleth(
    geo_data=states.to_json(),
    data=data,
    columns=["state_code", "records"],
    key_on="feature.properties.state_code",
    fill_color="YlOrRd",
    fill_opacity=0.7,
    line_opacity=0.3,
    legend_name=f"{sector} records",
)
del choropleth._children[choropleth.color_scale.get_name()]  # no legend: see the docstring
choropleth.color_scale = None
choropleth.add_to(m)
for row in selected.itertuples():
    folium.Marker([row.lat, row.lon], tooltip=row.name).add_to(m)

st_folium(m)
