"""A bare HTTP/1.1 client on asyncio streams, for crowds: httpx spends milliseconds of CPU per request, which
in a crowd of hundreds would measure the test's client rather than the server."""

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Answer:
    status: int
    seconds: float  # from opening the connection to the end of the response
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


async def send(base_url: str, method: str, path: str, body: object | None = None) -> Answer:
    """One request on its own connection (Connection: close), timed from connect to the last byte."""
    return await (await written(base_url, method, path, body))


async def written(base_url: str, method: str, path: str, body: object | None = None) -> "asyncio.Future[Answer]":
    """Connects and writes the whole request; the returned task reads the answer."""
    url = urlsplit(base_url)
    payload = b"" if body is None else json.dumps(body).encode()
    head = (
        f"{method} {path} HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    started = time.monotonic()
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(head.encode() + payload)
        await writer.drain()
    except BaseException:
        writer.close()
        raise
    return asyncio.ensure_future(_answer(reader, writer, started, f"{method} {path}"))


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, started: float, request: str) -> Answer:
    try:
        response = await reader.read()
    finally:
        writer.close()
    status_line = response.split(b"\r\n", 1)[0].split()
    if len(status_line) < 2:
        raise ConnectionError(f"no HTTP response to {request}: {response[:80]!r}")
    return Answer(int(status_line[1]), time.monotonic() - started, response.partition(b"\r\n\r\n")[2])
