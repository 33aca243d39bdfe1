"""INEGI's official tables: population 2020 and merchandise exports by state and SCIAN subsector.

The files are copied into geo/data/inegi/ by scripts/build_official.py (provenance and licence in
geo/data/inegi/README.md); seeds/scian_crosswalk.csv ties the atlas's sectors to the subsectors.
Each file is read and checked once per process; callers get copies they may modify.
"""

from functools import lru_cache
from pathlib import Path

import pandas as pd

from geo import schema
from geo.paths import GEO_DATA_DIR, seeds_dir
from geo.sectors import SECTORS

INEGI_DIR = GEO_DATA_DIR / "inegi"
POPULATION_FILE = "population_by_state_2020.csv"
EXPORTS_FILE = "exports_by_state_subsector_2007_2025.csv"
CATALOG_FILE = "subsector_catalog.csv"
CROSSWALK_FILE = "scian_crosswalk.csv"

POPULATION_SOURCE = "INEGI, Censo de Población y Vivienda 2020, ITER"
EXPORTS_SOURCE = "INEGI, Exportaciones por Entidad Federativa 2007-2025"

STATE_CODES = tuple(f"{n:02d}" for n in range(1, 33))
NATIONAL_CODE = "00"
EXPORT_YEARS = (2007, 2025)  # the file's first and last year; load_exports() checks it
UNSPECIFIED = "000"  # INEGI: the sum of the subsectors withheld as confidential
AGRICULTURE = ("111", "112", "114")  # SCIAN sector 11, whose series begin in AGRICULTURE_FROM
AGRICULTURE_FROM = 2018

STATUSES = ("available", "not available", "confidential", "under 500 USD")
_STATUS = dict(zip(("Disponible", "No disponible", "Confidencial", "No significativo"), STATUSES, strict=True))
REVISIONS = ("final", "revised", "preliminary")
_REVISION = dict(zip(("Cifras Definitivas", "Cifras Revisadas", "Cifras Preliminares"), REVISIONS, strict=True))
_EXPORT_COLUMNS = ["ANIO", "CVE_ENT", "CODIGO_SCIAN", "VAL_USD", "ESTATUS_CIFRA", "ESTATUS"]
_POPULATION_COLUMNS = ["ENTIDAD", "NOM_ENT", "MUN", "LOC", "POBTOT", "POBFEM", "POBMAS"]
_CROSSWALK_COLUMNS = list(schema.CROSSWALK_FILE.names)


class OfficialDataError(ValueError):
    """An official table or the crosswalk is not what the atlas expects; the message names the file."""


def load_population() -> pd.DataFrame:
    """The 32 states: state_code ("01".."32"), population (int, census 2020), sorted by state_code."""
    return _population(INEGI_DIR / POPULATION_FILE).copy()


def load_exports() -> pd.DataFrame:
    """Every state x subsector x year, 2007-2025 (16,416 rows).

    Columns: year (int), state_code (str), scian (str, e.g. "336"; "000" = confidential subsectors),
    usd (float, US dollars; NaN unless status is "available"; 0 = no exports), status (one of
    STATUSES), revision (one of REVISIONS: INEGI's final, revised or preliminary figures).
    """
    return _exports(INEGI_DIR / EXPORTS_FILE, INEGI_DIR / CATALOG_FILE).copy()


def load_subsectors() -> dict[str, str]:
    """SCIAN 2007 subsector code -> INEGI's Spanish description, in catalog order."""
    return dict(_catalog(INEGI_DIR / CATALOG_FILE))


def load_crosswalk_table(folder: Path | None = None) -> pd.DataFrame:
    """scian_crosswalk.csv (sector, scian, note; scian "" = no goods subsector), checked."""
    return _crosswalk_rows(_crosswalk_path(folder)).copy()


def load_crosswalk(folder: Path | None = None) -> dict[str, tuple[str, ...]]:
    """Every sector of SECTORS -> its SCIAN subsector codes (empty tuple: none), from the seeds folder."""
    rows = _crosswalk_rows(_crosswalk_path(folder))
    # one groupby, not a mask per sector (~16 ms a call, paid once per export year of a metric)
    codes = rows[rows["scian"] != ""].groupby("sector", sort=False)["scian"].agg(tuple)
    return {s: codes.get(s, ()) for s in SECTORS}


def shared_codes(crosswalk: dict[str, tuple[str, ...]] | None = None) -> dict[str, tuple[str, ...]]:
    """Code -> the sectors it serves, for the codes serving more than one (their exports are one figure)."""
    crosswalk = load_crosswalk() if crosswalk is None else crosswalk
    serves: dict[str, list[str]] = {}
    for sector, codes in crosswalk.items():
        for code in codes:
            serves.setdefault(code, []).append(sector)
    return {code: tuple(sectors) for code, sectors in sorted(serves.items()) if len(sectors) > 1}


def subsector_codes(sectors: tuple[str, ...], crosswalk: dict[str, tuple[str, ...]] | None = None) -> tuple[str, ...]:
    """The codes `sectors` map to, each once, sorted."""
    crosswalk = load_crosswalk() if crosswalk is None else crosswalk
    return tuple(sorted({code for sector in sectors for code in crosswalk[sector]}))


# --- reading and checking ---


def _fail(path: Path, problem: str, lines: list[int] | None = None) -> None:
    where = f" (line {', '.join(map(str, lines[:5]))}{', ...' if len(lines) > 5 else ''})" if lines else ""
    raise OfficialDataError(f"{path.name}{where}: {problem}; rebuild it with scripts/build_official.py")


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        _fail(path, f"not found in {path.parent}")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    if list(frame.columns) != columns:
        _fail(path, f"columns are {list(frame.columns)}, expected {columns}")
    return frame


