"""A TCP proxy in front of a real Redis that can lose a reply: the command runs, its reply never arrives."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class ReplyDropper:
    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = 0
        self._marker: bytes | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def drop_reply_to(self, marker: bytes) -> None:
        """The reply to the next request that contains `marker` (a script's SHA1, say) is swallowed and that
        client connection cut: the command runs, the client never hears of it."""
        self._marker = marker

    async def _pipe_requests(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, doomed: asyncio.Event
    ) -> None:
        while data := await source.read(65536):
            if self._marker is not None and self._marker in data:
                self._marker = None
                doomed.set()
            sink.write(data)
            await sink.drain()

    async def _pipe_replies(
        self, source: asyncio.StreamReader, sink: asyncio.StreamWriter, doomed: asyncio.Event
    ) -> None:
        while data := await source.read(65536):
            if doomed.is_set():
                sink.close()
                return
            sink.write(data)
            await sink.drain()

    async def _handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        redis_reader, redis_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        doomed = asyncio.Event()
        pipes = [
            asyncio.create_task(self._pipe_requests(client_reader, redis_writer, doomed)),
            asyncio.create_task(self._pipe_replies(redis_reader, client_writer, doomed)),
        ]
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
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
