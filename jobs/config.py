"""Configuration: config.yaml parsed once, at start-up, into frozen typed objects.

Every section is a frozen dataclass; its fields, types and defaults are the reference for
config.yaml (docs/configuration.md explains each). An unknown or mistyped key stops the program
with a `ConfigError` naming the file, the key and the expected type. Secrets never come from the
file: `Secrets.from_environment` reads them from environment variables, once.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import yaml

from forecasting.errors import ConflictwatchError

if typing.TYPE_CHECKING:
    from apscheduler.triggers.cron import CronTrigger

    from forecasting.alerts import LifecycleRules
    from forecasting.detectors.settings import DetectionSettings
    from forecasting.models.executors import ExecutorSettings
    from forecasting.sources.http import RetryPolicy

DEFAULT_DATABASE = "sqlite:///conflictwatch.db"


class ConfigError(ConflictwatchError):
    """config.yaml (or an override) is not valid."""


@dataclass(frozen=True)
class WatchArea:
    """The countries conflictwatch watches, analysed together as one area as well as each alone."""

    name: str = "Central Sahel"
    countries: tuple[str, ...] = ("Burkina Faso", "Mali", "Niger")


@dataclass(frozen=True)
class DataConfig:
    """Where events come from besides the live sources."""

    # Load the shipped synthetic sample when the store holds no events at all.
    sample_when_empty: bool = True
    # CSV exports (ACLED or UCDP GED) that `run` ingests before each pass; idempotent.
    files: tuple[str, ...] = ()
    # The validation contract (docs/validation.md): the most deaths one event may carry, and how
    # many days after today an event may be dated (a source whose day starts before ours).
    max_fatalities: int = 100_000
    future_days: int = 2


@dataclass(frozen=True)
class GazetteerConfig:
    """Settlement tiers: which places are capitals and seats."""

    seat_radius_km: float = 5.0
    extra_files: tuple[str, ...] = ()


@dataclass(frozen=True)
class RequestConfig:
    """How a live source's requests are retried: tries per request, backoff (doubling, capped),
    the longest Retry-After waited out, and the timeout of one request."""

    attempts: int = 5
    backoff_seconds: float = 1.0
    max_backoff_seconds: float = 60.0
    max_retry_after_seconds: float = 300.0
    timeout_seconds: float = 120.0

    def retry_policy(self) -> RetryPolicy:
        """How the source's client retries, as `forecasting.sources.http.send` takes it."""
        from forecasting.sources.http import RetryPolicy

        return RetryPolicy(
            attempts=self.attempts,
            base_delay_s=self.backoff_seconds,
            max_delay_s=self.max_backoff_seconds,
            max_retry_after_s=self.max_retry_after_seconds,
            timeout_s=self.timeout_seconds,
        )


@dataclass(frozen=True)
class AcledSourceConfig(RequestConfig):
    """ACLED's API (`pull acled`). Credentials: ACLED_USERNAME, ACLED_PASSWORD (environment)."""

    enabled: bool = False
    base_url: str = "https://acleddata.com"  # ACLED_BASE_URL overrides
    page_size: int = 5000
    start_date: str = "2018-01-01"  # first event date of the initial load
    # Where the OAuth tokens are kept between pulls (mode 0600); null: sign in on every pull.
    token_cache: str | None = "~/.cache/conflictwatch/acled-token.json"


@dataclass(frozen=True)
class UcdpSourceConfig(RequestConfig):
    """UCDP GED's API (`pull ucdp`). Token: UCDP_TOKEN (environment)."""

    enabled: bool = False
    base_url: str = "https://ucdpapi.pcr.uu.se"  # UCDP_BASE_URL overrides
    version: str = "25.1"
    page_size: int = 1000


@dataclass(frozen=True)
class SourcesConfig:
    acled: AcledSourceConfig = field(default_factory=AcledSourceConfig)
    ucdp: UcdpSourceConfig = field(default_factory=UcdpSourceConfig)


