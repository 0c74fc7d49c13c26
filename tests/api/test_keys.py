"""The JWKS, and tokens validated the way another service would: with nothing but the published keys."""

import httpx
import jwt
import pytest

from app.config import Settings
from app.main import create_app
from tests.support.app import served
from tests.support.wallets import new_wallet, sign

PRIVATE_MEMBERS = {"d", "p", "q", "dp", "dq", "qi", "k", "oth"}


async def test_the_jwks_publishes_public_keys_only(client: httpx.AsyncClient) -> None:
    keys = (await client.get("/.well-known/jwks.json")).json()["keys"]
    assert len(keys) == 1
    for key in keys:
        assert not PRIVATE_MEMBERS & set(key)
        assert {key["kty"], key["crv"], key["alg"], key["use"]} == {"EC", "P-256", "ES256", "sig"}
        assert key["kid"]


def sign_in_over_http(base_url: str) -> str:
    wallet = new_wallet()
    with httpx.Client(base_url=base_url) as http:
        message = http.post("/auth/challenge", json={"address": wallet.address}).json()["message"]
        response = http.post("/auth/verify", json={"message": message, "signature": sign(wallet, message)})
        assert response.status_code == 200, response.text
        token: str = response.json()["access_token"]
        return token


def test_another_service_validates_tokens_with_the_jwks_url_alone() -> None:
    settings = Settings(issuer="https://auth.example.test", audience="my-api")
    with served(create_app(settings)) as base_url:
        token = sign_in_over_http(base_url)
        keys = jwt.PyJWKClient(f"{base_url}/.well-known/jwks.json", cache_keys=True, timeout=5)
        signing_key = keys.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            signing_key,
            algorithms=["ES256"],
            audience="my-api",
            issuer="https://auth.example.test",
            options={"require": ["exp", "iat", "sub", "jti"]},
        )
        assert jwt.get_unverified_header(token)["typ"] == "at+jwt"
        assert claims["sub"].startswith("0x")
        with pytest.raises(jwt.InvalidAudienceError):
            jwt.decode(
                token, signing_key, algorithms=["ES256"], audience="another-api", issuer="https://auth.example.test"
            )
        with pytest.raises(jwt.InvalidIssuerError):
            jwt.decode(token, signing_key, algorithms=["ES256"], audience="my-api", issuer="https://evil.test")
