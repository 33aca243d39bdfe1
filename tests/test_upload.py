"""A user's own file (geo.upload): every format, bad rows, whole-file problems and limits, hostile
text, the app's "Your own data" and `atlas export --extra`. Fixtures are generated here
(tests.helpers.upload_file), never committed binaries."""

from __future__ import annotations

import io
import json
import zipfile

import folium
import openpyxl
import pandas as pd
import pytest

from geo import boundaries, export, schema, seeds, upload
from geo.cli import main
from layers import basemap, markers
from tests.helpers import (
    DATE,
    PAYLOADS,
    REPO,
    assert_no_live_markup,
    assert_only_markup,
    atlas_calls,
    layers,
    map_args,
    map_assets,
    records_frame,
    run_app,
    runtime_popups,
    shown,
    upload_file,
)

# Three good rows: a point with its state, a state only (placed at its representative point),
# a point without a state (the state is found from it).
GOOD = [
    {"name": "Clúster Automotriz", "kind": "cluster", "sector": "Automotive", "state": "Coahuila", "lon": "-101.0",
     "lat": "25.42", "place": "Saltillo", "year": "2015"},
    {"name": "Parque Aero", "kind": "Project", "sector_raw": "aeronautics", "state": "Queretaro"},
    {"name": "Hub TI", "kind": "cluster", "sector": "ict", "lon": "-103.35", "lat": "20.67", "notes": "two\nlines"},
]  # fmt: skip
EXPECTED = pd.DataFrame({
    "name": ["Clúster Automotriz", "Parque Aero", "Hub TI"],
    "kind": ["cluster", "project", "cluster"],
    "sector": ["Automotive", "Aerospace", "ICT"],
    "state": ["Coahuila", "Querétaro", "Jalisco"],
    "state_code": ["05", "22", "14"],
    "location_precision": ["city", "state", "city"],
    "year": pd.array([2015, None, None], dtype="Int64"),
    "notes": ["", "", "two\nlines"],
})  # fmt: skip
FORMATS = ("csv", "csv-bom", "csv-semicolon", "xlsx", "geojson", "gpkg")


def read(fmt: str, rows: list[dict], **kwargs) -> upload.Upload:
    return upload.read_upload(*upload_file(fmt, rows, **kwargs))


def by_name(got: upload.Upload) -> pd.DataFrame:
    return got.records.set_index("name").loc[EXPECTED["name"]].reset_index()


# --------------------------------------------------------------------------- good files


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_good_file_in_every_format_gives_the_same_records(fmt):
    got = read(fmt, GOOD)
    assert got.problems == () and got.rows == 3 and got.name.startswith("mine.")
    frame = by_name(got)
    pd.testing.assert_frame_equal(frame[list(EXPECTED.columns)], EXPECTED, check_dtype=False)
    assert list(got.records.columns) == [*schema.RECORDS.names, "geometry"]  # the records frame's columns
    assert frame.loc[0, ["lon", "lat"]].tolist() == pytest.approx([-101.0, 25.42])
    assert frame.loc[1, "sector_raw"] == "aeronautics"
    word, first = ("feature", 1) if fmt in ("geojson", "gpkg") else ("row", 2)
    assert frame["source"].tolist() == [f"Your file {got.name}, {word} {first + i}" for i in range(3)]
    assert got.records.crs == "EPSG:4326"


def test_a_state_only_row_sits_on_the_states_representative_point():
    got = read("csv", GOOD)
    point = by_name(got).geometry[1]
    anchors = boundaries.anchor_points(boundaries.load_states("full"))
    assert point.equals(anchors["22"])


def test_the_template_is_the_shipped_file_and_reads_without_problems():
    assert (REPO / "docs" / "your-data-template.csv").read_bytes() == upload.template_csv()
    got = upload.read_upload("your-data-template.csv", upload.template_csv())
    assert got.problems == () and len(got.records) == 3


def test_headers_match_in_any_case_and_with_aliases():
    data = b"Nombre,TYPE,Sector,Estado,Latitude,Longitude\nA,cluster,ICT,Jalisco,20.67,-103.35\n"
    got = upload.read_upload("a.csv", data)
    assert got.problems == () and got.records.loc[0, "state"] == "Jalisco"


# --------------------------------------------------------------------------- bad rows

