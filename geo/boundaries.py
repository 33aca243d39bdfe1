"""Mexico's 32 state polygons (built by scripts/build_boundaries.py; see geo/data/README.md)."""

from functools import lru_cache

import geopandas as gpd
from shapely import Point
from shapely.geometry.base import BaseGeometry

from geo import names
from geo.paths import GEO_DATA_DIR

RESOLUTIONS = {"web": "states_web.geojson", "full": "states_full.geojson"}
COLUMNS = ["state_code", "state", "state_official", "abbr", "geometry"]


def load_states(resolution: str = "web") -> gpd.GeoDataFrame:
    """The states frame: 32 rows sorted by state_code, EPSG:4326 (see docs/architecture.md).

    "web" is the simplified layer for drawing, "full" the source resolution for downloads.
    The file is read once per process; each call returns a fresh copy that callers may modify.
    """
    if resolution not in RESOLUTIONS:
        raise ValueError(f"Unknown resolution {resolution!r}; expected one of {', '.join(RESOLUTIONS)}")
    return _read_states(resolution).copy()


def country_outline(states: gpd.GeoDataFrame) -> BaseGeometry:
    """The union of the state polygons: Mexico's outline for a map drawn without tiles."""
    _require_columns(states, ["geometry"])
    return states.geometry.union_all()


def anchor_points(states: gpd.GeoDataFrame) -> dict[str, Point]:
    """state_code -> a point inside that state, for records located only to state precision.

    representative_point() rather than the centroid: a centroid can fall outside a concave or
    multi-part polygon, while a representative point is guaranteed to lie within it.
    """
    _require_columns(states, ["state_code", "geometry"])
    return {
        code: geometry.representative_point()
        for code, geometry in zip(states["state_code"], states.geometry, strict=True)
    }


@lru_cache(maxsize=len(RESOLUTIONS))
def _read_states(resolution: str) -> gpd.GeoDataFrame:
    states = gpd.read_file(GEO_DATA_DIR / RESOLUTIONS[resolution])
    # The map's state labels: the ISO 3166-2 subdivision code without its "MX-" ("QUE", "CMX").
    codes = names.load_state_table().set_index("state_code")["iso_3166_2"].str.removeprefix("MX-")
    states["abbr"] = states["state_code"].map(codes)
    return states[COLUMNS].sort_values("state_code", ignore_index=True)


def _require_columns(states: gpd.GeoDataFrame, columns: list[str]) -> None:
    missing = [column for column in columns if column not in states.columns]
    if missing:
        raise ValueError(f"states frame lacks column(s) {', '.join(missing)}; see load_states()")
