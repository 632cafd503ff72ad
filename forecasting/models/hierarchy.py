"""Coherent levels: a country's expected deaths are the sum of its regions', and a region's the
sum of its districts' (bottom-up reconciliation).

Series at different levels are forecast separately, so on their own a country's forecast need
not equal the sum of its regions', and a report could show numbers that do not add up. After the
model has forecast every series, each parent's `mean` is replaced by the sum of its children's
(reconciled first, from the finest level up: admin2 -> admin1 -> country -> area), and its
quantiles are scaled by the same factor, so its interval keeps its own shape around the
reconciled mean. (Moving them on the log1p scale instead was tried: the same CRPS, but 90%
coverage at admin1 fell from 91% to 82% on the sample.) Quantiles themselves do not add up:
the 95th percentile of a sum is not the sum of the 95th percentiles.

A parent is reconciled only where its children are all in the panel and really sum to it: every
month of their history adds up exactly to the parent's, and they end in the same month. A panel
cut by scope, or counting different things at different levels, is left as it is.
"""

from __future__ import annotations

from typing import Self

import numpy as np
import pandas as pd

from forecasting.models.base import QUANTILE_COLUMNS, Model, Panel

#: Geographic levels, coarsest first, and the scope columns that name a unit at each.
GEOGRAPHIC = {"area": (), "country": ("country",), "admin1": ("country", "admin1"), "admin2": ("country", "admin1", "admin2")}


def parent_series(series: pd.DataFrame) -> pd.Series:
    """series_id -> its parent's series_id (the next coarser geographic level, same measure) for
    every series of a series frame whose parent is in the frame too. Empty where the frame has
    no scope columns (a bare frame of series_id, period, value) or only one level."""
    needed = {"level", "country", "admin1", "admin2"}
    if not needed <= set(series.columns):
        return pd.Series(dtype=object)
    units = series.drop_duplicates("series_id")
    units = units[units["level"].isin(list(GEOGRAPHIC))]
    measure = units["measure"] if "measure" in units else pd.Series("", index=units.index)
    units = units.assign(_measure=measure.fillna(""))
    levels = list(GEOGRAPHIC)
    links = []
    for coarse, fine in zip(levels, levels[1:]):
        keys = ["_measure", *GEOGRAPHIC[coarse]]
        parents = units[units["level"] == coarse][[*keys, "series_id"]].rename(columns={"series_id": "parent"})
        children = units[units["level"] == fine][[*keys, "series_id"]]
        if parents.empty or children.empty:
            continue
        links.append(children.merge(parents, on=keys, how="inner")[["series_id", "parent"]])
    if not links:
        return pd.Series(dtype=object)
    linked = pd.concat(links, ignore_index=True)
    return pd.Series(linked["parent"].to_numpy(), index=pd.Index(linked["series_id"].to_numpy(), name="series_id"))


class BottomUp:
    """A model whose forecasts are reconciled bottom-up over `parents` (see module doc)."""

    def __init__(self, model: Model, parents: pd.Series):
        self.model = model
        self.parents = parents
        self.name = model.name
        self.min_months = model.min_months

    def fit(self, panel: Panel) -> Self:
        self.model.fit(panel)
        self.order = coherent_parents(panel, self.parents)
        return self

    def predict(self, horizon: int) -> pd.DataFrame:
        return reconcile(self.model.predict(horizon), self.order)


def coherent_parents(panel: Panel, parents: pd.Series) -> list[tuple[str, list[str]]]:
    """(parent, its children) for each parent whose children sum to it in every month and end
    when it does, finest parents first (so their sums are reconciled before their own parents')."""
    if parents.empty or len(panel) == 0:
        return []
    # Plain dicts: pandas' lookups and group-by of string ids cost most of a detect's fit here.
    row = {series_id: index for index, series_id in enumerate(panel.series_ids)}
    linked = parents[parents.index.isin(list(row)) & parents.isin(list(row))]
    children_of: dict[str, list[str]] = {}
    for child, parent in zip(linked.index, linked.to_numpy()):
        children_of.setdefault(parent, []).append(child)
    depth = {"area": 0, "country": 1, "admin1": 2, "admin2": 3}
    values = np.nan_to_num(panel.values)
    order = []
    for parent in sorted(children_of):
        kids = children_of[parent]
        own = row[parent]
        rows = np.array([row[kid] for kid in kids])
        same_end = (panel.last_periods[rows] == panel.last_periods[own]).all()
        if same_end and np.array_equal(values[rows].sum(axis=0), values[own]):
            order.append((depth.get(panel.levels[own], 0), parent, kids))
    return [(parent, kids) for _, parent, kids in sorted(order, key=lambda item: -item[0])]


def reconcile(forecasts: pd.DataFrame, order: list[tuple[str, list[str]]]) -> pd.DataFrame:
    """The forecast frame with each parent's mean the sum of its children's means and its
    quantiles scaled to match (a parent forecast as 0 takes the children's sum as a shift)."""
    if not order or forecasts.empty:
        return forecasts
    result = forecasts.copy()
    position = {key: index for index, key in enumerate(zip(result["series_id"], result["period"]))}
    series_rows = result.groupby("series_id", sort=False).indices
    mean = result["mean"].to_numpy(dtype=float).copy()
    quantiles = result[list(QUANTILE_COLUMNS)].to_numpy(dtype=float).copy()
    for parent, children in order:
        own = series_rows[parent]
        periods = result["period"].to_numpy()[own]
        total = np.zeros(len(own))
        for child in children:
            total += mean[[position[(child, period)] for period in periods]]
        old = mean[own]
        with np.errstate(divide="ignore", invalid="ignore"):
            factor = np.where(old > 0, total / old, 1.0)
        shift = np.where(old > 0, 0.0, total)
        quantiles[own] = quantiles[own] * factor[:, None] + shift[:, None]
        mean[own] = total
    result["mean"] = mean
    result[list(QUANTILE_COLUMNS)] = quantiles
    return result
