"""The OpenID Provider Metadata served at /.well-known/openid-configuration (OpenID Connect Discovery 1.0 §3).

Every member §3 makes REQUIRED (issuer, authorization_endpoint, token_endpoint, jwks_uri,
response_types_supported, subject_types_supported, id_token_signing_alg_values_supported), the RECOMMENDED
ones (userinfo_endpoint, scopes_supported, claims_supported; registration_endpoint only with registration
on), and what the relying parties' libraries look for from the other specs: code_challenge_methods_supported
and revocation_endpoint (RFC 8414 §2, RFC 7636, RFC 7009), authorization_response_iss_parameter_supported
(RFC 9207 §3), end_session_endpoint (RP-Initiated Logout 1.0 §2.1). Each endpoint is under the issuer.
What is not offered is said so explicitly: `request`, `request_uri` and `claims` parameters.
"""

from collections.abc import Iterable
from typing import Any

AUTHORIZATION_PATH = "/oidc/authorize"
TOKEN_PATH = "/oidc/token"
USERINFO_PATH = "/oidc/userinfo"
REVOCATION_PATH = "/oidc/revoke"
END_SESSION_PATH = "/oidc/logout"
REGISTRATION_PATH = "/oidc/register"
JWKS_PATH = "/.well-known/jwks.json"
DISCOVERY_PATH = "/.well-known/openid-configuration"

SCOPES_SUPPORTED = ("openid", "profile", "offline_access", "siwe")
# Discovery §3: id_token_signing_alg_values_supported MUST include RS256; the others as the key set holds
REQUIRED_ID_TOKEN_ALGORITHM = "RS256"
ID_TOKEN_ALGORITHMS = ("RS256", "ES256", "EdDSA")
TOKEN_ENDPOINT_AUTH_METHODS = ("client_secret_basic", "client_secret_post", "none")
# The ID token's and UserInfo's claims: OIDC Core §2 and §5.1, and the custom claims of the `profile` scope
# (wallet_address, chain_id, accounts; never `address`, which OIDC reserves for postal addresses) and the
# `siwe` scope (the signed EIP-4361 message and its signature).
CLAIMS_SUPPORTED = (
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "sid",
    "preferred_username",
    "wallet_address",
    "chain_id",
    "accounts",
    "siwe",
)


def id_token_algorithms(algorithms: Iterable[str]) -> list[str]:
    """RS256 first, then each other ID-token algorithm of `algorithms` once, in their order."""
    offered = (name for name in algorithms if name in ID_TOKEN_ALGORITHMS)
    return list(dict.fromkeys((REQUIRED_ID_TOKEN_ALGORITHM, *offered)))


def openid_configuration(issuer: str, algorithms: Iterable[str], *, registration: bool = False) -> dict[str, Any]:
    """The provider metadata of `issuer` (AUTH_ISSUER, exactly: it is the ID tokens' `iss`). `algorithms`: those
    the key set signs with (KeySet.signing_algorithms); `registration`: dynamic client registration is on."""
    base = issuer.rstrip("/")
    return {
        "issuer": issuer,
        "authorization_endpoint": base + AUTHORIZATION_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "userinfo_endpoint": base + USERINFO_PATH,
        "jwks_uri": base + JWKS_PATH,
        **({"registration_endpoint": base + REGISTRATION_PATH} if registration else {}),
        "scopes_supported": list(SCOPES_SUPPORTED),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": id_token_algorithms(algorithms),
        "token_endpoint_auth_methods_supported": list(TOKEN_ENDPOINT_AUTH_METHODS),
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": list(CLAIMS_SUPPORTED),
        "revocation_endpoint": base + REVOCATION_PATH,
        "end_session_endpoint": base + END_SESSION_PATH,
        "authorization_response_iss_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "claims_parameter_supported": False,
    }
