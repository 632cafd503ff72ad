"""One map per country: where this month's political violence happened against the twelve months
before, capitals labelled from the gazetteer, the incidents' places highlighted.

On longitude and latitude (equirectangular, scaled by the cosine of the mean latitude so that
distances look right), over country outlines from Natural Earth's 1:110m countries (public
domain), shipped as reports/data/outlines.json (see reports/data/README.md): the report draws
with no network.
"""

from __future__ import annotations

import functools
import json
import math
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from reports import style
from reports.inputs import ReportInputs
from forecasting.wording import month_label, number

#: Marker area (points^2) per reported death, and the area of an event without deaths.
_AREA_PER_DEATH = 6.0
_AREA_NO_DEATHS = 6.0
_LARGEST_AREA = 900.0
_LEGEND_DEATHS = (1, 10, 50)
OUTLINES = Path(__file__).parent / "data" / "outlines.json"
#: Attribution, though the source asks none (public domain).
OUTLINE_SOURCE = "Country outlines: Natural Earth, 1:110m countries (public domain)."


@functools.cache
def outlines() -> dict[str, list[np.ndarray]]:
    """Each country's outline rings, arrays of (longitude, latitude)."""
    rings = json.loads(OUTLINES.read_text(encoding="utf-8"))
    return {country: [np.asarray(ring, dtype=float) for ring in country_rings] for country, country_rings in rings.items()}


def marker_area(fatalities) -> np.ndarray:
    """Marker areas for events with `fatalities` deaths: proportional to deaths, capped so one
    massacre does not cover the country."""
    deaths = np.asarray(fatalities, dtype=float)
    return np.minimum(_AREA_NO_DEATHS + _AREA_PER_DEATH * deaths, _LARGEST_AREA)


