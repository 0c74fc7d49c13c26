"""Nonces before the address (POST /auth/nonce): the client writes the message once the wallet has said its
address and chain; every check of a sign-in still holds, and the nonce is consumed only by a sign-in that
passed them all. On the memory store and on a real Redis."""

import asyncio
import re
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import Any

import httpx
import jwt
import pytest
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ClientMessage

from app.domain.challenges import rfc3339
from app.stores.base import OPEN_NONCES_PER_CLIENT
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
BEHIND_A_PROXY = {"trusted_proxies": ["127.0.0.1/32"]}  # the test client's address is 127.0.0.1


async def open_nonce(client: httpx.AsyncClient, headers: dict[str, str] | None = None, **body: Any) -> dict[str, Any]:
    response = await client.post("/auth/nonce", json=body, headers=headers)
    assert response.status_code == 200, response.text
    issued: dict[str, Any] = response.json()
    return issued


def written_message(wallet: LocalAccount, issued: dict[str, Any], **fields: Any) -> str:
    """What a frontend writes around an open nonce with the siwe library, once it knows the wallet."""
    values: dict[str, Any] = {
        "domain": issued["domain"],
        "address": wallet.address,
        "uri": issued["uri"],
        "version": "1",
        "chain_id": issued["chain_ids"][0],
        "nonce": issued["nonce"],
        "issued_at": rfc3339(time.time()),
        "statement": issued["statement"],
        **fields,
    }
    return ClientMessage(**{name: value for name, value in values.items() if value is not None}).prepare_message()


async def verify(client: httpx.AsyncClient, wallet: LocalAccount, message: str) -> httpx.Response:
    return await client.post("/auth/verify", json={"message": message, "signature": sign(wallet, message)})


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


async def test_a_nonce_names_what_a_message_must_carry(open_client: OpenClient) -> None:
    async with open_client(domains=["localhost:8000", "app.example.com"], chain_ids=[1, 8453]) as client:
        response = await client.post("/auth/nonce", json={})
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "no-store"
        issued = response.json()
        assert re.fullmatch(r"[0-9a-f]{40}", issued["nonce"])
        assert (issued["domain"], issued["uri"], issued["chain_ids"]) == (
            "localhost:8000",
            "http://localhost:8000",
            [1, 8453],
        )
        assert issued["statement"] == "Sign in with Ethereum."
        issued_at, expires = (datetime.fromisoformat(issued[name]) for name in ("issued_at", "expiration_time"))
        assert (expires - issued_at).total_seconds() == 300  # AUTH_NONCE_TTL
        assert abs(issued_at.timestamp() - time.time()) < 5
        other = await open_nonce(client, domain="app.example.com")
        assert (other["domain"], other["uri"]) == ("app.example.com", "https://app.example.com")
        assert other["nonce"][:8] == issued["nonce"][:8]  # one client, one tag
        refused = await client.post("/auth/nonce", json={"domain": "evil.example"})
        assert_error(refused, 400, "domain_not_allowed")


async def test_a_message_written_around_a_nonce_signs_in_once(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    issued = await open_nonce(client)
    message = written_message(wallet, issued)
    response = await verify(client, wallet, message)
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert (tokens["address"], tokens["chain_id"], tokens["accounts"]) == (
        wallet.address,
        1,
        [f"eip155:1:{wallet.address}"],
    )
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.json()["accounts"] == [f"eip155:1:{wallet.address}"]
    assert me.json()["recap"] is None
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["accounts"] == tokens["accounts"]
    assert_error(await verify(client, wallet, message), 401, "invalid_nonce")  # single use
    other_wallet = new_wallet()  # nor by another wallet: an open nonce is spent by whoever used it
    assert_error(await verify(client, other_wallet, written_message(other_wallet, issued)), 401, "invalid_nonce")


async def test_any_wallet_and_chain_of_the_list_but_only_the_nonces_domain(open_client: OpenClient) -> None:
    async with open_client(domains=["localhost:8000", "app.example.com"], chain_ids=[1, 8453]) as client:
        issued = await open_nonce(client)
        wallet = new_wallet()
        elsewhere = written_message(wallet, issued, domain="app.example.com", uri="https://app.example.com")
        assert_error(await verify(client, wallet, elsewhere), 401, "invalid_nonce")
        unlisted = written_message(wallet, issued, chain_id=10)
        assert_error(await verify(client, wallet, unlisted), 401, "chain_not_allowed")
        early = written_message(wallet, issued, issued_at=rfc3339(time.time() - 3600))
        assert_error(await verify(client, wallet, early), 401, "invalid_nonce")
        response = await verify(client, wallet, written_message(wallet, issued, chain_id=8453))
        assert response.status_code == 200, response.text  # none of the refusals above spent the nonce
        assert response.json()["accounts"] == [f"eip155:8453:{wallet.address}"]


async def test_a_refused_signature_leaves_the_nonce_usable(client: httpx.AsyncClient) -> None:
    wallet, impostor = new_wallet(), new_wallet()
    issued = await open_nonce(client)
    message = written_message(wallet, issued)
    forged = await client.post("/auth/verify", json={"message": message, "signature": sign(impostor, message)})
    assert_error(forged, 401, "invalid_signature")
    assert (await verify(client, wallet, message)).status_code == 200


async def test_concurrent_sign_ins_consume_a_nonce_once(client: httpx.AsyncClient) -> None:
    issued = await open_nonce(client)
    wallets = [new_wallet() for _ in range(8)]  # eight different wallets race for one nonce
    responses = await asyncio.gather(*(verify(client, w, written_message(w, issued)) for w in wallets))
    assert sorted(response.status_code for response in responses) == [200] + [401] * 7
    assert {response.json()["error"] for response in responses if response.status_code == 401} == {"invalid_nonce"}


async def test_a_client_holds_a_bounded_number_of_open_nonces(open_client: OpenClient) -> None:
    async with open_client(**BEHIND_A_PROXY) as client:
        flooder, bystander = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9"}
        kept = await open_nonce(client, bystander)
        first = await open_nonce(client, flooder)
        for _ in range(OPEN_NONCES_PER_CLIENT):
            last = await open_nonce(client, flooder)
        wallet = new_wallet()
        assert_error(await verify(client, wallet, written_message(wallet, first)), 401, "invalid_nonce")  # dropped
        assert (await verify(client, wallet, written_message(wallet, last))).status_code == 200
        assert (await verify(client, wallet, written_message(wallet, kept))).status_code == 200  # another client's


async def test_nonces_have_a_per_client_budget(open_client: OpenClient) -> None:
    async with open_client(rate_limit_nonce_ip="2/minute", **BEHIND_A_PROXY) as client:
        one = {"X-Forwarded-For": "203.0.113.7"}
        for _ in range(2):
            await open_nonce(client, one)
        refused = await client.post("/auth/nonce", json={}, headers=one)
        assert_error(refused, 429, "rate_limited")
        assert "retry-after" in refused.headers
        await open_nonce(client, {"X-Forwarded-For": "198.51.100.9"})  # another client's budget is its own


@pytest.mark.parametrize("body", [{"domain": ""}, {"domain": 1}, {"address": "0x" + "0" * 40}])
async def test_malformed_nonce_requests_are_4xx(client: httpx.AsyncClient, body: dict[str, Any]) -> None:
    response = await client.post("/auth/nonce", json=body)
    assert_error(response, 422, "invalid_request")
