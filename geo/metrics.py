"""What the map can colour the states by: counts of the atlas's records, per-capita and
specialisation measures, and INEGI's merchandise exports (see docs/metrics.md).

`state_metric(key, records, sectors=...)` takes the records frame already filtered by the view's
years (geo.join.filter_records with Filters(years=..., known_years_only=...), sectors left empty),
or its `tally_of(records)` (all the record metrics read of it, and what a cache keeps per filter),
and the chosen sectors, and returns a value and a display text for each of the 32 states, with
the caveats to show; texts and caveats are in the language of its `tr` (geo.i18n; English by
default, as map images and docs/metrics.md), numbers keep Python's digits (1,374.5: es-MX and
zh-CN group them the same). The official tables default to geo.official's loaders; tests pass
small ones instead.

`python -m geo.metrics` prints docs/metrics.md.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd

from geo import official
from geo.i18n import DEFAULT, Translator, translator
from geo.official import EXPORT_YEARS, EXPORTS_SOURCE, POPULATION_SOURCE, STATE_CODES
from geo.schema import KINDS
from geo.sectors import SECTORS, UnknownSectorError

RECORD_COLUMNS = ("state_code", "kind", "sector")  # all a record metric reads of the records
LQ_MIN_RECORDS = 5  # below this many records in all sectors a state's quotient is noise
ATLAS_SOURCE = "Atlas records (documents cited per record)"
EXPORTS_CREDIT = f"Fuente: {EXPORTS_SOURCE}"
# INEGI's statuses -> the stem of their catalogue keys (metric.status.<stem>, metric.missing.<stem>)
_STATUS_KEY = {"confidential": "confidential", "not available": "unavailable", "under 500 USD": "under500"}


@dataclass(frozen=True)
class Metric:
    key: str  # URL value, e.g. "per_million"
    label: str  # legend title / radio label
    short: str  # compact label for a tooltip line
    source: str  # credit line
    uses_export_year: bool  # the year control picks the export year
    scale: float = 1.0  # legends, class breaks and map images show values / scale
    zero_label: str = "0 \u2014 none recorded in the sources"  # what a 0 means, for the legend

    def explanation(self, tr: Translator | None = None) -> str:
        """One plain-words paragraph (catalogue `metric.<key>.explanation`): what it is, how it is
        computed, its limits."""
        return (tr or translator(DEFAULT)).t(f"metric.{self.key}.explanation", min=LQ_MIN_RECORDS)

    def title(self, export_year: int | None = None) -> str:
        """The legend's and a map image's title: the label in the legend's unit, with the export year."""
        label = self.label.replace("(US$)", "(US$ million)") if self.scale == 1e6 else self.label
        return f"{label}, {export_year}" if self.uses_export_year and export_year else label


@dataclass(frozen=True)
class MetricValues:
    metric: Metric
    values: pd.Series  # index state_code, float; NaN = no value
    text: pd.Series  # index state_code, the display string for every state
    notes: tuple[str, ...]  # caveats to show under the legend


@dataclass(frozen=True)
class Tally:
    """Record counts by state_code (NA: no state), kind and sector (columns state_code, kind,
    sector, n; one row per combination present): what the record metrics read of the records.
    Made by `tally_of(records)`, which checks the records; a few hundred rows for any number of them."""

    table: pd.DataFrame


@dataclass(frozen=True)
class YearTally:
    """The placed records' counts by year, state, kind and sector in one array: `counts[i]` is
    year `first + i`, the last row the undated records (they pass any year range); then the 32
    STATE_CODES, KINDS and SECTORS. Made by `year_tally_of(records, years)`; what `range_values`
    reads to give the metric of many year ranges at once (a few kB for any number of records)."""

    counts: np.ndarray
    first: int


class MetricError(ValueError):
    """Bad input to a metric (unknown key, export year outside the data, a table lacking columns or
    states); the message says what was wrong and what is valid."""


_METRICS = (
    Metric(
        "records",
        "Records (clusters + projects)",
        "records",
        ATLAS_SOURCE,
        False,
    ),
    Metric(
        "clusters",
        "Clusters",
        "clusters",
        ATLAS_SOURCE,
        False,
    ),
    Metric(
        "projects",
        "Projects",
        "projects",
        ATLAS_SOURCE,
        False,
    ),
    Metric(
        "per_million",
        "Clusters + projects per million inhabitants",
        "per million inhabitants",
        f"{ATLAS_SOURCE}; {POPULATION_SOURCE}",
        False,
    ),
    Metric(
        "share",
        "Share of national records (%)",
        "% of national records",
        ATLAS_SOURCE,
        False,
    ),
    Metric(
        "lq",
        "Location quotient of records",
        "location quotient",
        ATLAS_SOURCE,
        False,
    ),
    Metric(
        "exports",
        "Merchandise exports (US$)",
        "exports",
        EXPORTS_CREDIT,
        True,
        scale=1e6,
        zero_label="0 \u2014 no exports (INEGI)",
    ),
    Metric(
        "export_lq",
        "Export specialisation (export location quotient)",
        "export specialisation",
        EXPORTS_CREDIT,
        True,
        zero_label="0 \u2014 no exports in these subsectors (INEGI)",
    ),
)
METRICS: dict[str, Metric] = {m.key: m for m in _METRICS}


