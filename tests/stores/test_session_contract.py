"""Refresh-token families on every store: rotation, the grace window, reuse detection, revocation."""

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager

import pytest

from app.domain.tokens import new_id
from app.stores.base import Challenge, Rotation, Session, Store

KEEP = 60  # seconds a revoked session is remembered in these tests
IDLE = 10**6  # seconds of idle time a rotation grants, in these tests: beyond their sessions' absolute end


def digest(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


async def open_session(store: Store, first_hash: str, *, lifetime: int = 3600) -> Session:
    now = int(time.time())
    address = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    nonce = new_id().replace("-", "a").replace("_", "b")
    await store.save_challenge(Challenge(nonce, address, 1, "example.com", now, now + 60, "client", "message"))
    session = Session(new_id(), address, 1, now, now + lifetime, "example.com", now + lifetime)
    assert await store.redeem_challenge(nonce, session, first_hash)
    return session


async def rotate(store: Store, session: Session, presented: str, new: str, *, grace: int = 0, at: int = 0) -> Rotation:
    now = at or int(time.time())
    result = await store.rotate_refresh(
        session.session_id, presented, new, now=now, grace=grace, keep_revoked=KEEP, idle_ttl=IDLE
    )
    if result.outcome in (Rotation.ROTATED, Rotation.GRACE):
        assert result.session == session
    else:
        assert result.session is None
    return result.outcome


async def test_the_current_token_rotates_and_each_new_one_is_current(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    assert await rotate(store, session, digest("r1"), digest("r2")) is Rotation.ROTATED
    assert await rotate(store, session, digest("r2"), digest("r3")) is Rotation.ROTATED
    assert await store.find_session(session.session_id) == session


async def test_reusing_a_rotated_token_revokes_the_whole_session(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    await rotate(store, session, digest("r1"), digest("r2"))
    await rotate(store, session, digest("r2"), digest("r3"))
    assert await rotate(store, session, digest("r1"), digest("x")) is Rotation.REUSED
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, digest("r3"), digest("r4")) is Rotation.INVALID  # the newest dies too
    assert await rotate(store, session, digest("r2"), digest("r5")) is Rotation.INVALID


async def test_an_unknown_token_changes_nothing(store: Store) -> None:
    """Whoever knows a session id but holds none of its tokens cannot revoke it."""
    session = await open_session(store, digest("r1"))
    assert await rotate(store, session, digest("forged"), digest("x")) is Rotation.INVALID
    assert await store.find_session(session.session_id) == session
    assert await rotate(store, session, digest("r1"), digest("r2")) is Rotation.ROTATED
    unknown = Session("no-such-session-id-xx", session.address, 1, session.created_at, session.expires_at)
    assert await rotate(store, unknown, digest("r2"), digest("x")) is Rotation.INVALID


async def test_within_the_grace_window_only_the_predecessor_may_come_back(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    now = int(time.time())
    assert await rotate(store, session, digest("r1"), digest("r2"), grace=10, at=now) is Rotation.ROTATED
    # the response carrying r2 was lost: r1 again, within the window, gives a new sibling r3
    assert await rotate(store, session, digest("r1"), digest("r3"), grace=10, at=now + 10) is Rotation.GRACE
    assert await rotate(store, session, digest("r3"), digest("r4"), grace=10, at=now + 10) is Rotation.ROTATED
    # r1 is now the grandparent: reuse, even within the window
    assert await rotate(store, session, digest("r1"), digest("x"), grace=10, at=now + 11) is Rotation.REUSED


async def test_the_token_a_grace_sibling_replaced_is_spent(store: Store) -> None:
    """Whoever got r2 (the victim, if an attacker re-presented a stolen r1 within the window) presenting it
    later is reuse: the session dies instead of quietly passing to the holder of r1."""
    session = await open_session(store, digest("r1"))
    now = int(time.time())
    await rotate(store, session, digest("r1"), digest("r2"), grace=10, at=now)
    assert await rotate(store, session, digest("r1"), digest("r3"), grace=10, at=now + 1) is Rotation.GRACE
    assert await rotate(store, session, digest("r2"), digest("x"), grace=10, at=now + 2) is Rotation.REUSED
    assert await rotate(store, session, digest("r3"), digest("r4"), grace=10, at=now + 2) is Rotation.INVALID
    assert await store.find_session(session.session_id) is None


async def test_after_the_grace_window_the_predecessor_is_reuse(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    now = int(time.time())
    await rotate(store, session, digest("r1"), digest("r2"), grace=10, at=now)
    assert await rotate(store, session, digest("r1"), digest("x"), grace=10, at=now + 11) is Rotation.REUSED


async def test_without_grace_the_predecessor_is_reuse_at_once(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    now = int(time.time())
    await rotate(store, session, digest("r1"), digest("r2"), at=now)
    assert await rotate(store, session, digest("r1"), digest("x"), at=now) is Rotation.REUSED


async def test_a_session_over_its_absolute_lifetime_does_not_rotate(store: Store) -> None:
    session = await open_session(store, digest("r1"), lifetime=100)
    assert await rotate(store, session, digest("r1"), digest("r2"), at=session.expires_at) is Rotation.INVALID
    assert await rotate(store, session, digest("r1"), digest("r2"), at=session.expires_at - 1) is Rotation.ROTATED


LONG_AGO = 40  # rotations: well past the 16 spent tokens sessions used to remember


async def rotate_many(store: Store, session: Session, count: int) -> str:
    """Rotate r0 -> r1 -> ... -> r<count>; the newest hash."""
    for index in range(count):
        assert await rotate(store, session, digest(f"r{index}"), digest(f"r{index + 1}")) is Rotation.ROTATED
    return digest(f"r{count}")


async def test_a_token_spent_long_ago_is_still_reuse(store: Store) -> None:
    """A thief who rotated a stolen token many times cannot make the victim's copy merely unknown."""
    session = await open_session(store, digest("r0"))
    newest = await rotate_many(store, session, LONG_AGO)
    assert await rotate(store, session, digest("r0"), digest("x")) is Rotation.REUSED
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, newest, digest("y")) is Rotation.INVALID  # the thief's chain dies


async def test_every_spent_token_is_remembered(store: Store) -> None:
    for spent_index in (0, 1, LONG_AGO // 2, LONG_AGO - 1):
        session = await open_session(store, digest("r0"))
        await rotate_many(store, session, LONG_AGO)
        assert await rotate(store, session, digest(f"r{spent_index}"), digest("x")) is Rotation.REUSED, spent_index


LONG_HISTORY = 300  # rotations: past where Redis turns a small hash's listpack into a hash table (128 fields)


async def test_a_long_history_still_recognises_its_first_token(store: Store) -> None:
    """However many tokens a session has spent, a forged one changes nothing and its first one is reuse."""
    session = await open_session(store, digest("r0"))
    newest = await rotate_many(store, session, LONG_HISTORY)
    assert await rotate(store, session, digest("forged"), digest("x")) is Rotation.INVALID
    assert await store.find_session(session.session_id) == session
    assert await rotate(store, session, digest("r0"), digest("x")) is Rotation.REUSED
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, newest, digest("y")) is Rotation.INVALID


async def test_logout_accepts_a_token_spent_long_ago(store: Store) -> None:
    session = await open_session(store, digest("r0"))
    newest = await rotate_many(store, session, LONG_AGO)
    assert await store.revoke_session(session.session_id, keep_revoked=KEEP, refresh_hash=digest("forged")) is False
    assert await store.revoke_session(session.session_id, keep_revoked=KEEP, refresh_hash=digest("r0")) is True
    assert await rotate(store, session, newest, digest("x")) is Rotation.INVALID


CAP = 3  # rotations per session allowed by `capped_store`


@pytest.fixture
async def capped_store(open_store: Callable[..., AbstractAsyncContextManager[Store]]) -> AsyncIterator[Store]:
    """The parametrised kind of store, built to allow CAP rotations per session instead of MAX_ROTATIONS."""
    async with open_store(max_rotations=CAP) as store:
        yield store


async def test_one_rotation_past_the_cap_revokes_the_session(capped_store: Store) -> None:
    """Rather than forget a spent token, a session that has rotated CAP times ends."""
    store = capped_store
    session = await open_session(store, digest("r0"))
    newest = await rotate_many(store, session, CAP)
    assert await rotate(store, session, newest, digest("x")) is Rotation.EXHAUSTED
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, newest, digest("y")) is Rotation.INVALID
    assert await rotate(store, session, digest("r0"), digest("z")) is Rotation.INVALID  # revoked: nothing to do


async def test_grace_rotations_count_towards_the_cap(capped_store: Store) -> None:
    store = capped_store
    session = await open_session(store, digest("r0"))
    now = int(time.time())
    await rotate_many(store, session, CAP - 1)
    predecessor, current = digest(f"r{CAP - 2}"), digest(f"r{CAP - 1}")
    assert await rotate(store, session, predecessor, digest("sibling"), grace=10, at=now) is Rotation.GRACE
    # CAP rotations done: not even the predecessor, within the window, rotates again
    assert await rotate(store, session, predecessor, digest("x"), grace=10, at=now) is Rotation.EXHAUSTED
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, digest("sibling"), digest("y")) is Rotation.INVALID
    assert await rotate(store, session, current, digest("z")) is Rotation.INVALID


async def test_an_unknown_token_never_exhausts_a_session(capped_store: Store) -> None:
    store = capped_store
    session = await open_session(store, digest("r0"))
    newest = await rotate_many(store, session, CAP)
    assert await rotate(store, session, digest("forged"), digest("x")) is Rotation.INVALID
    assert await store.find_session(session.session_id) == session
    assert await rotate(store, session, digest("r0"), digest("x")) is Rotation.REUSED  # spent tokens still count
    assert await rotate(store, session, newest, digest("y")) is Rotation.INVALID


async def test_revocation(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    await rotate(store, session, digest("r1"), digest("r2"))
    assert await store.revoke_session(session.session_id, keep_revoked=KEEP, refresh_hash=digest("forged")) is False
    assert await store.find_session(session.session_id) == session
    assert await store.revoke_session(session.session_id, keep_revoked=KEEP, refresh_hash=digest("r1")) is True
    assert await store.find_session(session.session_id) is None
    assert await rotate(store, session, digest("r2"), digest("r3")) is Rotation.INVALID
    assert await store.revoke_session(session.session_id, keep_revoked=KEEP) is True  # again: harmless
    assert await store.revoke_session("no-such-session-id-xx", keep_revoked=KEEP) is False


async def test_a_revoked_session_is_forgotten_after_keep_revoked(store: Store) -> None:
    session = await open_session(store, digest("r1"))
    assert await store.revoke_session(session.session_id, keep_revoked=1)
    assert await store.revoke_session(session.session_id, keep_revoked=1) is True
    await asyncio.sleep(1.2)
    assert await store.revoke_session(session.session_id, keep_revoked=1) is False


async def test_twenty_concurrent_rotations_of_one_token_leave_no_second_chain(store: Store) -> None:
    await asyncio.gather(*(store.ping() for _ in range(20)))  # connections first: a real race
    session = await open_session(store, digest("r1"))
    outcomes = await asyncio.gather(
        *(rotate(store, session, digest("r1"), digest(f"child{index}")) for index in range(20))
    )
    assert outcomes.count(Rotation.ROTATED) == 1
    # Without grace, the next one is reuse and revokes the session; the rest find it revoked.
    assert outcomes.count(Rotation.REUSED) >= 1
    assert outcomes.count(Rotation.REUSED) + outcomes.count(Rotation.INVALID) == 19
    assert await store.find_session(session.session_id) is None


async def test_twenty_concurrent_rotations_within_grace_leave_at_most_one_chain(store: Store) -> None:
    await asyncio.gather(*(store.ping() for _ in range(20)))
    session = await open_session(store, digest("r1"))
    outcomes = await asyncio.gather(
        *(rotate(store, session, digest("r1"), digest(f"child{index}"), grace=30) for index in range(20))
    )
    assert outcomes.count(Rotation.ROTATED) == 1
    assert outcomes.count(Rotation.GRACE) == 19
    # Every child but the current one is spent: whichever is presented, at most one can rotate.
    later = [await rotate(store, session, digest(f"child{index}"), digest(f"next{index}")) for index in range(20)]
    assert later.count(Rotation.ROTATED) <= 1
    assert set(later) <= {Rotation.ROTATED, Rotation.REUSED, Rotation.INVALID}
