"""POST /auth/challenge: what it issues, and what it refuses."""

import json
import string
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ReferenceMessage

from app.domain.messages import parse_message
from tests.support.app import get_challenge

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
VECTORS = Path(__file__).parents[1] / "conformance" / "siwe-ts"


def seconds(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


async def test_the_defaults(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    before = time.time()
    body = await get_challenge(client, wallet)
    assert set(body) == {"message", "nonce", "address", "chain_id", "domain", "issued_at", "expiration_time"}
    assert (body["address"], body["chain_id"], body["domain"]) == (wallet.address, 1, "localhost:8000")
    assert before - 1 <= seconds(body["issued_at"]) <= time.time() + 1
    assert seconds(body["expiration_time"]) - seconds(body["issued_at"]) == 300
    message = parse_message(body["message"])
    assert (message.domain, message.address, message.chain_id, message.nonce) == (
        "localhost:8000",
        wallet.address,
        1,
        body["nonce"],
    )
    assert (message.uri, message.statement) == ("http://localhost:8000", "Sign in with Ethereum.")
    assert (message.issued_at, message.expiration_time) == (body["issued_at"], body["expiration_time"])


async def test_the_message_is_valid_for_the_reference_parser(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(uris=["https://app.example"]) as client:
        body = await get_challenge(
            client,
            wallet,
            uri="https://app.example/login?next=%2Fhome#top",
            statement="I accept the Terms of Service: https://app.example/tos (v2, 'final')",
            resources=["ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/", "urn:x:y"],
        )
    reference = ReferenceMessage.from_message(body["message"])
    assert reference.warnings == []
    assert reference.prepare_message() == body["message"]
    assert reference.nonce == body["nonce"]
    assert reference.resources == ["ipfs://bafybeiemxf5abjwjbikoz4mc3a3dla6ual3jsgpdr4cjr3oz3evfyavhwq/", "urn:x:y"]


async def test_nonces_are_long_alphanumeric_and_unique(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonces = {(await get_challenge(client, wallet))["nonce"] for _ in range(200)}
    assert len(nonces) == 200
    for nonce in nonces:
        assert len(nonce) >= 16
        assert set(nonce) <= set(string.ascii_letters + string.digits)


async def test_a_listed_domain_and_chain(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(domains=["app.example", "localhost:3000"], chain_ids=[137, 1]) as client:
        body = await get_challenge(client, wallet)
        assert (body["domain"], body["chain_id"]) == ("app.example", 137)
        assert parse_message(body["message"]).uri == "https://app.example"
        body = await get_challenge(client, wallet, domain="localhost:3000", chain_id=1)
        assert (body["domain"], body["chain_id"]) == ("localhost:3000", 1)
        assert parse_message(body["message"]).uri == "http://localhost:3000"


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({"domain": "evil.example"}, 400, "domain_not_allowed"),
        ({"domain": "LOCALHOST:8000"}, 400, "domain_not_allowed"),
        ({"chain_id": 5}, 400, "chain_not_allowed"),
        ({"chain_id": 0}, 422, "invalid_request"),
        ({"chain_id": -1}, 422, "invalid_request"),
        ({"chain_id": 2**53}, 422, "invalid_request"),
        ({"chain_id": "1x"}, 422, "invalid_request"),
        ({"chain_id": 1.5}, 422, "invalid_request"),
        ({"chain_id": True}, 422, "invalid_request"),
        ({"chain_id": "1"}, 422, "invalid_request"),
        ({"address": "0xE5A12547fe4E872D192E3eCecb76F2Ce1aeA4946"}, 422, "invalid_request"),
        ({"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe"}, 422, "invalid_request"),
        ({"address": "0X5AAEB6053F3E94C9B9A09F33669435E7EF1BEAED"}, 422, "invalid_request"),
        ({"address": "vitalik.eth"}, 422, "invalid_request"),
        ({"address": None}, 422, "invalid_request"),
        ({"uri": "/relative"}, 422, "invalid_request"),
        ({"uri": "https://a b"}, 422, "invalid_request"),
        ({"uri": ""}, 422, "invalid_request"),
        ({"statement": "line\nbreak"}, 422, "invalid_request"),
        ({"statement": "100% sure"}, 422, "invalid_request"),
        ({"statement": "bidi \u202e"}, 422, "invalid_request"),
        ({"resources": ["not a uri"]}, 422, "invalid_request"),
        ({"resources": "https://a.b"}, 422, "invalid_request"),
        ({"resources": ["https://a.b"] * 33}, 422, "invalid_request"),
        ({"resources": ["https://a.b/" + "x" * 1800] * 5}, 422, "invalid_request"),  # the message would pass 8 KiB
        ({"chainId": 1}, 422, "invalid_request"),  # camelCase: an unknown field, not silently ignored
    ],
)
async def test_refused(
    client: httpx.AsyncClient, wallet: LocalAccount, fields: dict[str, Any], status: int, code: str
) -> None:
    body = {"address": wallet.address, **fields}
    response = await client.post("/auth/challenge", json={k: v for k, v in body.items() if v is not None})
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert response.json()["detail"]


OBJECT_FIELDS = {
    "address": "address",
    "uri": "uri",
    "chainId": "chain_id",
    "resources": "resources",
    "domain": "domain",
}
NEGATIVE_OBJECTS = json.loads((VECTORS / "parsing_negative_objects.json").read_text())


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(case, id=name)
        for name, case in NEGATIVE_OBJECTS.items()
        if name.split()[0] in {"address", "uri", "not", "first", "second", "domain"}
    ],
)
async def test_the_negative_object_vectors_are_refused_as_challenge_requests(
    client: httpx.AsyncClient, case: dict[str, Any]
) -> None:
    """The conformance cases whose defect is in a field a client may set when asking for a challenge."""
    body = {ours: case[theirs] for theirs, ours in OBJECT_FIELDS.items() if theirs in case}
    response = await client.post("/auth/challenge", json=body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"] in {"invalid_request", "domain_not_allowed"}


async def test_challenge_responses_are_not_cached(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    response = await client.post("/auth/challenge", json={"address": wallet.address})
    assert response.headers["cache-control"] == "no-store"
