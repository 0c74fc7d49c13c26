"""One-Click Auth's CACAOs (CAIP-74, as WalletConnect's authenticate returns them and AppKit hands them over) at
/auth/verify and /auth/accounts: the server rebuilds the text the wallet signed, then checks it like any
message. Here the wallet side is the siwe library's text for the same fields, signed with a real key (WalletConnect's
own writer is compared with ours in tests/interop/test_cacao_interop.py). On memory and on a real Redis."""

import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ClientMessage

from app.domain.challenges import rfc3339
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


@pytest.fixture
async def client(open_client: OpenClient) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(chain_ids=[1, 8453]) as http:
        yield http


def cacao(wallet: LocalAccount, nonce: str, chain_id: int, *, signer: LocalAccount | None = None) -> dict[str, Any]:
    payload = {
        "iss": f"did:pkh:eip155:{chain_id}:{wallet.address}",
        "domain": "localhost:8000",
        "aud": "http://localhost:8000/login",
        "version": "1",
        "nonce": nonce,
        "iat": rfc3339(time.time()),
        "statement": "Sign in with one click.",
    }
    text = ClientMessage(
        domain=payload["domain"],
        address=wallet.address,
        uri=payload["aud"],
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=payload["iat"],
        statement=payload["statement"],
    ).prepare_message()
    return {"h": {"t": "caip122"}, "p": payload, "s": {"t": "eip191", "s": sign(signer or wallet, text)}}


async def open_nonce(client: httpx.AsyncClient) -> str:
    nonce: str = (await client.post("/auth/nonce", json={})).json()["nonce"]
    return nonce


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


async def test_one_click_cacaos_open_one_session(client: httpx.AsyncClient) -> None:
    wallet, nonce = new_wallet(), await open_nonce(client)
    response = await client.post("/auth/verify", json={"cacaos": [cacao(wallet, nonce, 1), cacao(wallet, nonce, 8453)]})
    assert response.status_code == 200, response.text
    assert response.json()["accounts"] == [f"eip155:1:{wallet.address}", f"eip155:8453:{wallet.address}"]


async def test_one_forged_cacao_opens_nothing(client: httpx.AsyncClient) -> None:
    wallet, nonce = new_wallet(), await open_nonce(client)
    forged = cacao(wallet, nonce, 8453, signer=new_wallet())
    refused = await client.post("/auth/verify", json={"cacaos": [cacao(wallet, nonce, 1), forged]})
    assert_error(refused, 401, "invalid_signature")
    retried = await client.post("/auth/verify", json={"cacaos": [cacao(wallet, nonce, 1), cacao(wallet, nonce, 8453)]})
    assert retried.status_code == 200, retried.text


@pytest.mark.parametrize(
    ("spoil", "status", "code"),
    [
        (lambda c: c["h"].update(t="eip4361"), 422, "invalid_request"),
        (lambda c: c["s"].update(t="eip6492"), 422, "invalid_request"),
        (lambda c: c["p"].pop("nonce"), 422, "invalid_request"),
        (lambda c: c["p"].update(iss="did:pkh:solana:1:abc"), 400, "invalid_message"),
        (lambda c: c["p"].update(iss=c["p"]["iss"].replace("eip155:1:", "eip155:01:")), 400, "invalid_message"),
        (lambda c: c["p"].update(statement="two\nlines"), 400, "invalid_message"),
        (lambda c: c["p"].update(domain="evil.example"), 401, "domain_not_allowed"),
        (lambda c: c["p"].update(iat="2020-01-01T00:00:00Z"), 401, "invalid_nonce"),
    ],
)
async def test_malformed_cacaos_are_4xx(
    client: httpx.AsyncClient, spoil: Callable[[dict[str, Any]], object], status: int, code: str
) -> None:
    wallet, nonce = new_wallet(), await open_nonce(client)
    spoiled = cacao(wallet, nonce, 1)
    spoil(spoiled)
    assert_error(await client.post("/auth/verify", json={"cacaos": [spoiled]}), status, code)
    assert (await client.post("/auth/verify", json={"cacaos": [cacao(wallet, nonce, 1)]})).status_code == 200


async def test_a_session_gains_a_chain_by_cacao(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    tokens = (await client.post("/auth/verify", json={"cacaos": [cacao(wallet, await open_nonce(client), 1)]})).json()
    added = await client.post(
        "/auth/accounts",
        json={"cacaos": [cacao(wallet, await open_nonce(client), 8453)]},
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
    )
    assert added.status_code == 200, added.text
    assert added.json()["accounts"] == [f"eip155:1:{wallet.address}", f"eip155:8453:{wallet.address}"]
