"""The hot path's histogram: plain counts that read back as Prometheus' cumulative buckets."""

from __future__ import annotations

import pytest

from streams.tally import Buckets


def test_a_value_counts_in_the_first_bucket_whose_bound_holds_it() -> None:
    b = Buckets((0.1, 1.0, 10.0))
    for value in (0.05, 0.1, 0.5, 1.0, 3.0, 99.0):
        b.observe(value)
    assert b.counts == [2, 2, 1, 1]  # le=0.1 is inclusive, as Prometheus' buckets are
    assert b.cumulative() == [("0.1", 2), ("1.0", 4), ("10.0", 5), ("+Inf", 6)]
    assert b.count == 6 and b.total == pytest.approx(103.65)


@pytest.mark.parametrize("bounds", [(1.0, 0.5), (1.0, 1.0)])
def test_bounds_must_increase(bounds: tuple[float, ...]) -> None:
    with pytest.raises(ValueError):
        Buckets(bounds)
