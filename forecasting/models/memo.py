"""Remembering what forecasting computed from a history, so that the same history is not
forecast twice.

Most of a `detect` is the ensemble's judgement of its members (`forecasting.models.ensemble`):
two dozen rolling-origin forecasts of every member, to set its weights and calibration. Both
depend on nothing but the history the ensemble was fitted on (and the code), so:

- the **judgement** (weights per level, calibration) is kept in a `Judgements` store under a
  fingerprint of that history: the next `detect` of the month, a report of it, or a rerun of
  the service finds it there. A history that changed in any month (a late event, a correction)
  has another fingerprint, so its judgement is computed afresh and replaces the month's old one.
- the members' **forecasts at each rolling origin**, with their outcomes, are kept in an
  `Origins` store under a fingerprint of the series seen at that origin, and in memory for one
  process when `keep_origins` is on: consecutive months share all but one of their origins
  (month m+1's history cut at an origin is month m's cut one month later), so the first
  `detect` of a new month, after the month before was detected, and each month of a backfill,
  read all the others at once and fit the members at the newest origin only;
- and the members' forecasts from the **whole history** a month's ensemble was fitted on
  (`keep_fitted`): those of the next month's newest origin, which so fits no member at all.

Where several panels are forecast apart from one history (`forecasting.models.forecast_apart`:
detection's measures and kinds of series), each has its memo `part`, kept under settings of its
own, so that no panel's judgement or origins replace another's.

A memo only ever returns what the computation it stands for would return from the same inputs:
keys are digests of the inputs, the settings and the source of the forecasting code, so an
upgrade or an edit of a model is never served an old result. Without a memo nothing is kept.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np
import pandas as pd

from forecasting.models.base import Panel
from forecasting.models.calibration import ANY, Calibration
from forecasting.models.executors import forked

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


class Origins(Protocol):
    """Where the members' forecasts at rolling origins are kept (`forecasting.store.judgements`)."""

    def load(self, keys: Sequence[str]) -> dict[str, bytes]:
        """The forecasts saved under each of `keys` that has any (as `encode_forecasts` wrote
        them), by key: one read for all the origins of a judgement."""
        ...

    def save(self, origins: list[tuple[str, str, str, bytes]]) -> None:
        """Keep each (key, seen_until, settings, forecasts), in place of any other kept for the
        same last month seen (`YYYY-MM`) and settings (those series have changed since)."""
        ...

    def forget_before(self, month: str, *, settings: str | None = None) -> None:
        """Forget the forecasts of every origin seen up to a month before `month` (`YYYY-MM`),
        with `settings` or whatever their settings (None)."""
        ...


