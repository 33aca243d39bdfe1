"""The map's metrics on small hand-built tables, then a few checks on the real data."""

import math

import numpy as np
import pandas as pd
import pytest

from geo import boundaries, join, metrics, names, official, seeds
from geo.i18n import translator
from geo.metrics import LQ_MIN_RECORDS, MetricError, MetricValues, export_series, ranking, state_metric
from geo.official import STATE_CODES
from geo.paths import REPO_ROOT
from geo.sectors import SECTORS, UnknownSectorError
from geo.view import sector_key, tap_sectors

NAN = math.nan

# --- hand-built tables ---


def records_table(*groups):
    """(state_code, kind, sector, how many) groups -> a records frame."""
    rows = [(state, kind, sector) for state, kind, sector, n in groups for _ in range(n)]
    return pd.DataFrame(rows, columns=["state_code", "kind", "sector"])


# 01: 3 Aerospace clusters, 2 Aerospace projects, 1 ICT cluster; 02: 1 ICT project;
# 03: 2 ICT clusters, 3 ICT projects; 1 Aerospace cluster with no state.
RECORDS = records_table(
    ("01", "cluster", "Aerospace", 3),
    ("01", "project", "Aerospace", 2),
    ("01", "cluster", "ICT", 1),
    ("02", "project", "ICT", 1),
    ("03", "cluster", "ICT", 2),
    ("03", "project", "ICT", 3),
    ("", "cluster", "Aerospace", 1),
)
POPULATION = pd.DataFrame(
    {"state_code": list(STATE_CODES), "population": [2_000_000, 1_000_000, 10_000_000] + [1_000_000] * 29}
)


def exports_table(cells, year=2025):
    """Every state x catalog code for `year`: available US$0 unless `cells` {(state, code): usd or status}."""
    rows = []
    for state in STATE_CODES:
        for code in official.load_subsectors():
            cell = cells.get((state, code), 0.0)
            status, usd = ("available", float(cell)) if not isinstance(cell, str) else (cell, NAN)
            rows.append((year, state, code, usd, status, "preliminary" if year == 2025 else "revised"))
    return pd.DataFrame(rows, columns=["year", "state_code", "scian", "usd", "status", "revision"])


def value(result: MetricValues, state: str):
    return result.values[state], result.text[state]


def same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b)


# --- record metrics ---


@pytest.mark.parametrize(
    ("key", "sectors", "state", "expected", "text"),
    [
        ("records", (), "01", 6, "6"),
        ("records", ("Aerospace",), "01", 5, "5"),
        ("records", ("Aerospace",), "02", 0, "0"),
        ("records", tuple(SECTORS), "03", 5, "5"),  # every sector named = all sectors
        ("clusters", ("Aerospace",), "01", 3, "3"),
        ("clusters", (), "03", 2, "2"),
        ("projects", ("Aerospace",), "01", 2, "2"),
        ("projects", ("ICT", "Aerospace"), "03", 3, "3"),
        ("per_million", (), "01", 3.0, "3.0"),  # 6 records, 2 million inhabitants
        ("per_million", (), "03", 0.5, "0.50"),  # under 1: two decimals
        ("per_million", ("Aerospace",), "03", 0, "0"),
        ("share", ("Aerospace",), "01", 100, "100.0%"),  # the unplaced Aerospace record is in no share
        ("share", (), "01", 50, "50.0%"),  # 6 of 12 placed records
        ("share", (), "02", 100 / 12, "8.3%"),
        ("lq", ("Aerospace",), "01", 2.0, "2.00"),  # (5/6) / (5/12)
        ("lq", ("Aerospace",), "03", 0.0, "0.00"),  # enough records, none in the sector: a real 0
        ("lq", ("Aerospace",), "02", NAN, f"Too few records (1; needs {LQ_MIN_RECORDS})"),
        ("lq", ("Aerospace",), "04", NAN, f"Too few records (0; needs {LQ_MIN_RECORDS})"),
        ("lq", ("ICT",), "03", 12 / 7, "1.71"),  # (5/5) / (7/12)
        ("lq", (), "01", NAN, "Choose one or more sectors"),
        ("lq", tuple(SECTORS), "01", NAN, "Choose one or more sectors"),
        ("lq", ("Tourism",), "01", NAN, "No records in the chosen sectors"),
        ("share", ("Tourism",), "01", NAN, "No records in the chosen sectors"),
    ],
)
def test_record_metrics(key, sectors, state, expected, text):
    result = state_metric(key, RECORDS, sectors=sectors, population=POPULATION)
    got, shown = value(result, state)
    assert same(got, expected) and shown == text
    assert list(result.values.index) == list(result.text.index) == list(STATE_CODES)


