import geopandas as gpd

from geo.boundaries import load_states
from geo.synthetic import NOTE, synthetic_projects


def test_synthetic_points_are_labelled_and_inside_their_states():
    states = load_states("web")
    frame = synthetic_projects(states, 2_000, seed=1)
    assert len(frame) >= 2_000 and frame["id"].is_unique
    assert frame["name"].str.startswith("SYNTHETIC").all() and (frame["notes"] == NOTE).all()
    joined = gpd.sjoin(frame, states[["state_code", "geometry"]], predicate="within")
    assert len(joined) == len(frame)
    assert (joined["state_code_left"] == joined["state_code_right"]).all()
