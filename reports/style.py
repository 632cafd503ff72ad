"""One look for every chart and page: colour-blind-safe colours, fonts, page size, dated axes.

Colours are the Okabe-Ito palette, which readers with any common colour-vision deficiency can
tell apart; meaning never rests on colour alone (lines differ in style, markers carry labels).
Charts are `matplotlib.figure.Figure` objects, drawn once, to PDF (`render.save_pages`; the PNGs
are their PDF pages rasterized); nothing touches pyplot's global state. The rc settings below
apply only inside `report_style()`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import matplotlib
from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design".
BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#BBBBBB"
LIGHT_GREY = "#E4E4E4"
TEXT_GREY = "#555555"
#: The land of the country a map is of (its neighbours are white).
OUTLINE_FILL = "#F3EFE6"

OBSERVED_COLOUR = BLACK
EXPECTED_COLOUR = BLUE
BAND_COLOUR = SKY_BLUE
BAND_LABEL = "90% expected range"
SEVERITY_COLOURS = {"critical": VERMILLION, "warning": ORANGE, "info": REDDISH_PURPLE}
# A square for critical: a downward triangle read as a fall.
SEVERITY_MARKERS = {"critical": "s", "warning": "D", "info": "o"}
TIER_COLOURS = {
    "national_capital": REDDISH_PURPLE,
    "admin1_capital": BLUE,
    "admin2_capital": VERMILLION,
    "admin3_seat": BLUISH_GREEN,
    "other": LIGHT_GREY,
}

#: A4 landscape, in inches: every chart is a PDF page and, at PNG_DPI, a PNG of the same layout.
PAGE_SIZE = (11.69, 8.27)
PNG_DPI = 100
PNG_SIZE = (round(PAGE_SIZE[0] * PNG_DPI), round(PAGE_SIZE[1] * PNG_DPI))

_RC = {
    # DejaVu Sans ships with matplotlib and has the glyphs of West African place names
    # (accents, apostrophes, cedillas).
    "font.family": "DejaVu Sans",
    "font.size": 10,
    # A `$` in a place name or message must print as a dollar sign, not start mathtext.
    "text.parse_math": False,
    # TrueType in the PDF keeps its text selectable and searchable (Type 3 does not, reliably).
    "pdf.fonttype": 42,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    # Titles sit at the top of their axes: no chart has tick labels on top, so matplotlib's search
    # for a clear position (a tight box of every axis at each draw, a tenth of a page's time)
    # would find the same place.
    "axes.titley": 1.0,
    "axes.labelsize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": LIGHT_GREY,
    "grid.linewidth": 0.7,
    "legend.frameon": False,
    "legend.fontsize": 9,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
}


@contextlib.contextmanager
def report_style() -> Iterator[None]:
    """Apply the report's matplotlib settings while charts are built and saved."""
    with matplotlib.rc_context(_RC):
        yield


def new_page() -> Figure:
    """An empty A4-landscape figure."""
    return Figure(figsize=PAGE_SIZE)


def format_month_axis(axes, *, compact: bool = False) -> None:
    """Dated x axis: concise month/year ticks that stay legible at any span. `compact` (a small
    multiple): at most 4 ticks on each axis (the years of a three-year history), whole numbers
    on the value axis; ticks are most of a small multiple's drawing time, and a panel a few
    centimetres wide reads no better for more."""
    from matplotlib import dates, ticker

    locator = dates.AutoDateLocator(minticks=2, maxticks=4) if compact else dates.AutoDateLocator(minticks=4, maxticks=10)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(dates.ConciseDateFormatter(locator, show_offset=False))
    if compact:
        axes.yaxis.set_major_locator(ticker.MaxNLocator(nbins=4, steps=[1, 2, 2.5, 5, 10], integer=True))


def format_month_of_year_axis(axes) -> None:
    """x axis of one calendar year for running totals drawn at each month's end: a tick at each
    month's start and its short name centred on the month, so the July point sits at July's
    right edge (several years' curves are drawn on one year's calendar)."""
    from matplotlib import dates

    axes.xaxis.set_major_locator(dates.MonthLocator())
    axes.xaxis.set_major_formatter(dates.DateFormatter(""))
    axes.xaxis.set_minor_locator(dates.MonthLocator(bymonthday=16))
    axes.xaxis.set_minor_formatter(dates.DateFormatter("%b"))
    axes.tick_params(axis="x", which="minor", length=0)
