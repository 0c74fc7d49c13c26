"""What the service leaves in Redis: every key under its prefix, each with a TTL, nothing secret."""

import redis
from eth_account.signers.local import LocalAccount

from app.config import Settings
from tests.support.app import app_client, get_challenge, signed_in


async def test_every_key_has_a_bounded_ttl_and_no_refresh_token_is_stored(
    redis_url: str, redis_prefix: str, wallet: LocalAccount
) -> None:
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix, nonce_ttl=120, refresh_ttl=3600)
    async with app_client(settings) as client:
        pending = await get_challenge(client, wallet)
        tokens = await signed_in(client, wallet)
    inspector = redis.Redis.from_url(redis_url)
    try:
        keys = sorted(key.decode() for key in inspector.scan_iter(match=f"{redis_prefix}:*"))
        kinds = sorted(key.split(":")[1] for key in keys)
        # the pending challenge, the address's outstanding list (now holding only the pending nonce), the session,
        # and the rate-limit windows
        assert sorted(set(kinds)) == ["challenge", "limits", "outstanding", "session"]
        outstanding = f"{redis_prefix}:outstanding:{{{wallet.address}}}"
        assert inspector.lrange(outstanding, 0, -1) == [pending["nonce"].encode()]
        for key in keys:
            ttl = inspector.ttl(key)
            limit = 3600 if ":session:" in key else 60 if ":limits:" in key else 120
            assert limit - 5 <= ttl <= limit, (key, ttl)
        assert f"{redis_prefix}:challenge:{{{wallet.address}}}:{pending['nonce']}" in keys
        dump = b"".join(inspector.dump(key) or b"" for key in keys)
        assert tokens["refresh_token"].encode() not in dump
        assert tokens["refresh_token"].split(".")[1].encode() not in dump
    finally:
        inspector.close()
