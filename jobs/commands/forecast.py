"""`conflictwatch forecast` and `conflictwatch backtest`.

Nothing slow at the top level: `jobs.cli` imports this module at start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from jobs.commands.options import COUNTRY_HELP, LEVEL_HELP, Level, Measure, stored_country_names
from jobs.commands.output import print_csv, print_table
from jobs.session import session

app = typer.Typer()

#: What `backtest` compares when no --model is given: the reference baselines and the models
#: that are fast enough to backtest at admin2 (ETS and Prophet: ask for them by name).
BACKTEST_MODELS = ("seasonal_naive", "trailing_mean", "conflictology", "negbin", "default")


@app.command()
def forecast(
    context: typer.Context,
    level: Annotated[Level, typer.Option("--level", "--by", help=LEVEL_HELP)] = Level.country,
    measure: Annotated[Measure, typer.Option("--measure", help="What is counted.")] = Measure.fatalities,
    country: Annotated[Optional[list[str]], typer.Option("--country", help=COUNTRY_HELP)] = None,
    scope: Annotated[
        Optional[str], typer.Option("--scope", help="Only series whose admin1, admin2, tier or actor is NAME.")
    ] = None,
    model: Annotated[Optional[str], typer.Option("--model", help="Model name (default: config.yaml's forecast.model).")] = None,
    horizon: Annotated[Optional[int], typer.Option("--horizon", min=1, help="Months ahead (default: config.yaml).")] = None,
    as_of: Annotated[
        Optional[str], typer.Option("--as-of", help="Use data up to this month, YYYY-MM (default: last complete month).")
    ] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array.")] = False,
    plot: Annotated[
        Optional[Path],
        typer.Option("--plot", help="Also draw each series, its one-month-ahead fit and the forecast bands to FILE.png."),
    ] = None,
    plot_most: Annotated[
        int, typer.Option("--plot-most", min=1, help="With --plot: draw at most N series, the most active (see others with --scope).")
    ] = 12,
) -> None:
    """Fit a baseline and print monthly forecasts with 50% and 90% intervals."""
    from jobs.forecast import SYNTHETIC_LABEL, plot_forecasts, run_forecast

    current = session(context)
    current.load_sample_if_empty()
    run = run_forecast(
        current.store,
        current.config,
        level=level.value,
        measure=measure.value,
        countries=stored_country_names(current.store, country),
        scope=scope,
        model=model,
        horizon=horizon,
        as_of=as_of,
    )
    if plot is not None:
        typer.echo(f"plot written to {plot_forecasts(run, plot, most=plot_most)}", err=True)
    frame = run.forecasts.assign(period=run.forecasts["period"].dt.strftime("%Y-%m"), measure=measure.value)
    frame = frame.assign(synthetic=run.synthetic)
    if as_json:
        typer.echo(frame.round(3).to_json(orient="records"))
        return
    if csv:
        print_csv(frame.round(3))
        return
    rows = [
        [r.series_id, r.period, f"{r.mean:.1f}", f"{r.q25:g}–{r.q75:g}", f"{r.q05:g}–{r.q95:g}", r.fallback]
        for r in frame.round(1).itertuples()
    ]
    title = f"{measure.value.capitalize()} forecast by {level.value} from {run.through:%Y-%m} ({frame['model'].iloc[0]})"
    if run.synthetic:
        title += f" — {SYNTHETIC_LABEL}"
        typer.echo(f"Note: {SYNTHETIC_LABEL}.", err=True)
    print_table(["series_id", "period", "mean", "50% interval", "90% interval", "fallback"], rows, title=title)


@app.command()
def backtest(
    context: typer.Context,
    level: Annotated[Level, typer.Option("--level", "--by", help=LEVEL_HELP)] = Level.admin1,
    model: Annotated[
        Optional[list[str]], typer.Option("--model", help="Model to score (repeatable; default: the baselines and default).")
    ] = None,
    measure: Annotated[Measure, typer.Option("--measure", help="What is counted.")] = Measure.fatalities,
    country: Annotated[Optional[list[str]], typer.Option("--country", help=COUNTRY_HELP)] = None,
    origins: Annotated[
        Optional[int], typer.Option("--origins", min=1, help="Forecast origins, one month apart (default: config.yaml).")
    ] = None,
    horizons: Annotated[int, typer.Option("--horizons", min=1, help="Months ahead scored (1..N).")] = 6,
    as_of: Annotated[Optional[str], typer.Option("--as-of", help="Last month of data, YYYY-MM.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON array of scores.")] = False,
) -> None:
    """Rolling-origin backtest: CRPS, its skill against conflictology, MAE, MASE and interval
    coverage per model and months ahead."""
    import json

    from jobs.forecast import SYNTHETIC_LABEL, run_backtest

    current = session(context)
    current.load_sample_if_empty()
    scores, synthetic = run_backtest(
        current.store,
        current.config,
        level=level.value,
        models=list(model) if model else list(BACKTEST_MODELS),
        measure=measure.value,
        countries=stored_country_names(current.store, country),
        origins=origins or current.config.forecast.backtest_origins,
        horizons=horizons,
        as_of=as_of,
    )
    if synthetic:
        typer.echo(f"Note: scored on {SYNTHETIC_LABEL}.", err=True)
    if as_json:
        records = [
            {
                "model": row.model,
                "level": row.level,
                "horizon": int(row.horizon),
                "crps": round(float(row.crps), 4),
                "crps_skill": None if row.crps_skill != row.crps_skill else round(float(row.crps_skill), 4),
                "mae": round(float(row.mae), 4),
                "mase": None if row.mase != row.mase else round(float(row.mase), 4),
                "coverage_50": round(float(row.coverage_50), 4),
                "coverage_90": round(float(row.coverage_90), 4),
                "n": int(row.n),
                "synthetic": synthetic,
            }
            for row in scores.itertuples()
        ]
        typer.echo(json.dumps(records))
        return
    ordered = scores.sort_values(["horizon", "crps"], kind="stable")
    rows = [
        [r.model, r.level, r.horizon, f"{r.crps:.3f}", f"{r.crps_skill:+.1%}", f"{r.mae:.3f}", f"{r.mase:.3f}", f"{r.coverage_50:.2f}", f"{r.coverage_90:.2f}", r.n]
        for r in ordered.itertuples()
    ]
    title = f"Backtest at {level.value} level (lower CRPS is better)"
    if synthetic:
        title += f" — {SYNTHETIC_LABEL}"
    print_table(["model", "level", "horizon", "crps", "skill vs conflictology", "mae", "mase", "coverage_50", "coverage_90", "n"], rows, title=title)