class ForecastMemo:
    """See the module doc. `judgements`: where judgements are kept (None: not kept); `origins`:
    where the members' rolling-origin forecasts are kept (None: not kept); `keep_origins`:
    remember those in memory too (a backfill); `scope`: the panel this memo is for, where
    several are forecast apart from one history (`part`); `workers`: processes that may fit the
    members at the origins where nothing was kept, when there are at least `FORKED_FROM` of
    them (a judgement from scratch: `forecasting.models.executors.forked`)."""

    #: Origins to fit before their fits are shared among workers: a fork and the results'
    #: way back cost a few fits' time.
    FORKED_FROM = 8

    def __init__(self, judgements: Judgements | None = None, *, origins: Origins | None = None,
                 keep_origins: bool = False, scope: tuple[str, ...] = (), workers: int = 1):
        self.judgements = judgements
        self.origins = origins
        self.keep_origins = keep_origins
        self.scope = scope
        self.workers = workers
        self._parts: dict[str, ForecastMemo] = {}
        self._origins: dict[str, list[pd.DataFrame]] = {}
        #: Of the origins fitted here and remembered in memory (`keep_origins`), the last month
        #: each saw and its settings' digest: kept in the store after the last month (`save_fitted`).
        self._unstored: dict[str, tuple[str, str]] = {}
        self._used: set[str] = set()
        self._oldest = ""
        self._fitted: dict[str, list[pd.DataFrame]] = {}
        self._unsaved: list[tuple[str, str, str, bytes]] = []
        self._judged = False
        self._unsaved_fitted: tuple[str, str, str] | None = None

    def part(self, name: str) -> ForecastMemo:
        """The memo of one of several panels forecast apart (`forecasting.models.forecast_apart`),
        the same one on every call: it keeps in the same stores under settings of its own, and
        in memory apart, so that no panel's judgement replaces or prunes what another's kept."""
        if name not in self._parts:
            self._parts[name] = ForecastMemo(self.judgements, origins=self.origins, keep_origins=self.keep_origins,
                                             scope=(*self.scope, name), workers=self.workers)
        return self._parts[name]

    def judgement(self, panel: Panel, settings: tuple, judge: Callable[[], Judgement]) -> Judgement:
        """`judge()`'s weights and calibration for an ensemble fitted on `panel` with `settings`
        (members, origins, months ahead, seed), from the store where they were kept before."""
        if self.judgements is None and self.origins is None and not self.keep_origins:
            return judge()
        setting, key = self._keys(panel, settings)
        kept = self.judgements.load(key) if self.judgements is not None else None
        if kept is not None:
            return decode_judgement(kept)
        self._used, self._unsaved, self._oldest = set(), [], ""
        result = judge()
        self._judged = True
        # Only the origins this judgement used can serve the next month's: the others go.
        self._origins = {key: frame for key, frame in self._origins.items() if key in self._used}
        self._unstored = {key: row for key, row in self._unstored.items() if key in self._used}
        if self._unsaved:
            self.origins.save(self._unsaved)
            self._unsaved = []
        # Next month's window starts where this one's does or later: an origin seen before its
        # oldest serves no newer month, and the store would otherwise grow by a row or more a
        # month for ever (and keep every row a code upgrade orphaned). A rerun of an older month
        # fits those origins again.
        if self.origins is not None and self._oldest:
            self.origins.forget_before(self._oldest)
        if self.judgements is not None:
            self.judgements.save(key, forecast_month(panel), setting, encode_judgement(result))
        return result

    def origin_forecasts(
        self, origins: Sequence[tuple[Panel, tuple, Callable[[], list[pd.DataFrame]]]]
    ) -> list[pd.DataFrame]:
        """The members' forecasts at rolling origins, one (`seen`, `settings`, `forecasts`) an
        origin: `forecasts()` gives those at the origin of the series `seen` (up to the months
        observed after it; `forecasting.models.rolling.origin_forecasts`) with `settings`. All
        their rows, in frames of one or more origins and members, in no set order. Remembered in
        memory when `keep_origins` is on, read from (in one read) and saved to the `origins`
        store where there is one (saved with the judgement they serve, or where they are
        remembered in memory, a backfill's, those of the last judgement after its last month:
        `save_fitted`)."""
        if self.origins is None and not self.keep_origins:
            return [frame for _, _, forecasts in origins for frame in forecasts()]
        keyed = []
        for seen, settings, forecasts in origins:
            setting, key = self._keys(seen, settings)
            self._used.add(key)
            self._oldest = min(self._oldest or seen_until(seen), seen_until(seen))
            keyed.append((key, setting, seen, forecasts))
        found = [frame for key, *_ in keyed if key in self._origins for frame in self._origins[key]]
        missing = [entry for entry in keyed if entry[0] not in self._origins]
        kept = self.origins.load([key for key, *_ in missing]) if self.origins is not None and missing else {}
        if kept:
            stored = [key for key, *_ in missing if key in kept]
            if self.keep_origins:  # a backfill's first month: each origin's apart, for the months after
                for key in stored:
                    self._origins[key] = [decode_forecasts([kept[key]])]
                    found += self._origins[key]
            else:
                found.append(decode_forecasts([kept[key] for key in stored]))
        fresh = [entry for entry in missing if entry[0] not in kept]
        for (key, setting, seen, _), (frames, encoded) in zip(fresh, self._made([forecasts for *_, forecasts in fresh])):
            if encoded is not None and self.origins is not None and not self.keep_origins:
                self._unsaved.append((key, seen_until(seen), setting, encoded))
            if self.keep_origins and len(frames) > 1:
                # One frame an origin: each later month's judgement joins its 36 origins' frames,
                # not six times as many (pd.concat's cost goes with the frames' number).
                frames = [pd.concat(frames, ignore_index=True)]
            if self.keep_origins:
                self._origins[key] = frames
                self._unstored[key] = (seen_until(seen), setting)
            found += frames
        return found

    def _made(self, calls: list[Callable[[], list[pd.DataFrame]]]) -> list[tuple[list[pd.DataFrame], bytes | None]]:
        """Each origin's forecasts, `call()`, and their encoding (`encode_forecasts`; None
        where not kept in a store, or not encodable): made here, or shared among `workers`
        forked processes where there are at least `FORKED_FROM`, which encode them too (a
        record batch comes back far faster than frames)."""
        if len(calls) < self.FORKED_FROM or self.workers <= 1:
            made = [call() for call in calls]
            # Remembered in memory (a backfill), they are encoded after the last month, if still used.
            encoded = self.origins is not None and not self.keep_origins
            return [(frames, encode_forecasts(frames) if encoded else None) for frames in made]
        encoded = forked([functools.partial(_encoded, call) for call in calls], self.workers)
        return [([decode_forecasts([batch])], batch) if batch is not None else (frames, None) for batch, frames in encoded]

    def keep_fitted(self, panel: Panel, settings: tuple, frames: list[pd.DataFrame]) -> None:
        """Keep the members' forecasts `frames` fitted on `panel` with `settings` (members,
        months ahead, seed): the next month's newest rolling origin is fitted on this panel.
        Only the newest are kept: in memory when `keep_origins` is on (a backfill's month,
        `save_fitted` keeps the last month's in the store), and otherwise in the `origins` store
        where there is one and this memo judged the panel afresh (the first detection of a month:
        the next month's, in another process, finds them there)."""
        if not (self.keep_origins or (self.origins is not None and self._judged)):
            return
        # Only the series with an event: the others get the zero fallback at that origin, fitted
        # apart from the rest (`forecasting.models.rolling`); a model fits no series without one.
        active = np.nansum(panel.values, axis=1) != 0
        if not active.all():
            panel = panel.subset(active)
            kept = pd.Index(panel.series_ids)
            frames = [frame[kept.get_indexer(frame["series_id"]) >= 0].reset_index(drop=True) for frame in frames]
        setting, key = self._keys(panel, ("fitted", settings))
        self._fitted = {key: frames}
        self._unsaved_fitted = (key, seen_until(panel), setting) if self._judged else None
        if not self.keep_origins:
            self.save_fitted()

    def save_fitted(self) -> None:
        """Keep in the `origins` store the members' forecasts `keep_fitted` kept last (of each
        part), in place of the month before's: a backfill's months keep theirs in memory only,
        and it calls this after its last month, whose are the next month's newest origin. With
        them, where origins are remembered in memory (`keep_origins`), those the last judgement
        used that were fitted here: the next month reads all but its newest from the store."""
        for part in self._parts.values():
            part.save_fitted()
        if self.origins is not None and self._unstored:
            rows = [(key, month, setting, encode_forecasts(self._origins[key]))
                    for key, (month, setting) in self._unstored.items()]
            self.origins.save([row for row in rows if row[3] is not None])
            self._unstored = {}
        if self.origins is None or self._unsaved_fitted is None:
            return
        key, month, setting = self._unsaved_fitted
        self._unsaved_fitted = None
        encoded = encode_forecasts(self._fitted[key])
        if encoded is not None:
            self.origins.save([(key, month, setting, encoded)])
            self.origins.forget_before(month, settings=setting)

    def fitted(self, panel: Panel, settings: tuple) -> list[pd.DataFrame] | None:
        """The forecasts `keep_fitted` kept for the same `panel` and `settings`, in memory or in
        the `origins` store, or None."""
        key = self._keys(panel, ("fitted", settings))[1]
        if key in self._fitted:
            return self._fitted[key]
        kept = self.origins.load([key]) if self.origins is not None else {}
        return decode_members(kept[key]) if key in kept else None

    def _keys(self, panel: Panel, settings: tuple) -> tuple[str, str]:
        return _keys(panel, (self.scope, settings) if self.scope else settings)


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


