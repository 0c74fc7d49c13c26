"""ReCaps (EIP-5573) read at sign-in: the granted abilities reach the tokens, /auth/me and introspection, and a
ReCap that is malformed, repeated, not last or not what the statement says is 400 invalid_message, spending
nothing. On the memory store and on a real Redis."""

import base64
import json
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
from app.domain.recaps import Recap, recap_statement
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
GRANT: dict[str, Any] = {
    "att": {
        "https://api.example.com/notes": {"crud/read": [{}], "crud/update": [{"max": 10}]},
        "https://api.example.com/files": {"storage/put": [{}]},
    }
}


@pytest.fixture
async def client(open_client: OpenClient) -> AsyncIterator[httpx.AsyncClient]:
    async with open_client(chain_ids=[1, 8453]) as http:
        yield http


def encoded(recap: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(recap, separators=(",", ":")).encode()).decode().rstrip("=")
    return f"urn:recap:{payload}"


def statement_for(recap: dict[str, Any], before: str = "Sign in to the notes app.") -> str:
    return f"{before} {recap_statement(Recap(recap['att']))}"


async def written(
    client: httpx.AsyncClient,
    wallet: LocalAccount,
    *,
    chain_id: int = 1,
    nonce: str | None = None,
    statement: str | None = None,
    resources: list[str] | None = None,
) -> dict[str, str]:
    if nonce is None:
        nonce = (await client.post("/auth/nonce", json={})).json()["nonce"]
    text = ClientMessage(
        domain="localhost:8000",
        address=wallet.address,
        uri="http://localhost:8000",
        version="1",
        chain_id=chain_id,
        nonce=nonce,
        issued_at=rfc3339(time.time()),
        statement=statement_for(GRANT) if statement is None else statement,
        resources=["https://api.example.com/terms", encoded(GRANT)] if resources is None else resources,
    ).prepare_message()
    return {"message": text, "signature": sign(wallet, text)}


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


async def test_the_granted_abilities_are_in_the_claims(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    response = await client.post("/auth/verify", json=await written(client, wallet))
    assert response.status_code == 200, response.text
    tokens = response.json()
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["recap"] == GRANT
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await client.get("/auth/me", headers=bearer)).json()["recap"] == GRANT
    introspected = (await client.post("/auth/introspect", data={"token": tokens["access_token"]})).json()
    assert introspected["recap"] == GRANT
    renewed = (await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})).json()
    assert jwt.decode(renewed["access_token"], options={"verify_signature": False})["recap"] == GRANT


async def test_without_a_recap_there_is_no_claim(client: httpx.AsyncClient) -> None:
    signed = await written(client, new_wallet(), statement="Plain sign-in.", resources=["https://x.example/terms"])
    tokens = (await client.post("/auth/verify", json=signed)).json()
    assert "recap" not in jwt.decode(tokens["access_token"], options={"verify_signature": False})
    introspected = (await client.post("/auth/introspect", data={"token": tokens["access_token"]})).json()
    assert "recap" not in introspected


OTHER: dict[str, Any] = {"att": {"https://api.example.com/notes": {"crud/delete": [{}]}}}


@pytest.mark.parametrize(
    ("resources", "statement"),
    [
        pytest.param([encoded(GRANT), encoded(OTHER)], statement_for(OTHER), id="two recaps"),
        pytest.param([encoded(GRANT), "https://api.example.com/terms"], statement_for(GRANT), id="recap not last"),
        pytest.param([encoded(GRANT)], statement_for(OTHER), id="statement of another recap"),
        pytest.param([encoded(GRANT)], "Sign in to the notes app.", id="statement without the recap's"),
        pytest.param(["urn:recap:eyJhdHQiOnt9fQ=="], statement_for(GRANT), id="padded base64"),
        pytest.param(["urn:recap:eyJh!dHQ"], statement_for(GRANT), id="not base64"),
        pytest.param(["urn:recap:" + base64.urlsafe_b64encode(b"[1,2]").decode().rstrip("=")], "x", id="not an object"),
    ],
)
async def test_a_bad_recap_is_refused_and_spends_nothing(
    client: httpx.AsyncClient, resources: list[str], statement: str
) -> None:
    wallet = new_wallet()
    nonce = (await client.post("/auth/nonce", json={})).json()["nonce"]
    refused = await client.post(
        "/auth/verify", json=await written(client, wallet, nonce=nonce, statement=statement, resources=resources)
    )
    assert_error(refused, 400, "invalid_message")
    assert "recap" in refused.json()["detail"].lower()
    assert (await client.post("/auth/verify", json=await written(client, wallet, nonce=nonce))).status_code == 200


