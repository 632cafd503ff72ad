"""What the shipped synthetic sample left in the store besides its events: alerts (with their
band checks, approvals and incidents), run-log rows and queued emails.

Real data replace the sample whole: when its events are deleted (forecasting.store.events), these
go in the same transaction, so nothing made from invented events outlives them.
"""

from __future__ import annotations

import json
import logging

import sqlalchemy as sa

log = logging.getLogger(__name__)

#: Tables whose every row was made from the data in the store (when that was the sample, from it).
ALERT_TABLES = ("alert_band_checks", "alert_approvals", "alerts", "incidents")


def delete_sample_outputs(connection: sa.Connection) -> dict[str, int]:
    """Delete, in the caller's transaction, what was made while the store held the synthetic
    sample: every alert and what hangs on it (band checks, approvals, incidents, whichever of those
    tables exist), the finished runs that recorded `synthetic: true` with their steps, and the
    emails still queued (pending or held; failure notices to the administrator are kept). Returns
    the rows deleted per table, and logs them."""
    existing = set(sa.inspect(connection).get_table_names())
    tables = sa.MetaData()
    tables.reflect(bind=connection, only=[name for name in (*ALERT_TABLES, "runs", "run_steps", "outbox") if name in existing])
    removed: dict[str, int] = {}
    # Children before parents, whatever the foreign keys between the alert tables are.
    for table in reversed(tables.sorted_tables):
        if table.name in ALERT_TABLES:
            removed[table.name] = connection.execute(sa.delete(table)).rowcount
    if "runs" in tables.tables:
        runs, steps = tables.tables["runs"], tables.tables.get("run_steps")
        finished = connection.execute(sa.select(runs.c.id, runs.c.counts).where(runs.c.state != "working")).all()
        synthetic = [row.id for row in finished if _says_synthetic(row.counts)]
        if synthetic:
            if steps is not None:
                removed["run_steps"] = connection.execute(sa.delete(steps).where(steps.c.run_id.in_(synthetic))).rowcount
            removed["runs"] = connection.execute(sa.delete(runs).where(runs.c.id.in_(synthetic))).rowcount
    if "outbox" in tables.tables:
        outbox = tables.tables["outbox"]
        removed["outbox"] = connection.execute(
            sa.delete(outbox).where(outbox.c.state.in_(("pending", "held")), outbox.c.kind != "failure")
        ).rowcount
    removed = {name: count for name, count in removed.items() if count and count > 0}
    if removed:
        log.warning(
            "removing what the SYNTHETIC sample made, with its events: %s",
            ", ".join(f"{count} {name.replace('_', ' ')}" for name, count in removed.items()),
        )
    return removed


def _says_synthetic(counts: str | None) -> bool:
    try:
        return json.loads(counts or "{}").get("synthetic") is True
    except (ValueError, AttributeError):
        return False
