"""What bounds a store's sessions, on every store: the idle end each refresh moves on, and the ceiling of live
sessions (a sign-in at it is refused before its nonce is consumed)."""

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from app.domain.tokens import new_id
from app.errors import StoreFull
from app.stores.base import Rotation, Session, Store
from tests.stores.test_session_contract import KEEP, digest
from tests.stores.test_store_contract import a_challenge

ADDRESS = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def a_session(*, idle: int, lifetime: int = 3600, address: str = ADDRESS) -> Session:
    now = int(time.time())
    return Session(new_id(), address, 1, now, now + lifetime, "example.com", now + idle)


async def opened(store: Store, session: Session, first_hash: str = digest("r1")) -> Session:
    challenge = a_challenge(session.address)
    await store.save_challenge(challenge)
    assert await store.redeem_challenge(challenge.nonce, session, first_hash)
    return session


async def rotate(store: Store, session: Session, presented: str, new: str, *, idle_ttl: int, at: int = 0) -> Rotation:
    result = await store.rotate_refresh(
        session.session_id, presented, new, now=at or int(time.time()), grace=0, keep_revoked=KEEP, idle_ttl=idle_ttl
    )
    return result.outcome


async def test_a_session_not_refreshed_within_its_idle_time_ends(store: Store) -> None:
    session = await opened(store, a_session(idle=2))
    before = await store.count_sessions()
    assert await store.find_session(session.session_id) == session
    # the rotation's own clock (its `now`) past the idle end: over, whatever the absolute end says
    assert await rotate(store, session, digest("r1"), digest("r2"), idle_ttl=60, at=session.idle_expires_at) is (
        Rotation.INVALID
    )
    await asyncio.sleep(2.2)
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, digest("r1"), digest("r2"), idle_ttl=60) is Rotation.INVALID
    assert await store.count_sessions() == before - 1  # an idle end leaves the count


async def test_each_refresh_moves_the_idle_end_on_but_never_past_the_absolute_end(store: Store) -> None:
    session = await opened(store, a_session(idle=2, lifetime=100))
    now = int(time.time())
    result = await store.rotate_refresh(
        session.session_id, digest("r1"), digest("r2"), now=now, grace=0, keep_revoked=KEEP, idle_ttl=4
    )
    assert result.outcome is Rotation.ROTATED
    assert result.session is not None
    assert result.session.idle_expires_at == now + 4
    await asyncio.sleep(2.2)  # past the first idle end, within the second
    assert await store.find_session(session.session_id) == result.session
    longer = await store.rotate_refresh(
        session.session_id, digest("r2"), digest("r3"), now=now, grace=0, keep_revoked=KEEP, idle_ttl=10_000
    )
    assert longer.session is not None
    assert longer.session.idle_expires_at == session.expires_at


async def test_a_session_stored_without_an_idle_end_lives_to_its_absolute_end_then_gets_one(store: Store) -> None:
    """Sessions stored before sessions had an idle end (and a domain) still open, refresh and end."""
    now = int(time.time())
    old = Session(new_id(), ADDRESS, 1, now, now + 3600)
    await opened(store, old)
    assert await store.find_session(old.session_id) == old
    result = await store.rotate_refresh(
        old.session_id, digest("r1"), digest("r2"), now=now, grace=0, keep_revoked=KEEP, idle_ttl=60
    )
    assert result.outcome is Rotation.ROTATED
    assert result.session is not None
    assert (result.session.domain, result.session.idle_expires_at) == ("", now + 60)


CEILING = 3


@pytest.fixture
async def small_store(open_store: Callable[..., AbstractAsyncContextManager[Store]]) -> AsyncIterator[Store]:
    """The parametrised kind of store, holding at most CEILING live sessions."""
    async with open_store(max_sessions=CEILING) as store:
        yield store


async def test_at_the_ceiling_a_sign_in_is_refused_and_its_nonce_kept(small_store: Store) -> None:
    store = small_store
    sessions = [await opened(store, a_session(idle=600)) for _ in range(CEILING)]
    assert await store.count_sessions() == CEILING
    refused = a_challenge()
    await store.save_challenge(refused)
    with pytest.raises(StoreFull):
        await store.redeem_challenge(refused.nonce, a_session(idle=600), digest("x"))
    assert await store.find_challenge(refused.address, refused.nonce) == refused  # not consumed
    # revocation leaves the count: the very nonce then signs in
    assert await store.revoke_session(sessions[0].session_id, keep_revoked=KEEP)
    assert await store.count_sessions() == CEILING - 1
    assert await store.redeem_challenge(refused.nonce, a_session(idle=600), digest("x"))
    assert await store.count_sessions() == CEILING


async def test_sessions_that_end_free_their_place(small_store: Store) -> None:
    store = small_store
    for _ in range(CEILING - 1):
        await opened(store, a_session(idle=600))
    reused = await opened(store, a_session(idle=600))
    await rotate(store, reused, digest("r1"), digest("r2"), idle_ttl=600)
    assert await rotate(store, reused, digest("r1"), digest("x"), idle_ttl=600) is Rotation.REUSED  # revoked
    idle = await opened(store, a_session(idle=1))
    with pytest.raises(StoreFull):
        await opened(store, a_session(idle=600))
    await asyncio.sleep(1.2)  # `idle` ends
    assert await store.find_session(idle.session_id) is None
    await opened(store, a_session(idle=600))
    assert await store.count_sessions() == CEILING


async def test_concurrent_sign_ins_never_take_the_store_past_its_ceiling(small_store: Store) -> None:
    store = small_store
    await asyncio.gather(*(store.ping() for _ in range(10)))
    challenges = [a_challenge(f"0x{index:040x}") for index in range(10)]
    for challenge in challenges:
        await store.save_challenge(challenge)

    async def redeem(nonce: str, address: str) -> bool:
        try:
            return await store.redeem_challenge(nonce, a_session(idle=600, address=address), digest("r"))
        except StoreFull:
            return False

    outcomes = await asyncio.gather(*(redeem(c.nonce, c.address) for c in challenges))
    assert outcomes.count(True) == CEILING
    assert await store.count_sessions() == CEILING
