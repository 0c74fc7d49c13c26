"""The rules of the local copy of sessions, without Redis: what it serves, and what a racing change leaves."""

import time

from prometheus_client import REGISTRY

from app.stores.session_cache import CAPACITY, MAX_AGE, NOT_CACHED, SessionCache
from tests.stores.test_session_bounds_contract import a_session

LONG = 60.0  # seconds of trust granted by a heartbeat, in these tests


def following(*, capacity: int = CAPACITY, max_age: float = MAX_AGE) -> SessionCache:
    cache = SessionCache(capacity=capacity, max_age=max_age)
    cache.follow(time.monotonic() + LONG)
    return cache


def test_nothing_is_kept_or_served_while_the_stream_is_down() -> None:
    cache, session = SessionCache(), a_session(idle=60)
    reading = cache.reading(session.session_id)
    assert reading is None
    cache.keep(reading, session.session_id, session)
    assert cache.get(session.session_id) is NOT_CACHED
    assert len(cache) == 0


def test_a_read_is_kept_and_served_while_the_stream_is_confirmed() -> None:
    cache, session, gone = following(), a_session(idle=60), a_session(idle=60)
    cache.keep(cache.reading(session.session_id), session.session_id, session)
    cache.keep(cache.reading(gone.session_id), gone.session_id, None)  # a revoked (or missing) session
    assert cache.get(session.session_id) == session
    assert cache.get(gone.session_id) is None
    cache.confirm(time.monotonic() - 1)  # the last heartbeat is too old: nothing is served
    assert cache.get(session.session_id) is NOT_CACHED
    cache.confirm(time.monotonic() + LONG)  # a heartbeat came back (the stream never broke)
    assert cache.get(session.session_id) == session


def test_an_invalidation_during_a_read_keeps_its_answer_out() -> None:
    cache, session = following(), a_session(idle=60)
    reading = cache.reading(session.session_id)
    cache.forget(session.session_id)  # the invalidation arrives before the read's answer
    cache.keep(reading, session.session_id, session)
    assert cache.get(session.session_id) is NOT_CACHED


def test_a_stream_lost_and_followed_again_during_a_read_keeps_its_answer_out() -> None:
    cache, session = following(), a_session(idle=60)
    reading = cache.reading(session.session_id)
    cache.lose()
    cache.follow(time.monotonic() + LONG)
    cache.keep(reading, session.session_id, session)
    assert cache.get(session.session_id) is NOT_CACHED


def test_losing_the_stream_forgets_everything() -> None:
    cache, session = following(), a_session(idle=60)
    cache.keep(cache.reading(session.session_id), session.session_id, session)
    cache.lose()
    cache.follow(time.monotonic() + LONG)
    assert cache.get(session.session_id) is NOT_CACHED


def test_of_two_concurrent_reads_only_the_later_is_kept() -> None:
    cache, session = following(), a_session(idle=60)
    first = cache.reading(session.session_id)
    second = cache.reading(session.session_id)
    cache.keep(first, session.session_id, None)
    assert cache.get(session.session_id) is NOT_CACHED
    cache.keep(second, session.session_id, session)
    assert cache.get(session.session_id) == session


def test_the_least_recently_used_go_first_beyond_the_capacity() -> None:
    cache = following(capacity=2)
    sessions = [a_session(idle=60) for _ in range(3)]
    for session in sessions[:2]:
        cache.keep(cache.reading(session.session_id), session.session_id, session)
    assert cache.get(sessions[0].session_id) == sessions[0]  # now the most recently used
    cache.keep(cache.reading(sessions[2].session_id), sessions[2].session_id, sessions[2])
    assert [cache.get(session.session_id) for session in sessions] == [sessions[0], NOT_CACHED, sessions[2]]


def test_an_entry_past_its_age_is_not_served() -> None:
    cache, session = following(max_age=-1.0), a_session(idle=60)
    cache.keep(cache.reading(session.session_id), session.session_id, session)
    assert cache.get(session.session_id) is NOT_CACHED


def test_every_read_is_counted_by_outcome() -> None:
    def count(outcome: str) -> float:
        return REGISTRY.get_sample_value("web3auth_session_cache_reads_total", {"outcome": outcome}) or 0.0

    before = {outcome: count(outcome) for outcome in ("hit", "miss", "untrusted")}
    cache, session = following(), a_session(idle=60)
    assert cache.get(session.session_id) is NOT_CACHED
    cache.keep(cache.reading(session.session_id), session.session_id, session)
    assert cache.get(session.session_id) == session
    cache.lose()
    assert cache.get(session.session_id) is NOT_CACHED
    assert {outcome: count(outcome) - before[outcome] for outcome in before} == {"hit": 1, "miss": 1, "untrusted": 1}
