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


# --------------------------------------------------------------------------- platforms


@pytest.mark.parametrize("missing", ["SHOPIFY_API_KEY", "SHOPIFY_API_SECRET"])
def test_shopify_enabled_requires_its_keys(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    for platforms in (None, "shopify", "woocommerce,shopify"):
        if platforms:
            env["STOCKGUARD_PLATFORMS"] = platforms
        with pytest.raises(ConfigError, match=missing):
            load_config(environ=env)


def test_unknown_platforms_are_named():
    with pytest.raises(ConfigError, match="magento, wix"):
        load_config(environ={**PROD_ENV, "STOCKGUARD_PLATFORMS": "woocommerce, Magento,wix"})


def test_a_woocommerce_only_deployment_needs_no_shopify_keys(database_url):
    from app import create_app
    from tests.conftest import base_config

    env = {k: v for k, v in PROD_ENV.items() if not k.startswith("SHOPIFY_")}
    cfg = load_config(environ={**env, "STOCKGUARD_PLATFORMS": "woocommerce"})
    assert cfg["STOCKGUARD_PLATFORMS"] == ("woocommerce",)
    assert cfg["SHOPIFY_API_KEY"] is None

    config = base_config(
        database_url,
        ENV="production",
        STOCKGUARD_PLATFORMS="woocommerce",
        SHOPIFY_API_KEY=None,
        SHOPIFY_API_SECRET=None,
    )
    app = create_app(config)
    client = app.test_client()
    assert client.get("/auth/woocommerce/install").status_code == 400  # the page answers
    assert client.get("/auth/shopify/install?shop=a.myshopify.com").status_code == 404
    assert client.post("/webhooks/shopify", data=b"{}").status_code == 404
    assert client.get("/admin/shopify").status_code == 404