@dataclass(frozen=True)
class ForecastConfig:
    """Baseline forecasts: which model, how far ahead, and where per-series models run."""

    model: str = "default"
    horizon: int = 6
    seed: int = 20250701
    executor: Literal["serial", "process", "dask"] = "process"
    workers: int = 2
    dask_address: str | None = None
    backtest_origins: int = 24
    # Years of 12-month changes that scale MASE in backtests (the recent variability, not the
    # whole history's).
    mase_years: int = 3

    def executor_settings(self) -> ExecutorSettings:
        """Where per-series models run, as `forecast()` and `backtest()` take it."""
        from forecasting.models.executors import ExecutorSettings

        return ExecutorSettings(self.executor, self.workers, self.dask_address)

    def local_workers(self) -> int:
        """Processes of this machine detection may make its forecast's parts in, or the
        ensemble fit its rolling origins in: `workers` with the process executor, else one
        (Dask's workers are elsewhere)."""
        return self.workers if self.executor == "process" else 1


@dataclass(frozen=True)
class DetectConfig:
    """Early-warning thresholds (docs/detectors.md explains each detector). The defaults of the
    detectors' thresholds live here only; what each means is said in
    `forecasting.detectors.settings.DetectionSettings`, which `detection_settings` builds."""

    # Share of false discoveries tolerated across all series tested in one month.
    false_discovery_rate: float = 0.05
    measures: tuple[Literal["fatalities", "events", "demonstrations"], ...] = ("fatalities", "events")
    min_history_months: int = 24
    max_data_lag_days: int = 14
    min_fatalities: int = 10
    min_events: int = 5
    record_lookback_months: int = 6
    record_tail_probability: float = 0.05
    suppression_days: int = 180
    resolve_after_months: int = 2
    tier_shift_baseline_months: int = 24
    run_rate_min_months: int = 3
    run_rate_years: int = 2
    spread_quiet_events: int = 3
    spread_min_events: int = 3
    synchronized_min_units: int = 5
    synchronized_window_days: int = 2
    change_point_months: int = 3
    regional_drop_months: int = 12
    regional_drop_share: float = 0.33
    critical_excess_fatalities: int = 25
    critical_share_of_usual_month: float = 0.2
    critical_wave_units: int = 5
    info_max_fatalities: int = 12
    info_max_events: int = 5
    incident_explained_share: float = 0.25
    driving_events: int = 5

    def detection_settings(self, area_name: str) -> DetectionSettings:
        """The detectors' thresholds, every one from this section (the keys detection alone
        uses, like `suppression_days`, stay behind), and the watch area's name for messages."""
        from forecasting.detectors.settings import DetectionSettings

        thresholds = {
            item.name: getattr(self, item.name)
            for item in dataclasses.fields(DetectionSettings)
            if item.name != "area_name"
        }
        return DetectionSettings(area_name=area_name, **thresholds)

    def lifecycle_rules(self) -> LifecycleRules:
        """How long suppression lasts and when an episode is resolved, from this section."""
        from forecasting.alerts import LifecycleRules

        return LifecycleRules(self.suppression_days, self.resolve_after_months)


@dataclass(frozen=True)
class ReportConfig:
    """The trend report (see docs/reports.md)."""

    out_dir: str = "out"
    # Critical alerts beyond this many are listed in the alert table but get no page of their own.
    max_alert_pages: int = 30
    # Months of history the trend charts show before the report's month.
    history_months: int = 36


@dataclass(frozen=True)
class Recipient:
    address: str
    countries: tuple[str, ...] = ()
    min_severity: Literal["info", "warning", "critical"] = "warning"


@dataclass(frozen=True)
class EmailConfig:
    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    # The name of the environment variable that holds the SMTP password (never the password).
    password_env: str = "CONFLICTWATCH_SMTP_PASSWORD"
    # PEM file of the CA(s) that the server's certificate must chain to (starttls, ssl); None: the
    # system's CAs. An absolute path: the sender sees only this section, not config.yaml's folder.
    ca_file: str | None = None
    sender: str = "conflictwatch@localhost"
    # How long to wait for the SMTP server: to connect and greet, to log in (EHLO, STARTTLS,
    # AUTH), and to take one message; and how long one delivery pass may take in all. After the
    # first timeout the rest of the queue waits for the next pass rather than pay it again.
    connect_timeout_seconds: float = 10.0
    login_timeout_seconds: float = 10.0
    send_timeout_seconds: float = 30.0
    delivery_budget_seconds: float = 120.0
    administrator: str | None = None
    recipients: tuple[Recipient, ...] = ()
    require_review: bool = False


