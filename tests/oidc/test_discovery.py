"""The OpenID Provider Metadata document (OpenID Connect Discovery 1.0 §3) as a pure value."""

import json
from urllib.parse import urlsplit

import pytest

from app.domain.keys import generate_key_set
from app.oidc.discovery import openid_configuration

ISSUER = "https://auth.example.com"

# Discovery 1.0 §3: REQUIRED (token_endpoint too, as this provider has no implicit flow)
REQUIRED = {
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "jwks_uri",
    "response_types_supported",
    "subject_types_supported",
    "id_token_signing_alg_values_supported",
}
RECOMMENDED = {"userinfo_endpoint", "scopes_supported", "claims_supported"}
ENDPOINTS = {
    "authorization_endpoint": "/oidc/authorize",
    "token_endpoint": "/oidc/token",
    "userinfo_endpoint": "/oidc/userinfo",
    "jwks_uri": "/.well-known/jwks.json",
    "revocation_endpoint": "/oidc/revoke",
    "end_session_endpoint": "/oidc/logout",
}


def test_every_required_and_recommended_member_is_there() -> None:
    document = openid_configuration(ISSUER, ["ES256", "RS256"])
    assert REQUIRED | RECOMMENDED <= set(document)
    assert "registration_endpoint" not in document  # registration is off


@pytest.mark.parametrize(
    "issuer", [ISSUER, "https://auth.example.com/", "https://example.com/idp", "http://localhost:8000"]
)
def test_the_issuer_is_as_configured_and_every_endpoint_is_under_it(issuer: str) -> None:
    document = openid_configuration(issuer, ["RS256"])
    assert document["issuer"] == issuer  # identical to the ID tokens' iss (Discovery §4.3)
    base = issuer.rstrip("/")
    for member, path in ENDPOINTS.items():
        assert document[member] == base + path
        assert urlsplit(document[member]).netloc == urlsplit(issuer).netloc
        assert "//" not in urlsplit(document[member]).path


def test_the_values_say_what_is_offered_and_what_is_not() -> None:
    document = openid_configuration(ISSUER, ["ES256", "RS256"])
    assert document["scopes_supported"] == ["openid", "profile", "offline_access", "siwe"]
    assert document["response_types_supported"] == ["code"]
    assert document["response_modes_supported"] == ["query"]
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert document["subject_types_supported"] == ["public"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_basic", "client_secret_post", "none"]
    assert document["code_challenge_methods_supported"] == ["S256"]  # never plain
    assert document["authorization_response_iss_parameter_supported"] is True
    # each defaults to true (request_uri) or is read as offered when absent: said false explicitly
    assert document["request_parameter_supported"] is False
    assert document["request_uri_parameter_supported"] is False
    assert document["claims_parameter_supported"] is False
    assert {"sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "at_hash", "siwe"} <= set(
        document["claims_supported"]
    )
    assert "address" not in document["claims_supported"]  # OIDC's postal address: not ours


@pytest.mark.parametrize(
    ("algorithms", "advertised"),
    [
        (["ES256", "RS256"], ["RS256", "ES256"]),
        (["RS256"], ["RS256"]),
        (["EdDSA", "RS256", "ES256"], ["RS256", "EdDSA", "ES256"]),
        (["RS256", "RS256", "ES256"], ["RS256", "ES256"]),
        (["ES256"], ["RS256", "ES256"]),  # RS256 is required: the start makes sure a key signs with it
        (["HS256", "RS256"], ["RS256"]),  # never a symmetric alg
    ],
)
def test_id_token_algorithms_put_rs256_first_then_the_key_sets_others(
    algorithms: list[str], advertised: list[str]
) -> None:
    assert openid_configuration(ISSUER, algorithms)["id_token_signing_alg_values_supported"] == advertised


def test_the_algorithms_come_from_a_key_set() -> None:
    keys = generate_key_set("EdDSA", "RS256")
    document = openid_configuration(ISSUER, keys.signing_algorithms)
    assert document["id_token_signing_alg_values_supported"] == ["RS256", "EdDSA"]


def test_the_registration_endpoint_appears_only_with_registration_on() -> None:
    document = openid_configuration(ISSUER, ["RS256"], registration=True)
    assert document["registration_endpoint"] == ISSUER + "/oidc/register"


def test_the_document_is_json() -> None:
    document = openid_configuration(ISSUER, ["RS256"])
    assert json.loads(json.dumps(document)) == document