def test_share_says_how_many_records_have_no_state():
    assert state_metric("share", RECORDS, sectors=("Aerospace",)).notes == (
        "1 record with no single state is in no state's share.",
    )


def test_shares_add_up_to_100():
    assert state_metric("share", RECORDS).values.sum() == pytest.approx(100)


# --- export metrics ---

EXPORTS = exports_table(
    {
        ("01", "336"): 5e9,
        ("01", "334"): 2e6,
        ("01", "335"): "confidential",
        ("01", "000"): 1e6,
        ("02", "336"): "confidential",
        ("02", "334"): "confidential",
        ("02", "335"): "not available",
        ("02", "000"): 3e6,
        ("03", "336"): "not available",
        ("04", "336"): "under 500 USD",
        ("05", "336"): 250_000.0,
        ("06", "334"): 1e6,
        ("06", "335"): 1e6,
    }
)


@pytest.mark.parametrize(
    ("sectors", "state", "expected", "text"),
    [
        (("Aerospace",), "01", 5e9, "US$5,000.0 million"),
        (("Aerospace", "Automotive"), "01", 5e9, "US$5,000.0 million"),  # 336 once, not twice
        (("Electronics & Appliances",), "01", 2e6, "at least US$2.0 million; 1 subsector confidential"),
        (("Electronics & Appliances", "ICT"), "06", 2e6, "US$2.0 million"),  # 334 once
        (("Automotive",), "02", NAN, "Confidential"),
        (("Automotive",), "03", NAN, "Not available"),
        (("Automotive",), "04", NAN, "Under 500 USD"),
        (("Automotive",), "05", 250_000, "US$250 thousand"),
        (("Automotive",), "06", 0, "US$0 (no exports)"),  # a real 0 stays 0
        (("Electronics & Appliances",), "02", NAN, "Not available / Confidential"),
        (("Automotive", "Electronics & Appliances"), "02", NAN, "Not available / Confidential"),
        ((), "01", 5e9 + 3e6, "US$5,003.0 million"),  # the total: confidential 335 is inside 000
        ((), "02", 3e6, "US$3.0 million"),
        (("Tourism",), "01", NAN, "No goods subsector"),
        (("Tourism", "Aerospace"), "01", 5e9, "US$5,000.0 million"),
    ],
)
def test_exports(sectors, state, expected, text):
    result = state_metric("exports", RECORDS, sectors=sectors, export_year=2025, exports=EXPORTS)
    got, shown = value(result, state)
    assert same(got, expected) and shown == text


@pytest.mark.parametrize(
    ("sectors", "note"),
    [
        (
            ("Aerospace",),
            "Aerospace and Automotive share SCIAN 336 (Fabricación de equipo de transporte): their exports are one figure.",
        ),
        (("ICT",), "ICT and Electronics & Appliances share SCIAN 334"),
        (("Biotechnology",), "Biotechnology and Chemicals & Petroleum share SCIAN 325"),
        (("Electronics & Appliances",), "'At least': a sum missing subsectors"),
        (("Tourism",), "Tourism: no merchandise subsector in INEGI's table"),
        (("Tourism", "Logistics", "Mining"), "No merchandise subsector for Logistics and Tourism (services)"),
        ((), "State totals: all subsectors, confidential ones included through INEGI's code 000."),
        ((), "2025 figures are preliminary (INEGI)."),
    ],
)
def test_export_notes(sectors, note):
    result = state_metric("exports", RECORDS, sectors=sectors, export_year=2025, exports=EXPORTS)
    assert any(n.startswith(note) for n in result.notes), result.notes


