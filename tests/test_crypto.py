"""Credentials are encrypted at rest, decrypt with any configured key, and rotate to the first."""

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from crypto import CredentialError, Vault
from models import AdAccount, AlertSettings, Installation, StockPool


def test_seal_and_open_round_trip():
    vault = Vault(Fernet.generate_key().decode())
    sealed = vault.seal({"access_token": "shpat_abc"})
    assert "shpat_abc" not in sealed
    assert vault.open(sealed) == {"access_token": "shpat_abc"}


def test_rotation_keeps_old_credentials_readable_then_moves_them():
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    sealed_old = Vault(old).seal({"t": 1})
    both = Vault(f"{new},{old}")
    assert both.open(sealed_old) == {"t": 1}
    rotated = both.rotate(sealed_old)
    assert Vault(new).open(rotated) == {"t": 1}
    with pytest.raises(CredentialError):
        Vault(old).open(rotated)


def test_wrong_key_is_a_clear_error():
    sealed = Vault(Fernet.generate_key().decode()).seal({"t": 1})
    with pytest.raises(CredentialError, match="does not decrypt"):
        Vault(Fernet.generate_key().decode()).open(sealed)


def test_tokens_are_not_stored_in_plaintext(db_session):
    inst = Installation(platform="shopify", shop_domain="a.myshopify.com", status="active")
    inst.credentials = {"access_token": "shpat_plaintext_must_not_appear"}
    db_session.add(inst)
    db_session.commit()
    raw = db_session.execute(text("SELECT credentials_sealed FROM installation")).scalar()
    assert "shpat_plaintext_must_not_appear" not in raw
    assert db_session.get(Installation, inst.id).credentials["access_token"].startswith("shpat_")


def test_rotate_keys_command_re_encrypts_every_installation(make_app):
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    app = make_app(TOKEN_ENCRYPTION_KEY=old)
    from extensions import db

    with app.app_context():
        pool = StockPool(name="b", settings={})
        db.session.add(pool)
        db.session.flush()
        inst = Installation(platform="shopify", shop_domain="b.myshopify.com", status="active")
        inst.credentials = {"access_token": "shpat_rotate"}
        ads = AdAccount(pool_id=pool.id, platform="meta", account_ref="act_1")
        ads.credentials = {"access_token": "EAAB-rotate", "app_secret": "f" * 32}
        alerts = AlertSettings(pool_id=pool.id)
        alerts.webhook_url = "https://hooks.slack.com/services/T0/B0/rotate"
        db.session.add_all([inst, ads, alerts])
        db.session.commit()
    app2 = make_app(TOKEN_ENCRYPTION_KEY=f"{new},{old}")
    result = app2.test_cli_runner().invoke(args=["rotate-keys"])
    assert (
        "re-encrypted credentials of 1 installations, 1 ad accounts and 1 alert webhooks"
        in result.output
    )
    with app2.app_context():
        sealed = db.session.execute(text("SELECT credentials_sealed FROM installation")).scalar()
        ad_sealed = db.session.execute(text("SELECT credentials_sealed FROM ad_account")).scalar()
        hook = db.session.execute(text("SELECT webhook_sealed FROM alert_settings")).scalar()
    assert Vault(new).open(sealed) == {"access_token": "shpat_rotate"}
    assert Vault(new).open(hook)["url"].endswith("/rotate")
    assert Vault(new).open(ad_sealed)["access_token"] == "EAAB-rotate"
    with pytest.raises(CredentialError):  # the old key alone no longer opens it
        Vault(old).open(ad_sealed)
