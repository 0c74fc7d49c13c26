"""One sign-in, several chains: messages of one address over one nonce, one per chain, open ONE session whose
accounts are CAIP-10 ids; all are verified before the nonce is consumed (all or nothing). Sessions gain and
lose chains through /auth/accounts. On the memory store and on a real Redis."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import jwt
import pytest
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ClientMessage

from app.domain.challenges import rfc3339
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
CHAINS = [1, 8453, 10]


@pytest.fixture
async def client(open_client: OpenClient) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(chain_ids=CHAINS) as http:
        yield http


async def open_nonce(client: httpx.AsyncClient) -> str:
    response = await client.post("/auth/nonce", json={})
    assert response.status_code == 200, response.text
    nonce: str = response.json()["nonce"]
    return nonce


def message(wallet: LocalAccount, nonce: str, chain_id: int, **fields: Any) -> str:
    values: dict[str, Any] = {
        "domain": "localhost:8000",
        "address": wallet.address,
        "uri": "http://localhost:8000",
        "version": "1",
        "chain_id": chain_id,
        "nonce": nonce,
        "issued_at": rfc3339(time.time()),
        "statement": "Sign in to every chain.",
        **fields,
    }
    return ClientMessage(**values).prepare_message()


def signed(
    wallet: LocalAccount, nonce: str, chains: list[int], signer: LocalAccount | None = None
) -> list[dict[str, str]]:
    texts = [message(wallet, nonce, chain_id) for chain_id in chains]
    return [{"message": text, "signature": sign(signer or wallet, text)} for text in texts]


async def verify_all(client: httpx.AsyncClient, entries: list[dict[str, str]]) -> httpx.Response:
    return await client.post("/auth/verify", json={"messages": entries})


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert set(response.json()) == {"error", "detail"}


def accounts(wallet: LocalAccount, chains: list[int]) -> list[str]:
    return [f"eip155:{chain_id}:{wallet.address}" for chain_id in chains]


async def test_one_session_for_every_chain_signed(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    response = await verify_all(client, signed(wallet, await open_nonce(client), [8453, 1]))
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert (tokens["address"], tokens["chain_id"]) == (wallet.address, 8453)  # the first message's
    assert tokens["accounts"] == accounts(wallet, [8453, 1])
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert claims["accounts"] == accounts(wallet, [8453, 1])
    me = (await client.get("/auth/me", headers=bearer(tokens))).json()
    assert me["accounts"] == accounts(wallet, [8453, 1])
    forward = await client.get("/auth/forward", headers=bearer(tokens))
    assert forward.headers["x-auth-accounts"] == ",".join(accounts(wallet, [8453, 1]))
    introspected = (await client.post("/auth/introspect", data={"token": tokens["access_token"]})).json()
    assert introspected["accounts"] == accounts(wallet, [8453, 1])
    renewed = (await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert jwt.decode(renewed["access_token"], options={"verify_signature": False})["accounts"] == tokens["accounts"]


@pytest.mark.parametrize("spoiled", ["signature", "chain"])
async def test_one_bad_message_opens_nothing_and_spends_nothing(client: httpx.AsyncClient, spoiled: str) -> None:
    wallet, nonce = new_wallet(), await open_nonce(client)
    entries = signed(wallet, nonce, [1, 8453])
    if spoiled == "signature":
        entries[1] = signed(wallet, nonce, [8453], signer=new_wallet())[0]
        assert_error(await verify_all(client, entries), 401, "invalid_signature")
    else:
        entries.append(signed(wallet, nonce, [137])[0])  # 137 is not in AUTH_CHAIN_IDS
        assert_error(await verify_all(client, entries), 401, "chain_not_allowed")
    retried = await verify_all(client, signed(wallet, nonce, [1, 8453]))
    assert retried.status_code == 200, retried.text  # the nonce was still outstanding


async def test_a_batch_is_one_nonce_one_address_one_message_per_chain(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    first, second = await open_nonce(client), await open_nonce(client)
    two_nonces = [*signed(wallet, first, [1]), *signed(wallet, second, [8453])]
    assert_error(await verify_all(client, two_nonces), 400, "invalid_batch")
    other = new_wallet()
    two_addresses = [*signed(wallet, first, [1]), *signed(other, first, [8453])]
    assert_error(await verify_all(client, two_addresses), 400, "invalid_batch")
    assert_error(await verify_all(client, signed(wallet, first, [1, 1])), 400, "invalid_batch")
    assert (await verify_all(client, signed(wallet, first, [1, 8453]))).status_code == 200
    assert (await verify_all(client, signed(wallet, second, [10]))).status_code == 200


async def test_concurrent_batches_consume_a_nonce_once(client: httpx.AsyncClient) -> None:
    nonce, wallets = await open_nonce(client), [new_wallet() for _ in range(6)]
    responses = await asyncio.gather(*(verify_all(client, signed(w, nonce, [1, 8453])) for w in wallets))
    assert sorted(response.status_code for response in responses) == [200] + [401] * 5
    assert {r.json()["error"] for r in responses if r.status_code != 200} == {"invalid_nonce"}


async def test_a_challenge_nonce_is_for_one_message_of_its_address_and_chain(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    challenge = (await client.post("/auth/challenge", json={"address": wallet.address, "chain_id": 8453})).json()
    assert_error(await verify_all(client, signed(wallet, challenge["nonce"], [1, 10])), 401, "invalid_nonce")
    assert_error(await verify_all(client, signed(wallet, challenge["nonce"], [1, 8453])), 401, "invalid_nonce")
    other = new_wallet()
    assert_error(await verify_all(client, signed(other, challenge["nonce"], [8453])), 401, "invalid_nonce")
    response = await verify_all(client, signed(wallet, challenge["nonce"], [8453]))
    assert response.status_code == 200, response.text
    assert response.json()["accounts"] == accounts(wallet, [8453])


@pytest.mark.parametrize("entries", [[], [{"message": "x", "signature": "0x00"}] * 17])
async def test_batch_size_is_bounded(client: httpx.AsyncClient, entries: list[dict[str, str]]) -> None:
    assert_error(await verify_all(client, entries), 422, "invalid_request")


async def test_forms_do_not_mix(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    entries = signed(wallet, await open_nonce(client), [1])
    mixed = {"messages": entries, "message": entries[0]["message"], "signature": entries[0]["signature"]}
    assert_error(await client.post("/auth/verify", json=mixed), 422, "invalid_request")
    signature_alone = {"messages": entries, "signature": entries[0]["signature"]}
    assert_error(await client.post("/auth/verify", json=signature_alone), 422, "invalid_request")


async def test_a_session_gains_and_loses_chains(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    tokens = (await verify_all(client, signed(wallet, await open_nonce(client), [1]))).json()
    added = await client.post(
        "/auth/accounts",
        json={"messages": signed(wallet, await open_nonce(client), [8453, 10])},
        headers=bearer(tokens),
    )
    assert added.status_code == 200, added.text
    assert added.headers["cache-control"] == "no-store"
    grown = added.json()
    assert grown["accounts"] == accounts(wallet, [1, 8453, 10])
    assert jwt.decode(grown["access_token"], options={"verify_signature": False})["accounts"] == grown["accounts"]
    me = (await client.get("/auth/me", headers=bearer(tokens))).json()  # the old token: the store says what is now
    assert me["accounts"] == accounts(wallet, [1, 8453, 10])
    renewed = (await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert renewed["accounts"] == accounts(wallet, [1, 8453, 10])

    lower = f"eip155:8453:{wallet.address.lower()}"  # the address in any case
    removed = await client.delete(f"/auth/accounts/{lower}", headers=bearer(grown))
    assert removed.status_code == 200, removed.text
    assert removed.json()["accounts"] == accounts(wallet, [1, 10])
    assert_error(await client.delete(f"/auth/accounts/{lower}", headers=bearer(grown)), 404, "unknown_account")
    await client.delete(f"/auth/accounts/eip155:10:{wallet.address}", headers=bearer(grown))
    last = await client.delete(f"/auth/accounts/eip155:1:{wallet.address}", headers=bearer(grown))
    assert_error(last, 400, "last_account")
    assert (await client.get("/auth/me", headers=bearer(grown))).json()["accounts"] == accounts(wallet, [1])


async def test_removing_the_first_account_moves_the_sessions_chain(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    tokens = (await verify_all(client, signed(wallet, await open_nonce(client), [1, 8453]))).json()
    removed = (await client.delete(f"/auth/accounts/eip155:1:{wallet.address}", headers=bearer(tokens))).json()
    claims = jwt.decode(removed["access_token"], options={"verify_signature": False})
    assert (claims["chain_id"], claims["accounts"]) == (8453, accounts(wallet, [8453]))
    forward = await client.get("/auth/forward", headers=bearer(removed))
    assert (forward.headers["x-auth-chain-id"], forward.headers["x-auth-accounts"]) == (
        "8453",
        accounts(wallet, [8453])[0],
    )
    me = (await client.get("/auth/me", headers=bearer(tokens))).json()  # the old token: the store's account
    assert (me["chain_id"], me["accounts"]) == (8453, accounts(wallet, [8453]))
    old = await client.get("/auth/forward", headers=bearer(tokens))  # never the chain the session no longer has
    assert (old.headers["x-auth-chain-id"], old.headers["x-auth-accounts"]) == ("8453", accounts(wallet, [8453])[0])
    renewed = (await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert (renewed["chain_id"], renewed["accounts"]) == (8453, accounts(wallet, [8453]))


async def test_a_session_holds_a_bounded_number_of_accounts(open_client: OpenClient) -> None:
    chains = list(range(1, 22))
    async with open_client(chain_ids=chains) as client:
        wallet = new_wallet()
        tokens = (await verify_all(client, signed(wallet, await open_nonce(client), chains[:16]))).json()
        assert len(tokens["accounts"]) == 16
        more = {"messages": signed(wallet, await open_nonce(client), chains[16:])}
        assert_error(await client.post("/auth/accounts", json=more, headers=bearer(tokens)), 400, "invalid_batch")
        assert (await client.get("/auth/me", headers=bearer(tokens))).status_code == 200  # its token still valid


async def test_only_the_sessions_address_joins_it(client: httpx.AsyncClient) -> None:
    wallet, other = new_wallet(), new_wallet()
    tokens = (await verify_all(client, signed(wallet, await open_nonce(client), [1]))).json()
    nonce = await open_nonce(client)
    refused = await client.post(
        "/auth/accounts", json={"messages": signed(other, nonce, [8453])}, headers=bearer(tokens)
    )
    assert_error(refused, 400, "invalid_batch")
    forged = await client.post(
        "/auth/accounts", json={"messages": signed(wallet, nonce, [8453], signer=other)}, headers=bearer(tokens)
    )
    assert_error(forged, 401, "invalid_signature")
    no_token = await client.post("/auth/accounts", json={"messages": signed(wallet, nonce, [8453])})
    assert_error(no_token, 401, "invalid_token")
    added = await client.post(
        "/auth/accounts", json={"messages": signed(wallet, nonce, [8453])}, headers=bearer(tokens)
    )
    assert added.status_code == 200, added.text  # none of the refusals spent the nonce
    again = await client.post("/auth/accounts", json={"messages": signed(wallet, nonce, [10])}, headers=bearer(tokens))
    assert_error(again, 401, "invalid_nonce")


async def test_a_logged_out_session_gains_nothing(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    tokens = (await verify_all(client, signed(wallet, await open_nonce(client), [1]))).json()
    assert (await client.post("/auth/logout", headers=bearer(tokens))).status_code == 204
    entries = signed(wallet, await open_nonce(client), [8453])
    assert_error(
        await client.post("/auth/accounts", json={"messages": entries}, headers=bearer(tokens)), 401, "invalid_token"
    )
    assert_error(
        await client.delete(f"/auth/accounts/eip155:1:{wallet.address}", headers=bearer(tokens)), 401, "invalid_token"
    )