@pytest.mark.parametrize(
    ("lang", "sectors", "state", "text", "note"),
    [
        ("es", ("Electronics & Appliances",), "01", "al menos US$2.0 millones; 1 subsector confidencial",
         "«Al menos»: una suma a la que le faltan subsectores"),
        ("zh", ("Electronics & Appliances",), "01", "至少 2.0 百万美元；1 个子行业保密", "“至少”：合计中缺少"),
        ("es", ("Electronics & Appliances",), "02", "No disponible / Confidencial", "Las cifras de 2025 son preliminares"),
        ("zh", ("Automotive",), "05", "250 千美元", "航空航天和汽车共用 SCIAN 336（Fabricación de equipo de transporte）"),
        ("es", ("Tourism", "Logistics", "Mining"), "01", "US$0 (sin exportaciones)",
         "Sin subsector de mercancías para Logística y Turismo (servicios)"),
        ("zh", ("Tourism",), "01", "无商品子行业", "旅游：INEGI 表中没有商品子行业"),
    ],
)  # fmt: skip
def test_export_texts_and_notes_in_the_language(lang, sectors, state, text, note):
    """Words translated, numbers as Python writes them, INEGI's subsector names as written."""
    tr = translator(lang)
    result = state_metric("exports", RECORDS, sectors=sectors, export_year=2025, exports=EXPORTS, tr=tr)
    assert value(result, state)[1] == text
    assert any(n.startswith(note) for n in result.notes), result.notes


@pytest.mark.parametrize(
    ("lang", "key", "sectors", "state", "text", "note"),
    [
        ("es", "lq", (), "01", "Elija uno o más sectores", "Con todos los sectores elegidos el cociente vale 1"),
        ("zh", "lq", ("Aerospace",), "02", f"记录太少（1 条；需要 {LQ_MIN_RECORDS} 条）", f"衡量已记录的条目，而非就业；记录少于 {LQ_MIN_RECORDS} 条"),
        ("es", "share", ("Aerospace",), "09", "0%", "1 registro sin un solo estado no entra"),
        ("es", "share", ("Tourism",), "01", "Sin registros en los sectores elegidos", None),
    ],
)  # fmt: skip
def test_record_metric_texts_and_notes_in_the_language(lang, key, sectors, state, text, note):
    result = state_metric(key, RECORDS, sectors=sectors, tr=translator(lang))
    assert value(result, state)[1] == text
    assert note is None or any(n.startswith(note) for n in result.notes), result.notes


@pytest.mark.parametrize(("sectors", "flagged"), [(("Mining",), False), (("Aerospace",), False)])
def test_no_lower_bound_note_without_a_lower_bound(sectors, flagged):
    result = state_metric("exports", RECORDS, sectors=sectors, export_year=2025, exports=EXPORTS)
    assert any(n.startswith("'At least'") for n in result.notes) is flagged


@pytest.mark.parametrize(("year", "sectors", "noted"), [(2015, ("Agrifood",), True), (2015, (), True), (2018, ("Agrifood",), False), (2015, ("Mining",), False)])  # fmt: skip
def test_agriculture_series_start_is_noted_before_2018(year, sectors, noted):
    result = state_metric("exports", RECORDS, sectors=sectors, export_year=year, exports=exports_table({}, year))
    assert any("series begin in 2018" in n for n in result.notes) is noted


# 01: 336 60, 334 40 (total 100); 02: 336 20, 334 80 (total 100); national 336 share 80/200 = 0.4.
LQ_EXPORTS = exports_table(
    {
        ("01", "336"): 60e6,
        ("01", "334"): 40e6,
        ("02", "336"): 20e6,
        ("02", "334"): 80e6,
        ("03", "336"): "confidential",
        ("03", "000"): 10e6,
        ("04", "334"): 5e6,
        ("04", "335"): "confidential",
        ("04", "000"): 1e6,
    }
)


