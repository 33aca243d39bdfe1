import csv
import datetime
import errno
import hashlib
import io
import json
import os
import re
import stat
import tempfile
import time
import zipfile

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from shapely.geometry import Point

from geo import export
from geo.export import (
    FORMATS,
    POINT_COLUMNS,
    STATE_COLUMNS,
    bundle_name,
    data_dictionary,
    dbf_field_names,
    export_bundle,
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
    DATE,
    GEONAMES,
    INT_COLUMNS,
    assert_round_trip,
    export_file,
    frame_for,
    kml_placemarks,
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
@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip(layer, fmt, tmp_path):
    frame = frame_for(layer)
    name, data, _ = export_file(layer, fmt, frame)
    path = tmp_path / name
    path.write_bytes(data)
    assert_round_trip(frame, read_export(path, fmt, frame), fmt)


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


def test_source_list_names_registered_documents():
    frame = frame_for("clusters").assign(
        source="002_b1590986cb6d8db3.txt, Annex, Table 6 | 003_f9798965136af8b2.txt, article"
    )
    text = source_list(frame)
    assert "- `002_b1590986cb6d8db3.txt`: Preparatory Briefing on Mexico (ECCP)\n  - Annex, Table 6\n" in text
    assert "- `003_f9798965136af8b2.txt`\n  - article\n" in text  # no stated title: the file alone


@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_export_bundle(layer, fmt):
    frame, filters = frame_for(layer), Filters(sectors=("Aerospace",), years=(2004, 2018))
    name, data, mime = export_bundle(layer, fmt, frame, filters, date=DATE)
    assert (name, mime) == (bundle_name(layer, fmt, filters, DATE), "application/zip")
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        data_name, data_bytes, _ = export_file(layer, fmt, frame)
        assert bundle.namelist() == [data_name, "DATA_DICTIONARY.md", "SOURCES.md", "FILTERS.json"]
        assert bundle.read(data_name) == data_bytes
        assert bundle.read("DATA_DICTIONARY.md").decode() == data_dictionary(layer)
        assert bundle.read("SOURCES.md").decode() == source_list(frame)
        assert json.loads(bundle.read("FILTERS.json")) == {
            "layer": layer,
            "format": fmt,
            "sectors": ["Aerospace"],
            "years": [2004, 2018],
            "known_years_only": False,
            "labels": [],
            "date": "2026-12-02",
            "rows": len(frame),
            "command": f"atlas export --layer {layer} --format {fmt} --sector Aerospace --years 2004-2018 --date 2026-12-02",
        }
        assert {info.date_time for info in bundle.infolist()} == {(2026, 12, 2, 0, 0, 0)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_bundles_are_the_same_bytes_for_the_same_inputs_and_date(fmt):
    frame = frame_for("clusters")
    first = export_bundle("clusters", fmt, frame, Filters(), date=DATE)[1]
    time.sleep(0.01)  # GDAL stamps GeoPackages in milliseconds
    assert export_bundle("clusters", fmt, frame, Filters(), date=DATE)[1] == first
    assert export_bundle("clusters", fmt, frame, Filters(), date=datetime.date(2027, 1, 1))[1] != first


@pytest.mark.parametrize(
    ("layer", "fmt", "filters", "date", "name"),
    [
        ("projects", "geojson", Filters(sectors=("Aerospace", "ICT"), years=(2004, 2018)), DATE,
         "mexico-atlas_projects_aerospace-ict_2004-2018_geojson_2026-12-02.zip"),
        ("states", "csv", Filters(), DATE, "mexico-atlas_states_all-sectors_all-years_csv_2026-12-02.zip"),
        ("clusters", "shp", Filters(years=(2016, 2016), known_years_only=True), datetime.date(2027, 1, 31),
         "mexico-atlas_clusters_all-sectors_2016-dated_shp_2027-01-31.zip"),
        # punctuation becomes safe characters
        ("clusters", "kml", Filters(sectors=("Chemicals & Petroleum",)), DATE,
         "mexico-atlas_clusters_chemicals-petroleum_all-years_kml_2026-12-02.zip"),
        # many sectors: counted, with a digest that keeps two selections apart
        ("clusters", "csv", Filters(sectors=SECTORS[:5]), DATE,
         "mexico-atlas_clusters_5-sectors-" + hashlib.sha256("|".join(SECTORS[:5]).encode()).hexdigest()[:8]
         + "_all-years_csv_2026-12-02.zip"),
    ],
)  # fmt: skip
def test_bundle_name(layer, fmt, filters, date, name):
    assert bundle_name(layer, fmt, filters, date) == name
    assert re.fullmatch(r"[a-z0-9_.-]+", name)


def test_bundle_names_differ_per_selection():
    selections = [Filters(sectors=s) for s in ((), *((name,) for name in SECTORS), SECTORS[:4], SECTORS[1:5])]
    selections += [Filters(years=(2004, 2018)), Filters(years=(2004, 2018), known_years_only=True)]
    names = {bundle_name("clusters", "csv", filters, DATE) for filters in selections}
    assert len(names) == len(selections)


def test_export_file_rejects_unknown_format():
    with pytest.raises(ValueError, match="geojson, csv, gpkg, shp, kml, fgb, parquet, xlsx"):
        export_file("clusters", "dxf", frame_for("clusters"))


# --- format limits: Shapefile, KML, XLSX --------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "names"),
    [
        (["id", "name"], ["id", "name"]),
        (["investment_value", "investment_unit"], ["investment", "investme_1"]),  # cut, then numbered
        (["location_precision", "location_source"], ["location_p", "location_s"]),
        (["Chemicals & Petroleum", "Construction & Real Estate"], ["Chemicals", "Constructi"]),
        (["Añoñoñoño_x", "ID", "id"], ["Anononono", "ID", "id_1"]),  # ASCII; unique ignoring case
        (["&&&"], ["field"]),
    ],
)
def test_dbf_field_names(columns, names):
    assert list(dbf_field_names(columns).values()) == names


def test_shapefile_keeps_long_text_whole_beside_the_dbf(tmp_path):
    long_source = " | ".join(f"00{i}_a.txt, Section {'é' * 40} {i}" for i in range(6))  # > 254 bytes
    frame = frame_for("clusters")
    frame.loc[0, "source"] = long_source
    path = tmp_path / "clusters.shp.zip"
    path.write_bytes(export_file("clusters", "shp", frame)[1])
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            f"atlas-clusters.{ext}" for ext in ("cpg", "dbf", "prj", "shp", "shx", "fields.csv", "full.csv")
        )
        full = pd.read_csv(archive.open("atlas-clusters.full.csv"), dtype=str, keep_default_na=False)
    cut = read_export(path, "shp", frame).loc[0, "source"]
    assert len(cut.encode("utf-8")) <= 254 and long_source.startswith(cut) and len(cut) > 100
    assert full.loc[0, "source"] == long_source


