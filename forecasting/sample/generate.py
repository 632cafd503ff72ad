"""Write conflictwatch's shipped synthetic sample: ACLED-format events for the central Sahel.

Usage::

    python -m forecasting.sample.generate [--out DIR]

writes ``acled_sahel_synthetic.csv.gz`` (ACLED's CSV export columns, Burkina Faso, Mali and
Niger, 2018-01-01 to 2025-08-31) and ``planted_patterns.json`` (what was planted and how big it
came out) into DIR, by default this package folder.

Every row is invented. The data set is shaped like the real region (where violence happens, who
fights whom, how the level rose over the years) and carries the four patterns of the project's
motivating case, so that a fresh clone runs end to end and the detectors have something to find:

1. ``record``: area-wide fatalities in May 2025 far above the trailing 12-month mean and the
   highest on record, above a spike in August 2024.
2. ``tier_shift`` / ``run_rate``: from January 2025, JNIM in Burkina Faso moves from villages
   towards provincial capitals and commune seats.
3. ``synchronized``: on 1 July 2025 JNIM hits nine Malian cercles on one day.
4. ``spread``: a new front in Kayes (Mali) from June 2025, after a year with no violence there.

The generator is this package, one module per concern: ``scope`` (seed, period, countries,
labels, month arithmetic), ``places`` (admin units, seats, communes and villages from the
gazetteer), ``scenarios`` (actors and event kinds over time and place), ``plan`` (monthly totals),
``events`` (background and planted events and their constraints), ``rows`` (ACLED-export rows
and the gzip file), ``patterns`` (the planted patterns measured) and this entry point.

Output is a pure function of the seed and the gazetteer CSVs in ``forecasting/gazetteer/data``:
no wall clock, no network, numpy ``Generator`` streams per stage, a fixed gzip header. Editing
the gazetteer therefore changes the sample; the test suite notices and asks for a regeneration.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from forecasting.sample.scope import (
    CSV_NAME,
    GAZETTEER_DIR,
    GazetteerFormatError,
    PACKAGE_DIR,
    PATTERNS_NAME,
    PlantedPatternError,
    SEED,
    stage_rng,
)
from forecasting.sample.places import Geography, load_gazetteer
from forecasting.sample.plan import build_plan
from forecasting.sample.events import (
    allocate_fatalities,
    generate_background,
    generate_planted,
    planted_fatalities_by_month,
    spread_synchronized_days,
)
from forecasting.sample.rows import build_rows, csv_bytes, gzip_bytes
from forecasting.sample.patterns import describe_patterns, measure_patterns


@dataclass(frozen=True)
class Sample:
    rows: list[dict[str, str]]
    patterns: dict[str, object]
    skipped_admin2: list[str]


def generate(gazetteer_dir: Path = GAZETTEER_DIR, seed: int = SEED) -> Sample:
    """Build the sample in memory: rows in column order (strings) and the patterns document.
    Another `seed` gives another draw of the same world (for measuring claims on data the
    defaults were not chosen on); its patterns are measured and reported, never enforced."""
    seats = load_gazetteer(gazetteer_dir)
    geo = Geography(seats, stage_rng(1, seed))
    plan = build_plan(planted_fatalities_by_month(), stage_rng(2, seed))
    events = generate_background(geo, plan, stage_rng(3, seed))
    events += generate_planted(geo, stage_rng(4, seed))
    spread_synchronized_days(events, stage_rng(5, seed))
    allocate_fatalities(events, plan, stage_rng(6, seed))
    rows = build_rows(events, stage_rng(7, seed))
    measured = measure_patterns(rows, seats)
    return Sample(rows, describe_patterns(rows, measured, seed), geo.skipped_admin2)


def write_sample(out_dir: Path, gazetteer_dir: Path = GAZETTEER_DIR, seed: int = SEED) -> Sample:
    """Generate and write ``acled_sahel_synthetic.csv.gz`` and ``planted_patterns.json``."""
    sample = generate(gazetteer_dir, seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / CSV_NAME).write_bytes(gzip_bytes(csv_bytes(sample.rows)))
    (out_dir / PATTERNS_NAME).write_text(
        json.dumps(sample.patterns, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return sample


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m forecasting.sample.generate",
        description="Write conflictwatch's synthetic ACLED-format sample (not real data).")
    parser.add_argument("--out", type=Path, default=PACKAGE_DIR,
                        help="output folder (default: the forecasting/sample package folder)")
    parser.add_argument("--gazetteer", type=Path, default=GAZETTEER_DIR,
                        help="folder with BFA.csv, MLI.csv, NER.csv")
    parser.add_argument("--seed", type=int, default=SEED,
                        help=f"another draw of the same world (default {SEED}: the shipped sample)")
    args = parser.parse_args(argv)
    try:
        sample = write_sample(args.out, args.gazetteer, args.seed)
    except (GazetteerFormatError, PlantedPatternError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if sample.skipped_admin2:
        print(f"note: {len(sample.skipped_admin2)} admin2 units have no seat coordinates in the "
              f"gazetteer and get no events: {', '.join(sample.skipped_admin2)}", file=sys.stderr)
    weak = sample.patterns["generator"]["weak_patterns"]
    if weak:
        print(f"note: {len(weak)} planted patterns came out weak with seed {args.seed} (kept, not "
              f"rejected): {'; '.join(weak)}", file=sys.stderr)
    print(f"wrote {len(sample.rows)} synthetic events to {args.out / CSV_NAME} "
          f"and {args.out / PATTERNS_NAME}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