def state_metric(
    key: str,
    records: pd.DataFrame | Tally | None,
    *,
    sectors: tuple[str, ...] = (),
    export_year: int | None = None,
    population: pd.DataFrame | None = None,
    exports: pd.DataFrame | None = None,
    crosswalk: dict[str, tuple[str, ...]] | None = None,
    tr: Translator | None = None,
) -> MetricValues:
    """Metric `key` for the 32 states, from `records` (columns state_code, kind, sector; "" = no
    state; or their `tally_of()`) in `sectors` (empty or all = every sector). The export metrics
    read INEGI's table for `export_year` instead of `records` (None will do). Texts and notes are
    in `tr`'s language (default English)."""
    metric = _metric(key)
    chosen = _check_sectors(sectors)
    tr = tr or translator(DEFAULT)
    if metric.uses_export_year:
        exports = official.load_exports() if exports is None else exports
        crosswalk = official.load_crosswalk() if crosswalk is None else crosswalk
        return _EXPORT_METRICS[key](metric, exports, _check_year(export_year), chosen, crosswalk, tr)
    tally = (records if isinstance(records, Tally) else tally_of(records)).table
    if key == "per_million":
        population = official.load_population() if population is None else population
        return _per_million(metric, tally, chosen, _check_population(population), tr)
    return _RECORD_METRICS[key](metric, tally, chosen, tr)


def classed_values(
    key: str, records: pd.DataFrame, *, sectors: tuple[str, ...] = (), export_year: int | None = None
) -> pd.Series:
    """The values the map's class breaks are computed from, in the legend's unit (values / scale):
    this view's metric, or for the export metrics every export year's pooled, so that one colour
    means one value whichever year is shown (the screen and map images use the same breaks)."""
    metric = _metric(key)
    if metric.uses_export_year:
        return pooled(yearly_values(key, sectors=sectors))
    return state_metric(key, records, sectors=sectors, export_year=export_year).values.reset_index(drop=True) / (
        metric.scale
    )