@pytest.mark.parametrize(
    ("sectors", "state", "expected", "text"),
    [
        (("Automotive",), "01", 60 / 100 / (80 / 216), "1.62"),  # national total 216 = 100 + 100 + 10 + 6
        (("Automotive",), "02", 20 / 100 / (80 / 216), "0.54"),
        (("Automotive",), "03", NAN, "Confidential"),
        (("Automotive",), "04", 0.0, "0.00"),  # exports, none in 336
        (("Automotive",), "05", NAN, "No exports"),  # a state total of 0
        (("Electronics & Appliances",), "04", NAN, "Incomplete: 1 subsector confidential"),
        ((), "01", NAN, "Choose one or more sectors"),
        (("Tourism",), "01", NAN, "No goods subsector"),
    ],
)
def test_export_lq(sectors, state, expected, text):
    result = state_metric("export_lq", RECORDS, sectors=sectors, export_year=2025, exports=LQ_EXPORTS)
    got, shown = value(result, state)
    assert same(got, expected) and shown == text


def test_export_lq_says_the_national_ratio_lacks_confidential_values():
    result = state_metric("export_lq", RECORDS, sectors=("Automotive",), export_year=2025, exports=LQ_EXPORTS)
    assert "National ratio without confidential values (5.1% of 2025's total, INEGI code 000)." in result.notes


def test_export_series_is_nan_where_a_subsector_is_missing():
    frames = [exports_table({("01", "334"): 1e6, ("01", "335"): 2e6}, 2024)]
    frames.append(exports_table({("01", "334"): 3e6, ("01", "335"): "confidential"}, 2025))
    series = export_series(["01", "02"], ("Electronics & Appliances",), exports=pd.concat(frames))
    assert list(series.index) == list(range(2007, 2026)) and list(series.columns) == ["01", "02"]
    assert series.loc[2024, "01"] == 3e6 and math.isnan(series.loc[2025, "01"])
    assert series.loc[2025, "02"] == 0 and series.loc[:2023].isna().all().all()  # years not in the table


# --- ranking ---


def test_ranking_order_ties_and_missing_values():
    index = pd.Index(STATE_CODES, name="state_code")
    numbers = pd.Series(NAN, index=index)
    numbers[["01", "02", "03", "32"]] = [2.0, 5.0, 2.0, 0.0]
    result = MetricValues(metrics.METRICS["lq"], numbers, numbers.map(lambda v: "none" if math.isnan(v) else f"{v:.2f}"), ())  # fmt: skip
    states = names.load_state_table()[["state_code", "state"]]
    counts = states.assign(clusters=range(32), projects=1)
    table = ranking(result, counts)
    assert list(table.index[:4]) == ["02", "01", "03", "32"]  # 01 and 03 tie: Aguascalientes, Baja California Sur
    assert list(table["rank"][:4]) == [1, 2, 2, 4]
    assert table["rank"][4:].isna().all() and table["value"][4:].isna().all()
    rest = list(table["state"][4:])
    assert rest == sorted(rest) and rest[0] == "Campeche"
    assert list(table.columns) == ["rank", "state", "value", "text", "clusters", "projects"]
    assert table.loc["02", "clusters"] == 1 and table.loc["02", "text"] == "5.00"


def test_ranking_needs_the_counts_columns():
    with pytest.raises(ValueError, match="counts lacks column"):
        ranking(state_metric("records", RECORDS), pd.DataFrame({"state_code": ["01"]}))


# --- bad input ---


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda: state_metric("gdp", RECORDS),
            MetricError,
            "unknown metric 'gdp'; valid: records, clusters, projects, per_million, share, lq, exports, export_lq",
        ),
        (
            lambda: state_metric("records", RECORDS, sectors=("Space",)),
            UnknownSectorError,
            "unknown sectors ['Space']; valid: Aerospace",
        ),
        (
            lambda: state_metric("exports", RECORDS, export_year=2006),
            MetricError,
            "export year 2006 is not available; INEGI's exports cover 2007-2025",
        ),
        (lambda: state_metric("exports", RECORDS, export_year=2026), MetricError, "cover 2007-2025"),
        (lambda: state_metric("export_lq", RECORDS), MetricError, "export year None"),
        (lambda: state_metric("exports", RECORDS, export_year="2025"), MetricError, "export year '2025'"),
        (
            lambda: state_metric("records", records_table(("33", "cluster", "ICT", 1))),
            ValueError,
            "unknown state codes ['33']",
        ),
        (
            lambda: state_metric("records", records_table(("01", "cluster", "Space", 1))),
            UnknownSectorError,
            "records have unknown sectors ['Space']",
        ),
        (
            lambda: state_metric("records", RECORDS[["state_code", "kind"]]),
            ValueError,
            "records lacks column(s) sector",
        ),
        (
            lambda: state_metric("per_million", RECORDS, population=POPULATION[POPULATION.state_code != "07"]),
            ValueError,
            "positive figure for state(s) 07",
        ),
        (
            lambda: state_metric("exports", RECORDS, export_year=2025, exports=EXPORTS[EXPORTS.state_code != "07"]),
            ValueError,
            "no rows for state(s) 07",
        ),
        (lambda: export_series(["1"], ()), ValueError, "unknown state codes ['1']; valid: 01..32"),
    ],
)
def test_bad_input_says_what_is_valid(call, error, message):
    with pytest.raises(error) as caught:
        call()
    assert message in str(caught.value)


