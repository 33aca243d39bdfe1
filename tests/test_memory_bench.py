"""bench/memory.py's rules: the combinations it opens are distinct links the atlas reads back,
and when an RSS curve counts as bounded. (The run itself is a measurement, not a test.)"""

import argparse
import itertools
import sys
from urllib.parse import parse_qsl

import pytest

from geo import boundaries, join, source
from geo.sectors import SECTORS
from geo.view import parse_view
from tests.harness import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from measure import positive_int  # noqa: E402
from memory import bounded, combinations  # noqa: E402


def test_a_thousand_distinct_combinations_each_a_view_the_atlas_reads_back():
    bounds = join.year_bounds(source.records())
    queries = list(itertools.islice(combinations(bounds), 1000))
    assert len(queries) == 1000
    states = list(boundaries.load_states("web")["state"])
    views = set()
    for query in queries:
        params = dict(parse_qsl(query, strict_parsing=True))
        view, notices = parse_view(params, sectors=SECTORS, year_bounds=bounds, states=states, basemaps=("none",))
        assert notices == [], query  # every value used, none clamped
        views.add((view.sectors, view.years))
    assert len(views) == 1000  # distinct as the atlas reads them, not only as text


MIB = 1024
BOUNDED_CASES = [  # samples [combinations, KiB], filled, tolerance, expected verdict
    ([[0, 300 * MIB], [100, 320 * MIB], [300, 360 * MIB], [1000, 362 * MIB]], 256, 0.25, True),
    ([[0, 300 * MIB], [300, 360 * MIB], [1000, 500 * MIB]], 256, 0.25, False),  # still 20 MiB / 100
    ([[0, 300 * MIB], [300, 360 * MIB], [1000, 350 * MIB]], 256, 0.25, True),  # fell after
    ([[0, 300 * MIB], [300, 300 * MIB], [1000, 301 * MIB]], 256, 0.25, False),  # flat, then rising
    ([[0, 300 * MIB], [200, 330 * MIB]], 256, 0.25, None),  # never past the bound
    ([[0, 300 * MIB], [300, 330 * MIB]], 256, 0.25, None),  # one sample past it: no slope
]


@pytest.mark.parametrize(("samples", "filled", "tolerance", "expected"), BOUNDED_CASES)
def test_bounded(samples, filled, tolerance, expected):
    assert bounded(samples, filled, tolerance)["bounded"] is expected


def test_bounded_reports_the_slopes_per_100_combinations():
    verdict = bounded([[0, 0], [300, 30_000], [1000, 35_000]], 256, 0.25)
    assert verdict["kib_per_100_before"] == pytest.approx(10_000)
    assert verdict["kib_per_100_after"] == pytest.approx(5_000 / 7)


@pytest.mark.parametrize("text", ["0", "-3", "ten", "1.5", ""])
def test_counts_must_be_whole_numbers_above_zero(text):
    with pytest.raises(argparse.ArgumentTypeError, match="whole number above 0"):
        positive_int(text)
