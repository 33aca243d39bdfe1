"""Synthetic project points for the scale benchmark only: generated at run time, never committed.

Every row is named "SYNTHETIC …", cites no document and says so in `notes`; the app shows a banner
whenever they are loaded (env ATLAS_SYNTHETIC_POINTS).
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.sectors import SECTORS

NOTE = "SYNTHETIC benchmark point: not real data"


def synthetic_projects(states: gpd.GeoDataFrame, n: int, *, seed: int = 0) -> gpd.GeoDataFrame:
    """n random project points spread over the states (area-weighted), in the records-frame schema."""
    rng = np.random.default_rng(seed)
    xs, ys, owner = _sample(states, _per_state(states, n, rng), rng)
    k = len(xs)
    frame = pd.DataFrame(
        {
            "id": [f"syn-{i:06d}" for i in range(k)],
            "name": [f"SYNTHETIC project {i}" for i in range(k)],
            "kind": "project",
            "project_type": "investment",
            "sector": rng.choice(SECTORS, size=k),
            "sector_raw": "synthetic",
            "state": states["state"].to_numpy()[owner],
            "state_code": states["state_code"].to_numpy()[owner],
            "related_states": "",
            "place": "",
            "location_precision": "city",
            "year": pd.array(rng.integers(2000, 2021, size=k), dtype="Int64"),
            "year_basis": "reported",
            "notes": NOTE,
            "location_source": NOTE,
            "source": NOTE,
            "members": pd.array([pd.NA] * k, dtype="Int64"),
            "companies": pd.array([pd.NA] * k, dtype="Int64"),
            "jobs": pd.array([pd.NA] * k, dtype="Int64"),
            "exports_value": np.nan,
            "exports_unit": "",
            "investment_value": np.nan,
            "investment_unit": "",
            "figures": "",
            "lon": xs,
            "lat": ys,
        }
    )
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(xs, ys), crs=states.crs)


def _sample(states: gpd.GeoDataFrame, counts: np.ndarray, rng):
    """Rejection sampling in each state's bounding box (vectorised; GeoSeries.sample_points is ~50x slower)."""
    xs, ys, owner = [], [], []
    for i, (geom, m) in enumerate(zip(states.geometry, counts, strict=True)):
        minx, miny, maxx, maxy = geom.bounds
        shapely.prepare(geom)
        got_x, got_y, have = [], [], 0
        while have < m:
            cx = rng.uniform(minx, maxx, size=4 * m)
            cy = rng.uniform(miny, maxy, size=4 * m)
            inside = shapely.contains_xy(geom, cx, cy)
            got_x.append(cx[inside])
            got_y.append(cy[inside])
            have += int(inside.sum())
        xs.append(np.concatenate(got_x)[:m])
        ys.append(np.concatenate(got_y)[:m])
        owner.append(np.full(m, i))
    return np.concatenate(xs), np.concatenate(ys), np.concatenate(owner)


def _per_state(states: gpd.GeoDataFrame, n: int, rng) -> np.ndarray:
    area = states.to_crs(6372).area.to_numpy()  # Mexico LCC: equal weight per km², not per degree
    counts = rng.multinomial(n, area / area.sum())
    return np.maximum(counts, 1)
