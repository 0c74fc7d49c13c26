"""A request that fails with a 500 still counts against its client's per-IP limit, on every store (on one Redis
server the hit of the sign-in endpoints waits for their first store operation: a handler that fails before
one must not take the hit with it)."""

import dataclasses
from typing import Any

import httpx
from asgi_lifespan import LifespanManager

from app.api.dispatch import DispatchTable
from app.config import Settings
from app.main import create_app


async def failing_handler(request: object) -> None:  # noqa: ARG001 - the handler's signature
    raise RuntimeError("a bug")


async def test_a_500_still_counts_against_the_client(settings_overrides: dict[str, Any]) -> None:
    app = create_app(Settings(**{**settings_overrides, "rate_limit_ip": "1/minute"}))
    for layer in app.user_middleware:  # the refresh endpoint's handler fails, as a bug would
        if layer.cls is DispatchTable:
            layer.kwargs["endpoints"] = [
                dataclasses.replace(endpoint, handler=failing_handler) if endpoint.path == "/auth/refresh" else endpoint
                for endpoint in layer.kwargs["endpoints"]
            ]
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            first = await client.post("/auth/refresh", json={"refresh_token": "x"})
            assert (first.status_code, first.json()["error"]) == (500, "internal_error")
            second = await client.post("/auth/refresh", json={"refresh_token": "x"})
            assert (second.status_code, second.json()["error"]) == (429, "rate_limited")
