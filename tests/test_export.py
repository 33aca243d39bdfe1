import csv
import io
import json
import os
import tempfile
import zipfile

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point

from geo import export
from geo.export import (
    POINT_COLUMNS,
    STATE_COLUMNS,
    data_dictionary,
    export_bundle,
    export_file,
    layer_frame,
    source_list,
    to_csv,
    to_geojson,
    to_gpkg,
    write_atomic,
)
from geo.join import Filters
from geo.sectors import SECTORS
from tests.helpers import (
    GEONAMES,
    INT_COLUMNS,
    assert_same_cells,
    frame_for,
    read_export,
    records_frame,
    states_frame,
)

# --- layer_frame ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "filters", "ids"),
    [
        ("clusters", Filters(), ["cl-que-aero", "cl-nle-claut", "cl-nat-ict"]),
        ("projects", Filters(), ["pr-que-ellison-2007", "pr-cmx-expo"]),
        ("clusters", Filters(sectors=("Aerospace",)), ["cl-que-aero"]),
        ("projects", Filters(years=(2000, 2010)), ["pr-que-ellison-2007"]),
        # The layer decides the kind, whatever the filters say.
        ("projects", Filters(kinds=("cluster",)), ["pr-que-ellison-2007", "pr-cmx-expo"]),
        ("clusters", Filters(known_years_only=True), ["cl-que-aero", "cl-nat-ict"]),
    ],
)
def test_point_layers(layer, filters, ids):
    frame = frame_for(layer, filters)
    assert list(frame.columns) == [*POINT_COLUMNS, "geometry"]
    assert frame["id"].tolist() == ids
    assert list(frame.index) == list(range(len(ids)))


def test_states_layer_counts_per_kind_and_sector():
    frame = frame_for("states")
    assert list(frame.columns) == [*STATE_COLUMNS, *SECTORS, "geometry"]
    by_state = frame.set_index("state")
    assert by_state.loc["Querétaro", ["clusters", "projects", "records", "Aerospace"]].tolist() == [1, 1, 2, 2]
    assert by_state.loc["Ciudad de México", ["clusters", "projects", "ICT"]].tolist() == [0, 1, 1]


@pytest.mark.parametrize(
    ("layer", "states", "message"),
    [("roads", states_frame(), "states, clusters, projects"), ("states", None, "needs the states frame")],
)
def test_layer_frame_checks_its_input(layer, states, message):
    with pytest.raises(ValueError, match=message):
        layer_frame(layer, states, records_frame(), Filters())


# --- round trips: every format, every layer ---------------------------------------------------

LAYERS = ("states", "clusters", "projects")


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_round_trip(layer, fmt, tmp_path):
    frame = frame_for(layer)
    name, data, _ = export_file(layer, fmt, frame)
    path = tmp_path / name
    path.write_bytes(data)
    back = read_export(path, fmt, frame)
    attributes = [c for c in frame.columns if c != "geometry"]
    assert back.columns.tolist() == (attributes if fmt == "csv" else [*attributes, "geometry"])
    assert_same_cells(frame, back, attributes)
    if fmt != "csv":
        assert back.crs.to_epsg() == 4326
        for before, after in zip(frame.geometry, back.geometry, strict=True):
            assert (before is None and after is None) or shapely.equals(before, after)


def test_whole_numbers_stay_whole_in_every_format(tmp_path):
    clusters = frame_for("clusters")
    features = json.loads(to_geojson(clusters))["features"]
    assert [f["properties"]["members"] for f in features] == [60, None, None]
    assert all(type(f["properties"]["year"]) in (int, type(None)) for f in features)

    rows = list(csv.DictReader(io.StringIO(to_csv(clusters).decode("utf-8"))))
    assert [row["jobs"] for row in rows] == ["50000", "", ""]
    assert [row["year"] for row in rows] == ["2005", "", "2010"]

    path = tmp_path / "clusters.gpkg"
    path.write_bytes(to_gpkg(clusters, "clusters"))
    info = pyogrio.read_info(path)
    types = dict(zip(info["fields"], info["dtypes"], strict=True))
    assert {column: types[column] for column in INT_COLUMNS} == dict.fromkeys(INT_COLUMNS, "int64")

    states = json.loads(to_geojson(frame_for("states")))["features"]
    assert all(type(f["properties"][s]) is int for f in states for s in ("records", *SECTORS))