@dataclass(frozen=True)
class ScheduleConfig:
    """When `conflictwatch schedule` runs each job. Cron lines have 5 fields (minute hour day
    month weekday), or 6 with seconds first; they are read in `timezone`. null: not scheduled."""

    timezone: str = "UTC"
    pull: str | None = "0 4 * * *"
    report: str | None = "0 6 * * mon"
    refit: str | None = "0 5 1 * *"
    # How late a slot may still start while the service is up but busy or suspended.
    misfire_grace_seconds: int = 6 * 3600
    # A run still "working" after this long is marked error (its process died).
    run_timeout_minutes: int = 120
    # How often unsent email in the outbox is retried.
    deliver_every_seconds: int = 60
    # On SIGTERM/SIGINT, how long the running step may take to finish before it is marked interrupted.
    shutdown_grace_seconds: int = 60


@dataclass(frozen=True)
class Config:
    """The whole configuration. `path` is where it was read from (None: built-in defaults)."""

    database: str | None = None
    watch_area: WatchArea = field(default_factory=WatchArea)
    data: DataConfig = field(default_factory=DataConfig)
    gazetteer: GazetteerConfig = field(default_factory=GazetteerConfig)
    sources: SourcesConfig = field(default_factory=SourcesConfig)
    forecast: ForecastConfig = field(default_factory=ForecastConfig)
    detect: DetectConfig = field(default_factory=DetectConfig)
    report: ReportConfig = field(default_factory=ReportConfig)
    email: EmailConfig = field(default_factory=EmailConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    path: Path | None = None

    def resolve(self, relative: str) -> Path:
        """A path from the configuration: relative paths are relative to config.yaml's folder."""
        given = Path(relative).expanduser()
        if given.is_absolute() or self.path is None:
            return given
        return self.path.parent / given


@dataclass(frozen=True)
class Secrets:
    """Credentials, from environment variables only. repr() never shows them."""

    acled_username: str | None = field(default=None, repr=False)
    acled_password: str | None = field(default=None, repr=False)
    ucdp_token: str | None = field(default=None, repr=False)
    smtp_password: str | None = field(default=None, repr=False)

    @classmethod
    def from_environment(cls, config: Config, environ: typing.Mapping[str, str] = os.environ) -> Secrets:
        return cls(
            acled_username=environ.get("ACLED_USERNAME") or None,
            acled_password=environ.get("ACLED_PASSWORD") or None,
            ucdp_token=environ.get("UCDP_TOKEN") or None,
            smtp_password=environ.get(config.email.password_env) or None,
        )

    def values(self) -> list[str]:
        """Every secret that is set: what logs and messages must never contain."""
        return [value for value in dataclasses.astuple(self) if value]


def find_config_path(option: Path | None, environ: typing.Mapping[str, str] = os.environ) -> Path | None:
    """--config, else CONFLICTWATCH_CONFIG, else ./config.yaml if it exists, else None (defaults)."""
    if option is not None:
        return option
    if environ.get("CONFLICTWATCH_CONFIG"):
        return Path(environ["CONFLICTWATCH_CONFIG"])
    local = Path("config.yaml")
    return local if local.is_file() else None


def load_config(path: Path | None) -> Config:
    """Parse a config.yaml (None: the built-in defaults, which run on the shipped sample)."""
    if path is None:
        return with_environment_overrides(Config())
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except UnicodeDecodeError as error:
        line = text_line_of(Path(path).read_bytes(), error.start)
        raise ConfigError(
            f"{path}: not UTF-8 text (byte {error.start}, line {line}); save the file as UTF-8"
        ) from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot read the configuration file ({error.strerror})") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from None
    if document is None:
        document = {}
    config = dataclasses.replace(_build(Config, document, str(path), ""), path=Path(path))
    _check_meanings(config, str(path), "")
    _check_schedule(config.schedule, str(path))
    if config.email.ca_file is not None:
        # The mail sender only sees its own section, so relative paths are settled here.
        email = dataclasses.replace(config.email, ca_file=str(config.resolve(config.email.ca_file)))
        config = dataclasses.replace(config, email=email)
    return with_environment_overrides(config)


def text_line_of(data: bytes, offset: int) -> int:
    """The 1-based line of byte `offset` in `data` (for messages about a bad byte)."""
    return data.count(b"\n", 0, offset) + 1


def with_environment_overrides(config: Config, environ: typing.Mapping[str, str] = os.environ) -> Config:
    """ACLED_BASE_URL and UCDP_BASE_URL, when set, replace the sources' base_url (a mirror, a
    proxy, or a test server), read here once at start-up."""
    sources = config.sources
    if environ.get("ACLED_BASE_URL"):
        sources = dataclasses.replace(
            sources, acled=dataclasses.replace(sources.acled, base_url=environ["ACLED_BASE_URL"])
        )
    if environ.get("UCDP_BASE_URL"):
        sources = dataclasses.replace(
            sources, ucdp=dataclasses.replace(sources.ucdp, base_url=environ["UCDP_BASE_URL"])
        )
    return dataclasses.replace(config, sources=sources) if sources is not config.sources else config


def database_url(option: str | None, config: Config, environ: typing.Mapping[str, str] = os.environ) -> str:
    """--db, else CONFLICTWATCH_DB, else config.yaml's `database`, else a SQLite file here."""
    return option or environ.get("CONFLICTWATCH_DB") or config.database or DEFAULT_DATABASE


def _build(cls: type, document: Any, file: str, where: str) -> Any:
    """Build dataclass `cls` from a parsed YAML mapping, checking every key against its type."""
    if not isinstance(document, dict):
        raise ConfigError(f"{file}: {where or 'the top level'} must be a mapping of keys to values")
    hints = get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls) if f.name != "path"}
    values = {}
    for key, value in document.items():
        key_path = f"{where}.{key}" if where else str(key)
        if key not in known:
            raise ConfigError(
                f"{file}: unknown key {key_path!r}. Known keys here: {', '.join(sorted(known))}"
            )
        values[key] = _convert(hints[key], value, file, key_path)
    return cls(**values)


