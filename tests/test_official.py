"""INEGI's tables as shipped in geo/data/inegi/, their loaders and the build script that copies them."""

import hashlib
import importlib.util
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from geo import official
from geo.official import OfficialDataError
from geo.paths import REPO_ROOT
from geo.sectors import SECTORS

SCRIPT = REPO_ROOT / "scripts" / "build_official.py"
# From ../shared/data/README.md (the first two) and the copy first taken (the catalog, unpublished).
SHA256 = {
    "population_by_state_2020.csv": "9100a65be7c72d8f9530a65610d850cdc3354b650042c958b44e55fe7ef32164",
    "exports_by_state_subsector_2007_2025.csv": "717a071c20e182ccff785699736d5bc466a62f2965a6c5d1c6d3aabcd59c9359",
    "subsector_catalog.csv": "20cf7dca6f07c99fdad89c7dbbef4d662e29ecda3f2b511b1c82032fce6b038b",
}


def _build_script():
    spec = importlib.util.spec_from_file_location("build_official", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", SHA256)
def test_shipped_file_matches_its_checksum(name):
    assert hashlib.sha256((official.INEGI_DIR / name).read_bytes()).hexdigest() == SHA256[name]


def test_build_script_pins_the_same_checksums():
    pinned = {path.rsplit("/", 1)[1]: digest for path, digest in _build_script().FILES.items()}
    assert pinned == SHA256


def test_population_adds_up_to_the_census_total():
    population = official.load_population()
    assert list(population["state_code"]) == list(official.STATE_CODES)
    assert population["population"].sum() == 126_014_024
    assert population.set_index("state_code").loc["09", "population"] == 9_209_944  # Ciudad de México


def test_exports_shape_and_the_documented_2025_total():
    exports = official.load_exports()
    assert len(exports) == 16_416 == 19 * 32 * 27
    assert (exports["year"].min(), exports["year"].max()) == official.EXPORT_YEARS
    assert exports.loc[exports["year"] == 2025, "usd"].sum() == 602_421_110 * 1000  # INEGI: 602,421 million
    assert set(exports["status"]) == set(official.STATUSES)
    assert (exports["usd"].notna() == (exports["status"] == "available")).all()


@pytest.mark.parametrize(
    ("year", "state", "scian", "status", "usd"),
    [
        (2025, "05", "336", "available", 40_785_200_000.0),  # VAL_USD 40785200 thousand
        (2025, "05", "114", "available", 0.0),  # a real 0: no exports
        (2025, "05", "321", "confidential", None),
        (2025, "05", "211", "not available", None),
        (2019, "04", "327", "under 500 USD", None),  # "No significativo"
        (2015, "01", "111", "not available", None),  # agriculture series begin in 2018
        (2007, "09", "000", "available", 0.0),
    ],
)
def test_exports_statuses_and_dollars(year, state, scian, status, usd):
    exports = official.load_exports().set_index(["year", "state_code", "scian"])
    row = exports.loc[(year, state, scian)]
    assert row["status"] == status
    assert (pd.isna(row["usd"]) and usd is None) or row["usd"] == usd


def test_revisions():
    exports = official.load_exports()
    assert exports.groupby("revision")["year"].agg(["min", "max"]).to_dict("index") == {
        "final": {"min": 2007, "max": 2017},
        "revised": {"min": 2018, "max": 2024},
        "preliminary": {"min": 2025, "max": 2025},
    }


def test_loaders_return_copies():
    exports, population, subsectors = official.load_exports(), official.load_population(), official.load_subsectors()
    exports["usd"], population["population"], subsectors["336"] = 0.0, 0, "changed"
    assert official.load_exports()["usd"].isna().any()
    assert official.load_population()["population"].sum() == 126_014_024
    assert official.load_subsectors()["336"] == "Fabricación de equipo de transporte"


def _edit_line(path, number, old, new):
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[number - 1], lines[number - 1]
    lines[number - 1] = lines[number - 1].replace(old, new)
    path.write_text("".join(lines), encoding="utf-8")


@pytest.mark.parametrize(
    ("file", "line", "old", "new", "message"),
    [
        ("population_by_state_2020.csv", 3, "1425607,", "1425608,", "add up to 126,014,025"),
        ("population_by_state_2020.csv", 3, "01,", "33,", "ENTIDAD has ['33']"),
        (
            "exports_by_state_subsector_2007_2025.csv",
            3,
            "No disponible",
            "Reservado",
            "ESTATUS_CIFRA has ['Reservado']",
        ),
        (
            "exports_by_state_subsector_2007_2025.csv",
            3,
            ",,No disponible",
            ",5,No disponible",
            "(line 3): VAL_USD must be a number",
        ),
        ("exports_by_state_subsector_2007_2025.csv", 2, "15525,", "-1,", "(line 2): VAL_USD"),
        ("exports_by_state_subsector_2007_2025.csv", 2, "2007,", "2006,", "ANIO has ['2006']"),
        ("exports_by_state_subsector_2007_2025.csv", 3, ",111,", ",000,", "one row per year x state x subsector"),
        ("exports_by_state_subsector_2007_2025.csv", 1, "VAL_USD", "VALOR", "columns are"),
    ],
)
def test_a_damaged_table_is_refused_with_its_name(tmp_path, monkeypatch, file, line, old, new, message):
    for name in SHA256:
        shutil.copy(official.INEGI_DIR / name, tmp_path / name)
    _edit_line(tmp_path / file, line, old, new)
    monkeypatch.setattr(official, "INEGI_DIR", tmp_path)
    loader = official.load_population if file.startswith("population") else official.load_exports
    with pytest.raises(OfficialDataError, match="^" + file) as error:
        loader()
    assert message in str(error.value)


def test_a_missing_table_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(official, "INEGI_DIR", tmp_path)
    with pytest.raises(OfficialDataError, match="population_by_state_2020.csv: not found"):
        official.load_population()


# --- the build script ---


def _source(tmp_path):
    """A copy of the shared data folder's layout, made from the shipped files."""
    for path in _build_script().FILES:
        target = tmp_path / "source" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(official.INEGI_DIR / target.name, target)
    return tmp_path / "source"


def _run(*args):
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, check=False)


