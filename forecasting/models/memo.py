"""Remembering what forecasting computed from a history, so that the same history is not
forecast twice.

Most of a `detect` is the ensemble's judgement of its members (`forecasting.models.ensemble`):
two dozen rolling-origin forecasts of every member, to set its weights and calibration. Both
depend on nothing but the history the ensemble was fitted on (and the code), so:

- the **judgement** (weights per level, calibration) is kept in a `Judgements` store under a
  fingerprint of that history: the next `detect` of the month, a report of it, or a rerun of
  the service finds it there. A history that changed in any month (a late event, a correction)
  has another fingerprint, so its judgement is computed afresh and replaces the month's old one.
- the members' **forecasts at each rolling origin**, with their outcomes, are kept in memory,
  for one process only, when `keep_origins` is on: a backfill's months share all but one of
  their origins (month m+1's history cut at an origin is month m's cut one month later), so
  each month fits the members at its newest origin only.

A memo only ever returns what the computation it stands for would return from the same inputs:
keys are digests of the inputs, the settings and the source of the forecasting code, so an
upgrade or an edit of a model is never served an old result. Without a memo nothing is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd

from forecasting.models.base import Panel
from forecasting.models.calibration import ANY, Calibration

T = TypeVar("T")
#: What an ensemble's judgement is: weights per level (in member order) and the calibration.
Judgement = tuple[dict[str, np.ndarray], Calibration]


class Judgements(Protocol):
    """Where judgements are kept (the store's `forecasting.store.judgements`)."""

    def load(self, key: str) -> str | None:
        """The judgement saved under `key` (as `encode_judgement` wrote it), or None."""
        ...

    def save(self, key: str, forecast_month: str, settings: str, judgement: str) -> None:
        """Keep `judgement` under `key`, in place of any other kept for the same
        `forecast_month` and `settings` (the month's history has changed since)."""
        ...


class ForecastMemo:
    """See the module doc. `judgements`: where judgements are kept (None: not kept);
    `keep_origins`: remember the members' rolling-origin forecasts in memory."""

    def __init__(self, judgements: Judgements | None = None, *, keep_origins: bool = False):
        self.judgements = judgements
        self.keep_origins = keep_origins
        self._origins: dict[str, list[pd.DataFrame]] = {}
        self._used: set[str] = set()

    def judgement(self, panel: Panel, settings: tuple, judge: Callable[[], Judgement]) -> Judgement:
        """`judge()`'s weights and calibration for an ensemble fitted on `panel` with `settings`
        (members, origins, months ahead, seed), from the store where they were kept before."""
        if self.judgements is None and not self.keep_origins:
            return judge()
        setting = _digest(repr(settings), code_version())
        key = _digest(setting, panel_fingerprint(panel))
        kept = self.judgements.load(key) if self.judgements is not None else None
        if kept is not None:
            return decode_judgement(kept)
        self._used = set()
        result = judge()
        # Only the origins this judgement used can serve the next month's: the others go.
        self._origins = {key: frame for key, frame in self._origins.items() if key in self._used}
        if self.judgements is not None:
            self.judgements.save(key, forecast_month(panel), setting, encode_judgement(result))
        return result

    def origin_forecasts(
        self, seen: Panel, settings: tuple, forecasts: Callable[[], list[pd.DataFrame]]
    ) -> list[pd.DataFrame]:
        """`forecasts()`: the members' forecasts at one rolling origin of the series `seen` (up to
        the months observed after it; `forecasting.models.rolling.origin_forecasts`), with
        `settings`; remembered in memory when `keep_origins` is on."""
        if not self.keep_origins:
            return forecasts()
        key = _digest(repr(settings), panel_fingerprint(seen))
        self._used.add(key)
        if key not in self._origins:
            self._origins[key] = forecasts()
        return self._origins[key]


def panel_fingerprint(panel: Panel) -> str:
    """A digest of everything a model sees of a panel: ids, levels, values, ends and lengths."""
    digest = hashlib.blake2b(digest_size=20)
    digest.update("\x1f".join(map(str, panel.series_ids)).encode())
    digest.update("\x1f".join(map(str, panel.levels)).encode())
    for array in (panel.values, panel.last_periods, panel.lengths):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def forecast_month(panel: Panel) -> str:
    """The first month forecast from `panel` (`YYYY-MM`): the month after its latest series' last."""
    if len(panel) == 0:
        return ""
    return str(panel.last_periods.max() + np.timedelta64(1, "M"))


@functools.cache
def code_version() -> str:
    """A digest of the forecasting code and the numerical libraries it runs on: what makes the
    same history give the same forecasts."""
    root = Path(__file__).resolve().parent.parent
    sources = sorted((root / "models").glob("*.py")) + [root / "scores.py", root / "distributions.py"]
    digest = hashlib.blake2b(digest_size=20)
    for source in sources:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    import scipy

    digest.update(f"numpy {np.__version__} scipy {scipy.__version__} pandas {pd.__version__}".encode())
    return digest.hexdigest()


def encode_judgement(judgement: Judgement) -> str:
    """JSON text of a judgement; floats as Python writes them, so they read back exactly."""
    weights, calibration = judgement
    return json.dumps({
        "weights": {level: values.tolist() for level, values in weights.items()},
        "shifts": [[level, horizon, values.tolist()] for (level, horizon), values in calibration.shifts.items()],
        "horizons": calibration.horizons,
    })


def decode_judgement(text: str) -> Judgement:
    """The judgement `encode_judgement` wrote."""
    data = json.loads(text)
    weights = {level: np.array(values, dtype=float) for level, values in data["weights"].items()}
    shifts = {
        (level, horizon if horizon == ANY else int(horizon)): np.array(values, dtype=float)
        for level, horizon, values in data["shifts"]
    }
    return weights, Calibration(shifts, int(data["horizons"]))


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=20).hexdigest()
