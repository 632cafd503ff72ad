"""Configuration: parsed once into frozen typed objects; mistakes are named precisely."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from jobs.config import (
    DEFAULT_DATABASE,
    Config,
    ConfigError,
    Secrets,
    database_url,
    find_config_path,
    load_config,
)

SHIPPED = Path(__file__).resolve().parents[2] / "config.yaml"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_parses_and_matches_the_defaults():
    config = load_config(SHIPPED)
    defaults = Config()
    for section in dataclasses.fields(Config):
        if section.name not in ("path", "database"):
            assert getattr(config, section.name) == getattr(defaults, section.name), section.name
    assert config.watch_area.countries == ("Burkina Faso", "Mali", "Niger")
    assert config.database == DEFAULT_DATABASE


def test_sections_are_frozen(tmp_path):
    config = load_config(write(tmp_path, "detect:\n  min_fatalities: 25\n"))
    assert config.detect.min_fatalities == 25
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.detect.min_fatalities = 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("detect:\n  min_fatalitis: 3\n", "unknown key 'detect.min_fatalitis'. Known keys here: "),
        ("nonsense: 1\n", "unknown key 'nonsense'"),
        ("detect:\n  min_fatalities: many\n", "key 'detect.min_fatalities' must be a whole number, not 'many'"),
        ("detect:\n  false_discovery_rate: yes\n", "key 'detect.false_discovery_rate' must be a number, not True"),
        ("email:\n  enabled: 1\n", "key 'email.enabled' must be true or false, not 1"),
        ("email:\n  security: tls\n", "key 'email.security' must be one of none, starttls, ssl, not 'tls'"),
        ("watch_area:\n  countries: Mali\n", "key 'watch_area.countries' must be a list, not 'Mali'"),
        ("email:\n  recipients:\n    - address: a@b.org\n      severity: high\n", "unknown key 'email.recipients[0].severity'"),
        ("schedule:\n  pull: 5\n", "key 'schedule.pull' must be a text (quote it), not 5"),
        ("detect: [1, 2]\n", "detect must be a mapping"),
        ("detect:\n  min_events: [1\n", "not valid YAML"),
    ],
)
def test_mistakes_name_the_file_the_key_and_the_expected_type(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    assert str(path) in str(raised.value)
    assert expected in str(raised.value)


def test_nested_recipients_become_typed_records(tmp_path):
    config = load_config(
        write(tmp_path, "email:\n  recipients:\n    - address: desk@example.org\n      countries: [Mali]\n")
    )
    (recipient,) = config.email.recipients
    assert (recipient.address, recipient.countries, recipient.min_severity) == ("desk@example.org", ("Mali",), "warning")


def test_a_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="configuration file not found"):
        load_config(tmp_path / "nope.yaml")


def test_config_path_resolution_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert find_config_path(None, {}) is None
    (tmp_path / "config.yaml").write_text("{}", encoding="utf-8")
    assert find_config_path(None, {}) == Path("config.yaml")
    assert find_config_path(None, {"CONFLICTWATCH_CONFIG": "/etc/cw.yaml"}) == Path("/etc/cw.yaml")
    assert find_config_path(Path("given.yaml"), {"CONFLICTWATCH_CONFIG": "/etc/cw.yaml"}) == Path("given.yaml")


def test_database_url_resolution_order():
    config = Config(database="sqlite:///from-config.db")
    assert database_url(None, Config(), {}) == DEFAULT_DATABASE
    assert database_url(None, config, {}) == "sqlite:///from-config.db"
    assert database_url(None, config, {"CONFLICTWATCH_DB": "sqlite:///env.db"}) == "sqlite:///env.db"
    assert database_url("sqlite:///option.db", config, {"CONFLICTWATCH_DB": "sqlite:///env.db"}) == "sqlite:///option.db"


def test_relative_paths_are_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, "data:\n  files: [exports/acled.csv]\n"))
    assert config.resolve(config.data.files[0]) == tmp_path / "exports" / "acled.csv"


def test_secrets_come_from_the_environment_and_never_show_in_repr():
    config = Config()
    secrets = Secrets.from_environment(
        config,
        {"ACLED_USERNAME": "analyst@example.org", "ACLED_PASSWORD": "hunter2-secret", "CONFLICTWATCH_SMTP_PASSWORD": "smtp-pw"},
    )
    assert (secrets.acled_password, secrets.smtp_password, secrets.ucdp_token) == ("hunter2-secret", "smtp-pw", None)
    assert "hunter2-secret" not in repr(secrets) and "smtp-pw" not in repr(secrets)
    assert set(secrets.values()) == {"analyst@example.org", "hunter2-secret", "smtp-pw"}


def _config_keys(cls=Config, prefix=""):
    import typing

    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        if field.name == "path":
            continue
        if dataclasses.is_dataclass(hints[field.name]):
            yield from _config_keys(hints[field.name], f"{prefix}{field.name}.")
        else:
            yield f"{prefix}{field.name}"


def test_every_key_is_in_the_shipped_file_and_the_reference_page():
    import yaml

    shipped = yaml.safe_load(SHIPPED.read_text(encoding="utf-8"))
    reference = (SHIPPED.parent / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in _config_keys():
        section = shipped
        for part in key.split("."):
            assert part in section, f"config.yaml lacks {key}"
            section = section[part]
        last = key.rsplit(".", 1)[-1]
        assert f"`{key}`" in reference or (key.startswith("sources.ucdp.") and f"`{last}`" in reference), (
            f"docs/configuration.md lacks {key}"
        )


def test_a_relative_ca_file_is_relative_to_the_config_file(tmp_path):
    config = load_config(write(tmp_path, "email:\n  ca_file: certs/ca.pem\n"))
    assert config.email.ca_file == str(tmp_path / "certs" / "ca.pem")


def test_a_source_retries_as_its_request_keys_say():
    """config.yaml's request keys are the only defaults of the clients' retry policy."""
    from jobs.config import UcdpSourceConfig

    policy = UcdpSourceConfig(attempts=3, backoff_seconds=2.0, max_backoff_seconds=8.0, max_retry_after_seconds=30.0,
                              timeout_seconds=15.0).retry_policy()
    assert (policy.attempts, policy.base_delay_s, policy.max_delay_s, policy.max_retry_after_s, policy.timeout_s) == (
        3, 2.0, 8.0, 30.0, 15.0)
    assert UcdpSourceConfig().retry_policy().timeout_s == 120.0
