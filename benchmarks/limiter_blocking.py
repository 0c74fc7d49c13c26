"""What a black-holed Redis does to the event loop: slowapi's own (synchronous) limiter against web3-auth's.

    python benchmarks/limiter_blocking.py

A TCP listener that accepts connections and never answers stands in for a Redis that drops packets. Two
servers use it as their rate-limit storage: a minimal FastAPI app limited with slowapi as its README shows
(`Limiter(storage_uri="redis://...")`, with a 2 s socket timeout so it ends at all), and web3-auth. While 8
clients call each server's rate-limited endpoint, the script measures how long `/healthz`, which touches no
storage, takes to answer, and how long the limited calls take to fail.
"""

import asyncio
import contextlib
import socket
import statistics
import threading
import time
from collections.abc import Iterator

import httpx
import uvicorn
from fastapi import FastAPI, Request
from slowapi import Limiter
from slowapi.util import get_remote_address

from app.config import Settings
from app.main import create_app


@contextlib.contextmanager
def black_hole() -> Iterator[int]:
    """A port that accepts TCP connections and never sends a byte."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def slowapi_app(redis_port: int) -> FastAPI:
    limiter = Limiter(
        key_func=get_remote_address,
        storage_uri=f"redis://127.0.0.1:{redis_port}",
        storage_options={"socket_timeout": 2, "socket_connect_timeout": 2},
    )
    app = FastAPI()
    app.state.limiter = limiter

    @app.post("/auth/challenge")
    @limiter.limit("60/minute")
    async def challenge(request: Request) -> dict[str, str]:  # noqa: ARG001 (slowapi needs `request`)
        return {"ok": "yes"}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


@contextlib.contextmanager
def served(app: FastAPI) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


async def measure(base_url: str) -> tuple[list[float], list[float], list[int]]:
    """Health-check latencies while 8 clients call the limited endpoint; the limited calls' durations."""
    health: list[float] = []
    limited: list[float] = []
    statuses: list[int] = []
    body = {"address": "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def call_limited() -> None:
            for _ in range(2):
                started = time.perf_counter()
                try:
                    statuses.append((await client.post("/auth/challenge", json=body)).status_code)
                except httpx.TransportError:  # the server dropped the connection
                    statuses.append(0)
                limited.append(time.perf_counter() - started)

        async def probe_health() -> None:
            await asyncio.sleep(0.05)
            for _ in range(10):
                started = time.perf_counter()
                await client.get("/healthz")
                health.append(time.perf_counter() - started)
                await asyncio.sleep(0.1)

        await asyncio.gather(*(call_limited() for _ in range(8)), probe_health())
    return health, limited, statuses


def main() -> None:
    rows = []
    with black_hole() as port:
        with served(slowapi_app(port)) as base_url:
            rows.append(("slowapi, synchronous Redis storage", *asyncio.run(measure(base_url))))
        settings = Settings(redis_url=f"redis://127.0.0.1:{port}/0")
        with served(create_app(settings)) as base_url:
            rows.append(("web3-auth, limits' asyncio storage", *asyncio.run(measure(base_url))))
    print("Redis black-holed; 8 clients x 2 calls to the rate-limited endpoint, /healthz probed 10 times meanwhile")
    print(f"  {'':<38} {'healthz median':>15} {'healthz max':>12} {'limited call max':>17}  statuses")
    for label, health, limited, statuses in rows:
        print(
            f"  {label:<38} {statistics.median(health) * 1000:12.1f} ms {max(health) * 1000:9.1f} ms"
            f" {max(limited) * 1000:14.1f} ms  {sorted(set(statuses))}"
        )


if __name__ == "__main__":
    main()