def _convert(expected: Any, value: Any, file: str, key_path: str) -> Any:
    origin = get_origin(expected)
    if origin in (Union, types.UnionType):
        options = get_args(expected)
        if value is None and type(None) in options:
            return None
        (inner,) = [option for option in options if option is not type(None)]
        return _convert(inner, value, file, key_path)
    if dataclasses.is_dataclass(expected):
        return _build(expected, value, file, key_path)
    if origin is tuple:
        if not isinstance(value, list):
            raise _type_error(file, key_path, "a list", value)
        (inner, _ellipsis) = get_args(expected)
        return tuple(_convert(inner, item, file, f"{key_path}[{index}]") for index, item in enumerate(value))
    if origin is Literal:
        choices = get_args(expected)
        if value not in choices:
            raise _type_error(file, key_path, "one of " + ", ".join(map(str, choices)), value)
        return value
    if expected is bool:
        if not isinstance(value, bool):
            raise _type_error(file, key_path, "true or false", value)
        return value
    if expected is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _type_error(file, key_path, "a whole number", value)
        return value
    if expected is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _type_error(file, key_path, "a number", value)
        return float(value)
    if expected is str:
        # YAML reads an unquoted cron field like 0 or a date as something else; ask for quotes.
        if not isinstance(value, str):
            raise _type_error(file, key_path, "a text (quote it)", value)
        return value
    raise TypeError(f"config field {key_path} has an unsupported type {expected!r}")


