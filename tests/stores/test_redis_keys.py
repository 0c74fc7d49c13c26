"""What the service leaves in Redis: every key under its prefix, each with a TTL, nothing secret."""

import json

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
        # the address's challenge list (now holding only the pending one), the session, the rate-limit windows
        assert sorted(set(kinds)) == ["challenges", "limits", "session"]
        outstanding = inspector.lrange(f"{redis_prefix}:challenges:{{{wallet.address}}}", 0, -1)
        assert [json.loads(entry)["nonce"] for entry in outstanding] == [pending["nonce"]]
        for key in keys:
            ttl = inspector.ttl(key)
            limit = 3600 if ":session:" in key else 60 if ":limits:" in key else 120
            assert limit - 5 <= ttl <= limit, (key, ttl)
        dump = b"".join(inspector.dump(key) or b"" for key in keys)
        assert tokens["refresh_token"].encode() not in dump
        assert tokens["refresh_token"].split(".")[1].encode() not in dump
    finally:
        inspector.close()