def test_kml_placemarks_carry_the_name_and_a_readable_escaped_description():
    clusters, states = (
        kml_placemarks(export_file(layer, "kml", frame_for(layer))[1]) for layer in ("clusters", "states")
    )
    assert [p["name"] for p in clusters] == frame_for("clusters")["name"].tolist()
    first = clusters[0]["description"]
    assert "<b>Sector:</b> Aerospace" in first and "<b>Year:</b> 2005" in first
    assert "over 60 members<br>50,000 jobs" in first  # one line per fact
    assert "&lt;b&gt;tags&lt;/b&gt;" in clusters[1]["description"]  # the record's markup stays text
    assert [p["name"] for p in states] == ["Ciudad de México", "Nuevo León", "Querétaro"]
    assert "<b>Records:</b> 2" in states[2]["description"]


def test_xlsx_text_is_never_a_formula(tmp_path):
    path = tmp_path / "projects.xlsx"
    path.write_bytes(export_file("projects", "xlsx", frame_for("projects"))[1])
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["projects", "columns"]
    cells = [cell for row in workbook["projects"].iter_rows() for cell in row if cell.value == "=1+2"]
    assert [cell.data_type for cell in cells] == ["s"]
    meanings = pd.read_excel(path, sheet_name="columns")
    assert meanings["column"].tolist() == list(POINT_COLUMNS)


# --- write_atomic -----------------------------------------------------------------------------


def test_write_atomic_writes_and_replaces_only_when_asked(tmp_path):
    path = tmp_path / "out.csv"
    write_atomic(path, b"old")
    with pytest.raises(FileExistsError):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    path.chmod(0o640)
    write_atomic(path, b"new", replace=True)
    assert path.read_bytes() == b"new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640  # the replaced file's permissions are kept
    assert os.listdir(tmp_path) == ["out.csv"]


def _fifo(path):
    os.mkfifo(path)


def _symlink(path):
    (path.parent / "target").write_bytes(b"target")
    path.symlink_to(path.parent / "target")


@pytest.mark.parametrize("make", [_fifo, _symlink, os.mkdir], ids=["fifo", "symlink", "folder"])
@pytest.mark.parametrize("replace", [False, True])
def test_write_atomic_never_replaces_anything_but_a_regular_file(make, replace, tmp_path):
    path = tmp_path / "out.csv"
    make(path)
    before = {p.name: os.lstat(p).st_mode for p in tmp_path.iterdir()}
    with pytest.raises(OSError):
        write_atomic(path, b"new", replace=replace)
    assert {p.name: os.lstat(p).st_mode for p in tmp_path.iterdir()} == before


def test_write_atomic_without_hard_links_still_writes(tmp_path, monkeypatch):
    def no_links(*_):
        raise OSError(errno.EPERM, "Operation not permitted")  # e.g. a FAT memory stick

    monkeypatch.setattr(export.os, "link", no_links)
    write_atomic(tmp_path / "out.csv", b"new")
    assert os.listdir(tmp_path) == ["out.csv"] and (tmp_path / "out.csv").read_bytes() == b"new"


def test_write_atomic_failure_leaves_nothing_behind(tmp_path, monkeypatch):
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")

    def fail(*_):
        raise OSError("disk full")

    monkeypatch.setattr(export.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new", replace=True)
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
