"""bench/balance_load.py's rules: which selection comes next, what counts as a stale or wrong map,
when a ramp step holds, and the capacity line. (The ramp itself is a measurement, not a test.)"""

import sys

import pytest

from tests.harness import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from balance_load import (  # noqa: E402
    Viewer,
    capacity_line,
    distinct,
    held_sessions,
    holds,
    judge,
    next_selection,
    summarise_step,
    view_query,
)

ALL, AUTO, ICT, HEALTH = (), ("Automotive",), ("ICT",), ("Health & Medical",)
EXPECTED = {ALL: "a,a", AUTO: "b,a", ICT: "a,c"}


@pytest.mark.parametrize(
    ("current", "turn", "chosen"),
    [
        (ALL, 0, AUTO),
        (ALL, 1, ICT),
        (ALL, 2, AUTO),  # the rotation wraps
        (AUTO, 0, ALL),
        (AUTO, 1, ICT),
        (ICT, 5, AUTO),
    ],
)
def test_next_selection_is_never_the_current_one(current, turn, chosen):
    assert next_selection(list(EXPECTED), current, turn) == chosen


@pytest.mark.parametrize(
    ("own", "shown", "verdict"),
    [
        (AUTO, "b,a", None),
        (ALL, "a,a", None),
        (AUTO, "a,c", {"own": "Automotive", "shown": "ICT", "kind": "stale"}),  # another session's view
        (ICT, "a,a", {"own": "ICT", "shown": "(all sectors)", "kind": "stale"}),  # the view before the change
        (ICT, "z,z", {"own": "ICT", "shown": None, "kind": "wrong"}),
    ],
)
def test_judge(own, shown, verdict):
    assert judge(EXPECTED, own, shown) == verdict


def test_distinct_keeps_the_first_of_equal_maps():
    found = {ALL: "a", AUTO: "b", ICT: "a", HEALTH: "c"}
    assert list(distinct(found)) == [ALL, AUTO, HEALTH]


@pytest.mark.parametrize(
    ("selection", "query"),
    [
        (ALL, ""),
        (AUTO, "sectors=Automotive"),
        (AUTO + ICT, "sectors=Automotive%2CICT"),
        (HEALTH, "sectors=Health+%26+Medical"),  # as Streamlit writes st.query_params
    ],
)
def test_view_query(selection, query):
    assert view_query(selection) == query


def viewer(map_ms, *, errors=(), bad=()):
    return Viewer(session=None, offset=0, map_ms=list(map_ms), finished_ms=[ms + 10 for ms in map_ms],
                  errors=list(errors), bad=list(bad))  # fmt: skip


STALE = {"own": "ICT", "shown": "Automotive", "kind": "stale"}
WRONG = {"own": "ICT", "shown": None, "kind": "wrong"}


@pytest.mark.parametrize(
    ("viewers", "bound", "held"),
    [
        ([viewer([100, 200]), viewer([300])], 1000, True),
        ([viewer([100, 200]), viewer([3000])], 1000, False),  # p95 over the bound
        ([viewer([100]), viewer([200], errors=["change to ICT: ProtocolError: connection lost"])], 1000, False),
        ([viewer([100]), viewer([200], bad=[STALE])], 1000, False),
        ([viewer([100], bad=[WRONG])], 1000, False),
        ([viewer([]), viewer([])], 1000, False),  # no change landed: nothing to hold
    ],
)
def test_a_step_holds_within_the_bound_and_clean(viewers, bound, held):
    assert holds(summarise_step(viewers), bound) is held


def test_summarise_step_counts():
    step = summarise_step([viewer([100, 300], bad=[STALE, WRONG]), viewer([200], errors=["x"])])
    assert (step["sessions"], step["changes"], step["changes_per_session_min"]) == (2, 3, 1)
    assert (step["map_ms_p50"], step["map_ms_max"], step["finished_ms_p50"]) == (200, 300, 210)
    assert (step["error_count"], step["stale"], step["wrong"]) == (1, 1, 1)


def steps(*held):
    """A ramp's steps 4, 8, 16, ... with `held[i]` saying whether step i held."""
    return [{"sessions": n, "holds": h} for n, h in zip((4, 8, 16, 24, 32), held, strict=False)]


@pytest.mark.parametrize(
    ("ramps", "line"),
    [
        (
            {1: steps(True, True, False), 3: steps(True, True, True, True, False)},
            "capacity: 3 replicas hold 24 sessions vs 1 server 8 at p95 <= 1000 ms (3/1 = 3.00x)",
        ),
        (
            {1: steps(True, False), 2: steps(True, True, True)},  # the ramp ran out of steps
            "capacity: 2 replicas hold 16+ sessions vs 1 server 4 at p95 <= 1000 ms (2/1 = 4.00x)",
        ),
        (
            {1: steps(False), 3: steps(True, False)},
            "capacity: 3 replicas hold 4 sessions vs 1 server 0 at p95 <= 1000 ms (3/1 = -)",
        ),
        (
            {2: steps(True, False), 3: steps(True, True, False)},
            "capacity: 3 replicas hold 8 sessions vs 2 replicas 4 at p95 <= 1000 ms (3/2 = 2.00x)",
        ),
        ({1: steps(True, False)}, None),  # one set-up: nothing to compare
    ],
)
def test_capacity_line(ramps, line):
    assert capacity_line(ramps, 1000) == line


@pytest.mark.parametrize(
    ("ramp", "expected"),
    [
        (steps(True, True, False), (8, False)),
        (steps(True, True), (8, True)),
        (steps(False), (0, False)),
        ([], (0, False)),
    ],
)
def test_held_sessions(ramp, expected):
    assert held_sessions(ramp) == expected