# (case, the bad row, what its message must say); the bad row is the file's row 3.
BAD_ROWS = [
    ("bad kind", {"kind": "widget"}, "'kind' is 'widget' — expected one of cluster, project"),
    ("bad sector", {"sector": "Nope"}, "'sector' is 'Nope' — expected one of Aerospace"),
    ("unmapped raw sector", {"sector": "", "sector_raw": "basket weaving"}, "'sector_raw' is 'basket weaving'"),
    ("no sector", {"sector": ""}, "'sector' is empty"),
    ("lat out of range", {"lat": "95"}, "'lon/lat' is -101.0, 95.0 — expected lon/lat in Mexico"),
    ("lon and lat swapped", {"lon": "25.42", "lat": "-101.0"}, "lon and lat look swapped"),
    ("unknown state", {"state": "Narnia"}, "'state' is 'Narnia' — expected a Mexican state"),
    ("state misspelt", {"state": "Coahuilla"}, "closest known: Coahuila"),
    ("point outside its state", {"lon": "-103.35", "lat": "20.67"}, "inside Coahuila (it lies in Jalisco)"),
    ("point at sea", {"state": "", "lon": "-110.0", "lat": "20.0"}, "it lies at sea or outside Mexico"),
    ("missing name", {"name": ""}, "'name' is empty"),
    ("no place at all", {"state": "", "lon": "", "lat": ""}, "'state' is empty — expected a state, or lon and lat"),
    ("lat missing", {"lat": ""}, "'lat' is empty — expected a decimal number"),
    ("lon not a number", {"lon": "west"}, "'lon' is 'west' — expected a decimal number"),
    ("year too early", {"year": "1800"}, "'year' is '1800' — expected a year between 1900"),
    ("year basis unknown", {"year_basis": "guessed"}, "'year_basis' is 'guessed'"),
    ("project type on a cluster", {"project_type": "facility"}, "'project_type' is 'facility' — expected empty"),
    ("formula in notes", {"notes": "=cmd|' /C calc'!A0"}, "'notes' is \"=cmd|' /C calc'!A0\" — expected text that"),
    ("formula behind a zero-width space", {"name": "\u200b=1+1"}, "'name' is"),
    ("formula after a tab", {"place": "\tx"}, "a spreadsheet would run it as a formula"),
]


@pytest.mark.parametrize(("row", "message"), [c[1:] for c in BAD_ROWS], ids=[c[0] for c in BAD_ROWS])
def test_a_bad_row_gets_one_message_and_the_good_rows_are_kept(row, message):
    base = dict(GOOD[0])
    got = upload.read_upload(
        "mine.csv", _csv([GOOD[0], {**base, **row, "year_basis": row.get("year_basis", "")}, GOOD[2]])
    )
    assert len(got.problems) == 1, got.problems
    assert got.problems[0].startswith("row 3: "), got.problems
    assert message in got.problems[0]
    assert got.records["source"].tolist() == ["Your file mine.csv, row 2", "Your file mine.csv, row 4"]
    assert got.rows == 3


@pytest.mark.parametrize("fmt", FORMATS)
def test_formula_like_text_is_a_bad_row_in_every_format(fmt):
    got = read(fmt, [GOOD[0], {**GOOD[2], "name": "=cmd|' /C calc'!A0"}])
    [message] = got.problems
    assert "'name' is \"=cmd|' /C calc'!A0\" — expected text that does not start with =" in message
    assert by_name(read(fmt, GOOD)).loc[[0], "name"].tolist() == got.records["name"].tolist()


def test_a_row_with_two_problems_gets_one_message_naming_both():
    got = upload.read_upload("mine.csv", _csv([{**GOOD[0], "kind": "widget", "state": "Narnia"}]))
    [message] = got.problems
    assert "'kind' is 'widget'" in message and "'state' is 'Narnia'" in message
    assert got.records.empty and list(got.records.columns) == [*schema.RECORDS.names, "geometry"]


def test_a_feature_that_is_not_a_point_is_a_bad_row():
    collection = json.loads(upload_file("geojson", GOOD)[1])
    collection["features"][1]["geometry"] = {"type": "LineString", "coordinates": [[-100, 20], [-101, 21]]}
    got = upload.read_upload("mine.geojson", json.dumps(collection).encode())
    assert got.problems == ("feature 2: 'geometry' is 'LineString' — expected a Point feature (or no geometry and a "
                            "state)",)  # fmt: skip
    assert len(got.records) == 2


def test_a_geopackage_with_several_layers_reads_the_first_and_says_so(tmp_path):
    _, data = upload_file("gpkg", GOOD)
    path = tmp_path / "two.gpkg"
    path.write_bytes(data)
    import pyogrio

    frame = pyogrio.read_dataframe(path)
    pyogrio.write_dataframe(frame.iloc[:1], path, layer="other", append=False)
    got = upload.read_upload("two.gpkg", path.read_bytes())
    assert got.notices == ("read the first layer, 'mine' (the file also has: other)",)
    assert len(got.records) == 3


