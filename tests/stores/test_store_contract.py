"""One contract, every store: the same tests run on the memory store and on a real Redis server."""

import asyncio
import time

from app.domain.tokens import new_id
from app.stores.base import OUTSTANDING_CHALLENGES, Challenge, Session, Store


def a_challenge(
    address: str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", *, client: str = "198.51.100.1", ttl: float = 60
) -> Challenge:
    nonce = new_id().replace("-", "a").replace("_", "b")
    now = time.time()
    return Challenge(nonce, address, 1, "example.com", now, now + ttl, client, f"message for {nonce}")


def a_session(address: str = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed") -> Session:
    now = int(time.time())
    return Session(new_id(), address, 137, now, now + 3600)


REFRESH = "ab" * 32


async def test_a_saved_challenge_is_found_by_address_and_nonce_and_among_the_outstanding_ones(store: Store) -> None:
    challenge = a_challenge()
    await store.save_challenge(challenge)
    assert await store.find_challenge(challenge.address, challenge.nonce) == challenge
    assert await store.outstanding_challenges(challenge.address) == [challenge]
    assert await store.find_challenge(challenge.address, "unknownnonce1234") is None
    assert await store.find_challenge("0x" + "1" * 40, challenge.nonce) is None  # issued to another address
    assert await store.outstanding_challenges("0x" + "0" * 40) == []


async def test_looking_a_challenge_up_consumes_nothing(store: Store) -> None:
    challenge = a_challenge()
    await store.save_challenge(challenge)
    for _ in range(3):
        assert await store.find_challenge(challenge.address, challenge.nonce) == challenge
    assert await store.redeem_challenge(challenge.nonce, a_session(), REFRESH)


async def test_an_address_holds_at_most_a_few_challenges_and_the_oldest_go_first(store: Store) -> None:
    challenges = [a_challenge() for _ in range(OUTSTANDING_CHALLENGES + 2)]
    for challenge in challenges:
        await store.save_challenge(challenge)
    assert await store.outstanding_challenges(challenges[0].address) == challenges[::-1][:OUTSTANDING_CHALLENGES]
    for dropped in challenges[:2]:
        assert await store.find_challenge(dropped.address, dropped.nonce) is None
        assert await store.redeem_challenge(dropped.nonce, a_session(), REFRESH) is False
    kept = challenges[2]
    assert await store.find_challenge(kept.address, kept.nonce) == kept
    other = a_challenge(address="0x" + "1" * 40)
    await store.save_challenge(other)  # other addresses are not affected
    assert await store.outstanding_challenges(other.address) == [other]
    assert len(await store.outstanding_challenges(kept.address)) == OUTSTANDING_CHALLENGES


async def test_beyond_the_cap_the_client_holding_the_most_gives_way(store: Store) -> None:
    owner = a_challenge(client="198.51.100.1")
    await store.save_challenge(owner)
    floods = {f"203.0.113.{index}": [] for index in range(OUTSTANDING_CHALLENGES - 1)}
    for _ in range(4):  # fewer flooding clients than the cap, each asking again and again
        for client, saved in floods.items():
            saved.append(a_challenge(client=client))
            await store.save_challenge(saved[-1])
    outstanding = await store.outstanding_challenges(owner.address)
    assert len(outstanding) == OUTSTANDING_CHALLENGES
    assert owner in outstanding
    assert all(saved[-1] in outstanding for saved in floods.values())  # each keeps its newest
    newcomer = a_challenge(client="192.0.2.1")  # a new client: every client now holds one, the oldest goes
    await store.save_challenge(newcomer)
    outstanding = await store.outstanding_challenges(owner.address)
    assert newcomer in outstanding
    assert owner not in outstanding


async def test_redeeming_consumes_the_nonce_once_and_opens_the_session(store: Store) -> None:
    challenge, session = a_challenge(), a_session()
    await store.save_challenge(challenge)
    assert await store.redeem_challenge(challenge.nonce, session, REFRESH) is True
    assert await store.find_challenge(challenge.address, challenge.nonce) is None
    assert await store.outstanding_challenges(challenge.address) == []
    assert await store.find_session(session.session_id) == session
    again = a_session()
    assert await store.redeem_challenge(challenge.nonce, again, REFRESH) is False
    assert await store.find_session(again.session_id) is None


async def test_redeeming_one_challenge_leaves_the_others_recent(store: Store) -> None:
    older, newer = a_challenge(), a_challenge()
    await store.save_challenge(older)
    await store.save_challenge(newer)
    assert await store.redeem_challenge(older.nonce, a_session(), REFRESH)
    assert await store.outstanding_challenges(older.address) == [newer]


async def test_an_unknown_nonce_cannot_be_redeemed(store: Store) -> None:
    session = a_session()
    assert await store.redeem_challenge("neverissued123", session, REFRESH) is False
    assert await store.find_session(session.session_id) is None


async def test_twenty_concurrent_redemptions_of_one_nonce_succeed_exactly_once(store: Store) -> None:
    challenge = a_challenge()
    await store.save_challenge(challenge)
    # Open 20 connections first, so the redemptions really run side by side instead of queueing behind
    # connection set-up (a read-then-delete redemption then succeeds 20 times).
    await asyncio.gather(*(store.ping() for _ in range(20)))
    sessions = [a_session() for _ in range(20)]
    results = await asyncio.gather(*(store.redeem_challenge(challenge.nonce, s, REFRESH) for s in sessions))
    assert results.count(True) == 1
    opened = [await store.find_session(s.session_id) for s in sessions]
    assert sum(found is not None for found in opened) == 1


async def test_challenges_and_sessions_expire_after_their_ttl(store: Store) -> None:
    challenge = a_challenge(ttl=1)
    now = int(time.time())
    session = Session(new_id(), challenge.address, 1, now, now + 1)
    await store.save_challenge(challenge)
    other = a_challenge()
    await store.save_challenge(other)
    assert await store.redeem_challenge(other.nonce, session, REFRESH)
    await asyncio.sleep(1.2)
    assert await store.find_challenge(challenge.address, challenge.nonce) is None
    assert await store.outstanding_challenges(challenge.address) == []
    assert await store.find_session(session.session_id) is None
    assert await store.redeem_challenge(challenge.nonce, a_session(), REFRESH) is False


async def test_ping_answers(store: Store) -> None:
    await store.ping()
