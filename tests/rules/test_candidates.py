"""The plan's in-memory index: every two volume boxes that meet, touching ones included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from deconflict.rules.candidates import Boxes, meeting_pairs

COLUMNS = 10  # x0, x1, y0, y1, z0, z1, t0, t1, alt0, alt1
UNIT = np.array([0.0, 1.0] * 5)


def _meeting_pairs_by_definition(boxes: Boxes) -> list[tuple[int, int]]:
    """Every pair i < j whose closed intervals meet in all five dimensions."""
    return [
        (i, j)
        for i in range(len(boxes))
        for j in range(i + 1, len(boxes))
        if all(
            boxes[i, 2 * d] <= boxes[j, 2 * d + 1] and boxes[j, 2 * d] <= boxes[i, 2 * d + 1]
            for d in range(5)
        )
    ]


@st.composite
def grid_boxes(draw: st.DrawFn) -> Boxes:
    """Boxes with ends on a coarse grid, so that many touch exactly; some flat, some huge."""
    count = draw(st.integers(0, 30))
    ends = st.integers(-3, 3).map(float) | st.sampled_from([-1.0e12, 1.0e12, 6.4e6])
    corners = draw(arrays(np.float64, (count, 5, 2), elements=ends))
    return np.sort(corners, axis=2).reshape(count, COLUMNS)


@given(grid_boxes())
@settings(max_examples=300, deadline=None)
def test_meeting_pairs_are_exactly_the_boxes_that_meet(boxes: Boxes) -> None:
    assert meeting_pairs(boxes).tolist() == [list(p) for p in _meeting_pairs_by_definition(boxes)]


def test_boxes_touching_in_any_one_dimension_meet() -> None:
    for column in range(0, COLUMNS, 2):
        shifted = UNIT.copy()
        shifted[column : column + 2] += 1.0  # starts where the unit box ends
        assert meeting_pairs(np.stack([UNIT, shifted])).tolist() == [[0, 1]], column


def test_boxes_apart_by_the_least_float_in_one_dimension_do_not_meet() -> None:
    for column in range(0, COLUMNS, 2):
        apart = UNIT.copy()
        apart[column] = np.nextafter(1.0, 2.0)
        apart[column + 1] = 2.0
        assert meeting_pairs(np.stack([UNIT, apart])).tolist() == [], column


def test_boxes_touching_at_a_corner_meet_and_a_box_meets_one_it_contains() -> None:
    corner = UNIT + np.array([1.0, 1.0] * 5)
    inside = np.array([0.25, 0.75] * 5)
    assert meeting_pairs(np.stack([UNIT, corner, inside])).tolist() == [[0, 1], [0, 2]]


def test_boxes_at_one_place_meet_only_where_their_windows_meet() -> None:
    # A range booked sortie by sortie: the same place and heights, one window after another.
    boxes = np.tile(UNIT, (6, 1))
    boxes[:, 6] = [0.0, 2.0, 4.0, 6.0, 8.0, 9.0]
    boxes[:, 7] = boxes[:, 6] + 1.0
    assert meeting_pairs(boxes).tolist() == [[4, 5]]


def test_no_pairs_in_a_plan_of_none_or_one() -> None:
    assert meeting_pairs(np.empty((0, COLUMNS))).tolist() == []
    assert meeting_pairs(UNIT.reshape(1, COLUMNS)).tolist() == []
