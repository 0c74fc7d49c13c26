"""The application under test: over ASGI in process, or served by uvicorn on a real socket."""

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from eth_account.signers.local import LocalAccount
from fastapi import FastAPI

from app.config import Settings
from app.main import create_app
from app.stores.base import Store
from tests.support.redis_server import free_port
from tests.support.wallets import sign

# Tests make many requests from one client and one wallet; the rate-limit tests set their own limits.
GENEROUS_LIMITS = {
    "rate_limit_ip": "100000/minute",
    "rate_limit_address": "100000/minute",
    "rate_limit_rpc_failures_ip": "100000/minute",
    "rate_limit_nonce_ip": "100000/minute",
}


@asynccontextmanager
async def app_client(settings: Settings, store: Store | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to a freshly created app (lifespan run) through ASGI."""
    app = create_app(settings, store)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


@contextmanager
def served(app: FastAPI, *, root_path: str = "") -> Iterator[str]:
    """Serve `app` with uvicorn on a loopback port in a thread; yields its base URL. With a root path, uvicorn
    acts as behind a proxy that strips that prefix: requests come without it, the app sees it in its scope."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", root_path=root_path)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


async def get_challenge(
    client: httpx.AsyncClient, wallet: LocalAccount, *, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, Any]:
    response = await client.post("/auth/challenge", json={"address": wallet.address, **fields}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def signed_challenge(
    client: httpx.AsyncClient, wallet: LocalAccount, *, headers: dict[str, str] | None = None, **fields: Any
) -> dict[str, str]:
    """A verify body: a fresh challenge's message and the wallet's signature of it."""
    message = (await get_challenge(client, wallet, headers=headers, **fields))["message"]
    return {"message": message, "signature": sign(wallet, message)}


async def signed_in(client: httpx.AsyncClient, wallet: LocalAccount) -> dict[str, Any]:
    """The token response of a complete sign-in."""
    response = await client.post("/auth/verify", json=await signed_challenge(client, wallet))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
