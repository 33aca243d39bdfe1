"""folium layer builders: plain functions, frames in, folium objects or HTML out; no file reads.

`layers.assets` holds the only side effects (copying Leaflet into `static/vendor/`, publishing the
map's constant data to `static/generated/`); the app calls it at start-up, never at import.
"""