#: Whole numbers that may be 0 (0 means "none" or "no wait"); every other one counts something
#: or measures a length, and must be at least 1.
_MAY_BE_ZERO = frozenset({
    "future_days", "seed", "min_fatalities", "min_events", "spread_quiet_events", "suppression_days",
    "max_alert_pages", "shutdown_grace_seconds", "backoff_seconds",
})
#: Numbers with a range of their own (both ends allowed).
_RANGES = {"port": (1, 65_535), "seed": (0, 2**32 - 1)}


def _check_meanings(section: Any, file: str, where: str) -> None:
    """Check every number of the configuration against what it means, the types being right
    already: a rate or probability lies strictly between 0 and 1; a count, a length or a
    duration is positive (or 0 where `_MAY_BE_ZERO` says 0 means none); nothing is NaN or
    infinite. Raises ConfigError naming the key and the range."""
    import math

    for item in dataclasses.fields(section):
        value = getattr(section, item.name)
        key_path = f"{where}.{item.name}" if where else item.name
        if dataclasses.is_dataclass(value):
            _check_meanings(value, file, key_path)
            continue
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            continue
        if not math.isfinite(value):
            raise ConfigError(f"{file}: key {key_path!r} must be a finite number, not {value!r}")
        if item.name in _RANGES:
            lowest, highest = _RANGES[item.name]
            if not lowest <= value <= highest:
                raise ConfigError(f"{file}: key {key_path!r} must be from {lowest} to {highest}, not {value!r}")
        elif item.name.endswith(("_rate", "_probability")):
            if not 0 < value < 1:
                raise ConfigError(
                    f"{file}: key {key_path!r} is a probability: it must lie between 0 and 1 (say 0.05), not {value!r}"
                )
        elif item.name in _MAY_BE_ZERO:
            if value < 0:
                raise ConfigError(f"{file}: key {key_path!r} must be 0 or more, not {value!r}")
        elif value <= 0 or (isinstance(value, int) and value < 1):
            raise ConfigError(f"{file}: key {key_path!r} must be more than 0, not {value!r}")


def _check_schedule(schedule: ScheduleConfig, file: str) -> None:
    """Parse the time zone and every cron line now, so a typo stops the program at start-up and
    not at the service's first firing (the scheduler is imported only when a file is read)."""
    try:
        schedule_triggers(schedule)
    except ConfigError as error:
        raise ConfigError(f"{file}: {error}") from None


def _type_error(file: str, key_path: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{file}: key {key_path!r} must be {expected}, not {value!r}")


#: The jobs the service schedules, each on its own cron line in `schedule`.
SCHEDULED_JOBS = ("pull", "report", "refit")


def cron_trigger(expression: str, timezone: str, key: str) -> "CronTrigger":
    """A CronTrigger from a crontab line: 5 fields (minute hour day month weekday), or 6 with
    seconds first. `key` names the config key in the error message."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from apscheduler.triggers.cron import CronTrigger

    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"schedule.timezone {timezone!r} is not a time zone name such as UTC or Africa/Ouagadougou") from None
    fields = expression.split()
    try:
        if len(fields) == 5:
            return CronTrigger.from_crontab(expression, timezone=zone)
        if len(fields) == 6:
            second, minute, hour, day, month, day_of_week = fields
            return CronTrigger(second=second, minute=minute, hour=hour, day=day, month=month,
                               day_of_week=day_of_week, timezone=zone)
    except ValueError as error:
        raise ConfigError(f"schedule.{key} {expression!r} is not a valid cron expression: {error}") from None
    raise ConfigError(
        f"schedule.{key} {expression!r} must have 5 cron fields (minute hour day month weekday), "
        "or 6 with seconds first"
    )


def schedule_triggers(schedule: ScheduleConfig) -> dict[str, "CronTrigger"]:
    """The trigger of each scheduled job (a job set to null is left out), checked once at start-up."""
    return {
        job: cron_trigger(getattr(schedule, job), schedule.timezone, job)
        for job in SCHEDULED_JOBS
        if getattr(schedule, job) is not None
    }