def seen_until(panel: Panel) -> str:
    """The last month of `panel`'s latest series (`YYYY-MM`)."""
    return str(panel.last_periods.max()) if len(panel) else ""


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
        "inner_scale": [[level, horizon, value] for (level, horizon), value in calibration.inner_scale.items()],
        "series_offsets": {series_id: values.tolist() for series_id, values in calibration.series_offsets.items()},
    })


def decode_judgement(text: str) -> Judgement:
    """The judgement `encode_judgement` wrote."""
    data = json.loads(text)
    weights = {level: np.array(values, dtype=float) for level, values in data["weights"].items()}
    shifts = {
        (level, horizon if horizon == ANY else int(horizon)): np.array(values, dtype=float)
        for level, horizon, values in data["shifts"]
    }
    inner = {(level, horizon if horizon == ANY else int(horizon)): float(value) for level, horizon, value in data["inner_scale"]}
    offsets = {series_id: np.array(values, dtype=float) for series_id, values in data.get("series_offsets", {}).items()}
    return weights, Calibration(shifts, int(data["horizons"]), inner, offsets)


def _encoded(forecasts: Callable[[], list[pd.DataFrame]]) -> tuple[bytes | None, list[pd.DataFrame] | None]:
    """An origin's forecasts made by `forecasts()`, encoded (`encode_forecasts`), or as they
    are where they cannot be (then None and the frames)."""
    frames = forecasts()
    encoded = encode_forecasts(frames)
    return (encoded, None) if encoded is not None else (None, frames)


