"""The one check of export filters typed by a person (`atlas export`, and any later command).

The rules are the app's: sector names in any letter case; years as `FROM-TO` (or the en dash the
page title shows), a range overlapping the data's years clamped to them with a notice, one wholly
outside them or reversed rejected (`geo.view.clamp_years`). No year range means the data's years,
so a bundle's name and FILTERS.json say which years it covers, as the app's do.
"""

from collections.abc import Sequence
from typing import NamedTuple

from geo.join import Filters
from geo.sectors import UnknownSectorError, resolve_sectors
from geo.view import clamp_years, parse_year_range


class FilterError(ValueError):
    """A filter value that cannot be used; the message says what is expected."""


class CheckedFilters(NamedTuple):
    filters: Filters
    notices: tuple[str, ...]  # what was adjusted (a clamped range), to show the user


def check_filters(
    sectors: Sequence[str],
    years: str | tuple[int, int] | None,
    known: bool,
    *,
    year_bounds: tuple[int, int] | None,
) -> CheckedFilters:
    """Canonical filters for user input, or FilterError naming the bad value and what is expected."""
    try:
        chosen = resolve_sectors(sectors)
    except UnknownSectorError as error:
        raise FilterError(str(error)) from error
    notices = ()
    if years is None:
        years = year_bounds
    else:
        text = years if isinstance(years, str) else f"{years[0]:04d}-{years[1]:04d}"
        try:
            years, notice = clamp_years(parse_year_range(text), year_bounds)
        except ValueError as error:
            raise FilterError(f"invalid year range {text!r}: {error}") from error
        notices = (notice,) if notice else ()
    return CheckedFilters(Filters(sectors=chosen, years=years, known_years_only=bool(known)), notices)
