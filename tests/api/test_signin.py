"""The sign-in flow over HTTP, on the memory store and on a real Redis: challenge -> sign -> verify -> me."""

import asyncio
import time
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import jwt
import pytest
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage as ClientMessage

from app.config import Settings
from app.domain.challenges import rfc3339
from app.stores.base import OUTSTANDING_CHALLENGES, Challenge, Store
from tests.support.app import GENEROUS_LIMITS, app_client, get_challenge, signed_challenge, signed_in
from tests.support.wallets import new_wallet, sign

OpenClient = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def client_message(wallet: LocalAccount, nonce: str, **fields: Any) -> str:
    """A message a frontend built itself around an issued nonce, with the siwe library."""
    now = time.time()
    values: dict[str, Any] = {
        "domain": "localhost:8000",
        "address": wallet.address,
        "uri": "http://localhost:8000/app",
        "version": "1",
        "chain_id": 1,
        "nonce": nonce,
        "issued_at": rfc3339(now),
        "statement": "Welcome to the example app.",
    }
    values.update(fields)
    return ClientMessage(**{name: value for name, value in values.items() if value is not None}).prepare_message()


async def verify(client: httpx.AsyncClient, message: str, signature: str) -> httpx.Response:
    return await client.post("/auth/verify", json={"message": message, "signature": signature})


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text
    assert set(response.json()) == {"error", "detail"}


