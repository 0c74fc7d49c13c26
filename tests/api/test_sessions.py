"""After sign-in, over HTTP on both stores: refresh rotation and reuse detection, logout, and every check
other services use (me, introspection, forward-auth) honouring revocation."""

import asyncio
import copy
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import jwt
import pytest
import redis.asyncio
from asgi_lifespan import LifespanManager
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.domain.keys import generate_private_key, key_set_from_jwks, private_jwk
from app.main import create_app
from app.stores.base import Store
from app.stores.memory import MemoryStore
from app.stores.redis import RedisStore
from tests.support.app import app_client, signed_in
from tests.support.redis_server import delete_prefix

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
OpenStore = Callable[..., AbstractAsyncContextManager[Store]]
FORM = {"content-type": "application/x-www-form-urlencoded"}


async def refresh(client: httpx.AsyncClient, refresh_token: str) -> httpx.Response:
    return await client.post("/auth/refresh", json={"refresh_token": refresh_token})


async def me(client: httpx.AsyncClient, access_token: str) -> httpx.Response:
    return await client.get("/auth/me", headers={"Authorization": f"Bearer {access_token}"})


async def introspect(client: httpx.AsyncClient, token: str, **headers: str) -> dict[str, Any]:
    response = await client.post("/auth/introspect", data={"token": token}, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    body: dict[str, Any] = response.json()
    return body


async def forward(client: httpx.AsyncClient, access_token: str, method: str = "GET") -> httpx.Response:
    return await client.request(method, "/auth/forward", headers={"Authorization": f"Bearer {access_token}"})


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


async def assert_all_refused(client: httpx.AsyncClient, access_tokens: list[str], refresh_tokens: list[str]) -> None:
    """Every check another service or a browser might make now says no."""
    for access_token in access_tokens:
        assert_error(await me(client, access_token), 401, "invalid_token")
        assert await introspect(client, access_token) == {"active": False}
        response = await forward(client, access_token)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    for refresh_token in refresh_tokens:
        assert (await refresh(client, refresh_token)).status_code == 401


async def test_a_refresh_rotates_both_tokens_in_the_same_session(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    first = await signed_in(client, wallet)
    response = await refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    second = response.json()
    assert set(second) == set(first)
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (second["address"], second["chain_id"]) == (wallet.address, 1)
    claims = [jwt.decode(tokens["access_token"], options={"verify_signature": False}) for tokens in (first, second)]
    assert claims[0]["sid"] == claims[1]["sid"]
    assert claims[0]["jti"] != claims[1]["jti"]
    assert (await me(client, second["access_token"])).status_code == 200
    assert (await refresh(client, second["refresh_token"])).status_code == 200


async def test_reuse_of_a_rotated_token_revokes_the_session_everywhere(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    first = await signed_in(client, wallet)
    second = (await refresh(client, first["refresh_token"])).json()
    assert_error(await refresh(client, first["refresh_token"]), 401, "refresh_reused")
    await assert_all_refused(client, [first["access_token"], second["access_token"]], [second["refresh_token"]])
    assert_error(await refresh(client, second["refresh_token"]), 401, "invalid_grant")


async def test_a_token_rotated_long_ago_is_still_reuse(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    """A thief who refreshes a stolen token many times cannot make the victim's copy merely unknown."""
    first = await signed_in(client, wallet)
    newest = first
    for _ in range(20):
        response = await refresh(client, newest["refresh_token"])
        assert response.status_code == 200, response.text
        newest = response.json()
    assert_error(await refresh(client, first["refresh_token"]), 401, "refresh_reused")
    await assert_all_refused(client, [newest["access_token"]], [newest["refresh_token"]])


async def test_a_session_refreshed_too_many_times_ends(
    open_store: OpenStore, make_settings: Callable[..., Settings], wallet: LocalAccount
) -> None:
    async with open_store(max_rotations=2) as store, app_client(make_settings(), store) as client:
        tokens = await signed_in(client, wallet)
        for _ in range(2):
            tokens = (await refresh(client, tokens["refresh_token"])).json()
        response = await refresh(client, tokens["refresh_token"])
        assert_error(response, 401, "invalid_grant")
        assert "Sign in again" in response.json()["detail"]
        await assert_all_refused(client, [tokens["access_token"]], [tokens["refresh_token"]])


async def test_logout_with_the_access_token(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    other = await signed_in(client, wallet)  # another session of the same wallet lives on
    response = await client.post("/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert response.status_code == 204
    assert response.content == b""
    await assert_all_refused(client, [tokens["access_token"]], [tokens["refresh_token"]])
    again = await client.post("/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert again.status_code == 204
    assert (await me(client, other["access_token"])).status_code == 200


async def test_logout_with_the_refresh_token(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    response = await client.post("/auth/logout", json={"refresh_token": tokens["refresh_token"]})
    assert response.status_code == 204
    await assert_all_refused(client, [tokens["access_token"]], [tokens["refresh_token"]])


async def test_logout_needs_a_token_of_the_session(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    session_id = tokens["refresh_token"].split(".")[0]
    forged = f"{session_id}.{'A' * 43}"
    assert_error(await client.post("/auth/logout", json={"refresh_token": forged}), 401, "invalid_grant")
    assert_error(await client.post("/auth/logout"), 401, "invalid_token")
    assert_error(await client.post("/auth/logout", headers={"Authorization": "Bearer nonsense"}), 401, "invalid_token")
    assert (await me(client, tokens["access_token"])).status_code == 200


async def test_tokens_are_not_interchangeable(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    assert_error(await refresh(client, tokens["access_token"]), 401, "invalid_grant")
    assert_error(await me(client, tokens["refresh_token"]), 401, "invalid_token")
    assert await introspect(client, tokens["refresh_token"]) == {"active": False}
    assert (await forward(client, tokens["refresh_token"])).status_code == 401
    for junk in ["", "x", "a.b", "." * 66, "é" * 20]:
        assert (await refresh(client, junk)).status_code in (401, 422)


async def test_twenty_concurrent_refreshes_with_one_token_leave_at_most_one_live_chain(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    """Without a grace window, the first refresh rotates and every other one is reuse of a spent token: the
    session ends, and with it the one chain that was started."""
    tokens = await signed_in(client, wallet)
    responses = await asyncio.gather(*(refresh(client, tokens["refresh_token"]) for _ in range(20)))
    rotated = [response.json() for response in responses if response.status_code == 200]
    assert len(rotated) == 1
    refused = [response.json()["error"] for response in responses if response.status_code != 200]
    assert len(refused) == 19
    # the second one to arrive is reuse and revokes the session; the later ones find it revoked
    assert "refresh_reused" in refused
    assert set(refused) <= {"refresh_reused", "invalid_grant"}
    await assert_all_refused(
        client,
        [tokens["access_token"], rotated[0]["access_token"]],
        [rotated[0]["refresh_token"], tokens["refresh_token"]],
    )


@asynccontextmanager
async def copy_of(store: Store, request: pytest.FixtureRequest) -> AsyncIterator[Store]:
    """A store holding a copy of everything `store` holds now, changed independently of it: a refresh token
    can be tried there without what the attempt does (a rotation, a revocation) touching the original."""
    if isinstance(store, MemoryStore):
        yield copy.deepcopy(store)
        return
    assert isinstance(store, RedisStore)
    url, prefix = request.getfixturevalue("redis_url"), request.getfixturevalue("redis_prefix")
    fork = f"test-{uuid.uuid4().hex}"
    connection = redis.asyncio.Redis.from_url(url)
    try:
        async for key in connection.scan_iter(match=f"{prefix}:*"):
            assert await connection.copy(key, fork.encode() + key.removeprefix(prefix.encode()))
        forked = RedisStore.from_url(url, prefix=fork, timeout=0.5)
        try:
            yield forked
        finally:
            await forked.close()
    finally:
        await connection.aclose()
        delete_prefix(url, fork)


class SwitchedStore:
    """Hands every call to `current`, which a test replaces between requests: one app for many stores."""

    def __init__(self, current: Store) -> None:
        self.current = current

    def __getattr__(self, name: str) -> Any:
        return getattr(self.current, name)


async def test_twenty_concurrent_refreshes_within_the_grace_window_leave_exactly_one_live_token(
    open_store: OpenStore, make_settings: Callable[..., Settings], wallet: LocalAccount, request: pytest.FixtureRequest
) -> None:
    """With a grace window every concurrent refresh is the predecessor re-presented in time: each answers,
    each replaces the newest token, and the session lives on with exactly one of the tokens handed out.
    Each token is tried on a copy of the store, so that trying one does not decide the fate of the others
    (a spent one revokes the session)."""
    settings = make_settings(refresh_reuse_grace=30)
    async with open_store() as store, app_client(settings, store) as client:
        tokens = await signed_in(client, wallet)
        responses = await asyncio.gather(*(refresh(client, tokens["refresh_token"]) for _ in range(20)))
        assert [response.status_code for response in responses] == [200] * 20, [r.text for r in responses]
        issued = [response.json()["refresh_token"] for response in responses]
        assert len(set(issued)) == 20
        # the session was not taken for stolen: its access tokens still pass
        for response in responses[:3]:
            assert (await me(client, response.json()["access_token"])).status_code == 200

        outcomes = []
        copies = SwitchedStore(store)
        async with app_client(settings, cast(Store, copies)) as elsewhere:
            for token in issued:
                async with copy_of(store, request) as copies.current:
                    response = await refresh(elsewhere, token)
                    outcomes.append("live" if response.status_code == 200 else response.json()["error"])
        assert outcomes.count("live") == 1, outcomes
        assert set(outcomes) == {"live", "refresh_reused"}  # the replaced ones are spent: reuse ends the session

        # and on the store itself: the live token refreshes, the session goes on
        live = issued[outcomes.index("live")]
        renewed = await refresh(client, live)
        assert renewed.status_code == 200, renewed.text
        assert (await me(client, renewed.json()["access_token"])).status_code == 200


async def test_an_expired_access_token_is_refused_everywhere(
    open_client: OpenClient, wallet: LocalAccount, tmp_path: Path
) -> None:
    """A token of an open session, signed with the service's own key, whose exp has passed (beyond the
    allowed clock skew): inactive for introspection, 401 for forward-auth and /auth/me."""
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}))
    key = key_set_from_jwks(json.loads(keys_file.read_text()), "ES256").signing
    async with open_client(jwt_keys_file=keys_file, clock_skew=60) as client:
        tokens = await signed_in(client, wallet)
        claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})

        def signed(**times: int) -> str:
            return jwt.encode(
                {**claims, **times}, key.private, algorithm="ES256", headers={"kid": key.kid, "typ": "at+jwt"}
            )

        now = int(time.time())
        # the same claims with other times are accepted: only the expiry differs below
        alive = signed(iat=now - 600, nbf=now - 600, exp=now + 600)
        assert (await introspect(client, alive))["active"] is True
        assert (await forward(client, alive)).status_code == 200

        for expired in [
            signed(iat=now - 900, nbf=now - 900, exp=now - 120),
            signed(iat=now - 9000, nbf=now - 9000, exp=now - 8100),
        ]:
            assert await introspect(client, expired) == {"active": False}
            response = await forward(client, expired)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
            assert "x-auth-address" not in response.headers
            assert_error(await me(client, expired), 401, "invalid_token")
        # the session itself is untouched
        assert (await me(client, tokens["access_token"])).status_code == 200


async def test_within_the_grace_window_a_lost_response_can_be_retried(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(refresh_reuse_grace=30) as client:
        first = await signed_in(client, wallet)
        lost = (await refresh(client, first["refresh_token"])).json()  # the client never saw this response
        retried = await refresh(client, first["refresh_token"])
        assert retried.status_code == 200, retried.text
        third = await refresh(client, retried.json()["refresh_token"])
        assert third.status_code == 200
        # the grandparent is reuse, grace or not
        assert_error(await refresh(client, first["refresh_token"]), 401, "refresh_reused")
        await assert_all_refused(client, [third.json()["access_token"]], [third.json()["refresh_token"]])
        assert_error(await refresh(client, lost["refresh_token"]), 401, "invalid_grant")  # the session is gone


async def test_a_stolen_predecessor_within_the_grace_window_does_not_take_the_session_over(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(refresh_reuse_grace=30) as client:
        stolen = await signed_in(client, wallet)
        victim = (await refresh(client, stolen["refresh_token"])).json()  # the victim rotates
        attacker = await refresh(client, stolen["refresh_token"])  # the thief replays the old token in time
        assert attacker.status_code == 200
        # the victim's next refresh is reuse: the session dies for both
        assert_error(await refresh(client, victim["refresh_token"]), 401, "refresh_reused")
        await assert_all_refused(client, [attacker.json()["access_token"]], [attacker.json()["refresh_token"]])


async def test_refresh_never_extends_the_session(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(refresh_ttl=60, access_ttl=900) as client:
        tokens = await signed_in(client, wallet)
        assert tokens["refresh_expires_in"] == 60
        assert tokens["expires_in"] <= 60  # the access token never outlives the session
        end = jwt.decode(tokens["access_token"], options={"verify_signature": False})["iat"] + 60
        await asyncio.sleep(1.1)
        renewed = (await refresh(client, tokens["refresh_token"])).json()
        assert renewed["refresh_expires_in"] < 60
        assert jwt.decode(renewed["access_token"], options={"verify_signature": False})["exp"] <= end


async def test_introspection_of_an_active_token(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    body = await introspect(client, tokens["access_token"])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert body == {
        "active": True,
        "sub": wallet.address,
        "chain_id": 1,
        "sid": claims["sid"],
        "domain": "localhost:8000",
        "accounts": [f"eip155:1:{wallet.address}"],
        "exp": claims["exp"],
        "iat": claims["iat"],
        "iss": "http://localhost:8000",
        "aud": "web3-auth",
        "token_type": "Bearer",
    }
    with_hint = await client.post(
        "/auth/introspect", data={"token": tokens["access_token"], "token_type_hint": "access_token"}
    )
    assert with_hint.json()["active"] is True


async def test_introspection_of_anything_else_is_exactly_inactive(client: httpx.AsyncClient) -> None:
    for token in ["x", "a.b.c", "eyJhbGciOiJub25lIn0.e30.", "A" * 5000]:
        assert await introspect(client, token) == {"active": False}
    for form in [{}, {"token": ""}]:  # RFC 7662: the token parameter is required
        assert_error(await client.post("/auth/introspect", data=form), 422, "invalid_request")


async def test_introspection_needs_the_caller_credential_when_configured(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(introspect_token="caller-secret-0123456789") as client:
        tokens = await signed_in(client, wallet)
        for headers in [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic caller-secret-0123456789"}]:
            response = await client.post("/auth/introspect", data={"token": tokens["access_token"]}, headers=headers)
            assert_error(response, 401, "invalid_client")
            assert response.headers["www-authenticate"].startswith("Bearer")
        caller = {"Authorization": "Bearer caller-secret-0123456789"}
        assert (await introspect(client, tokens["access_token"], **caller))["active"] is True


async def test_a_token_for_another_audience_or_issuer_is_inactive(
    open_client: OpenClient, wallet: LocalAccount, tmp_path: Path
) -> None:
    keys_file = tmp_path / "keys.json"  # one key for all: only the claims differ
    keys_file.write_text(json.dumps({"keys": [private_jwk(generate_private_key("ES256"), "ES256")]}))
    caller = {"Authorization": "Bearer caller-secret-0123456789"}
    async with open_client(introspect_token="caller-secret-0123456789", jwt_keys_file=keys_file) as here:
        assert (await introspect(here, (await signed_in(here, wallet))["access_token"], **caller))["active"]
        for other_settings in [{"audience": "another-api"}, {"issuer": "https://other.example"}]:
            async with open_client(jwt_keys_file=keys_file, **other_settings) as elsewhere:
                tokens = await signed_in(elsewhere, wallet)
            assert await introspect(here, tokens["access_token"], **caller) == {"active": False}


async def test_forward_auth_answers_every_method_with_the_identity(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    tokens = await signed_in(client, wallet)
    session_id = jwt.decode(tokens["access_token"], options={"verify_signature": False})["sid"]
    for method in ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "PROPFIND", "PURGE"]:
        response = await forward(client, tokens["access_token"], method)
        assert response.status_code == 200, (method, response.text)
        assert response.headers["x-auth-address"] == wallet.address
        assert response.headers["x-auth-chain-id"] == "1"
        assert response.headers["x-auth-session"] == session_id
        assert response.headers["cache-control"] == "no-store"
        assert response.content == b""


async def test_forward_auth_refuses_without_a_valid_token(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    for headers in [{}, {"Authorization": "Bearer junk"}, {"Authorization": f"Basic {tokens['access_token']}"}]:
        for method in ["GET", "PROPFIND"]:
            response = await client.request(method, "/auth/forward", headers=headers)
            assert response.status_code == 401
            assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
            assert response.headers["cache-control"] == "no-store"
            assert "x-auth-address" not in response.headers


async def test_forward_auth_never_reads_the_body(make_settings: Callable[..., Any], wallet: LocalAccount) -> None:
    """Driven over raw ASGI with a `receive` that fails the test if anything asks for the body."""
    app = create_app(make_settings())
    async with LifespanManager(app) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as client:
            tokens = await signed_in(client, wallet)

        async def receive() -> dict[str, Any]:
            raise AssertionError("forward-auth read the request body")

        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        for content_length in ["10", "200000"]:
            sent.clear()
            scope = {
                "type": "http",
                "asgi": {"version": "3.0"},
                "http_version": "1.1",
                "method": "POST",
                "scheme": "http",
                "path": "/auth/forward",
                "raw_path": b"/auth/forward",
                "query_string": b"",
                "root_path": "",
                "headers": [
                    (b"authorization", f"Bearer {tokens['access_token']}".encode()),
                    (b"content-length", content_length.encode()),
                    (b"content-type", b"application/json"),
                ],
                "client": ("127.0.0.1", 5000),
                "server": ("t", 80),
                "state": dict(manager._state),
            }
            await manager.app(scope, receive, send)
            assert sent[0]["status"] == 200


async def test_discovery_metadata_and_cacheable_keys(open_client: OpenClient) -> None:
    async with open_client(issuer="https://auth.example.com") as client:
        response = await client.get("/.well-known/oauth-authorization-server")
        metadata = response.json()
        assert metadata["issuer"] == "https://auth.example.com"
        assert metadata["jwks_uri"] == "https://auth.example.com/.well-known/jwks.json"
        assert metadata["introspection_endpoint"] == "https://auth.example.com/auth/introspect"
        assert metadata["refresh_endpoint"] == "https://auth.example.com/auth/refresh"
        assert "token_endpoint" not in metadata  # /auth/refresh is not an OAuth token endpoint
        # ...and no OAuth grant at all: left out, grant_types_supported would mean authorization_code, implicit
        assert metadata["grant_types_supported"] == []
        assert metadata["response_types_supported"] == []
        # no AUTH_INTROSPECT_TOKEN: anyone may introspect, and the metadata says so
        assert metadata["introspection_endpoint_auth_methods_supported"] == ["none"]
        assert response.headers["cache-control"].startswith("public, max-age=")
        keys = await client.get("/.well-known/jwks.json")
        assert keys.headers["cache-control"] == "public, max-age=300"


async def test_discovery_metadata_names_the_introspection_callers_authentication(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    secret = "introspection-caller-secret"
    async with open_client(introspect_token=secret) as client:
        metadata = (await client.get("/.well-known/oauth-authorization-server")).json()
        # RFC 8414 §2: an OAuth access token type is a valid value, and the caller sends exactly that
        assert metadata["introspection_endpoint_auth_methods_supported"] == ["Bearer"]
        token = (await signed_in(client, wallet))["access_token"]
        refused = await client.post(metadata["introspection_endpoint"], data={"token": token})
        assert_error(refused, 401, "invalid_client")
        answer = await introspect(client, token, authorization=f"Bearer {secret}")
        assert answer["active"] is True