def _bad_lines(mask: pd.Series) -> list[int]:
    return [int(i) + 2 for i in mask[mask].index]  # +1 for the header, +1 for 1-based lines


def _check_values(path: Path, frame: pd.DataFrame, column: str, allowed) -> None:
    bad = ~frame[column].isin(list(allowed))
    if bad.any():
        values = sorted(set(frame.loc[bad, column]))[:5]
        _fail(path, f"{column} has {values}, expected one of {', '.join(allowed)}", _bad_lines(bad))


@lru_cache(maxsize=1)
def _population(path: Path) -> pd.DataFrame:
    raw = _read(path, _POPULATION_COLUMNS)
    _check_values(path, raw, "ENTIDAD", (NATIONAL_CODE, *STATE_CODES))
    if raw["ENTIDAD"].duplicated().any() or len(raw) != len(STATE_CODES) + 1:
        _fail(path, f"expected one row per state plus the national row {NATIONAL_CODE}, got {len(raw)} rows")
    bad = ~raw["POBTOT"].str.fullmatch(r"\d+")
    if bad.any():
        _fail(path, "POBTOT must be a whole number", _bad_lines(bad))
    population = raw["POBTOT"].astype(int)
    national = int(population[raw["ENTIDAD"] == NATIONAL_CODE].iloc[0])
    states = raw["ENTIDAD"] != NATIONAL_CODE
    if int(population[states].sum()) != national:
        _fail(path, f"the states add up to {population[states].sum():,}, the national row says {national:,}")
    frame = pd.DataFrame({"state_code": raw.loc[states, "ENTIDAD"], "population": population[states]})
    return frame.sort_values("state_code", ignore_index=True)


@lru_cache(maxsize=1)
def _catalog(path: Path) -> dict[str, str]:
    raw = _read(path, ["CODIGO_SCIAN", "DESCRIPCION", "VERSION"])
    bad = ~raw["CODIGO_SCIAN"].str.fullmatch(r"\d{3}") | raw["CODIGO_SCIAN"].duplicated() | (raw["VERSION"] != "2007")
    if bad.any():
        _fail(path, "each row needs a unique three-digit SCIAN code, VERSION 2007", _bad_lines(bad))
    return dict(zip(raw["CODIGO_SCIAN"], raw["DESCRIPCION"], strict=True))


@lru_cache(maxsize=1)
def _exports(path: Path, catalog_path: Path) -> pd.DataFrame:
    raw = _read(path, _EXPORT_COLUMNS)
    first, last = EXPORT_YEARS
    years = [str(y) for y in range(first, last + 1)]
    _check_values(path, raw, "ANIO", years)
    _check_values(path, raw, "CVE_ENT", STATE_CODES)
    _check_values(path, raw, "CODIGO_SCIAN", _catalog(catalog_path))
    _check_values(path, raw, "ESTATUS_CIFRA", _STATUS)
    _check_values(path, raw, "ESTATUS", _REVISION)
    available = raw["ESTATUS_CIFRA"] == "Disponible"
    bad = available != raw["VAL_USD"].str.fullmatch(r"\d+(\.\d+)?")
    if bad.any():
        problem = "VAL_USD must be a number (thousand USD, not negative) exactly where ESTATUS_CIFRA is Disponible"
        _fail(path, problem, _bad_lines(bad))
    keys = ["ANIO", "CVE_ENT", "CODIGO_SCIAN"]
    expected = len(years) * len(STATE_CODES) * len(_catalog(catalog_path))
    if raw.duplicated(keys).any() or len(raw) != expected:
        _fail(path, f"expected one row per year x state x subsector ({expected:,} rows), got {len(raw):,}")
    return pd.DataFrame(
        {
            "year": raw["ANIO"].astype(int),
            "state_code": raw["CVE_ENT"],
            "scian": raw["CODIGO_SCIAN"],
            "usd": pd.to_numeric(raw["VAL_USD"].where(available)) * 1000,  # VAL_USD is in thousands
            "status": raw["ESTATUS_CIFRA"].map(_STATUS),
            "revision": raw["ESTATUS"].map(_REVISION),
        }
    )


def _crosswalk_path(folder: Path | None) -> Path:
    return (seeds_dir() if folder is None else Path(folder)) / CROSSWALK_FILE


@lru_cache(maxsize=8)  # keyed on the path: another seeds folder is another table
def _crosswalk_rows(path: Path) -> pd.DataFrame:
    rows = _read(path, _CROSSWALK_COLUMNS)
    catalog = load_subsectors()
    _check_values(path, rows, "sector", SECTORS)
    coded = rows["scian"] != ""
    bad = coded & (~rows["scian"].isin(list(catalog)) | (rows["scian"] == UNSPECIFIED))
    if bad.any():
        _fail(path, f"scian must be a subsector of {CATALOG_FILE} other than {UNSPECIFIED}, or empty", _bad_lines(bad))
    bad = rows["note"].str.strip() == ""
    if bad.any():
        _fail(path, "every row needs a note saying why", _bad_lines(bad))
    bad = rows.duplicated(["sector", "scian"])
    if bad.any():
        _fail(path, "a sector lists the same code twice", _bad_lines(bad))
    mixed = rows.groupby("sector")["scian"].agg(lambda codes: (codes == "").any() and len(codes) > 1)
    if mixed.any():
        _fail(path, f"{', '.join(mixed[mixed].index)}: an empty scian row must be the sector's only row")
    missing = [s for s in SECTORS if s not in set(rows["sector"])]
    if missing:
        _fail(path, f"no row for {', '.join(missing)}; every sector needs one (an empty scian if it has no code)")
    return rows
