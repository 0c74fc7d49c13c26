"""The address-only form of /auth/verify (`{"address", "signature"}`) when some of the address's outstanding
challenges no longer pass the checks that need no store: after AUTH_DOMAINS or AUTH_CHAIN_IDS changed, or
when a replica whose clock runs ahead issued one. Those are skipped; the others still sign in.

Real signatures, on each store in turn, through the ASGI app. A challenge of the old settings is issued by an
app with those settings, on the same store as the app that verifies it."""

import time
from itertools import permutations
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.domain.challenges import issue_challenge
from app.policies import Policies
from app.stores.base import Store
from tests.support.app import GENEROUS_LIMITS, app_client, get_challenge
from tests.support.wallets import new_wallet, sign

SERVED: dict[str, Any] = {"domains": ["localhost:8000"], "chain_ids": [1]}  # the settings now
FORMERLY_SERVED: dict[str, Any] = {"domains": ["localhost:8000", "old.example"], "chain_ids": [1, 137]}
CHALLENGE_FIELDS: dict[str, dict[str, Any]] = {
    "domain_not_allowed": {"domain": "old.example"},
    "chain_not_allowed": {"chain_id": 137},
}
REASONS = ["domain_not_allowed", "chain_not_allowed", "not_yet_valid"]


async def unusable_challenge(store: Store, wallet: LocalAccount, reason: str) -> str:
    """The message of a new outstanding challenge for `wallet` in `store` that an app with SERVED settings
    refuses for `reason`."""
    if reason == "not_yet_valid":  # issued by a replica whose clock runs an hour ahead
        issued = issue_challenge(
            Policies.from_settings(Settings(**SERVED)).sign_in,
            address=wallet.address,
            now=time.time() + 3600,
            client="replica",
        )
        await store.save_challenge(issued.challenge)
        return issued.challenge.message
    async with app_client(Settings(**GENEROUS_LIMITS, **FORMERLY_SERVED), store=store) as client:
        message: str = (await get_challenge(client, wallet, **CHALLENGE_FIELDS[reason]))["message"]
        return message


async def verify(client: httpx.AsyncClient, wallet: LocalAccount, signature: str) -> httpx.Response:
    return await client.post("/auth/verify", json={"address": wallet.address, "signature": signature})


def assert_error(response: httpx.Response, status: int, code: str) -> None:
    assert (response.status_code, response.json()["error"]) == (status, code), response.text


@pytest.mark.parametrize("reason", REASONS)
@pytest.mark.parametrize("unusable_is", ["newer", "older"])
async def test_an_unusable_challenge_does_not_spoil_the_others(
    store: Store, wallet: LocalAccount, reason: str, unusable_is: str
) -> None:
    async with app_client(Settings(**GENEROUS_LIMITS, **SERVED), store=store) as client:
        if unusable_is == "older":
            await unusable_challenge(store, wallet, reason)
        mine = (await get_challenge(client, wallet))["message"]
        if unusable_is == "newer":
            await unusable_challenge(store, wallet, reason)
        response = await verify(client, wallet, sign(wallet, mine))
        assert response.status_code == 200, response.text
        tokens = response.json()
        assert (tokens["address"], tokens["chain_id"]) == (wallet.address, 1)
        me = await client.get("/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert me.json()["address"] == wallet.address
        # spent: only the unusable challenge is left, and its refusal is the answer
        assert_error(await verify(client, wallet, sign(wallet, mine)), 401, reason)


@pytest.mark.parametrize("reason", REASONS)
async def test_a_signature_of_the_unusable_challenge_is_refused(
    store: Store, wallet: LocalAccount, reason: str
) -> None:
    """Skipped means never used: signing the message the settings refuse gets nothing, and costs the usable
    challenge nothing."""
    async with app_client(Settings(**GENEROUS_LIMITS, **SERVED), store=store) as client:
        mine = (await get_challenge(client, wallet))["message"]
        unusable = await unusable_challenge(store, wallet, reason)
        assert_error(await verify(client, wallet, sign(wallet, unusable)), 401, "invalid_signature")
        assert (await verify(client, wallet, sign(wallet, mine))).status_code == 200


@pytest.mark.parametrize(("older", "newer"), list(permutations(REASONS, 2)))
async def test_with_no_usable_challenge_the_newest_ones_refusal_is_the_answer(
    store: Store, wallet: LocalAccount, older: str, newer: str
) -> None:
    async with app_client(Settings(**GENEROUS_LIMITS, **SERVED), store=store) as client:
        await unusable_challenge(store, wallet, older)
        newest = await unusable_challenge(store, wallet, newer)
        assert_error(await verify(client, wallet, sign(wallet, newest)), 401, newer)
        assert_error(await verify(client, wallet, sign(new_wallet(), newest)), 401, newer)


@pytest.mark.parametrize("reason", REASONS)
async def test_forged_requests_spend_no_budget_and_the_budget_is_checked_first(
    store: Store, wallet: LocalAccount, reason: str
) -> None:
    """AUTH_RATE_LIMIT_ADDRESS=1/minute: forged signatures, however many, leave the one sign-in; once it is
    spent, the answer is 429 before any challenge is looked at, even one the settings refuse."""
    settings = Settings(**{**GENEROUS_LIMITS, "rate_limit_address": "1/minute"}, **SERVED)
    async with app_client(settings, store=store) as client:
        await unusable_challenge(store, wallet, reason)
        mine = (await get_challenge(client, wallet))["message"]
        for _ in range(3):
            assert_error(await verify(client, wallet, sign(new_wallet(), mine)), 401, "invalid_signature")
        assert (await verify(client, wallet, sign(wallet, mine))).status_code == 200
        assert_error(await verify(client, wallet, sign(wallet, mine)), 429, "rate_limited")
