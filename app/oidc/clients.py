"""The registered OpenID Connect clients (a minimal stand-in: the client file's loading and secret hashing
live in the full module)."""

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