def test_metric_table():
    assert list(metrics.METRICS) == ["records", "clusters", "projects", "per_million", "share", "lq", "exports", "export_lq"]  # fmt: skip
    assert [m.key for m in metrics.METRICS.values() if m.uses_export_year] == ["exports", "export_lq"]
    assert all(m.label and m.short and m.explanation() and m.source for m in metrics.METRICS.values())
    assert "never employment" in metrics.METRICS["lq"].explanation()
    assert f"al menos {LQ_MIN_RECORDS} registros" in metrics.METRICS["lq"].explanation(translator("es"))


# --- the real data ---


@pytest.fixture(scope="module")
def real_records():
    return seeds.load_records()


def test_all_sectors_exports_add_up_to_inegi_total(real_records):
    result = state_metric("exports", real_records, export_year=2025)
    assert result.values.sum() == 602_421_110_000  # INEGI's metadata: 602,421 million US dollars
    assert result.values.notna().all()


def test_coahuila_transport_equipment_2025(real_records):
    aerospace = state_metric("exports", real_records, sectors=("Aerospace",), export_year=2025)
    automotive = state_metric("exports", real_records, sectors=("Automotive",), export_year=2025)
    assert aerospace.values["05"] == automotive.values["05"] == 40_785_200_000
    assert aerospace.text["05"] == "US$40,785.2 million"
    assert export_series(["05"], ("Automotive",)).loc[2025, "05"] == 40_785_200_000


def test_agrifood_before_2018_is_a_lower_bound_and_has_no_series(real_records):
    result = state_metric("exports", real_records, sectors=("Agrifood",), export_year=2015)
    lower_bounds = result.text.str.startswith("at least")
    assert lower_bounds.sum() == 31 and result.text["12"] == "Not available / Confidential"  # Guerrero
    assert export_series(["14"], ("Agrifood",)).loc[:2017, "14"].isna().all()


@pytest.mark.parametrize("key", list(metrics.METRICS))
@pytest.mark.parametrize("sectors", [(), ("Aerospace",), ("Agrifood", "Tourism"), ("Tourism",)])
def test_every_metric_gives_every_state_a_text(real_records, key, sectors):
    result = state_metric(key, real_records, sectors=sectors, export_year=2025)
    assert list(result.text.index) == list(STATE_CODES) and (result.text != "").all()
    assert result.values.dtype == float and (result.values.dropna() >= 0).all()


def test_an_integer_year_from_numpy_is_accepted():
    result = state_metric("exports", RECORDS, sectors=("Aerospace",), export_year=np.int64(2025), exports=EXPORTS)
    assert result.values["01"] == 5e9


def test_ranking_of_the_real_records(real_records):
    counts = join.state_counts(boundaries.load_states(), real_records, join.Filters())
    table = ranking(state_metric("records", real_records), counts)
    assert len(table) == 32 and table["rank"].iloc[0] == 1 and table["rank"].notna().all()
    assert table["value"].iloc[0] == counts["records"].max()
    assert (table["value"].to_numpy() == (table["clusters"] + table["projects"]).to_numpy()).all()


def test_docs_page_is_current():
    page = (REPO_ROOT / "docs" / "metrics.md").read_text(encoding="utf-8")
    assert page == metrics.docs_markdown(), "regenerate: uv run python -m geo.metrics > docs/metrics.md"


