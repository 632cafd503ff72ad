"""Alembic environment: run on the connection `forecasting.store.base.migrate` passes in.

Migrations are written by hand (no autogenerate), so no target metadata is needed here.
"""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
