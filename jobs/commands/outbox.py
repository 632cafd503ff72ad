"""`conflictwatch outbox` (list) and `outbox send`: the email outbox.

Nothing slow is imported at module level.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from forecasting.errors import ConflictwatchError
from jobs.commands.options import choices
from jobs.commands.output import print_table, time_text
from jobs.session import session

app = typer.Typer(help="The email outbox: what was queued, sent, held or failed.", invoke_without_command=True)


# The states of an outbox message (forecasting/store/outbox.py, which loads SQLAlchemy).
MessageState = choices("MessageState", ("held", "pending", "sent", "failed"))


@app.callback()
def outbox_list(
    context: typer.Context,
    state: Annotated[Optional[MessageState], typer.Option("--state", help="Only messages in this state.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="How many messages to list, newest first.")] = 30,
) -> None:
    """List the outbox, newest first."""
    if context.invoked_subcommand is not None:
        return
    from forecasting.store import outbox

    current = session(context)
    messages = outbox.list_messages(current.store, state=state.value if state else None, limit=limit)
    print_table(
        ["id", "kind", "recipient", "state", "attempts", "created", "sent", "subject", "waits_for", "last_error"],
        [[m.id, m.kind, m.recipient, m.state, m.attempts, time_text(m.created_at), time_text(m.sent_at), m.subject,
          " ".join(m.waiting_for) or None, m.last_error]
         for m in messages],
        title="Outbox",
    )


@app.command("send")
def outbox_send(context: typer.Context) -> None:
    """Send every message that is due now (the scheduler does this every minute)."""
    from jobs.notify import deliver_outbox

    current = session(context)
    if not current.config.email.enabled:
        raise ConflictwatchError("email is disabled in config.yaml (email.enabled: false)")
    result = deliver_outbox(current.store, current.config.email, current.secrets)
    typer.echo(f"{result.sent} sent, {result.failed_attempts} failed (will be retried), {result.remaining} waiting")
