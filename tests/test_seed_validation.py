"""Seed files edited badly: one message per problem, naming file, line, column, value, expectation."""

import csv

import pytest

from geo import names, schema, sectors
from geo.seeds import SeedError, formula_like, load_records
from tests.helpers import copy_seeds


@pytest.fixture
def seeds(tmp_path):
    return copy_seeds(tmp_path / "seeds")


def _edit(folder, name, old, new, count=1):
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text, f"fixture text {old!r} not in {name}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _line_of(folder, name, needle):
    lines = (folder / name).read_text(encoding="utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if needle in line)


QRO = "cl-que-aerocluster,cluster,Aerocluster de Querétaro"
MEXICALI = "Mexicali,city,-115.45446,32.62781"

CASES = [
    # (case, edit(folder), fragments the messages must contain)
    (
        "missing column",
        lambda f: _edit(f, "clusters.csv", ",year_basis,", ","),
        ["clusters.csv, line 1, column 'year_basis'", "this column in the header"],
    ),
    (
        "extra column",
        lambda f: _edit(f, "figures.csv", "record_id,metric", "record_id,colour,metric"),
        ["figures.csv, line 1, column 'colour'", "only the columns"],
    ),
    (
        "empty file",
        lambda f: (f / "projects.csv").write_text("", encoding="utf-8"),
        ["projects.csv", "a header line with columns id, kind"],
    ),
    (
        "wrong type: year",
        lambda f: _edit(
            f,
            "projects.csv",
            "investment,Aerospace,aerospace,Querétaro,22,,,state,,,,2007,",
            "investment,Aerospace,aerospace,Querétaro,22,,,state,,,,two thousand seven,",
        ),
        [
            "projects.csv, line {pr-que-ellison-2007}, column 'year': 'two thousand seven'",
            "a whole year",
        ],
    ),
    (
        "wrong type: figure value",
        lambda f: _edit(f, "figures.csv", "members,92,", "members,ninety-two,"),
        ["figures.csv, line {fig_claut}, column 'value': 'ninety-two'", "a number"],
    ),
    (
        "year 3024",
        lambda f: _edit(f, "clusters.csv", ",2009,founded,", ",3024,founded,"),
        [
            "clusters.csv, line {cl-nle-monterrey-aerocluster}, column 'year': '3024'",
            "a year between 1900 and",
        ],
    ),
    (
        "unknown state with suggestions",
        lambda f: _edit(
            f,
            "clusters.csv",
            f"{QRO},,Aerospace,Aerospace,Querétaro,22",
            f"{QRO},,Aerospace,Aerospace,Queretarro,22",
        ),
        ["column 'state': 'Queretarro'", "Querétaro"],
    ),
    (
        "unknown sector",
        lambda f: _edit(f, "clusters.csv", f"{QRO},,Aerospace,", f"{QRO},,Aerospce,"),
        ["column 'sector': 'Aerospce'", "one of Aerospace, Automotive"],
    ),
    (
        "unmapped raw sector label",
        lambda f: _edit(f, "clusters.csv", f"{QRO},,Aerospace,Aerospace,", f"{QRO},,Aerospace,Space stuff,"),
        ["column 'sector_raw': 'Space stuff'", "seeds/sector_map.csv"],
    ),
    (
        "duplicate id",
        lambda f: _edit(f, "clusters.csv", "cl-agu-cociteva,", "cl-agu-conimueble,"),
        ["column 'id': 'cl-agu-conimueble'", "a unique id (already used in clusters.csv, line 2)"],
    ),
    (
        "lon/lat swapped",
        lambda f: _edit(f, "clusters.csv", MEXICALI, "Mexicali,city,32.62781,-115.45446"),
        ["column 'lon'", "lon and lat look swapped"],
    ),
    (
        "outside Mexico",
        lambda f: _edit(f, "clusters.csv", MEXICALI, "Mexicali,city,-3.70,40.41"),
        ["column 'lon'", "lon/lat in Mexico"],
    ),
    (
        "point outside its state",
        lambda f: _edit(f, "clusters.csv", MEXICALI, "Mexicali,city,-100.31721,25.68435"),
        ["column 'lon'", "a point inside Baja California"],
    ),
    (
        "bad UTF-8 byte",
        lambda f: (f / "citations.csv").write_bytes(
            (f / "citations.csv").read_bytes().replace(b"Quer\xc3\xa9taro", b"Quer\xe9taro", 1)
        ),
        ["citations.csv, line", "UTF-8 text"],
    ),
    (
        "quote character inside a name, unescaped",
        lambda f: _edit(
            f,
            "clusters.csv",
            "cl-chp-ti,cluster,Cluster TI de Chiapas,",
            'cl-chp-ti,cluster,"Cluster "TI" de Chiapas,',
        ),
        ["clusters.csv, line", "well-formed CSV", 'double the inner quotes ("")'],
    ),
    (
        "spreadsheet formula in a name",
        lambda f: _edit(f, "clusters.csv", "cl-chp-ti,cluster,Cluster TI de Chiapas,", "cl-chp-ti,cluster,=1+2,"),
        ["column 'name': '=1+2'", "a spreadsheet would run it as a formula"],
    ),
    (
        "spreadsheet formula in a quote",
        lambda f: _edit(f, "citations.csv", 'Table 6",Cluster TI de Chiapas', 'Table 6",@SUM(1)'),
        ["citations.csv, line", "column 'quote': '@SUM(1)'", "formula"],
    ),
    (
        "citation of an unknown record",
        lambda f: _edit(f, "citations.csv", "cl-chp-ti,", "cl-chp-tii,"),
        ["citations.csv, line", "column 'record_id': 'cl-chp-tii'", "the id of a record"],
    ),
    (
        "record without any citation",
        lambda f: _edit(f, "citations.csv", "cl-chp-ti,", "cl-chp-tii,"),
        ["column 'record_id': 'cl-chp-ti'", "at least one citation for every record"],
    ),
]


@pytest.mark.parametrize(("case", "edit", "fragments"), CASES, ids=[c[0] for c in CASES])
def test_bad_seed_edit_is_reported(seeds, case, edit, fragments):
    lines = {}
    for rid in ("pr-que-ellison-2007", "cl-nle-monterrey-aerocluster"):
        name = "projects.csv" if rid.startswith("pr-") else "clusters.csv"
        lines[rid] = _line_of(seeds, name, rid + ",")
    lines["fig_claut"] = _line_of(seeds, "figures.csv", "members,92,")
    edit(seeds)
    with pytest.raises(SeedError) as err:
        load_records(seeds)
    text = "\n".join(err.value.problems)
    for fragment in fragments:
        assert fragment.format(**lines) in text, f"{case}: {fragment!r} not in\n{text}"


def test_a_quote_inside_a_name_properly_escaped_loads(seeds):
    _edit(seeds, "clusters.csv", "cl-chp-ti,cluster,Cluster TI de Chiapas,",
          'cl-chp-ti,cluster,"Cluster ""TI"" de Chiapas",')  # fmt: skip
    names = load_records(seeds).set_index("id")["name"]
    assert names["cl-chp-ti"] == 'Cluster "TI" de Chiapas'


def test_every_problem_is_reported_not_just_the_first(seeds):
    _edit(seeds, "clusters.csv", ",2009,founded,", ",3024,founded,")
    _edit(seeds, "clusters.csv", f"{QRO},,Aerospace,", f"{QRO},,Aerospce,")
    with pytest.raises(SeedError) as err:
        load_records(seeds)
    assert len(err.value.problems) == 2


def _rewrite_first_row(folder, name, change):
    """Apply `change(row)` to the first data row of a seed CSV (line 2), keeping the rest."""
    with open(folder / name, encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        fields, rows = reader.fieldnames, list(reader)
    change(rows[0])
    with open(folder / name, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        writer.writerows(rows)


# --- formula-like text (CSV injection) ----------------------------------------------------------

FORMULAS = [  # text a spreadsheet would run, as it might be pasted into a seed cell
    '=HYPERLINK("http://evil.example","click")',
    " @SUM(1+1)",
    "-2+3+cmd|' /C calc'!A0",
    "+1",
    "\t=1",  # a tab before anything
    "\tabc",  # a leading tab alone is enough (OWASP)
    "\rabc",
    "＝1+2",  # fullwidth equals sign: NFKC makes it "="
    "＋1",
    "\u3000@SUM(1)",  # ideographic space
    "\u00a0-1",  # no-break space
    "\u200b=1",  # zero-width space
    "\n=1",
]
NOT_FORMULAS = ["Cluster 3D", "e-mobility", "a = b", "100%", "(CONIMUEBLE)", "«ñ»", "#1", "", "1-2", "A+B", "x@y"]


@pytest.mark.parametrize("text", FORMULAS, ids=repr)
def test_formula_like_text(text):
    assert formula_like(text)


@pytest.mark.parametrize("text", NOT_FORMULAS, ids=repr)
def test_ordinary_text(text):
    assert not formula_like(text)


TEXT_FIELDS = [(name, column) for name, table in schema.SEED_FILES.items() for column in table.text_columns]


@pytest.mark.parametrize(("name", "column"), TEXT_FIELDS, ids=[f"{n}:{c}" for n, c in TEXT_FIELDS])
def test_formula_in_any_text_field_is_reported(seeds, name, column):
    """Every text column of every seed file, including ids, citation files and state names."""
    hostile = FORMULAS[TEXT_FIELDS.index((name, column)) % len(FORMULAS)]
    _rewrite_first_row(seeds, name, lambda row: row.update({column: hostile}))
    with pytest.raises(SeedError) as err:
        load_records(seeds)
    expected = f"{name}, line 2, column '{column}': {hostile!r} — expected text that does not start with"
    assert any(p.startswith(expected) and "a spreadsheet would run it as a formula" in p for p in err.value.problems), (
        expected,
        err.value.problems,
    )


@pytest.mark.parametrize("hostile", FORMULAS, ids=repr)
def test_every_formula_form_is_reported(seeds, hostile):
    _rewrite_first_row(seeds, "clusters.csv", lambda row: row.update(name=hostile))
    with pytest.raises(SeedError) as err:
        load_records(seeds)
    assert f"clusters.csv, line 2, column 'name': {hostile!r}" in "\n".join(err.value.problems)


def test_figure_values_are_not_negative(seeds):
    _rewrite_first_row(seeds, "figures.csv", lambda row: row.update(value="-2"))
    with pytest.raises(
        SeedError, match="column 'value': '-2' — expected a number as stated in the source, not negative"
    ):
        load_records(seeds)


# --- closed sets of values, from the schema ---------------------------------------------------

CLOSED = [(name, c.name) for name, table in schema.SEED_FILES.items() for c in table.columns if c.values]


@pytest.mark.parametrize(("name", "column"), CLOSED, ids=[f"{n}:{c}" for n, c in CLOSED])
def test_every_closed_set_is_enforced(seeds, name, column):
    _rewrite_first_row(seeds, name, lambda row: row.update({column: "bogus"}))
    with pytest.raises(SeedError) as err:
        load_records(seeds)
    allowed = ", ".join(v for v in schema.SEED_FILES[name][column].values if v)
    assert [p for p in err.value.problems if p.startswith(f"{name}, line 2, column '{column}': 'bogus'")] == [
        f"{name}, line 2, column '{column}': 'bogus' — expected one of {allowed}"
        + (", or empty" if "" in schema.SEED_FILES[name][column].values else "")
    ]


def test_facility_is_a_project_type(seeds):
    _rewrite_first_row(seeds, "projects.csv", lambda row: row.update(project_type="facility"))
    assert load_records(seeds)["project_type"].eq("facility").any()


def test_the_records_frame_has_the_declared_columns():
    frame = load_records()
    assert list(frame.columns) == [*schema.RECORDS.names, "geometry"]
    for column in schema.RECORDS.columns:
        kind = {"text": "object", "integer": "Int64", "decimal": "float64"}[column.type]
        assert str(frame[column.name].dtype) in (kind, "str", "string"), column.name
        if column.values:
            assert set(frame[column.name]) <= set(column.values), column.name


# --- one seeds folder for every seed file -------------------------------------------------------


def test_states_csv_is_read_from_the_seeds_folder(seeds, monkeypatch):
    text = (seeds / "states.csv").read_text(encoding="utf-8")
    (seeds / "states.csv").write_text(text.replace("32,Zacatecas,", "32,Zacatecas Test,"), encoding="utf-8")
    assert names.normalise_state("zacatecas", seeds) == "Zacatecas Test"
    monkeypatch.setenv("ATLAS_SEEDS_DIR", str(seeds))
    assert names.normalise_state("Zacatecas") == "Zacatecas Test"
    assert names.state_code("Zacatecas Test") == "32"
    assert names.load_state_table().loc[31, "state"] == "Zacatecas Test"
    monkeypatch.delenv("ATLAS_SEEDS_DIR")
    assert names.normalise_state("Zacatecas") == "Zacatecas"  # the shipped table, cached apart
    with pytest.raises(names.UnknownStateError):
        names.state_code("Zacatecas Test")
    assert set(load_records(seeds).query("state_code == '32'")["state"]) == {"Zacatecas Test"}


def test_sector_map_csv_is_read_from_the_seeds_folder(seeds, monkeypatch):
    text = (seeds / "sector_map.csv").read_text(encoding="utf-8")
    (seeds / "sector_map.csv").write_text(
        text.replace("Robotic,Advanced Manufacturing", "Robotic,ICT"), encoding="utf-8"
    )
    assert sectors.map_raw_label("robotic", seeds) == "ICT"
    monkeypatch.setenv("ATLAS_SEEDS_DIR", str(seeds))
    assert sectors.map_raw_label("Robotic") == "ICT" and sectors.sector_map()["robotic"] == "ICT"
    monkeypatch.delenv("ATLAS_SEEDS_DIR")
    assert sectors.map_raw_label("Robotic") == "Advanced Manufacturing"
    with pytest.raises(SeedError, match="'Robotic' maps to 'ICT'"):  # cl-agu-craa is Advanced Manufacturing
        load_records(seeds)


def test_a_missing_states_csv_is_reported(seeds):
    (seeds / "states.csv").unlink()
    with pytest.raises(SeedError, match="states.csv — expected the file to exist"):
        load_records(seeds)


@pytest.mark.parametrize(
    ("label", "until", "expected"),
    [
        ("", "2019-06-23", "an empty value when label is empty"),
        ("Gold Label", "2019/06/23", "a date YYYY-MM-DD"),
        ("Gold Label", "2019-02-30", "a date YYYY-MM-DD"),
        ("Gold Label", "20190623", "a date YYYY-MM-DD"),
    ],
)
def test_label_valid_until_is_checked(seeds, label, until, expected):
    _rewrite_first_row(seeds, "clusters.csv", lambda row: row.update(label=label, label_valid_until=until))
    with pytest.raises(SeedError) as err:
        load_records(seeds)
    assert any("clusters.csv, line 2, column 'label_valid_until'" in p and expected in p for p in err.value.problems)


def test_a_label_and_its_date_load(seeds):
    _rewrite_first_row(
        seeds, "clusters.csv", lambda row: row.update(label="Silver Label", label_valid_until="2021-02-15")
    )
    first = load_records(seeds).set_index("id").loc["cl-agu-conimueble"]
    assert (first["label"], first["label_valid_until"]) == ("Silver Label", "2021-02-15")
