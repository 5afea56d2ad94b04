"""Configuration comes from the environment; production refuses to start without its secrets."""

import pytest

from config import REQUIRED_SECRETS, ConfigError, load_config
from crypto import CredentialError, Vault

PROD_ENV = {
    "SECRET_KEY": "s" * 32,
    "TOKEN_ENCRYPTION_KEY": "uUqvPq9hD7lYt6x7kq0sVgk2oH6mJxGQp8E4f6rYb3M=",
    "SHOPIFY_API_KEY": "key",
    "SHOPIFY_API_SECRET": "secret",
    "APP_URL": "https://app.example.com/",
}


@pytest.mark.parametrize("missing", REQUIRED_SECRETS)
def test_production_names_each_missing_secret(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        load_config(environ=env)


def test_production_config_from_environment():
    cfg = load_config(
        environ={**PROD_ENV, "DATABASE_URL": "postgres://u@db/x", "REDIS_URL": "redis://r"}
    )
    assert cfg["APP_URL"] == "https://app.example.com"
    assert cfg["DATABASE_URL"] == "postgresql+psycopg://u@db/x"
    assert cfg["REDIS_URL"] == "redis://r"
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_defaults_are_sqlite_and_in_process_jobs():
    cfg = load_config(environ=PROD_ENV)
    assert cfg["DATABASE_URL"].startswith("sqlite:///") and cfg["DATABASE_URL"].endswith(
        "instance/stockguard.db"
    )
    assert cfg["REDIS_URL"] is None


def test_development_invents_missing_secrets():
    cfg = load_config(environ={"STOCKGUARD_ENV": "development"})
    for name in REQUIRED_SECRETS:
        assert cfg[name]


def test_bad_encryption_key_is_named_not_echoed():
    with pytest.raises(CredentialError, match="TOKEN_ENCRYPTION_KEY") as err:
        Vault("not-a-fernet-key")
    assert "not-a-fernet-key" not in str(err.value)