# --- format details ---------------------------------------------------------------------------


def test_geojson_is_rfc_7946():
    data = to_geojson(frame_for("clusters").to_crs(3857))
    collection = json.loads(data.decode("utf-8"))
    assert "crs" not in collection
    assert "Aeroclúster".encode() in data  # raw UTF-8, not \u escapes
    first, _, national = collection["features"]
    assert first["id"] == "cl-que-aero"
    assert first["geometry"]["coordinates"] == pytest.approx([2.5, 0.5])  # back to lon/lat
    assert national["geometry"] is None
    assert national["properties"]["lon"] is None and national["properties"]["members"] is None


def test_geojson_states_use_inegi_numbers_as_ids_and_counterclockwise_rings():
    states = frame_for("states")
    states.geometry = states.geometry.reverse()  # clockwise exteriors in
    features = json.loads(to_geojson(states))["features"]
    assert [f["id"] for f in features] == [9, 19, 22]
    ring = shapely.LinearRing(features[0]["geometry"]["coordinates"][0])
    assert ring.is_ccw


@pytest.mark.parametrize(
    ("frame", "columns"),
    [
        (frame_for("states"), [*STATE_COLUMNS, *SECTORS]),  # no geometry, no lon/lat
        (frame_for("projects"), list(POINT_COLUMNS)),  # lon/lat kept, geometry dropped
        (
            gpd.GeoDataFrame({"name": ["a"]}, geometry=[Point(-99.1, 19.4)], crs=4326),
            ["name", "lon", "lat"],  # plain points gain lon/lat
        ),
    ],
)
def test_csv_columns(frame, columns):
    assert pd.read_csv(io.BytesIO(to_csv(frame))).columns.tolist() == columns


@pytest.mark.parametrize(
    ("frame", "error"),
    [
        (gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)]), ValueError),  # no CRS
        (pd.DataFrame({"a": [1]}), TypeError),
    ],
)
@pytest.mark.parametrize("serialiser", [to_geojson, to_csv, lambda f: to_gpkg(f, "layer")])
def test_serialisers_check_their_input(frame, error, serialiser):
    with pytest.raises(error):
        serialiser(frame)


def test_empty_layers_serialise(tmp_path):
    empty = frame_for("clusters", Filters(sectors=("Energy",)))
    assert json.loads(to_geojson(empty))["features"] == []
    assert pd.read_csv(io.BytesIO(to_csv(empty))).empty
    path = tmp_path / "empty.gpkg"
    path.write_bytes(to_gpkg(empty, "clusters"))
    assert gpd.read_file(path).empty


# --- bundle, dictionary, sources --------------------------------------------------------------


@pytest.mark.parametrize("layer", LAYERS)
def test_data_dictionary_describes_every_column(layer):
    text = data_dictionary(layer)
    described = [line.split("`")[1] for line in text.splitlines() if line.startswith("| `")]
    assert described == [c for c in frame_for(layer).columns if c != "geometry"]
    assert "Sources: the documents cited per row in `source`" in text


def test_source_list_names_each_document_and_section_once():
    text = source_list(frame_for("clusters"))
    assert text.count("`000_a.txt`") == 1 and text.count("`001_b.txt`") == 1
    assert text.count("  - Intro") == 1
    assert "  - The Querétaro Aerocluster Model" in text
    assert "Investments" not in text  # a project's source, not in this export
    assert f"- {GEONAMES}" in text  # credit for the coordinates travels with them
    assert "GeoNames" not in source_list(frame_for("projects"))


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("fmt", ["geojson", "csv", "gpkg"])
def test_export_bundle(layer, fmt):
    frame = frame_for(layer)
    name, data, mime = export_bundle(layer, fmt, frame)
    assert (name, mime) == (f"atlas-{layer}-{fmt}.zip", "application/zip")
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        data_name, data_bytes, _ = export_file(layer, fmt, frame)
        assert bundle.namelist() == [data_name, "DATA_DICTIONARY.md", "SOURCES.md"]
        if fmt != "gpkg":  # GeoPackages carry a write timestamp
            assert bundle.read(data_name) == data_bytes
        assert bundle.read("DATA_DICTIONARY.md").decode() == data_dictionary(layer)
        assert bundle.read("SOURCES.md").decode() == source_list(frame)


