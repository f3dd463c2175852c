"""The box a feature's volume may reach, in the five dimensions the index holds.

Dimensions: ECEF x, y, z in metres (the shape grown by its reach and buffer),
time in seconds since the epoch (first occurrence to last), altitude in metres
(the band as typed, and every height above the ellipsoid it may mean, whatever
its datum). Two features can only
conflict when their boxes meet, so an index over these boxes finds every
candidate; the exact rule then decides.
"""

from __future__ import annotations

import math

from deconflict.geo.boxes import reach_box
from deconflict.rules.feature import Feature

# Stand-ins for "open-ended" and "unbounded" that an R*Tree's 32-bit floats hold.
FAR_FUTURE_S = 1.0e12
UNBOUNDED_M = 1.0e9

VolumeBox = tuple[float, float, float, float, float, float, float, float, float, float]


def volume_box(feature: Feature, sketched: bool = False) -> VolumeBox:
    """(x0, x1, y0, y1, z0, z1, t0, t1, alt0, alt1) around everything the feature may touch.

    With `sketched`, an airspace shape not built yet is boxed from its sketch
    and left unbuilt (`reach_box`): for a plan in memory, never for a store,
    whose boxes are bound to the record as the built shape gives them. The built
    shape's box is kept on the feature once computed: a declaration's step boxes
    its feature to find its candidates and again to index it.
    """
    if sketched:
        return _box(feature, sketched)
    kept = vars(feature)  # a frozen dataclass refuses new attributes, not its __dict__
    if "volume_box" not in kept:
        kept["volume_box"] = _box(feature, sketched)
    box: VolumeBox = kept["volume_box"]
    return box


def _box(feature: Feature, sketched: bool) -> VolumeBox:
    box = reach_box(feature.shape, feature.buffer_m, sketched)
    window = feature.span
    # The band as typed (compared so against a band in the same datum) and every
    # height above the ellipsoid it may mean (against a band in another datum).
    band = feature.band
    lower_m, upper_m = band.ellipsoid_range()
    if band.lower_m is not None:
        lower_m = min(lower_m, band.lower_m)
    if band.upper_m is not None:
        upper_m = max(upper_m, band.upper_m)
    return (
        box.low[0],
        box.high[0],
        box.low[1],
        box.high[1],
        box.low[2],
        box.high[2],
        window.start.timestamp(),
        window.end.timestamp() if window.end is not None else FAR_FUTURE_S,
        # Whole metres outwards: a 32-bit float holds them exactly, where a tiny
        # height (1e-50) would be stored as 0 and fall outside its own box.
        math.floor(lower_m) - 1.0 if math.isfinite(lower_m) else -UNBOUNDED_M,
        math.ceil(upper_m) + 1.0 if math.isfinite(upper_m) else UNBOUNDED_M,
    )


def plan_box(feature: Feature) -> VolumeBox:
    """`volume_box(feature, sketched=True)`, kept on the feature once computed.

    A plan read on every core is boxed where each feature is read (`rules/plan.py`),
    and the box comes back with the feature, so the check does not box it again. A
    box drawn from a sketch still holds the shape once it is built.
    """
    kept = vars(feature)  # a frozen dataclass refuses new attributes, not its __dict__
    if "plan_box" not in kept:
        kept["plan_box"] = volume_box(feature, sketched=True)
    box: VolumeBox = kept["plan_box"]
    return box


def is_plan_boxed(feature: Feature) -> bool:
    """Whether `plan_box` has the feature's box already."""
    return "plan_box" in vars(feature)
