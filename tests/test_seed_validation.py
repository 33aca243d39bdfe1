"""Seed files edited badly: one message per problem, naming file, line, column, value, expectation."""

import shutil

import pytest

from geo.paths import SEEDS_DIR
from geo.seeds import SeedError, load_records


@pytest.fixture
def seeds(tmp_path):
    for name in ("clusters.csv", "projects.csv", "citations.csv", "figures.csv"):
        shutil.copy(SEEDS_DIR / name, tmp_path / name)
    return tmp_path


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
