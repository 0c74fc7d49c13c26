"""Ethereum nodes that misbehave on demand: a JSON-RPC HTTP server in front of a real node (ganache) whose
behaviour a test switches while the service under test uses it.

Behaviours: forward (a healthy node), hang (reads the request, never answers), http_500, drop (closes the
connection without a word), wrong_chain (answers eth_chainId with another id; anything else is forwarded,
and counted, so a test can prove nothing else was sent), a fixed JSON-RPC error for eth_call, and lies (every
eth_call "valid", and optionally code at every address). Every
request is counted by method. It runs on an event loop of its own, in a thread, so it serves in-process
apps and `python -m app` processes alike.
"""

import asyncio
import enum
import json
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx


class Behaviour(enum.Enum):
    FORWARD = "forward"
    HANG = "hang"
    HTTP_500 = "http_500"
    DROP = "drop"
    WRONG_CHAIN = "wrong_chain"
    CALL_ERROR = "call_error"
    GARBAGE = "garbage"  # JSON nested deeper than any parser's recursion limit
    LIE = "lie"  # answers every eth_call with the validator's "valid" (0x01); forwards the rest
    LIE_ABOUT_CODE = "lie_about_code"  # as LIE, and says every address has code


class FakeNode:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.behaviour = Behaviour.FORWARD
        self.wrong_chain_id = 999
        self.call_error: dict[str, Any] = {}
        self.delay = 0.0  # seconds before every answer: a slower node, which the pool should prefer less
        self.requests: Counter[str] = Counter()
        self.url = ""
        self._loop = asyncio.new_event_loop()
        self._lock = threading.Lock()

    def behave(self, behaviour: Behaviour, **details: Any) -> None:
        self.behaviour = behaviour
        if "chain_id" in details:
            self.wrong_chain_id = details["chain_id"]
        if "error" in details:
            self.call_error = details["error"]

    def count(self, *, excluding: str | tuple[str, ...] = ()) -> int:
        """Requests received, but for those of the method(s) `excluding`."""
        left_out = (excluding,) if isinstance(excluding, str) else excluding
        with self._lock:
            return sum(number for method, number in self.requests.items() if method not in left_out)

    @staticmethod
    async def _read_request(reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value.strip())
        return await reader.readexactly(length)

    @staticmethod
    def _response(status: int, body: bytes) -> bytes:
        reason = {200: "OK", 500: "Internal Server Error"}[status]
        head = f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        return head.encode() + body

    async def _answer(self, body: bytes, upstream: httpx.AsyncClient) -> bytes | None:
        request = json.loads(body)
        method = request.get("method", "?")
        with self._lock:
            self.requests[method] += 1
        behaviour = self.behaviour
        await asyncio.sleep(self.delay)
        if behaviour is Behaviour.HANG:
            await asyncio.sleep(3600)
        if behaviour is Behaviour.DROP:
            return None
        if behaviour is Behaviour.GARBAGE:
            return self._response(200, b"[" * 20_000 + b"]" * 20_000)
        if behaviour is Behaviour.HTTP_500:
            return self._response(500, b'{"message": "upstream exploded"}')
        if behaviour is Behaviour.WRONG_CHAIN and method == "eth_chainId":
            reply = {"jsonrpc": "2.0", "id": request["id"], "result": hex(self.wrong_chain_id)}
            return self._response(200, json.dumps(reply).encode())
        lies = {"eth_call": "0x01"} if behaviour is Behaviour.LIE else {}
        if behaviour is Behaviour.LIE_ABOUT_CODE:
            lies = {"eth_call": "0x01", "eth_getCode": "0x6001"}
        if method in lies:
            reply = {"jsonrpc": "2.0", "id": request["id"], "result": lies[method]}
            return self._response(200, json.dumps(reply).encode())
        if behaviour is Behaviour.CALL_ERROR and method == "eth_call":
            reply = {"jsonrpc": "2.0", "id": request["id"], "error": self.call_error}
            return self._response(200, json.dumps(reply).encode())
        forwarded = await upstream.post(self.upstream, content=body, headers={"Content-Type": "application/json"})
        return self._response(forwarded.status_code, forwarded.content)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async with httpx.AsyncClient(timeout=120) as upstream:
            try:
                while True:
                    body = await self._read_request(reader)
                    response = await self._answer(body, upstream)
                    if response is None:
                        return
                    writer.write(response)
                    await writer.drain()
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            finally:
                writer.close()

    @contextmanager
    def running(self) -> Iterator["FakeNode"]:
        started = threading.Event()
        server: asyncio.Server | None = None

        async def start() -> None:
            nonlocal server
            server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
            self.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            started.set()

        thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(start(), self._loop)
        if not started.wait(10):
            raise RuntimeError("the fake node did not start")
        try:
            yield self
        finally:

            async def stop() -> None:
                assert server is not None
                server.close()
                for task in asyncio.all_tasks():
                    if task is not asyncio.current_task():
                        task.cancel()

            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join(10)
            self._loop.close()


@contextmanager
def fake_nodes(upstream: str, count: int) -> Iterator[list[FakeNode]]:
    """`count` fake nodes in front of `upstream`, all forwarding until told otherwise."""
    with ExitStack() as stack:
        yield [stack.enter_context(FakeNode(upstream).running()) for _ in range(count)]