@pytest.mark.parametrize("key", ["exports", "export_lq"])
@pytest.mark.parametrize("sectors", [(), ("Automotive",), ("ICT", "Energy"), ("Tourism",)])
def test_yearly_values_are_each_years_metric_and_what_the_classes_pool(key, sectors):
    records = seeds.load_records()
    table = metrics.yearly_values(key, sectors=sectors)
    years = list(range(official.EXPORT_YEARS[0], official.EXPORT_YEARS[1] + 1))
    assert list(table.columns) == years and list(table.index) == list(STATE_CODES)
    for year in years:
        expected = state_metric(key, records, sectors=sectors, export_year=year).values / metrics.METRICS[key].scale
        pd.testing.assert_series_equal(table[year], expected, check_names=False)
    pooled = metrics.classed_values(key, records, sectors=sectors)
    np.testing.assert_array_equal(pooled.to_numpy(), table.to_numpy().ravel(order="F"))


def test_yearly_values_are_only_for_the_export_metrics():
    with pytest.raises(
        MetricError, match="'records' does not depend on the export year; the export metrics are exports, export_lq"
    ):
        metrics.yearly_values("records")


@pytest.mark.parametrize("key", [key for key, metric in metrics.METRICS.items() if not metric.uses_export_year])
@pytest.mark.parametrize("sectors", [(), ("Aerospace",), ("ICT", "Energy")])
def test_a_metric_of_the_records_tally_is_the_metric_of_the_records(key, sectors):
    """What app.py caches per filter (the tally, reused by every sector) gives the same values, texts and notes."""
    records = seeds.load_records()
    tally = metrics.tally_of(records)
    assert len(tally.table) < len(records)
    direct, via = state_metric(key, records, sectors=sectors), state_metric(key, tally, sectors=sectors)
    pd.testing.assert_series_equal(via.values, direct.values)
    pd.testing.assert_series_equal(via.text, direct.text)
    assert via.notes == direct.notes


def test_the_export_metrics_need_no_records():
    with_records = state_metric("exports", seeds.load_records(), sectors=("Automotive",), export_year=2019)
    without = state_metric("exports", None, sectors=("Automotive",), export_year=2019)
    pd.testing.assert_series_equal(with_records.values, without.values)


# --- many year ranges at once (the browser's steps of a year-range drag) ---


@pytest.fixture(scope="module")
def dated_records():
    return seeds.load_records()


@pytest.mark.parametrize("key", [key for key, metric in metrics.METRICS.items() if not metric.uses_export_year])
@pytest.mark.parametrize("sectors", [(), ("Automotive",), ("ICT", "Energy")])
@pytest.mark.parametrize("known", [False, True])
def test_range_values_are_the_metric_of_each_ranges_records(dated_records, key, sectors, known):
    bounds = join.year_bounds(dated_records)
    kept = join.filter_columns(dated_records, join.Filters(known_years_only=known), (*metrics.RECORD_COLUMNS, "year"))
    tally = metrics.year_tally_of(kept, bounds)
    ranges = [(bounds[0], bounds[1]), (bounds[0], bounds[0]), (2010, 2015), (bounds[1], bounds[1]), (2008, 2019)]
    table = metrics.range_values(key, tally, ranges, sectors=sectors)
    assert list(table.columns) == [f"{a}-{b}" for a, b in ranges] and list(table.index) == list(STATE_CODES)
    for first, last in ranges:
        timed = join.filter_records(dated_records, join.Filters(years=(first, last), known_years_only=known))
        expected = state_metric(key, timed, sectors=sectors).values / metrics.METRICS[key].scale
        np.testing.assert_array_equal(table[f"{first}-{last}"].to_numpy(), expected.to_numpy())


