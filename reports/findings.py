"""The month in five lines: the stories ranked by human impact (forecasting.report_data.rank),
each a sentence an analyst can forward as it is; when there are fewer than five, the watch
area's count for the month against its forecast range, each country's (outside its range first)
and the area's a year before fill the list.
"""

from __future__ import annotations

import pandas as pd

from forecasting.alerts import Alert
from forecasting.report_data import Story
from forecasting.wording import month_label, number
from reports.inputs import ReportInputs
from reports.selection import forecast_rows, scope_level, series_rows

LINES = 5
_AREA = {"country": None, "admin1": None, "admin2": None, "tier": None, "actor": None}


def month_lines(inputs: ReportInputs) -> list[tuple[str, Story | None]]:
    """Up to five (sentence, story) pairs, most human impact first; context sentences (story
    None) only fill the room the stories leave."""
    stories = [story for story in inputs.stories if story.status != "resolved"][:LINES]
    lines: list[tuple[str, Story | None]] = [(story_sentence(story), story) for story in stories]
    if len(lines) < LINES:
        area = area_record_sentence(stories, f"{inputs.month:%Y-%m}") or area_sentence(inputs)
        context = ([area] if area else []) + _context_sentences(inputs, [story.lead for story in stories])
        lines += [(sentence, None) for sentence in context[: LINES - len(lines)]]
    return lines


def story_sentence(story: Story) -> str:
    """The story's lead sentence on one line, ending with a full stop."""
    return _sentence(story.lead.message)


def area_record_sentence(stories: list[Story], month: str) -> str | None:
    """The watch area's record of deaths in `month` (`YYYY-MM`), in its own words (`May 2025 was
    the deadliest month in the Central Sahel on record ...`), where a story about one of its
    places tells it among its members: the month's widest fact, which the area's count against
    its range would understate. None where no story holds one, or where it leads its story (its
    line is above). A record of an earlier month (a resolved notice) is not this month's."""
    for story in stories:
        for alert in story.members[1:]:
            if (alert.kind == "record" and alert.measure == "fatalities" and alert.period[:7] == month
                    and all(alert.scope.get(key) is None for key in _AREA)):
                return _sentence(alert.message)
    return None


def area_sentence(inputs: ReportInputs) -> str | None:
    """`In May 2025, 873 fatalities were reported across Central Sahel (Burkina Faso, Mali and
    Niger), above the 90% expected range of 420 to 690.` None without an area series."""
    where = inputs.watch_area + (f" ({_listed(inputs.countries)})" if inputs.countries else "")
    found = _month_against_expected(inputs, _AREA)
    if found is None:
        return None
    observed, comparison = found
    during = _during(inputs)
    return f"{during[0].upper()}{during[1:]}, {number(observed)} fatalities were reported across {where}{comparison}."


def _country_sentence(inputs: ReportInputs, country: str, observed: float, comparison: str) -> str:
    return f"In {country}, {number(observed)} fatalities were reported {_during(inputs)}{comparison}."


def year_before_sentence(inputs: ReportInputs) -> str | None:
    """`A year earlier, in May 2024, 512 fatalities were reported across Central Sahel.` None for
    a month so far (not comparable with a whole month) or without the year-ago month."""
    if inputs.partial_month:
        return None
    rows = series_rows(inputs.series, "fatalities", _AREA)
    year_before = rows[rows["period"] == inputs.month - pd.DateOffset(years=1)]
    if year_before.empty:
        return None
    return (f"A year earlier, in {month_label(year_before['period'].iloc[0])}, {number(year_before['value'].iloc[0])} "
            f"fatalities were reported across {inputs.watch_area}.")


def _context_sentences(inputs: ReportInputs, told: list[Alert]) -> list[str]:
    """Countries outside their range first (then the deadliest), skipping a country whose own
    fatalities alert is already a finding; then the area a year before."""
    told_countries = {alert.scope.get("country") for alert in told
                      if alert.measure == "fatalities" and scope_level(alert.scope) == "country"}
    ranked = []
    for country in inputs.countries:
        if country in told_countries:
            continue
        found = _month_against_expected(inputs, {**_AREA, "country": country})
        if found is None:
            continue
        observed, comparison = found
        outside = comparison.startswith((", above", ", below"))
        ranked.append((not outside, -observed, country, comparison))
    sentences = [
        _country_sentence(inputs, country, -deaths, comparison) for _inside, deaths, country, comparison in sorted(ranked)
    ]
    return [sentence for sentence in (*sentences, year_before_sentence(inputs)) if sentence]


def _month_against_expected(inputs: ReportInputs, scope: dict) -> tuple[float, str] | None:
    """This month's fatalities in `scope` and how they compare: `, above the 90% expected range
    of 420 to 690` (a whole month with a forecast), `, against 310 in April 2025` (otherwise,
    when the month before is known) or ``. None without the series for this month."""
    rows = series_rows(inputs.series, "fatalities", scope)
    this_month = rows[rows["period"] == inputs.month]
    if this_month.empty:
        return None
    observed = this_month["value"].iloc[0]
    forecast = forecast_rows(inputs.forecasts, rows["series_id"].iloc[0], "fatalities")
    expected = forecast[forecast["period"] == inputs.month]
    if not expected.empty and not inputs.partial_month:
        low, high = expected["q05"].iloc[0], expected["q95"].iloc[0]
        position = "above" if observed > high else "below" if observed < low else "within"
        return observed, f", {position} the 90% expected range of {number(low)} to {number(high)}"
    previous = rows[rows["period"] == inputs.month - pd.DateOffset(months=1)]
    if not previous.empty:
        whole = "all of " if inputs.partial_month else ""
        return observed, f", against {number(previous['value'].iloc[0])} in {whole}{month_label(previous['period'].iloc[0])}"
    return observed, ""


def _during(inputs: ReportInputs) -> str:
    """`in May 2025`, or `from 1 to 14 May 2025` for a month so far."""
    if inputs.partial_month:
        return f"from 1 to {inputs.moment.day.day} {month_label(inputs.month)}"
    return f"in {month_label(inputs.month)}"


def _listed(items) -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith((".", "!", "?")) else text + "."
