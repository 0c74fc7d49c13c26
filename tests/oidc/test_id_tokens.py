import base64
import hashlib
import time
from typing import Any

import jwt
import pytest

from app.domain.keys import KeySet, SigningKey, generate_private_key, signing_key_from_private
from app.oidc.clients import IdTokenAlg, OidcClient
from app.oidc.id_tokens import caip10_subject, mint_id_token, siwe_claim, token_hash

ISSUER = "https://idp.example"
ALGS: list[IdTokenAlg] = ["RS256", "ES256", "EdDSA"]
# oidc-token-hash's published vectors (panva/oidc-token-hash README): one access token, its at_hash for
# RS256 (SHA-256) and for EdDSA with Ed25519 (SHA-512)
VECTOR_TOKEN = (
    "YmJiZTAwYmYtMzgyOC00NzhkLTkyOTItNjJjNDM3MGYzOWIy9sFhvH8K_x8UIHj1osisS57f5DduL-ar_qw5jl3lthwpMjm283aVMQX"
    "DmoqqqydDSqJfbhptzw8rUVwkuQbolw"
)


def key_of(keys: KeySet, alg: str) -> SigningKey:
    """The set's one key of `alg` (the tests' key sets hold one of each)."""
    (key,) = (key for key in keys.keys if key.algorithm == alg)
    return key


@pytest.fixture(scope="module")
def keys() -> KeySet:
    """A key set with a key of each algorithm, ES256 first (the access tokens' signer, as by default)."""
    return KeySet(
        tuple(signing_key_from_private(generate_private_key(alg), alg) for alg in ["ES256", "RS256", "EdDSA"])
    )


def client_for(alg: IdTokenAlg) -> OidcClient:
    return OidcClient(
        "rp-1",
        "RP",
        ("https://rp.example/cb",),
        (),
        "none",
        None,
        frozenset({"openid"}),
        id_token_signed_response_alg=alg,
    )


def independent_at_hash(access_token: str, hash_name: str) -> str:
    digest = hashlib.new(hash_name, access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).decode().rstrip("=")


def verified(token: str, keys: KeySet, alg: str, audience: str = "rp-1") -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and claims of a token, verified against the published JWK Set only."""
    jwk_set = jwt.PyJWKSet.from_dict(keys.jwks())
    header = jwt.get_unverified_header(token)
    public = jwk_set[header["kid"]]
    claims = jwt.decode(token, public, algorithms=[alg], audience=audience, issuer=ISSUER)
    return header, claims


def test_the_published_vectors() -> None:
    assert token_hash(VECTOR_TOKEN, "RS256") == "x7vk7f6BvQj0jQHYFIk4ag"
    assert token_hash(VECTOR_TOKEN, "EdDSA") == "EGEAhGYyfuwDaVTifvrWSoD5MSy_5hZPy6I7Vm-7pTQ"


@pytest.mark.parametrize(("alg", "hash_name"), [("RS256", "sha256"), ("ES256", "sha256"), ("EdDSA", "sha512")])
def test_an_id_token_for_each_alg(keys: KeySet, alg: IdTokenAlg, hash_name: str) -> None:
    now = int(time.time())
    sub = caip10_subject(1, "0x71C7656EC7ab88b098defB751B7401B5f6d8976F")
    token = mint_id_token(
        keys,
        issuer=ISSUER,
        client=client_for(alg),
        sub=sub,
        nonce="n-0S6_WzA2Mj",
        auth_time=now - 5,
        now=now,
        access_token="an.access.token",
        ttl=300,
    )
    header, claims = verified(token, keys, alg)
    assert header == {"alg": alg, "kid": key_of(keys, alg).kid, "typ": "JWT"}
    assert claims == {
        "iss": ISSUER,
        "sub": "eip155:1:0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
        "aud": "rp-1",
        "exp": now + 300,
        "iat": now,
        "auth_time": now - 5,
        "nonce": "n-0S6_WzA2Mj",
        "at_hash": independent_at_hash("an.access.token", hash_name),
    }


def test_signed_with_the_clients_alg_only(keys: KeySet) -> None:
    token = mint_id_token(
        keys,
        issuer=ISSUER,
        client=client_for("EdDSA"),
        sub="s",
        nonce=None,
        auth_time=1,
        now=2,
        access_token="a",
        ttl=9,
    )
    es256 = jwt.PyJWKSet.from_dict(keys.jwks())[key_of(keys, "ES256").kid]
    with pytest.raises(jwt.InvalidAlgorithmError):
        jwt.decode(token, es256, algorithms=["ES256"], audience="rp-1", options={"verify_exp": False})


def test_no_nonce_without_one_and_extra_claims_never_override(keys: KeySet) -> None:
    now = int(time.time())
    extra = {**siwe_claim("example.com wants you to sign in...", "0xabc"), "sub": "forged", "aud": "other"}
    token = mint_id_token(
        keys,
        issuer=ISSUER,
        client=client_for("RS256"),
        sub="eip155:10:0x71C7656EC7ab88b098defB751B7401B5f6d8976F",
        nonce=None,
        auth_time=now,
        now=now,
        access_token="t",
        ttl=60,
        extra_claims=extra,
    )
    _, claims = verified(token, keys, "RS256")
    assert "nonce" not in claims
    assert claims["sub"] == "eip155:10:0x71C7656EC7ab88b098defB751B7401B5f6d8976F"
    assert claims["aud"] == "rp-1"
    assert claims["siwe"] == {"message": "example.com wants you to sign in...", "signature": "0xabc"}


def test_a_key_set_without_the_alg(keys: KeySet) -> None:
    only_es256 = KeySet((key_of(keys, "ES256"),))
    with pytest.raises(LookupError):
        mint_id_token(
            only_es256, issuer=ISSUER, client=client_for("RS256"), sub="s", nonce=None, auth_time=1, now=1,
            access_token="a", ttl=1,
        )  # fmt: skip