async def test_a_recap_too_large_for_a_token_is_refused(client: httpx.AsyncClient) -> None:
    # caveats are not in the statement: a message well under 8 KiB could carry a claim no token check accepts
    methods = {
        f"request/eth_method{index}": [{"chains": [f"eip155:{chain}" for chain in range(16)]}] for index in range(11)
    }
    large = {"att": {"https://api.example.com/rpc": methods}}
    wallet = new_wallet()
    nonce = (await client.post("/auth/nonce", json={})).json()["nonce"]
    body = await written(client, wallet, nonce=nonce, statement=statement_for(large), resources=[encoded(large)])
    assert len(body["message"]) < 8192
    refused = await client.post("/auth/verify", json=body)
    assert_error(refused, 400, "invalid_message")
    assert "too large" in refused.json()["detail"]
    assert (await client.post("/auth/verify", json=await written(client, wallet, nonce=nonce))).status_code == 200


async def test_a_challenge_is_never_issued_with_a_bad_recap(client: httpx.AsyncClient) -> None:
    body = {"address": new_wallet().address, "resources": ["urn:recap:eyJhdHQiOnt9fQ"]}
    assert_error(await client.post("/auth/challenge", json=body), 422, "invalid_request")


async def test_the_messages_of_one_sign_in_grant_one_recap(client: httpx.AsyncClient) -> None:
    wallet = new_wallet()
    nonce = (await client.post("/auth/nonce", json={})).json()["nonce"]
    first = await written(client, wallet, nonce=nonce)
    other = await written(
        client, wallet, nonce=nonce, chain_id=8453, statement=statement_for(OTHER), resources=[encoded(OTHER)]
    )
    assert_error(await client.post("/auth/verify", json={"messages": [first, other]}), 400, "invalid_batch")
    same = await written(client, wallet, nonce=nonce, chain_id=8453)
    response = await client.post("/auth/verify", json={"messages": [first, same]})
    assert response.status_code == 200, response.text
    assert jwt.decode(response.json()["access_token"], options={"verify_signature": False})["recap"] == GRANT


async def test_the_largest_session_still_mints_tokens_every_check_accepts(open_client: OpenClient) -> None:
    chains = list(range(1, 17))
    caveat = [{"note": "x" * 1800}]  # the claim just under its ceiling
    largest = {"att": {"https://api.example.com/notes": {"crud/read": caveat}}}
    async with open_client(chain_ids=chains) as client:
        wallet = new_wallet()
        nonce = (await client.post("/auth/nonce", json={})).json()["nonce"]
        first = await written(
            client, wallet, nonce=nonce, statement=statement_for(largest), resources=[encoded(largest)]
        )
        texts = [first["message"].replace("\nChain ID: 1\n", f"\nChain ID: {chain}\n") for chain in chains]
        entries = [{"message": text, "signature": sign(wallet, text)} for text in texts]  # (siwe builds slowly)
        response = await client.post("/auth/verify", json={"messages": entries})
        assert response.status_code == 200, response.text
        tokens = response.json()
        bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
        me = await client.get("/auth/me", headers=bearer)
        assert me.status_code == 200, me.text
        assert (len(me.json()["accounts"]), me.json()["recap"]) == (16, largest)
        assert (await client.get("/auth/forward", headers=bearer)).status_code == 200
