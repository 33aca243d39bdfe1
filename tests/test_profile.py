import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from geo.join import Filters
from geo.profile import state_profile


def _records():
    rows = [  # id, name, kind, sector, state, related, year
        ("a", "Aero", "cluster", "Aerospace", "Uno", "", 2009),
        ("b", "Soft", "cluster", "ICT", "Uno", "", None),
        ("c", "Plant", "project", "Automotive", "Uno", "", 2004),
        ("d", "Elsewhere", "cluster", "ICT", "Dos", "", 2012),
        ("e", "Network", "cluster", "Automotive", "", "Uno; Dos", 2016),
    ]
    cols = ["id", "name", "kind", "sector", "state", "related_states", "year"]
    frame = pd.DataFrame(rows, columns=cols)
    frame["year"] = pd.array(frame["year"], dtype="Int64")
    for col in ("project_type", "place", "figures", "source", "notes"):
        frame[col] = ""
    frame["year_basis"] = ["founded", "unknown", "started", "founded", "started"]
    return gpd.GeoDataFrame(frame, geometry=[Point(0, 0)] * 4 + [None], crs="EPSG:4326")


def test_profile_of_a_state():
    profile = state_profile(_records(), "Uno", Filters())
    assert profile.by_sector.to_dict("index") == {
        "Aerospace": {"cluster": 1, "project": 0},
        "Automotive": {"cluster": 0, "project": 1},
        "ICT": {"cluster": 1, "project": 0},
    }
    assert list(profile.clusters["name"]) == ["Aero", "Soft"]  # dated first, unknown year last
    assert list(profile.projects["name"]) == ["Plant"]
    assert profile.timeline.to_dict("index") == {2004: {"cluster": 0, "project": 1}, 2009: {"cluster": 1, "project": 0}}
    assert profile.undated == 1
    assert list(profile.shared["name"]) == ["Network"]


def test_profile_follows_filters():
    profile = state_profile(_records(), "Uno", Filters(sectors=("ICT",), known_years_only=True))
    assert profile.clusters.empty and profile.projects.empty and profile.by_sector.empty