def map_figure(inputs: ReportInputs, country: str, title: str, highlighted: list[tuple[str, float, float]]) -> Figure:
    """The map of `country`: grey the previous twelve months' events, orange this month's, both
    sized by reported deaths; capitals as labelled squares (national capital a star); each
    place in `highlighted` (name, latitude, longitude) circled and named."""
    figure = style.new_page()
    month = _in_country(inputs.month_events, country)
    earlier = _in_country(inputs.earlier_events, country)
    capitals = inputs.capitals[inputs.capitals["country"] == country] if not inputs.capitals.empty else inputs.capitals
    figure.text(0.05, 0.95, title, fontsize=15, fontweight="bold", va="top")
    figure.text(0.05, 0.905,
                f"{number(len(month))} political-violence events in {month_label(inputs.month)} "
                f"({number(month['fatalities'].sum() if not month.empty else 0)} reported deaths), against "
                f"{number(len(earlier))} in the twelve months before (grey). Marker area: reported deaths.",
                fontsize=9.5, color=style.TEXT_GREY, va="top")
    axes = figure.add_axes((0.05, 0.07, 0.68, 0.8))
    located = [frame[["latitude", "longitude"]] for frame in (month, earlier, capitals) if not frame.empty]
    everything = pd.concat(located) if located else pd.DataFrame()
    if everything.empty:
        axes.text(0.5, 0.5, "No located events", transform=axes.transAxes, ha="center", va="center", color=style.TEXT_GREY)
        axes.set_axis_off()
        return figure
    _draw_outlines(axes, country)
    if not earlier.empty:
        # The year's 600-1,400 grey points are one image in the PDF, at the PNGs' resolution: drawn
        # as vectors they were a fifth of a map's drawing time and two thirds of its PDF bytes,
        # for background marks that look the same on the page (the PNGs differ by a shade).
        axes.scatter(earlier["longitude"], earlier["latitude"], s=marker_area(earlier["fatalities"]), color=style.GREY,
                     alpha=0.45, linewidths=0, label="Twelve months before", zorder=1, rasterized=True)
    if not month.empty:
        axes.scatter(month["longitude"], month["latitude"], s=marker_area(month["fatalities"]), color=style.VERMILLION,
                     alpha=0.75, edgecolors="white", linewidths=0.5, label=month_label(inputs.month), zorder=3)
    _draw_capitals(axes, capitals, named={name for name, _, _ in highlighted})
    for name, latitude, longitude in highlighted:
        axes.scatter([longitude], [latitude], s=700, facecolors="none", edgecolors=style.BLUE, linewidths=2.2, zorder=4)
        axes.annotate(name, xy=(longitude, latitude), xytext=(14, -14), textcoords="offset points", fontsize=9,
                      fontweight="bold", color=style.BLUE, zorder=6,
                      bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    south, north = everything["latitude"].min(), everything["latitude"].max()
    west, east = everything["longitude"].min(), everything["longitude"].max()
    pad = 0.4
    axes.set_xlim(west - pad, east + pad)
    axes.set_ylim(south - pad, north + pad)
    axes.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    figure.text(0.76, 0.1, "\n".join(textwrap.wrap(OUTLINE_SOURCE, 34)), fontsize=8, color=style.TEXT_GREY, va="bottom")
    axes.set_xlabel("Longitude (\u00b0)")
    axes.set_ylabel("Latitude (\u00b0)")
    axes.grid(True, color=style.LIGHT_GREY, linewidth=0.5)
    _legend(figure, inputs)
    return figure


def _draw_outlines(axes, country: str) -> None:
    """Every shipped country outline under the points (the axes' limits clip them to the map):
    the map's country a light fill, its neighbours white, borders grey."""
    for name, rings in outlines().items():
        for ring in rings:
            axes.fill(ring[:, 0], ring[:, 1], facecolor=style.OUTLINE_FILL if name == country else "white",
                      edgecolor=style.TEXT_GREY if name == country else style.GREY, linewidth=1.0 if name == country else 0.6,
                      zorder=0, gid=f"outline:{name}")


#: How each level of capital is drawn (marker, area, label size, weight), the largest first.
CAPITAL_STYLES = {"national_capital": ("*", 180, 10, "bold"), "admin1_capital": ("s", 36, 8.5, "bold"),
                  "admin2_capital": ("s", 12, 7, "normal")}


def _draw_capitals(axes, capitals: pd.DataFrame, named: set[str]) -> None:
    """Capitals' markers, and their names except those in `named` (an incident's place, named
    in its own label: one name a place)."""
    rank = {level: position for position, level in enumerate(CAPITAL_STYLES)}
    # A seat that is also a larger capital (Bamako: the nation's and its district's; a region's
    # seat: its province's too) is labelled once, as the largest.
    largest: dict[str, int] = {}
    for seat, level in zip(capitals.get("seat", ()), capitals.get("level", ())):
        if level in rank:
            largest[seat] = min(largest.get(seat, rank[level]), rank[level])
    for level, (marker, size, fontsize, weight) in CAPITAL_STYLES.items():
        chosen = capitals[capitals["level"] == level] if not capitals.empty else capitals
        if chosen.empty:
            continue
        axes.scatter(chosen["longitude"], chosen["latitude"], marker=marker, s=size, color=style.BLACK, zorder=5)
        for row in chosen.drop_duplicates("seat").itertuples(index=False):
            if row.seat in named or largest[row.seat] < rank[level]:
                continue
            axes.annotate(row.seat, xy=(row.longitude, row.latitude), xytext=(4, 3), textcoords="offset points",
                          fontsize=fontsize, fontweight=weight, color=style.BLACK, zorder=6)


def _legend(figure: Figure, inputs: ReportInputs) -> None:
    """Marker sizes explained once, right of the map, with the symbols for capitals."""
    axes = figure.add_axes((0.76, 0.3, 0.2, 0.5))
    axes.set_axis_off()
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1)
    axes.text(0, 0.98, "Reported deaths", fontsize=10, fontweight="bold", va="top")
    for index, deaths in enumerate(_LEGEND_DEATHS):
        y = 0.86 - index * 0.11
        axes.scatter([0.1], [y], s=marker_area([deaths]), color=style.VERMILLION, alpha=0.75)
        axes.text(0.3, y, f"{deaths}", fontsize=9, va="center")
    y = 0.5
    for label, marker, colour, size in (
        (month_label(inputs.month), "o", style.VERMILLION, 40), ("Twelve months before", "o", style.GREY, 40),
        ("National capital", "*", style.BLACK, 120), ("Regional capital (labelled)", "s", style.BLACK, 36),
        ("Provincial capital", "s", style.BLACK, 12), ("Place of an incident", "o", style.BLUE, 120),
    ):
        hollow = label.startswith("Place")
        axes.scatter([0.1], [y], marker=marker, s=size, facecolors="none" if hollow else colour,
                     edgecolors=colour, linewidths=2 if hollow else 0)
        axes.text(0.3, y, label, fontsize=8.5, va="center")
        y -= 0.085


def _in_country(events: pd.DataFrame, country: str) -> pd.DataFrame:
    if events.empty:
        return events
    chosen = events[(events["country"] == country)]
    return chosen.dropna(subset=["latitude", "longitude"])
