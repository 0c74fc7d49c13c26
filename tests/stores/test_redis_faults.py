"""Redis replies that get lost: a write whose outcome is unknown is never run a second time."""

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlparse

import httpx
import pytest
import redis.asyncio
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.stores.base import Rotation
from app.stores.redis import _CONSUME, _OPEN, _REDEEM, _ROTATE, RedisStore
from tests.stores.test_session_bounds_contract import a_session, opened, rotate
from tests.stores.test_session_contract import KEEP, digest
from tests.support.app import GENEROUS_LIMITS, app_client, signed_challenge, signed_in
from tests.support.faulty_proxy import ReplyDropper


def script_sha(script: str) -> bytes:
    return hashlib.sha1(script.encode()).hexdigest().encode()  # how Redis names a script (EVALSHA)


@asynccontextmanager
async def behind_a_lossy_proxy(
    redis_url: str, prefix: str, *, one_step_redeem: bool | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, ReplyDropper]]:
    """A client of the app, whose Redis connections pass through a proxy that can lose a reply;
    `one_step_redeem=False` makes the store redeem challenges in two steps, as it does on a cluster."""
    upstream = urlparse(redis_url)
    async with ReplyDropper(upstream.port or 6379).running() as proxy:
        address = f"redis://127.0.0.1:{proxy.port}{upstream.path}"
        settings = Settings(redis_url=address, redis_prefix=prefix, **GENEROUS_LIMITS)
        store = RedisStore.from_url(
            address, prefix=prefix, timeout=settings.redis_timeout, one_step_redeem=one_step_redeem
        )
        async with app_client(settings, store) as client:
            try:
                yield client, proxy
            finally:
                await store.close()


async def sign_in_again_after_losing_the_reply_to(
    script: str, client: httpx.AsyncClient, proxy: ReplyDropper, wallet: LocalAccount
) -> httpx.Response:
    """A verify whose reply from `script` is lost (503), then the same signed message once more."""
    await signed_in(client, wallet)  # the scripts are loaded
    body = await signed_challenge(client, wallet)
    proxy.drop_reply_to(script_sha(script))
    lost = await client.post("/auth/verify", json=body)
    assert (lost.status_code, lost.json()["error"]) == (503, "store_unavailable")
    return await client.post("/auth/verify", json=body)


async def test_a_rotation_whose_reply_is_lost_is_not_run_again(
    redis_url: str, redis_prefix: str, wallet: LocalAccount
) -> None:
    """Run twice, the rotation would find its own token spent and revoke the session it just renewed."""
    async with behind_a_lossy_proxy(redis_url, redis_prefix) as (client, proxy):
        first = await signed_in(client, wallet)
        second = (await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
        proxy.drop_reply_to(script_sha(_ROTATE))
        lost = await client.post("/auth/refresh", json={"refresh_token": second["refresh_token"]})
        assert (lost.status_code, lost.json()["error"]) == (503, "store_unavailable")
        # the rotation did happen: the session lives on, and what the client holds is now spent
        me = await client.get("/auth/me", headers={"Authorization": f"Bearer {second['access_token']}"})
        assert me.status_code == 200, me.text


@pytest.mark.parametrize(("one_step", "script"), [(True, _REDEEM), (False, _CONSUME)], ids=["one step", "two steps"])
async def test_a_consumption_whose_reply_is_lost_is_not_run_again(
    one_step: bool, script: str, redis_url: str, redis_prefix: str, wallet: LocalAccount
) -> None:
    """Run twice, the redemption would find its nonce gone and refuse a sign-in that in fact succeeded."""
    async with behind_a_lossy_proxy(redis_url, redis_prefix, one_step_redeem=one_step) as (client, proxy):
        again = await sign_in_again_after_losing_the_reply_to(script, client, proxy, wallet)
        assert (again.status_code, again.json()["error"]) == (401, "invalid_nonce")  # it was consumed, once


async def test_when_opening_the_session_fails_the_nonce_is_still_there(
    redis_url: str, redis_prefix: str, wallet: LocalAccount
) -> None:
    """In two steps (on a cluster), the session is written before the nonce is consumed: a failure there
    leaves the sign-in retryable."""
    async with behind_a_lossy_proxy(redis_url, redis_prefix, one_step_redeem=False) as (client, proxy):
        again = await sign_in_again_after_losing_the_reply_to(_OPEN, client, proxy, wallet)
        assert again.status_code == 200, again.text


@asynccontextmanager
async def store_that_cannot_update_the_session_count(redis_url: str, prefix: str) -> AsyncIterator[RedisStore]:
    """A store whose Redis user may run the scripts but not ZADD or ZREM: its refreshes and revocations
    run, and the live-session count update that follows each of them fails (a real refusal of Redis's)."""
    user, password = f"no-count-{prefix}", "a-password-for-this-test-only"
    admin = redis.asyncio.Redis.from_url(redis_url)
    await admin.execute_command("ACL", "SETUSER", user, "on", f">{password}", f"~{prefix}:*", "+@all", "-zadd", "-zrem")
    upstream = urlparse(redis_url)
    address = f"redis://{user}:{password}@{upstream.hostname}:{upstream.port or 6379}{upstream.path}"
    store = RedisStore.from_url(address, prefix=prefix, timeout=2)
    try:
        yield store
    finally:
        await store.close()
        await admin.execute_command("ACL", "DELUSER", user)
        await admin.aclose()


async def test_a_refresh_and_a_revocation_stand_when_the_count_update_after_them_fails(
    redis_url: str, redis_prefix: str
) -> None:
    """The rotation is committed before the count follows it: failing there would withhold the new refresh
    token, and the client's retry with the old one would be reuse and revoke the session."""
    owner = RedisStore.from_url(redis_url, prefix=redis_prefix, timeout=2)
    try:
        session = await opened(owner, a_session(idle=600), digest("r1"))
    finally:
        await owner.close()
    async with store_that_cannot_update_the_session_count(redis_url, redis_prefix) as store:
        assert await rotate(store, session, digest("r1"), digest("r2"), idle_ttl=600) is Rotation.ROTATED
        assert await rotate(store, session, digest("r2"), digest("r3"), idle_ttl=600) is Rotation.ROTATED
        assert await store.revoke_session(session.session_id, keep_revoked=KEEP)
        assert await store.find_session(session.session_id) is None