def range_values(
    key: str,
    tally: YearTally,
    ranges: list[tuple[int, int]],
    *,
    sectors: tuple[str, ...] = (),
    population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Record metric `key` for the 32 states (rows, STATE_CODES) in each of the year `ranges`
    (columns "first-last", as the year slider shows them), in the legend's unit: the values
    state_metric gives the tally of the records in that range, for all the ranges in one pass
    (the browser repaints from them while a year handle is dragged)."""
    metric = _record_metric(key)
    chosen = _check_sectors(sectors)
    _check_ranges(tally, ranges)
    kinds = [kind == _KIND_OF.get(key, kind) for kind in KINDS]
    in_sectors = [not chosen or sector in chosen for sector in SECTORS]
    selected = _in_ranges(tally, tally.counts[:, :, kinds][..., in_sectors].sum(axis=(2, 3)), ranges)
    everything = _in_ranges(tally, tally.counts.sum(axis=(2, 3)), ranges)
    values = _record_values(key, selected, everything, _people(key, population))
    if key == "lq" and not chosen:  # all sectors: every quotient is 1, so none is shown
        values = np.full(values.shape, np.nan)
    return _step_table(values / metric.scale, [f"{a}-{b}" for a, b in ranges])


def sector_values(
    key: str,
    tally: YearTally,
    years: tuple[int, int],
    choices: Mapping[str, tuple[str, ...]],
    *,
    population: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Record metric `key` for the 32 states (rows, STATE_CODES) in the year range `years` for
    each sector selection of `choices` (columns named by its keys), in the legend's unit: the
    values state_metric gives those records in those sectors, all in one pass (the browser
    repaints from them when a sector is tapped)."""
    metric = _record_metric(key)
    _check_ranges(tally, [years])
    flat = _in_ranges(tally, tally.counts.reshape(len(tally.counts), -1), [years])[0]
    in_years = flat.reshape(tally.counts.shape[1:])  # (32 states, kinds, sectors)
    counts = in_years[:, [kind == _KIND_OF.get(key, kind) for kind in KINDS]].sum(axis=1)
    chosen = [_check_sectors(sectors) for sectors in choices.values()]
    masks = np.array([[not each or sector in each for sector in SECTORS] for each in chosen], dtype=float)
    everything = in_years.sum(axis=(1, 2))
    values = _record_values(key, masks @ counts.T, everything, _people(key, population))  # (choices, 32)
    if key == "lq":  # all sectors: every quotient is 1, so none is shown
        values[[not each for each in chosen]] = np.nan
    return _step_table(values / metric.scale, list(choices))


def _record_metric(key: str) -> Metric:
    metric = _metric(key)
    if metric.uses_export_year:
        raise MetricError(f"{key!r} reads INEGI's exports, not the records' years; use yearly_values")
    return metric


def _check_ranges(tally: YearTally, ranges: list[tuple[int, int]]) -> None:
    last = tally.first + len(tally.counts) - 2
    outside = [f"{a}-{b}" for a, b in ranges if not tally.first <= a <= b <= last]
    if outside:
        raise MetricError(f"year ranges {', '.join(outside[:5])} are outside the tally's {tally.first}-{last}")


def _in_ranges(tally: YearTally, counts: np.ndarray, ranges: list[tuple[int, int]]) -> np.ndarray:
    """Per year range, `counts` (the tally's years first, the undated last) summed over its years,
    plus the undated (they pass any range): one cumulative sum for all the ranges."""
    first = np.array([a - tally.first for a, _ in ranges])
    stop = np.array([b - tally.first + 1 for _, b in ranges])
    before = np.vstack([np.zeros((1, counts.shape[1]), counts.dtype), np.cumsum(counts[:-1], axis=0)])
    return before[stop] - before[first] + counts[-1]


def _people(key: str, population: pd.DataFrame | None) -> np.ndarray | None:
    """The 32 states' population in STATE_CODES order when metric `key` divides by it."""
    if key != "per_million":
        return None
    return _check_population(official.load_population() if population is None else population).to_numpy()


def _step_table(values: np.ndarray, columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(values.T, index=pd.Index(STATE_CODES, name="state_code"), columns=columns)


def pooled(yearly: pd.DataFrame) -> pd.Series:
    """`yearly_values()`' years one after the other: what the export metrics' breaks are computed from."""
    return pd.concat([yearly[year] for year in yearly.columns], ignore_index=True)


def yearly_values(key: str, *, sectors: tuple[str, ...] = ()) -> pd.DataFrame:
    """An export metric for every export year, in the legend's unit (values / scale): index
    state_code, one column per year. What classed_values pools, and what the map repaints from
    while the export year's slider moves, without asking the server."""
    metric = _metric(key)
    if not metric.uses_export_year:
        raise MetricError(
            f"{key!r} does not depend on the export year; the export metrics are {', '.join(_EXPORT_METRICS)}"
        )
    chosen = _check_sectors(sectors)
    exports, crosswalk = official.load_exports(), official.load_crosswalk()  # once, not per year
    years = range(EXPORT_YEARS[0], EXPORT_YEARS[1] + 1)
    columns = {year: _export_value(key, exports, year, chosen, crosswalk) for year in years}
    return pd.DataFrame(columns) / metric.scale


def sector_yearly_values(key: str, choices: Mapping[str, tuple[str, ...]]) -> dict[str, pd.DataFrame]:
    """An export metric for every export year for each sector selection of `choices` (by its key):
    what yearly_values gives each, from one array of INEGI's table for them all (the browser
    repaints from them when a sector is tapped: each selection's breaks pool its 19 years)."""
    metric = _metric(key)
    if not metric.uses_export_year:
        raise MetricError(f"{key!r} reads the records; the export metrics are {', '.join(_EXPORT_METRICS)}")
    chosen = {name: _check_sectors(sectors) for name, sectors in choices.items()}
    exports, crosswalk = official.load_exports(), official.load_crosswalk()
    table = _ExportArray.of(exports)
    years = pd.Index(range(EXPORT_YEARS[0], EXPORT_YEARS[1] + 1))
    values = {}
    for name, sectors in chosen.items():
        codes = _codes(sectors, crosswalk)
        if codes == () or (key == "export_lq" and not sectors):
            found = np.full((len(years), len(STATE_CODES)), np.nan)
        else:
            found = table.values(key, None if codes is None else [code in codes for code in table.codes])
        values[name] = pd.DataFrame(
            found.T / metric.scale, index=pd.Index(STATE_CODES, name="state_code"), columns=years
        )
    return values


@dataclass(frozen=True)
class _ExportArray:
    """INEGI's exports as arrays by export year, state and SCIAN code: the available US$ (0 where
    none), whether any is, and how many rows have each status other than available. Its sums equal
    `_by_state`'s: the figures are whole dollars, far below 2**53, so the order of adding is exact."""

    codes: tuple[str, ...]
    usd: np.ndarray
    has: np.ndarray
    missing: np.ndarray

    @classmethod
    def of(cls, exports: pd.DataFrame) -> "_ExportArray":
        codes = tuple(sorted(exports["scian"].unique()))
        year = exports["year"].to_numpy() - EXPORT_YEARS[0]
        state = pd.Categorical(exports["state_code"], categories=STATE_CODES).codes
        code = pd.Categorical(exports["scian"], categories=codes).codes
        status = pd.Categorical(exports["status"], categories=official.STATUSES).codes
        usd = exports["usd"].to_numpy(dtype=float, na_value=np.nan)
        keep = (year >= 0) & (year <= EXPORT_YEARS[1] - EXPORT_YEARS[0]) & (state >= 0)
        shape = (EXPORT_YEARS[1] - EXPORT_YEARS[0] + 1, len(STATE_CODES), len(codes))
        where = (year[keep], state[keep], code[keep])
        summed, has, missing = np.zeros(shape), np.zeros(shape, dtype=bool), np.zeros(shape, dtype=np.int64)
        np.add.at(summed, where, np.nan_to_num(usd[keep]))
        np.logical_or.at(has, where, ~np.isnan(usd[keep]))
        np.add.at(missing, where, (status[keep] > 0).astype(np.int64))  # STATUSES[0] is "available"
        return cls(codes, summed, has, missing)

    def values(self, key: str, mask: list[bool] | None) -> np.ndarray:
        """Per year and state, the metric over the codes `mask` picks (None: every code)."""
        pick = np.ones(len(self.codes), dtype=bool) if mask is None else np.array(mask, dtype=bool)
        usd = np.where(self.has[..., pick].any(axis=-1), self.usd[..., pick].sum(axis=-1), np.nan)
        if key == "exports":
            return usd
        totals = self.usd.sum(axis=-1)
        chosen = np.nansum(usd, axis=-1, keepdims=True)
        national = chosen / totals.sum(axis=-1, keepdims=True)
        usable = (self.missing[..., pick].sum(axis=-1) == 0) & (totals > 0) & (chosen > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(usable, (usd / totals) / national, np.nan)


def export_series(
    state_codes: tuple[str, ...] | list[str],
    sectors: tuple[str, ...] = (),
    *,
    exports: pd.DataFrame | None = None,
    crosswalk: dict[str, tuple[str, ...]] | None = None,
) -> pd.DataFrame:
    """Exports (USD) in the sectors' subsectors, index year 2007-2025, one column per state code.

    NaN wherever a matching subsector is not available that year: a line of lower bounds would
    read as a trend. Sectors with no subsector give an all-NaN frame.
    """
    unknown = [code for code in state_codes if code not in STATE_CODES]
    if unknown:
        raise MetricError(f"unknown state codes {unknown}; valid: {STATE_CODES[0]}..{STATE_CODES[-1]}")
    exports = official.load_exports() if exports is None else exports
    crosswalk = official.load_crosswalk() if crosswalk is None else crosswalk
    chosen = _check_sectors(sectors)
    years = pd.RangeIndex(EXPORT_YEARS[0], EXPORT_YEARS[1] + 1, name="year")
    rows = exports[exports["state_code"].isin(list(state_codes))]
    codes = _codes(chosen, crosswalk)
    if codes is not None:
        rows = rows[rows["scian"].isin(codes)]
    if rows.empty:
        return pd.DataFrame(float("nan"), index=years, columns=list(state_codes))
    grouped = rows.groupby(["year", "state_code"])
    sums = grouped["usd"].sum(min_count=1)
    if codes is not None:  # a total needs no check: confidential values are inside code 000
        sums = sums.where(grouped["status"].agg(lambda s: (s == "available").all()))
    table = sums.unstack("state_code").reindex(index=years, columns=list(state_codes))
    table.columns.name = None
    return table


def ranking(values: MetricValues, counts: pd.DataFrame) -> pd.DataFrame:
    """The 32 states by value, highest first, states without a value last, ties by name.

    `counts` is geo.join.state_counts for the view (state_code, state, clusters, projects). Index
    state_code; columns rank (Int64, equal values share a rank, <NA> without a value), state,
    value, text, clusters, projects.
    """
    missing = [c for c in ("state_code", "state", "clusters", "projects") if c not in counts.columns]
    if missing:
        raise MetricError(f"counts lacks column(s) {', '.join(missing)}; pass geo.join.state_counts(...)")
    table = pd.DataFrame(counts[["state_code", "state", "clusters", "projects"]]).set_index("state_code")
    table = table.reindex(list(STATE_CODES))
    table["value"] = values.values.reindex(table.index)
    table["text"] = values.text.reindex(table.index)
    table = table.sort_values(["state"]).sort_values("value", ascending=False, na_position="last", kind="stable")
    table.insert(0, "rank", table["value"].rank(method="min", ascending=False).astype("Int64"))
    return table[["rank", "state", "value", "text", "clusters", "projects"]]


# --- checks ---


def _metric(key: str) -> Metric:
    if key not in METRICS:
        raise MetricError(f"unknown metric {key!r}; valid: {', '.join(METRICS)}")
    return METRICS[key]


def _check_sectors(sectors: tuple[str, ...]) -> tuple[str, ...]:
    """The chosen sectors in taxonomy order; empty when all are chosen."""
    unknown = [s for s in sectors if s not in SECTORS]
    if unknown:
        raise UnknownSectorError(f"unknown sectors {unknown}; valid: {', '.join(SECTORS)}")
    chosen = tuple(s for s in SECTORS if s in set(sectors))
    return () if len(chosen) == len(SECTORS) else chosen


def _check_year(year: int | None) -> int:
    first, last = EXPORT_YEARS
    if isinstance(year, bool) or not isinstance(year, Integral) or not first <= year <= last:
        raise MetricError(f"export year {year!r} is not available; INEGI's exports cover {first}-{last}")
    return int(year)


def _check_population(population: pd.DataFrame) -> pd.Series:
    series = pd.Series(population["population"].to_numpy(), index=population["state_code"].to_numpy())
    missing = [code for code in STATE_CODES if code not in series.index or not series[code] > 0]
    if missing:
        raise MetricError(f"population lacks a positive figure for state(s) {', '.join(missing)}")
    return series.reindex(list(STATE_CODES)).astype(float)


def tally_of(records: pd.DataFrame) -> Tally:
    """The records' Tally (their counts by state, kind and sector), after checking their columns,
    state codes and sectors. At a million records this groupby is most of a metric's time."""
    _check_records(records, RECORD_COLUMNS)
    placed = pd.DataFrame(records[list(RECORD_COLUMNS)])
    placed["state_code"] = placed["state_code"].replace("", pd.NA)
    table = placed.groupby(["state_code", "kind", "sector"], dropna=False).size()
    return Tally(table.rename("n").reset_index())


def year_tally_of(records: pd.DataFrame, years: tuple[int, int]) -> YearTally:
    """The records' YearTally over `years` (first, last: the records' year range), after the checks
    tally_of makes; records without a state are left out (no metric value counts them)."""
    _check_records(records, (*RECORD_COLUMNS, "year"))
    year = records["year"].to_numpy(dtype=float, na_value=np.nan)
    dated = ~np.isnan(year)
    if dated.any() and not years[0] <= year[dated].min() <= year[dated].max() <= years[1]:
        raise MetricError(f"records have years outside {years[0]}-{years[1]}; pass the records' year range")
    row = np.where(dated, year - years[0], years[1] - years[0] + 1).astype(np.intp)
    state, kind, sector = (_positions(records[column], values) for column, values in
                           (("state_code", STATE_CODES), ("kind", KINDS), ("sector", SECTORS)))  # fmt: skip
    placed = (state >= 0) & (kind >= 0)  # -1: no state (or a kind the records never have)
    shape = (years[1] - years[0] + 2, len(STATE_CODES), len(KINDS), len(SECTORS))
    cell = np.ravel_multi_index((row[placed], state[placed], kind[placed], sector[placed]), shape)
    counts = np.bincount(cell, minlength=int(np.prod(shape))).reshape(shape)  # ~10x faster than np.add.at
    return YearTally(counts, years[0])


def _positions(column: pd.Series, values) -> np.ndarray:
    """Each entry's position in `values` (-1: not there): the column factorized first, since hashing
    a million strings once took ~20 ms and looking each one up in `values` ~100."""
    codes, uniques = pd.factorize(column)
    return np.append(pd.Index(values).get_indexer(uniques), -1)[codes]


def _check_records(records: pd.DataFrame, columns) -> None:
    missing = [c for c in columns if c not in records.columns]
    if missing:
        raise MetricError(f"records lacks column(s) {', '.join(missing)}; pass the records frame (geo.seeds)")
    # unique() first: a set of a million strings takes ~0.8 s, their few distinct values ~10 ms
    bad = sorted(set(records["state_code"].unique()) - {*STATE_CODES, ""})
    if bad:
        raise MetricError(f"records have unknown state codes {bad[:5]}; expected '01'..'32' or '' for none")
    unknown = sorted(set(records["sector"].unique()) - set(SECTORS))
    if unknown:
        raise UnknownSectorError(f"records have unknown sectors {unknown[:5]}; valid: {', '.join(SECTORS)}")


def _count(tally: pd.DataFrame, sectors: tuple[str, ...], kind: str | None = None) -> tuple[pd.Series, int]:
    """Per-state counts (32 states, float) and the unplaced count, in `sectors` (empty: all)."""
    rows = tally if not sectors else tally[tally["sector"].isin(sectors)]
    if kind is not None:
        rows = rows[rows["kind"] == kind]
    unplaced = int(rows.loc[rows["state_code"].isna(), "n"].sum())
    per_state = rows.groupby("state_code")["n"].sum().reindex(list(STATE_CODES), fill_value=0)
    return per_state.astype(float), unplaced


# --- record metrics ---


def _values(metric: Metric, values: pd.Series, text: pd.Series, notes=()) -> MetricValues:
    values.index.name = text.index.name = "state_code"
    return MetricValues(metric, values.astype(float), text.astype(str), tuple(notes))


def _record_values(key: str, selected, everything, population: np.ndarray | None) -> np.ndarray:
    """Record metric `key`'s values (not its texts) from per-state counts whose last axis is the 32
    states, one row or one per year range (range_values): `selected` in the chosen sectors (of
    the metric's kind), `everything` in all sectors (the quotient's base; None for the others),
    `population` in STATE_CODES order (per_million). NaN: no value. One formula for the map's run
    and the browser's steps, so both colour a state alike."""
    selected = np.asarray(selected, dtype=float)
    if key == "per_million":
        return selected / population * 1e6
    if key == "share":
        total = selected.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total == 0, np.nan, selected / total * 100)
    if key == "lq":
        everything = np.asarray(everything, dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = selected.sum(axis=-1, keepdims=True) / everything.sum(axis=-1, keepdims=True)
            lq = (selected / everything) / ratio
        return np.where((everything < LQ_MIN_RECORDS) | (ratio == 0), np.nan, lq)
    return selected  # the counts themselves


def _series(values: np.ndarray) -> pd.Series:
    return pd.Series(values, index=pd.Index(STATE_CODES))


def _count_metric(kind: str | None):
    def compute(metric: Metric, tally: pd.DataFrame, chosen: tuple[str, ...], tr: Translator) -> MetricValues:
        counts, _ = _count(tally, chosen, kind)
        return _values(metric, counts, counts.map(lambda n: f"{n:,.0f}"))

    return compute


def _per_million(metric: Metric, tally: pd.DataFrame, chosen: tuple[str, ...], population: pd.Series, tr):
    counts, _ = _count(tally, chosen)
    rate = _series(_record_values("per_million", counts.to_numpy(), None, population.to_numpy()))
    note = tr.t("metric.note.population", source=POPULATION_SOURCE)
    return _values(metric, rate, rate.map(_decimal), [note])


def _share(metric: Metric, tally: pd.DataFrame, chosen: tuple[str, ...], tr: Translator) -> MetricValues:
    counts, unplaced = _count(tally, chosen)
    if counts.sum() == 0:
        return _blank(metric, tr.t("metric.text.no_records"))
    share = _series(_record_values("share", counts.to_numpy(), None, None))
    notes = [tr.plural("metric.note.unplaced", unplaced)] if unplaced else []
    return _values(metric, share, share.map(lambda v: f"{_decimal(v)}%"), notes)


def _lq(metric: Metric, tally: pd.DataFrame, chosen: tuple[str, ...], tr: Translator) -> MetricValues:
    if not chosen:
        return _blank(metric, tr.t("metric.text.choose"), tr.t("metric.note.all_sectors"))
    selected, _ = _count(tally, chosen)
    everything, _ = _count(tally, ())
    if selected.sum() == 0:
        return _blank(metric, tr.t("metric.text.no_records"))
    lq = _series(_record_values("lq", selected.to_numpy(), everything.to_numpy(), None))
    few = everything < LQ_MIN_RECORDS
    text = lq.map(lambda v: f"{v:.2f}").where(
        ~few, everything.map(lambda n: tr.t("metric.text.too_few", count=f"{n:.0f}", min=LQ_MIN_RECORDS))
    )
    note = tr.t("metric.note.lq", min=LQ_MIN_RECORDS)
    return _values(metric, lq, text, [note])


def _blank(metric: Metric, text: str, *notes: str) -> MetricValues:
    index = pd.Index(STATE_CODES)
    return _values(metric, pd.Series(float("nan"), index=index), pd.Series(text, index=index), notes)


_KIND_OF = {"clusters": "cluster", "projects": "project"}  # the count metrics of one kind
_RECORD_METRICS = {
    "records": _count_metric(None),
    **{key: _count_metric(kind) for key, kind in _KIND_OF.items()},
    "share": _share,
    "lq": _lq,
}


# --- export metrics ---


def _codes(chosen: tuple[str, ...], crosswalk: dict[str, tuple[str, ...]]) -> tuple[str, ...] | None:
    """The chosen sectors' subsector codes; None means all sectors: every code, 000 included."""
    return None if not chosen else official.subsector_codes(chosen, crosswalk)


def _by_state(rows: pd.DataFrame) -> pd.DataFrame:
    """Per state: available sum (NaN if none), and how many matched codes have each status.
    In numpy on category codes: pandas' groupby, crosstab and join took ~11 ms a call, and the
    class breaks of the export metrics need one call per export year."""
    state = pd.Categorical(rows["state_code"], categories=STATE_CODES).codes
    present = np.bincount(state[state >= 0], minlength=len(STATE_CODES)) > 0
    if not present.all():
        absent = [code for code, seen in zip(STATE_CODES, present, strict=True) if not seen]
        raise MetricError(f"the exports table has no rows for state(s) {', '.join(absent)}; pass load_exports()")
    status = pd.Categorical(rows["status"], categories=official.STATUSES).codes
    known = (state >= 0) & (status >= 0)
    counts = np.zeros((len(STATE_CODES), len(official.STATUSES)), dtype=np.int64)
    np.add.at(counts, (state[known], status[known]), 1)
    usd = rows["usd"].to_numpy(dtype=float, na_value=np.nan)
    summed = (state >= 0) & ~np.isnan(usd)
    sums = np.bincount(state[summed], weights=usd[summed], minlength=len(STATE_CODES))
    any_sum = np.bincount(state[summed], minlength=len(STATE_CODES)) > 0
    table = pd.DataFrame(counts, index=pd.Index(STATE_CODES, name="state_code"), columns=list(official.STATUSES))
    table["usd"] = np.where(any_sum, sums, np.nan)  # NaN, not 0, where no value is available
    return table


def _export_notes(chosen, codes, crosswalk, year, rows, tr: Translator) -> list[str]:
    catalog = official.load_subsectors()
    notes = []
    if codes is None:
        notes.append(tr.t("metric.note.totals"))
    else:
        empty = [s for s in chosen if not crosswalk[s]]
        if empty:
            notes.append(tr.t("metric.note.services", sectors=_sectors(empty, tr)))
        for code, serving in official.shared_codes(crosswalk).items():
            if code in codes:  # INEGI's subsector name is quoted as written (Spanish)
                notes.append(tr.t("metric.note.shared", sectors=_sectors(serving, tr), code=code, name=catalog[code]))
    if year < official.AGRICULTURE_FROM and (codes is None or set(codes) & set(official.AGRICULTURE)):
        notes.append(tr.t("metric.note.agriculture", year=official.AGRICULTURE_FROM))
    if (rows["revision"] == "preliminary").any():
        notes.append(tr.t("metric.note.preliminary", year=year))
    return notes


def _exports(metric, exports, year, chosen, crosswalk, tr: Translator) -> MetricValues:
    codes = _codes(chosen, crosswalk)
    if codes == ():
        return _blank(metric, tr.t("metric.text.no_goods"), _no_subsector_note(chosen, tr))
    rows = _year_rows(exports, year, codes)
    table = _by_state(rows)
    usd = table["usd"].map(lambda v: _usd(v, tr))
    if codes is None:  # a total: confidential values are inside code 000, nothing is missing
        text = usd.where(table["usd"].notna(), table.apply(_status_only, axis=1, tr=tr))
        partial = pd.Series(False, index=table.index)
    else:
        text = table.apply(_export_text, axis=1, tr=tr)
        partial = (table["available"] > 0) & (table[list(official.STATUSES[1:])].sum(axis=1) > 0)
    notes = _export_notes(chosen, codes, crosswalk, year, rows, tr)
    if partial.any():
        notes.append(tr.t("metric.note.at_least"))
    return _values(metric, table["usd"], text, notes)


def _export_lq(metric, exports, year, chosen, crosswalk, tr: Translator) -> MetricValues:
    if not chosen:
        return _blank(metric, tr.t("metric.text.choose"), tr.t("metric.note.all_sectors"))
    codes = _codes(chosen, crosswalk)
    if codes == ():
        return _blank(metric, tr.t("metric.text.no_goods"), _no_subsector_note(chosen, tr))
    rows = _year_rows(exports, year, codes)
    totals = _totals(exports, year)
    table = _with_lq(_by_state(rows), totals)
    unspecified = _year_rows(exports, year, (official.UNSPECIFIED,))["usd"].sum() / totals.sum()
    notes = _export_notes(chosen, codes, crosswalk, year, rows, tr)
    notes.append(tr.t("metric.note.national", share=f"{unspecified:.1%}", year=year))
    return _values(metric, table["lq"], table.apply(_lq_text, axis=1, tr=tr), notes)


def _totals(exports: pd.DataFrame, year: int) -> pd.Series:
    return _year_rows(exports, year, None).groupby("state_code")["usd"].sum().reindex(list(STATE_CODES))


def _with_lq(table: pd.DataFrame, totals: pd.Series) -> pd.DataFrame:
    """`table` (_by_state of the chosen codes) with the states' export quotient against their
    `totals` (_totals), NaN where unusable."""
    national = table["usd"].sum() / totals.sum()
    complete = table[list(official.STATUSES[1:])].sum(axis=1) == 0
    usable = complete & (totals > 0) & (table["usd"].sum() > 0)
    table["lq"] = ((table["usd"] / totals) / national).where(usable)
    return table


def _export_value(key: str, exports: pd.DataFrame, year: int, chosen, crosswalk) -> pd.Series:
    """An export metric's values for one year without its texts and notes (what the class
    breaks pool over 19 years: the texts were most of the time)."""
    codes = _codes(chosen, crosswalk)
    if codes == () or (key == "export_lq" and not chosen):
        return pd.Series(float("nan"), index=pd.Index(STATE_CODES, name="state_code"))
    table = _by_state(_year_rows(exports, year, codes))
    return (table["usd"] if key == "exports" else _with_lq(table, _totals(exports, year))["lq"]).astype(float)


def _year_rows(exports: pd.DataFrame, year: int, codes: tuple[str, ...] | None) -> pd.DataFrame:
    rows = exports[exports["year"] == year]
    return rows if codes is None else rows[rows["scian"].isin(codes)]


def _no_subsector_note(chosen: tuple[str, ...], tr: Translator) -> str:
    return tr.t("metric.note.no_subsector", sectors=_sectors(chosen, tr))


def _sectors(sectors, tr: Translator) -> str:
    return tr.list(tr.sector(sector) for sector in sectors)


def _missing(row: pd.Series, tr: Translator) -> str:
    parts = [tr.plural(f"metric.missing.{_STATUS_KEY[s]}", int(row[s])) for s in official.STATUSES[1:] if row[s]]
    return ", ".join(parts)


def _status_only(row: pd.Series, tr: Translator) -> str:
    return " / ".join(tr.t(f"metric.status.{_STATUS_KEY[s]}") for s in official.STATUSES[1:] if row[s])


def _export_text(row: pd.Series, tr: Translator) -> str:
    if row["available"] == 0:
        return _status_only(row, tr)
    if row[list(official.STATUSES[1:])].sum() == 0:
        return _usd(row["usd"], tr)
    return tr.t("metric.text.at_least", amount=_usd(row["usd"], tr), missing=_missing(row, tr))


def _lq_text(row: pd.Series, tr: Translator) -> str:
    if pd.notna(row["lq"]):
        return f"{row['lq']:.2f}"
    if row["available"] == 0:
        return _status_only(row, tr)
    if row[list(official.STATUSES[1:])].sum():
        return tr.t("metric.text.incomplete", missing=_missing(row, tr))
    return tr.t("metric.text.no_exports")


_EXPORT_METRICS = {"exports": _exports, "export_lq": _export_lq}


# --- formatting ---


def _decimal(value: float) -> str:
    """1 decimal, 2 under 1 so small rates do not read as 0; 0 is "0"."""
    if value == 0:
        return "0"
    return f"{value:,.2f}" if value < 1 else f"{value:,.1f}"


def _usd(value: float, tr: Translator) -> str:
    if value == 0:
        return tr.t("metric.usd.zero")
    if value < 1e6:
        return tr.t("metric.usd.thousand", amount=f"{value / 1e3:,.0f}")
    return tr.t("metric.usd.million", amount=f"{value / 1e6:,.1f}")


# --- the docs page ---


def docs_markdown() -> str:
    """docs/metrics.md: one paragraph per metric, then the crosswalk table from the CSV."""
    lines = ["# Map metrics", "", "<!-- generated by `uv run python -m geo.metrics > docs/metrics.md` -->", ""]
    for metric in METRICS.values():
        credit = f"Credit line: {metric.source}."
        lines += [f"## `{metric.key}`: {metric.label}", "", metric.explanation(), "", credit, ""]
    catalog = official.load_subsectors()
    lines += [
        "## Sectors to SCIAN subsectors (`seeds/scian_crosswalk.csv`)",
        "",
        "A modelling choice, not a fact of INEGI's table; codes no sector uses count only in the state totals.",
        "",
        "| sector | SCIAN | subsector (INEGI) | why |",
        "|---|---|---|---|",
    ]
    for row in official.load_crosswalk_table().itertuples():
        subsector = catalog.get(row.scian, "none")
        lines.append(f"| {row.sector} | {row.scian or '—'} | {subsector} | {row.note} |")
    used = {code for codes in official.load_crosswalk().values() for code in codes}
    unused = [f"{code} ({name})" for code, name in catalog.items() if code not in used]
    lines += ["", f"Not attributed to any sector: {'; '.join(unused)}.", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    print(docs_markdown(), end="")
