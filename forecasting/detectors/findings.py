"""Findings (an alert before false-discovery control), Benjamini-Hochberg, and severity.

Every detector returns a `Findings`: its candidate findings, each with the p-value of its test,
and how many hypotheses it tested (including those that found nothing), because false-discovery
control needs the size of the whole family, not just of the candidates.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from forecasting.alerts import Alert


@dataclass(frozen=True)
class Finding:
    """What one detector saw in one scope: the Alert fields except severity, plus its test.

    `p_value` is the probability of a result at least this extreme if nothing had changed.
    `size` is how big the change is as a multiple of the baseline (>= 1; for a drop, expected
    over observed), used with the adjusted p-value to grade severity. `tested` findings enter the
    Benjamini-Hochberg family; untested ones (none so far) keep their p-value as the score.
    """

    kind: str
    scope: dict[str, str | None]
    measure: str
    period: str
    observed: float
    expected: float | None
    lower: float | None
    upper: float | None
    p_value: float
    size: float
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    tested: bool = True


@dataclass(frozen=True)
class Findings:
    """Candidates of one detector and the number of hypotheses it tested."""

    candidates: list[Finding]
    tested: int


def benjamini_hochberg(p_values: np.ndarray, family_size: int) -> np.ndarray:
    """BH-adjusted p-values (q-values) for `p_values` out of a family of `family_size` tests.

    Hypotheses that produced no candidate are counted in `family_size` but are not passed in;
    they only have larger p-values, so the adjustment of the ones given is exact.
    """
    p_values = np.asarray(p_values, dtype=float)
    if p_values.size == 0:
        return p_values
    family_size = max(family_size, p_values.size)
    order = np.argsort(p_values, kind="stable")
    ranked = p_values[order] * family_size / np.arange(1, p_values.size + 1)
    # Step-up: each q-value is the smallest ratio at or above its rank.
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    adjusted = np.empty_like(ranked)
    adjusted[order] = np.minimum(ranked, 1.0)
    return adjusted


def severity(score: float, size: float) -> str:
    """info, warning or critical from the adjusted p-value and the multiple of the baseline.

    Both must be strong for critical: a very certain but small change (a big series 20% up) or a
    big multiple on thin evidence stays lower.
    """
    if score <= 0.001 and size >= 2.0:
        return "critical"
    if score <= 0.01 and size >= 1.5:
        return "warning"
    return "info"


def is_headline(finding: Finding) -> bool:
    """Findings that are news for an analyst whenever they survive false-discovery control, even
    with a modest margin: the deadliest month of the whole watch area or of a country, and a
    synchronized wave. They are graded at least warning, so the weekly digest carries them."""
    if finding.kind == "synchronized":
        return True
    scope = finding.scope
    return finding.kind == "record" and all(scope.get(key) is None for key in ("admin1", "admin2", "tier", "actor"))


def control_false_discoveries(findings: Findings, false_discovery_rate: float) -> list[Alert]:
    """Keep the findings whose BH-adjusted p-value is at most `false_discovery_rate`, as Alerts.

    An Alert's `score` is its adjusted p-value; `evidence` keeps the raw one and the family size.
    """
    tested = [finding for finding in findings.candidates if finding.tested]
    untested = [finding for finding in findings.candidates if not finding.tested]
    adjusted = benjamini_hochberg(np.array([finding.p_value for finding in tested]), findings.tested)
    alerts = []
    for finding, score in [*zip(tested, adjusted), *((finding, finding.p_value) for finding in untested)]:
        if score > false_discovery_rate:
            continue
        evidence = {**finding.evidence, "p_value": _significant(finding.p_value), "tests_this_month": findings.tested}
        graded = severity(float(score), finding.size)
        if graded == "info" and is_headline(finding):
            graded = "warning"
        alerts.append(
            Alert(
                kind=finding.kind,
                scope=finding.scope,
                measure=finding.measure,
                period=finding.period,
                observed=finding.observed,
                expected=finding.expected,
                lower=finding.lower,
                upper=finding.upper,
                score=_significant(float(score)),
                severity=graded,
                message=finding.message,
                evidence=evidence,
            )
        )
    return alerts


def _significant(value: float, digits: int = 3) -> float:
    """A probability to a few significant digits (more would be false precision)."""
    return float(f"{value:.{digits}g}")
