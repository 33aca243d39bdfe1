"""A state's story under the current filters: what the state panel shows."""

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.join import Filters, filter_records
from geo.sectors import SECTORS

PANEL_COLUMNS = [
    "name", "kind", "project_type", "sector", "state", "related_states", "place", "year", "year_basis", "figures",
    "source", "notes",
]  # fmt: skip


@dataclass(frozen=True)
class StateProfile:
    state: str
    by_sector: pd.DataFrame  # sector x (cluster, project), only sectors with records
    clusters: pd.DataFrame  # PANEL_COLUMNS, sorted by year then name
    projects: pd.DataFrame
    timeline: pd.DataFrame  # year x (cluster, project), known years only
    undated: int  # records of the state with no known year
    shared: pd.DataFrame  # multi-state bodies that name this state in related_states


def state_profile(records: gpd.GeoDataFrame, state: str, filters: Filters) -> StateProfile:
    matched = filter_records(records, filters)
    mine = matched[matched["state"] == state]
    by_sector = pd.crosstab(mine["sector"], mine["kind"]).reindex(columns=["cluster", "project"], fill_value=0)
    by_sector = by_sector.reindex([s for s in SECTORS if s in by_sector.index])
    dated = mine[mine["year"].notna()]
    timeline = pd.crosstab(dated["year"].astype(int), dated["kind"]).reindex(
        columns=["cluster", "project"], fill_value=0
    )
    related = matched["related_states"].str.split("; ").apply(lambda names: state in names)
    return StateProfile(
        state=state,
        by_sector=by_sector,
        clusters=_listing(mine[mine["kind"] == "cluster"]),
        projects=_listing(mine[mine["kind"] == "project"]),
        timeline=timeline,
        undated=int(mine["year"].isna().sum()),
        shared=_listing(matched[related & (matched["state"] != state)]),
    )


def _listing(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    ordered = frame.sort_values(["year", "name"], na_position="last")
    return pd.DataFrame(ordered[PANEL_COLUMNS]).reset_index(drop=True)
