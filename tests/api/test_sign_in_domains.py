"""Tokens say which of AUTH_DOMAINS a sign-in was for, and AUTH_AUDIENCE may give each domain its audience."""

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import jwt
import pytest
from eth_account.signers.local import LocalAccount
from pydantic import ValidationError

from app.config import Settings
from tests.support.app import signed_challenge

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
APP, ADMIN = "app.localhost:8000", "admin.localhost:8000"
PER_DOMAIN = {"domains": [APP, ADMIN], "audience": f"{APP}=aud-app, {ADMIN}=aud-admin"}


async def sign_in_at(client: httpx.AsyncClient, wallet: LocalAccount, domain: str) -> dict[str, Any]:
    response = await client.post("/auth/verify", json=await signed_challenge(client, wallet, domain=domain))
    assert response.status_code == 200, response.text
    tokens: dict[str, Any] = response.json()
    return tokens


def claims_of(token: str) -> dict[str, Any]:
    claims: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
    return claims


async def test_each_domain_gets_its_audience_and_every_one_is_accepted_here(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(**PER_DOMAIN) as client:
        for domain, audience in [(APP, "aud-app"), (ADMIN, "aud-admin")]:
            tokens = await sign_in_at(client, wallet, domain)
            claims = claims_of(tokens["access_token"])
            assert (claims["domain"], claims["aud"]) == (domain, audience)
            bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
            me = await client.get("/auth/me", headers=bearer)
            assert (me.status_code, me.json()["domain"]) == (200, domain), me.text
            forwarded = await client.get("/auth/forward", headers=bearer)
            assert (forwarded.status_code, forwarded.headers["x-auth-domain"]) == (200, domain)
            introspected = (await client.post("/auth/introspect", data={"token": tokens["access_token"]})).json()
            assert (introspected["active"], introspected["domain"], introspected["aud"]) == (True, domain, audience)
            # refresh keeps the session's domain, and so its audience
            renewed = await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            assert renewed.status_code == 200, renewed.text
            again = claims_of(renewed.json()["access_token"])
            assert (again["domain"], again["aud"]) == (domain, audience)


async def test_one_audience_serves_every_domain_and_a_token_of_another_audience_is_refused(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(domains=[APP, ADMIN], audience="one-api") as client:
        tokens = await sign_in_at(client, wallet, ADMIN)
        assert (claims_of(tokens["access_token"])["aud"], claims_of(tokens["access_token"])["domain"]) == (
            "one-api",
            ADMIN,
        )
    async with open_client(**PER_DOMAIN) as client:  # another audience set (and another key): not ours
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        assert (await client.get("/auth/me", headers=bearer)).status_code == 401


@pytest.mark.parametrize(
    ("audience", "complaint"),
    [
        (f"{APP}=aud-app", f"no audience for {ADMIN}"),
        (f"{APP}=aud-app,{ADMIN}=aud-admin,other.example=aud-other", "maps other.example, not in AUTH_DOMAINS"),
        (f"{APP}=aud-app,{ADMIN}=", "is not `<domain>=<audience>`"),
        (f"{APP}=a,{APP}=b,{ADMIN}=c", "mapped twice"),
    ],
)
def test_an_audience_map_names_every_domain_and_only_those(audience: str, complaint: str) -> None:
    with pytest.raises(ValidationError, match=complaint):
        Settings(domains=[APP, ADMIN], audience=audience)


@pytest.mark.parametrize(
    "times",
    [
        {"access_ttl": 900, "session_idle_ttl": 600},  # under the access-token lifetime
        {"refresh_ttl": 3600, "session_idle_ttl": 7200},  # over the session's absolute lifetime
    ],
)
def test_the_idle_time_lies_between_the_access_and_the_refresh_lifetimes(times: dict[str, int]) -> None:
    with pytest.raises(ValidationError, match="AUTH_SESSION_IDLE_TTL must be at least AUTH_ACCESS_TTL"):
        Settings(**times)


def test_unset_the_idle_time_is_a_day_within_the_session_lifetime() -> None:
    assert Settings().idle_ttl == 86400
    assert Settings(refresh_ttl=3600).idle_ttl == 3600
    assert Settings(session_idle_ttl=1800).idle_ttl == 1800
