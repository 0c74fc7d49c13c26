"""What the service leaves in its store: in Redis every key under its prefix, each with a TTL; nothing secret."""

import json
import pickle
import re

import redis
from eth_account.signers.local import LocalAccount

from app.config import Settings
from app.domain.tokens import refresh_token_hash
from app.stores.base import spent_mark
from app.stores.memory import MemoryStore
from app.stores.redis import SPENT_FIELD_PREFIX
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
        # the address's challenge list (now holding only the pending one), the session, the rate-limit windows,
        # the live sessions' count
        assert sorted(set(kinds)) == ["challenges", "limits", "session", "sessions"]
        outstanding = inspector.lrange(f"{redis_prefix}:challenges:{{{wallet.address}}}", 0, -1)
        assert [json.loads(entry)["nonce"] for entry in outstanding] == [pending["nonce"]]
        for key in keys:
            ttl = inspector.ttl(key)
            # the session and the live sessions' count (AUTH_REFRESH_TTL), the hourly sign-ins per IP
            hourly = ":session:" in key or key.endswith(":sessions") or "/sign-in-ip/" in key
            limit = 3600 if hourly else 60 if ":limits:" in key else 120
            assert limit - 5 <= ttl <= limit, (key, ttl)
        dump = b"".join(inspector.dump(key) or b"" for key in keys)
        assert tokens["refresh_token"].encode() not in dump
        assert tokens["refresh_token"].split(".")[1].encode() not in dump
    finally:
        inspector.close()


async def test_a_session_keeps_one_field_per_spent_token_and_no_token_or_full_hash_of_one(
    redis_url: str, redis_prefix: str, wallet: LocalAccount
) -> None:
    """Spending a token adds one field of 128 bits of its hash to the session's hash (no list rewritten at
    every rotation); the full hashes kept are the current token's and, for the grace window, its predecessor's."""
    settings = Settings(redis_url=redis_url, redis_prefix=redis_prefix)
    async with app_client(settings) as client:
        tokens = [(await signed_in(client, wallet))["refresh_token"]]
        for _ in range(4):
            response = await client.post("/auth/refresh", json={"refresh_token": tokens[-1]})
            assert response.status_code == 200, response.text
            tokens.append(response.json()["refresh_token"])
    inspector = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        fields = inspector.hgetall(f"{redis_prefix}:session:{{{tokens[0].partition('.')[0]}}}")
    finally:
        inspector.close()
    hashes = [refresh_token_hash(token) for token in tokens]
    spent = {name: value for name, value in fields.items() if name.startswith(SPENT_FIELD_PREFIX)}
    assert spent == {f"{SPENT_FIELD_PREFIX}{spent_mark(spent_hash)}": "1" for spent_hash in hashes[:-1]}
    session_fields = {"address", "chain_id", "created_at", "expires_at", "rotated_at", "rotations", "revoked"}
    session_fields |= {"domain", "idle_expires_at", "accounts", "recap", "client_id", "scope"}
    assert set(fields) - set(spent) == {*session_fields, "current", "previous"}
    assert (fields["current"], fields["previous"], fields["rotations"]) == (hashes[-1], hashes[-2], "4")
    held = [*fields, *fields.values()]
    for token in tokens:
        assert not any(token.partition(".")[2] in item for item in held)
    for older_hash in hashes[:-2]:
        assert not any(older_hash in item for item in held)
    assert not any(re.search("[0-9a-f]{64}", item) for item in [*spent, *spent.values()])


async def test_the_memory_store_keeps_only_hashes_of_refresh_tokens(wallet: LocalAccount) -> None:
    store = MemoryStore()
    async with app_client(Settings(), store) as client:
        first = await signed_in(client, wallet)
        second = (await client.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    held = pickle.dumps(store)  # everything the store holds, sessions and spent tokens included
    for token in (first["refresh_token"], second["refresh_token"]):
        assert token.split(".")[1].encode() not in held
    assert refresh_token_hash(second["refresh_token"]).encode() in held  # the control: it holds the hash
