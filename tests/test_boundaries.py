import itertools

import geopandas as gpd
import pytest
import shapely
from shapely import Point

from geo.boundaries import RESOLUTIONS, anchor_points, country_outline, load_states
from geo.names import load_state_table
from geo.paths import GEO_DATA_DIR

WEB_MAX_BYTES = 300_000
AREA_TOLERANCE = 0.02  # web vs full, per state (measured worst: 0.4%)


@pytest.fixture(scope="module")
def web():
    return load_states("web")


@pytest.fixture(scope="module")
def full():
    return load_states("full")


@pytest.fixture(scope="module", params=list(RESOLUTIONS))
def states(request):
    return load_states(request.param)


def test_states_frame_contract(states):
    assert list(states.columns) == ["state_code", "state", "state_official", "abbr", "geometry"]
    assert states.crs.to_epsg() == 4326
    assert list(states["state_code"]) == [f"{code:02d}" for code in range(1, 33)]
    assert set(states.geom_type) <= {"Polygon", "MultiPolygon"}
    assert shapely.is_valid(states.geometry.to_numpy()).all()
    assert not shapely.is_empty(states.geometry.to_numpy()).any()


def test_names_match_seed_table(states):
    seeds = load_state_table()[["state_code", "state", "state_official", "iso_3166_2"]]
    expected = seeds.assign(abbr=seeds.pop("iso_3166_2").str.removeprefix("MX-"))
    assert states.drop(columns="geometry").to_dict("records") == expected.to_dict("records")
    assert states.set_index("state")["abbr"][["Ciudad de México", "Querétaro", "Tlaxcala"]].tolist() == [
        "CMX",
        "QUE",
        "TLA",
    ]


def test_lies_within_mexico(states):
    minx, miny, maxx, maxy = states.total_bounds
    assert -119 < minx and maxx < -86 and 14 < miny and maxy < 33


def test_web_and_full_hold_the_same_states(web, full):
    assert list(web["state_code"]) == list(full["state_code"])


def test_web_file_is_light():
    assert (GEO_DATA_DIR / RESOLUTIONS["web"]).stat().st_size < WEB_MAX_BYTES


def test_coverage_is_valid(states):
    assert shapely.coverage_is_valid(states.geometry.to_numpy())


def test_web_states_do_not_overlap(web):
    geoms = web.geometry.to_numpy()
    overlap = sum(shapely.intersection(a, b).area for a, b in itertools.combinations(geoms, 2))
    assert overlap < 1e-9


def test_web_leaves_no_gaps(web, full):
    web_union, full_union = country_outline(web), country_outline(full)
    assert web_union.area == pytest.approx(full_union.area, rel=0.005)
    assert shapely.symmetric_difference(web_union, full_union).area < 0.005 * full_union.area
    # A gap between neighbours would show up as a hole in the union; Mexico has none.
    assert sum(len(polygon.interiors) for polygon in web_union.geoms) == 0


def test_web_keeps_each_state_area(web, full):
    ratios = shapely.area(web.geometry.to_numpy()) / shapely.area(full.geometry.to_numpy())
    drifted = web.loc[abs(ratios - 1) > AREA_TOLERANCE, "state"]
    assert drifted.empty, f"simplification changed the area of {list(drifted)}"


@pytest.mark.parametrize(
    ("place", "lon", "lat", "state"),
    [
        ("Monterrey", -100.31, 25.67, "Nuevo León"),
        ("Guadalajara", -103.35, 20.67, "Jalisco"),
        ("Mexico City centre", -99.13, 19.43, "Ciudad de México"),
        ("Toluca", -99.66, 19.29, "Estado de México"),
        ("Querétaro city", -100.39, 20.59, "Querétaro"),
        ("Tijuana", -117.03, 32.50, "Baja California"),
        ("La Paz", -110.31, 24.14, "Baja California Sur"),
        ("Mérida", -89.62, 20.97, "Yucatán"),
        ("Saltillo", -101.0, 25.42, "Coahuila"),
        ("Xalapa", -96.92, 19.54, "Veracruz"),
    ],
)
def test_known_city_lies_in_its_state(states, place, lon, lat, state):
    containing = states.loc[states.contains(Point(lon, lat)), "state"]
    assert list(containing) == [state], place


def test_anchor_points_lie_inside_their_state(states):
    anchors = anchor_points(states)
    assert list(anchors) == list(states["state_code"])
    for code, geometry in zip(states["state_code"], states.geometry, strict=True):
        assert geometry.contains(anchors[code]), code


def test_country_outline_covers_every_state(web):
    outline = country_outline(web)
    assert outline.geom_type == "MultiPolygon"  # mainland plus islands
    assert all(outline.covers(anchor) for anchor in anchor_points(web).values())


def test_load_returns_an_independent_copy():
    first = load_states()
    first.loc[0, "state"] = "changed"
    first.loc[0, "geometry"] = Point(0, 0)
    again = load_states()
    assert again.loc[0, "state"] == "Aguascalientes"
    assert again.geometry.iloc[0].geom_type != "Point"


@pytest.mark.parametrize("resolution", ["medium", "WEB", ""])
def test_unknown_resolution(resolution):
    with pytest.raises(ValueError, match="expected one of web, full"):
        load_states(resolution)


@pytest.mark.parametrize("function", [anchor_points, country_outline])
def test_helpers_reject_a_frame_without_states(function):
    frame = gpd.GeoDataFrame({"name": ["square"]}, geometry=[shapely.box(0, 0, 1, 1)])
    frame = frame.rename_geometry("shape")
    with pytest.raises(ValueError, match="lacks column"):
        function(frame)