async def test_challenge_sign_verify_me(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    challenge = await get_challenge(client, wallet)
    response = await verify(client, challenge["message"], sign(wallet, challenge["message"]))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    tokens = response.json()
    assert tokens["token_type"] == "Bearer"
    assert (tokens["address"], tokens["chain_id"]) == (wallet.address, 1)
    assert tokens["expires_in"] == 900
    assert tokens["refresh_expires_in"] == 86400  # the idle end (AUTH_SESSION_IDLE_TTL), before the absolute one
    me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    assert me.status_code == 200, me.text
    body = me.json()
    assert (body["address"], body["chain_id"]) == (wallet.address, 1)
    claims = jwt.decode(tokens["access_token"], options={"verify_signature": False})
    assert body["session_id"] == claims["sid"]
    assert body["expires_at"] == rfc3339(claims["exp"])
    assert body["domain"] == claims["domain"] == "localhost:8000"


async def test_a_lower_case_address_comes_back_eip55(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    challenge = await get_challenge(client, wallet, address=wallet.address.lower())
    assert challenge["address"] == wallet.address
    assert f"\n{wallet.address}\n" in challenge["message"]
    tokens = (await verify(client, challenge["message"], sign(wallet, challenge["message"]))).json()
    assert tokens["address"] == wallet.address
    assert jwt.decode(tokens["access_token"], options={"verify_signature": False})["sub"] == wallet.address


async def test_a_replay_is_refused(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    body = await signed_challenge(client, wallet)
    assert (await client.post("/auth/verify", json=body)).status_code == 200
    assert_error(await client.post("/auth/verify", json=body), 401, "invalid_nonce")


async def test_a_replay_with_another_encoding_of_the_signature_is_refused(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    body = await signed_challenge(client, wallet)
    raw = bytes.fromhex(body["signature"][2:])
    s = int.from_bytes(raw[32:64], "big")
    other_forms = [
        raw[:64] + bytes((raw[64] - 27,)),  # v as 0/1
        raw[:32] + (SECP256K1_N - s).to_bytes(32, "big") + bytes((((raw[64] - 27) ^ 1) + 27,)),  # high-s twin
    ]
    assert (await client.post("/auth/verify", json=body)).status_code == 200
    for form in other_forms:
        response = await verify(client, body["message"], "0x" + form.hex())
        assert_error(response, 401, "invalid_nonce")


async def test_other_encodings_of_a_signature_are_accepted_once(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    body = await signed_challenge(client, wallet)
    raw = bytes.fromhex(body["signature"][2:])
    response = await verify(client, body["message"], "0x" + (raw[:64] + bytes((raw[64] - 27,))).hex())
    assert response.status_code == 200, response.text


async def test_twenty_concurrent_verifies_of_one_message_give_exactly_one_token(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    body = await signed_challenge(client, wallet)
    responses = await asyncio.gather(*(client.post("/auth/verify", json=body) for _ in range(20)))
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 19
    assert {response.json().get("error") for response in responses if response.status_code == 401} == {"invalid_nonce"}


class LookupBarrier:
    """A real store whose nonce look-up waits until `parties` look-ups have happened: every concurrent
    sign-in then passes the look-up and the signature check, and only the atomic redemption can stop all
    but one. Nothing is faked: each call reaches the real store."""

    def __init__(self, store: Store, parties: int) -> None:
        self._store = store
        self._barrier = asyncio.Barrier(parties)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    async def find_challenge(self, address: str, nonce: str) -> Challenge | None:
        found = await self._store.find_challenge(address, nonce)
        await self._barrier.wait()
        return found


async def test_twenty_verifies_that_all_pass_the_look_up_still_give_exactly_one_token(
    store: Store, wallet: LocalAccount
) -> None:
    async with app_client(Settings(**GENEROUS_LIMITS), store=LookupBarrier(store, parties=20)) as client:
        body = await signed_challenge(client, wallet)
        responses = await asyncio.gather(*(client.post("/auth/verify", json=body) for _ in range(20)))
    assert sorted(response.status_code for response in responses) == [200] + [401] * 19
    losers = [response.json() for response in responses if response.status_code == 401]
    assert all(
        loser == {"error": "invalid_nonce", "detail": "the nonce was used by a concurrent sign-in"} for loser in losers
    )


async def test_a_bad_signature_leaves_the_nonce_usable(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    body = await signed_challenge(client, wallet)
    forged = sign(new_wallet(), body["message"])
    assert_error(await verify(client, body["message"], forged), 401, "invalid_signature")
    for junk in ["0x", "0x00", "0x" + "00" * 65, "0x" + "ab" * 64, "0x" + "ab" * 66]:
        assert_error(await verify(client, body["message"], junk), 401, "invalid_signature")
    assert (await client.post("/auth/verify", json=body)).status_code == 200


async def test_a_tampered_message_is_not_what_was_signed(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    body = await signed_challenge(client, wallet)
    tampered = body["message"].replace("Sign in with Ethereum.", "Sign in with Ethereum!")
    assert_error(await verify(client, tampered, body["signature"]), 401, "invalid_signature")
    assert (await client.post("/auth/verify", json=body)).status_code == 200


async def test_a_message_built_by_the_client_around_an_issued_nonce(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    message = client_message(wallet, nonce, resources=["https://example.com/terms"], request_id="req-1")
    response = await verify(client, message, sign(wallet, message))
    assert response.status_code == 200, response.text


async def test_past_expiration_time(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    now = time.time()
    message = client_message(wallet, nonce, issued_at=rfc3339(now - 600), expiration_time=rfc3339(now - 61))
    assert_error(await verify(client, message, sign(wallet, message)), 401, "expired_message")


async def test_future_not_before(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    message = client_message(wallet, nonce, not_before=rfc3339(time.time() + 120))
    assert_error(await verify(client, message, sign(wallet, message)), 401, "not_yet_valid")


async def test_issued_in_the_future(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    message = client_message(wallet, nonce, issued_at=rfc3339(time.time() + 120))
    assert_error(await verify(client, message, sign(wallet, message)), 401, "not_yet_valid")


async def test_a_foreign_domain(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    """A phishing site relays a nonce we issued inside a message for its own domain."""
    nonce = (await get_challenge(client, wallet))["nonce"]
    for domain in ["evil.example", "localhost:8001", "LOCALHOST:8000", "evil.example@localhost:8000"]:
        message = client_message(wallet, nonce, domain=domain)
        assert_error(await verify(client, message, sign(wallet, message)), 401, "domain_not_allowed")


async def test_a_scheme_other_than_the_origins(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    message = client_message(wallet, nonce, scheme="ftp")
    assert_error(await verify(client, message, sign(wallet, message)), 401, "domain_not_allowed")
    message = client_message(wallet, nonce, scheme="http")  # localhost is a development origin
    assert (await verify(client, message, sign(wallet, message))).status_code == 200


async def test_an_unlisted_chain(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    message = client_message(wallet, nonce, chain_id=5)
    assert_error(await verify(client, message, sign(wallet, message)), 401, "chain_not_allowed")


async def test_the_nonce_is_bound_to_address_chain_and_domain(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(domains=["localhost:8000", "app.example"], chain_ids=[1, 137]) as client:
        nonce = (await get_challenge(client, wallet))["nonce"]
        other = new_wallet()
        for candidate, signer in [
            (client_message(other, nonce), other),
            (client_message(wallet, nonce, chain_id=137), wallet),
            (client_message(wallet, nonce, domain="app.example", uri="https://app.example/app"), wallet),
        ]:
            assert_error(await verify(client, candidate, sign(signer, candidate)), 401, "invalid_nonce")
        message = client_message(wallet, nonce)
        assert (await verify(client, message, sign(wallet, message))).status_code == 200


async def test_a_nonce_never_issued(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    message = client_message(wallet, "madeupbytheclient1234")
    assert_error(await verify(client, message, sign(wallet, message)), 401, "invalid_nonce")


@pytest.mark.parametrize(
    ("change", "label"),
    [
        (lambda text: text.replace("\n", "\r\n"), "CRLF"),
        (lambda text: text + "\n", "trailing newline"),
        (lambda text: text.replace("Chain ID: 1", "Chain ID: 01"), "leading zero"),
        (lambda _: "x" * 9000, "over 8 KiB"),
    ],
)
async def test_a_non_canonical_message_is_400(
    client: httpx.AsyncClient, wallet: LocalAccount, change: Callable[[str], str], label: str
) -> None:
    body = await signed_challenge(client, wallet)
    changed = change(body["message"])
    assert_error(await verify(client, changed, sign(wallet, changed)), 400, "invalid_message")
    assert (await client.post("/auth/verify", json=body)).status_code == 200, label


async def test_verify_with_the_address_only(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    """A frontend that only calls personal_sign on the challenge's message sends the address back."""
    message = (await get_challenge(client, wallet, address=wallet.address.lower()))["message"]
    signature = sign(wallet, message)
    forged = sign(new_wallet(), message)
    response = await client.post("/auth/verify", json={"address": wallet.address.lower(), "signature": forged})
    assert_error(response, 401, "invalid_signature")
    response = await client.post(
        "/auth/verify", json={"address": wallet.address.upper().replace("0X", "0x"), "signature": signature}
    )
    assert response.status_code == 200, response.text
    assert response.json()["address"] == wallet.address
    response = await client.post("/auth/verify", json={"address": wallet.address, "signature": signature})
    assert_error(response, 401, "invalid_nonce")


async def test_someone_else_asking_for_a_challenge_does_not_spoil_the_address_form(
    client: httpx.AsyncClient, wallet: LocalAccount
) -> None:
    """Anyone may ask for a challenge for any address; the wallet's own challenge must still work."""
    mine = (await get_challenge(client, wallet))["message"]
    for _ in range(OUTSTANDING_CHALLENGES - 1):
        await get_challenge(client, wallet)  # another party, for the same address
    response = await client.post("/auth/verify", json={"address": wallet.address, "signature": sign(wallet, mine)})
    assert response.status_code == 200, response.text


async def test_an_address_holds_only_its_last_few_challenges(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    """A flood of challenges for one address cannot grow the store: the oldest are dropped."""
    oldest = (await get_challenge(client, wallet))["message"]
    for _ in range(OUTSTANDING_CHALLENGES):
        await get_challenge(client, wallet)
    response = await client.post("/auth/verify", json={"address": wallet.address, "signature": sign(wallet, oldest)})
    assert_error(response, 401, "invalid_signature")
    assert_error(await verify(client, oldest, sign(wallet, oldest)), 401, "invalid_nonce")


async def test_sign_in_works_without_clock_skew_tolerance(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client(clock_skew=0) as client:
        for _ in range(5):
            await signed_in(client, wallet)


async def test_a_message_issued_before_its_nonce(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    nonce = (await get_challenge(client, wallet))["nonce"]
    message = client_message(wallet, nonce, issued_at=rfc3339(time.time() - 3600))
    assert_error(await verify(client, message, sign(wallet, message)), 401, "invalid_nonce")


async def test_me_refuses_what_is_not_a_valid_access_token(client: httpx.AsyncClient, wallet: LocalAccount) -> None:
    tokens = await signed_in(client, wallet)
    response = await client.get("/auth/me")
    assert_error(response, 401, "invalid_token")
    assert response.headers["www-authenticate"] == "Bearer"
    for header in [
        f"Bearer {tokens['access_token'][:-4]}AAAA",
        f"Bearer {tokens['refresh_token']}",
        f"Basic {tokens['access_token']}",
        "Bearer",
        "Bearer ",
    ]:
        response = await client.get("/auth/me", headers={"Authorization": header})
        assert_error(response, 401, "invalid_token")
        assert response.headers["www-authenticate"].startswith("Bearer")
    lower = await client.get("/auth/me", headers={"Authorization": f"bearer {tokens['access_token']}"})
    assert lower.status_code == 200


async def test_a_token_from_another_deployment_is_refused(open_client: OpenClient, wallet: LocalAccount) -> None:
    async with open_client() as first, open_client() as second:
        tokens = await signed_in(first, wallet)
        response = await second.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert_error(response, 401, "invalid_token")