@pytest.mark.parametrize("key", [key for key, metric in metrics.METRICS.items() if not metric.uses_export_year])
@pytest.mark.parametrize("chosen", [(), ("Automotive",), ("ICT", "Energy")])
@pytest.mark.parametrize(("years", "known"), [(None, False), ((2008, 2018), True), ((2012, 2012), False)])
def test_sector_values_are_the_metric_of_each_selection_one_tap_reaches(dated_records, key, chosen, years, known):
    """Exactly the values the server's run computes for that selection (so both class a state alike)."""
    bounds = join.year_bounds(dated_records)
    years = years or bounds
    kept = join.filter_columns(dated_records, join.Filters(known_years_only=known), (*metrics.RECORD_COLUMNS, "year"))
    choices = {sector_key(each, SECTORS): each for each in tap_sectors(chosen, SECTORS)}
    table = metrics.sector_values(key, metrics.year_tally_of(kept, bounds), years, choices)
    assert list(table.columns) == list(choices) and list(table.index) == list(STATE_CODES)
    timed = join.filter_records(dated_records, join.Filters(years=years, known_years_only=known))
    for name, sectors in choices.items():
        expected = state_metric(key, timed, sectors=sectors).values / metrics.METRICS[key].scale
        np.testing.assert_array_equal(table[name].to_numpy(), expected.to_numpy(), err_msg=name)


@pytest.mark.parametrize("key", [key for key, metric in metrics.METRICS.items() if metric.uses_export_year])
@pytest.mark.parametrize("chosen", [(), ("Automotive",), ("ICT", "Energy"), ("Tourism",)])
def test_sector_yearly_values_are_each_selections_yearly_values(key, chosen):
    """Exactly yearly_values' figures for every selection one tap reaches (Tourism has no goods)."""
    choices = {sector_key(each, SECTORS): each for each in tap_sectors(chosen, SECTORS)}
    tables = metrics.sector_yearly_values(key, choices)
    assert list(tables) == list(choices)
    for name, sectors in choices.items():
        expected = metrics.yearly_values(key, sectors=sectors)
        assert list(tables[name].columns) == list(expected.columns) and list(tables[name].index) == list(STATE_CODES)
        np.testing.assert_array_equal(tables[name].to_numpy(), expected.to_numpy(), err_msg=name)


def test_a_year_tally_counts_the_undated_in_every_range():
    frame = records_table(("01", "cluster", "ICT", 2), ("02", "project", "ICT", 1)).assign(year=[2001, None, 2003])
    frame["year"] = frame["year"].astype("Int64")
    tally = metrics.year_tally_of(frame, (2001, 2003))
    table = metrics.range_values("records", tally, [(2001, 2001), (2002, 2002), (2001, 2003)])
    assert table.loc[["01", "02"]].to_dict("list") == {"2001-2001": [2.0, 0.0], "2002-2002": [1.0, 0.0],
                                                       "2001-2003": [2.0, 1.0]}  # fmt: skip


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda t: metrics.range_values("exports", t, [(2001, 2002)]), MetricError, "'exports' reads INEGI's exports"),
        (lambda t: metrics.range_values("records", t, [(2000, 2002), (2001, 2004)]), MetricError,
         "year ranges 2000-2002, 2001-2004 are outside the tally's 2001-2003"),
        (lambda t: metrics.range_values("records", t, [(2001, 2002)], sectors=("Nope",)), UnknownSectorError, "Nope"),
        (lambda t: metrics.sector_values("export_lq", t, (2001, 2002), {"": ()}), MetricError,
         "'export_lq' reads INEGI's exports"),
        (lambda t: metrics.sector_values("records", t, (2001, 2004), {"": ()}), MetricError,
         "year ranges 2001-2004 are outside the tally's 2001-2003"),
        (lambda t: metrics.sector_values("share", t, (2001, 2002), {"x": ("Nope",)}), UnknownSectorError, "Nope"),
        (lambda t: metrics.sector_yearly_values("records", {"": ()}), MetricError, "'records' reads the records"),
        (lambda t: metrics.sector_yearly_values("exports", {"x": ("Nope",)}), UnknownSectorError, "Nope"),
        (lambda t: metrics.year_tally_of(RECORDS.assign(year=2001), (2002, 2003)), MetricError,
         "records have years outside 2002-2003"),
        (lambda t: metrics.year_tally_of(RECORDS, (2001, 2003)), MetricError, "records lacks column\\(s\\) year"),
    ],
)  # fmt: skip
def test_range_values_say_what_is_wrong(call, error, message):
    tally = metrics.year_tally_of(RECORDS.assign(year=2002), (2001, 2003))
    with pytest.raises(error, match=message):
        call(tally)
