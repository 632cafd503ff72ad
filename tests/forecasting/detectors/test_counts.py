"""The count distributions behind tail probabilities."""

from __future__ import annotations

import numpy as np
from scipy import stats

from forecasting.detectors import counts


def test_the_written_out_z_of_a_90_percent_interval_is_scipys():
    assert counts._Z90 == float(stats.norm.ppf(0.95))


def test_a_forecast_interval_gives_the_negative_binomial_it_was_read_from():
    size, mean = 3.0, 40.0
    lower, upper = 40 - 1.6448536269514722 * np.sqrt(mean + mean**2 / size), 40 + 1.6448536269514722 * np.sqrt(mean + mean**2 / size)
    (found,) = counts.negative_binomial_size(np.array([mean]), np.array([lower]), np.array([upper]))
    assert abs(found - size) < 1e-9
    p = size / (size + mean)
    (tail,) = counts.upper_tail(np.array([90.0]), np.array([mean]), np.array([size]))
    assert tail == stats.nbinom.sf(89, size, p)
