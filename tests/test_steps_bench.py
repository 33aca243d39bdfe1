"""bench/steps.py's arithmetic: which frame paints a change and how many frames an input took.
(The run itself is a measurement, not a test.)"""

import sys

import pytest

from tests.harness import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "bench"))
from steps import frames_to_paint, paint_frame, repaint, summary  # noqa: E402

FRAMES = [100.0, 116.7, 133.3, 150.0]  # when each frame's callbacks ran (epoch ms)


@pytest.mark.parametrize(
    ("at", "painted"),
    [(90.0, 100.0), (100.0, 100.0), (100.1, 116.7), (140.0, 150.0), (150.1, None)],
)
def test_a_change_is_painted_by_the_first_frame_at_or_after_it(at, painted):
    assert paint_frame(FRAMES, at) == painted


@pytest.mark.parametrize(
    ("start", "change", "frames"),
    [
        (99.0, 99.5, 1),  # input and change before the same frame: that frame
        (99.0, 101.0, 2),  # the change a task later: the next frame
        (101.0, 140.0, 3),
        (120.0, 110.0, None),  # a change before its input is not its repaint
        (120.0, 151.0, None),  # not painted yet
    ],
)
def test_frames_from_an_input_to_its_paint_count_both_ends(start, change, frames):
    assert frames_to_paint(FRAMES, start, change) == frames


def test_a_repaint_compares_the_map_with_the_sliders_own_label():
    probe = {"frames": FRAMES, "labels": [{"at": 50.0, "text": "2010"}, {"at": 101.0, "text": "2011"}]}
    figures = repaint(probe, {"value": "2011", "drawn": 102.0}, input_at=99.0)
    assert figures["map_frames"] == figures["label_frames"] == 2
    assert figures["map_ms"] == figures["label_ms"] == pytest.approx(17.7)


def test_summary_of_no_values_and_of_some():
    assert summary([]) == {"n": 0, "median": None, "p95": None, "max": None}
    assert summary([3.0, 1.0, 2.0]) == {"n": 3, "median": 2.0, "p95": pytest.approx(2.9), "max": 3.0}
