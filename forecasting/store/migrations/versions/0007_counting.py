"""What is counted: every stored event gets its disorder type, and events the source did not
locate at their named place get the settlement tier `unlocated`.

Older loads kept an export's empty `disorder_type` as it was and gave every event the tier of the
place it was coded to. Counting now filters political violence in SQL and leaves imprecisely
located events out of settlement tiers (`forecasting.events`), so stored rows are brought in
line here, by the same rules, and SQLite's covering index of monthly counts gains
`disorder_type` so that the filtered counts still read only the index.

Revision ID: 0007_counting
Revises: 0001_events
Create Date: 2026-11-30
"""

from alembic import op

revision = "0007_counting"
down_revision = "0001_events"
branch_labels = None
depends_on = None

_OLD_INDEX = ("year", "month", "country", "admin1", "admin2", "tier", "actor1", "event_date", "fatalities")
_NEW_INDEX = (*_OLD_INDEX, "disorder_type")

# The rules of forecasting.events.disorder_types, in SQL: the event type decides where it is one
# of ACLED's six; else the first part of the given disorder type; else political violence.
_DISORDER_TYPE = """
CASE
    WHEN LOWER(TRIM(event_type)) IN ('battles', 'explosions/remote violence', 'violence against civilians',
        'battle-no change of territory', 'battle-government regains territory',
        'battle-non-state actor overtakes territory', 'remote violence')
        THEN 'Political violence'
    WHEN LOWER(TRIM(event_type)) IN ('protests', 'riots', 'riots/protests') THEN 'Demonstrations'
    WHEN LOWER(TRIM(event_type)) IN ('strategic developments', 'non-violent transfer of territory',
        'headquarters or base established') THEN 'Strategic developments'
    WHEN disorder_type LIKE 'Demonstrations%' THEN 'Demonstrations'
    WHEN disorder_type LIKE 'Strategic developments%' THEN 'Strategic developments'
    ELSE 'Political violence'
END
"""

# forecasting.events.LOCATED_PRECISION: ACLED 1; UCDP GED's where_prec 1 and 2.
_UNLOCATED = """
(source = 'acled' AND geo_precision IS NOT NULL AND geo_precision <> 1)
OR (source = 'ucdp' AND geo_precision IS NOT NULL AND geo_precision NOT IN (1, 2))
"""


def upgrade() -> None:
    op.execute(f"UPDATE events SET disorder_type = {_DISORDER_TYPE}")
    op.execute(f"UPDATE events SET tier = 'unlocated' WHERE {_UNLOCATED}")
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_events_monthly_counts", "events")
        op.create_index("ix_events_monthly_counts", "events", list(_NEW_INDEX))


def downgrade() -> None:
    # The disorder types and tiers written here are what a fresh load writes; only the index goes back.
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_events_monthly_counts", "events")
        op.create_index("ix_events_monthly_counts", "events", list(_OLD_INDEX))
