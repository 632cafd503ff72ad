"""The Alert record: what a detector found, in the JSON shape other tools consume (DESIGN.md).

Detectors build Alerts; the store keeps them so their lifecycle (new, ongoing, resolved)
survives restarts; reports and emails render them.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["surge", "drop", "record", "tier_shift", "spread", "synchronized", "run_rate", "change_point"]
Severity = Literal["info", "warning", "critical"]
Status = Literal["new", "ongoing", "resolved"]

SCOPE_KEYS = ("country", "admin1", "admin2", "tier", "actor")
SEVERITY_ORDER = {"info": 0, "warning": 1, "critical": 2}


@dataclass(frozen=True)
class Alert:
    """One finding. `period` is `YYYY-MM` (a month) or `YYYY-MM-DD` (a day)."""

    kind: Kind
    scope: dict[str, str | None]
    measure: Literal["fatalities", "events"]
    period: str
    observed: float
    expected: float | None
    lower: float | None
    upper: float | None
    score: float
    severity: Severity
    message: str
    status: Status = "new"
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """Stable across runs for the same kind, scope, measure and period."""
        return alert_id(self.kind, self.scope, self.measure, self.period)

    def to_json(self) -> dict[str, Any]:
        """The dict of DESIGN.md's alert JSON contract (all scope keys present, null where n/a)."""
        record = asdict(self)
        record["scope"] = {key: self.scope.get(key) for key in SCOPE_KEYS}
        return {"id": self.id, **record}


def alert_id(kind: str, scope: dict[str, str | None], measure: str, period: str) -> str:
    """A short stable hash of what makes an alert the same alert."""
    key = json.dumps(
        [kind, [scope.get(name) for name in SCOPE_KEYS], measure, period], ensure_ascii=False
    )
    return f"{kind}-{period}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"
