"""On one Redis server a request's rate limits travel in its store operation's script: a challenge is one round
trip (the per-IP and per-challenge hits, and the save), a verify two (the per-IP hit, the wallet's and the
client's sign-in checks and the nonce look-up; then their spending and the redemption), a refresh two (the
per-IP hit and the rotation; the live-session count that follows it). benchmarks/round_trips.py prints them."""

from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from redis.asyncio.connection import AbstractConnection

from app.config import Settings
from tests.support.app import app_client, signed_challenge, signed_in


async def test_round_trips_per_request(
    redis_url: str, redis_prefix: str, wallet: LocalAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    sent = [0]
    send = AbstractConnection.send_packed_command

    async def counted(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
        sent[0] += 1  # one write to the socket: a command, a script or a whole pipeline
        await send(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counted)
    async with app_client(Settings(redis_url=redis_url, redis_prefix=redis_prefix)) as client:
        tokens = await signed_in(client, wallet)  # the scripts loaded, the connections open
        await client.post("/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
        sent[0] = 0
        body = await signed_challenge(client, wallet)
        assert sent[0] == 1
        sent[0] = 0
        verified = await client.post("/auth/verify", json=body)
        assert verified.status_code == 200, verified.text
        assert sent[0] == 2
        sent[0] = 0
        refreshed = await client.post("/auth/refresh", json={"refresh_token": verified.json()["refresh_token"]})
        assert refreshed.status_code == 200, refreshed.text
        assert sent[0] == 2
