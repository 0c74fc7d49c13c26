"""What the per-request telemetry costs: app.api.middleware.telemetry (request id, metrics, the JSON log line
through the batching handler, as `python -m app` logs) around an ASGI app that answers at once.

    .venv/bin/python benchmarks/telemetry.py [--requests 20000] [--rounds 5]

Prints, per round, the microseconds per request with the telemetry and without it (alternating, in one
process), and their difference: the telemetry's own cost. The log goes to /dev/null.
"""

import argparse
import asyncio
import logging
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from starlette.types import Message, Receive, Scope, Send  # noqa: E402

from app.api.asgi import PathTree  # noqa: E402
from app.api.middleware.telemetry import RequestTelemetry  # noqa: E402
from app.observability.logs import configure_logging  # noqa: E402

App = Callable[[Scope, Receive, Send], Awaitable[None]]
SCOPE: Scope = {
    "type": "http",
    "method": "GET",
    "path": "/auth/me",
    "root_path": "",
    "headers": [(b"host", b"localhost"), (b"authorization", b"Bearer x")],
    "client": ("127.0.0.1", 40000),
}


async def answer(scope: Scope, receive: Receive, send: Send) -> None:  # noqa: ARG001
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


async def receive() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message: Message) -> None:
    pass


async def per_request(app: App, requests: int) -> float:
    started = time.perf_counter()
    for _ in range(requests):
        await app(dict(SCOPE), receive, discard)
    return (time.perf_counter() - started) / requests * 1e6


async def main(requests: int, rounds: int) -> None:
    sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the log handler writes there for the whole run
    configure_logging("info", "json")
    sys.stdout = sys.__stdout__
    telemetry = RequestTelemetry(answer, client_of=lambda scope: scope["client"][0], paths=PathTree(exact=["/auth/me"]))
    bare, wrapped = [], []
    for _ in range(rounds):
        bare.append(await per_request(answer, requests))
        wrapped.append(await per_request(telemetry, requests))
    logging.shutdown()
    for index, (without, with_) in enumerate(zip(bare, wrapped, strict=True), 1):
        print(f"round {index}: {with_:.1f} us with telemetry, {without:.1f} us without: {with_ - without:.1f} us")
    cost = statistics.median(with_ - without for without, with_ in zip(bare, wrapped, strict=True))
    print(f"median cost of the telemetry: {cost:.1f} us per request")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds))