# --------------------------------------------------------------------------- whole-file problems


def _csv(rows: list[dict]) -> bytes:
    return upload_file("csv", rows)[1]


WHOLE_FILE = [
    ("unknown extension", "data.txt", b"name\n", "data.txt: unknown format .txt; use a .csv, .geojson"),
    ("no extension", "data", b"name\n", "unknown format (no extension)"),
    ("latin-1 CSV", "latin.csv", "name,kind,sector,state\nJosé,cluster,ICT,Jalisco\n".encode("latin-1"),
     "latin.csv is not UTF-8 text (line 2 has the byte 0xe9); save it as UTF-8"),
    ("empty CSV", "empty.csv", b"", "empty.csv is empty; expected a header line"),
    ("header only", "head.csv", b"name,kind,sector,state\n", "head.csv has a header but no rows"),
    ("missing columns", "cols.csv", b"name,sector\nA,ICT\n",
     "cols.csv lacks the column(s) kind, state (or lon and lat); the columns it has that the atlas knows: name, sector"),
    ("broken quotes", "q.csv", b'name,kind,sector,state\n"A,cluster,ICT,Jalisco\n', "q.csv is not well-formed CSV"),
    ("not a workbook", "bad.xlsx", b"PK not really", "bad.xlsx is not an Excel workbook that can be read"),
    ("not a GeoPackage", "bad.gpkg", b"hello", "bad.gpkg is not a GeoPackage"),
    ("not JSON", "bad.geojson", b"{", "bad.geojson is not UTF-8 JSON"),
    ("JSON but not GeoJSON", "list.json", b"[1, 2]", "list.json is JSON but not a GeoJSON FeatureCollection"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "data", "message"), [c[1:] for c in WHOLE_FILE], ids=[c[0] for c in WHOLE_FILE])
def test_a_whole_file_problem_is_one_clear_message(name, data, message):
    with pytest.raises(upload.UploadError) as caught:
        upload.read_upload(name, data)
    assert message in str(caught.value)


def test_a_file_over_the_size_limit_is_refused_with_the_limit():
    data = b"name,kind,sector,state\n" + b"x" * upload.MAX_BYTES
    with pytest.raises(upload.UploadError, match=r"big\.csv is larger than 50 MB, the limit for your own data"):
        upload.read_upload("big.csv", data)


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_a_file_over_the_row_limit_is_refused_with_the_limit(fmt):
    if fmt == "csv":
        data = b"name,kind,sector,state\n" + b"A,cluster,ICT,Jalisco\n" * (upload.MAX_ROWS + 1)
    else:
        feature = {"type": "Feature", "properties": {"name": "A"}, "geometry": None}
        data = json.dumps({"type": "FeatureCollection", "features": [feature] * (upload.MAX_ROWS + 1)}).encode()
    with pytest.raises(upload.UploadError, match=r"has 200,001 (rows|features); files up to 200,000 rows"):
        upload.read_upload(f"many.{fmt}", data)


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        ("C:\\Users\\ana\\clusters.csv", "clusters.csv"),
        ("/tmp/x/<img src=x onerror=alert(1)>.csv", "img src x onerror alert(1) .csv"),
        ('"><script>.csv', "script .csv"),
        ("<>.csv", "csv"),
        ("%%%", "upload"),
    ],
)
def test_the_file_name_shown_keeps_only_plain_characters(filename, shown):
    assert upload.display_name(filename) == shown


# --------------------------------------------------------------------------- hostile text

HOSTILE = " ".join(PAYLOADS) + " \u202eRTL override\u202c zero\u200bwidth"
HOSTILE_ROWS = [
    {**GOOD[0], "name": "Name " + HOSTILE, "notes": HOSTILE + "\n# not a heading", "place": HOSTILE},
    {**GOOD[1], "name": "Other " + HOSTILE, "sector_raw": "aeronautics"},
    {**GOOD[2], "notes": '=HYPERLINK("https://evil.example")'},  # a formula: left out, never exported
]


@pytest.fixture(scope="module")
def hostile():
    got = upload.read_upload('<img src=x onerror=alert(1)>"evil.csv', _csv(HOSTILE_ROWS))
    assert len(got.records) == 2 and len(got.problems) == 1 and "'notes'" in got.problems[0]
    return got


def test_hostile_text_is_kept_verbatim_as_data(hostile):
    assert sorted(hostile.records["name"]) == ["Name " + HOSTILE, "Other " + HOSTILE]