def encode_forecasts(frames: list[pd.DataFrame]) -> bytes | None:
    """One origin's member forecasts (one frame a member) as Arrow IPC bytes, which
    `decode_members` reads back equal, dtypes included, and `decode_forecasts` with other
    origins'; None where the frames do not share their columns and dtypes (not kept: computed
    again when needed)."""
    import pyarrow as pa

    if not frames or any(
        list(frame.dtypes.items()) != list(frames[0].dtypes.items())
        or not isinstance(frame.index, pd.RangeIndex) or frame.index.start != 0 or frame.index.step != 1
        for frame in frames
    ):
        return None
    try:
        # One conversion of all the members' rows (one a member took 2.4 times as long): a column of
        # None in one frame and of text in another is text.
        table = pa.Table.from_pandas(pd.concat(frames, ignore_index=True), preserve_index=False)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    # Columns of Python objects (text or None) read back as objects, not as pandas' str dtype.
    objects = [str(name) for name, dtype in frames[0].dtypes.items() if dtype == object]
    table = table.replace_schema_metadata({
        **(table.schema.metadata or {}),
        b"conflictwatch": json.dumps({"rows": [len(frame) for frame in frames], "objects": objects}).encode(),
    })
    sink = pa.BufferOutputStream()
    # One record batch in LZ4: half the size of a batch a member, and read in a fifth of the time
    # (a new month reads 35 origins of each of six panels).
    with pa.ipc.new_stream(sink, table.schema, options=pa.ipc.IpcWriteOptions(compression="lz4")) as writer:
        writer.write_table(table.combine_chunks(), max_chunksize=max(table.num_rows, 1))
    return sink.getvalue().to_pybytes()


def decode_forecasts(encoded: Sequence[bytes]) -> pd.DataFrame:
    """All the rows of the origins' forecasts that `encode_forecasts` wrote (`encoded`), in order,
    in one frame: what a judgement reads of the origins a store keeps."""
    return _frame([_read(data) for data in encoded])


def decode_members(encoded: bytes) -> list[pd.DataFrame]:
    """The member frames `encode_forecasts` wrote, one a member as they were given to it."""
    table = _read(encoded)
    whole = _frame([table])
    starts = np.cumsum([0, *_layout(table)["rows"]])
    return [whole.iloc[start:end].reset_index(drop=True) for start, end in zip(starts[:-1], starts[1:])]


def _read(encoded: bytes):
    import pyarrow as pa

    # Without threads: a read of a few thousand rows spends more starting them than decompressing.
    return pa.ipc.open_stream(encoded, options=pa.ipc.IpcReadOptions(use_threads=False)).read_all()


def _frame(tables: list) -> pd.DataFrame:
    """The Arrow `tables` `encode_forecasts` wrote as one frame, its columns' dtypes as given."""
    import pyarrow as pa

    table = pa.concat_tables(tables, promote_options="permissive") if len(tables) > 1 else tables[0]
    whole = table.to_pandas()
    for name in dict.fromkeys(name for part in tables for name in _layout(part)["objects"]):
        whole[name] = pd.Series(table.column(name).to_numpy(zero_copy_only=False), dtype=object)
    return whole


def _layout(table) -> dict:
    """What `encode_forecasts` noted of its frames: each one's rows, and the object columns."""
    return json.loads(table.schema.metadata[b"conflictwatch"])


def _keys(panel: Panel, settings: tuple) -> tuple[str, str]:
    """The digest of `settings` with the code's version, and the memo's key of `panel` with them."""
    setting = _digest(repr(settings), code_version())
    return setting, _digest(setting, panel_fingerprint(panel))


def _digest(*parts: str) -> str:
    return hashlib.blake2b("\x1e".join(parts).encode(), digest_size=20).hexdigest()
