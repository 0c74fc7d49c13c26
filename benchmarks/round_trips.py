"""Redis round trips per request, per endpoint: how many times the service writes to Redis (a command, a
script or a pipeline each) while answering one challenge, verify, refresh and /auth/me, on one server.

Counted in this process at redis-py's connection (each send is one round trip), after a first sign-in has
loaded the scripts and opened the connections. Run it with PYTHONPATH set to another checkout to count
that one's:

    python benchmarks/round_trips.py --redis-url redis://127.0.0.1:6379/0
"""

import argparse
import asyncio
import secrets
from collections import Counter
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from eth_account import Account
from eth_account.messages import encode_defunct
from redis.asyncio.connection import AbstractConnection

from app.config import Settings
from app.main import create_app

SENT: Counter[str] = Counter()
_send = AbstractConnection.send_packed_command


async def counted_send(self: AbstractConnection, command: Any, check_health: bool = True) -> None:
    SENT["round trips"] += 1
    await _send(self, command, check_health)


async def count(redis_url: str) -> dict[str, int]:
    AbstractConnection.send_packed_command = counted_send  # type: ignore[method-assign]
    settings = Settings(redis_url=redis_url, redis_prefix=f"round-trips-{secrets.token_hex(4)}")
    app = create_app(settings)
    figures: dict[str, int] = {}
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:

            async def measured(name: str, method: str, path: str, **request: Any) -> httpx.Response:
                SENT.clear()
                response = await client.request(method, path, **request)
                assert response.status_code == 200, response.text
                if name:
                    figures[name] = SENT["round trips"]
                return response

            async def sign_in(label: str) -> dict[str, Any]:
                wallet = Account.create()
                message = (
                    await measured(label and "challenge", "POST", "/auth/challenge", json={"address": wallet.address})
                ).json()["message"]
                signature = wallet.sign_message(encode_defunct(text=message)).signature.hex()
                body = {"message": message, "signature": "0x" + signature.removeprefix("0x")}
                tokens: dict[str, Any] = (await measured(label and "verify", "POST", "/auth/verify", json=body)).json()
                return tokens

            first = await sign_in("")  # loads the scripts, opens connections
            await measured("", "POST", "/auth/refresh", json={"refresh_token": first["refresh_token"]})
            await measured("", "GET", "/auth/me", headers={"Authorization": f"Bearer {first['access_token']}"})
            tokens = await sign_in("counted")
            await measured("refresh", "POST", "/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
            await measured("me", "GET", "/auth/me", headers={"Authorization": f"Bearer {tokens['access_token']}"})
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/0")
    figures = asyncio.run(count(parser.parse_args().redis_url))
    print(f"{'endpoint':<10} round trips")
    for name, trips in figures.items():
        print(f"{name:<10} {trips}")


if __name__ == "__main__":
    main()
