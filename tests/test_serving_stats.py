"""The serving benchmark's statistics (numpy / scipy), on values worked out by hand."""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import serving  # noqa: E402

NAN = float("nan")


def test_percentiles_interpolate_between_ranks():
    assert serving.percentile([5, 1, 4, 2, 3], 0.5) == 3.0
    assert serving.percentile([10, 20], 0.95) == 19.5
    assert math.isnan(serving.percentile([], 0.9))


def test_slopes_skip_failed_turns():
    assert abs(serving.slope([1, 2, NAN, 4]) - 1.0) < 1e-9
    # Theil-Sen: the median of the six pairwise slopes 1, 1, 1, 24.75, 32.67, 96
    assert serving.median_slope([1, 2, NAN, 4, 100]) == 12.875
    assert math.isnan(serving.slope([NAN, 3]))