def test_build_copies_byte_for_byte(tmp_path):
    done = _run("--source", _source(tmp_path), "--out", tmp_path / "out")
    assert done.returncode == 0, done.stderr
    for name in SHA256:
        assert (tmp_path / "out" / name).read_bytes() == (official.INEGI_DIR / name).read_bytes()


@pytest.mark.parametrize("name", list(_build_script().FILES))
def test_build_refuses_a_file_with_another_checksum(tmp_path, name):
    source = _source(tmp_path)
    with (source / name).open("a", encoding="utf-8") as file:
        file.write("\n")
    done = _run("--source", source, "--out", tmp_path / "out")
    assert done.returncode != 0
    assert f"{name}: sha256 is" in done.stderr and SHA256[name.rsplit("/", 1)[1]] in done.stderr
    assert not (tmp_path / "out").exists()  # nothing written, not even the files that matched


def test_build_names_a_missing_source(tmp_path):
    done = _run("--source", tmp_path, "--out", tmp_path / "out")
    assert done.returncode != 0 and "not found; pass --source DIR" in done.stderr


# --- the crosswalk ---


def test_every_sector_is_in_the_crosswalk_and_codes_are_in_the_catalog():
    crosswalk = official.load_crosswalk()
    assert list(crosswalk) == list(SECTORS)
    catalog = official.load_subsectors()
    assert all(code in catalog and code != official.UNSPECIFIED for codes in crosswalk.values() for code in codes)


@pytest.mark.parametrize(
    ("sector", "codes"),
    [
        ("Aerospace", ("336",)),
        ("Automotive", ("336",)),
        ("Electronics & Appliances", ("334", "335")),
        ("Agrifood", ("111", "112", "114", "311", "312")),
        ("Tourism", ()),
        ("Financial Services", ()),
    ],
)
def test_crosswalk_choices(sector, codes):
    assert official.load_crosswalk()[sector] == codes


def test_shared_codes():
    assert official.shared_codes() == {
        "325": ("Biotechnology", "Chemicals & Petroleum"),
        "334": ("ICT", "Electronics & Appliances"),
        "336": ("Aerospace", "Automotive"),
    }


def test_subsector_codes_counts_a_shared_code_once():
    assert official.subsector_codes(("Aerospace", "Automotive", "ICT")) == ("334", "336")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: [r for r in rows if r["sector"] != "Mining"], "no row for Mining"),
        (lambda rows: rows + [{"sector": "Mining", "scian": "999", "note": "x"}], "scian must be a subsector"),
        (lambda rows: rows + [{"sector": "Mining", "scian": "000", "note": "x"}], "other than 000"),
        (lambda rows: rows + [{"sector": "Mining", "scian": "212", "note": "again"}], "same code twice"),
        (
            lambda rows: rows + [{"sector": "Tourism", "scian": "339", "note": "souvenirs"}],
            "Tourism: an empty scian row",
        ),
        (lambda rows: rows + [{"sector": "Space", "scian": "336", "note": "x"}], "sector has ['Space']"),
        (lambda rows: [r | {"note": " "} if r["scian"] == "212" else r for r in rows], "needs a note"),
    ],
)
def test_a_bad_crosswalk_is_refused(tmp_path, change, message):
    rows = official.load_crosswalk_table().to_dict("records")
    pd.DataFrame(change(rows)).to_csv(tmp_path / official.CROSSWALK_FILE, index=False)
    with pytest.raises(OfficialDataError, match="^scian_crosswalk.csv") as error:
        official.load_crosswalk(tmp_path)
    assert message in str(error.value)
