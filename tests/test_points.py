"""Large marker tables: the binary columns (layers/points.py) round trip, codes take the smallest
type, and a published large table gives every row the popup `popup_html` gives it, escaped; a
seed-sized table keeps the JSON path and Leaflet.markercluster."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.i18n import translator
from layers import basemap, markers, points
from tests.helpers import (
    HOSTILE,
    atlas_calls,
    map_assets,
    publish,
    published,
    published_bytes,
    records_frame,
    states_frame,
)


@pytest.mark.parametrize(
    ("top", "dtype"),
    [(0, "uint8"), (255, "uint8"), (256, "uint16"), (65_535, "uint16"), (65_536, "uint32")],
)
def test_codes_take_the_smallest_unsigned_type(top, dtype):
    data, layout = points.encode_points([1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [0, 1, 0], [[0, top, 1]])
    assert layout["codes"][0][0] == dtype
    assert points.decode_points(data, layout)["codes"][0].tolist() == [0, top, 1]


def test_points_round_trip_with_aligned_columns():
    rng = np.random.default_rng(3)
    n = 1_001  # odd: the uint8 column needs padding before the next one
    lon, lat = rng.uniform(-118, -86, n), rng.uniform(14, 33, n)
    approx = rng.integers(0, 2, n)
    codes = [rng.integers(0, 3, n), rng.integers(0, 70_000, n), np.zeros(n, dtype=int)]
    data, layout = points.encode_points(lon, lat, approx, codes)
    back = points.decode_points(data, layout)
    assert layout["rows"] == n
    assert all(offset % 4 == 0 for _, offset in [layout["lon"], layout["lat"], layout["approx"], *layout["codes"]])
    np.testing.assert_allclose(back["lon"], lon, atol=1e-5)  # float32: ~1 m
    np.testing.assert_allclose(back["lat"], lat, atol=1e-5)
    assert back["approx"].tolist() == approx.tolist()
    assert [c.tolist() for c in back["codes"]] == [c.tolist() for c in codes]


def test_columns_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match="one value per point"):
        points.encode_points([1.0, 2.0], [1.0], [0, 0], [])


@pytest.mark.parametrize(
    "names", [[], [""], ["Aeroclúster «ñ»", "", "&lt;b&gt;", "日本"], [f"n{i}" for i in range(300)]]
)
def test_names_round_trip(names):
    assert points.decode_names(points.encode_names(names)) == names


@pytest.fixture
def many() -> gpd.GeoDataFrame:
    """records_frame() repeated 5 times (unique ids): 20 rows with a point, 5 without."""
    base = records_frame()
    copies = [base.assign(id=base["id"] + f"-{i}") for i in range(5)]
    return gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=base.crs)


def test_a_large_table_is_published_as_binary_files_that_give_each_row_its_popup(tmp_path, monkeypatch, many):
    monkeypatch.setattr(markers, "LARGE_POINTS", 10)
    data = publish(tmp_path, states_frame(), many)
    assert data.table.large
    table = published(data, data.table.url)
    assert {"lat", "lon", "name"}.isdisjoint(table) and "codes" not in table["parts"][0]
    columns = points.decode_points(published_bytes(data, table["points"]), table["layout"])
    names = points.decode_names(published_bytes(data, table["names"]))

    rows = many[many.geometry.notna()]
    rows = rows.iloc[np.argsort(rows["kind"].map({"cluster": 0, "project": 1}).to_numpy(), kind="stable")]
    assert list(data.table.ids) == list(rows["id"])
    np.testing.assert_allclose(columns["lon"], rows.geometry.x, atol=1e-5)
    np.testing.assert_allclose(columns["lat"], rows.geometry.y, atol=1e-5)
    for i, record in enumerate(rows.to_dict("records")):
        parts = [part["values"][int(codes[i])] for part, codes in zip(table["parts"], columns["codes"], strict=True)]
        shown = f'<div class="atlas-popup"><h3>{names[i]}</h3>{parts[0]}<dl>{"".join(parts[1:])}</dl></div>'
        for tr in (translator("en"), translator("zh")):  # what the runtime's popup() builds from them
            assert markers.fill_words(shown, markers.popup_words(tr)) == markers.popup_html(record, tr)
    assert HOSTILE.encode() not in published_bytes(data, table["names"])  # escaped, as in the JSON path
    assert "&lt;script&gt;" in names[rows["name"].tolist().index(HOSTILE)]


def test_a_large_table_asks_the_runtime_for_its_worker_path(tmp_path, monkeypatch, many):
    monkeypatch.setattr(markers, "LARGE_POINTS", 10)
    data = publish(tmp_path, states_frame(), many)
    [options] = _markers_calls(markers.markers(many, kind="project", table=data.table))
    assert options["large"] is True


def test_a_seed_sized_table_keeps_json_and_markercluster(tmp_path):
    records = records_frame()
    data = publish(tmp_path, states_frame(), records)
    assert not data.table.large
    assert sorted(path.name.split("-")[0] for path in data.files) == ["outline", "records", "states", *["words"] * 3]
    table = published(data, data.table.url)
    assert {"lat", "lon", "approx", "name"} <= set(table) and "codes" in table["parts"][0]
    [options] = _markers_calls(markers.markers(records, kind="cluster", table=data.table))
    assert options["large"] is False


def _markers_calls(group) -> list[dict]:
    m = basemap.base_map(assets=map_assets())
    group.add_to(m)
    return [options for function, options in atlas_calls(m.get_root().render()) if function == "markers"]
