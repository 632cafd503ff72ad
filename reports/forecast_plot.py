"""The `conflictwatch forecast --plot FILE.png` chart: small multiples of the plotted series, each
with its one-month-ahead fit, its forecast mean and the forecast's 50% and 90% ranges.

Rendering only: the series, forecasts and fit come in computed (see `jobs.forecast`). The look is
the report's (`reports.style`): an A4-landscape Agg Figure, observed values in black, the forecast
mean dashed blue, the 90% band labelled as the report labels it.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from forecasting.series import SCOPE_COLUMNS
from forecasting.wording import month_label, place_name
from reports import style
from reports.charts import MEASURE_UNITS

FIT_LABEL = "one-month-ahead fit"
FIT_COLOUR = style.BLUISH_GREEN
HALF_BAND_LABEL = "50% expected range"
_HALF_MONTH = pd.Timedelta(days=13)


def forecast_plot_title(measure: str, through: pd.Timestamp, model: str, synthetic_label: str | None = None) -> str:
    """The chart's title: measure, last observed month and model, then `synthetic_label` (the
    synthetic-sample notice) when the data is the shipped sample, so a PNG forwarded alone says so."""
    title = f"Monthly {measure}: observed to {month_label(through)}, forecast by {model}"
    if synthetic_label:
        title += f" \u2014 {synthetic_label}"
    return title


def write_forecast_plot(path: Path, **drawn: Any) -> Path:
    """Draw `forecast_figure(**drawn)` into the PNG `path` (style.PNG_SIZE pixels) and return
    `path`; the report's look applies while the figure is drawn, not only when it is saved."""
    with style.report_style():
        forecast_figure(**drawn).savefig(path, dpi=style.PNG_DPI, format="png")
    return path


def forecast_figure(
    *,
    series: pd.DataFrame,
    forecasts: pd.DataFrame,
    fit: pd.DataFrame,
    series_ids: Sequence[str],
    through: pd.Timestamp,
    title: str,
    history_months: int = 36,
    left_out: int = 0,
) -> Figure:
    """One panel per id in `series_ids` (in that order): the series frame's last `history_months`
    months to `through`, the fit (`series_id, period, mean`: one-month-ahead forecasts, counts per
    month) and the forecast frame's mean, q25-q75 and q05-q95. `left_out`: series not drawn, named
    in the subtitle with how to see them."""
    figure = style.new_page()
    measure = str(series["measure"].iloc[0]) if "measure" in series and not series.empty else "fatalities"
    subtitle = [
        f"{MEASURE_UNITS.get(measure, measure)}, {history_months} months to {month_label(through)}; "
        f"dashed: forecast mean; shading: {HALF_BAND_LABEL} and {style.BAND_LABEL}",
        f"Dots: {FIT_LABEL}, each of the last {fit['period'].nunique()} months forecast by the same model "
        "from the months before it only",
    ]
    if left_out:
        subtitle.append(f"The {len(series_ids)} most active series of {len(series_ids) + left_out}: "
                        "draw another with --scope NAME, or more with --plot-most N")
    # The title may carry the synthetic-data label and run to two lines: wrap it here, where its
    # height is known, so the subtitle goes below it.
    title_lines = textwrap.wrap(title, 95)
    figure.text(0.05, 0.965, "\n".join(title_lines), fontsize=13, fontweight="bold", va="top", linespacing=1.25)
    subtitle_top = 0.965 - 0.03 * len(title_lines) - 0.01
    figure.text(0.05, subtitle_top, "\n".join(subtitle), fontsize=9, color=style.TEXT_GREY, va="top", linespacing=1.4)
    grid_top = subtitle_top - 0.024 * len(subtitle) - 0.05

    count = max(len(series_ids), 1)
    columns = 1 if count == 1 else 2 if count <= 4 else 3 if count <= 9 else 4
    rows = -(-count // columns)
    grid = figure.add_gridspec(rows, columns, left=0.06, right=0.98, top=grid_top, bottom=0.1, hspace=0.55, wspace=0.25)
    start = through - pd.DateOffset(months=history_months - 1)
    first = None
    for index, series_id in enumerate(series_ids):
        axes = figure.add_subplot(grid[index // columns, index % columns])
        first = first or axes
        history = series[(series["series_id"] == series_id) & (series["period"] >= start)].sort_values("period")
        draw_forecast(axes, history, forecasts[forecasts["series_id"] == series_id], fit[fit["series_id"] == series_id],
                      through=through, compact=count > 1)
        axes.set_title(_panel_name(series[series["series_id"] == series_id]), fontsize=10 if count > 1 else 12)
        if count > 4:
            axes.tick_params(labelsize=7.5)
    if first is not None and first.get_legend_handles_labels()[0]:
        handles, labels = first.get_legend_handles_labels()
        figure.legend(handles, labels, loc="lower center", ncols=len(labels), bbox_to_anchor=(0.5, 0.005))
    return figure


def draw_forecast(axes: Axes, history: pd.DataFrame, forecast: pd.DataFrame, fit: pd.DataFrame, *, through: pd.Timestamp, compact: bool) -> None:
    """Observed line, one-month-ahead fit as points, then the forecast's bands and mean, on `axes`."""
    if not forecast.empty:
        periods = forecast["period"].to_numpy()
        bands = {key: forecast[key].to_numpy(float) for key in ("q05", "q25", "q75", "q95")}
        if len(forecast) == 1:
            # A one-month band has no width; widen it by about half a month each side, as the report does.
            periods = _widened(forecast["period"])
            bands = {key: np.repeat(values, 2) for key, values in bands.items()}
        axes.fill_between(periods, bands["q05"], bands["q95"], color=style.BAND_COLOUR, alpha=0.3, linewidth=0,
                          label=style.BAND_LABEL)
        axes.fill_between(periods, bands["q25"], bands["q75"], color=style.BAND_COLOUR, alpha=0.6, linewidth=0,
                          label=HALF_BAND_LABEL)
        axes.plot(forecast["period"], forecast["mean"], color=style.EXPECTED_COLOUR, linestyle="--", linewidth=1.4,
                  marker=".", markersize=4 if compact else 6, label="Expected (forecast mean)")
    if not history.empty:
        axes.plot(history["period"], history["value"], color=style.OBSERVED_COLOUR, linewidth=1.2 if compact else 1.8,
                  label="Observed")
    else:
        axes.text(0.5, 0.5, "No data for this series", transform=axes.transAxes, ha="center", va="center", color=style.TEXT_GREY)
    if not fit.empty:
        axes.plot(fit["period"], fit["mean"], color=FIT_COLOUR, linestyle=":", linewidth=0.9, marker="o",
                  markersize=3 if compact else 4, label=FIT_LABEL.capitalize())
    axes.axvline(through, color=style.GREY, linewidth=1, linestyle=":", zorder=0)
    axes.set_ylim(bottom=0)
    style.format_month_axis(axes)


def _panel_name(rows: pd.DataFrame) -> str:
    """`Est (Burkina Faso)`: the place of a series, from its scope columns (never parsed out of
    its id)."""
    if rows.empty:
        return ""
    first = rows.iloc[0]
    scope = {key: first[key] if isinstance(first.get(key), str) else None for key in SCOPE_COLUMNS}
    return place_name(scope, "Whole area")


def _widened(periods: pd.Series) -> np.ndarray:
    pairs = [(period - _HALF_MONTH, period + _HALF_MONTH) for period in pd.to_datetime(periods)]
    return np.array([edge for pair in pairs for edge in pair], dtype="datetime64[ns]")
