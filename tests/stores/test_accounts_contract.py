"""Open nonces, consuming without a session, and a session's accounts: the same contract on the memory store,
a real Redis server and a Redis Cluster."""

import asyncio
import dataclasses
import time

from app.domain.challenges import new_open_nonce
from app.stores.base import OPEN_NONCES_PER_CLIENT, Challenge, Session, Store
from tests.stores.test_store_contract import REFRESH, a_challenge, a_session

ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def an_open_nonce(client: str = "198.51.100.1") -> Challenge:
    now = time.time()
    return Challenge(new_open_nonce(client), "", 0, "example.com", now, now + 60, client, "")


def with_accounts(*chains: int) -> Session:
    session = a_session(ADDRESS)
    return dataclasses.replace(session, accounts=",".join(f"eip155:{chain}:{ADDRESS}" for chain in chains))


async def test_an_open_nonce_is_found_for_any_address_and_redeemed_once(store: Store) -> None:
    nonce = an_open_nonce()
    await store.save_challenge(nonce)
    for address in (ADDRESS, "0x" + "1" * 40):
        assert await store.find_challenge(address, nonce.nonce) == nonce
    assert await store.outstanding_challenges(ADDRESS) == []  # not one of an address's challenges
    assert await store.redeem_challenge(nonce.nonce, a_session(ADDRESS), REFRESH)
    assert await store.find_challenge(ADDRESS, nonce.nonce) is None
    assert not await store.redeem_challenge(nonce.nonce, a_session("0x" + "1" * 40), REFRESH)


async def test_a_client_holds_a_bounded_number_of_open_nonces_and_drops_its_oldest(store: Store) -> None:
    other = an_open_nonce(client="203.0.113.9")
    await store.save_challenge(other)
    nonces = [an_open_nonce() for _ in range(OPEN_NONCES_PER_CLIENT + 1)]
    for nonce in nonces:
        await store.save_challenge(nonce)
    assert await store.find_challenge(ADDRESS, nonces[0].nonce) is None
    assert [await store.find_challenge(ADDRESS, nonce.nonce) for nonce in nonces[1:]] == nonces[1:]
    assert await store.find_challenge(ADDRESS, other.nonce) == other


async def test_consuming_a_nonce_succeeds_once_among_concurrent_consumers(store: Store) -> None:
    for challenge in (a_challenge(ADDRESS), an_open_nonce()):
        await store.save_challenge(challenge)
        consumed = await asyncio.gather(*(store.consume_challenge(ADDRESS, challenge.nonce) for _ in range(10)))
        assert sorted(consumed) == [False] * 9 + [True]
        assert await store.find_challenge(ADDRESS, challenge.nonce) is None
        assert not await store.redeem_challenge(challenge.nonce, a_session(ADDRESS), REFRESH)


async def test_accounts_are_stored_with_the_session_and_changed_atomically(store: Store) -> None:
    session = with_accounts(1, 8453)
    assert await store.redeem_challenge(await saved_nonce(store), session, REFRESH)
    found = await store.find_session(session.session_id)
    assert found is not None
    assert found.account_ids == (f"eip155:1:{ADDRESS}", f"eip155:8453:{ADDRESS}")
    added = [f"eip155:{chain}:{ADDRESS}" for chain in (10, 137, 42161, 324)]
    changed = await asyncio.gather(*(store.change_accounts(session.session_id, add=(a,)) for a in added))
    assert all(change is not None for change in changed)
    found = await store.find_session(session.session_id)
    assert found is not None
    assert set(found.account_ids) == {*session.account_ids, *added}
    removed = await store.change_accounts(session.session_id, remove=f"eip155:1:{ADDRESS}")
    assert removed is not None
    assert f"eip155:1:{ADDRESS}" not in removed.account_ids
    assert removed.chain_id == 8453  # the first account's chain now: never one the session no longer has
    found = await store.find_session(session.session_id)
    assert found is not None
    assert (found.chain_id, found.account_ids) == (8453, removed.account_ids)


async def test_a_session_keeps_its_last_account_and_a_revoked_one_changes_no_more(store: Store) -> None:
    session = with_accounts(1)
    assert await store.redeem_challenge(await saved_nonce(store), session, REFRESH)
    kept = await store.change_accounts(session.session_id, remove=f"eip155:1:{ADDRESS}")
    assert kept is not None
    assert kept.account_ids == (f"eip155:1:{ADDRESS}",)
    assert await store.revoke_session(session.session_id, keep_revoked=60)
    assert await store.change_accounts(session.session_id, add=(f"eip155:10:{ADDRESS}",)) is None
    assert await store.change_accounts("no-such-session", add=(f"eip155:10:{ADDRESS}",)) is None


async def test_a_session_stored_without_accounts_has_its_one(store: Store) -> None:
    session = a_session(ADDRESS)  # accounts "": as sessions stored before they had several
    assert await store.redeem_challenge(await saved_nonce(store), session, REFRESH)
    found = await store.find_session(session.session_id)
    assert found is not None
    assert found.account_ids == (f"eip155:137:{ADDRESS}",)
    grown = await store.change_accounts(session.session_id, add=(f"eip155:1:{ADDRESS}",))
    assert grown is not None
    assert grown.account_ids == (f"eip155:137:{ADDRESS}", f"eip155:1:{ADDRESS}")


async def saved_nonce(store: Store) -> str:
    challenge = a_challenge(ADDRESS)
    await store.save_challenge(challenge)
    return challenge.nonce
