"""The registered OpenID Connect clients: a minimal stand-in with contract-15's names and fields (the client
file's loading, its checks and the CLI live in the full module)."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

TokenEndpointAuthMethod = Literal["client_secret_basic", "client_secret_post", "none"]
IdTokenAlg = Literal["RS256", "ES256", "EdDSA"]


@dataclass(frozen=True, slots=True)
class OidcClient:
    client_id: str
    name: str
    redirect_uris: tuple[str, ...]
    post_logout_redirect_uris: tuple[str, ...]
    token_endpoint_auth_method: TokenEndpointAuthMethod
    secret_hash: str | None
    scopes: frozenset[str]
    id_token_signed_response_alg: IdTokenAlg = "RS256"


@dataclass(frozen=True, slots=True)
class ClientRegistry:
    by_id: Mapping[str, OidcClient] = field(default_factory=dict)

    def get(self, client_id: str) -> OidcClient | None:
        return self.by_id.get(client_id)


_N, _R, _P = 2**14, 8, 1


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P)
    return f"scrypt${_N}${_R}${_P}${_b64(salt)}${_b64(digest)}"


def secret_matches(secret: str, secret_hash: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = secret_hash.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(secret.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed, _unb64(digest))