def test_hostile_text_shows_as_text_in_popups_tooltips_and_the_layer(hostile):
    table = markers.marker_table(hostile.records)
    for tooltip, popup in zip(table.data["name"], runtime_popups(table.data), strict=True):
        assert HOSTILE in assert_only_markup(tooltip, set())
        assert HOSTILE in assert_only_markup(popup, {"div", "h3", "dl", "dt", "dd"})
    expected = {markers.popup_html(rec) for rec in hostile.records.to_dict("records")}
    assert set(runtime_popups(table.data)) == expected  # escaped exactly like the seeds' popups
    label = f"Your data: {hostile.name} ({len(hostile.records)})"
    m = basemap.base_map(assets=map_assets())
    markers.upload_markers(table, label=label, key=hostile.digest).add_to(m)
    folium.LayerControl().add_to(m)
    page = m.get_root().render()
    assert_no_live_markup(page)
    assert "<img" not in hostile.name and '"' not in hostile.name


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson", "kml"])
def test_hostile_text_is_inert_in_the_extra_exports(hostile, fmt):
    data = export.FORMATS[fmt].write(hostile.records, "extra", DATE)
    if fmt == "kml":
        assert b"<script>" not in data and b"<img src=x" not in data  # the description's HTML is escaped
        return
    if fmt == "csv":
        table = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    elif fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data))["extra"]
        assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)  # no formula cell
        rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
        table = pd.DataFrame(rows[1:], columns=rows[0])
    else:
        table = pd.DataFrame([f["properties"] for f in json.loads(data)["features"]])
    text = table[list(schema.RECORDS.text_columns)].fillna("").astype(str).to_numpy().ravel()
    assert not any(seeds.formula_like(cell) for cell in text)  # text a spreadsheet would run never gets here
    assert sorted(table["name"]) == ["Name " + HOSTILE, "Other " + HOSTILE]  # and the rest reads back verbatim


# --------------------------------------------------------------------------- the app


def test_a_file_larger_than_the_binary_threshold_still_draws_inline():
    """The large-points path publishes binary files; a user's file is sent with the run, so its
    table stays inline JSON whatever its size."""
    rows = [{**GOOD[i % len(GOOD)], "name": f"Plant {i}"} for i in range(markers.LARGE_POINTS + 1)]
    got = upload.read_upload("many.csv", _csv(rows))
    table = markers.marker_table(got.records, inline=True)
    assert table.binary is None and len(table.data["lat"]) == markers.LARGE_POINTS + 1
    group = markers.upload_markers(table, label="Your data: many.csv", key=got.digest)
    (call,) = [json.loads(child.options) for child in group._children.values()]
    assert call["large"] is False and call["selection"] == [0, markers.LARGE_POINTS + 1, None]


def test_the_app_draws_an_uploaded_file_as_its_own_layer_counted_apart():
    at = run_app()
    before = layers(at)
    name, data = upload_file("csv", [*GOOD, {**GOOD[0], "kind": "widget"}])
    at.file_uploader[0].set_value((name, data, "text/csv")).run()
    calls = [options for function, options in atlas_calls(map_args(at)["feature_group"]) if function == "markers"]
    mine = [options for options in calls if options["kind"] == markers.UPLOAD_KIND]
    assert [options["layer"] for options in mine] == ["Your data: mine.csv (3)"]
    assert mine[0]["selection"] == [0, 3, None] and sorted(mine[0]["src"]["name"]) == sorted(EXPECTED["name"])
    after = layers(at)
    assert {key: after[key] for key in before} == before  # the choropleth and documented markers: unchanged
    assert after[markers.UPLOAD_KIND] == [0, 3, None]
    captions = [c.value for c in at.caption]
    assert "3 of your records (not in the documented counts) on the layer 'Your data'." in captions
    assert [w.value for w in at.warning] == ["1 row left out:"]
    assert any("Your data (not in the documented counts)" in h.proto.body for h in at.get("html"))  # the legend
    assert at.code[-1].value == "row 5: 'kind' is 'widget' — expected one of cluster, project"

    at.file_uploader[0].set_value(None).run()
    assert not [o for f, o in atlas_calls(map_args(at)["feature_group"]) if o.get("kind") == markers.UPLOAD_KIND]
    assert not [c.value for c in at.caption if "your records" in c.value]


