"""Rate limits over HTTP, on the memory store and on a real Redis: per client IP, per wallet, the 429 surface,
the moving window at its boundary."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import httpx
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.main import create_app
from app.stores.base import OUTSTANDING_CHALLENGES
from tests.support.app import get_challenge, served, signed_challenge
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
BEHIND_A_PROXY = {"trusted_proxies": ["127.0.0.1/32"]}  # the test client's address is 127.0.0.1


def from_ip(ip: str) -> dict[str, str]:
    return {"X-Forwarded-For": f"6.6.6.6, {ip}"}  # a client-injected leftmost entry, then what the proxy saw


def assert_rate_limited(response: httpx.Response, limit: int, window: int) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "rate_limited"
    headers = response.headers
    assert 1 <= int(headers["retry-after"]) <= window
    assert (headers["ratelimit-limit"], headers["ratelimit-remaining"]) == (str(limit), "0")
    assert headers["ratelimit-reset"] == headers["retry-after"]
    assert headers["ratelimit-policy"] == f"{limit};w={window}"
    assert (headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"]) == (str(limit), "0")
    assert 0 < int(headers["x-ratelimit-reset"]) - time.time() <= window + 1


async def test_each_client_ip_has_its_own_budget_across_browser_endpoints(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(rate_limit_ip="4/minute", **BEHIND_A_PROXY) as client:
        first = from_ip("198.51.100.1")
        assert (
            await client.post("/auth/challenge", json={"address": wallet.address}, headers=first)
        ).status_code == 200
        assert (await client.get("/auth/me", headers=first)).status_code == 401
        assert (await client.post("/auth/verify", content=b"{nope", headers=first)).status_code == 422
        assert (await client.get("/auth/nothing-here", headers=first)).status_code == 404
        assert_rate_limited(await client.post("/auth/refresh", json={"refresh_token": "x"}, headers=first), 4, 60)
        # another client, and the endpoints proxies and services call, are not affected
        other = from_ip("198.51.100.2")
        assert (
            await client.post("/auth/challenge", json={"address": wallet.address}, headers=other)
        ).status_code == 200
        assert (await client.get("/auth/forward", headers=first)).status_code == 401
        assert (await client.get("/auth/forward/api/orders", headers=first)).status_code == 401  # Envoy's form
        assert (await client.get("/healthz", headers=first)).status_code == 200
        assert (await client.get("/.well-known/jwks.json", headers=first)).status_code == 200


async def test_forwarded_for_from_an_untrusted_peer_changes_nothing(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(rate_limit_ip="3/minute") as client:  # no trusted proxy
        for index in range(3):
            headers = {"X-Forwarded-For": f"198.51.100.{index}"}
            assert (
                await client.post("/auth/challenge", json={"address": wallet.address}, headers=headers)
            ).status_code == 200
        response = await client.post("/auth/challenge", json={"address": wallet.address}, headers=from_ip("9.9.9.9"))
        assert_rate_limited(response, 3, 60)


async def test_a_client_has_one_challenge_budget_per_wallet_whatever_the_case(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(rate_limit_address="3/minute", **BEHIND_A_PROXY) as client:
        flooder = from_ip("203.0.113.66")
        spellings = [wallet.address, wallet.address.lower(), "0x" + wallet.address[2:].upper()]
        for spelling in spellings:
            response = await client.post("/auth/challenge", json={"address": spelling}, headers=flooder)
            assert response.status_code == 200, response.text
        response = await client.post("/auth/challenge", json={"address": wallet.address}, headers=flooder)
        assert_rate_limited(response, 3, 60)
        other = new_wallet()
        response = await client.post("/auth/challenge", json={"address": other.address}, headers=flooder)
        assert response.status_code == 200
        # the wallet's owner, on another client, is not locked out by the flood and can sign in
        owner = from_ip("198.51.100.1")
        body = await signed_challenge(client, wallet, headers=owner)
        response = await client.post("/auth/verify", json=body, headers=owner)
        assert response.status_code == 200, response.text


async def test_a_challenge_flood_from_many_clients_cannot_evict_the_owners_challenge(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(**BEHIND_A_PROXY) as client:
        owner = from_ip("198.51.100.1")
        body = await signed_challenge(client, wallet, headers=owner)
        for _ in range(5):  # clients fewer than the challenges one address may hold, far more challenges
            for index in range(OUTSTANDING_CHALLENGES - 1):
                flooder = from_ip(f"203.0.113.{index}")
                response = await client.post("/auth/challenge", json={"address": wallet.address}, headers=flooder)
                assert response.status_code == 200, response.text
        response = await client.post("/auth/verify", json=body, headers=owner)
        assert response.status_code == 200, response.text


async def test_forged_sign_ins_never_spend_a_wallets_budget(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(rate_limit_address="3/minute") as client:
        bodies = [await signed_challenge(client, wallet) for _ in range(3)]
        for _ in range(5):  # an attacker who knows the address but not the key
            forged = sign(new_wallet(), bodies[0]["message"])
            response = await client.post("/auth/verify", json={**bodies[0], "signature": forged})
            assert response.json()["error"] == "invalid_signature"
            response = await client.post("/auth/verify", json={"address": wallet.address, "signature": forged})
            assert response.json()["error"] == "invalid_signature"
        for body in bodies:  # the wallet's own three sign-ins all fit in its budget
            response = await client.post("/auth/verify", json=body)
            assert response.status_code == 200, response.text


async def test_over_its_budget_a_sign_in_is_refused_before_cryptography_and_keeps_its_nonce(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    async with open_client(rate_limit_address="2 per 2 seconds") as client:
        started = time.monotonic()
        first, second = [await signed_challenge(client, wallet) for _ in range(2)]
        await asyncio.sleep(1)
        for body in (first, second):
            assert (await client.post("/auth/verify", json=body)).status_code == 200
        await asyncio.sleep(max(0.0, 2.2 - (time.monotonic() - started)))  # challenges free up first
        third = await signed_challenge(client, wallet)
        assert_rate_limited(await client.post("/auth/verify", json=third), 2, 2)
        address_form = {"address": wallet.address, "signature": third["signature"]}
        assert_rate_limited(await client.post("/auth/verify", json=address_form), 2, 2)
        await asyncio.sleep(1.2)  # then sign-ins
        response = await client.post("/auth/verify", json=third)
        assert response.status_code == 200, response.text  # the refused attempts did not burn the nonce


async def test_over_its_budget_even_a_forged_sign_in_is_refused_before_its_signature_is_checked(
    open_client: OpenClient, wallet: LocalAccount
) -> None:
    """The limiter answers before any cryptography: once the wallet's sign-ins are spent, a forgery gets the
    429, not the 401 invalid_signature that checking it would give (a check after the signature would)."""
    async with open_client(rate_limit_address="2/minute", **BEHIND_A_PROXY) as client:
        bodies = [await signed_challenge(client, wallet) for _ in range(2)]
        pending = await signed_challenge(client, wallet, headers=from_ip("198.51.100.3"))
        forged = {**pending, "signature": sign(new_wallet(), pending["message"])}
        by_address = {"address": wallet.address, "signature": forged["signature"]}
        for body in (forged, by_address):  # within the budget, a forgery is checked, and refused as one
            response = await client.post("/auth/verify", json=body)
            assert (response.status_code, response.json()["error"]) == (401, "invalid_signature")
        for body in bodies:
            assert (await client.post("/auth/verify", json=body)).status_code == 200
        for body in (forged, by_address, {**pending, "signature": "0x" + "00" * 65}):
            assert_rate_limited(await client.post("/auth/verify", json=body), 2, 60)


async def test_challenges_do_not_spend_the_sign_in_budget(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(rate_limit_address="2/minute") as client:
        body = await signed_challenge(client, wallet)
        await get_challenge(client, wallet)  # the wallet's challenge budget is now spent...
        response = await client.post("/auth/challenge", json={"address": wallet.address})
        assert response.status_code == 429
        assert (await client.post("/auth/verify", json=body)).status_code == 200  # ...its sign-ins are not


async def test_the_moving_window_admits_no_burst_across_a_window_boundary(open_client: OpenClient) -> None:
    """A fixed window of 3 per 2 s admits 3 more as soon as its window ends, so 5 can pass in 0.3 s across the
    boundary. The moving window admits at most 3 in *any* 2 s: at 2.05 s only the hit of 0 s has aged out."""
    limit, window = 3, 2
    async with open_client(rate_limit_ip=f"{limit} per {window} seconds") as client:
        started = time.monotonic()
        admitted: list[float] = []

        async def burst(at: float, count: int) -> list[int]:
            await asyncio.sleep(max(0.0, at - (time.monotonic() - started)))
            statuses = []
            for _ in range(count):
                response = await client.get("/auth/me")  # 401 once past the limiter: there is no token
                statuses.append(response.status_code)
                if response.status_code == 401:
                    admitted.append(time.monotonic() - started)
            return statuses

        assert await burst(0.0, 1) == [401]
        assert await burst(1.7, 2) == [401, 401]
        assert await burst(2.05, 3) == [401, 429, 429]
        assert await burst(3.8, 3) == [401, 401, 429]  # the two hits of 1.7 s have aged out
        for index, moment in enumerate(admitted):
            assert len([other for other in admitted[index:] if other - moment < window]) <= limit, admitted


async def test_introspection_is_limited_unless_the_caller_presents_the_introspection_credential(
    open_client: OpenClient,
) -> None:
    credential = "a-service-credential-0123456789"
    async with open_client(rate_limit_ip="2/minute", introspect_token=credential, **BEHIND_A_PROXY) as client:
        browser = from_ip("198.51.100.7")
        for _ in range(2):
            assert (await client.post("/auth/introspect", data={"token": "x"}, headers=browser)).status_code == 401
        assert_rate_limited(await client.post("/auth/introspect", data={"token": "x"}, headers=browser), 2, 60)
        for scheme in ("Bearer", "bearer", "BEARER"):  # the scheme is case-insensitive (RFC 6750 §2.1)
            service = {**browser, "Authorization": f"{scheme} {credential}"}
            response = await client.post("/auth/introspect", data={"token": "x"}, headers=service)
            assert response.status_code == 200, response.text
        for _ in range(5):
            response = await client.post("/auth/introspect", data={"token": "x"}, headers=service)
            assert response.status_code == 200, response.text
            assert response.json() == {"active": False}


async def test_anonymous_introspection_counts_against_the_callers_budget(open_client: OpenClient) -> None:
    async with open_client(rate_limit_ip="2/minute", **BEHIND_A_PROXY) as client:  # no introspection credential
        caller = from_ip("198.51.100.8")
        for _ in range(2):
            assert (await client.post("/auth/introspect", data={"token": "x"}, headers=caller)).status_code == 200
        assert_rate_limited(await client.post("/auth/introspect", data={"token": "x"}, headers=caller), 2, 60)


def test_under_a_root_path_the_same_endpoints_are_limited_and_exempt() -> None:
    """Served under a path prefix (uvicorn --root-path, as behind a proxy that mounts it at /sign-in), the
    limits apply to the same routes as at the root."""
    settings = Settings(rate_limit_ip="2/minute")
    with served(create_app(settings), root_path="/sign-in") as base_url, httpx.Client(base_url=base_url) as client:
        for _ in range(2):
            assert client.get("/auth/me").status_code == 401
        assert_rate_limited(client.get("/auth/me"), 2, 60)
        assert client.get("/auth/forward").status_code == 401  # forward-auth is not limited
        assert client.get("/healthz").status_code == 200
        assert client.get("/.well-known/jwks.json").status_code == 200


def test_over_real_http_several_forwarded_for_headers_read_as_one_list() -> None:
    """Proxies may append their own X-Forwarded-For header instead of extending the client's: HTTP servers pass
    both on, and the rightmost untrusted entry over all of them is the client, however it was spelled."""
    settings = Settings(rate_limit_ip="3/minute", **BEHIND_A_PROXY)
    with served(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        spellings = [
            [("X-Forwarded-For", "6.6.6.6"), ("X-Forwarded-For", "198.51.100.5")],
            [("X-Forwarded-For", "6.6.6.6, , 198.51.100.5:4711")],
            [("X-Forwarded-For", "7.7.7.7,198.51.100.5"), ("X-Forwarded-For", "127.0.0.1")],  # via a 2nd proxy
        ]
        for headers in spellings:
            assert client.get("/auth/me", headers=headers).status_code == 401
        assert_rate_limited(client.get("/auth/me", headers=[("X-Forwarded-For", "198.51.100.5")]), 3, 60)
        assert client.get("/auth/me", headers=[("X-Forwarded-For", "198.51.100.6")]).status_code == 401


ALL_TRUSTED = {"trusted_proxies": ["127.0.0.1/32", "10.0.0.0/8"]}  # a range that also holds clients


async def test_under_an_all_trusted_chain_a_rotating_leftmost_entry_does_not_reset_the_limit(
    open_client: OpenClient,
) -> None:
    """A client inside a trusted range sends a new 10.x address first on every request; the proxy appends the
    one it saw. Every entry is trusted, and the key is the rightmost (what the proxy wrote), so the client
    keeps its one budget."""
    async with open_client(rate_limit_ip="3/minute", **ALL_TRUSTED) as client:
        for index in range(3):
            headers = {"X-Forwarded-For": f"10.{index}.{index}.{index}, 10.9.9.9"}
            assert (await client.get("/auth/me", headers=headers)).status_code == 401
        rotated = {"X-Forwarded-For": "10.200.200.200, 10.9.9.9"}
        assert_rate_limited(await client.get("/auth/me", headers=rotated), 3, 60)
        # the leftmost entry alone, as its own key, would have had a fresh budget
        assert (await client.get("/auth/me", headers={"X-Forwarded-For": "10.200.200.200"})).status_code == 401


def test_over_real_http_a_rotating_leftmost_entry_under_an_all_trusted_chain_changes_nothing() -> None:
    settings = Settings(rate_limit_ip="3/minute", **ALL_TRUSTED)
    with served(create_app(settings)) as base_url, httpx.Client(base_url=base_url) as client:
        for index in range(3):
            headers = [("X-Forwarded-For", f"10.{index}.0.1"), ("X-Forwarded-For", "10.9.9.9")]
            assert client.get("/auth/me", headers=headers).status_code == 401
        assert_rate_limited(client.get("/auth/me", headers={"X-Forwarded-For": "10.77.0.1, 10.9.9.9"}), 3, 60)
        assert client.get("/auth/me", headers={"X-Forwarded-For": "10.77.0.1"}).status_code == 401