def test_export_file_rejects_unknown_format():
    with pytest.raises(ValueError, match="geojson, csv, gpkg"):
        export_file("clusters", "shp", frame_for("clusters"))


# --- write_atomic -----------------------------------------------------------------------------


def test_write_atomic_writes_and_replaces(tmp_path):
    path = tmp_path / "out.csv"
    write_atomic(path, b"old")
    write_atomic(path, b"new")
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.csv"]


def test_write_atomic_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(export.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new")
    assert os.listdir(tmp_path) == ["out.csv"]
    assert path.read_bytes() == b"old"


def test_write_atomic_into_a_missing_folder_fails_cleanly(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "out.csv", b"x")
    assert os.listdir(tmp_path) == []


# --- GeoPackage layer types and GeoJSON ids ---------------------------------------------------


def _gpkg_geometry_type(tmp_path, layer, frame):
    path = tmp_path / f"{layer}.gpkg"
    path.write_bytes(export_file(layer, "gpkg", frame)[1])
    return pyogrio.read_info(path, layer=layer)["geometry_type"]


@pytest.mark.parametrize(
    ("layer", "filters", "rows", "geometry_type"),
    [
        ("clusters", Filters(), 3, "Point"),
        ("clusters", Filters(sectors=("Energy",)), 0, "Point"),  # a filter that matches nothing
        ("clusters", Filters(sectors=("ICT",)), 1, "Point"),  # only the national network: no point at all
        ("projects", Filters(sectors=("Mining",)), 0, "Point"),
        ("states", Filters(), 3, "Polygon"),  # the squares
    ],
)
def test_gpkg_layer_geometry_type(tmp_path, layer, filters, rows, geometry_type):
    frame = frame_for(layer, filters)
    assert len(frame) == rows
    assert _gpkg_geometry_type(tmp_path, layer, frame) == geometry_type


def test_gpkg_states_with_multipolygons_are_multipolygon(tmp_path):
    states = states_frame()
    states.loc[0, "geometry"] = shapely.MultiPolygon([shapely.box(0, 0, 0.4, 1), shapely.box(0.6, 0, 1, 1)])
    frame = layer_frame("states", states, records_frame(), Filters())
    assert _gpkg_geometry_type(tmp_path, "states", frame) == "MultiPolygon"
    back = gpd.read_file(tmp_path / "states.gpkg")
    assert set(back.geom_type) == {"MultiPolygon"}  # squares promoted, shapes unchanged
    assert all(shapely.equals(a, b) for a, b in zip(frame.geometry, back.geometry, strict=True))


def test_gpkg_is_written_in_memory(monkeypatch):
    def no_disk(*_, **__):
        raise AssertionError("to_gpkg must not use a temporary folder")

    monkeypatch.setattr(tempfile, "TemporaryDirectory", no_disk)
    monkeypatch.setattr(tempfile, "mkdtemp", no_disk)
    assert to_gpkg(frame_for("clusters"), "clusters").startswith(b"SQLite format 3\0")


@pytest.mark.parametrize(
    ("columns", "ids"),
    [
        ({"id": ["a", "b"], "state_code": ["01", "02"]}, ["a", "b"]),  # the id column wins
        ({"state_code": ["09", "32"]}, [9, 32]),  # states: the INEGI number
        ({"id": ["a", None], "state_code": ["01", "02"]}, ["a", 2]),
        ({"state_code": ["", "xx"]}, [None, None]),
        ({"name": ["a", "b"]}, [None, None]),  # no id member at all
    ],
)
def test_geojson_feature_ids(columns, ids):
    frame = gpd.GeoDataFrame(columns, geometry=[Point(0, 0), Point(1, 1)], crs=4326)
    features = json.loads(to_geojson(frame))["features"]
    assert [f.get("id") for f in features] == ids
    assert all(("id" in f) == (i is not None) for f, i in zip(features, ids, strict=True))


def test_geojson_empty_geometries_are_null():
    frame = gpd.GeoDataFrame({"id": ["a"]}, geometry=[Point()], crs=4326)
    assert json.loads(to_geojson(frame))["features"][0]["geometry"] is None