def test_the_app_lists_the_first_20_problems_and_says_how_many_more():
    at = run_app()
    bad = [{**GOOD[0], "kind": f"widget{i}"} for i in range(25)]
    at.file_uploader[0].set_value(("bad.csv", _csv([GOOD[1], *bad]), "text/csv")).run()
    lines = at.code[-1].value.splitlines()
    assert len(lines) == 21 and lines[0].startswith("row 3: ") and lines[-1] == "and 5 more"
    assert "1 of your records (not in the documented counts) on the layer 'Your data'." in [c.value for c in at.caption]


def test_the_app_says_what_is_wrong_with_an_unusable_file():
    at = run_app()
    at.file_uploader[0].set_value(("latin.csv", "name,kind\nJosé,x\n".encode("latin-1"), "text/csv")).run()
    assert len(at.error) == 1 and "latin.csv is not UTF-8 text (line 2 has the byte 0xe9)" in shown(at.error[0].value)
    assert not at.exception
    assert not [o for f, o in atlas_calls(map_args(at)["feature_group"]) if o.get("kind") == markers.UPLOAD_KIND]


# --------------------------------------------------------------------------- atlas export --extra


@pytest.fixture
def hand_made(monkeypatch):
    monkeypatch.setattr(seeds, "load_records", records_frame)


def export_args(out, extra=None, fmt="csv"):
    args = ["export", "--layer", "clusters", "--format", fmt, "--date", DATE.isoformat(), "--out", str(out)]
    return args + (["--extra", str(extra)] if extra else [])


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "gpkg", "geojson"])
def test_export_extra_adds_the_users_file_beside_the_unchanged_documented_layer(fmt, hand_made, tmp_path, capsys):
    name, data = upload_file("csv", GOOD)
    (tmp_path / name).write_bytes(data)
    assert main(export_args(tmp_path / "plain.zip", fmt=fmt)) == 0
    assert main(export_args(tmp_path / "with.zip", tmp_path / name, fmt=fmt)) == 0
    extension = export.FORMATS[fmt].extension
    with zipfile.ZipFile(tmp_path / "plain.zip") as plain, zipfile.ZipFile(tmp_path / "with.zip") as bundle:
        assert bundle.namelist() == [f"atlas-clusters{extension}", f"atlas-extra{extension}", "DATA_DICTIONARY.md",
                                     "SOURCES.md", "FILTERS.json"]  # fmt: skip
        assert bundle.read(f"atlas-clusters{extension}") == plain.read(f"atlas-clusters{extension}")
        assert bundle.read("DATA_DICTIONARY.md") == plain.read("DATA_DICTIONARY.md")
        extra = bundle.read(f"atlas-extra{extension}")
        assert extra == export.FORMATS[fmt].write(upload.read_upload(name, data).records, "extra", DATE)
        sources = bundle.read("SOURCES.md").decode()
        assert sources.startswith(plain.read("SOURCES.md").decode())
        assert "## Your own file (not cited data)" in sources and "`mine.csv`" in sources
        described = json.loads(bundle.read("FILTERS.json"))
    assert described["extra"] == {"file": "mine.csv", "member": f"atlas-extra{extension}", "rows": 3,
                                  "rows_left_out": 0, "cited": False}  # fmt: skip
    assert described["command"].endswith("--extra mine.csv")


def test_export_extra_with_bad_rows_lists_them_and_writes_nothing(hand_made, tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_bytes(_csv([GOOD[0], {**GOOD[0], "lat": "95"}, {**GOOD[0], "name": ""}]))
    assert main(export_args(tmp_path / "out.zip", path)) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("row 3: 'lon/lat' is -101.0, 95.0") and err[1] == (
        "row 4: 'name' is empty — expected the cluster's or project's name"
    )
    assert "2 of its 3 rows cannot be used (listed above)" in err[2]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.csv"]


@pytest.mark.parametrize(
    ("extra", "options", "message"),
    [
        ("missing.csv", (), "--extra {tmp}/missing.csv: cannot read it (No such file or directory)"),
        ("mine.txt", (), "--extra: mine.txt: unknown format .txt"),
        ("mine.csv", ("--no-bundle",), "--extra adds a file to the bundle; drop --no-bundle"),
    ],
)
def test_export_extra_refuses_what_it_cannot_use(extra, options, message, hand_made, tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("name\n")
    (tmp_path / "mine.csv").write_bytes(_csv(GOOD))
    out = tmp_path / ("out.csv" if "--no-bundle" in options else "out.zip")
    args = ["export", "--layer", "clusters", "--format", "csv", "--out", str(out), *options]
    assert main([*args, "--extra", str(tmp_path / extra)]) == 2
    assert f"atlas: {message.format(tmp=tmp_path)}" in capsys.readouterr().err
    assert not out.exists()
