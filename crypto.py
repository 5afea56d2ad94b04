"""Encryption of credentials at rest.

``TOKEN_ENCRYPTION_KEY`` is one Fernet key, or several separated by commas: the first encrypts,
all decrypt. To rotate: put a new key first, keep the old ones after it, run
``flask --app app rotate-keys`` (re-encrypts every stored credential with the first key), then
drop the old keys.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class CredentialError(RuntimeError):
    """A stored credential cannot be decrypted with the configured keys."""


class Vault:
    """Encrypts and decrypts small JSON documents (tokens, keys, secrets)."""

    def __init__(self, keys: str | None = None):
        self._fernet: MultiFernet | None = None
        if keys:
            self.configure(keys)

    def configure(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except (ValueError, TypeError) as e:
            # Never echo the key itself.
            raise CredentialError(
                "TOKEN_ENCRYPTION_KEY must be one or more url-safe base64 32-byte Fernet keys"
            ) from e

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:
            raise CredentialError("the vault has no key (TOKEN_ENCRYPTION_KEY)")
        return self._fernet

    def seal(self, document: dict) -> str:
        return self.fernet.encrypt(json.dumps(document, sort_keys=True).encode()).decode()

    def open(self, sealed: str) -> dict:
        try:
            return json.loads(self.fernet.decrypt(sealed.encode()))
        except InvalidToken as e:
            raise CredentialError(
                "stored credential does not decrypt with the configured keys"
            ) from e

    def rotate(self, sealed: str) -> str:
        """Re-encrypt ``sealed`` under the first (current) key."""
        try:
            return self.fernet.rotate(sealed.encode()).decode()
        except InvalidToken as e:
            raise CredentialError(
                "stored credential does not decrypt with the configured keys"
            ) from e


vault = Vault()
