"""Filters and per-state counts on tiny hand-built geometries (STYLE habit 6)."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.join import (
    Filters,
    filter_records,
    matching_rows,
    sector_counts,
    state_counts,
    undated_count,
    year_bounds,
    year_counts,
)
from geo.sectors import SECTORS


@pytest.fixture
def states():
    return gpd.GeoDataFrame(
        {"state_code": ["01", "02", "03"], "state": ["Uno", "Dos", "Tres"],
         "state_official": ["Uno", "Dos", "Tres"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:4326",
    )  # fmt: skip


@pytest.fixture
def records():
    rows = [  # id, kind, sector, state_code, year
        ("a", "cluster", "Aerospace", "01", 2004),
        ("b", "cluster", "ICT", "01", None),
        ("c", "project", "Aerospace", "02", 2018),
        ("d", "project", "Energy", "02", None),
        (
            "e",
            "cluster",
            "Automotive",
            "",
            2016,
        ),  # multi-state body: listed, never counted in a state
    ]
    frame = gpd.GeoDataFrame(
        {"id": [r[0] for r in rows], "kind": [r[1] for r in rows], "sector": [r[2] for r in rows],
         "state_code": [r[3] for r in rows],
         "year": pd.array([r[4] for r in rows], dtype="Int64"),
         "year_basis": ["founded", "unknown", "started", "unknown", "founded"],
         "label": ["Gold Label", "Bronze Label", "", "", "Bronze Label"]},
        geometry=[Point(0.5, 0.5), Point(0.4, 0.4), Point(1.5, 0.5), Point(1.5, 0.5), None],
        crs="EPSG:4326",
    )  # fmt: skip
    return frame


FILTER_CASES = [  # filters, expected ids
    (Filters(), "abcde"),
    (Filters(sectors=("Aerospace",)), "ac"),
    (Filters(sectors=("Aerospace", "Energy")), "acd"),
    (Filters(years=(2000, 2010)), "abd"),  # unknown years kept by default
    (Filters(years=(2000, 2010), known_years_only=True), "a"),
    (Filters(known_years_only=True), "ace"),
    (Filters(years=(2018, 2018)), "bcd"),  # inclusive bounds
    (Filters(kinds=("project",)), "cd"),
    (Filters(kinds=("cluster",), sectors=("Energy",)), ""),
    (Filters(labels=("Gold Label",)), "a"),
    (Filters(labels=("Gold Label", "Bronze Label")), "abe"),  # any of the labels
    (Filters(labels=("Bronze Label",), sectors=("ICT",)), "b"),
    (Filters(labels=("Silver Label",)), ""),
]


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_filter_records(records, filters, expected):
    assert "".join(filter_records(records, filters)["id"]) == expected


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_matching_rows_are_the_filtered_records_positions(records, filters, expected):
    rows = matching_rows(records.set_index(records["id"] + "-label"), filters)  # positions, not labels
    assert rows.dtype == np.int32
    assert "".join(records["id"].iloc[rows]) == expected


@pytest.mark.parametrize(("filters", "expected"), FILTER_CASES)
def test_counts_from_known_positions_are_the_counts_from_the_filters(states, records, filters, expected):
    """app.py finds the matching rows once per filter setting and hands them to every count."""
    rows = matching_rows(records, filters)
    pd.testing.assert_frame_equal(state_counts(states, records, filters, rows), state_counts(states, records, filters))
    pd.testing.assert_frame_equal(sector_counts(records, filters, rows), sector_counts(records, filters))
    pd.testing.assert_frame_equal(year_counts(records, filters, rows), year_counts(records, filters))
    assert undated_count(records, filters, rows) == undated_count(records, filters)


def test_state_counts_all_states_zero_where_nothing(states, records):
    counts = state_counts(states, records, Filters()).set_index("state_code")
    assert list(counts.index) == ["01", "02", "03"]
    assert counts.loc["01", ["clusters", "projects", "records"]].tolist() == [2, 0, 2]
    assert counts.loc["02", ["clusters", "projects", "records"]].tolist() == [0, 2, 2]
    assert counts.loc["03", ["clusters", "projects", "records"]].tolist() == [0, 0, 0]
    assert counts.loc["01", "Aerospace"] == 1 and counts.loc["01", "ICT"] == 1
    assert counts.loc["02", "Energy"] == 1
    assert set(SECTORS) <= set(counts.columns)
    assert counts["records"].sum() == 4  # the state-less record "e" is not in any state
    assert counts.crs == states.crs
    assert counts.geometry.equals(states.set_index("state_code").geometry)


def test_state_counts_follow_filters(states, records):
    counts = state_counts(states, records, Filters(sectors=("Aerospace",), known_years_only=True))
    assert counts.set_index("state")["records"].to_dict() == {"Uno": 1, "Dos": 1, "Tres": 0}


def test_sector_and_year_counts(records):
    by_sector = sector_counts(records, Filters())
    assert list(by_sector.index) == list(SECTORS)
    assert by_sector.loc["Aerospace"].tolist() == [1, 1]
    by_year = year_counts(records, Filters())
    assert by_year.to_dict("index") == {2004: {"cluster founded": 1, "project started": 0},
                                        2016: {"cluster founded": 1, "project started": 0},
                                        2018: {"cluster founded": 0, "project started": 1}}  # fmt: skip
    assert undated_count(records, Filters()) == len(records) - 3


@pytest.mark.parametrize(
    "filters",
    [
        Filters(sectors=("Space",)),
        Filters(kinds=("event",)),
        Filters(years=(2020, 2010)),
        Filters(labels=("gold",)),
        Filters(labels=("Platinum Label",)),
    ],
)
def test_bad_filters_raise(records, filters):
    with pytest.raises(ValueError):
        filter_records(records, filters)


@pytest.mark.parametrize(
    ("years", "bounds"),
    [
        ([], None),  # no records
        ([None, None], None),  # no known year
        ([2016], (2016, 2016)),  # one year
        ([None, 2004, None], (2004, 2004)),
        ([2018, 1999, None, 2004], (1999, 2018)),  # unordered, unknown ignored
    ],
)
def test_year_bounds(years, bounds):
    records = pd.DataFrame({"year": pd.array(years, dtype="Int64")})
    result = year_bounds(records)
    assert result == bounds
    assert result is None or all(type(y) is int for y in result)


def test_year_bounds_of_the_fixture(records):
    assert year_bounds(records) == (2004, 2018)


def test_label_filter_on_a_frame_without_labels_matches_nothing(records):
    assert filter_records(records.drop(columns="label"), Filters(labels=("Gold Label",))).empty
    assert len(filter_records(records.drop(columns="label"), Filters())) == len(records)


def test_label_filter_states_count_only_labelled_records(states, records):
    counts = state_counts(states, records, Filters(labels=("Gold Label",))).set_index("state_code")
    assert counts.loc["01", "clusters"] == 1 and counts.loc["02", "records"] == 0
