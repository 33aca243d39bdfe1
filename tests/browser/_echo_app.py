"""Throwaway page for tests/browser/test_harness.py: proves the browser harness, not the app.

A button whose text changes on click, an image from an outside host (the harness must block and
record it), and a three-square st_folium map whose Leaflet is inlined as data: URLs from the
XStatic-Leaflet package, so it renders with no network and without the app's asset set-up.
"""

import base64

import folium
import streamlit as st
import xstatic.pkg.leaflet as xleaflet
from streamlit_folium import st_folium

OUTSIDE_PIXEL = "http://outside.invalid/pixel.png"


@st.cache_data
def _data_url(name: str, mime: str) -> str:
    with open(f"{xleaflet.BASE_DIR}/{name}", "rb") as file:
        return f"data:{mime};base64,{base64.b64encode(file.read()).decode()}"


def _square(x: float, y: float, code: str) -> dict:
    ring = [[x, y], [x + 1, y], [x + 1, y + 1], [x, y + 1], [x, y]]
    return {
        "type": "Feature",
        "properties": {"code": code},
        "geometry": {"type": "Polygon", "coordinates": [ring]},
    }


st.title("Echo harness")
clicks = st.session_state.setdefault("clicks", 0)
if st.button("Add one"):
    st.session_state.clicks = clicks = clicks + 1
st.write(f"clicks: {clicks}")
st.markdown(f'<img src="{OUTSIDE_PIXEL}" alt="outside pixel">', unsafe_allow_html=True)

m = folium.Map(location=[20.5, -100.5], zoom_start=6, tiles=None)
m.default_js = [("leaflet", _data_url("leaflet.js", "text/javascript"))]  # this map only
m.default_css = [("leaflet_css", _data_url("leaflet.css", "text/css"))]
squares = [_square(-102 + i * 1.2, 20, f"{i:02d}") for i in range(3)]
folium.GeoJson({"type": "FeatureCollection", "features": squares}).add_to(m)
st_folium(m, key="map", height=300, width=500, returned_objects=[])
