"""Authorization codes (RFC 6749 §4.1.2, OpenID Connect Core 3.1.2.5): single use, short-lived, bound to
the client, its redirect_uri, the PKCE challenge, the nonce and the session the sign-in opened.

A code is 256 random bits; the store keeps only its SHA-256 (code_hash) as the key, with the record as JSON
(AuthorizationCode.to_json). Taking it is one atomic store step (Store.take_code) that also says whether it
had been taken before: a second use revokes the session of the first (RFC 6749 §4.1.2).
"""

import dataclasses
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

CODE_TTL = 60  # seconds: RFC 6749 §4.1.2 recommends 10 minutes at most; a redirect takes far less
CODE_BYTES = 32  # 256 random bits


def code_hash(code: str) -> str:
    """What the store keys a code by: the hex SHA-256 of its text."""
    return hashlib.sha256(code.encode()).hexdigest()


def new_code() -> tuple[str, str]:
    """A fresh code (urlsafe base64, 43 characters) and its code_hash."""
    code = secrets.token_urlsafe(CODE_BYTES)
    return code, code_hash(code)


@dataclass(frozen=True, slots=True)
class AuthorizationCode:
    """What a code stands for, from the completed authorization to the token request."""

    client_id: str
    redirect_uri: str
    code_challenge: str | None  # S256 (the only method accepted), None when the client sent none
    nonce: str | None
    scope: tuple[str, ...]
    session_id: str
    address: str  # EIP-55
    chain_id: int
    accounts: tuple[str, ...]  # CAIP-10
    auth_time: int  # Unix seconds
    siwe_message: str  # the EIP-4361 text signed, for the `siwe` claim
    siwe_signature: str
    expires_at: int  # Unix seconds

    def is_expired(self, now: float) -> bool:
        return now >= self.expires_at

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> "AuthorizationCode":
        data: dict[str, Any] = json.loads(text)
        return cls(**{**data, "scope": tuple(data["scope"]), "accounts": tuple(data["accounts"])})
