"""A TCP proxy in front of a real Redis that can lose a reply (the command runs, its reply never arrives) or
hold one back (the command runs, its reply arrives when the test says)."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class HeldReply:
    seen: asyncio.Event = field(default_factory=asyncio.Event)  # the request has gone to Redis
    release: asyncio.Event = field(default_factory=asyncio.Event)  # set it to let the reply through


class ReplyDropper:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._marker: bytes | None = None
        self._hold: tuple[bytes, HeldReply] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def drop_reply_to(self, marker: bytes) -> None:
        """The reply to the next request that contains `marker` (a script's SHA1, say) is swallowed and that
        client connection cut: the command runs, the client never hears of it."""
        self._marker = marker

    def hold_reply_to(self, marker: bytes) -> HeldReply:
        """The reply to the next request that contains `marker` (and every later reply on that connection)
        waits until the returned release is set."""
        held = HeldReply()
        self._hold = (marker, held)
        return held

    async def _pipe_requests(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, doomed: asyncio.Event, held: list[HeldReply]
    ) -> None:
        while data := await source.read(65536):
            if self._marker is not None and self._marker in data:
                self._marker = None
                doomed.set()
            if self._hold is not None and self._hold[0] in data:
                held.append(self._hold[1])
                self._hold = None
            sink.write(data)
            await sink.drain()
            for hold in held:
                hold.seen.set()

    async def _pipe_replies(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, doomed: asyncio.Event, held: list[HeldReply]
    ) -> None:
        while data := await source.read(65536):
            if doomed.is_set():
                sink.close()
                return
            for hold in held:
                await hold.release.wait()
            sink.write(data)
            await sink.drain()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        doomed, held = asyncio.Event(), list[HeldReply]()
        pipes = [
            asyncio.create_task(self._pipe_requests(client_reader, redis_writer, doomed, held)),
            asyncio.create_task(self._pipe_replies(redis_reader, client_writer, doomed, held)),
        ]
        try:
            await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        finally:  # also when the proxy stops first
            for pipe in pipes:
                pipe.cancel()
            for writer in (client_writer, redis_writer):
                writer.close()

    @asynccontextmanager
    async def running(self) -> AsyncIterator["ReplyDropper"]:
        def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            task = asyncio.create_task(self._handle(reader, writer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        try:
            yield self
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
