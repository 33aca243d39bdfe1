"""geo.filters.check_filters: the one check of typed filters, with the app's year rule."""

import pytest

from geo.filters import FilterError, check_filters
from geo.join import Filters
from geo.view import parse_view

BOUNDS = (2004, 2018)


@pytest.mark.parametrize(
    ("sectors", "years", "known", "filters", "notices"),
    [
        ([], None, False, Filters(years=BOUNDS), ()),  # no range: the data's years
        (["ict", " Aerospace "], "2004-2018", False, Filters(sectors=("Aerospace", "ICT"), years=BOUNDS), ()),
        ([], "2004–2010", True, Filters(years=(2004, 2010), known_years_only=True), ()),  # the title's en dash
        ([], (2010, 2010), False, Filters(years=(2010, 2010)), ()),
        ([], "1990-2010", False, Filters(years=(2004, 2010)),
         ("Years 1990-2010 clamped to the data's years: 2004-2010.",)),
        ([], "2010-2030", False, Filters(years=(2010, 2018)),
         ("Years 2010-2030 clamped to the data's years: 2010-2018.",)),
    ],
)  # fmt: skip
def test_check_filters(sectors, years, known, filters, notices):
    assert check_filters(sectors, years, known, year_bounds=BOUNDS) == (filters, notices)


@pytest.mark.parametrize(
    ("sectors", "years", "bounds", "message"),
    [
        (["Mining2"], None, BOUNDS, "unknown sector 'Mining2'; valid sectors: Aerospace, Automotive"),
        ([], "1990-1995", BOUNDS, "invalid year range '1990-1995': outside the data's years 2004-2018"),
        ([], "2019-2030", BOUNDS, "outside the data's years 2004-2018"),
        ([], "2018-2004", BOUNDS, "reversed"),
        ([], (2018, 2004), BOUNDS, "reversed"),
        ([], "2004 - 2018", BOUNDS, '"YYYY-YYYY"'),
        ([], "2004", BOUNDS, '"YYYY-YYYY"'),
        ([], "2004-2018", None, "no record in the data has a known year"),
    ],
)
def test_check_filters_rejects(sectors, years, bounds, message):
    with pytest.raises(FilterError, match=message):
        check_filters(sectors, years, False, year_bounds=bounds)


def test_the_app_and_the_cli_share_the_year_rule():
    """A link's `years` and `--years` give the same range and the same notice."""
    view, link_notices = parse_view({"years": "1990-2010"}, sectors=(), year_bounds=BOUNDS, states=(), basemaps=())
    filters, notices = check_filters([], "1990-2010", False, year_bounds=BOUNDS)
    assert (view.years, link_notices) == (filters.years, list(notices))
